// Makes the cases the webhook verifiers of examples/ must judge, from one real
// delivery (HEADERS, BODY) signed with SECRET (whsec_...). Writes OUT/<case>.headers
// and OUT/<case>.body for: genuine (valid), and invalid ones that each break one
// check: tampered_body (body changed, nothing re-signed), body_signature (headers
// re-signed over a changed body, so only the body "signature" is stale),
// header_signature (webhook-id changed, body intact), stale_timestamp (both
// signatures valid but 10 minutes old).
// Usage: node scripts/webhook-variants.mjs SECRET HEADERS BODY OUT
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const [secret, headersFile, bodyFile, out] = process.argv.slice(2);
const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
const body = readFileSync(bodyFile);
const headers = {};
for (const line of readFileSync(headersFile, "utf8").split("\n")) {
  const i = line.indexOf(":");
  if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
}
for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
  if (!headers[h]) throw new Error(`the delivery has no ${h} header`);
}
const hmac = (data) => createHmac("sha256", key).update(data);
const headerSig = (id, ts, b) => "v1," + hmac(Buffer.concat([Buffer.from(`${id}.${ts}.`), b])).digest("base64");
const bodySigned = (unsigned) => {
  const s = unsigned.toString("utf8");
  return Buffer.from(`${s.slice(0, -1)},"signature":"sha256=${hmac(unsigned).digest("hex")}"}`);
};
const unsigned = Buffer.from(body.toString("utf8").replace(/,"signature":"sha256=[0-9a-f]{64}"}$/, "}"));
if (!bodySigned(unsigned).equals(body)) throw new Error("the delivery's body signature is not as DESIGN.md describes");
// The same body with one field changed (still well-formed JSON).
const changed = Buffer.from(body.toString("utf8").replace(/"recipient":"\+(\d)/, '"recipient":"+9'));
if (changed.equals(body)) throw new Error("the delivery has no recipient to tamper with");

const write = (name, h, b) => {
  writeFileSync(`${out}/${name}.headers`, Object.entries(h).map(([k, v]) => `${k}: ${v}\n`).join(""));
  writeFileSync(`${out}/${name}.body`, b);
};
const id = headers["webhook-id"];
const ts = headers["webhook-timestamp"];
write("genuine", headers, body);
write("tampered_body", headers, changed);
write("body_signature", { ...headers, "webhook-signature": headerSig(id, ts, changed) }, changed);
const otherId = id.slice(0, -1) + (id.endsWith("a") ? "b" : "a");
write("header_signature", { ...headers, "webhook-id": otherId }, body);
const old = String(Math.floor(Date.now() / 1000) - 600);
write("stale_timestamp", { ...headers, "webhook-timestamp": old, "webhook-signature": headerSig(id, old, body) }, body);
