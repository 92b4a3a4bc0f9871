//! Handles on records by id, shared by the handlers that reach the same
//! objects (so no handler module imports another): a malformed id is 404
//! before any storage is touched, and phone-side refusals describe the
//! per-consent bucket in `X-RateLimit-*`.

use serde_json::Value;

use crate::app::App;
use crate::domain::ids;
use crate::domain::limits;
use crate::error::{ApiError, ApiResult};
use crate::objects::consent::{Access, ConsentClient};
use crate::objects::user::UserClient;

/// The consent object of `id` (404 for anything not shaped like a consent id).
pub fn consent(app: &App, id: &str) -> ApiResult<ConsentClient> {
    if !ids::is_id(id, "cons_", 16) {
        return Err(ApiError::NotFound);
    }
    ConsentClient::new(&app.env, id)
}

/// The user object of `id` (404 for anything not shaped like a user id; the
/// object itself answers 404 unless the caller's tenant sees the user).
pub fn user(app: &App, id: &str) -> ApiResult<UserClient> {
    if !ids::is_id(id, "user_", 16) {
        return Err(ApiError::NotFound);
    }
    UserClient::new(&app.env, id)
}

/// Passes a phone-side result through; a 429 from the per-consent limit
/// becomes that bucket's `X-RateLimit-*` headers.
pub fn phone_limited<T>(app: &App, result: ApiResult<T>) -> ApiResult<T> {
    if let Err(ApiError::RateLimited { retry_after_secs }) = &result {
        app.rate
            .set(Some(limits::phone_refusal(app.now, *retry_after_secs)));
    }
    result
}

/// The consent view for the approval-link `token` (a counted phone-side call):
/// what opens `/fido/authenticate/*` with `consentId`.
pub async fn consent_with_token(app: &App, id: &str, token: String) -> ApiResult<Value> {
    phone_limited(app, consent(app, id)?.get(&Access::Token { token }).await)
}
