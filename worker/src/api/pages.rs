//! HTML pages the worker serves itself (the rest of `www/` is static assets).

use worker::Response;

use crate::app::App;
use crate::error::ApiResult;
use crate::http::set_header;

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
        .with_headers(resp.headers().clone())
        .fixed(resp.bytes().await?);
    set_header(&mut out, "Content-Type", "text/html; charset=utf-8");
    set_header(&mut out, "Cache-Control", "no-store");
    set_header(&mut out, "Referrer-Policy", "no-referrer");
    set_header(&mut out, "X-Frame-Options", "DENY");
    set_header(
        &mut out,
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    Ok(out)
}
