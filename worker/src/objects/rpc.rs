//! The protocol between the worker and its Durable Objects.
//!
//! A call is one JavaScript RPC call, `stub.rpc(body)`, with a JSON text body;
//! the answer is the JSON text `{"ok": <value>}` or `{"error": <ApiError>}`
//! where the error is the
//! serde form of [`ApiError`] itself, so it crosses the boundary unchanged (a
//! `Forbidden` stays a 403 with its message; nothing is re-parsed from codes).
//! Internal details never cross: an object logs them and answers a bare
//! `Internal`.
//!
//! Objects written in the typed shape take one serde enum of calls through
//! [`invoke`] on the worker side and [`serve`] on theirs, so no object reads
//! members out of a JSON body by name.
//!
//! Why RPC and not `stub.fetch()`: a fetch builds a `Request`, `Headers` and a
//! `Response`, streams both bodies, and is a subrequest; under `wrangler dev`
//! every subrequest also becomes four inspector `Network.*` events that
//! wrangler relays to its Node process one HTTP call each. Profiled, that was
//! the largest single cost of a partner read (docs/benchmarks.md, "What
//! dominates"). The object classes become RPC targets in `worker/entry.mjs`,
//! whose `rpc` hands the text to the object's own `fetch` (so [`serve`] is
//! the one entry on the object's side). Enums crossing here are externally
//! tagged (serde's default): internally tagged or flattened forms buffer
//! through serde's `Content` and cost the worker's wasm far more code.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, worker_sys, Env, Request, Response};

use crate::error::{ApiError, ApiResult};

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub as an RPC target (see `worker/entry.mjs`).
    #[wasm_bindgen(extends = js_sys::Object)]
    type RpcStub;

    /// `stub.rpc(body)`: a promise of the object's answer text.
    #[wasm_bindgen(method, catch, js_name = rpc)]
    fn call(this: &RpcStub, body: &str) -> Result<JsValue, JsValue>;
}

/// One object, addressed by name: RPC for calls, `fetch` for the live channel.
pub struct Stub {
    inner: worker_sys::DurableObject,
}

impl Stub {
    /// Sends a request to the object's `fetch` (WebSocket upgrades).
    pub async fn fetch_with_request(&self, req: Request) -> worker::Result<Response> {
        let promise = self.inner.fetch_with_request(req.inner())?;
        let response = JsFuture::from(promise).await?;
        Ok(response.dyn_into::<worker::web_sys::Response>()?.into())
    }

    /// One RPC call with a JSON text; the answer text.
    async fn call_text(&self, body: &str) -> worker::Result<String> {
        let pending = self.inner.unchecked_ref::<RpcStub>().call(body)?;
        // An RPC result is a thenable; `Promise.resolve` makes it a promise.
        let answer = JsFuture::from(js_sys::Promise::resolve(&pending)).await?;
        answer
            .as_string()
            .ok_or_else(|| worker::Error::RustError("object answer is not text".into()))
    }
}

pub fn stub(env: &Env, binding: &str, name: &str) -> ApiResult<Stub> {
    Ok(Stub {
        inner: env.durable_object(binding)?.get_by_name(name)?.into_rpc(),
    })
}

/// What an object answers.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer<T> {
    Ok(T),
    Error(ApiError),
}

/// Sends one typed call (an object's call enum) and decodes
/// the reply the caller expects for it.
pub async fn invoke<C: Serialize, T: DeserializeOwned>(stub: &Stub, call: &C) -> ApiResult<T> {
    crate::hops::object_call();
    let text = serde_json::to_string(call).map_err(|e| ApiError::Internal(e.to_string()))?;
    let answer = stub.call_text(&text).await?;
    decode(&answer).map_err(|e| match e {
        ApiError::Internal(detail) if detail.is_empty() => {
            ApiError::Internal("object call failed (see its log)".into())
        }
        other => other,
    })
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
    let result = match serde_json::from_slice::<C>(text.as_bytes()) {
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
    match serde_json::from_slice::<Answer<T>>(text.as_bytes()) {
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
