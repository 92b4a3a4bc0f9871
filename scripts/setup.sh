#!/usr/bin/env bash
# Installs what MID needs, idempotently: the wasm target, wasm-bindgen-cli at
# exactly the version in Cargo.lock, worker-build, the pinned npm packages, and
# the Python examples' pinned packages (a venv in .tools).
# Silent when everything is in place; one progress line per install otherwise.
# Only package registries are used (crates.io, npm, PyPI): nothing from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
WORKER_BUILD_VERSION=0.8.7

say() { echo "setup: $*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >&2
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then
  echo "setup: cannot read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $NF}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version into .tools (a few minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "=$bindgen_version" --root "$tools" --force >&2
fi
if [ "$("$tools/bin/worker-build" --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION into .tools (a few minutes, once)"
  cargo install --quiet worker-build --version "=$WORKER_BUILD_VERSION" --root "$tools" --force >&2
fi

# Debian chromium for the browser SDK tests (driven by playwright-core; never
# a browser download).
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (apt-get, once)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

# npm ci when node_modules was installed from another lockfile (content, not mtime:
# a fresh checkout must not reinstall an up-to-date tree).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/wrangler ] || [ "$(cat node_modules/.mid-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_hash" > node_modules/.mid-lock-hash
fi

# Chromium for the browser end-to-end tests (Debian package; never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (apt) for the browser tests"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >&2
fi

# PHP (with curl) runs the PHP code examples in npm test: ~6 MB from apt. Go
# (~330 MB) is not installed: its examples are vetted only where go exists.
if ! command -v php >/dev/null 2>&1 || ! php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null; then
  say "installing php-cli and php-curl (apt) for the PHP examples"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  # Not fatal: without PHP the example tests report the PHP examples skipped.
  { $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq php-cli php-curl; } >&2 ||
    say "could not install PHP; the PHP examples will be reported skipped"
fi

# Python packages for the Python code examples (examples/python), pinned, from
# PyPI into a venv; reinstalled when requirements.txt changes. Without python3
# the example tests report themselves skipped.
py_req=examples/python/requirements.txt
if command -v python3 >/dev/null 2>&1; then
  py_hash=$(sha256sum "$py_req" | cut -d' ' -f1)
  if [ ! -x "$tools/venv/bin/python" ] || [ "$(cat "$tools/venv/.mid-req-hash" 2>/dev/null)" != "$py_hash" ]; then
    say "installing the Python examples' packages into .tools/venv (pip)"
    # Not fatal (e.g. Debian without python3-venv): the tests report the Python examples skipped.
    if python3 -m venv "$tools/venv" >&2 &&
      "$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r "$py_req" >&2; then
      echo "$py_hash" > "$tools/venv/.mid-req-hash"
    else
      rm -rf "$tools/venv"
      say "could not create .tools/venv (python3 -m venv or pip failed): the Python code examples will be skipped by the tests"
    fi
  fi
else
  say "python3 not found: the Python code examples will be skipped by the tests"
fi

if [ ! -f .dev.vars ]; then
  say "writing .dev.vars with fresh local secrets"
  admin=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')
  sealing=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')
  sed -e "s|^ADMIN_TOKEN=.*|ADMIN_TOKEN=$admin|" -e "s|^SEALING_KEY=.*|SEALING_KEY=$sealing|" .dev.vars.example > .dev.vars
fi
