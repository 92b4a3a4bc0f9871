// Every page and the SDK files carry the security headers (www/_headers for
// static files, worker/src/api/pages.rs for /a/<id>), checked on the wire.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api } from "./harness.mjs";

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

for (const path of ["/a/cons_0123456789abcdef", "/enroll", "/demo", "/console", "/console.js", "/docs/", "/docs/reference", "/docs/console", "/sdk/index.js", "/approve.js", "/style.css", "/"]) {
  test(`${path} carries the security headers`, async () => {
    const r = await api("GET", path);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("content-security-policy"), CSP);
    assert.equal(r.headers.get("referrer-policy"), "no-referrer");
    assert.equal(r.headers.get("x-frame-options"), "DENY");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.match(r.headers.get("permissions-policy"), /publickey-credentials-get=\(self\), publickey-credentials-create=\(self\)/);
  });
}

test("the SDK may be imported cross-origin; the pages are not CORS-readable", async () => {
  assert.equal((await api("GET", "/sdk/index.js")).headers.get("access-control-allow-origin"), "*");
  assert.equal((await api("GET", "/enroll")).headers.get("access-control-allow-origin"), null);
});

test("the approval page is never cached and the headers file is not served", async () => {
  assert.equal((await api("GET", "/a/cons_0123456789abcdef")).headers.get("cache-control"), "no-store");
  assert.equal((await api("GET", "/_headers")).status, 404);
});
