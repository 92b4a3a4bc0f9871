#!/usr/bin/env bash
# MID quick start with curl (and jq to read the JSON answers).
# Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
set -euo pipefail
: "${MID_URL:?}" "${MID_CLIENT_ID:?}" "${MID_KEY:?}"
auth=(-H "Authorization: Bearer $MID_KEY" -H "X-Client-ID: $MID_CLIENT_ID")

# 1. Create a consent: ask +234 803 123 4567 to approve a login.
consent=$(curl -fsS "$MID_URL/consents/auth" "${auth[@]}" \
  -H "Content-Type: application/json" \
  -d '{"recipient":"+2348031234567","intent":"login","message":"Log in to Example Shop"}')
id=$(jq -r .id <<<"$consent")
echo "created consent $id"
# qr.url is the approval link the person opens on their phone; qr.svg/qr.png
# are QR images of it to show on your page.
echo "approval link: $(jq -r .qr.url <<<"$consent")"
echo "QR image: $MID_URL$(jq -r .qr.svg <<<"$consent")"

# 2. Read it back (a page may instead poll with ?clientSecret= or open
#    the live channel).
echo "status: $(curl -fsS "$MID_URL/consents/$id" "${auth[@]}" | jq -r .status)"

# 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
curl -fsS -X POST "$MID_URL/sandbox/consents/$id/approve" "${auth[@]}" >/dev/null
echo "final status: $(curl -fsS "$MID_URL/consents/$id" "${auth[@]}" | jq -r .status)"
