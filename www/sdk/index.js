// TEMPORARY STAND-IN for the wasm SDK (`mid-sdk`, issue 9 part 1), plain JS
// with the same exports so the hosted pages can be built and tested before
// the real SDK lands. The real one replaces this file at merge
// (scripts/build-sdk.sh copies it into www/sdk/). Differences: no wasm, and
// renderQr draws the worker's QR image instead of an SVG made in Rust.

const CODES = ["USER_CANCELLED", "NOT_SUPPORTED", "INVALID_DOMAIN", "CREDENTIAL_EXISTS",
  "TIMEOUT", "SECURITY_ERROR", "NETWORK", "UNKNOWN"];

export class MidError extends Error {
  constructor(code, message, cause) {
    super(message || code);
    this.name = "MidError";
    this.code = CODES.includes(code) ? code : "UNKNOWN";
    this.cause = cause;
  }
}

function toMidError(e, creating) {
  if (e instanceof MidError) return e;
  const name = e && e.name;
  const msg = (e && e.message) || String(e);
  const code = {
    NotAllowedError: "USER_CANCELLED", AbortError: "USER_CANCELLED",
    NotSupportedError: "NOT_SUPPORTED", TimeoutError: "TIMEOUT",
    InvalidStateError: creating ? "CREDENTIAL_EXISTS" : "UNKNOWN",
    NetworkError: "NETWORK",
    SecurityError: /domain|rp ?id|relying party/i.test(msg) ? "INVALID_DOMAIN" : "SECURITY_ERROR",
  }[name] || "UNKNOWN";
  return new MidError(code, msg, e);
}

// base64url (no padding) <-> ArrayBuffer
const toBuf = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
const toB64u = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const withIds = (list) => list && list.map((c) => ({ ...c, id: toBuf(c.id) }));

export function isWebAuthnAvailable() {
  return typeof window !== "undefined" && !!window.PublicKeyCredential && !!navigator.credentials;
}
export async function isPlatformAuthenticatorAvailable() {
  return isWebAuthnAvailable() && PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
}
export async function isConditionalMediationAvailable() {
  return isWebAuthnAvailable() && !!PublicKeyCredential.isConditionalMediationAvailable &&
    PublicKeyCredential.isConditionalMediationAvailable();
}

export async function createPasskey(optionsJSON, { signal } = {}) {
  if (!isWebAuthnAvailable()) throw new MidError("NOT_SUPPORTED", "WebAuthn is not available");
  const o = optionsJSON;
  const publicKey = { ...o, challenge: toBuf(o.challenge), user: { ...o.user, id: toBuf(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials) || [] };
  let cred;
  try { cred = await navigator.credentials.create({ publicKey, signal }); } catch (e) { throw toMidError(e, true); }
  const r = cred.response;
  return {
    id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64u(r.clientDataJSON), attestationObject: toB64u(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [],
      publicKeyAlgorithm: r.getPublicKeyAlgorithm ? r.getPublicKeyAlgorithm() : undefined,
      publicKey: r.getPublicKey && r.getPublicKey() ? toB64u(r.getPublicKey()) : undefined,
      authenticatorData: r.getAuthenticatorData ? toB64u(r.getAuthenticatorData()) : undefined,
    },
  };
}

export async function getPasskey(optionsJSON, { mediation, signal } = {}) {
  if (!isWebAuthnAvailable()) throw new MidError("NOT_SUPPORTED", "WebAuthn is not available");
  const o = optionsJSON;
  const publicKey = { ...o, challenge: toBuf(o.challenge), allowCredentials: withIds(o.allowCredentials) || [] };
  let cred;
  try { cred = await navigator.credentials.get({ publicKey, mediation, signal }); } catch (e) { throw toMidError(e, false); }
  const r = cred.response;
  return {
    id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64u(r.clientDataJSON), authenticatorData: toB64u(r.authenticatorData),
      signature: toB64u(r.signature), userHandle: r.userHandle ? toB64u(r.userHandle) : undefined,
    },
  };
}

// Stand-in only: the real SDK encodes `text` itself. Here `opts.src` (an
// image URL of the same QR) is drawn; without it the link is shown as text.
export function renderQr(element, text, { size = 240, label = "QR code to scan with your phone", src } = {}) {
  element.replaceChildren();
  if (src) {
    const img = document.createElement("img");
    img.src = src; img.width = size; img.height = size; img.alt = label;
    img.setAttribute("role", "img");
    element.append(img);
  } else {
    const a = document.createElement("a");
    a.href = text; a.textContent = text; a.setAttribute("aria-label", label);
    element.append(a);
  }
}

const TERMINAL = ["approved", "rejected", "expired"];

export function watchConsent({ baseUrl = location.origin, consentId, clientSecret, onStatus, signal }) {
  const base = baseUrl.replace(/\/$/, "");
  const q = "?clientSecret=" + encodeURIComponent(clientSecret);
  const path = "/consents/" + encodeURIComponent(consentId);
  return new Promise((resolve, reject) => {
    let done = false, last = null, ws = null, timer = null, delay = 500;
    const stop = () => { done = true; clearTimeout(timer); if (ws) ws.close(); };
    const emit = (c) => {
      if (done) return;
      if (!last || last.status !== c.status) { last = c; if (onStatus) onStatus(c); }
      if (TERMINAL.includes(c.status)) { stop(); resolve(c); }
    };
    const retry = () => { if (!done) { timer = setTimeout(poll, delay); delay = Math.min(delay * 2, 10000); } };
    // Polling fallback: one read, then try the live channel again.
    async function poll() {
      try {
        const r = await fetch(base + path + q, { signal });
        if (r.ok) { emit(await r.json()); delay = 500; }
        else if (r.status === 401 || r.status === 404) { stop(); reject(new MidError("UNKNOWN", "consent not found")); return; }
      } catch (e) { if (signal && signal.aborted) return; }
      if (!done) connect();
    }
    function connect() {
      try { ws = new WebSocket(base.replace(/^http/, "ws") + path + "/live" + q); } catch (e) { retry(); return; }
      ws.onmessage = (e) => {
        try { const m = JSON.parse(e.data); if (m.type === "status" && m.consent) emit(m.consent); } catch (_) { /* ignore */ }
      };
      ws.onclose = () => { ws = null; retry(); };
    }
    if (signal) signal.addEventListener("abort", () => { stop(); reject(new MidError("USER_CANCELLED", "aborted", signal.reason)); });
    connect();
  });
}

const STATUS_TEXT = {
  pending: "Scan the code with your phone's camera",
  scanned: "Scanned: confirm on your phone",
  approved: "Approved",
  rejected: "Rejected on the phone",
  expired: "Expired: start again",
};

export function showConsent(element, { baseUrl = location.origin, consentId, clientSecret, qrText, onStatus, signal }) {
  const base = baseUrl.replace(/\/$/, "");
  const qr = document.createElement("div");
  qr.className = "mid-qr";
  const line = document.createElement("p");
  line.className = "mid-status";
  line.setAttribute("role", "status");
  line.setAttribute("aria-live", "polite");
  element.replaceChildren(qr, line);
  renderQr(qr, qrText, { src: base + "/consents/qr/svg/" + encodeURIComponent(consentId) + "?clientSecret=" + encodeURIComponent(clientSecret) });
  line.textContent = STATUS_TEXT.pending;
  return watchConsent({
    baseUrl: base, consentId, clientSecret, signal,
    onStatus: (c) => {
      line.textContent = STATUS_TEXT[c.status] || c.status;
      line.dataset.status = c.status;
      if (TERMINAL.includes(c.status)) qr.hidden = true;
      if (onStatus) onStatus(c);
    },
  });
}
