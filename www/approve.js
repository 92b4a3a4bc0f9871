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
  $("reject").addEventListener("click", function () {
    post("/consents/" + encodeURIComponent(id) + "/reject", { token: token })
      .then(function (c) { $("status").textContent = "Status: " + c.status; $("actions").hidden = true; })
      .catch(function (e) { fail(e.message); });
  });
})();
