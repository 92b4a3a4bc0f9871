// A tiny webhook endpoint for scripts/test-examples.sh: answers 200 to every
// POST and saves each delivery as DIR/N.headers ("name: value" lines) and
// DIR/N.body (the exact bytes). Prints its port on stdout once listening.
// Usage: node scripts/webhook-receiver.mjs DIR
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";

const dir = process.argv[2];
let n = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    n += 1;
    const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}\n`).join("");
    // Body first: the headers file appearing marks the delivery complete.
    writeFileSync(`${dir}/${n}.body`, Buffer.concat(chunks));
    writeFileSync(`${dir}/${n}.headers`, headers);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
