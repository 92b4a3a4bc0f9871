// Where MID's CPU goes under load: starts the release build under `wrangler dev` with an
// inspector port, sets up a few partners (the bench's software authenticator), then for each
// chosen operation records a V8 CPU profile over the DevTools protocol while driving it, and
// prints the top self-time functions (wasm functions are named from the name section).
// Figures for docs/benchmarks.md "What dominates", not a test.
//   node bench/profile-worker.mjs [read] [ceremony] [floor]
// Knobs: PROFILE_S (8), CONCURRENCY (8), TOP (30), BENCH_CPU (1; `none`: no pinning),
// PEERS_DIR / WVP_WORK as in worker-vs-peer.mjs (the authenticator comes from there).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const SECONDS = Number(env.PROFILE_S ?? 8), CONC = Number(env.CONCURRENCY ?? 8), TOP = Number(env.TOP ?? 30);
const CPU = env.BENCH_CPU ?? '1';
const OPS = process.argv.slice(2).length ? process.argv.slice(2) : ['read', 'ceremony'];
const OUT = join(ROOT, 'bench', 'out');
mkdirSync(OUT, { recursive: true });
let PEERS = env.WVP_WORK ?? join(tmpdir(), 'mid-bench-worker-peer');
if (!existsSync(join(PEERS, 'lib', 'authenticator.mjs'))) PEERS = env.PEERS_DIR ?? '/work/shared/peers';
const { SoftAuthenticator } = await import(join(PEERS, 'lib', 'authenticator.mjs'));
const WebSocket = createRequire(join(ROOT, 'package.json'))('ws');
const log = (...a) => console.error('[profile]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const port = await freePort(), inspector = await freePort();
const state = mkdtempSync(join(tmpdir(), 'mid-profile-'));
const admin = `prof-admin-${randomBytes(8).toString('hex')}`;
const pin = CPU === 'none' ? [] : ['taskset', '-c', CPU];
const argv = [...pin, join(ROOT, 'node_modules', '.bin', 'wrangler'), 'dev', '--ip', '127.0.0.1', '--port', String(port),
  '--inspector-port', String(inspector), '--show-interactive-dev-session=false', '--persist-to', join(state, 'state'),
  '--var', `ADMIN_TOKEN:${admin}`, '--var', `SEALING_KEY:${randomBytes(32).toString('base64')}`,
  '--var', 'RP_ORIGINS:http://localhost:8787'];
const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, detached: true, stdio: ['ignore', openSync(join(OUT, 'profile-mid.log'), 'w'), 'inherit'],
  env: { ...env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', MID_SKIP_BUILD: '1', WRANGLER_LOG_PATH: join(state, 'logs') } });
const stop = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } rmSync(state, { recursive: true, force: true }); };
process.on('exit', stop);
process.on('SIGINT', () => process.exit(130));
for (let i = 0; ; i++) {
  if (i > 3600) throw new Error('no /health after 180 s');
  try { if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) break; } catch { /* not yet */ }
  await sleep(50);
}

function client() {
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
        res({ status: r.statusCode, json, text });
      });
    });
    req.on('error', rej);
    req.end(data);
  });
}
const ok = (r, what) => { if (r.status !== 200 && r.status !== 201) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`); return r.json; };

log(`setting up ${CONC} partners`);
const vus = await Promise.all(Array.from({ length: CONC }, async (_, i) => {
  const req = client();
  const adm = { authorization: `Bearer ${admin}` };
  const c = ok(await req('POST', '/clients', { name: `profile ${i}` }, adm), 'create client');
  ok(await req('PUT', `/clients/${c.id}`, { plan: 'enterprise' }, adm), 'enterprise plan');
  const key = { authorization: `Bearer ${c.apiKeys.test}`, 'x-client-id': c.id };
  const mobile = `+234803${String(10000000 + i).slice(1)}`;
  const u = ok(await req('POST', '/sandbox/users', { mobile }, key), 'sandbox user');
  const b = ok(await req('POST', '/fido/register/begin', { userId: u.id }, key), 'register begin');
  const a = new SoftAuthenticator({ alg: 'ES256', userHandle: Buffer.from(b.options.user.id, 'base64url') });
  ok(await req('POST', '/fido/register/complete', { ceremonyId: b.ceremonyId, response: a.register({ challenge: b.options.challenge }) }, key), 'register complete');
  const consent = ok(await req('POST', '/consents/auth', { recipient: mobile, intent: 'login' }, key), 'consent');
  return { req, key, userId: u.id, a, consentId: consent.id };
}));

const ops = {
  floor: async (vu) => ok(await vu.req('GET', '/health'), 'health'),
  read: async (vu) => ok(await vu.req('GET', `/consents/${vu.consentId}`, undefined, vu.key), 'read'),
  ceremony: async (vu) => {
    const b = ok(await vu.req('POST', '/fido/authenticate/begin', { userId: vu.userId }, vu.key), 'auth begin');
    const response = vu.a.authenticate({ challenge: b.options.challenge });
    const c = ok(await vu.req('POST', '/fido/authenticate/complete', { ceremonyId: b.ceremonyId, response }, vu.key), 'auth complete');
    if (c.verified !== true) throw new Error('not verified');
  },
};

// ---- the inspector --------------------------------------------------------------------------
const targets = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
log('inspector targets:', targets.map((t) => t.title ?? t.id).join(', '));
const target = targets.find((t) => /mid/i.test(t.title ?? '')) ?? targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
let seq = 0; const pending = new Map();
// Inspector events by method (wrangler's own inspector proxy enables the Network domain and
// forwards every event it receives to wrangler's Node process).
const events = new Map();
ws.on('message', (m) => {
  const msg = JSON.parse(m.toString());
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
  else if (msg.method) events.set(msg.method, (events.get(msg.method) ?? 0) + 1);
});
const cdp = (method, params = {}) => new Promise((res, rej) => {
  const id = ++seq; pending.set(id, (msg) => (msg.error ? rej(new Error(`${method}: ${msg.error.message}`)) : res(msg.result)));
  ws.send(JSON.stringify({ id, method, params }));
});
await cdp('Profiler.enable');
await cdp('Network.enable');
await cdp('Profiler.setSamplingInterval', { interval: 100 });

function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas; let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]); const d = dt[i] ?? 0; total += d;
    const cf = n.callFrame; const name = `${cf.functionName || '(anonymous)'}${cf.url ? ` ${cf.url.split('/').pop()}:${cf.lineNumber}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + d);
  }
  // Inclusive time per wasm/js function name (counted once per sample even if recursive).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const d = dt[i] ?? 0; const seen = new Set();
    for (let id = profile.samples[i]; id != null; id = parent.get(id)) {
      const nm = byId.get(id).callFrame.functionName || '(anonymous)';
      if (!seen.has(nm)) { seen.add(nm); incl.set(nm, (incl.get(nm) ?? 0) + d); }
    }
  }
  const idle = [...self].filter(([k]) => /^\(idle\)|^\(program\)|^\(garbage collector\)/.test(k));
  return { total, self: [...self].sort((a, b) => b[1] - a[1]), incl: [...incl].sort((a, b) => b[1] - a[1]), idle };
}

// CPU per process of the server's group (wrangler's Node, the two workerd), from /proc.
function procTicks() {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== child.pid) continue;
      out.set(`${comm}[${pid}]`, Number(f[11]) + Number(f[12]));
    } catch { /* gone */ }
  }
  return out;
}
async function drive(op, seconds) {
  const tEnd = performance.now() + seconds * 1000; let n = 0;
  await Promise.all(vus.map(async (vu) => { while (performance.now() < tEnd) { await op(vu); n++; } }));
  return n;
}

const report = [];
for (const name of OPS) {
  const op = ops[name];
  await drive(op, 2); // warm-up
  // Unprofiled pass: CPU ms per operation of each process in the group.
  events.clear();
  const p0 = procTicks(); const n0 = await drive(op, SECONDS); const p1 = procTicks();
  log(`${name}: inspector events per op: ${[...events].map(([k, v]) => `${k} ${(v / n0).toFixed(1)}`).join(', ') || 'none'}`);
  const perProc = [...p1].map(([k, v]) => `${k} ${(((v - (p0.get(k) ?? v)) * 10) / n0).toFixed(2)}`).join(', ');
  log(`${name}: ${n0} ops unprofiled; CPU ms/op per process: ${perProc}`);
  await cdp('Profiler.start');
  const n = await drive(op, SECONDS);
  const { profile } = await cdp('Profiler.stop');
  writeFileSync(join(OUT, `profile-${name}.cpuprofile`), JSON.stringify(profile));
  const s = summarise(profile);
  const busy = s.total - s.idle.reduce((a, [, v]) => a + v, 0);
  const lines = [`CPU ms/op per process, unprofiled (${n0} ops): ${perProc}`, '', `### ${name}: ${n} ops in ${SECONDS} s; isolate busy ${(busy / 1000 / n).toFixed(2)} ms/op (sampled, excl. idle/program/GC: ${s.idle.map(([k, v]) => `${k} ${(v / 1000 / n).toFixed(2)}`).join(', ')})`, '',
    '| self ms/op | % of busy | function |', '|---|---|---|'];
  for (const [k, v] of s.self.filter(([k]) => !/^\(idle\)/.test(k)).slice(0, TOP)) lines.push(`| ${(v / 1000 / n).toFixed(3)} | ${((100 * v) / busy).toFixed(1)} | ${k.replace(/\|/g, '\\|')} |`);
  lines.push('', '| inclusive ms/op | function |', '|---|---|');
  for (const [k, v] of s.incl.slice(0, TOP)) lines.push(`| ${(v / 1000 / n).toFixed(3)} | ${k.replace(/\|/g, '\\|')} |`);
  const text = lines.join('\n');
  console.log(text + '\n');
  report.push(text);
}
writeFileSync(join(OUT, 'profile.md'), report.join('\n\n') + '\n');
ws.close();
process.exit(0);
