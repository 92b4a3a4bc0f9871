//! Durable Objects, one class per file, each with a typed client so the
//! internal paths live next to the handler that serves them.

pub mod billing;
pub mod ceremony;
pub mod client;
pub mod consent;
pub mod credential_index;
pub mod ctx;
pub mod enrollment;
pub mod event_queue;
pub mod gate;
pub mod idempotency;
pub mod inbox;
pub mod limiter;
pub mod mobile;
pub mod outbox;
pub mod outbox_store;
pub mod registration_token;
pub mod rpc;
pub mod sql_kv;
pub mod user;

/// An alarm time from unix milliseconds (a bare `i64` would be an offset).
pub fn alarm_at(unix_ms: i64) -> worker::ScheduledTime {
    worker::ScheduledTime::new(worker::js_sys::Date::new(
        &worker::wasm_bindgen::JsValue::from_f64(unix_ms as f64),
    ))
}
