"""Verifies a MID webhook delivery: the Standard Webhooks header signature
(with the standardwebhooks library) and the body's "signature" member (hmac).

Usage: MID_WEBHOOK_SECRET=whsec_... python verify_webhook.py HEADERS_FILE BODY_FILE
(headers as "name: value" lines, the exact body bytes). Prints "valid" or "invalid".
"""
import base64
import hashlib
import hmac
import os
import re
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

BODY_SIGNATURE = re.compile(rb',"signature":"sha256=([0-9a-f]{64})"}$')


def verify(secret: str, headers: dict, raw: bytes) -> bool:
    """In your server: verify(secret, request.headers, request.get_data())."""
    # 1. Standard Webhooks headers (webhook-id, webhook-timestamp,
    #    webhook-signature); also rejects timestamps over 5 minutes away.
    try:
        Webhook(secret).verify(raw, dict(headers), json_parse=False)
    except (WebhookVerificationError, ValueError):
        return False
    # 2. Body signature: hex HMAC of the body without its trailing
    #    ,"signature":"sha256=<hex>" member.
    match = BODY_SIGNATURE.search(raw)
    if not match:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    unsigned = raw[: match.start()] + b"}"
    expected = hmac.new(key, unsigned, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).decode())


if __name__ == "__main__":
    headers_file, body_file = sys.argv[1], sys.argv[2]
    headers = {}
    with open(headers_file, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
    with open(body_file, "rb") as f:
        body = f.read()
    ok = verify(os.environ.get("MID_WEBHOOK_SECRET", ""), headers, body)
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
