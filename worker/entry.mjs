// The worker's entry (wrangler.toml `main`): the module worker-build makes
// (build/index.js), with every Durable Object class made an RPC target.
//
// workerd offers JavaScript RPC only on classes deriving from `DurableObject`,
// and worker-build's module shim does not derive them (its emscripten shim
// does, the same way as here). `rpc(body)` hands a call's JSON text to the
// object's own `fetch`, so objects keep one entry (`rpc::serve` in Rust) and
// a worker-to-object call is no subrequest: no `Request`/`Response` pair on the
// caller's side, no streamed bodies, and under `wrangler dev` none of the four
// inspector `Network.*` events per subrequest that wrangler relays to its Node
// process (see worker/src/objects/rpc.rs and docs/benchmarks.md).
import { DurableObject } from "cloudflare:workers";
import * as built from "../build/index.js";

async function rpc(body) {
  const response = await this.fetch(
    new Request("https://do.internal/call", { method: "POST", body }),
  );
  return response.text();
}

for (const [name, cls] of Object.entries(built)) {
  if (name === "default" || typeof cls !== "function") continue;
  if (typeof cls.prototype?.fetch !== "function") continue; // not a Durable Object
  Object.setPrototypeOf(cls.prototype, DurableObject.prototype);
  Object.setPrototypeOf(cls, DurableObject);
  Object.defineProperty(cls.prototype, "rpc", { value: rpc, writable: false });
}

export * from "../build/index.js";
export { default } from "../build/index.js";
