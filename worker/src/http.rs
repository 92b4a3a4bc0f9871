//! Small HTTP helpers: bounded JSON bodies, compact JSON responses, query params.

use futures_util::StreamExt;
use serde_json::Value;
use worker::{Headers, Request, Response};

use crate::error::{ApiError, ApiResult};

pub const MAX_BODY: usize = 64 * 1024;

/// Compact JSON with the given status. Building a response from owned bytes
/// cannot fail, so there is no error path.
pub fn json(status: u16, value: &Value) -> Response {
    bytes(status, "application/json", value.to_string().into_bytes())
}

/// The one place an [`ApiError`] becomes an HTTP answer; internal details are
/// logged here and never returned.
pub fn error_response(e: ApiError) -> Response {
    if let ApiError::Internal(detail) = &e {
        worker::console_error!("internal error: {detail}");
    }
    let mut resp = json(e.status(), &e.body());
    for (name, value) in e.headers() {
        set_header(&mut resp, name, &value);
    }
    resp
}

pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body)
}

pub fn set_header(resp: &mut Response, name: &str, value: &str) {
    let _ = resp.headers_mut().set(name, value);
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads the body: at most 64 KiB, and JSON unless empty.
pub async fn body(req: &mut Request) -> ApiResult<Vec<u8>> {
    if let Some(len) = header(req, "Content-Length").and_then(|l| l.parse::<usize>().ok()) {
        if len > MAX_BODY {
            return Err(ApiError::PayloadTooLarge);
        }
    }
    // Read in chunks and stop past the limit: a chunked body without
    // Content-Length is never buffered beyond 64 KiB.
    let mut data = Vec::new();
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::Internal(format!("body read: {e}")))?;
            data.extend_from_slice(&chunk);
            if data.len() > MAX_BODY {
                return Err(ApiError::PayloadTooLarge);
            }
        }
    }
    if !data.is_empty() {
        let ct = header(req, "Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mime = ct.split(';').next().unwrap_or("").trim();
        if mime != "application/json" {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    Ok(data)
}

/// The first value of query parameter `name`, percent-decoded.
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
