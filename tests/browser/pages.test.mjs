// The person's side end to end in Debian chromium: /enroll, /demo, /a/<id>
// with a CDP virtual authenticator, against the real worker (issue 9).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  ORIGIN, onOrigin, createClient, designateDemo, mobile, launch, phone, screenshot,
  enrollThroughPage, webhookReceiver, eventually, api, sleep,
} from "./harness.mjs";

let browser, hooks, shop, numberA, deviceA, phoneA;

before(async () => {
  hooks = await webhookReceiver();
  shop = await createClient("Demo Shop", hooks.url);
  const d = await designateDemo(shop.id);
  assert.equal(d.status, 200, d.text);
  browser = await launch();
  numberA = mobile();
});

after(async () => {
  if (browser) await browser.close();
  if (hooks) await hooks.close();
});

/** The demo page with a consent for `number`; returns the page and its consent. */
async function demoConsent(number, label) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await ctx.newPage();
  const frames = [];
  page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push({ at: Date.now(), data: String(f.payload) })));
  await page.goto(ORIGIN + "/demo");
  await page.locator("#recipient").fill(number);
  const created = page.waitForResponse((r) => r.url().endsWith("/demo/consents"));
  await page.locator("#start button").click();
  const consent = await (await created).json();
  // The SDK draws the QR as an inline SVG image (dark modules on a light quiet zone).
  await page.locator('.mid-qr svg[role="img"]').waitFor({ state: "visible" });
  assert.ok((await page.locator(".mid-qr svg path").count()) > 0, "the QR has modules");
  await screenshot(page, `${label}-demo-qr`);
  const link = await page.locator("#approval-link").getAttribute("href");
  assert.equal(link, consent.qr.url);
  return { page, consent, link: onOrigin(link), frames };
}

test("a number is enrolled through /enroll (mobile, texted code, passkey) and the device is listed", async () => {
  phoneA = await phone(browser);
  deviceA = await enrollThroughPage(phoneA, shop, numberA, { viaMobileStep: true, label: "enroll-a" });
  assert.match(deviceA.id, /^device_/);
  assert.match(deviceA.userId, /^user_/);
  const shown = await phoneA.page.locator("#device-model").textContent();
  assert.equal(shown, deviceA.model);
  const registered = await hooks.find("device.registered", deviceA.id);
  assert.equal(registered.data.user.id, deviceA.userId);
});

test("approving on the phone turns the demo page to approved within a second through the live channel, and the webhook names the user and device", async () => {
  const demo = await demoConsent(numberA, "approve");
  assert.equal(demo.consent.livemode, false, "the demo only ever makes test-mode consents");
  const { page } = phoneA;
  await page.goto(demo.link);
  await page.locator("#approve").waitFor({ state: "visible" });
  assert.equal(await page.locator("#client").textContent(), "Demo Shop");
  assert.match(await page.locator("#number").textContent(), /^\+234\*+\d{4}$/);
  assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
  await screenshot(page, "approve-phone");
  // The SDK's status line follows the live channel: `data-status` is the consent's status.
  await demo.page.locator('.mid-status[data-status="scanned"]').waitFor({ timeout: 5000 });
  const completed = page.waitForResponse((r) => r.url().endsWith("/fido/authenticate/complete"));
  await page.locator("#approve").click();
  const answer = await completed;
  const answeredAt = Date.now();
  assert.equal(answer.status(), 200);
  await demo.page.locator('.mid-status[data-status="approved"]').waitFor({ timeout: 1000 });
  const shownAt = Date.now();
  assert.ok(shownAt - answeredAt <= 1000, `approved shown after ${shownAt - answeredAt} ms`);
  assert.ok(demo.frames.some((f) => f.data.includes('"approved"')), "the approval arrived on the WebSocket");
  await demo.page.locator("#result").filter({ hasText: "Logged in" }).waitFor();
  await screenshot(demo.page, "approve-demo-approved");
  await page.locator("body[data-status=approved]").waitFor();
  await screenshot(page, "approve-phone-approved");
  const event = await hooks.find("consent.approved", demo.consent.id);
  assert.equal(event.data.user.id, deviceA.userId);
  assert.equal(event.data.user.mobile, numberA);
  assert.equal(event.data.device.id, deviceA.id);
  await demo.page.context().close();
});

test("rejecting on the phone turns the demo page to rejected and sends consent.rejected", async () => {
  const demo = await demoConsent(numberA, "reject");
  const { page } = phoneA;
  await page.goto(demo.link);
  await page.locator("#reject").click();
  await page.locator("body[data-status=rejected]").waitFor();
  await screenshot(page, "reject-phone");
  await demo.page.locator('.mid-status[data-status="rejected"]').waitFor({ timeout: 2000 });
  await screenshot(demo.page, "reject-demo");
  await hooks.find("consent.rejected", demo.consent.id);
  await demo.page.context().close();
});

test("an expired consent's page says so and offers no buttons", async () => {
  const c = await shop.call("POST", "/consents/auth", { recipient: numberA, intent: "payment", message: "Pay ₦5,000 to Demo Shop" });
  assert.equal(c.status, 201, c.text);
  assert.equal((await shop.call("POST", `/sandbox/consents/${c.json.id}/expire`)).status, 200);
  const { page } = phoneA;
  await page.goto(onOrigin(c.json.qr.url));
  await page.locator("#error-text, body[data-status=expired]").first().waitFor();
  const text = await page.locator("main").textContent();
  assert.match(text, /expired/i);
  assert.equal(await page.locator("#actions").isVisible(), false);
  await screenshot(page, "expired-phone");
});

test("a cancelled passkey prompt leaves the page usable, and approving then works", async () => {
  const c = await shop.call("POST", "/consents/auth", { recipient: numberA, intent: "payment", message: "Pay ₦2,500 to Demo Shop" });
  const { page, cdp, authenticatorId } = phoneA;
  await page.goto(onOrigin(c.json.qr.url));
  await page.locator("#approve").waitFor({ state: "visible" });
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
  await page.locator("#approve").click();
  await page.locator("#error-text").filter({ hasText: "prompt was closed" }).waitFor();
  await screenshot(page, "cancel-phone");
  assert.equal(await page.locator("#approve").isEnabled(), true);
  assert.equal((await shop.call("GET", `/consents/${c.json.id}`)).json.status, "scanned");
  await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: true });
  await page.locator("#approve").click();
  await page.locator("body[data-status=approved]").waitFor();
  await screenshot(page, "cancel-then-approved");
});

test("another person's passkey is refused with a clear message and the consent stays open", async () => {
  const phoneB = await phone(browser);
  const numberB = mobile();
  await enrollThroughPage(phoneB, shop, numberB, { label: "enroll-b" });
  // Another number again (not A's, whose per-recipient budget of 5 a minute
  // the other tests use): B's passkey is still someone else's.
  const c = await shop.call("POST", "/consents/auth", { recipient: mobile(), intent: "login" });
  assert.equal(c.status, 201, c.text);
  await phoneB.page.goto(onOrigin(c.json.qr.url));
  await phoneB.page.locator("#approve").click();
  await phoneB.page.locator("#error-text").filter({ hasText: "may not answer this request" }).waitFor();
  await screenshot(phoneB.page, "other-user-refused");
  assert.equal(await phoneB.page.locator("#approve").isEnabled(), true);
  assert.notEqual((await shop.call("GET", `/consents/${c.json.id}`)).json.status, "approved");
  await phoneB.context.close();
});

test("a passkey another partner registered for the same person cannot decide this partner's consent", async () => {
  const bank = await createClient("Other Bank");
  const user = await bank.call("POST", "/sandbox/users", { mobile: numberA });
  assert.equal(user.status, 201, user.text);
  assert.equal(user.json.id, deviceA.userId, "one user per mobile");
  const phoneC = await phone(browser);
  await phoneC.page.goto(ORIGIN + "/enroll");
  const begun = await bank.call("POST", "/fido/register/begin", { userId: user.json.id });
  assert.equal(begun.status, 200, begun.text);
  // The partner's own page would run this ceremony; here from the page's origin.
  const response = await phoneC.page.evaluate(async (options) => {
    const sdk = await import("/sdk/index.js");
    return sdk.createPasskey(options);
  }, begun.json.options);
  const done = await bank.call("POST", "/fido/register/complete", { ceremonyId: begun.json.ceremonyId, response });
  assert.equal(done.status, 201, done.text);
  const c = await shop.call("POST", "/consents/auth", { recipient: numberA, intent: "login" });
  assert.equal(c.status, 201, c.text);
  await phoneC.page.goto(onOrigin(c.json.qr.url));
  await phoneC.page.locator("#approve").click();
  await phoneC.page.locator("#error-text").filter({ hasText: "may not answer this request" }).waitFor();
  await screenshot(phoneC.page, "other-partner-passkey-refused");
  assert.notEqual((await shop.call("GET", `/consents/${c.json.id}`)).json.status, "approved");
  await phoneC.context.close();
});

test("a wrong code on /enroll shows the tries left; the demo routes are 404 once the demo is off", async () => {
  const ph = await phone(browser);
  const number = mobile();
  const e = await shop.call("POST", "/enrollments", { mobile: number });
  await ph.page.goto(`${ORIGIN}/enroll#e=${e.json.id}`);
  await ph.page.locator("#code").fill("000000");
  await ph.page.locator("#code-step button").click();
  await ph.page.locator("#error").filter({ hasText: "4 tries left" }).waitFor();
  await screenshot(ph.page, "enroll-wrong-code");
  await ph.context.close();
  // The phone path spends the same attempts the partner path counts.
  assert.equal((await shop.call("GET", `/enrollments/${e.json.id}`)).json.attemptsRemaining, 4);
  assert.equal((await api("POST", "/enrollments/enr_0000000000000000/phone-verify", { body: { code: "123456" } })).status, 404);
  assert.equal((await designateDemo(null)).status, 200);
  try {
    assert.equal((await api("POST", "/demo/consents", { body: { recipient: number } })).status, 404);
    assert.equal((await api("POST", "/demo/enrollments", { body: { mobile: number } })).status, 404);
  } finally {
    assert.equal((await designateDemo(shop.id)).status, 200);
  }
  await sleep(0);
});
