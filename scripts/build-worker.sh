#!/usr/bin/env bash
# Builds the worker to build/ with worker-build, using only tools that
# scripts/setup.sh installed (nothing is downloaded here).
# MID_SKIP_BUILD=1 reuses an existing build (test runs start many `wrangler dev`s).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ "${MID_SKIP_BUILD:-}" = "1" ] && [ -f build/index_bg.wasm ]; then
  exit 0
fi
export WASM_BINDGEN_BIN="$root/.tools/bin/wasm-bindgen"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
for tool in "$WASM_BINDGEN_BIN" "$ESBUILD_BIN" "$WASM_OPT_BIN" "$root/.tools/bin/worker-build"; do
  [ -x "$tool" ] || { echo "build-worker: missing $tool; run 'npm run setup' first" >&2; exit 1; }
done
# The browser SDK first: the worker serves www/sdk/.
bash "$root/scripts/build-sdk.sh"
# The docs' code-example pages, rendered from examples/ (www/docs/examples/).
node "$root/scripts/build-docs-examples.mjs"
echo "build-worker: compiling the worker (release, wasm32)…" >&2
"$root/.tools/bin/worker-build" --release --out-dir "$root/build" "$root/worker"
# Size-first optimisation without the name section (see worker/Cargo.toml). The
# feature set is worker-build's: what workerd runs, nothing newer.
# MID_KEEP_NAMES=1 keeps function names (readable CPU profiles, bigger wasm).
echo "build-worker: wasm-opt -Oz…" >&2
strip=(--strip-debug --strip-producers)
[ "${MID_KEEP_NAMES:-}" = "1" ] && strip=(--debuginfo)
"$WASM_OPT_BIN" "$root/build/index_bg.wasm" -o "$root/build/index_bg.opt.wasm" -Oz "${strip[@]}" \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
mv "$root/build/index_bg.opt.wasm" "$root/build/index_bg.wasm"
