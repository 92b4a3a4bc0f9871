use serde_json::json;
use worker::Response;

use crate::error::ApiResult;
use crate::http::json;

/// `GET /health`: no auth, no storage.
pub fn get() -> ApiResult<Response> {
    Ok(json(200, &json!({"status": "ok"})))
}
