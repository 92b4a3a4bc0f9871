//! The pure core: no `worker`, `js_sys` or `web_sys` types. Time (unix
//! milliseconds) and randomness ([`random::Random`]) are parameters, so every
//! rule here is tested natively with plain `cargo test`.

// Integer conversions are checked (`From`/`try_from`), never a silent `as`.
#![deny(clippy::as_conversions)]

pub mod approval;
pub mod billing;
pub mod client;
pub mod consent;
pub mod crypto;
pub mod delivery;
pub mod device_key;
pub mod fido;
pub mod idempotency;
pub mod ids;
pub mod input;
pub mod limits;
pub mod otp;
pub mod passkeys;
pub mod phone;
pub mod qr;
pub mod random;
pub mod rate_limit;
pub mod sms;
pub mod tenant;
pub mod time;
pub mod user;
pub mod webhook;
pub mod webhook_url;

/// WebAuthn verification lives in its own crate (`webauthn/`), which Cargo keeps
/// free of the rest of MID; this keeps the `crate::domain::webauthn` paths.
pub use mid_webauthn as webauthn;
