#!/usr/bin/env bash
# Runs the code examples of examples/ against the worker already running at
# MID_BASE_URL (scripts/test.sh starts it; MID_ADMIN_TOKEN is its operator
# token, and it allows http webhook URLs): each quick start (curl, Node,
# Python, PHP, and Rust when it builds offline) must end with "final status:
# approved"; each webhook verifier must print "valid" for a real delivery
# captured by a local receiver and "invalid" (non-zero exit) for copies that
# break one check each (scripts/webhook-variants.mjs). PHP runs like the
# others (scripts/setup.sh installs php-cli); Go is vetted when installed.
# A missing toolchain is reported as skipped (counted "ignored"), never as a pass.
# Ends with one cargo-style "test result:" line that joins the suite's count.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
: "${MID_BASE_URL:?MID_BASE_URL must point at the running worker}" "${MID_ADMIN_TOKEN:?MID_ADMIN_TOKEN must be set}"
echo "== code examples (examples/) ==" >&2
echo "     Running scripts/test-examples.sh (examples)"

pass=0 fail=0 skipped=0
work=$(mktemp -d)
receiver_pid=""
cleanup() { [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "test examples::$1 ... ok"; }
failed() { # failed NAME OUTPUT-FILE
  fail=$((fail + 1)); echo "test examples::$1 ... FAILED"
  [ -f "${2:-}" ] && sed 's/^/    /' "$2" | tail -20
}
skip() { skipped=$((skipped + 1)); echo "test examples::$1 ... ignored ($2)"; }

# A fresh client (test key) whose webhooks go to a local receiver.
api() { # api METHOD PATH [JSON]: curl as the operator, body on stdout
  curl -sS -X "$1" "$MID_BASE_URL$2" -H "Authorization: Bearer $MID_ADMIN_TOKEN" \
    ${3:+-H "Content-Type: application/json" -d "$3"}
}
mkdir -p "$work/deliveries"
node scripts/webhook-receiver.mjs "$work/deliveries" > "$work/receiver.port" &
receiver_pid=$!
for _ in $(seq 1 50); do [ -s "$work/receiver.port" ] && break; sleep 0.1; done
client=$(api POST /clients '{"name":"Examples"}')
client_id=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.id??"")' "$client" 2>/dev/null)
if [ -z "$client_id" ] || [ ! -s "$work/receiver.port" ]; then
  echo "cannot set up: client answer: $client" >&2
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out (examples)"
  exit 1
fi
MID_KEY=$(node -e 'console.log(JSON.parse(process.argv[1]).apiKeys.test)' "$client")
MID_WEBHOOK_SECRET=$(node -e 'console.log(JSON.parse(process.argv[1]).webhookSecret)' "$client")
export MID_URL=$MID_BASE_URL MID_CLIENT_ID=$client_id MID_KEY MID_WEBHOOK_SECRET
api PUT "/clients/$client_id" "{\"webhookUrl\":\"http://127.0.0.1:$(cat "$work/receiver.port")/hook\"}" > "$work/put.json"

python=$root/.tools/venv/bin/python
have_python="" no_python="python3 not found"
if command -v python3 >/dev/null; then
  no_python=".tools/venv missing: scripts/setup.sh could not install the Python packages"
  [ -x "$python" ] && have_python=1
fi
rust_bin=$root/target/examples-rust/debug
have_rust=""
if CARGO_TARGET_DIR="$root/target/examples-rust" cargo build --quiet --offline --locked \
  --manifest-path examples/rust/Cargo.toml > "$work/rust-build.txt" 2>&1; then
  have_rust=1
fi

have_php="" no_php="php not found (scripts/setup.sh installs php-cli and php-curl with apt)"
if command -v php >/dev/null; then
  no_php="php has no curl extension (apt-get install php-curl)"
  php -r 'exit(function_exists("curl_init") ? 0 : 1);' && have_php=1
fi

# Quick starts: each creates, reads and approves one consent.
quickstart() { # quickstart NAME COMMAND...
  local name=$1; shift
  if "$@" > "$work/$name.out" 2>&1 && grep -qx "final status: approved" "$work/$name.out" &&
    grep -q "^approval link: $MID_BASE_URL/a/cons_[A-Za-z0-9]*#t=" "$work/$name.out"; then
    ok "$name"
  else
    failed "$name" "$work/$name.out"
  fi
}
quickstart curl_quickstart bash examples/curl/quickstart.sh
quickstart node_quickstart node examples/node/quickstart.mjs
if [ -z "$have_python" ]; then skip python_quickstart "$no_python"
else quickstart python_quickstart "$python" examples/python/quickstart.py; fi
if [ -z "$have_php" ]; then skip php_quickstart "$no_php"
else quickstart php_quickstart php examples/php/quickstart.php; fi
if [ -n "$have_rust" ]; then quickstart rust_quickstart "$rust_bin/quickstart"
else skip rust_quickstart "examples/rust does not build offline here: $(head -1 "$work/rust-build.txt")"; fi

# One real delivery (the quick starts emitted several), then the variants.
for _ in $(seq 1 100); do [ -f "$work/deliveries/1.headers" ] && break; sleep 0.2; done
mkdir -p "$work/cases"
if [ ! -f "$work/deliveries/1.headers" ]; then
  echo "no webhook delivery reached the receiver (PUT answered: $(cat "$work/put.json"))" > "$work/cases.err"
  failed webhook_delivery "$work/cases.err"
elif ! node scripts/webhook-variants.mjs "$MID_WEBHOOK_SECRET" "$work/deliveries/1.headers" \
  "$work/deliveries/1.body" "$work/cases" > "$work/cases.err" 2>&1; then
  failed webhook_delivery "$work/cases.err"
else
  verifier() { # verifier LANG COMMAND...: every case judged right
    local lang=$1 case out; shift
    for case in genuine tampered_body body_signature header_signature stale_timestamp; do
      out="$work/$lang-$case.out"
      "$@" "$work/cases/$case.headers" "$work/cases/$case.body" > "$out" 2>&1
      local code=$? want=invalid exit_ok=""
      [ "$case" = genuine ] && want=valid
      if [ "$want" = valid ]; then [ "$code" = 0 ] && exit_ok=1; else [ "$code" != 0 ] && exit_ok=1; fi
      if [ "$(tail -1 "$out")" = "$want" ] && [ -n "$exit_ok" ]; then
        ok "${lang}_verify_$case"
      else
        echo "expected $want, exit $code" >> "$out"; failed "${lang}_verify_$case" "$out"
      fi
    done
  }
  verifier curl bash examples/curl/verify-webhook.sh
  verifier node node examples/node/verify-webhook.mjs
  if [ -z "$have_python" ]; then skip python_verify "$no_python"
  else verifier python "$python" examples/python/verify_webhook.py; fi
  if [ -z "$have_php" ]; then skip php_verify "$no_php"
  else verifier php php examples/php/verify-webhook.php; fi
  if [ -n "$have_rust" ]; then verifier rust "$rust_bin/verify_webhook"
  else skip rust_verify "examples/rust does not build offline here"; fi
fi

# The docs pages show these very files (scripts/build-docs-examples.mjs).
for page in quickstart webhooks; do
  if node - "$MID_BASE_URL/docs/examples/$page" "$page" > "$work/docs-$page.out" 2>&1 <<'JS'
const [url, page] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
const res = await fetch(url);
const html = await res.text();
if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
const files = html.match(/<code>examples\/[^<]+<\/code>/g) ?? [];
if (files.length !== 6) throw new Error(`${url}: ${files.length} examples shown, expected 6`);
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
for (const f of files) {
  const path = f.slice(6, -7);
  if (page === "quickstart" ? !/quickstart/.test(path) : !/verify/.test(path)) throw new Error(`${path} on the ${page} page`);
  if (!html.includes(esc(readFileSync(path, "utf8")))) throw new Error(`${url} does not show ${path} as it is`);
}
JS
  then ok "docs_page_$page"; else failed "docs_page_$page" "$work/docs-$page.out"; fi
done

# Syntax checks where the toolchain exists.
if command -v php >/dev/null; then
  for f in examples/php/*.php; do
    if php -l "$f" > "$work/php.out" 2>&1; then ok "php_lint_$(basename "$f" .php)"; else failed "php_lint_$(basename "$f" .php)" "$work/php.out"; fi
  done
else skip php_lint "php not found"; fi
if command -v go >/dev/null; then
  if [ -z "$(gofmt -l examples/go)" ] && (cd examples/go && go vet ./...) > "$work/go.out" 2>&1; then ok go_vet
  else gofmt -l examples/go >> "$work/go.out"; failed go_vet "$work/go.out"; fi
else skip go_vet "go not found"; fi

result=ok; [ "$fail" = 0 ] || result=FAILED
echo "test result: $result. $pass passed; $fail failed; $skipped ignored; 0 measured; 0 filtered out (examples)"
[ "$fail" = 0 ]
