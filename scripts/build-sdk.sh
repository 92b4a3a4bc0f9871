#!/usr/bin/env bash
# Builds the browser SDK (npm package mid-sdk) into sdk-wasm/pkg/ and copies
# the files a page loads into www/sdk/ (the worker serves them). Uses only
# tools that scripts/setup.sh installed.
#   release wasm32 build -> wasm-bindgen --target web -> wasm-opt -Oz
#   + the hand-written sdk-wasm/js/{index.js,index.d.ts,package.json}
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bindgen="$root/.tools/bin/wasm-bindgen"
wasm_opt="$root/node_modules/.bin/wasm-opt"
esbuild="$root/node_modules/.bin/esbuild"
for tool in "$bindgen" "$wasm_opt" "$esbuild"; do
  [ -x "$tool" ] || { echo "build-sdk: missing $tool; run 'npm run setup' first" >&2; exit 1; }
done
echo "build-sdk: compiling the SDK (release, wasm32)…" >&2
cargo build --quiet -p mid-sdk --release --target wasm32-unknown-unknown
out="$root/target/sdk-bindgen"
rm -rf "$out"; mkdir -p "$out"
"$bindgen" --target web --no-typescript --out-dir "$out" \
  "$root/target/wasm32-unknown-unknown/release/mid_sdk.wasm"
# The features the release toolchain emits (bulk memory, sign-ext, ...) are
# all in browsers that have WebAuthn L3 JSON support.
"$wasm_opt" -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers "$out/mid_sdk_bg.wasm" -o "$out/mid_sdk_bg.wasm"

pkg="$root/sdk-wasm/pkg"
rm -rf "$pkg"; mkdir -p "$pkg"
# Shipped minified, like the peers' bundles it is measured against.
for js in "$out/mid_sdk.js" sdk-wasm/js/index.js; do
  "$esbuild" "$js" --minify --format=esm --target=es2020 --log-level=warning --outfile="$pkg/$(basename "$js")"
done
cp "$out/mid_sdk_bg.wasm" "$pkg/"
cp sdk-wasm/js/index.d.ts sdk-wasm/js/package.json "$pkg/"
# One version, the crate's.
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed -i "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" "$pkg/package.json"
cp sdk-wasm/js/README.md "$pkg/README.md"

mkdir -p www/sdk
cp "$pkg/index.js" "$pkg/mid_sdk.js" "$pkg/mid_sdk_bg.wasm" www/sdk/
echo "build-sdk: $(wc -c < "$pkg/mid_sdk_bg.wasm") bytes wasm, $(gzip -9 -n -c "$pkg/mid_sdk_bg.wasm" | wc -c) gzipped" >&2
