// `npm run soak`: the load-and-fault run of issue 8 (not part of `npm test`).
//
// Starts its own `wrangler dev` on a fresh state dir, a local webhook receiver
// that fails SOAK_FAIL_PCT % of requests at random, creates a few partner
// clients, and drives SOAK_CONSENTS consents with sandbox decisions while
// killing and restarting `wrangler dev` SOAK_RESTARTS times. Then it waits
// until every event was delivered and checks the delivery invariants:
//   - every consent.created and terminal event delivered at least once;
//   - no consent with two different terminal events, no terminal event
//     delivered under two different event ids;
//   - no 5xx (nor connection error) outside the restart windows;
//   - every Standard Webhooks signature (and body signature) verifies;
//   - the outbox storage is back to its pruned size (<= 500 finished
//     deliveries per client and mode, nothing pending), and no seen-marker
//     is kept past its expiry (with SOAK_WAIT_MARKERS=1 the run outlives the
//     retry horizon and none may be left).
// Prints a summary table; exits 1 if an invariant fails, 2 on the hard stop.
//
// Settings (env): SOAK_CONSENTS (2000), SOAK_CONCURRENCY (16), SOAK_FAIL_PCT
// (30), SOAK_CLIENTS (4), SOAK_RESTARTS (2), SOAK_RETRY_BASE_MS (20),
// SOAK_DRAIN_SECONDS (360), SOAK_SETTLE_SECONDS (60), SOAK_WAIT_MARKERS=1,
// SOAK_MAX_MINUTES (30), SOAK_SKIP_BUILD=1.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createServer as netServer } from "node:net";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, closeSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const CONSENTS = num("SOAK_CONSENTS", 2000);
const CONCURRENCY = Math.max(1, num("SOAK_CONCURRENCY", 16));
const FAIL_PCT = num("SOAK_FAIL_PCT", 30);
const CLIENTS = Math.max(1, num("SOAK_CLIENTS", 4));
const RESTARTS = num("SOAK_RESTARTS", 2);
// 20 ms puts the outbox's whole retry horizon (10 attempts, 4x backoff capped at
// 4320 x base) at ~282 s, inside the drain window: an event still missing at
// the end was given up or lost, not merely waiting for its next attempt.
const RETRY_BASE_MS = Math.max(1, num("SOAK_RETRY_BASE_MS", 20));
const DRAIN_SECONDS = num("SOAK_DRAIN_SECONDS", 360);
/// After the drain, how long to wait for the outboxes to go quiet (their last alarm prunes).
const SETTLE_SECONDS = num("SOAK_SETTLE_SECONDS", 60);
/// `1`: also wait out the seen-markers' retry horizon and check they are gone.
const WAIT_MARKERS = process.env.SOAK_WAIT_MARKERS === "1";
/// The outbox sweeps expired seen-markers on this grid (domain::delivery::MARKER_SWEEP_MS).
const MARKER_SWEEP_MS = 60_000;
const MAX_MINUTES = num("SOAK_MAX_MINUTES", 30);
/// After the worker is healthy again, failures still count as "during restart" this long.
const RESTART_GRACE_MS = 3000;
/// The outbox contract: newest finished deliveries kept per client and mode.
const PRUNED_KEEP = 500;
const TERMINAL = ["consent.approved", "consent.rejected", "consent.expired"];

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
const say = (m) => console.log(`soak [${secs()}s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- wrangler dev

const runId = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
const runDir = join(root, "tests/.run");
const persist = join(runDir, `soak-${runId}`);
const logFile = join(runDir, `soak-${runId}.log`);
const admin = `soak-admin-${randomBytes(12).toString("hex")}`;
const sealingKey = randomBytes(32).toString("base64url");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = netServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/// `pid` and all its descendants, from /proc/<pid>/stat parent links
/// (process groups cannot be signalled reliably on this machine).
function descendants(pid) {
  const parentOf = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/)[1]);
      parentOf.push([Number(name), ppid]);
    } catch {}
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [c, p] of parentOf) if (p === out[i]) out.push(c);
  }
  return out;
}

const worker = { port: 0, base: "", child: null, pids: [] };

function logLine(text) {
  const fd = openSync(logFile, "a");
  writeSync(fd, `\n===== soak ${new Date().toISOString()}: ${text} =====\n`);
  closeSync(fd);
}

async function startWorker() {
  if (!worker.port) {
    worker.port = await freePort();
    worker.base = `http://127.0.0.1:${worker.port}`;
  }
  const inspector = await freePort();
  logLine(`starting wrangler dev on ${worker.base}`);
  const fd = openSync(logFile, "a");
  const vars = {
    ADMIN_TOKEN: admin,
    SEALING_KEY: sealingKey,
    PUBLIC_URL: worker.base,
    WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
    ALLOW_PRIVATE_WEBHOOK_URLS: "true",
  };
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(worker.port), "--inspector-port", String(inspector),
    "--persist-to", persist, "--show-interactive-dev-session=false"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  worker.child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root, detached: true, stdio: ["ignore", fd, fd],
    env: { ...process.env, MID_SKIP_BUILD: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  closeSync(fd);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (worker.child.exitCode !== null) throw new Error(`wrangler dev exited (${worker.child.exitCode}); see ${logFile}`);
    try {
      const r = await fetch(`${worker.base}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`the worker did not become healthy; see ${logFile}`);
}

async function stopWorker() {
  const child = worker.child;
  if (!child) return;
  worker.child = null;
  const pids = descendants(child.pid);
  for (const pid of pids) {
    try { process.kill(pid, "SIGKILL"); } catch {}
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && pids.some((p) => existsSync(`/proc/${p}/stat`) && !zombie(p))) await sleep(100);
  logLine(`killed wrangler dev (pids ${pids.join(" ")})`);
}

function zombie(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 1).trim().startsWith("Z");
  } catch { return true; }
}

// ------------------------------------------------------------- webhook receiver

const secrets = new Map(); // clientId -> HMAC key bytes
const recv = {
  hits: 0, lastHitAt: 0, failedOnPurpose: 0, delivered: 0, badSignature: 0, badBodySignature: 0, unparsable: 0,
  byEventId: new Map(), // evt id -> {event, sessionId, status, count}
  byConsent: new Map(), // sessionId -> Map(event name -> Set(evt ids))
};

function validStandardSignature(key, id, ts, raw, header) {
  const expected = createHmac("sha256", key).update(`${id}.${ts}.`).update(raw).digest();
  return (header || "").split(" ").some((part) => {
    const [version, b64] = part.split(",");
    if (version !== "v1" || !b64) return false;
    const got = Buffer.from(b64, "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

function validBodySignature(key, text) {
  const m = text.match(/,"signature":"sha256=([0-9a-f]{64})"/);
  if (!m) return false;
  const signed = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  const expected = createHmac("sha256", key).update(signed).digest();
  return timingSafeEqual(Buffer.from(m[1], "hex"), expected);
}

function onWebhook(req, res) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    recv.hits++;
    recv.lastHitAt = Date.now();
    if (Math.random() * 100 < FAIL_PCT) {
      recv.failedOnPurpose++;
      res.writeHead(500).end("soak: failing on purpose");
      return;
    }
    const raw = Buffer.concat(chunks);
    const text = raw.toString("utf8");
    let body;
    try { body = JSON.parse(text); } catch { recv.unparsable++; res.writeHead(400).end(); return; }
    const id = req.headers["webhook-id"];
    const key = secrets.get(body?.data?.clientId);
    if (!key || !validStandardSignature(key, id, req.headers["webhook-timestamp"], raw, req.headers["webhook-signature"])) {
      recv.badSignature++;
    }
    if (!key || !validBodySignature(key, text)) recv.badBodySignature++;
    recv.delivered++;
    const sessionId = body?.data?.sessionId;
    const seen = recv.byEventId.get(id);
    if (seen) seen.count++;
    else recv.byEventId.set(id, { event: body.event, sessionId, recipient: body?.data?.recipient, status: body?.data?.status, count: 1, firstAt: Date.now() });
    if (sessionId) {
      if (!recv.byConsent.has(sessionId)) recv.byConsent.set(sessionId, new Map());
      const events = recv.byConsent.get(sessionId);
      if (!events.has(body.event)) events.set(body.event, new Set());
      events.get(body.event).add(id);
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
  });
}

// --------------------------------------------------------------- HTTP to MID

const restarts = []; // {start, end}
let restarting = false;
const counts = {
  requests: 0, ok: 0, http429: 0, failDuringRestart: 0, http5xxOutside: 0, netErrOutside: 0,
  unexpected: 0, idempotencyWaits: 0,
};
const unexpectedSamples = [];
const outsideSamples = [];

function duringRestart(at) {
  if (restarting) return true;
  return restarts.some((w) => at >= w.start && at <= (w.end ?? Infinity) + RESTART_GRACE_MS);
}

/// One request, retried through restarts, 5xx, 429 and idempotency waits.
/// Returns the final {status, json} (2xx or a 4xx the caller handles).
async function call(method, path, { bearer, clientId, body, headers = {}, accept = [] } = {}) {
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > hardStopAt) throw new Error("hard stop");
    counts.requests++;
    const h = { ...headers };
    if (bearer) h.Authorization = `Bearer ${bearer}`;
    if (clientId) h["X-Client-ID"] = clientId;
    if (body !== undefined) h["Content-Type"] = "application/json";
    let status; let json = null; let failure = null;
    try {
      const r = await fetch(`${worker.base}${path}`, {
        method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      status = r.status;
      const text = await r.text();
      try { json = JSON.parse(text); } catch { json = { raw: text.slice(0, 200) }; }
      if (status === 429) {
        counts.http429++;
        await sleep(Math.min(5, Number(r.headers.get("retry-after") || 1)) * 1000);
        continue;
      }
      if (status < 500) {
        if (status < 300 || accept.includes(status)) { counts.ok++; return { status, json }; }
        if (status === 409 && /still in progress/.test(json?.error?.message || "")) {
          counts.idempotencyWaits++;
          await sleep(1000);
          continue;
        }
        counts.unexpected++;
        if (unexpectedSamples.length < 10) unexpectedSamples.push(`${method} ${path} -> ${status} ${JSON.stringify(json)}`);
        return { status, json };
      }
      failure = `${status} ${JSON.stringify(json).slice(0, 200)}`;
    } catch (e) {
      failure = `network: ${e.cause?.code || e.name || e.message}`;
    }
    const at = Date.now();
    if (duringRestart(at)) counts.failDuringRestart++;
    else {
      if (failure.startsWith("network")) counts.netErrOutside++;
      else counts.http5xxOutside++;
      if (outsideSamples.length < 10) outsideSamples.push(`${new Date(at).toISOString()} ${method} ${path} -> ${failure}`);
    }
    await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
  }
}

// ---------------------------------------------------------------------- run

const hardStopAt = t0 + MAX_MINUTES * 60_000;
const clients = [];
const consents = []; // {i, id, client, wanted, final}
let receiver;

async function cleanup() {
  await stopWorker();
  receiver?.close();
}

setTimeout(async () => {
  console.error(`soak: hard stop after ${MAX_MINUTES} min`);
  await cleanup();
  process.exit(2);
}, MAX_MINUTES * 60_000).unref();
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, async () => { await cleanup(); process.exit(130); });

async function createClients() {
  for (let n = 0; n < CLIENTS; n++) {
    const r = await call("POST", "/clients", {
      bearer: admin, body: { name: `Soak Shop ${n + 1}`, webhookUrl: `${receiverUrl}/hook/${n + 1}` },
    });
    if (r.status !== 201) throw new Error(`creating a client failed: ${r.status} ${JSON.stringify(r.json)}`);
    const c = r.json;
    secrets.set(c.id, Buffer.from(c.webhookSecret.slice("whsec_".length), "base64"));
    const p = await call("PUT", `/clients/${c.id}`, { bearer: admin, body: { plan: "enterprise" } });
    if (p.status !== 200 || p.json.plan !== "enterprise") {
      throw new Error(`setting the plan failed: ${p.status} ${JSON.stringify(p.json)}`);
    }
    clients.push({ id: c.id, testKey: c.apiKeys.test });
  }
}

const ACTIONS = ["approve", "approve", "reject", "expire"];
const STATUS_OF = { approve: "approved", reject: "rejected", expire: "expired" };
let done = 0; let created = 0;

async function oneConsent(i) {
  const client = clients[i % clients.length];
  const auth = { bearer: client.testKey, clientId: client.id };
  const recipient = `+2348031${String(i).padStart(6, "0")}`;
  const r = await call("POST", "/consents/auth", {
    ...auth,
    headers: { "Idempotency-Key": `soak-${runId}-${i}` },
    body: { recipient, intent: "login", message: `Soak consent ${i}`, expiresIn: 600 },
  });
  if (r.status !== 201) return;
  created++;
  const wanted = ACTIONS[i % ACTIONS.length];
  const c = { i, id: r.json.id, client, recipient, wanted, final: null };
  consents.push(c);
  const d = await call("POST", `/sandbox/consents/${c.id}/${wanted}`, { ...auth, accept: [409, 410] });
  if (d.status === 200) c.final = d.json.status;
  else if (d.status === 409 || d.status === 410) {
    // A decision that went through just before a kill answers 409 (decided) or
    // 410 (expired) on retry: read what it became.
    const g = await call("GET", `/consents/${c.id}`, auth);
    c.final = g.json?.status;
  }
  done++;
}

async function restartWorker(k) {
  restarting = true;
  const w = { start: Date.now(), end: null };
  restarts.push(w);
  say(`restart ${k}: killing wrangler dev`);
  await stopWorker();
  await startWorker();
  w.end = Date.now();
  restarting = false;
  say(`restart ${k}: healthy again after ${((w.end - w.start) / 1000).toFixed(1)} s`);
}

function progress(phase) {
  const events = [...recv.byEventId.values()];
  say(`${phase}: created ${created}/${CONSENTS}, decided ${done}, webhook hits ${recv.hits} ` +
    `(${recv.failedOnPurpose} failed on purpose), distinct events delivered ${events.length}, ` +
    `restarts ${restarts.length}/${RESTARTS}, 5xx/errors outside restarts ${counts.http5xxOutside + counts.netErrOutside}`);
}

let receiverUrl;
async function main() {
  if (process.env.SOAK_SKIP_BUILD !== "1") {
    say("building the worker…");
    const b = spawnSync("bash", ["scripts/build-worker.sh"], { cwd: root, stdio: "inherit" });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  mkdirSync(runDir, { recursive: true });
  rmSync(persist, { recursive: true, force: true });
  mkdirSync(persist, { recursive: true });

  receiver = createServer(onWebhook);
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}`;
  say(`receiver on ${receiverUrl} failing ${FAIL_PCT} % at random; state ${persist}; log ${logFile}`);

  await startWorker();
  say(`worker on ${worker.base}; ${CONSENTS} consents, ${CLIENTS} clients, ${CONCURRENCY} in flight, ${RESTARTS} restarts`);
  await createClients();

  const loadStart = Date.now();
  const ticker = setInterval(() => progress("load"), 5000);
  let next = 0;
  const restartAt = Array.from({ length: RESTARTS }, (_, k) => Math.floor((CONSENTS * (k + 1)) / (RESTARTS + 1)));
  let restartJob = Promise.resolve();
  const lanes = Array.from({ length: CONCURRENCY }, async () => {
    while (next < CONSENTS) {
      const i = next++;
      if (restartAt.length && i >= restartAt[0] && !restarting) {
        const k = RESTARTS - restartAt.length + 1;
        restartAt.shift();
        restartJob = restartWorker(k);
      }
      await oneConsent(i);
    }
  });
  await Promise.all(lanes);
  await restartJob;
  clearInterval(ticker);
  const loadEnd = Date.now();
  progress("load done");

  // Drain: wait until every expected event arrived (bounded).
  const drainStart = Date.now();
  const drainDeadline = Math.min(hardStopAt - 60_000, drainStart + DRAIN_SECONDS * 1000);
  let missing = missingEvents();
  while (missing.length && Date.now() < drainDeadline) {
    await sleep(2000);
    missing = missingEvents();
    if ((Date.now() - drainStart) % 10_000 < 2000) {
      say(`drain: ${missing.length} expected events not delivered yet`);
      // A partner request wakes the client's outbox (local workerd reloads alarms lazily).
      for (const c of clients) await call("GET", "/webhooks/deliveries?limit=1", { bearer: c.testKey, clientId: c.id });
    }
  }
  const drainSecs = (Date.now() - drainStart) / 1000;
  say(`drain finished after ${drainSecs.toFixed(0)} s, ${missing.length} events missing`);

  // The partners' view of their outboxes (newest 100 per client).
  const outboxApi = await deliveriesApi();

  // The alarm that records the last outcomes prunes: wait (bounded) until the
  // receiver has been quiet a while and no client lists a pending delivery.
  const settleStart = Date.now();
  const settleDeadline = Math.min(hardStopAt - 60_000, settleStart + SETTLE_SECONDS * 1000);
  while (Date.now() < settleDeadline) {
    const pending = outboxApi.reduce((n, o) => n + o.pending, 0);
    if (pending === 0 && Date.now() - recv.lastHitAt > 5000) break;
    await sleep(2000);
    outboxApi.splice(0, outboxApi.length, ...(await deliveriesApi()));
  }
  const settleSecs = (Date.now() - settleStart) / 1000;

  // Optionally outlive the seen-markers' retry horizon (the outbox must drop
  // them with no new event): the last marker expires `horizon` after the last event.
  let markerWaitSecs = 0;
  if (WAIT_MARKERS) {
    const until = Math.min(hardStopAt - 60_000, lastEventAt() + retryHorizonMs() + MARKER_SWEEP_MS + 10_000);
    say(`waiting ${((until - Date.now()) / 1000).toFixed(0)} s for the seen-markers to expire`);
    const start = Date.now();
    while (Date.now() < until) await sleep(2000);
    markerWaitSecs = (Date.now() - start) / 1000;
  }

  await stopWorker();
  receiver.close();
  const stoppedAt = Date.now();
  const storage = outboxStorage(stoppedAt);
  report({ loadStart, loadEnd, drainSecs, settleSecs, markerWaitSecs, missing, outboxApi, storage });
}

async function deliveriesApi() {
  const out = [];
  for (const c of clients) {
    const r = await call("GET", "/webhooks/deliveries?limit=100", { bearer: c.testKey, clientId: c.id });
    const tally = { pending: 0, delivered: 0, failed: 0 };
    let shapeOk = r.json?.object === "list" && Array.isArray(r.json?.data) && typeof r.json?.hasMore === "boolean";
    for (const d of r.json?.data ?? []) tally[d.status] = (tally[d.status] ?? 0) + 1;
    out.push({ client: c.id, ...tally, listed: r.json?.data?.length ?? 0, hasMore: r.json?.hasMore, shapeOk });
  }
  return out;
}

/// When the last event was created: the consents' decisions ended with the load.
function lastEventAt() {
  return Math.max(0, ...[...recv.byEventId.values()].map((e) => e.firstAt));
}

/// The outbox's retry horizon (domain::delivery::retry_horizon_ms): every
/// backoff delay plus every attempt's 10 s timeout; seen-markers live this long.
function retryHorizonMs() {
  let sum = 0;
  for (let n = 1; n < 10; n++) sum += Math.min(RETRY_BASE_MS * 4 ** (n - 1), RETRY_BASE_MS * 4320);
  return sum + 10 * 10_000;
}

/// Expected events not delivered: `created` and the final terminal event of each consent.
function missingEvents() {
  const out = [];
  for (const c of consents) {
    const got = recv.byConsent.get(c.id);
    if (!got?.has("consent.created")) out.push(`${c.id} consent.created`);
    const terminal = c.final ? `consent.${c.final}` : null;
    if (!terminal || !TERMINAL.includes(terminal)) out.push(`${c.id} terminal (final status ${c.final})`);
    else if (!got?.has(terminal)) out.push(`${c.id} ${terminal}`);
  }
  return out;
}

/// Rows in each WebhookOutbox object's SQLite file (tables `delivery` and
/// `seen_event` of objects/outbox_store.rs), read after wrangler stopped at `stoppedAt`.
function outboxStorage(stoppedAt) {
  const doDir = join(persist, "v3/do");
  if (!existsSync(doDir)) return { error: `no ${doDir}` };
  const dirs = readdirSync(doDir).filter((d) => /WebhookOutbox/.test(d));
  const rows = [];
  for (const d of dirs) {
    for (const f of readdirSync(join(doDir, d)).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
      const q = (sql) => execFileSync("sqlite3", ["-readonly", join(doDir, d, f), sql], { encoding: "utf8" }).trim();
      try {
        const tables = q("select name from sqlite_master where type='table' and name not like '\\_%' escape '\\'").split("\n");
        if (!tables.includes("delivery") || !tables.includes("seen_event")) {
          rows.push({ file: f, error: `tables: ${tables.join(",")}` });
          continue;
        }
        rows.push({
          file: f,
          client: (tables.includes("kv") && q("select json_extract(v,'$') from kv where k='client'")) || "?",
          pending: Number(q("select count(*) from delivery where finished = 0")),
          finished: Number(q("select count(*) from delivery where finished = 1")),
          markers: Number(q("select count(*) from seen_event")),
          // Markers kept longer than the sweep grid past their expiry: not expiring.
          overdueMarkers: Number(q(`select count(*) from seen_event where expires_at + ${MARKER_SWEEP_MS + 10_000} < ${stoppedAt}`)),
          markersExpireBy: Number(q("select coalesce(max(expires_at), 0) from seen_event")),
          // Two stored deliveries of one event: a racing enqueue (issue 8 item 8), not a retry.
          sharedEventIds: Number(q("select count(*) from (select event_id from delivery group by 1 having count(*) > 1)")),
          totalRows: tables.reduce((n, t) => n + Number(q(`select count(*) from "${t}"`)), 0),
        });
      } catch (e) {
        rows.push({ file: f, error: String(e.message).split("\n")[0] });
      }
    }
  }
  return { rows };
}

function report({ loadStart, loadEnd, drainSecs, settleSecs, markerWaitSecs, missing, outboxApi, storage }) {
  const decided = consents.filter((c) => c.final && c.final !== "pending" && c.final !== "scanned");
  const byFinal = {};
  for (const c of consents) byFinal[c.final] = (byFinal[c.final] ?? 0) + 1;
  const mismatched = consents.filter((c) => c.final !== STATUS_OF[c.wanted]).length;
  const ours = new Set(consents.map((c) => c.id));
  let conflicting = 0; let dupIds = 0; let unknown = 0;
  const orphans = [];
  for (const [sid, events] of recv.byConsent) {
    if (!ours.has(sid)) {
      // A consent the API never answered with: the same Idempotency-Key made a second one.
      unknown++;
      const created = [...recv.byEventId.entries()].find(([, e]) => e.sessionId === sid && e.event === "consent.created");
      const twin = consents.find((c) => c.recipient === created?.[1].recipient);
      if (orphans.length < 10) {
        orphans.push(`${sid} (recipient ${created?.[1].recipient}, created event ${created?.[0]} received at ` +
          `${created ? new Date(created[1].firstAt).toISOString() : "?"}); the script's consent for that key: ${twin?.id}`);
      }
      continue;
    }
    const terminals = TERMINAL.filter((t) => events.has(t));
    if (terminals.length > 1) conflicting++;
    for (const t of terminals) if (events.get(t).size > 1) dupIds++;
    if ((events.get("consent.created")?.size ?? 0) > 1) dupIds++;
  }
  const redeliveries = [...recv.byEventId.values()].filter((e) => e.count > 1);
  // A 200 that reached us just before a kill may not have been recorded: a legitimate redelivery.
  const nearKill = redeliveries.filter((e) => restarts.some((w) => e.firstAt >= w.start - 15_000 && e.firstAt <= w.end)).length;
  const expected = consents.length * 2;
  const loadSecs = (loadEnd - loadStart) / 1000;
  const totalSecs = (Date.now() - t0) / 1000;
  const storageRows = storage.rows ?? [];
  const prunedOk = !storage.error && storageRows.length > 0 &&
    storageRows.every((r) => !r.error && r.pending === 0 && r.finished <= PRUNED_KEEP);
  const markersOk = !storage.error && storageRows.length > 0 &&
    storageRows.every((r) => !r.error && r.overdueMarkers === 0 && (!WAIT_MARKERS || r.markers === 0));

  const checks = [
    ["all consents created", consents.length === CONSENTS, `${consents.length}/${CONSENTS}`],
    ["all consents decided", decided.length === consents.length, `${decided.length}/${consents.length}`],
    ["every expected event delivered", missing.length === 0, `${expected - missing.length}/${expected}`],
    ["no consent with two terminal events", conflicting === 0, conflicting],
    ["no event delivered under two ids", dupIds === 0, dupIds],
    ["no 5xx outside restarts", counts.http5xxOutside === 0, counts.http5xxOutside],
    ["no connection errors outside restarts", counts.netErrOutside === 0, counts.netErrOutside],
    ["no unexpected 4xx", counts.unexpected === 0, counts.unexpected],
    ["one consent per Idempotency-Key", unknown === 0, `${unknown} extra`],
    ["no bad signatures", recv.badSignature + recv.badBodySignature === 0,
      `${recv.badSignature} header, ${recv.badBodySignature} body`],
    [`outbox storage pruned (<= ${PRUNED_KEEP} finished, 0 pending)`, prunedOk,
      storage.error ?? storageRows.map((r) => r.error ?? `${r.finished}+${r.pending}p`).join(" ")],
    [WAIT_MARKERS ? "seen-markers gone after the retry horizon" : "no seen-marker kept past its expiry",
      markersOk, storage.error ?? storageRows.map((r) => r.error ?? `${r.markers} (${r.overdueMarkers} overdue)`).join(" ")],
  ];
  const figures = [
    ["consents", `${consents.length} (${Object.entries(byFinal).map(([k, v]) => `${k} ${v}`).join(", ")})`],
    ["decision differs from the one asked", `${mismatched}`],
    ["clients", `${clients.length} (plan enterprise)`],
    ["events expected / delivered", `${expected} / ${expected - missing.length}`],
    ["distinct event ids received", `${recv.byEventId.size}`],
    ["events for consents the script never saw", `${recv.byConsent.size - [...recv.byConsent.keys()].filter((k) => ours.has(k)).length}`],
    ["webhook requests (failed on purpose)", `${recv.hits} (${recv.failedOnPurpose})`],
    ["events redelivered with the same id", `${redeliveries.length} (${nearKill} first received <= 15 s before a kill)`],
    ["duplicates with different ids", `${dupIds}`],
    ["API requests / 429 / idempotency waits", `${counts.requests} / ${counts.http429} / ${counts.idempotencyWaits}`],
    ["failures during restarts (retried)", `${counts.failDuringRestart}`],
    ["5xx / connection errors outside restarts", `${counts.http5xxOutside} / ${counts.netErrOutside}`],
    ["bad signatures (header / body)", `${recv.badSignature} / ${recv.badBodySignature}`],
    ["restarts (downtime s)", `${restarts.length} (${restarts.map((w) => ((w.end - w.start) / 1000).toFixed(1)).join(", ")})`],
    ["load phase", `${loadSecs.toFixed(0)} s, ${(consents.length / loadSecs).toFixed(1)} consents/s created+decided`],
    ["drain (until all events delivered)", `${drainSecs.toFixed(0)} s`],
    ["settle (outboxes quiet, nothing pending)", `${settleSecs.toFixed(0)} s`],
    ["wait for the seen-markers' horizon", WAIT_MARKERS ? `${markerWaitSecs.toFixed(0)} s (horizon ${(retryHorizonMs() / 1000).toFixed(0)} s)` : "not asked (SOAK_WAIT_MARKERS=1)"],
    ["total duration", `${totalSecs.toFixed(0)} s`],
  ];
  for (const o of outboxApi) {
    figures.push([`deliveries API ${o.client}`,
      `newest ${o.listed}: ${o.delivered} delivered, ${o.pending} pending, ${o.failed} failed, hasMore ${o.hasMore}${o.shapeOk ? "" : " (BAD SHAPE)"}`]);
  }
  for (const r of storageRows) {
    figures.push([`outbox storage ${r.client ?? r.file}`, r.error ??
      `${r.finished} finished + ${r.pending} pending deliveries, ${r.markers} seen-markers ` +
      `(latest expiry ${r.markersExpireBy ? new Date(r.markersExpireBy).toISOString() : "-"}), ` +
      `${r.sharedEventIds} event ids with two deliveries, ${r.totalRows} rows`]);
  }
  const w = Math.max(...figures.map(([k]) => k.length), ...checks.map(([k]) => k.length));
  console.log("\n== soak summary ==");
  for (const [k, v] of figures) console.log(`${k.padEnd(w)}  ${v}`);
  console.log("\n== invariants ==");
  for (const [k, ok, v] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${k.padEnd(w)}  ${v}`);
  if (missing.length) console.log(`\nmissing (first 10): ${missing.slice(0, 10).join("; ")}`);
  if (orphans.length) console.log(`\nconsents created twice for one Idempotency-Key (first 10):\n  ${orphans.join("\n  ")}`);
  if (outsideSamples.length) console.log(`\nfailures outside restarts (first 10):\n  ${outsideSamples.join("\n  ")}`);
  if (unexpectedSamples.length) console.log(`\nunexpected answers (first 10):\n  ${unexpectedSamples.join("\n  ")}`);
  console.log(`\nwrangler log: ${logFile}`);
  const failed = checks.filter(([, ok]) => !ok).length;
  console.log(failed ? `\nsoak: ${failed} invariant(s) FAILED` : "\nsoak: all invariants hold");
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (e) => {
  console.error(`soak: ${e.stack || e.message}`);
  await cleanup();
  process.exit(1);
});
