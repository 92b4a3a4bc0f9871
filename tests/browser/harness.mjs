// Shared harness of the browser end-to-end tests: the worker under test
// (MID_BASE_URL, MID_ADMIN_TOKEN), API helpers, a local webhook receiver,
// Debian chromium through playwright-core, CDP virtual authenticators and
// screenshots under tests/.run/screenshots/.
import http from "node:http";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const BASE = (process.env.MID_BASE_URL || "").replace(/\/$/, "");
const ADMIN = process.env.MID_ADMIN_TOKEN || "";
if (!BASE || !ADMIN) throw new Error("MID_BASE_URL and MID_ADMIN_TOKEN must be set (scripts/test-browser.sh)");

// WebAuthn refuses IP-address origins and the local RP is RP_ID=localhost,
// RP_ORIGINS=http://localhost:8787. Chromium maps that origin onto the worker
// under test (--host-rules), so pages run on the real RP origin whatever port
// the worker has.
export const ORIGIN = "http://localhost:8787";
const workerHostPort = new URL(BASE).host;

/** An approval link as the worker prints it (PUBLIC_URL), opened on ORIGIN. */
export const onOrigin = (url) => { const u = new URL(url); return ORIGIN + u.pathname + u.search + u.hash; };

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHOTS = join(root, "tests", ".run", "screenshots");
mkdirSync(SHOTS, { recursive: true });

export async function api(method, path, { body, auth, client } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (client) headers["X-Client-ID"] = client;
  const r = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  return { status: r.status, json, headers: r.headers, text };
}

/** A partner (calls with its test key; its live key and `whsec_` kept) whose webhooks go to `hookUrl`. */
export async function createClient(name, hookUrl) {
  const r = await api("POST", "/clients", { auth: ADMIN, body: { name, ...(hookUrl ? { webhookUrl: hookUrl } : {}) } });
  if (r.status !== 201) throw new Error(`create client: ${r.status} ${r.text}`);
  const c = r.json;
  return {
    id: c.id, name: c.name, key: c.apiKeys.test, liveKey: c.apiKeys.live, webhookSecret: c.webhookSecret,
    call: (method, path, body) => api(method, path, { body, auth: c.apiKeys.test, client: c.id }),
  };
}

export async function designateDemo(clientId) {
  return api("PUT", "/demo/client", { auth: ADMIN, body: { clientId } });
}

/** A fresh Nigerian mobile number, so per-mobile limits never meet across runs. */
export function mobile() {
  return "+23480" + String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
}

/** The last OTP the sandbox sent to `to` for `partner`. */
export async function sandboxCode(partner, to) {
  for (let i = 0; i < 50; i++) {
    const r = await partner.call("GET", "/sandbox/messages?to=" + encodeURIComponent(to));
    const m = r.json && r.json.data && r.json.data[0];
    const code = m && /(\d{6})/.exec(m.body);
    if (code) return code[1];
    await sleep(100);
  }
  throw new Error("no sandbox SMS for " + to);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function eventually(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(100);
  }
}

/** A local webhook receiver (node:http): every event body it got. */
export async function webhookReceiver() {
  const events = [];
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (c) => { data += c; });
    req.on("end", () => {
      try { events.push(JSON.parse(data)); } catch (_) { /* ignore */ }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    events,
    find: (event, sessionId) => eventually(`${event} for ${sessionId}`,
      () => events.find((e) => e.event === event && e.data && (e.data.sessionId === sessionId || e.data.deviceId === sessionId))),
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--host-rules=MAP localhost:8787 ${workerHostPort}`],
  });
}

/**
 * A page playing "the phone": a small viewport and its own CDP virtual
 * authenticator (platform, resident keys, user verification).
 */
export async function phone(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { page, cdp, authenticatorId, context };
}

let shot = 0;
export async function screenshot(page, name) {
  shot += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
}

/** One element only (the docs' images are cut from these). */
export async function screenshotOf(locator, name) {
  shot += 1;
  await locator.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`) });
}

/**
 * Enrols `number` on `ph` through /enroll: the mobile step when `partner` is
 * the demo client (no enrollment id), else an enrollment the partner's server
 * started (`/enroll#e=<id>`). Returns the new device (register/complete answer).
 */
export async function enrollThroughPage(ph, partner, number, { viaMobileStep = false, label = "enroll" } = {}) {
  const { page } = ph;
  if (viaMobileStep) {
    await page.goto(ORIGIN + "/enroll");
    await page.locator("#mobile").fill(number);
    await screenshot(page, `${label}-mobile`);
    await page.locator("#mobile-step button").click();
  } else {
    const e = await partner.call("POST", "/enrollments", { mobile: number });
    if (e.status !== 201) throw new Error(`enrollment: ${e.status} ${e.text}`);
    await page.goto(`${ORIGIN}/enroll#e=${e.json.id}`);
  }
  await page.locator("#code").waitFor({ state: "visible" });
  const code = await sandboxCode(partner, number);
  await page.locator("#code").fill(code);
  await screenshot(page, `${label}-code`);
  await page.locator("#code-step button").click();
  await page.locator("#passkey-step button").waitFor({ state: "visible" });
  await page.locator("#device-name").fill(`${label} phone`);
  await screenshot(page, `${label}-passkey`);
  const done = page.waitForResponse((r) => r.url().endsWith("/fido/register/complete"));
  await page.locator("#passkey-step button").click();
  const device = await (await done).json();
  await page.locator("#done-step").waitFor({ state: "visible" });
  if (device.name !== `${label} phone`) throw new Error(`device name not kept: ${JSON.stringify(device)}`);
  await screenshot(page, `${label}-done`);
  return device;
}
