"""MID quick start with requests.

Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
"""
import os

import requests

MID_URL = os.environ["MID_URL"]
session = requests.Session()
session.headers.update(
    {
        "Authorization": f"Bearer {os.environ['MID_KEY']}",
        "X-Client-ID": os.environ["MID_CLIENT_ID"],
    }
)


def mid(method, path, body=None):
    res = session.request(method, MID_URL + path, json=body, timeout=10)
    if not res.ok:
        # Errors are {"error":{"code","message","param"?}}.
        error = res.json().get("error", {})
        raise RuntimeError(f"{method} {path}: {res.status_code} {error.get('code')}: {error.get('message')}")
    return res.json()


# 1. Create a consent: ask +234 803 123 4567 to approve a login.
consent = mid(
    "POST",
    "/consents/auth",
    {"recipient": "+2348031234567", "intent": "login", "message": "Log in to Example Shop"},
)
print(f"created consent {consent['id']}")
# qr.url is the approval link the person opens on their phone; qr.svg/qr.png
# are QR images of it to show on your page.
print(f"approval link: {consent['qr']['url']}")
print(f"QR image: {MID_URL}{consent['qr']['svg']}")

# 2. Read it back.
print(f"status: {mid('GET', '/consents/' + consent['id'])['status']}")

# 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
mid("POST", f"/sandbox/consents/{consent['id']}/approve")
print(f"final status: {mid('GET', '/consents/' + consent['id'])['status']}")
