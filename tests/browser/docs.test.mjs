// The docs site in Debian chromium (issue 12): the API reference rendered
// from /openapi.json shows every operation of that document, under the strict
// CSP, and the guide pages link the sandbox console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ORIGIN, api, launch, screenshot } from "./harness.mjs";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
let browser;

before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

/** A page that records console errors and CSP violations. */
async function watchedPage(width = 1200) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  const problems = [];
  // Broken links to assets (images, scripts, styles) by URL; other errors (CSP violations) by text.
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  return { page, problems, ctx };
}

test("/docs/reference renders every operation and every webhook of /openapi.json, without a CSP violation", async () => {
  const r = await api("GET", "/openapi.json");
  assert.equal(r.status, 200);
  const doc = r.json;
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      if (item[method]) ops.push({ method, path, id: item[method].operationId });
    }
  }
  const hooks = Object.keys(doc.webhooks || {});
  assert.ok(ops.length >= 30, `the document lists the API (${ops.length} operations)`);
  assert.ok(hooks.length >= 6, `the document lists the outgoing events (${hooks.length})`);
  assert.equal(new Set(ops.map((o) => o.id)).size, ops.length, "operationIds are unique");

  const { page, problems, ctx } = await watchedPage();
  await page.goto(ORIGIN + "/docs/reference");
  await page.locator("#reference[data-operations]").waitFor({ timeout: 10000 });
  // Each operation: its section (anchor = operationId) with its method and exact path.
  const rendered = await page.evaluate(() => [...document.querySelectorAll("#reference section.op")].map((s) => ({
    id: s.id,
    method: (s.querySelector(".method") || {}).textContent,
    path: ((s.querySelector(".path") || {}).textContent || "").trim(),
    visible: s.getClientRects().length > 0,
  })));
  const missing = ops.filter((o) => !rendered.some((s) =>
    s.id === o.id && s.method === o.method.toUpperCase() && s.path === o.path && s.visible));
  assert.deepEqual(missing, [], "operations of /openapi.json not rendered on /docs/reference");
  for (const name of hooks) {
    assert.ok(rendered.some((s) => s.path === name && s.method === "POST"), `webhook ${name} rendered`);
  }
  assert.equal(rendered.length, ops.length + hooks.length, "nothing rendered that the document does not list");
  // The table of contents reaches every tag that has operations.
  const tags = [...new Set(ops.map((o) => (doc.paths[o.path][o.method].tags || ["Other"])[0]))];
  for (const tag of tags) assert.equal(await page.locator(`nav.toc a[href="#tag-${tag}"]`).count(), 1, `toc: ${tag}`);
  await screenshot(page, "docs-reference");
  assert.deepEqual(problems, [], "console errors on /docs/reference");
  await ctx.close();
});

test("the docs, the landing page and the console link each other", async () => {
  const { page, problems, ctx } = await watchedPage();
  await page.goto(ORIGIN + "/");
  assert.equal(await page.locator('a[href="/console"]').count(), 1, "landing page links /console");
  await page.goto(ORIGIN + "/docs/");
  assert.ok(await page.locator('nav.side a[href="/docs/console"]').count() === 1, "docs navigation has the console guide");
  await page.locator('nav.side a[href="/docs/console"]').click();
  await page.locator("h1").filter({ hasText: "Sandbox console" }).waitFor();
  await page.locator('main a[href="/console"]').first().click();
  await page.locator("#key-form").waitFor();
  assert.equal(new URL(page.url()).pathname, "/console");
  assert.deepEqual(problems, []);
  await ctx.close();
});
