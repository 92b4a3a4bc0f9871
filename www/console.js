// Sandbox console (/console): real API calls with a partner's TEST key, from
// this page. The key and client id live in sessionStorage only (gone with the
// tab). Live keys are refused here by prefix and, should one get past, by the
// server: every sandbox route answers 404 to a live key, and the console
// checks the key against one before anything else.
import { showConsent, createPasskey, getPasskey, MidError } from "/sdk/index.js";
import { ApiFailure, commonText } from "/api-client.js";

const $ = (id) => document.getElementById(id);
const STORE = { key: "mid.console.key", client: "mid.console.clientId" };
// A number nobody is sent anything for: the key check only lists its (empty) sandbox inbox.
const PROBE_MOBILE = "+2348000000000";

let creds = null;
let consent = null;
let watching = null;
let user = null;

// ---- calls ---------------------------------------------------------------

/** One API call with the pasted key; every call and its answer go to the log. */
async function call(method, path, body) {
  const headers = { Authorization: "Bearer " + creds.key, "X-Client-ID": creds.clientId };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const entry = logStart(method, path, body);
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    const f = new ApiFailure(0, "network", "No connection", null);
    logEnd(entry, f);
    throw f;
  }
  let json = null;
  try { json = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const err = (json && json.error) || {};
    const f = new ApiFailure(r.status, err.code || "unknown", err.message || "HTTP " + r.status,
      Number(r.headers.get("Retry-After")) || null, json);
    f.param = err.param;
    logEnd(entry, f);
    throw f;
  }
  logEnd(entry, r.status, json);
  return json;
}

/** The API's error as a person reads it: code, message, param, or the SDK's code. */
function describe(e) {
  if (e instanceof ApiFailure) {
    const common = commonText(e);
    const base = `${e.status || "no answer"} ${e.code}: ${e.message}` + (e.param ? ` (param: ${e.param})` : "");
    return common ? `${base}. ${common}` : base;
  }
  if (e instanceof MidError) return `${e.code}: ${e.message}`;
  return String((e && e.message) || e);
}

function showError(e) {
  $("error").textContent = e ? describe(e) : "";
  $("error").hidden = !e;
  if (e) $("log-card").hidden = false;
}

function logStart(method, path, body) {
  $("log-card").hidden = false;
  const li = document.createElement("li");
  const line = document.createElement("p");
  line.className = "call";
  line.textContent = `${method} ${path}`;
  li.appendChild(line);
  if (body !== undefined) li.appendChild(pre(JSON.stringify(body, null, 2), "request"));
  $("log").prepend(li);
  return li;
}

function logEnd(li, statusOrFailure, json) {
  const line = li.querySelector(".call");
  if (statusOrFailure instanceof ApiFailure) {
    li.classList.add("failed");
    line.textContent += ` → ${describe(statusOrFailure)}`;
    if (statusOrFailure.body) li.appendChild(pre(JSON.stringify(statusOrFailure.body, null, 2), "response"));
  } else {
    line.textContent += ` → ${statusOrFailure}`;
    if (json !== null) li.appendChild(pre(JSON.stringify(json, null, 2), "response"));
  }
}

function pre(text, cls) {
  const p = document.createElement("pre");
  if (cls) p.className = cls;
  p.textContent = text;
  return p;
}

async function busy(button, fn) {
  button.disabled = true;
  showError(null);
  try { await fn(); } catch (e) { showError(e); } finally { button.disabled = false; }
}

// ---- 1. the key ---------------------------------------------------------

/** Why a pasted key is refused before any call, or null. */
function keyProblem(key) {
  if (key.startsWith("mid_sk_live_")) return "Live keys are refused: the console runs in test mode only. Paste a mid_sk_test_ key.";
  if (!key.startsWith("mid_sk_test_")) return "That is not a MID test key (they start with mid_sk_test_).";
  return null;
}

async function useKey(key, clientId) {
  const problem = keyProblem(key);
  if (problem) { refuse(problem); return; }
  creds = { key, clientId };
  try {
    // The server's own test-mode rule: sandbox routes are 404 for a live key.
    await call("GET", "/sandbox/messages?to=" + encodeURIComponent(PROBE_MOBILE));
  } catch (e) {
    refuse(e.status === 404 ? "The server refused this key for the sandbox: it is not a test key."
      : e.status === 401 ? "The server does not know this key and client id together (401 unauthorized). Check both."
      : describe(e));
    return;
  }
  sessionStorage.setItem(STORE.key, key);
  sessionStorage.setItem(STORE.client, clientId);
  $("key-status").textContent = `Test mode: ${clientId}.`;
  document.body.dataset.key = "ok";
  for (const id of ["consents", "webhooks", "fido"]) $(id).hidden = false;
}

function refuse(text) {
  creds = null;
  sessionStorage.removeItem(STORE.key);
  sessionStorage.removeItem(STORE.client);
  $("key-status").textContent = text;
  document.body.dataset.key = "refused";
  for (const id of ["consents", "webhooks", "fido"]) $(id).hidden = true;
}

$("key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  showError(null);
  useKey($("api-key").value.trim(), $("client-id").value.trim());
});

$("forget").addEventListener("click", () => {
  $("api-key").value = "";
  $("client-id").value = "";
  refuse("Forgotten: nothing of the key is kept.");
});

// ---- 2. a consent -------------------------------------------------------

$("consent-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const button = ev.submitter || ev.target.querySelector("button");
  busy(button, async () => {
    const body = { recipient: $("recipient").value.trim(), intent: $("intent").value };
    if ($("message").value.trim()) body.message = $("message").value.trim();
    const c = await call("POST", "/consents/auth", body);
    show(c);
    refreshDeliveries({ until: (list) => hasDelivery(list, c.id, "consent.created") });
  });
});

function show(c) {
  if (watching) watching.abort();
  consent = c;
  watching = new AbortController();
  $("consent-view").hidden = false;
  $("consent-id").textContent = c.id;
  setStatus(c.status);
  $("approval-link").href = c.qr.url;
  $("approval-link").textContent = c.qr.url;
  document.body.dataset.consent = c.id;
  showConsent($("qr"), {
    consentId: c.id,
    clientSecret: c.clientSecret,
    qrText: c.qr.url,
    signal: watching.signal,
    label: "Approval link of " + c.id,
    onStatus: (now) => { if (consent && now.id === consent.id) setStatus(now.status); },
  }).then((final) => { if (consent && final.id === consent.id) setStatus(final.status); })
    .catch((e) => {
      if (e instanceof MidError && e.code === "USER_CANCELLED") return; // replaced by a newer consent
      showError(e);
    });
}

function setStatus(status) {
  $("consent-status").textContent = status;
  $("consent-status").dataset.status = status;
}

$("simulate").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button || !consent) return;
  const action = button.dataset.action;
  const id = consent.id;
  busy(button, async () => {
    await call("POST", `/sandbox/consents/${encodeURIComponent(id)}/${action}`);
    const event = { approve: "consent.approved", reject: "consent.rejected", expire: "consent.expired" }[action];
    refreshDeliveries({ until: (list) => hasDelivery(list, id, event) });
  });
});

// ---- 3. webhooks --------------------------------------------------------

/** A delivery of `event` for consent `id` whose request has been sent. */
function hasDelivery(list, id, event) {
  return list.data.some((d) => d.event === event && d.lastRequestHeaders && sessionOf(d) === id);
}

function sessionOf(d) {
  try { return JSON.parse(d.body).data.sessionId || JSON.parse(d.body).data.deviceId; } catch (_) { return null; }
}

let refreshing = 0;
/**
 * Lists deliveries now, then every second for up to 20 s until `until`
 * holds; 5 s when there are none at all (a client without a webhookUrl).
 */
async function refreshDeliveries({ until } = {}) {
  const mine = ++refreshing;
  const started = Date.now();
  for (;;) {
    let list;
    try {
      list = await call("GET", "/webhooks/deliveries?limit=20");
    } catch (e) {
      showError(e);
      return;
    }
    if (mine !== refreshing) return; // a newer refresh took over
    renderDeliveries(list);
    const waited = Date.now() - started;
    if (!until || until(list) || waited > 20000 || (!list.data.length && waited > 5000)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function renderDeliveries(list) {
  const root = $("deliveries");
  root.textContent = "";
  $("deliveries-empty").hidden = list.data.length > 0;
  $("deliveries-empty").textContent = "No deliveries yet. Deliveries exist only when the client has a webhookUrl (PUT /clients/:id {webhookUrl}).";
  for (const d of list.data) {
    const box = document.createElement("details");
    box.className = "delivery";
    box.dataset.event = d.event;
    box.dataset.session = sessionOf(d) || "";
    box.dataset.status = d.status;
    if (consent && sessionOf(d) === consent.id) box.open = true;
    const summary = document.createElement("summary");
    summary.textContent = `${d.event} · ${d.status} · ${d.attempts} attempt(s)` +
      (d.responseStatus ? ` · your endpoint answered ${d.responseStatus}` : "") + ` · ${d.id}`;
    box.appendChild(summary);
    const h = document.createElement("p");
    h.textContent = "Headers of the last attempt";
    box.appendChild(h);
    const headers = d.lastRequestHeaders
      ? Object.entries(d.lastRequestHeaders).map(([k, v]) => `${k}: ${v}`).join("\n")
      : "(not sent yet)";
    box.appendChild(pre(headers, "headers"));
    const b = document.createElement("p");
    b.textContent = "Body (exact bytes)";
    box.appendChild(b);
    box.appendChild(pre(d.body, "body"));
    root.appendChild(box);
  }
}

$("refresh-deliveries").addEventListener("click", (ev) => busy(ev.currentTarget, () => refreshDeliveries()));

// ---- 4. passkeys --------------------------------------------------------

$("user-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy(ev.submitter || ev.target.querySelector("button"), async () => {
    user = await call("POST", "/sandbox/users", { mobile: $("user-mobile").value.trim() });
    $("user-id").textContent = user.id;
    $("device-id").textContent = "none yet";
    $("signin-result").textContent = "none yet";
    $("user-view").hidden = false;
    $("fido-buttons").hidden = false;
  });
});

$("register").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
  const begun = await call("POST", "/fido/register/begin", { userId: user.id });
  const response = await createPasskey(begun.options);
  const device = await call("POST", "/fido/register/complete",
    { ceremonyId: begun.ceremonyId, response, deviceName: "Sandbox console" });
  $("device-id").textContent = device.id;
  $("device-id").dataset.done = "yes";
}));

$("authenticate").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
  const begun = await call("POST", "/fido/authenticate/begin", { userId: user.id });
  const response = await getPasskey(begun.options);
  const done = await call("POST", "/fido/authenticate/complete", { ceremonyId: begun.ceremonyId, response });
  $("signin-result").textContent = done.verified ? `verified with ${done.deviceId}` : "not verified";
  $("signin-result").dataset.verified = String(done.verified === true);
}));

// ---- start --------------------------------------------------------------

const savedKey = sessionStorage.getItem(STORE.key);
const savedClient = sessionStorage.getItem(STORE.client);
if (savedKey && savedClient) {
  $("client-id").value = savedClient;
  useKey(savedKey, savedClient);
}
