//! MID worker: a stateless edge front (auth, validation, routing) over
//! Durable Objects for everything that must be strongly consistent and KV for
//! read-mostly directories. See `../shared/DESIGN.md` and `docs/` in the repo.

pub mod domain;

mod api;
mod app;
mod auth;
mod config;
mod error;
mod hops;
mod http;
mod lookup;
mod objects;
mod playstore_api;
mod router;
mod sms;
mod store;
mod subtle;
#[cfg(test)]
mod test_support;
mod webhook_sender;

use worker::{event, Context, Env, Request, Response, Result};

pub use objects::billing::BillingLedger;
pub use objects::ceremony::CeremonyObject;
pub use objects::client::ClientObject;
pub use objects::consent::ConsentObject;
pub use objects::credential_index::CredentialIndex;
pub use objects::enrollment::EnrollmentObject;
pub use objects::idempotency::IdempotencyObject;
pub use objects::inbox::SandboxInbox;
pub use objects::limiter::RateLimiter;
pub use objects::mobile::MobileObject;
pub use objects::outbox::WebhookOutbox;
pub use objects::registration_token::RegistrationTokenObject;
pub use objects::user::UserObject;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(router::handle(req, env).await)
}
