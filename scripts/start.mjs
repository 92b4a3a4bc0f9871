// `npm start`: build, run MID under `wrangler dev` on http://127.0.0.1:8787
// with state kept in .wrangler/state, create a demo client on first run, and
// print what a newcomer needs (client id, test key, webhook secret, curl).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 8787);
const base = `http://127.0.0.1:${port}`;
// Pages people open use localhost: WebAuthn refuses IP-address origins, and
// RP_ID is "localhost" locally.
const pages = `http://localhost:${port}`;
const demoFile = join(root, ".wrangler", "mid-demo.json");
const log = (m) => console.error(`start: ${m}`);

function devVar(name) {
  const line = readFileSync(join(root, ".dev.vars"), "utf8").split("\n").find((l) => l.startsWith(`${name}=`));
  return line ? line.slice(name.length + 1).trim() : "";
}

log("building the worker (first build takes a few minutes)…");
const build = spawnSync("bash", ["scripts/build-worker.sh"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

log(`starting wrangler dev on ${base} (state in .wrangler/state)…`);
const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", ".wrangler/state",
   "--show-interactive-dev-session=false", "--var", `PUBLIC_URL:${pages}`],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"], detached: true,
    // No `Request.cf` download from the internet (offline it prints a getaddrinfo stack).
    env: { ...process.env, MID_SKIP_BUILD: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);
const stop = () => { try { process.kill(-wrangler.pid, "SIGTERM"); } catch {} process.exit(0); };
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => process.exit(code ?? 1));

async function healthy() {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/health`)).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("the worker did not start");
}

async function demoClient() {
  const admin = devVar("ADMIN_TOKEN");
  if (existsSync(demoFile)) {
    const demo = JSON.parse(readFileSync(demoFile, "utf8"));
    const r = await fetch(`${base}/clients/${demo.id}`, { headers: { Authorization: `Bearer ${admin}` } });
    if (r.ok) return demo;
    log("the saved demo client is gone (state was reset); creating a new one");
  }
  const r = await fetch(`${base}/clients`, {
    method: "POST",
    headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "MID Demo Shop" }),
  });
  if (r.status !== 201) throw new Error(`creating the demo client failed: ${r.status} ${await r.text()}`);
  const c = await r.json();
  // Local convenience only: .wrangler/ is git-ignored and holds local state anyway.
  const demo = { id: c.id, testKey: c.apiKeys.test, liveKey: c.apiKeys.live, webhookSecret: c.webhookSecret };
  mkdirSync(dirname(demoFile), { recursive: true });
  writeFileSync(demoFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

// The keyless sandbox demo (/demo, /enroll) acts as this client, test mode only.
async function enableDemo(demo) {
  const r = await fetch(`${base}/demo/client`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${devVar("ADMIN_TOKEN")}`, "Content-Type": "application/json" },
    body: JSON.stringify({ clientId: demo.id }),
  });
  if (!r.ok) throw new Error(`enabling the demo failed: ${r.status} ${await r.text()}`);
}

try {
  await healthy();
  const demo = await demoClient();
  await enableDemo(demo);
  const auth = `-H "Authorization: Bearer ${demo.testKey}" -H "X-Client-ID: ${demo.id}"`;
  console.log(`
MID is running on ${base}

  client id       ${demo.id}
  test API key    ${demo.testKey}
  webhook secret  ${demo.webhookSecret}
  operator token  ADMIN_TOKEN in .dev.vars

Create a consent:
  curl -s ${base}/consents/auth ${auth} -H "Content-Type: application/json" \\
    -d '{"recipient":"08031234567","intent":"login","message":"Log in to MID Demo Shop"}'

Then open its qr.url or GET ${base}/consents/qr/svg/<id> (same headers), approve it as the phone would:
  curl -s -X POST ${base}/sandbox/consents/<id>/approve ${auth}

Try the whole flow in a browser (sandbox): ${pages}/demo
  (a second window plays the phone: ${pages}/enroll, then the QR's link)

Sandbox console (paste the test key and client id above): ${pages}/console

Docs: ${base}/docs/   ·   Stop: Ctrl-C
`);
} catch (e) {
  log(e.message);
  stop();
}
