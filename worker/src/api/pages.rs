//! HTML pages the worker serves itself (the rest of `www/` is static assets,
//! whose headers come from `www/_headers`; the two lists must agree).

use worker::Response;

use crate::app::App;
use crate::error::ApiResult;
use crate::http::set_header;

/// Strict: no inline script or style, nothing from other origins, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/// Passkeys (and WebOTP) for this origin only, never for an embedding page.
pub const PERMISSIONS: &str = "publickey-credentials-get=(self), publickey-credentials-create=(self), otp-credentials=(self), camera=(), microphone=(), geolocation=()";

/// The security headers every page carries.
pub fn secure(resp: &mut Response) {
    set_header(resp, "Content-Security-Policy", CSP);
    set_header(resp, "Referrer-Policy", "no-referrer");
    set_header(resp, "X-Frame-Options", "DENY");
    set_header(resp, "X-Content-Type-Options", "nosniff");
    set_header(resp, "Permissions-Policy", PERMISSIONS);
}

/// `GET /a/:id`: the hosted approval page. The token rides in the URL
/// fragment, so it never reaches this request, logs or Referer headers.
pub async fn approval(app: &App) -> ApiResult<Response> {
    let assets = app.env.assets("ASSETS")?;
    let mut resp = assets
        .fetch("https://assets.local/approve.html", None)
        .await?
        .cloned()?;
    let mut out = Response::builder()
        .with_status(200)
        .fixed(resp.bytes().await?);
    set_header(&mut out, "Content-Type", "text/html; charset=utf-8");
    set_header(&mut out, "Cache-Control", "no-store");
    secure(&mut out);
    Ok(out)
}
