// Makes the responses both verifiers measure: one registration ("none") and one
// assertion (signCount 0, so it re-verifies) per algorithm, from the peers'
// software authenticator.   node bench/fixtures.mjs <peers dir> > bench/out/fixtures.json
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const peers = process.argv[2];
if (!peers) { console.error('usage: node bench/fixtures.mjs <peers dir>'); process.exit(2); }
const { SoftAuthenticator, randomChallenge, DEFAULT_ORIGIN, DEFAULT_RP_ID } =
  await import(pathToFileURL(join(peers, 'lib/authenticator.mjs')).href);

const cases = ['ES256', 'EdDSA', 'RS256'].map((alg) => {
  const a = new SoftAuthenticator({ alg });
  const regChallenge = randomChallenge();
  const registration = a.register({ challenge: regChallenge });
  const authChallenge = randomChallenge();
  const authentication = a.authenticate({ challenge: authChallenge, counter: 0 });
  return { alg, regChallenge, registration, authChallenge, authentication };
});
console.log(JSON.stringify({ rpId: DEFAULT_RP_ID, origin: DEFAULT_ORIGIN, cases }));
