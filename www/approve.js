// Hosted approval page, /a/<consentId>#t=<token>. The token rides in the URL
// fragment, which browsers never send to servers (no logs, no Referer); it is
// dropped from the address bar at once and kept for this tab only.
import { getPasskey, isWebAuthnAvailable } from "/sdk/index.js";
import { post, commonText } from "/api-client.js";

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").pop());
const INTENTS = {
  login: "Log in", signup: "Sign up", payment: "Approve a payment",
  transaction: "Approve a transaction", signature: "Sign a document",
};
let token = new URLSearchParams(location.hash.slice(1)).get("t");
if (token) {
  sessionStorage.setItem("mid-t:" + id, token);
  history.replaceState(null, "", location.pathname);
} else {
  token = sessionStorage.getItem("mid-t:" + id);
}
let clientName = "the service";

function showError(text, enrollLink) {
  $("error-text").textContent = text;
  $("error-link").hidden = !enrollLink;
  $("error").hidden = false;
}
function clearError() { $("error").hidden = true; }
function busy(on) { $("approve").disabled = on; $("reject").disabled = on; }

function finished(status) {
  $("actions").hidden = true;
  const text = {
    approved: "Approved. You can go back to " + clientName + ".",
    rejected: "Rejected. " + clientName + " has been told you said no.",
    expired: "This request has expired. Go back to " + clientName + " and start again.",
  }[status];
  $("status").textContent = text || "Status: " + status;
  document.body.dataset.status = status;
}

function explain(e) {
  if (e.status === 410) return "This request has expired. Go back to " + clientName + " and start again.";
  if (e.status === 409) return "This request has already been answered. Nothing more to do here.";
  if (e.status === 404 || e.status === 401) return "This link is not valid any more. Scan the QR code again.";
  return commonText(e) || e.message;
}

async function load() {
  if (!token) {
    $("title").textContent = "Incomplete link";
    showError("This link is incomplete. Scan the QR code again.");
    return;
  }
  try {
    const view = await post("/consents/" + encodeURIComponent(id) + "/scan", { token });
    clientName = view.clientName;
    $("title").textContent = (INTENTS[view.intent] || view.intent) + "?";
    $("client").textContent = view.clientName;
    $("intent").textContent = INTENTS[view.intent] || view.intent;
    $("number").textContent = view.recipientMasked;
    $("details").hidden = false;
    if (view.message) { $("message").textContent = view.message; $("message").hidden = false; }
    if (view.status === "pending" || view.status === "scanned") {
      $("status").textContent = "Only approve if you started this on " + view.clientName + ". Until " +
        new Date(view.expiresAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".";
      $("actions").hidden = false;
      if (!isWebAuthnAvailable()) {
        $("approve").disabled = true;
        showError("This browser cannot use passkeys. Open the link in an up-to-date browser, or reject here.");
      }
    } else if (view.status === "expired") {
      finished("expired");
    } else {
      $("status").textContent = "This request has already been answered (" + view.status + ").";
      document.body.dataset.status = view.status;
    }
  } catch (e) {
    $("title").textContent = e.status === 410 ? "Request expired" : e.status === 409 ? "Already answered" : "Cannot open this request";
    showError(explain(e));
  }
}

async function approve() {
  clearError();
  busy(true);
  try {
    const begun = await post("/fido/authenticate/begin", { consentId: id, token });
    const response = await getPasskey(begun.options);
    const done = await post("/fido/authenticate/complete", { ceremonyId: begun.ceremonyId, consentId: id, token, response });
    finished(done.consent.status);
  } catch (e) {
    if (e.name === "MidError") {
      if (e.code === "USER_CANCELLED") {
        showError("The passkey prompt was closed, so nothing was sent. Try again when ready. " +
          "No passkey for this number on this phone yet? Set one up first.", true);
      } else if (e.code === "NOT_SUPPORTED") {
        showError("This browser cannot use passkeys. Try an up-to-date browser.");
      } else {
        showError("The passkey could not be used (" + e.code.toLowerCase().replace(/_/g, " ") + "). Try again.");
      }
    } else if (e.status === 403) {
      showError("This passkey may not answer this request. " + e.message, true);
    } else if (e.code === "unknown_credential") {
      showError("This passkey is not registered with MID (or was removed). Set up a passkey for this number.", true);
    } else if (e.status === 410 || e.status === 409) {
      showError(explain(e));
      $("actions").hidden = true;
    } else {
      showError(explain(e));
    }
  } finally {
    busy(false);
  }
}

async function reject() {
  clearError();
  busy(true);
  try {
    const c = await post("/consents/" + encodeURIComponent(id) + "/reject", { token });
    finished(c.status);
  } catch (e) {
    showError(explain(e));
    if (e.status === 410 || e.status === 409) $("actions").hidden = true;
  } finally {
    busy(false);
  }
}

$("approve").addEventListener("click", approve);
$("reject").addEventListener("click", reject);
load();
