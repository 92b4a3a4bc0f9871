// Hosted enrolment page, /enroll#e=<enrollmentId>. A partner's server starts
// the enrollment (POST /enrollments, its API key) and sends the person here;
// the id rides in the fragment, so it stays out of logs and Referer headers.
// The code is checked with POST /enrollments/:id/phone-verify (no key: the
// id plus the texted code is the credential). Without an id, the mobile step
// works only on a sandbox demo setup (POST /demo/enrollments).
import { createPasskey } from "/sdk/index.js";
import { post, commonText } from "/api-client.js";

const $ = (id) => document.getElementById(id);
let enrollmentId = new URLSearchParams(location.hash.slice(1)).get("e");
let registrationToken = null;
let begun = null;
let otpAbort = null;

function step(name) {
  for (const s of ["mobile", "code", "passkey", "done"]) $(s + "-step").hidden = s !== name;
  document.body.dataset.step = name;
}
function showError(text) { $("error").textContent = text; $("error").hidden = !text; }
function setBusy(form, on) { for (const b of form.querySelectorAll("button")) b.disabled = on; }

function codeStep() {
  step("code");
  $("code").focus();
  // Web OTP: Chrome on Android offers the texted code (its last line names this site).
  if ("OTPCredential" in window) {
    otpAbort = new AbortController();
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: otpAbort.signal })
      .then((otp) => { if (otp && otp.code) { $("code").value = otp.code; $("code-step").requestSubmit(); } })
      .catch(() => { /* typed by hand instead */ });
  }
}

$("mobile-step").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError("");
  setBusy(ev.target, true);
  try {
    const e = await post("/demo/enrollments", { mobile: $("mobile").value });
    enrollmentId = e.id;
    $("status").textContent = "Code sent to " + e.mobile + ".";
    codeStep();
  } catch (e) {
    if (e.status === 404) showError("Enrolment starts at the service you use: open the link it sent you. (Typing a number here works only in the sandbox demo.)");
    else if (e.code === "invalid_phone") showError("That does not look like a mobile number. Use the international form, e.g. +234 803 123 4567.");
    else showError(commonText(e) || e.message);
  } finally {
    setBusy(ev.target, false);
  }
});

$("code-step").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (otpAbort) otpAbort.abort();
  showError("");
  setBusy(ev.target, true);
  try {
    const v = await post("/enrollments/" + encodeURIComponent(enrollmentId) + "/phone-verify", { code: $("code").value.trim() });
    registrationToken = v.registrationToken;
    $("status").textContent = "";
    step("passkey");
  } catch (e) {
    const left = e.body && e.body.attemptsRemaining;
    if (e.code === "invalid_code") showError("That code is not right. " + left + (left === 1 ? " try" : " tries") + " left.");
    else if (e.code === "too_many_attempts") showError("Too many wrong codes: this code is locked. Start again to get a new one.");
    else if (e.status === 410) showError("This code has expired. Start again to get a new one.");
    else if (e.status === 409) showError("This code was already used. Start again if you still need a passkey.");
    else if (e.status === 404) showError("This enrolment link is not valid. Start again from the service you use.");
    else showError(commonText(e) || e.message);
  } finally {
    setBusy(ev.target, false);
  }
});

$("passkey-step").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError("");
  setBusy(ev.target, true);
  try {
    // The token begins one ceremony; a cancelled prompt retries the same one.
    if (!begun) begun = await post("/fido/register/begin", { registrationToken });
    const response = await createPasskey(begun.options);
    const name = $("device-name").value.trim();
    const device = await post("/fido/register/complete", { ceremonyId: begun.ceremonyId, response, ...(name ? { deviceName: name } : {}) });
    $("device-model").textContent = device.model;
    $("device-label").textContent = device.name || "—";
    $("device-added").textContent = new Date(device.createdAt).toLocaleString();
    $("title").textContent = "Passkey ready";
    step("done");
  } catch (e) {
    if (e.name === "MidError") {
      if (e.code === "USER_CANCELLED") showError("The passkey prompt was closed. Press “Create passkey” to try again.");
      else if (e.code === "CREDENTIAL_EXISTS") showError("This phone already has a passkey for this number. You are all set.");
      else if (e.code === "NOT_SUPPORTED") showError("This browser cannot create passkeys. Try an up-to-date browser.");
      else showError("The passkey could not be created (" + e.code.toLowerCase().replace(/_/g, " ") + ").");
    } else {
      if (e.status === 410 || e.status === 409 || e.code === "ceremony_expired") {
        begun = null;
        showError("This setup link has expired or was used. Start again to get a new code.");
      } else showError(commonText(e) || e.message);
    }
  } finally {
    setBusy(ev.target, false);
  }
});

if (enrollmentId) {
  history.replaceState(null, "", location.pathname);
  codeStep();
} else {
  step("mobile");
}
