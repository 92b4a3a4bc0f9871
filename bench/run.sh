#!/usr/bin/env bash
# MID's benchmarks, in one run:
#  0. like for like (issue 13): MID beside the peers' JavaScript Worker under the same
#     wrangler dev: request floor, partner read, ceremony, QR login, hop counts, cold start
#     (bench/worker-vs-peer.mjs; SKIP_WVP=1 skips, WVP_ONLY=1 runs only this part);
#  1. in-process verification of the same responses (MID native Rust vs SWA in Node),
#  2. authentication ceremonies over HTTP: MID in workerd (wrangler dev) vs the peers'
#     Node server, driven by the peers' driver (MID's copy differs in 4 request lines).
# Figures, not a test: never part of `npm test`. See bench/README.md.
#   npm run bench            RUNS=3 ITERS=3000 WARMUP=1000 DURATION=15 CONCURRENCY=16
#   SKIP_HTTP=1 / SKIP_MICRO=1, PEERS_DIR=/path/to/peers, BENCH_CPU=1 DRIVER_CPU=0 (none: no pinning)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export WRANGLER_SEND_METRICS=false
# No `Request.cf` download from the internet while wrangler dev runs.
export CLOUDFLARE_CF_FETCH_ENABLED=false
RUNS=${RUNS:-3}; export ITERS=${ITERS:-3000} WARMUP_CALLS=${WARMUP:-1000}
export DURATION=${DURATION:-15} CONCURRENCY=${CONCURRENCY:-16}
PEERS_DIR=${PEERS_DIR:-$root/../shared/peers}
[ -d "$PEERS_DIR" ] || PEERS_DIR=/work/shared/peers
BENCH_CPU=${BENCH_CPU:-1}; DRIVER_CPU=${DRIVER_CPU:-0}
if [ "$BENCH_CPU" != none ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN="taskset -c $BENCH_CPU"; PIN_D="taskset -c $DRIVER_CPU"
else PIN=""; PIN_D=""; fi
out="$root/bench/out"; mkdir -p "$out"

if [ "${SKIP_WVP:-}" != 1 ]; then
  echo "== like for like: MID vs the peers' Worker under wrangler dev ==" >&2
  [ "${NO_BUILD:-}" = 1 ] || bash scripts/build-worker.sh >/dev/null
  wvp_cpu=$BENCH_CPU; [ -n "$PIN" ] || wvp_cpu=none
  DURATION=${WVP_DURATION:-10} BENCH_CPU=$wvp_cpu PEERS_DIR=$PEERS_DIR $PIN_D node bench/worker-vs-peer.mjs
  [ "${WVP_ONLY:-}" != 1 ] || exit 0
fi
# Each part replaces its own results (SKIP_* keeps the other part's last figures).
[ "${SKIP_MICRO:-}" = 1 ] || rm -f "$out"/native.jsonl "$out"/swa.jsonl
[ "${SKIP_HTTP:-}" = 1 ] || rm -f "$out"/http.jsonl

# The peers' scripts, in a scratch copy with their own pinned node_modules.
work=${BENCH_WORK:-/tmp/mid-bench-peers}
if [ ! -d "$work/node_modules/@simplewebauthn/server" ]; then
  rm -rf "$work"; mkdir -p "$work"
  (cd "$PEERS_DIR" && tar --exclude=node_modules --exclude=results --exclude=out -cf - .) | (cd "$work" && tar -xf -)
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$work/http/driver.mjs" "$work/http/mid-driver.mjs"
patch -s "$work/http/mid-driver.mjs" < "$root/bench/mid-driver.patch"
quiet() { node "$work/lib/wait-quiet.mjs" >/dev/null; }

[ "${SKIP_MICRO:-}" = 1 ] && [ -f "$out/fixtures.json" ] || node bench/fixtures.mjs "$work" > "$out/fixtures.json"

if [ "${SKIP_MICRO:-}" != 1 ]; then
  echo "== in-process verification: build ==" >&2
  # As shipped (the release profile: opt-level "z", LTO), and at opt-level 3.
  cargo bench -p mid-webauthn --bench webauthn --no-run --quiet 2>/dev/null
  bin_z=$(ls -t target/release/deps/webauthn-* | grep -v '\.d$' | head -1)
  CARGO_PROFILE_BENCH_OPT_LEVEL=3 cargo bench -p mid-webauthn --bench webauthn --no-run --quiet \
    --target-dir target/bench-o3 2>/dev/null
  bin_3=$(ls -t target/bench-o3/release/deps/webauthn-* | grep -v '\.d$' | head -1)
  for run in $(seq 1 "$RUNS"); do
    echo "== in-process run $run/$RUNS ==" >&2
    for v in z 3; do
      bin=bin_$v
      quiet; MID_BENCH_VARIANT=opt-$v MID_BENCH_FIXTURES="$out/fixtures.json" WARMUP=$WARMUP_CALLS \
        $PIN "${!bin}" --bench >> "$out/native.jsonl"
    done
    quiet; WARMUP=$WARMUP_CALLS $PIN node bench/swa-verify.mjs "$work" "$out/fixtures.json" >> "$out/swa.jsonl"
  done
fi

if [ "${SKIP_HTTP:-}" != 1 ]; then
  echo "== HTTP: build the worker ==" >&2
  bash scripts/build-worker.sh >/dev/null
  free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
  spid=""
  stop() { if [ -n "$spid" ]; then kill -KILL -- "-$spid" 2>/dev/null || kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; spid=""; fi; }
  trap stop EXIT
  tag() { node -e 'const [l,s,a,b]=process.argv.slice(1);const r={...JSON.parse(l),server:s};
    if(a&&b){const x=JSON.parse(a),y=JSON.parse(b);r.group_cpu_pct=100*(y.ticks-x.ticks)/100/((y.t-x.t)/1000);}
    console.log(JSON.stringify(r))' "$@"; }
  for run in $(seq 1 "$RUNS"); do
    echo "== HTTP run $run/$RUNS: MID in workerd ==" >&2
    port=$(free_port); admin="bench-admin-$RANDOM$RANDOM"
    persist=$(mktemp -d /tmp/mid-bench-state.XXXXXX)
    MID_SKIP_BUILD=1 setsid $PIN node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" \
      --inspector-port "$(free_port)" --show-interactive-dev-session=false --persist-to "$persist" \
      --var "ADMIN_TOKEN:$admin" > "$out/wrangler-$run.log" 2>&1 &
    spid=$!
    for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.3; done
    workerd=$(pgrep -g "$spid" -f workerd | head -1 || true)
    BASE="http://127.0.0.1:$port" ADMIN=$admin N=$CONCURRENCY node bench/mid-setup.mjs > "$out/vus.json"
    quiet
    g0=$(node bench/group-cpu.mjs "$spid")
    line=$(MODE=auth PORT=$port SERVER_PID=$workerd MID_VUS="$out/vus.json" WARMUP=2 $PIN_D node "$work/http/mid-driver.mjs")
    tag "$line" mid-workerd "$g0" "$(node bench/group-cpu.mjs "$spid")" >> "$out/http.jsonl"
    # Per-request floor of the same server: GET /health (no auth, no storage).
    quiet
    g0=$(node bench/group-cpu.mjs "$spid")
    line=$(MODE=hello HELLO_PATH=/health PORT=$port SERVER_PID=$workerd MID_VUS="$out/vus.json" WARMUP=2 $PIN_D node "$work/http/mid-driver.mjs")
    tag "$line" mid-workerd "$g0" "$(node bench/group-cpu.mjs "$spid")" >> "$out/http.jsonl"
    stop; rm -rf "$persist"

    echo "== HTTP run $run/$RUNS: Node + SimpleWebAuthn peer ==" >&2
    port=$(free_port)
    PORT=$port MAX_LIFETIME_S=$((DURATION + 120)) setsid $PIN node "$work/http/peer-server.mjs" > "$out/peer-$run.log" 2>&1 &
    spid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    quiet
    line=$(MODE=auth PORT=$port SERVER_PID=$spid WARMUP=2 $PIN_D node "$work/http/driver.mjs")
    tag "$line" peer-node-swa >> "$out/http.jsonl"
    stop
    port=$(free_port)
    PORT=$port MAX_LIFETIME_S=$((DURATION + 120)) setsid $PIN node "$work/http/hello-server.mjs" > "$out/hello-$run.log" 2>&1 &
    spid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    quiet
    line=$(MODE=hello PORT=$port SERVER_PID=$spid WARMUP=2 $PIN_D node "$work/http/driver.mjs")
    tag "$line" peer-node-swa >> "$out/http.jsonl"
    stop
  done
fi

# The browser SDK's download size beside the peers' bundles (SKIP_SDK=1 skips).
[ "${SKIP_SDK:-}" = 1 ] || BENCH_WORK=$work node bench/sdk-size.mjs

node bench/report.mjs "$out"
