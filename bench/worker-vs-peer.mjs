// MID beside the peers' JavaScript Worker (../shared/peers/worker-peer: SimpleWebAuthn, a DO
// per user, KV key lookup, per-client limiter DO), both under the same `wrangler dev` 4.86.0, in
// one run (issue 13). Figures, not a test: never part of `npm test`.
//   node bench/worker-vs-peer.mjs          (bench/run.sh runs it pinned to DRIVER_CPU)
// Knobs: DURATION (10 s), WARMUP (2 s), CONCURRENCY (16), BENCH_CPU (1; `none`: no pinning),
// QR_RECIPIENTS_PER_VU (4), QUIET_MAX_S (30), PEERS_DIR, WVP_WORK (scratch copy of the peers).
// Rows: (a) per-request floor, (b) authenticated partner read, (c) partner-path authentication
// ceremony, (d) QR login end to end (MID only), then cold start and the wasm size.
// Each server's process group (wrangler's Node + 2 workerd) is pinned to BENCH_CPU; this
// process (the driver) should run on the other CPU. Server CPU per operation is the group's
// utime+stime over the measured window (/proc/<pid>/stat), divided by the operations.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, appendFileSync, openSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const DURATION = Number(env.DURATION ?? 10), WARMUP = Number(env.WARMUP ?? 2), CONC = Number(env.CONCURRENCY ?? 16);
const CPU = env.BENCH_CPU ?? '1';
const QR_PER_VU = Number(env.QR_RECIPIENTS_PER_VU ?? 4);
let PEERS = env.PEERS_DIR ?? join(ROOT, '..', 'shared', 'peers');
if (!existsSync(PEERS)) PEERS = '/work/shared/peers';
const WORK = env.WVP_WORK ?? join(tmpdir(), 'mid-bench-worker-peer');
const OUT = join(ROOT, 'bench', 'out');
mkdirSync(OUT, { recursive: true });
const log = (...a) => console.error('[wvp]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ---- the peers, in a scratch copy (shared/ may be read-only) --------------------------------
if (!existsSync(join(WORK, 'worker-peer', 'node_modules', '.bin', 'wrangler'))) {
  log(`copying ${PEERS} to ${WORK} and installing the worker peer (npm ci)`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  execFileSync('bash', ['-c', `cd "${PEERS}" && tar --exclude=node_modules --exclude=results --exclude=out -cf - . | (cd "${WORK}" && tar -xf -) && chmod -R u+w "${WORK}"`]);
  execFileSync('npm', ['ci', '--include=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(WORK, 'worker-peer'), stdio: 'inherit' });
}
const { SoftAuthenticator } = await import(join(WORK, 'lib', 'authenticator.mjs'));
const WebSocket = createRequire(join(ROOT, 'package.json'))('ws');

// ---- processes ------------------------------------------------------------------------------
const freePort = () => new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
function groupTicks(pgid) {
  let all = 0, workerd = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== pgid) continue;
      const t = Number(f[11]) + Number(f[12]);
      all += t; if (comm === 'workerd') workerd += t;
    } catch { /* gone */ }
  }
  return { all, workerd };
}
const servers = [];
async function startServer(name, cwd, wrangler, extra, healthPath) {
  const port = await freePort(), inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), `wvp-${name}-`));
  const out = openSync(join(OUT, `wvp-${name}.log`), 'w');
  const pin = CPU === 'none' ? [] : ['taskset', '-c', CPU];
  const argv = [...pin, wrangler, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--show-interactive-dev-session=false', '--persist-to', join(state, 'state'), ...extra];
  const t0 = now();
  // detached: the child calls setsid, so wrangler and both workerd share a group led by it.
  const child = spawn(argv[0], argv.slice(1), { cwd, detached: true, stdio: ['ignore', out, out],
    env: { ...env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', MID_SKIP_BUILD: '1', WRANGLER_LOG_PATH: join(state, 'logs') } });
  const srv = { name, port, pgid: child.pid, child, state };
  servers.push(srv);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name}: wrangler exited; see bench/out/wvp-${name}.log`);
    if (now() - t0 > 180_000) throw new Error(`${name}: no ${healthPath} after 180 s`);
    try { const r = await fetch(`http://127.0.0.1:${port}${healthPath}`); if (r.status === 200) break; } catch { /* not yet */ }
    await sleep(50);
  }
  srv.coldStartMs = now() - t0;
  log(`${name}: first 200 on ${healthPath} after ${srv.coldStartMs.toFixed(0)} ms (port ${port}, group ${child.pid})`);
  return srv;
}
function stopAll() {
  for (const s of servers) { try { process.kill(-s.pgid, 'SIGKILL'); } catch { /* gone */ } rmSync(s.state, { recursive: true, force: true }); }
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

// ---- HTTP, one keep-alive connection per virtual user ----------------------------------------
function client(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (method, path, body, headers = {}) => new Promise((res, rej) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, agent,
      headers: { ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}), ...headers } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null; try { json = JSON.parse(text); } catch { /* not JSON */ }
        res({ status: r.statusCode, headers: r.headers, json, text });
      });
    });
    req.on('error', rej);
    req.end(data);
  });
}
const ok = (r, what, codes = [200, 201]) => { if (!codes.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`); return r.json; };

// ---- the closed loop --------------------------------------------------------------------------
const pct = (xs, p) => { if (!xs.length) return null; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
async function quiet() {
  try { execFileSync('node', [join(WORK, 'lib', 'wait-quiet.mjs')], { env: { ...env, QUIET_MAX_S: env.QUIET_MAX_S ?? '30' }, stdio: ['ignore', 'ignore', 'inherit'] }); } catch { /* best effort */ }
}
// op(vu) resolves to {sub?: ms} (the latency the row reports besides the whole operation) or
// {done: true} when the VU has nothing left to do (QR: recipients used up).
async function load(srv, vus, op) {
  await quiet();
  const t0 = now(), tWarm = t0 + WARMUP * 1000, tEnd = tWarm + DURATION * 1000;
  let g0 = null, m0 = null;
  const warmTimer = setTimeout(() => { g0 = groupTicks(srv.pgid); m0 = machineTicks(); }, WARMUP * 1000);
  const lat = [], sub = []; let ops = 0, errors = 0, firstError = null, capped = 0;
  await Promise.all(vus.map(async (vu) => {
    while (now() < tEnd) {
      const ts = now();
      try {
        const r = await op(vu);
        if (r?.done) { capped++; return; }
        const te = now();
        if (ts >= tWarm && te <= tEnd) { ops++; lat.push(te - ts); if (r?.sub != null) sub.push(r.sub); }
      } catch (e) { errors++; firstError ??= String(e.message ?? e); await sleep(20); }
    }
  }));
  clearTimeout(warmTimer);
  const g1 = groupTicks(srv.pgid), m1 = machineTicks();
  g0 ??= g1; m0 ??= m1;
  const cpuMs = (t) => (ops ? (t * 10) / ops : null); // 100 ticks/s
  return { ops_s: ops / DURATION, ops, errors, firstError, capped,
    p50: pct(lat, 50), p99: pct(lat, 99), sub_p50: pct(sub, 50), sub_p99: pct(sub, 99),
    cpu_ms_op: cpuMs(g1.all - g0.all), workerd_cpu_ms_op: cpuMs(g1.workerd - g0.workerd),
    group_cpu_pct: (g1.all - g0.all) / DURATION, machine_busy_pct: (m1.busy - m0.busy) / DURATION,
    other_cpu_pct: (m1.busy - m0.busy - (g1.all - g0.all)) / DURATION };
}
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4];
  return { busy }; // "other" below = machine busy - server group: the driver, steal, other developers
}

// ---- MID ---------------------------------------------------------------------------------------
const admin = `wvp-admin-${randomBytes(8).toString('hex')}`;
const sealing = randomBytes(32).toString('base64');
const mid = await startServer('mid', ROOT, join(ROOT, 'node_modules', '.bin', 'wrangler'),
  ['--var', `ADMIN_TOKEN:${admin}`, '--var', `SEALING_KEY:${sealing}`, '--var', 'DEBUG_HOP_HEADERS:true',
    '--var', 'RP_ORIGINS:http://localhost:8787'], '/health');
const peer = await startServer('peer', join(WORK, 'worker-peer'), join(WORK, 'worker-peer', 'node_modules', '.bin', 'wrangler'), [], '/health');
await fetch(`http://127.0.0.1:${peer.port}/setup`, { method: 'POST' });

const mobile = (kind, i) => `+2348${kind}${String(10000000 + i).slice(1)}`; // +234 8KK NNNNNNN
log('MID: setting up clients, users, passkeys, consents and phone recipients');
const midVus = await Promise.all(Array.from({ length: CONC }, async (_, i) => {
  const req = client(mid.port);
  const adm = { authorization: `Bearer ${admin}` };
  const c = ok(await req('POST', '/clients', { name: `bench ${i}` }, adm), 'create client');
  ok(await req('PUT', `/clients/${c.id}`, { plan: 'enterprise' }, adm), 'enterprise plan');
  const key = { authorization: `Bearer ${c.apiKeys.test}`, 'x-client-id': c.id };
  const u = ok(await req('POST', '/sandbox/users', { mobile: mobile('03', i) }, key), 'sandbox user');
  const b = ok(await req('POST', '/fido/register/begin', { userId: u.id }, key), 'register begin');
  const a = new SoftAuthenticator({ alg: 'ES256', userHandle: Buffer.from(b.options.user.id, 'base64url') });
  ok(await req('POST', '/fido/register/complete', { ceremonyId: b.ceremonyId, response: a.register({ challenge: b.options.challenge }) }, key), 'register complete');
  const consent = ok(await req('POST', '/consents/auth', { recipient: mobile('03', i), intent: 'login' }, key), 'consent');
  // Phone-path recipients: enrolled by OTP, passkey registered with the registration token.
  const recipients = [];
  for (let j = 0; j < QR_PER_VU; j++) {
    const m = mobile('05', i * 100 + j);
    const e = ok(await req('POST', '/enrollments', { mobile: m }, key), 'enrollment');
    let code = null;
    for (let k = 0; k < 20 && !code; k++) {
      const msgs = ok(await req('GET', `/sandbox/messages?to=${encodeURIComponent(m)}`, undefined, key), 'sandbox messages');
      code = msgs.data?.[0]?.body?.split('#').pop().trim() ?? null;
      if (!code) await sleep(100);
    }
    const v = ok(await req('POST', `/enrollments/${e.id}/verify`, { code }, key), 'verify');
    const rb = ok(await req('POST', '/fido/register/begin', { registrationToken: v.registrationToken }), 'phone register begin');
    const pa = new SoftAuthenticator({ alg: 'ES256', userHandle: Buffer.from(rb.options.user.id, 'base64url') });
    ok(await req('POST', '/fido/register/complete', { ceremonyId: rb.ceremonyId, response: pa.register({ challenge: rb.options.challenge }) }), 'phone register complete');
    recipients.push({ mobile: m, a: pa, uses: 0 });
  }
  return { req, key, userId: u.id, a, consentId: consent.id, recipients, next: 0 };
}));
log('peer: registering one passkey per virtual user');
const peerVus = await Promise.all(Array.from({ length: CONC }, async (_, i) => {
  const req = client(peer.port);
  const a = new SoftAuthenticator({ alg: 'ES256' });
  const b = ok(await req('POST', '/reg/begin', { userName: `vu-${i}` }), 'peer reg begin');
  ok(await req('POST', '/reg/complete', { sessionId: b.sessionId, response: a.register({ challenge: b.options.challenge }) }), 'peer reg complete');
  return { req, a };
}));

// ---- the operations ------------------------------------------------------------------------
// Each returns the hop headers of its requests when `probe` is given (MID only).
const hops = (r) => `${r.headers['x-mid-object-calls'] ?? '?'}/${r.headers['x-mid-kv-calls'] ?? '?'}`;
const midOps = {
  floor: async (vu, probe) => { const r = await vu.req('GET', '/health'); ok(r, 'health'); probe?.push(['GET /health', hops(r)]); },
  read: async (vu, probe) => { const r = await vu.req('GET', `/consents/${vu.consentId}`, undefined, vu.key); ok(r, 'read'); probe?.push(['GET /consents/:id', hops(r)]); },
  ceremony: async (vu, probe) => {
    const b = await vu.req('POST', '/fido/authenticate/begin', { userId: vu.userId }, vu.key);
    const bj = ok(b, 'auth begin');
    const response = vu.a.authenticate({ challenge: bj.options.challenge });
    const t = now();
    const c = await vu.req('POST', '/fido/authenticate/complete', { ceremonyId: bj.ceremonyId, response }, vu.key);
    if (ok(c, 'auth complete').verified !== true) throw new Error('not verified');
    probe?.push(['POST /fido/authenticate/begin', hops(b)], ['POST /fido/authenticate/complete', hops(c)]);
    return { sub: now() - t };
  },
  qr: async (vu, probe) => {
    const rcp = vu.recipients.find((x) => x.uses < 5); // per recipient: 5 consents/min
    if (!rcp) return { done: true };
    rcp.uses++;
    const cr = await vu.req('POST', '/consents/auth', { recipient: rcp.mobile, intent: 'login' }, vu.key);
    const consent = ok(cr, 'create consent');
    const token = consent.qr.url.split('#t=')[1];
    // The partner page's live channel, open before the phone scans.
    const ws = new WebSocket(`ws://127.0.0.1:${mid.port}/consents/${consent.id}/live?clientSecret=${encodeURIComponent(consent.clientSecret)}`);
    let approvedAt = null, onApproved;
    const approved = new Promise((res, rej) => { onApproved = res; ws.on('error', rej); setTimeout(() => rej(new Error('no approved on the live channel in 15 s')), 15_000).unref(); });
    const opened = new Promise((res, rej) => { ws.on('message', (m) => {
      res();
      try { if (JSON.parse(m.toString()).consent?.status === 'approved') { approvedAt = now(); onApproved(); } } catch { /* not JSON */ }
    }); ws.on('error', rej); });
    await opened; // the first status frame: the channel is live
    const tScan = now();
    const s = await vu.req('POST', `/consents/${consent.id}/scan`, { token });
    ok(s, 'scan');
    const b = await vu.req('POST', '/fido/authenticate/begin', { consentId: consent.id, token });
    const bj = ok(b, 'phone auth begin');
    const response = rcp.a.authenticate({ challenge: bj.options.challenge });
    const c = await vu.req('POST', '/fido/authenticate/complete', { ceremonyId: bj.ceremonyId, consentId: consent.id, token, response });
    ok(c, 'phone auth complete');
    await approved;
    ws.terminate();
    probe?.push(['POST /consents/auth', hops(cr)], ['POST /consents/:id/scan', hops(s)],
      ['POST /fido/authenticate/begin (phone)', hops(b)], ['POST /fido/authenticate/complete (phone)', hops(c)]);
    return { sub: approvedAt - tScan };
  },
};
const peerOps = {
  floor: async (vu) => ok(await vu.req('GET', '/hello'), 'hello'),
  // The peer has no read route: its closest authenticated call is /auth/begin (KV key read +
  // limiter DO + one DO write of a challenge).
  read: async (vu) => ok(await vu.req('POST', '/auth/begin', {}), 'peer auth begin'),
  ceremony: async (vu) => {
    const b = ok(await vu.req('POST', '/auth/begin', {}), 'peer auth begin');
    const response = vu.a.authenticate({ challenge: b.options.challenge });
    const t = now();
    const c = ok(await vu.req('POST', '/auth/complete', { sessionId: b.sessionId, response }), 'peer auth complete');
    if (c.verified !== true) throw new Error('peer: not verified');
    return { sub: now() - t };
  },
};

// Hop counts: one operation at a time, nothing else in flight, a pause before each so that
// background work of the previous one (waitUntil, alarms) has finished.
log('hop probes');
const probes = {};
for (const name of ['floor', 'read', 'ceremony', 'qr']) {
  await sleep(500);
  probes[name] = [];
  await midOps[name](midVus[0], probes[name]);
}

const ROWS = [
  ['floor', 'per-request floor', 'MID GET /health', 'peer GET /hello'],
  ['read', 'authenticated partner read', 'MID GET /consents/:id (API key)', 'peer POST /auth/begin (KV key + limiter DO + DO write)'],
  ['ceremony', 'authentication ceremony (partner path)', 'MID /fido/authenticate/begin + complete', 'peer /auth/begin + complete'],
  ['qr', 'QR login end to end', 'MID consent → scan → phone passkey → live `approved`', null],
];
const results = [];
for (const [key, label, midName, peerName] of ROWS) {
  log(`${label}: MID`);
  const m = await load(mid, midVus, midOps[key]);
  let p = null;
  if (peerName) { log(`${label}: peer`); p = await load(peer, peerVus, peerOps[key]); }
  results.push({ key, label, midName, peerName, mid: m, peer: p });
  appendFileSync(join(OUT, 'worker-vs-peer.jsonl'), JSON.stringify({ at: new Date().toISOString(), key, mid: m, peer: p }) + '\n');
}

// ---- cold start (a second, fresh start of each; the first was measured above too) ------------
log('cold start: fresh wrangler dev of each, one after the other');
const cold = {};
for (const s of [...servers]) { try { process.kill(-s.pgid, 'SIGKILL'); } catch { /* gone */ } }
await sleep(1000);
await quiet();
const mid2 = await startServer('mid-cold', ROOT, join(ROOT, 'node_modules', '.bin', 'wrangler'),
  ['--var', `ADMIN_TOKEN:${admin}`, '--var', `SEALING_KEY:${sealing}`], '/health');
process.kill(-mid2.pgid, 'SIGKILL');
await quiet();
const peer2 = await startServer('peer-cold', join(WORK, 'worker-peer'), join(WORK, 'worker-peer', 'node_modules', '.bin', 'wrangler'), [], '/health');
process.kill(-peer2.pgid, 'SIGKILL');
cold.mid = [mid.coldStartMs, mid2.coldStartMs]; cold.peer = [peer.coldStartMs, peer2.coldStartMs];
const wasm = readFileSync(join(ROOT, 'build', 'index_bg.wasm'));
// Node 20's V8 needs the flags for the reference types the build uses; workerd's V8 has them on.
let compileMs = null;
try {
  (await import('node:v8')).setFlagsFromString('--experimental-wasm-gc');
  const t0c = now(); await WebAssembly.compile(wasm); compileMs = now() - t0c;
} catch (e) { log(`wasm compile in Node: ${e.message}`); }

// ---- report ------------------------------------------------------------------------------------
const f = (x, d = 1) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(d));
const ratio = (a, b) => (a != null && b ? `${(a / b).toFixed(2)}×` : '–');
const lines = [];
lines.push(`Like for like under wrangler dev (${DURATION} s, ${WARMUP} s warm-up, ${CONC} connections, servers on CPU ${CPU}, driver elsewhere); CPU ms/op = whole wrangler group (workerd alone in brackets)`, '');
lines.push('| row | server | ops/s | p50 ms | p99 ms | inner p50 / p99 ms | CPU ms/op | group CPU % | other CPU % (driver incl.) | errors |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  for (const [who, x, name] of [['MID', r.mid, r.midName], ['peer', r.peer, r.peerName]]) {
    if (!x) continue;
    lines.push(`| ${r.label} | ${name} | ${f(x.ops_s)} | ${f(x.p50)} | ${f(x.p99)} | ${x.sub_p50 == null ? '–' : `${f(x.sub_p50)} / ${f(x.sub_p99)}`} | ${f(x.cpu_ms_op, 2)} (${f(x.workerd_cpu_ms_op, 2)}) | ${f(x.group_cpu_pct, 0)} | ${f(x.other_cpu_pct, 0)} | ${x.errors}${x.firstError ? ` (${x.firstError.slice(0, 60)})` : ''}${x.capped ? `, ${x.capped} VUs out of recipients` : ''} |`);
  }
}
lines.push('', '| row | MID ÷ peer ops/s | MID ÷ peer p99 | MID ÷ peer CPU/op |', '|---|---|---|---|');
for (const r of results) if (r.peer) lines.push(`| ${r.label} | ${ratio(r.mid.ops_s, r.peer.ops_s)} | ${ratio(r.mid.p99, r.peer.p99)} | ${ratio(r.mid.cpu_ms_op, r.peer.cpu_ms_op)} |`);
lines.push('', 'Inner latency: ceremony = the /complete call; QR = from the phone\'s scan to the partner page\'s socket receiving `approved`.', '');
lines.push('Hop counts per request (MID: X-MID-Object-Calls / X-MID-KV-Calls, one probe at a time):', '', '| operation | request | object calls / KV calls |', '|---|---|---|');
for (const [k, rows] of Object.entries(probes)) for (const [req, h] of rows) lines.push(`| ${k} | ${req} | ${h} |`);
lines.push('', 'Peer (from its source, worker-peer/src/index.js): /hello 0/0; each begin 2 DO / 1 KV; /auth/complete 3 DO / 2 KV.', '');
lines.push('| cold start: wrangler dev start → first 200 on /health | run 1 (ms) | run 2 (ms) |', '|---|---|---|');
lines.push(`| MID | ${f(cold.mid[0], 0)} | ${f(cold.mid[1], 0)} |`, `| peer | ${f(cold.peer[0], 0)} | ${f(cold.peer[1], 0)} |`);
lines.push('', `MID wasm (build/index_bg.wasm): ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped (-9); V8 compile in Node (same engine as workerd): ${f(compileMs, 0)} ms.`);
const text = lines.join('\n');
console.log(text);
appendFileSync(join(OUT, 'worker-vs-peer.md'), `\n## ${new Date().toISOString()}\n\n${text}\n`);
process.exit(0);
