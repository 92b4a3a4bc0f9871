#!/usr/bin/env bash
# The whole suite, as `npm test` and CI run it: setup, lint, a wasm check,
# native unit tests, the release worker build, then integration tests against
# the real worker under `wrangler dev` (workerd).
#
# Every test binary runs (`--no-fail-fast`) and every failure is reported; the
# script exits non-zero if any stage failed. It ends with a per-stage timing
# table, the failing tests, and one closing line `N passed, N failed` (CI
# parses it). Logs: target/test-results/{unit,integration}.txt (test output),
# tests/.run/*.log (wrangler dev).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export WRANGLER_SEND_METRICS=false
# Offline-safe: wrangler would otherwise fetch `Request.cf` data from the internet.
export CLOUDFLARE_CF_FETCH_ENABLED=false

# Stage timings, in seconds, printed at the end (or when a lint stage stops the run).
stages=(); times=(); current=""
start_all=$EPOCHREALTIME
stage_start=$start_all
stage() { # stage NAME TITLE: starts a stage
  current=$1; stage_start=$EPOCHREALTIME
  echo; echo "== $2 ==" >&2
}
done_stage() { # closes the current stage
  stages+=("$current"); times+=("$(awk -v a="$stage_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
  current=""
}
table_printed=""
timing_table() {
  [ -n "$table_printed" ] && return
  table_printed=1
  echo
  printf '%-20s %8s\n' "stage" "seconds"
  local i
  for i in "${!stages[@]}"; do printf '%-20s %8s\n' "${stages[$i]}" "${times[$i]}"; done
  printf '%-20s %8s\n' "total" "$(awk -v a="$start_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
}
wrangler_pid=""
on_exit() {
  if [ -n "$wrangler_pid" ]; then kill -KILL -- "-$wrangler_pid" 2>/dev/null || true; fi
  if [ -n "$current" ]; then current="$current (stopped)"; done_stage; fi
  timing_table
}
trap on_exit EXIT

stage setup "setup"
bash scripts/setup.sh
done_stage

stage fmt "cargo fmt --check"
cargo fmt --all --check
done_stage

stage clippy "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
done_stage

stage "wasm check" "cargo check --target wasm32-unknown-unknown"
cargo check -p mid-worker -p mid-sdk --target wasm32-unknown-unknown
done_stage

# From here on a failure is recorded, not fatal, so that every test runs.
failed_stages=()

stage openapi "lint www/openapi.json (redocly)"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  node_modules/.bin/redocly lint www/openapi.json || failed_stages+=("openapi")
done_stage

stage "unit tests" "native unit tests (cargo test)"
results="$root/target/test-results"
rm -rf "$results"; mkdir -p "$results"
: > "$results/integration.txt"
cargo test -p mid-worker -p mid-webauthn -p mid-sdk --no-fail-fast 2>&1 | tee "$results/unit.txt" ||
  failed_stages+=("unit tests")
done_stage

stage "worker build" "build the worker (release)"
worker_built=1
if bash scripts/build-worker.sh; then
  echo "worker: $(wc -c < build/index_bg.wasm) bytes wasm, $(gzip -9 -c build/index_bg.wasm | wc -c) gzipped" >&2
else
  worker_built=""; failed_stages+=("worker build")
fi
done_stage

stage "integration tests" "integration tests against wrangler dev"
run="$root/tests/.run"
rm -rf "$run"; mkdir -p "$run"
integration() {
  cargo build -p mid-tests --tests --quiet || return 1
  local port inspector
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  inspector=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  export MID_BASE_URL="http://127.0.0.1:$port"
  export MID_ADMIN_TOKEN="test-admin-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
  MID_SKIP_BUILD=1 setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
    --show-interactive-dev-session=false --persist-to "$run/shared" \
    --var "ADMIN_TOKEN:$MID_ADMIN_TOKEN" --var "PUBLIC_URL:$MID_BASE_URL" \
    --var "WEBHOOK_RETRY_BASE_MS:300" --var "ALLOW_PRIVATE_WEBHOOK_URLS:true" \
    > "$run/shared.log" 2>&1 &
  wrangler_pid=$!
  disown "$wrangler_pid" # killed at the end: no job-control "Killed" line
  for _ in $(seq 1 300); do
    curl -fsS "$MID_BASE_URL/health" >/dev/null 2>&1 && break
    sleep 0.3
  done
  curl -fsS "$MID_BASE_URL/health" >/dev/null ||
    { echo "worker did not start; log:" >&2; tail -50 "$run/shared.log" >&2; return 1; }
  local status=0
  cargo test -p mid-tests --no-fail-fast -- --test-threads 8 2>&1 | tee "$results/integration.txt" || status=1
  # Browser end-to-end tests on this same worker; their "test result:" line joins the count.
  bash scripts/test-browser.sh 2>&1 | tee -a "$results/integration.txt" || status=1
  # The code examples of examples/ on this same worker; their "test result:" line joins the count.
  bash scripts/test-examples.sh 2>&1 | tee -a "$results/integration.txt" || status=1
  return "$status"
}
if [ -n "$worker_built" ]; then
  integration || failed_stages+=("integration tests")
else
  echo "skipped: the worker did not build" >&2
fi
if [ -n "$wrangler_pid" ]; then kill -KILL -- "-$wrangler_pid" 2>/dev/null || true; wrangler_pid=""; fi
done_stage

stage "sdk tests" "browser SDK tests (node --test sdk-wasm/tests/, chromium)"
: > "$results/sdk.txt"
bash scripts/test-sdk.sh "$results/sdk.txt" || failed_stages+=("sdk tests")
done_stage

timing_table

# Failing tests as `binary: test name` (the binary from cargo's `Running ... (target/.../deps/NAME-HASH)`).
failures=$(cat "$results/unit.txt" "$results/integration.txt" "$results/sdk.txt" | awk '
  /^ *Running .*\(.*\)$/ { bin = $NF; sub(/^\(.*\//, "", bin); sub(/-[0-9a-f]+\)$/, "", bin) }
  /^test .* \.\.\. FAILED$/ { name = $0; sub(/^test /, "", name); sub(/ \.\.\. FAILED$/, "", name); print "  " bin ": " name }')
if [ -n "$failures" ]; then echo; echo "failed tests:"; echo "$failures"; fi
# Binaries that failed, including any that crashed before reporting a result.
targets=$(cat "$results/unit.txt" "$results/integration.txt" "$results/sdk.txt" | grep -o 'to rerun pass `[^`]*`' | sed 's/^to rerun pass /  /' | sort -u || true)
if [ -n "$targets" ]; then echo; echo "failed test binaries (cargo test -p ... <these>):"; echo "$targets"; fi
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo; echo "failed stages: $(IFS=,; echo "${failed_stages[*]}" | sed 's/,/, /g')"
fi

# One closing line for the whole suite.
cat "$results/unit.txt" "$results/integration.txt" "$results/sdk.txt" |
  awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }'
[ ${#failed_stages[@]} -eq 0 ]
