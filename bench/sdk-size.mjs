// Size of the browser SDK as a page downloads it (each file compressed on
// its own, the way it is served) beside the peers' bundles for the same
// features, measured in the same run. Figures, not a test.
//   npm run bench:sdk        (builds the SDK first)
// Peers: a scratch copy of ../shared/peers (PEERS_DIR), `npm ci` once,
// `node b6/build.mjs` (esbuild, minified ESM) every run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let peers = process.env.PEERS_DIR || join(root, '..', 'shared', 'peers');
if (!existsSync(peers)) peers = '/work/shared/peers';
const work = process.env.BENCH_WORK || '/tmp/mid-bench-peers';
const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

if (!existsSync(join(work, 'node_modules', '@simplewebauthn', 'browser'))) {
  console.error('sdk-size: preparing the peers in', work);
  sh('rm', ['-rf', work]);
  mkdirSync(work, { recursive: true });
  sh('bash', ['-c', `tar -C "${peers}" --exclude=node_modules --exclude=results --exclude=out -cf - . | tar -C "${work}" -xf -`]);
  sh('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], work);
}
if (process.env.SKIP_BUILD !== '1') sh('bash', [join(root, 'scripts', 'build-sdk.sh')], root);
sh('node', ['b6/build.mjs'], work);

const measure = (path) => {
  const buf = readFileSync(path);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
  };
};
const sum = (files) => files.map(measure).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));

const pkg = join(root, 'sdk-wasm', 'pkg');
const b6 = join(work, 'out', 'b6');
const rows = [
  ['mid-sdk: mid_sdk_bg.wasm', [join(pkg, 'mid_sdk_bg.wasm')]],
  ['mid-sdk: mid_sdk.js (wasm-bindgen glue)', [join(pkg, 'mid_sdk.js')]],
  ['mid-sdk: index.js (API)', [join(pkg, 'index.js')]],
  ['mid-sdk total (3 files)', ['mid_sdk_bg.wasm', 'mid_sdk.js', 'index.js'].map((f) => join(pkg, f))],
  ['peer: @simplewebauthn/browser 13 (5 calls)', [join(b6, 'swa13.min.js')]],
  ['peer: qrcode (SVG string)', [join(b6, 'qrcode.min.js')]],
  ['peer: SWA 13 + qrcode (one bundle)', [join(b6, 'both13.min.js')]],
  ['peer: @github/webauthn-json + lean-qr', [join(b6, 'minimal.min.js')]],
].map(([label, files]) => ({ label, ...sum(files) }));

const mid = rows.find((r) => r.label.startsWith('mid-sdk total'));
const both = rows.find((r) => r.label.startsWith('peer: SWA 13 + qrcode'));
const kb = (n) => (n / 1024).toFixed(1);
const lines = [
  `SDK size, ${new Date().toISOString().slice(0, 10)} (gzip -9 and brotli q11 per file, as served)`,
  '',
  '| what | raw KB | gzip KB | brotli KB | gzip vs SWA+qrcode |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.label} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} | ${(r.gzip / both.gzip).toFixed(2)}× |`),
  '',
  `mid-sdk is ${(mid.gzip / both.gzip).toFixed(2)}× the gzip size and ${(mid.brotli / both.brotli).toFixed(2)}× the brotli size of @simplewebauthn/browser + qrcode.`,
];
console.log(lines.join('\n'));
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
writeFileSync(join(root, 'bench', 'out', 'sdk-size.json'), JSON.stringify(rows, null, 2));
