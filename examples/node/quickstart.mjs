// MID quick start with Node 20's built-in fetch (no dependencies).
// Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
const { MID_URL, MID_CLIENT_ID, MID_KEY } = process.env;
if (!MID_URL || !MID_CLIENT_ID || !MID_KEY) throw new Error("set MID_URL, MID_CLIENT_ID and MID_KEY");

async function mid(method, path, body) {
  const res = await fetch(MID_URL + path, {
    method,
    headers: {
      Authorization: `Bearer ${MID_KEY}`,
      "X-Client-ID": MID_CLIENT_ID,
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  // Errors are {"error":{"code","message","param"?}}.
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.code}: ${json.error?.message}`);
  return json;
}

// 1. Create a consent: ask +234 803 123 4567 to approve a login.
const consent = await mid("POST", "/consents/auth", {
  recipient: "+2348031234567",
  intent: "login",
  message: "Log in to Example Shop",
});
console.log(`created consent ${consent.id}`);
// qr.url is the approval link the person opens on their phone; qr.svg/qr.png
// are QR images of it to show on your page.
console.log(`approval link: ${consent.qr.url}`);
console.log(`QR image: ${MID_URL}${consent.qr.svg}`);

// 2. Read it back.
console.log(`status: ${(await mid("GET", `/consents/${consent.id}`)).status}`);

// 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
await mid("POST", `/sandbox/consents/${consent.id}/approve`);
console.log(`final status: ${(await mid("GET", `/consents/${consent.id}`)).status}`);
