// @simplewebauthn/server verifying the same fixtures as MID's native bench, with the
// same loop (warm-up, then timed sequential calls; mean, p50, p99).
//   node bench/swa-verify.mjs <peers dir> <fixtures.json>     (ITERS, WARMUP)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [peers, fixturesPath] = process.argv.slice(2);
const ITERS = Number(process.env.ITERS ?? 3000);
const WARMUP = Number(process.env.WARMUP ?? 1000);
const { loadSwaServer } = await import(pathToFileURL(join(peers, 'lib/swa.mjs')).href);
const { mod: swa, version } = await loadSwaServer();
const fx = JSON.parse(readFileSync(fixturesPath, 'utf8'));

const pct = (s, p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
async function measure(name, fn) {
  for (let i = 0; i < WARMUP; i++) if (!(await fn())) throw new Error(`${name}: not verified`);
  const lat = new Float64Array(ITERS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERS; i++) {
    const s = process.hrtime.bigint();
    const ok = await fn();
    lat[i] = Number(process.hrtime.bigint() - s) / 1e3;
    if (!ok) throw new Error(`${name}: not verified`);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e3;
  lat.sort();
  console.log(JSON.stringify({ name, iters: ITERS, warmup: WARMUP, mean_us: total / ITERS, ops_per_s: ITERS / (total / 1e6), p50_us: pct(lat, 0.5), p99_us: pct(lat, 0.99), swa_server: version, node: process.version }));
}

for (const c of fx.cases) {
  const regArgs = { response: c.registration, expectedChallenge: c.regChallenge, expectedOrigin: fx.origin, expectedRPID: fx.rpId, requireUserVerification: true };
  const reg = await swa.verifyRegistrationResponse(regArgs);
  const credential = reg.registrationInfo.credential;
  const authArgs = { response: c.authentication, expectedChallenge: c.authChallenge, expectedOrigin: fx.origin, expectedRPID: fx.rpId, credential, requireUserVerification: true };
  await measure(`swa.verifyRegistrationResponse none/${c.alg}`, async () => (await swa.verifyRegistrationResponse(regArgs)).verified);
  await measure(`swa.verifyAuthenticationResponse ${c.alg}`, async () => (await swa.verifyAuthenticationResponse(authArgs)).verified);
}
