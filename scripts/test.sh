#!/usr/bin/env bash
# The whole suite, as `npm test` and CI run it: lint, native unit tests, a
# wasm check, the release worker build, then integration tests against the
# real worker under `wrangler dev` (workerd).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export WRANGLER_SEND_METRICS=false
step() { echo; echo "== $* ==" >&2; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo check --target wasm32-unknown-unknown"
cargo check -p mid-worker -p mid-sdk --target wasm32-unknown-unknown

step "native unit tests (cargo test)"
results="$root/target/test-results"
mkdir -p "$results"
cargo test -p mid-worker -p mid-webauthn -p mid-sdk 2>&1 | tee "$results/unit.txt"

step "build the worker (release)"
bash scripts/build-worker.sh
echo "worker: $(wc -c < build/index_bg.wasm) bytes wasm, $(gzip -9 -c build/index_bg.wasm | wc -c) gzipped" >&2

step "integration tests against wrangler dev"
cargo build -p mid-tests --tests --quiet
run="$root/tests/.run"
rm -rf "$run"; mkdir -p "$run"
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
cleanup() { kill -KILL -- "-$wrangler_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fsS "$MID_BASE_URL/health" >/dev/null 2>&1 && break
  sleep 0.3
done
curl -fsS "$MID_BASE_URL/health" >/dev/null || { echo "worker did not start; log:" >&2; tail -50 "$run/shared.log" >&2; exit 1; }
cargo test -p mid-tests -- --test-threads 8 2>&1 | tee "$results/integration.txt"
bash scripts/test-browser.sh 2>&1 | tee -a "$results/integration.txt" # browser e2e on this worker; its "test result:" line joins the count

# --- browser SDK (sdk-wasm/tests, chromium): its counts join the closing line ---
step "browser SDK tests (node --test sdk-wasm/tests/)"; bash scripts/test-sdk.sh "$results/sdk.txt"

# One closing line for the whole suite.
cat "$results/unit.txt" "$results/integration.txt" "$results/sdk.txt" |
  awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }'
