// mid-sdk in Debian chromium: conversions, error codes from real
// DOMExceptions, ceremonies with a CDP virtual authenticator, QR codes
// decoded by a real decoder, and the consent follower's polling fallback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { serve, browser } from './harness.mjs';

let server, b, page;
// A consent served by the test's HTTP endpoint (the MID contract of
// GET /consents/:id; its /live refuses the upgrade, so the SDK must poll).
const consents = new Map();
before(async () => {
  server = await serve(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const m = url.pathname.match(/^\/consents\/([^/]+)(\/live)?$/);
    if (!m) return false;
    const c = consents.get(m[1]);
    if (m[2] || !c || url.searchParams.get('clientSecret') !== c.secret) {
      res.writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'not_found', message: 'no such consent' } }));
      return true;
    }
    c.polls += 1;
    const status = c.script[Math.min(c.polls - 1, c.script.length - 1)];
    res.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: m[1], object: 'consent', status }));
    return true;
  });
  b = await browser(server.origin);
  page = b.page;
});
after(async () => {
  await b?.close();
  await server?.close();
});

test('base64url round trips every length and agrees with the browser', async () => {
  const r = await page.evaluate(() => {
    const { b64url_encode, b64url_decode } = window.glue;
    const ref = (u8) => btoa(String.fromCharCode(...u8)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const bad = [];
    for (let len = 0; len < 300; len++) {
      const u8 = crypto.getRandomValues(new Uint8Array(len));
      const text = b64url_encode(u8);
      if (text !== ref(u8)) bad.push(['encode', len]);
      const back = b64url_decode(text);
      if (!back || back.length !== len || back.some((x, i) => x !== u8[i])) bad.push(['decode', len]);
    }
    return { bad, invalid: [b64url_decode('a+b/'), b64url_decode('abcde')] };
  });
  assert.deepEqual(r.bad, []);
  assert.deepEqual(r.invalid, [undefined, undefined]);
});

test('creation and request options: base64url fields become ArrayBuffers, the rest is kept', async () => {
  const r = await page.evaluate(() => {
    const json = {
      challenge: 'AAECAw', rp: { id: 'localhost', name: 'Shop' },
      user: { id: 'dXNlcl8x', name: 'ada', displayName: 'Ada' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [{ id: '-_8', type: 'public-key', transports: ['internal'] }],
      timeout: 60000,
    };
    const c = window.glue.creation_options(json);
    const q = window.glue.request_options({ challenge: 'BAUG', allowCredentials: [{ id: 'AQ', type: 'public-key' }] });
    let error;
    try { window.glue.creation_options({ ...json, challenge: 'no!' }); } catch (e) { error = e; }
    return {
      challenge: c.challenge instanceof ArrayBuffer && [...new Uint8Array(c.challenge)],
      userId: new TextDecoder().decode(c.user.id),
      exclude: [...new Uint8Array(c.excludeCredentials[0].id)],
      kept: [c.user.displayName, c.timeout, c.excludeCredentials[0].transports[0], c.rp.id],
      untouched: json.challenge,
      qChallenge: [...new Uint8Array(q.challenge)],
      allow: [...new Uint8Array(q.allowCredentials[0].id)],
      error,
    };
  });
  assert.deepEqual(r.challenge, [0, 1, 2, 3]);
  assert.equal(r.userId, 'user_1');
  assert.deepEqual(r.exclude, [0xfb, 0xff]);
  assert.deepEqual(r.kept, ['Ada', 60000, 'internal', 'localhost']);
  assert.equal(r.untouched, 'AAECAw');
  assert.deepEqual(r.qChallenge, [4, 5, 6]);
  assert.deepEqual(r.allow, [1]);
  assert.equal(r.error, 'options.challenge is not base64url');
});

// Creation options JSON for this page's origin.
const creation = (extra = {}) => ({
  challenge: 'AAECAwQFBgcICQoLDA0ODw', rp: { id: 'localhost', name: 'MID test' },
  user: { id: 'dXNlcl8x', name: '+2348000000001', displayName: 'Ada' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
  authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  timeout: 30000, attestation: 'none', ...extra,
});

/** Runs createPasskey/getPasskey in the page; returns the result or the MidError's code/cause. */
const run = (fn, options, opts) =>
  page.evaluate(async ([fn, options, opts]) => {
    const started = Date.now();
    const signal = opts?.aborted ? AbortSignal.abort() : undefined;
    try {
      return { ok: await window.sdk[fn](options, { signal, mediation: opts?.mediation }) };
    } catch (e) {
      return {
        name: e.name, code: e.code, isMidError: e instanceof window.sdk.MidError,
        cause: e.cause && e.cause.name, ms: Date.now() - started,
      };
    }
  }, [fn, options, opts]);

test('ceremonies with a virtual authenticator give L3 JSON, and real DOMExceptions map to codes', async () => {
  // No authenticator at all: the prompt runs out its timeout.
  const timedOut = await run('createPasskey', creation({ timeout: 1000 }));
  assert.deepEqual([timedOut.code, timedOut.cause, timedOut.isMidError], ['TIMEOUT', 'NotAllowedError', true]);

  const uvless = await b.authenticator({ isUserVerified: false });
  const cancelled = await run('createPasskey', creation());
  assert.deepEqual([cancelled.code, cancelled.cause], ['USER_CANCELLED', 'NotAllowedError']);
  await b.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: uvless });

  await b.authenticator();
  const wrongRp = await run('createPasskey', creation({ rp: { id: 'example.com', name: 'x' } }));
  assert.deepEqual([wrongRp.code, wrongRp.cause], ['INVALID_DOMAIN', 'SecurityError']);
  const noAlg = await run('createPasskey', creation({ pubKeyCredParams: [{ type: 'not-a-public-key', alg: -7 }] }));
  assert.deepEqual([noAlg.code, noAlg.cause], ['NOT_SUPPORTED', 'NotSupportedError']);
  const bad = await run('createPasskey', creation({ challenge: '***' }));
  assert.deepEqual([bad.code, bad.isMidError], ['UNKNOWN', true]);

  const reg = await run('createPasskey', JSON.stringify(creation()));
  assert.ok(reg.ok, JSON.stringify(reg));
  const r = reg.ok;
  assert.equal(r.type, 'public-key');
  assert.equal(r.id, r.rawId);
  assert.match(r.rawId, /^[A-Za-z0-9_-]+$/);
  assert.equal(r.authenticatorAttachment, 'platform');
  assert.deepEqual(r.response.transports, ['internal']);
  assert.equal(r.response.publicKeyAlgorithm, -7);
  assert.match(r.response.publicKey, /^[A-Za-z0-9_-]+$/);
  const clientData = JSON.parse(Buffer.from(r.response.clientDataJSON, 'base64url'));
  assert.deepEqual([clientData.type, clientData.challenge, clientData.origin],
    ['webauthn.create', 'AAECAwQFBgcICQoLDA0ODw', server.origin]);

  // The same credential excluded: InvalidStateError.
  const again = await run('createPasskey', creation({ excludeCredentials: [{ id: r.id, type: 'public-key' }] }));
  assert.deepEqual([again.code, again.cause], ['CREDENTIAL_EXISTS', 'InvalidStateError']);

  const auth = await run('getPasskey', { challenge: 'BAUGBwgJCgsMDQ4PEBES', rpId: 'localhost', userVerification: 'required', allowCredentials: [{ id: r.id, type: 'public-key' }] });
  assert.ok(auth.ok, JSON.stringify(auth));
  assert.equal(auth.ok.id, r.id);
  assert.equal(auth.ok.response.userHandle, 'dXNlcl8x');
  assert.match(auth.ok.response.signature, /^[A-Za-z0-9_-]+$/);
  assert.equal(JSON.parse(Buffer.from(auth.ok.response.clientDataJSON, 'base64url')).type, 'webauthn.get');

  const wrongRpGet = await run('getPasskey', { challenge: 'AAAA', rpId: 'example.com' });
  assert.deepEqual([wrongRpGet.code, wrongRpGet.cause], ['INVALID_DOMAIN', 'SecurityError']);

  // Conditional mediation: the virtual authenticator answers with the
  // discoverable credential; an aborted signal is the page's own cancel.
  const conditional = await run('getPasskey', { challenge: 'AAAA', rpId: 'localhost' }, { mediation: 'conditional' });
  assert.equal(conditional.ok?.id, r.id, JSON.stringify(conditional));
  const aborted = await run('getPasskey', { challenge: 'AAAA', rpId: 'localhost' }, { aborted: true });
  assert.deepEqual([aborted.code, aborted.cause], ['USER_CANCELLED', 'AbortError']);

  const caps = await page.evaluate(async () => [
    window.sdk.isWebAuthnAvailable(),
    await window.sdk.isPlatformAuthenticatorAvailable(),
    typeof (await window.sdk.isConditionalMediationAvailable()),
  ]);
  assert.deepEqual(caps, [true, true, 'boolean']);
});

test('renderQr draws an accessible SVG that a QR decoder reads back', async () => {
  const text = `${server.origin}/a/cns_0123456789abcdef#t=AbCdEfGhIjKlMnOpQrStUvWxYz012345`;
  for (const [ecc, size] of [['M', 240], ['H', 320], ['L', 160]]) {
    const shot = await page.evaluate(async ([text, ecc, size]) => {
      document.body.style.background = '#111'; // dark page: the code stays dark-on-light
      const el = document.getElementById('qr');
      const svg = await window.sdk.renderQr(el, text, { size, ecc, label: 'Scan to approve' });
      const xml = new XMLSerializer().serializeToString(svg);
      const img = new Image();
      img.src = URL.createObjectURL(new Blob([xml], { type: 'image/svg+xml' }));
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0, size, size);
      return {
        role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
        width: svg.getAttribute('width'), pixels: [...ctx.getImageData(0, 0, size, size).data],
      };
    }, [text, ecc, size]);
    assert.deepEqual([shot.role, shot.label, shot.width], ['img', 'Scan to approve', String(size)]);
    const decoded = jsQR(Uint8ClampedArray.from(shot.pixels), size, size);
    assert.ok(decoded, `decodable at ${ecc}/${size}`);
    assert.equal(decoded.data, text);
  }
  const tooLong = await page.evaluate(async () => {
    try { await window.sdk.renderQr(document.getElementById('qr'), 'x'.repeat(5000)); } catch (e) { return [e.code, e.message]; }
  });
  assert.deepEqual(tooLong, ['UNKNOWN', 'the text is too long for a QR code']);
});

test('watchConsent falls back to polling, reports each status once and resolves on the final one', async () => {
  consents.set('cns_poll', { secret: 'cs_1', polls: 0, script: ['pending', 'scanned', 'scanned', 'approved'] });
  const r = await page.evaluate(async (baseUrl) => {
    const seen = [];
    const final = await window.sdk.watchConsent({ baseUrl, consentId: 'cns_poll', clientSecret: 'cs_1', onStatus: (c) => seen.push(c.status) });
    return { seen, final };
  }, server.origin);
  assert.deepEqual(r.seen, ['pending', 'scanned', 'approved']);
  assert.equal(r.final.status, 'approved');
  assert.equal(consents.get('cns_poll').polls, 4, 'polling stops at the terminal status');

  const wrong = await page.evaluate(async (baseUrl) => {
    try { await window.sdk.watchConsent({ baseUrl, consentId: 'cns_poll', clientSecret: 'cs_wrong' }); } catch (e) { return [e.code, e.message]; }
  }, server.origin);
  assert.deepEqual(wrong, ['UNKNOWN', 'no such consent']);

  consents.set('cns_shown', { secret: 'cs_2', polls: 0, script: ['pending', 'pending', 'rejected'] });
  const shown = await page.evaluate(async (baseUrl) => {
    const el = document.getElementById('qr');
    const final = await window.sdk.showConsent(el, { baseUrl, consentId: 'cns_shown', clientSecret: 'cs_2', qrText: baseUrl + '/a/cns_shown#t=x' });
    return { status: final.status, line: el.querySelector('[role=status]').textContent, svg: !!el.querySelector('svg[role=img]') };
  }, server.origin);
  assert.deepEqual(shown, { status: 'rejected', line: 'Declined', svg: true });
  assert.deepEqual(b.errors, []);
});
