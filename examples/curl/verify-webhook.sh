#!/usr/bin/env bash
# Verifies a MID webhook delivery with openssl: both the Standard Webhooks
# header signature and the body's "signature" member.
# Usage: MID_WEBHOOK_SECRET=whsec_... verify-webhook.sh HEADERS_FILE BODY_FILE
# HEADERS_FILE holds the delivery's headers as "name: value" lines; BODY_FILE
# the exact body bytes. Prints "valid" (exit 0) or "invalid" (exit 1).
set -euo pipefail
: "${MID_WEBHOOK_SECRET:?}"
headers=$1 body=$2
invalid() { echo invalid; exit 1; }
header() { # value of header $1 (case-insensitive), CR stripped
  awk -v n="$1" 'tolower($0) ~ "^" n ":" { sub(/^[^:]*: */, ""); sub(/\r$/, ""); print; exit }' "$headers"
}
# The HMAC key is the base64-decoded part after "whsec_", given to openssl as hex.
key=$(printf '%s' "${MID_WEBHOOK_SECRET#whsec_}" | base64 -d | xxd -p -c 256)
hmac() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary; }

id=$(header webhook-id) ts=$(header webhook-timestamp) sigs=$(header webhook-signature)
[ -n "$id" ] && [ -n "$ts" ] && [ -n "$sigs" ] || invalid
# Replay protection: at most 5 minutes away from now.
[[ "$ts" =~ ^[0-9]+$ ]] || invalid
now=$(date +%s)
[ $((now - ts)) -le 300 ] && [ $((ts - now)) -le 300 ] || invalid

# 1. Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>"; any one of
#    the space-separated "v1,<sig>" entries may match (secret rotation).
expected=$( { printf '%s.%s.' "$id" "$ts"; cat "$body"; } | hmac | base64 -w0)
header_ok=""
for s in $sigs; do [ "$s" = "v1,$expected" ] && header_ok=1; done
[ -n "$header_ok" ] || invalid

# 2. Body signature: hex HMAC of the body without its trailing
#    ,"signature":"sha256=<hex>" member.
raw=$(cat "$body"; printf x); raw=${raw%x} # keep the exact bytes
suffix_re=',"signature":"sha256=([0-9a-f]{64})"}$'
[[ "$raw" =~ $suffix_re ]] || invalid
claimed=${BASH_REMATCH[1]}
stripped="${raw%,\"signature\":*}}"
actual=$(printf '%s' "$stripped" | hmac | xxd -p -c 256)
[ "$actual" = "$claimed" ] || invalid
echo valid
