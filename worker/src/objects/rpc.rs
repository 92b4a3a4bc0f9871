//! The protocol between the worker and its Durable Objects.
//!
//! A call is a POST to `https://do.internal/<op>` with a JSON body; the answer
//! is `{"ok": <value>}` or `{"error": <ApiError>}` where the error is the
//! serde form of [`ApiError`] itself, so it crosses the boundary unchanged (a
//! `Forbidden` stays a 403 with its message; nothing is re-parsed from codes).
//! Internal details never cross: an object logs them and answers a bare
//! `Internal`.
//!
//! Objects written in the typed shape take one serde enum of calls through
//! [`invoke`] on the worker side and [`serve`] on theirs, so no object reads
//! members out of a JSON body by name. Enums crossing here are externally
//! tagged (serde's default): internally tagged or flattened forms buffer
//! through serde's `Content` and cost the worker's wasm far more code.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::error::{ApiError, ApiResult};

pub fn stub(env: &Env, binding: &str, name: &str) -> ApiResult<Stub> {
    Ok(env.durable_object(binding)?.get_by_name(name)?)
}

/// What an object answers.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer<T> {
    Ok(T),
    Error(ApiError),
}

/// POSTs `body` to the object and decodes its answer.
async fn post<B: Serialize, T: DeserializeOwned>(stub: &Stub, op: &str, body: &B) -> ApiResult<T> {
    crate::hops::object_call();
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(text.into()));
    let req = Request::new_with_init(&format!("https://do.internal/{op}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let text = resp.text().await?;
    decode(&text).map_err(|e| match e {
        ApiError::Internal(detail) if detail.is_empty() => {
            ApiError::Internal(format!("object op {op} failed (see its log)"))
        }
        other => other,
    })
}

/// Sends one typed call (an object's call enum) and decodes
/// the reply the caller expects for it.
pub async fn invoke<C: Serialize, T: DeserializeOwned>(stub: &Stub, call: &C) -> ApiResult<T> {
    post(stub, "call", call).await
}

/// The object's side of [`invoke`]: parses the call enum (a body that is not
/// one is an internal error, never a panic), runs `handle`, answers.
pub async fn serve<C, F, Fut>(mut req: Request, handle: F) -> worker::Result<Response>
where
    C: DeserializeOwned,
    F: FnOnce(C) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Value>>,
{
    let text = req.text().await?;
    let result = match serde_json::from_str::<C>(&text) {
        Ok(call) => handle(call).await,
        Err(e) => Err(ApiError::Internal(format!("rpc call: {e}"))),
    };
    answer(result)
}

/// A typed reply as the JSON [`serve`] answers.
pub fn reply<T: Serialize>(value: T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(format!("rpc reply: {e}")))
}

/// Decodes an object's answer.
pub fn decode<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    match serde_json::from_str::<Answer<T>>(text) {
        Ok(Answer::Ok(v)) => Ok(v),
        Ok(Answer::Error(e)) => Err(e),
        Err(e) => Err(ApiError::Internal(format!("rpc decode: {e}"))),
    }
}

/// The object's side: encode a result. Internal details are logged here and
/// never leave the object.
fn answer<T: Serialize>(result: ApiResult<T>) -> worker::Result<Response> {
    Response::from_json(&encode(result))
}

fn encode<T: Serialize>(result: ApiResult<T>) -> Answer<T> {
    match result {
        Ok(v) => Answer::Ok(v),
        Err(ApiError::Internal(detail)) => {
            log_internal(&detail);
            Answer::Error(ApiError::Internal(String::new()))
        }
        Err(e) => Answer::Error(e),
    }
}

#[cfg(target_arch = "wasm32")]
fn log_internal(detail: &str) {
    worker::console_error!("object error: {detail}");
}

#[cfg(not(target_arch = "wasm32"))]
fn log_internal(_detail: &str) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::input::InputError;
    use crate::domain::webauthn::WebauthnError;

    fn round_trip(e: ApiError) -> ApiError {
        let text = serde_json::to_string(&encode::<()>(Err(e))).unwrap();
        decode::<()>(&text).unwrap_err()
    }

    #[test]
    fn errors_cross_the_object_boundary_unchanged() {
        for e in [
            ApiError::forbidden("Approval requires the recipient's passkey."),
            ApiError::Conflict("consent exists".into()),
            ApiError::decided(),
            ApiError::NotFound,
            ApiError::Expired,
            ApiError::RateLimited {
                retry_after_secs: 7,
            },
            ApiError::InvalidCode {
                attempts_remaining: 3,
            },
            ApiError::SmsFailed {
                enrollment_id: Some("enr_x".into()),
            },
            ApiError::Webauthn(WebauthnError::UserHandleMismatch),
            ApiError::Webauthn(WebauthnError::CredentialExists),
            ApiError::Limit(crate::domain::limits::LimitError::TooManyPasskeys),
            ApiError::Input(InputError::invalid("deviceName", "is too long")),
        ] {
            let back = round_trip(e.clone());
            assert_eq!(back, e);
            assert_eq!((back.status(), back.code()), (e.status(), e.code()));
            assert_eq!(back.body(), e.body());
        }
    }

    #[test]
    fn internal_details_stay_inside_the_object() {
        let back = round_trip(ApiError::Internal("secret detail".into()));
        assert_eq!(back, ApiError::Internal(String::new()));
        let ok: ApiResult<u8> = decode(r#"{"ok":5}"#);
        assert_eq!(ok.unwrap(), 5);
        assert!(matches!(
            decode::<u8>(r#"{"error":"not_found"}"#),
            Err(ApiError::Internal(_))
        ));
        assert!(matches!(
            decode::<u8>("garbage"),
            Err(ApiError::Internal(_))
        ));
    }
}
