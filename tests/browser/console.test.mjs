// The sandbox console (/console) in Debian chromium against the real worker
// (issue 12): a test key pasted, a consent whose QR (drawn by the SDK)
// decodes to the approval link, approval / rejection / expiry simulated and
// shown live, the exact signed webhook shown, live keys refused, and the
// FIDO2 ceremonies with a CDP virtual authenticator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHmac } from "node:crypto";
import jsQR from "jsqr";
import { ORIGIN, api, createClient, mobile, launch, screenshot, screenshotOf, eventually } from "./harness.mjs";

// Each test has its own client: the console's polling stays far below a
// client's 60 requests a minute however slow the machine.
let browser, hooks;
const newShop = () => createClient("Console Shop", hooks.url);

/** A webhook receiver that keeps the raw bytes and headers of every request. */
async function rawReceiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => new Promise((r) => server.close(r)) };
}

before(async () => {
  hooks = await rawReceiver();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (hooks) await hooks.close();
});

/** A desktop page on the console; `authenticator` adds a CDP virtual one. */
async function consolePage({ authenticator = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(m.text()); });
  const sent = [];
  page.on("request", (r) => sent.push({ url: r.url(), auth: r.headers().authorization || null }));
  if (authenticator) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
  }
  await page.goto(ORIGIN + "/console");
  return { page, context, problems, sent };
}

async function paste(page, key, clientId) {
  await page.locator("#api-key").fill(key);
  await page.locator("#client-id").fill(clientId);
  await page.locator("#key-form button[type=submit]").click();
}

async function withTestKey(shop, opts) {
  const c = await consolePage(opts);
  await paste(c.page, shop.key, shop.id);
  await c.page.locator("body[data-key=ok]").waitFor();
  return c;
}

/** Creates a consent through the form; returns the API's answer. */
async function createConsent(page, recipient, message) {
  await page.locator("#recipient").fill(recipient);
  await page.locator("#intent").selectOption("payment");
  await page.locator("#message").fill(message);
  const created = page.waitForResponse((r) => r.url().endsWith("/consents/auth") && r.request().method() === "POST");
  await page.locator("#consent-form button[type=submit]").click();
  const r = await created;
  assert.equal(r.status(), 201, await r.text());
  return r.json();
}

/** The SDK's SVG rasterised on a canvas in the page, decoded by jsQR here. */
async function decodeQr(page) {
  const size = 320;
  const pixels = await page.evaluate(async (size) => {
    const svg = document.querySelector(".mid-qr svg");
    const xml = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    // data: (not blob:) because the page's CSP allows img-src 'self' data: only.
    img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(xml)));
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 0, 0, size, size);
    return [...ctx.getImageData(0, 0, size, size).data];
  }, size);
  const decoded = jsQR(Uint8ClampedArray.from(pixels), size, size);
  assert.ok(decoded, "the QR decodes");
  return decoded.data;
}

test("the console refuses a live key before any call, and the sandbox routes refuse it on the server", async () => {
  const shop = await newShop();
  const { page, context, sent, problems } = await consolePage();
  await paste(page, shop.liveKey, shop.id);
  await page.locator("body[data-key=refused]").waitFor();
  assert.match(await page.locator("#key-status").textContent(), /Live keys are refused/);
  assert.equal(await page.locator("#consents").isVisible(), false, "no consent form with a live key");
  assert.deepEqual(sent.filter((r) => r.auth), [], "the live key was never sent");
  const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length]);
  assert.deepEqual(stored, [0, 0], "the live key is not stored");
  await screenshot(page, "console-live-key-refused");
  await screenshotOf(page.locator("#keys"), "console-card-refused");
  // The server's rule, for every sandbox route the console uses.
  const live = { auth: shop.liveKey, client: shop.id };
  const c = await api("POST", "/consents/auth", { ...live, body: { recipient: mobile(), intent: "login" } });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.livemode, true);
  for (const [method, path, body] of [
    ["GET", "/sandbox/messages?to=%2B2348000000000"],
    ["POST", `/sandbox/consents/${c.json.id}/approve`],
    ["POST", `/sandbox/consents/${c.json.id}/expire`],
    ["POST", "/sandbox/users", { mobile: mobile() }],
  ]) {
    const r = await api(method, path, { ...live, body });
    assert.equal(r.status, 404, `${method} ${path} with a live key: ${r.text}`);
    assert.equal(r.json.error.code, "not_found");
  }
  assert.equal((await api("GET", `/consents/${c.json.id}`, live)).json.status, "pending", "the live consent is untouched");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a wrong key is refused by the server with its error shown, and the key form stays usable", async () => {
  const shop = await newShop();
  const { page, context } = await consolePage();
  await paste(page, "mid_sk_test_" + "x".repeat(32), shop.id);
  await page.locator("body[data-key=refused]").waitFor();
  assert.match(await page.locator("#key-status").textContent(), /401 unauthorized/);
  assert.match(await page.locator("#log li.failed .call").first().textContent(), /GET \/sandbox\/messages.* → 401 unauthorized: /);
  await paste(page, shop.key, shop.id);
  await page.locator("body[data-key=ok]").waitFor();
  await context.close();
});

test("the console creates a consent whose QR decodes to the approval link, shows approval live and the exact signed webhook", async () => {
  const shop = await newShop();
  const { page, context, problems } = await withTestKey(shop);
  // Kept for this tab only.
  const stored = await page.evaluate(() => [sessionStorage.getItem("mid.console.key"), localStorage.length, document.cookie]);
  assert.deepEqual(stored, [shop.key, 0, ""]);
  const consent = await createConsent(page, mobile(), "Pay ₦5,000 to Console Shop");
  assert.equal(consent.livemode, false);
  await page.locator('.mid-qr svg[role="img"]').waitFor({ state: "visible" });
  assert.equal(await decodeQr(page), consent.qr.url, "the QR is the approval link");
  assert.equal(await page.locator("#approval-link").getAttribute("href"), consent.qr.url);
  assert.equal(await page.locator("#consent-id").textContent(), consent.id);
  await page.locator('#consent-status[data-status="pending"]').waitFor();
  await screenshot(page, "console-consent-qr");
  await screenshotOf(page.locator("#consents"), "console-card-consent");

  await page.locator('#simulate button[data-action="approve"]').click();
  await page.locator('#consent-status[data-status="approved"]').waitFor({ timeout: 5000 });
  await page.locator('.mid-status[data-status="approved"]').waitFor({ timeout: 5000 });
  const onServer = await shop.call("GET", `/consents/${consent.id}`);
  assert.equal(onServer.json.status, "approved");

  // The delivery as the console shows it, and as the endpoint received it.
  const shown = page.locator(`.delivery[data-event="consent.approved"][data-session="${consent.id}"]`);
  await shown.locator("pre.headers").filter({ hasText: "webhook-signature" }).waitFor({ timeout: 20000 });
  const body = await shown.locator("pre.body").textContent();
  const headers = Object.fromEntries((await shown.locator("pre.headers").textContent()).split("\n")
    .map((line) => [line.slice(0, line.indexOf(": ")).toLowerCase(), line.slice(line.indexOf(": ") + 2)]));
  const received = await eventually("consent.approved at the endpoint", () =>
    hooks.got.find((g) => g.headers["x-mid-event"] === "consent.approved" && g.body.includes(consent.id)));
  assert.equal(body, received.body, "the console shows the exact body bytes sent");
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature", "x-mid-event", "content-type"]) {
    assert.equal(headers[name], received.headers[name], name);
  }
  // And they verify as a partner verifies them (Standard Webhooks, and the body's own signature).
  const key = Buffer.from(shop.webhookSecret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`).digest("base64");
  assert.equal(headers["webhook-signature"], `v1,${expected}`);
  const [unsigned, sig] = body.split(',"signature":"sha256=');
  assert.equal(sig, createHmac("sha256", key).update(unsigned + "}").digest("hex") + '"}');
  assert.equal(JSON.parse(body).data.status, "approved");
  await shown.scrollIntoViewIfNeeded();
  await screenshot(page, "console-approved-webhook");
  await screenshotOf(shown, "console-card-webhook");
  assert.deepEqual(problems, []);
  await context.close();
});

test("rejection and expiry are simulated from the console and shown live", async () => {
  const shop = await newShop();
  const { page, context, problems } = await withTestKey(shop);
  for (const [action, status] of [["reject", "rejected"], ["expire", "expired"]]) {
    const consent = await createConsent(page, mobile(), `Try ${action}`);
    await page.locator(`#consent-id`).filter({ hasText: consent.id }).waitFor();
    await page.locator(`#simulate button[data-action="${action}"]`).click();
    await page.locator(`#consent-status[data-status="${status}"]`).waitFor({ timeout: 5000 });
    await page.locator(`.delivery[data-event="consent.${status}"][data-session="${consent.id}"] pre.headers`)
      .filter({ hasText: "webhook-signature" }).waitFor({ timeout: 20000 });
  }
  // Acting again on the expired consent: the API's error, readable.
  await page.locator('#simulate button[data-action="approve"]').click();
  await page.locator("#error").filter({ hasText: /^410 / }).waitFor();
  assert.match(await page.locator("#error").textContent(), /^410 [a-z_]+: .+/);
  await screenshot(page, "console-expired-error");
  // A recipient that is no phone number: 400 with its code, message and param.
  await page.locator("#recipient").fill("12");
  await page.locator("#consent-form button[type=submit]").click();
  await page.locator("#error").filter({ hasText: "invalid_phone" }).waitFor();
  assert.match(await page.locator("#error").textContent(), /^400 invalid_phone: .+\(param: recipient\)/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the console registers a passkey for a sandbox user and signs in with it (virtual authenticator)", async () => {
  const shop = await newShop();
  const { page, context, problems } = await withTestKey(shop, { authenticator: true });
  const number = mobile();
  await page.locator("#user-mobile").fill(number);
  const made = page.waitForResponse((r) => r.url().endsWith("/sandbox/users"));
  await page.locator("#user-form button[type=submit]").click();
  const u = await (await made).json();
  assert.match(u.id, /^user_/);
  assert.equal(await page.locator("#user-id").textContent(), u.id);

  const registered = page.waitForResponse((r) => r.url().endsWith("/fido/register/complete"));
  await page.locator("#register").click();
  const reg = await registered;
  assert.equal(reg.status(), 201, await reg.text());
  const device = await reg.json();
  await page.locator("#device-id[data-done=yes]").waitFor();
  assert.equal(await page.locator("#device-id").textContent(), device.id);
  const devices = await shop.call("GET", `/users/${u.id}/devices`);
  assert.equal(devices.status, 200, devices.text);
  assert.ok(devices.json.data.some((d) => d.id === device.id), "the passkey is the user's device");

  const signedIn = page.waitForResponse((r) => r.url().endsWith("/fido/authenticate/complete"));
  await page.locator("#authenticate").click();
  const auth = await signedIn;
  assert.equal(auth.status(), 200, await auth.text());
  const answer = await auth.json();
  assert.deepEqual([answer.verified, answer.userId, answer.deviceId], [true, u.id, device.id]);
  await page.locator("#signin-result[data-verified=true]").waitFor();
  assert.match(await page.locator("#signin-result").textContent(), new RegExp(device.id));
  await screenshot(page, "console-passkeys");
  await screenshotOf(page.locator("#fido"), "console-card-passkeys");
  assert.deepEqual(problems, []);
  await context.close();
});
