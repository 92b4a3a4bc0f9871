// Small JSON client shared by the hosted pages: every failure becomes an
// ApiFailure with the HTTP status, the contract's error code and Retry-After,
// or status 0 for a network error.

export class ApiFailure extends Error {
  constructor(status, code, message, retryAfter, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

export async function post(path, body) {
  let r;
  try {
    r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiFailure(0, "network", "No connection", null);
  }
  let json = null;
  try { json = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const err = (json && json.error) || {};
    throw new ApiFailure(r.status, err.code || "unknown", err.message || "HTTP " + r.status,
      Number(r.headers.get("Retry-After")) || null, json);
  }
  return json;
}

/** Human text for failures every page shares. */
export function commonText(e) {
  if (e.status === 0) return "No connection. Check that you are online, then try again.";
  if (e.status === 429) {
    const wait = e.retryAfter ? " Wait " + (e.retryAfter > 90 ? Math.ceil(e.retryAfter / 60) + " minutes" : e.retryAfter + " seconds") : " Wait a moment";
    return "Too many tries." + wait + ", then try again.";
  }
  if (e.status >= 500) return "Something went wrong on our side. Try again in a moment.";
  return null;
}
