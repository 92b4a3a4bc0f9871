//! Durable Objects, one class per file, each with a typed client so the
//! internal paths live next to the handler that serves them.

pub mod consent;
pub mod credential_index;
pub mod credentials;
pub mod idempotency;
pub mod inbox;
pub mod limiter;
pub mod outbox;
pub mod rpc;
pub mod sql_kv;
