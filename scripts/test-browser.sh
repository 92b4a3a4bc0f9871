#!/usr/bin/env bash
# Browser end-to-end tests of the hosted pages (tests/browser/*.test.mjs):
# Debian chromium driven by playwright-core with a CDP virtual authenticator,
# against the worker already running at MID_BASE_URL (scripts/test.sh starts
# it; MID_ADMIN_TOKEN is its operator token). Prints node's TAP output, then
# one cargo-style "test result:" line so the suite's closing line counts
# these tests too. Screenshots: tests/.run/screenshots/.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${MID_BASE_URL:?MID_BASE_URL must point at the running worker}" "${MID_ADMIN_TOKEN:?MID_ADMIN_TOKEN must be set}"
echo "== browser end-to-end tests (chromium) ==" >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
node --test --test-concurrency=1 --test-reporter=tap tests/browser/*.test.mjs | tee "$out"
status=${PIPESTATUS[0]}
pass=$(awk '/^# pass /{ print $3 }' "$out" | tail -1)
fail=$(awk '/^# fail /{ print $3 }' "$out" | tail -1)
[ -n "$pass" ] || pass=0
# No count at all (the runner died) counts as one failure.
[ -n "$fail" ] || fail=1
[ "$status" = 0 ] || [ "$fail" != 0 ] || fail=1
result=ok; [ "$fail" = 0 ] || result=FAILED
echo "test result: $result. $pass passed; $fail failed; 0 ignored; 0 measured; 0 filtered out (browser)"
exit "$status"
