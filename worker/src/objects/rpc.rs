//! JSON calls between the worker and its Durable Objects.
//!
//! An object answers `{"ok": <value>}` or `{"error": "<code>"}`; the typed
//! clients turn codes back into [`ApiError`]s.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::error::{ApiError, ApiResult};

pub fn stub(env: &Env, binding: &str, name: &str) -> ApiResult<Stub> {
    Ok(env.durable_object(binding)?.get_by_name(name)?)
}

/// POSTs `body` to `op` on the object and decodes its answer.
pub async fn call<B: Serialize, T: DeserializeOwned>(
    stub: &Stub,
    op: &str,
    body: &B,
) -> ApiResult<T> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(text.into()));
    let req = Request::new_with_init(&format!("https://do.internal/{op}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let answer: Value = resp.json().await?;
    decode(answer)
}

pub fn decode<T: DeserializeOwned>(answer: Value) -> ApiResult<T> {
    if let Some(code) = answer.get("error").and_then(Value::as_str) {
        if code == "rate_limited" {
            let retry_after_secs = answer["retryAfterSecs"].as_i64().unwrap_or(60);
            return Err(ApiError::RateLimited { retry_after_secs });
        }
        return Err(ApiError::from_code(code));
    }
    let ok = answer.get("ok").cloned().unwrap_or(Value::Null);
    serde_json::from_value(ok).map_err(|e| ApiError::Internal(format!("rpc decode: {e}")))
}

/// The object's side: parse the op and body of an internal request.
pub async fn read(mut req: Request) -> worker::Result<(String, Value)> {
    let op = req.path().trim_start_matches('/').to_owned();
    let body = req.json::<Value>().await.unwrap_or(Value::Null);
    Ok((op, body))
}

/// The object's side: encode a result.
pub fn answer<T: Serialize>(result: ApiResult<T>) -> worker::Result<Response> {
    let value = match result {
        Ok(v) => json!({ "ok": v }),
        Err(ApiError::Internal(detail)) => {
            worker::console_error!("object error: {detail}");
            json!({ "error": "internal" })
        }
        Err(ApiError::RateLimited { retry_after_secs }) => {
            json!({ "error": "rate_limited", "retryAfterSecs": retry_after_secs })
        }
        Err(ApiError::Limit(l)) => json!({ "error": l.wire_code() }),
        Err(e) => json!({ "error": e.code() }),
    };
    Response::from_json(&value)
}

pub fn arg<T: DeserializeOwned>(body: &Value) -> ApiResult<T> {
    serde_json::from_value(body.clone()).map_err(|e| ApiError::Internal(format!("rpc args: {e}")))
}
