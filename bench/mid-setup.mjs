// One partner client (enterprise plan, so the per-client rate limit is 6000/min) and one
// sandbox user per virtual user, for the HTTP driver.
//   BASE=http://127.0.0.1:PORT ADMIN=token N=16 node bench/mid-setup.mjs > vus.json
const { BASE, ADMIN } = process.env;
const N = Number(process.env.N ?? 16);
async function call(method, path, auth, body) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${auth.key}` };
  if (auth.clientId) headers['x-client-id'] = auth.clientId;
  const r = await fetch(BASE + path, { method, headers, body: body && JSON.stringify(body) });
  const v = await r.json();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(v)}`);
  return v;
}
const vus = [];
for (let i = 0; i < N; i++) {
  const c = await call('POST', '/clients', { key: ADMIN }, { name: `bench ${i}` });
  await call('PUT', `/clients/${c.id}`, { key: ADMIN }, { plan: 'enterprise' });
  const auth = { key: c.apiKeys.test, clientId: c.id };
  const u = await call('POST', '/sandbox/users', auth, { mobile: `+23480312${String(40000 + i)}` });
  vus.push({ clientId: c.id, key: auth.key, userId: u.id });
}
console.log(JSON.stringify(vus));
