// Sandbox demo: a partner page in three lines of SDK (showConsent). The
// consent is made by POST /demo/consents, a keyless sandbox-only route that
// answers 404 unless the operator designated a demo client (npm start does).
import { showConsent } from "/sdk/index.js";
import { post, commonText } from "/api-client.js";

const $ = (id) => document.getElementById(id);
let watching = null;

$("start").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("error").hidden = true;
  $("result").textContent = "";
  if (watching) watching.abort();
  let consent;
  try {
    consent = await post("/demo/consents", { recipient: $("recipient").value });
  } catch (e) {
    $("error").textContent = e.status === 404
      ? "The demo is off on this server. Run `npm start`: it sets up the sandbox demo client."
      : e.code === "invalid_phone" ? "That does not look like a mobile number."
      : commonText(e) || e.message;
    $("error").hidden = false;
    return;
  }
  watching = new AbortController();
  $("consent").hidden = false;
  $("approval-link").href = consent.qr.url;
  $("phone-link").hidden = false;
  document.body.dataset.consent = consent.id;
  showConsent($("consent"), {
    consentId: consent.id,
    clientSecret: consent.clientSecret,
    qrText: consent.qr.url,
    signal: watching.signal,
  }).then((final) => {
    document.body.dataset.status = final.status;
    $("phone-link").hidden = true;
    $("result").textContent = final.status === "approved"
      ? "Logged in: approved by " + final.user.mobile + " with " + final.device.model + "."
      : final.status === "rejected" ? "The phone said no." : "Too late: the code expired. Try again.";
  }).catch(() => { /* replaced by a newer consent */ });
});
