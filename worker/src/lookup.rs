//! Handles on records by id, shared by the handlers that reach the same
//! objects (so no handler module imports another): a malformed id is 404
//! before any storage is touched, and phone-side refusals describe the
//! per-consent bucket in `X-RateLimit-*`.

use serde_json::Value;
use worker::Env;

use crate::app::App;
use crate::domain::ids;
use crate::domain::limits;
use crate::domain::webauthn::{AuthenticationResponseJSON, WebauthnError};
use crate::error::{ApiError, ApiResult};
use crate::objects::consent::ConsentClient;
use crate::objects::credential_index::CredentialIndexClient;
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

/// The user whose passkey made a discoverable assertion: the user handle
/// names it (the user id; §7.2 step 6 requires one here) and that user's
/// object then checks the credential is really its own. Without a handle the
/// credential index answers (one more object call).
pub async fn passkey_owner(env: &Env, response: &Value) -> ApiResult<String> {
    let parsed: AuthenticationResponseJSON =
        serde_json::from_value(response.clone()).map_err(|_| WebauthnError::MalformedResponse)?;
    let handle_user = parsed
        .response
        .user_handle
        .as_deref()
        .and_then(|h| std::str::from_utf8(h).ok())
        .filter(|u| ids::is_id(u, "user_", 16))
        .map(str::to_owned);
    match handle_user {
        Some(u) => Ok(u),
        None => Ok(CredentialIndexClient::new(env, &parsed.raw_id)?
            .get()
            .await?
            .ok_or(WebauthnError::UnknownCredential)?
            .user_id),
    }
}
