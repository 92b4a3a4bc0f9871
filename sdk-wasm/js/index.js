// mid-sdk: the public API. The wasm (Rust, sdk-wasm/src) converts WebAuthn
// JSON, maps errors, draws QR codes and decides how to follow a consent;
// this file owns what JavaScript does best: promises, JSON, sockets, timers.
import init, * as w from './mid_sdk.js';

let ready;
// Loaded on first use, next to this file (plain <script type="module"> pages
// and bundlers that copy assets referenced by import.meta.url alike).
const load = () => (ready ||= init({ module_or_path: new URL('./mid_sdk_bg.wasm', import.meta.url) }));

/** An SDK failure with a stable `code`; the original error is `cause`. */
export class MidError extends Error {
  constructor(code, message, cause) {
    super(message || code, cause === undefined ? undefined : { cause });
    this.name = 'MidError';
    this.code = code;
  }
}

const parse = (json) => (typeof json === 'string' ? JSON.parse(json) : json);
const host = () => (globalThis.location ? location.hostname : '');

// Errors thrown by the wasm conversions are plain strings.
const fail = (e, options, started) => {
  if (e instanceof MidError) return e;
  if (typeof e === 'string') return new MidError('UNKNOWN', e);
  const name = (e && e.name) || '';
  return new MidError(w.error_code(name, Date.now() - started, options, host()), e && e.message, e);
};

async function ceremony(optionsJSON, convert, call, toJSON) {
  await load();
  const started = Date.now();
  let options;
  try {
    options = parse(optionsJSON);
    const credential = await call(convert(options));
    if (!credential) throw new MidError('UNKNOWN', 'the browser returned no credential');
    return toJSON(credential);
  } catch (e) {
    throw fail(e, options, started);
  }
}

/** Registers a passkey: creation options JSON in, RegistrationResponseJSON out. */
export const createPasskey = (optionsJSON, { signal } = {}) =>
  ceremony(optionsJSON, w.creation_options, (pk) => w.credentials_create(pk, signal), w.registration_json);

/** Authenticates with a passkey: request options JSON in, AuthenticationResponseJSON out. */
export const getPasskey = (optionsJSON, { mediation, signal } = {}) =>
  ceremony(optionsJSON, w.request_options, (pk) => w.credentials_get(pk, mediation, signal), w.authentication_json);

const PKC = () => globalThis.PublicKeyCredential;

export const isWebAuthnAvailable = () =>
  typeof PKC() === 'function' && !!(globalThis.navigator && navigator.credentials);

const ask = async (method) => {
  try {
    return isWebAuthnAvailable() && typeof PKC()[method] === 'function' && (await PKC()[method]()) === true;
  } catch {
    return false;
  }
};
export const isPlatformAuthenticatorAvailable = () => ask('isUserVerifyingPlatformAuthenticatorAvailable');
export const isConditionalMediationAvailable = () => ask('isConditionalMediationAvailable');

/** Draws `text` as an inline SVG QR code inside `element`. */
export async function renderQr(element, text, { size, margin, ecc, label } = {}) {
  await load();
  try {
    w.render_qr(element, String(text), size, margin, ecc, label);
  } catch (e) {
    throw fail(e);
  }
  return element.firstElementChild;
}

const OPEN_SOCKET = 2, POLL = 4;
const ev = { start: 0, open: 1, lost: 2, ok: 3, failed: 4, online: 5 };

/**
 * Follows a consent until it is approved, rejected or expired: the live
 * WebSocket, falling back to polling GET /consents/:id with backoff.
 * Resolves with the final consent object.
 */
export async function watchConsent({ baseUrl, consentId, clientSecret, onStatus, signal }) {
  await load();
  // Without baseUrl: the page's own origin (the hosted pages and /demo are served by MID).
  const base = new URL(baseUrl || '/', globalThis.location && location.href);
  const path = `${base.pathname.replace(/\/$/, '')}/consents/${encodeURIComponent(consentId)}`;
  const query = `?clientSecret=${encodeURIComponent(clientSecret)}`;
  return new Promise((resolve, reject) => {
    let state = 0, socket, timer, last, done = false;
    const stop = () => {
      done = true;
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', online);
      signal?.removeEventListener('abort', aborted);
      if (socket) { socket.onclose = socket.onmessage = socket.onerror = null; socket.close(); socket = null; }
    };
    const finish = (error, consent) => { if (done) return; stop(); error ? reject(error) : resolve(consent); };
    const seen = (consent) => {
      if (done || !consent || !consent.status) return;
      if (!last || last.status !== consent.status) onStatus?.(consent);
      last = consent;
      if (w.consent_is_final(consent.status)) finish(null, consent);
    };
    const step = (event) => {
      if (done) return;
      state = w.watch_step(state, event);
      if (state & OPEN_SOCKET && !socket) openSocket();
      if (state & POLL) { clearTimeout(timer); timer = setTimeout(poll, w.watch_delay(state)); }
    };
    const openSocket = () => {
      const url = new URL(`${path}/live${query}`, base);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      let s;
      try { s = socket = new WebSocket(url); } catch { socket = null; return step(ev.lost); }
      s.onopen = () => { clearTimeout(timer); step(ev.open); };
      s.onmessage = (m) => {
        try { const msg = JSON.parse(m.data); if (msg.type === 'status') seen(msg.consent); } catch { /* not ours */ }
      };
      s.onclose = s.onerror = () => { if (socket === s) { socket = null; step(ev.lost); } };
    };
    const poll = async () => {
      let res;
      try {
        res = await fetch(new URL(path + query, base), { signal, headers: { accept: 'application/json' } });
      } catch (e) {
        return done || step(ev.failed);
      }
      if (done) return;
      // 429 and 5xx are passing; other refusals (wrong secret, unknown id) are final.
      if (res.status === 429 || res.status >= 500) return step(ev.failed);
      let body;
      try { body = await res.json(); } catch { return step(ev.failed); }
      if (!res.ok) {
        const err = body && body.error;
        return finish(new MidError('UNKNOWN', (err && err.message) || `HTTP ${res.status}`, { status: res.status, error: err }));
      }
      seen(body);
      step(ev.ok);
    };
    const online = () => step(ev.online);
    const aborted = () => finish(new MidError('USER_CANCELLED', 'aborted', signal.reason));
    if (signal?.aborted) return aborted();
    signal?.addEventListener('abort', aborted);
    globalThis.addEventListener?.('online', online);
    step(ev.start);
  });
}

const STATUS_TEXT = {
  pending: 'Scan the code with your phone',
  scanned: 'Confirm on your phone…',
  approved: 'Approved',
  rejected: 'Declined',
  expired: 'Expired',
};

/**
 * QR code + live status line in one call. Resolves with the final consent.
 */
export async function showConsent(element, { baseUrl, consentId, clientSecret, qrText, onStatus, signal, size, label }) {
  const doc = element.ownerDocument;
  const figure = doc.createElement('div');
  const status = doc.createElement('p');
  figure.className = 'mid-qr';
  status.className = 'mid-status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  status.textContent = STATUS_TEXT.pending;
  element.replaceChildren(figure, status);
  await renderQr(figure, qrText, { size, label: label || 'QR code: scan with your phone to continue' });
  const show = (consent) => {
    status.textContent = STATUS_TEXT[consent.status] || consent.status;
    status.dataset.status = consent.status;
    if (w.consent_is_final(consent.status)) figure.hidden = true;
    onStatus?.(consent);
  };
  return watchConsent({ baseUrl, consentId, clientSecret, onStatus: show, signal });
}

/** The SDK's version. */
export const version = async () => (await load(), w.version());

// Low-level conversions (base64url, option shapes), for tests and advanced use.
export const base64url = {
  encode: async (bytes) => (await load(), w.b64url_encode(bytes)),
  decode: async (text) => (await load(), w.b64url_decode(text)),
};
