// Verifies a MID webhook delivery with node:crypto (no dependencies): both the
// Standard Webhooks header signature and the body's "signature" member.
// Usage: MID_WEBHOOK_SECRET=whsec_... node verify-webhook.mjs HEADERS_FILE BODY_FILE
// (headers as "name: value" lines, the exact body bytes). Prints "valid" or "invalid".
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * In your server: `verify(secret, req.headers, rawBody)` with the raw body as
 * a Buffer, before any JSON parsing. Header names in lower case (as Node has them).
 */
export function verify(secret, headers, raw, now = Date.now() / 1000) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const hmac = (data) => createHmac("sha256", key).update(data).digest();
  const same = (a, b) => a.length === b.length && timingSafeEqual(a, b);
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  // Replay protection: at most 5 minutes away from now.
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > 300) return false;

  // 1. Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>"; any one of
  //    the space-separated "v1,<sig>" entries may match (secret rotation).
  const expected = hmac(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), raw]));
  const headerOk = signatures.split(" ").some((entry) => {
    const [version, sig] = entry.split(",");
    return version === "v1" && same(Buffer.from(sig ?? "", "base64"), expected);
  });
  if (!headerOk) return false;

  // 2. Body signature: hex HMAC of the body without its trailing
  //    ,"signature":"sha256=<hex>" member.
  const text = raw.toString("latin1"); // byte-for-byte
  const m = text.match(/,"signature":"sha256=([0-9a-f]{64})"}$/);
  if (!m) return false;
  const unsigned = Buffer.from(text.slice(0, m.index) + "}", "latin1");
  return same(hmac(unsigned), Buffer.from(m[1], "hex"));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const [headersFile, bodyFile] = process.argv.slice(2);
  const headers = {};
  for (const line of readFileSync(headersFile, "utf8").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const ok = verify(process.env.MID_WEBHOOK_SECRET ?? "", headers, readFileSync(bodyFile));
  console.log(ok ? "valid" : "invalid");
  process.exit(ok ? 0 : 1);
}
