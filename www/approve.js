// Hosted approval page. The token arrives in the URL fragment (#t=...), which
// browsers never send to servers, so it stays out of logs and Referer headers.
(function () {
  "use strict";
  var id = location.pathname.split("/").pop();
  var token = new URLSearchParams(location.hash.slice(1)).get("t");
  var $ = function (x) { return document.getElementById(x); };
  var intents = { login: "Log in", signup: "Sign up", payment: "Approve a payment", transaction: "Approve a transaction", signature: "Sign a document" };

  function fail(text) { $("error").textContent = text; }
  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error ? j.error.message : r.status); return j; }); });
  }
  function show(view) {
    $("title").textContent = (intents[view.intent] || view.intent) + " — " + view.clientName;
    $("details").textContent = "For " + view.recipientMasked + ", until " + new Date(view.expiresAt).toLocaleTimeString();
    $("message").textContent = view.message || "";
    $("status").textContent = "Status: " + view.status;
    $("actions").hidden = view.status !== "scanned" && view.status !== "pending";
  }
  if (!token) { fail("This link is incomplete. Scan the QR code again."); return; }
  history.replaceState(null, "", location.pathname);
  post("/consents/" + encodeURIComponent(id) + "/scan", { token: token }).then(show).catch(function (e) { fail(e.message); });
  // WebAuthn JSON <-> browser objects (base64url without padding).
  function b64uToBuf(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64u(buf) {
    var b = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) b += String.fromCharCode(bytes[i]);
    return btoa(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function requestOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var o = Object.assign({}, json, { challenge: b64uToBuf(json.challenge) });
    if (json.allowCredentials) {
      o.allowCredentials = json.allowCredentials.map(function (c) { return Object.assign({}, c, { id: b64uToBuf(c.id) }); });
    }
    return o;
  }
  function assertionJSON(cred) {
    if (cred.toJSON) return cred.toJSON();
    var r = cred.response;
    return {
      id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: bufToB64u(r.clientDataJSON), authenticatorData: bufToB64u(r.authenticatorData),
        signature: bufToB64u(r.signature), userHandle: r.userHandle ? bufToB64u(r.userHandle) : undefined,
      },
    };
  }
  $("approve").addEventListener("click", function () {
    fail("");
    var base = { consentId: id, token: token };
    post("/fido/authenticate/begin", base)
      .then(function (b) {
        return navigator.credentials.get({ publicKey: requestOptions(b.options) }).then(function (cred) {
          return post("/fido/authenticate/complete", Object.assign({ ceremonyId: b.ceremonyId, response: assertionJSON(cred) }, base));
        });
      })
      .then(function (r) { $("status").textContent = "Status: " + r.consent.status; $("actions").hidden = true; })
      .catch(function (e) { fail(e.name === "NotAllowedError" ? "Cancelled or no passkey for this number on this device." : e.message); });
  });
  $("reject").addEventListener("click", function () {
    post("/consents/" + encodeURIComponent(id) + "/reject", { token: token })
      .then(function (c) { $("status").textContent = "Status: " + c.status; $("actions").hidden = true; })
      .catch(function (e) { fail(e.message); });
  });
})();
