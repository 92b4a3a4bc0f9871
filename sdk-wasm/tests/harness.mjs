// Shared by the SDK's browser tests: a static server for www/sdk/ (the
// built SDK, as the worker serves it) and Debian chromium driven by
// playwright-core, with a CDP WebAuthn virtual authenticator on demand.
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sdkDir = join(root, 'www', 'sdk');
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>mid-sdk test</title><div id="qr"></div>';

/**
 * Serves GET /sdk/* from www/sdk/ and / as an empty page; `extra(req, res)`
 * may answer other requests first (return true when it did).
 */
export async function serve(extra) {
  if (!existsSync(join(sdkDir, 'mid_sdk_bg.wasm'))) {
    throw new Error('www/sdk/ is not built: run bash scripts/build-sdk.sh');
  }
  const server = createServer(async (req, res) => {
    try {
      if (extra && (await extra(req, res))) return;
      const path = new URL(req.url, 'http://x').pathname;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      } else if (path.startsWith('/sdk/')) {
        const file = normalize(join(sdkDir, path.slice(5)));
        if (!file.startsWith(sdkDir)) return res.writeHead(404).end();
        const body = await readFile(file);
        const type = TYPES[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(body);
      } else {
        res.writeHead(404).end();
      }
    } catch {
      if (!res.headersSent) res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  // localhost (not 127.0.0.1): a secure context whose host is a valid RP ID.
  const origin = `http://localhost:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}

export const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A fresh chromium profile and one page at `origin`, with the SDK loaded. */
export async function browser(origin) {
  const profile = await mkdtemp(join(tmpdir(), 'mid-sdk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(origin + '/');
  await page.evaluate(async () => {
    window.sdk = await import('/sdk/index.js');
    const glue = await import('/sdk/mid_sdk.js');
    await glue.default({ module_or_path: '/sdk/mid_sdk_bg.wasm' });
    window.glue = glue;
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  return {
    page,
    cdp,
    errors,
    /** Adds a CTAP2 platform authenticator; returns its id. */
    async authenticator(options = {}) {
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
          hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
          ...options,
        },
      });
      return authenticatorId;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
