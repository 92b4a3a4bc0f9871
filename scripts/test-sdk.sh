#!/usr/bin/env bash
# The browser SDK's Node tests (sdk-wasm/tests/*.test.mjs): chromium +
# playwright-core, @simplewebauthn/server, npm pack. Builds the SDK first.
# Writes its counts as a cargo-style "test result:" line to $1 (if given),
# so scripts/test.sh adds them to its closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-}
bash scripts/build-sdk.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-concurrency=1 sdk-wasm/tests/ 2>&1 | tee "$log" || status=$?
pass=$(awk '/^# pass / { print $3 }' "$log" | tail -1)
fail=$(awk '/^# fail / { print $3 }' "$log" | tail -1)
if [ -n "$out" ]; then
  echo "test result: sdk. ${pass:-0} passed; ${fail:-1} failed" > "$out"
fi
exit "$status"
