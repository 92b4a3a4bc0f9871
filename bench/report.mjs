// Summary table with ratios from bench/out/*.jsonl (median over runs).
//   node bench/report.mjs [out dir]   -> prints markdown, writes <out>/summary.md
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? new URL('./out', import.meta.url).pathname;
const lines = (f) => existsSync(join(out, f))
  ? readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const byName = (rows) => rows.reduce((m, r) => ((m[r.name] ??= []).push(r), m), {});
const native = byName(lines('native.jsonl'));
const swa = byName(lines('swa.jsonl'));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const md = [];

md.push('### In-process verification (µs per call, mean / p50 / p99, median of runs; lower is better)', '');
md.push('MID = the Rust verifier natively, from the response JSON text; "opt-z" is the profile the worker ships with (`opt-level = "z"`, LTO), "opt-3" the same code at opt-level 3. SWA = `@simplewebauthn/server` in Node on the same responses.', '');
md.push('| what | alg | MID opt-z | MID opt-3 | SWA (Node) | SWA ÷ MID opt-z | SWA ÷ MID opt-3 |', '|---|---|---|---|---|---|---|');
const cell = (rows) => `${f(median(rows.map((r) => r.mean_us)))} / ${f(median(rows.map((r) => r.p50_us)))} / ${f(median(rows.map((r) => r.p99_us)))}`;
for (const alg of ['ES256', 'EdDSA', 'RS256']) {
  for (const [what, mid, peer] of [
    ['registration (none)', `mid.verify_registration none/${alg} (JSON text in)`, `swa.verifyRegistrationResponse none/${alg}`],
    ['authentication', `mid.verify_authentication ${alg} (JSON text in)`, `swa.verifyAuthenticationResponse ${alg}`],
  ]) {
    const z = native[`${mid} [opt-z]`] ?? [], o3 = native[`${mid} [opt-3]`] ?? [], p = swa[peer] ?? [];
    const pm = median(p.map((r) => r.mean_us));
    md.push(`| ${what} | ${alg} | ${cell(z)} | ${cell(o3)} | ${cell(p)} | ${f(pm / median(z.map((r) => r.mean_us)), 2)}× | ${f(pm / median(o3.map((r) => r.mean_us)), 2)}× |`);
  }
}

const http = lines('http.jsonl');
if (http.length) {
  md.push('', '### Over HTTP (closed loop, median of runs)', '');
  md.push('Server CPU is the workerd (MID) or node (peer) process over the measured window; for MID the whole `wrangler dev` process group (Node proxy + workerd) is also given, over the whole driver run. `auth`: one authentication ceremony per operation (begin, sign the fresh challenge in the driver, complete); latency is the `/complete` call. `hello`: the per-request floor of the same server (MID: `GET /health` under `wrangler dev`; peer: `node:http` answering `ok`).', '');
  md.push('| load | server | ops/s | p50 ms | p99 ms | server CPU % | wrangler group CPU % | other CPU % | errors | runs |', '|---|---|---|---|---|---|---|---|---|---|');
  const stats = {};
  for (const mode of ['auth', 'hello']) {
    for (const who of ['mid-workerd', 'peer-node-swa']) {
      const rs = http.filter((r) => r.server === who && r.mode === mode);
      if (!rs.length) continue;
      const lat = (r) => r.latency.complete ?? r.latency.request;
      stats[`${mode}/${who}`] = median(rs.map((r) => r.ops_per_s));
      md.push(`| ${mode} | ${who === 'mid-workerd' ? 'MID in workerd (wrangler dev)' : 'Node + SimpleWebAuthn 13 (peer)'} | ${f(stats[`${mode}/${who}`], 0)} | ${f(median(rs.map((r) => lat(r)?.p50_ms)), 2)} | ${f(median(rs.map((r) => lat(r)?.p99_ms)), 2)} | ${f(median(rs.map((r) => r.server_cpu_pct)), 0)} | ${f(median(rs.map((r) => r.group_cpu_pct)), 0)} | ${f(median(rs.map((r) => r.other_cpu_pct)), 0)} | ${rs.reduce((s, r) => s + r.errors, 0)} | ${rs.length} |`);
    }
  }
  md.push('');
  for (const mode of ['auth', 'hello']) {
    const m = stats[`${mode}/mid-workerd`], p = stats[`${mode}/peer-node-swa`];
    if (m && p) md.push(`- ${mode}: MID ÷ peer throughput = ${f(m / p, 3)}× (peer ÷ MID = ${f(p / m, 1)}×)`);
  }
}
const text = md.join('\n') + '\n';
writeFileSync(join(out, 'summary.md'), text);
console.log(text);
