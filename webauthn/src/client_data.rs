//! Client data (§5.8.1 `CollectedClientData`) parsing and the checks made on it.
//!
//! Step numbers refer to WebAuthn Level 3: §7.1 (registration) and §7.2 (authentication).

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::base64url;
use super::error::WebauthnError;

/// `C.type` for registration.
pub const TYPE_CREATE: &str = "webauthn.create";
/// `C.type` for authentication.
pub const TYPE_GET: &str = "webauthn.get";

/// The fields of `CollectedClientData` that are verified; others are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectedClientData {
    /// `webauthn.create` or `webauthn.get`.
    #[serde(rename = "type")]
    pub type_: String,
    /// base64url challenge.
    pub challenge: String,
    /// Serialized origin of the caller.
    pub origin: String,
    /// True when called from a cross-origin iframe.
    #[serde(default)]
    pub cross_origin: Option<bool>,
    /// Origin of the top-level document when embedded.
    #[serde(default)]
    pub top_origin: Option<String>,
}

/// What the relying party expects of the client data.
#[derive(Debug, Clone, Copy)]
pub struct ClientDataExpectations<'a> {
    /// `webauthn.create` or `webauthn.get`.
    pub type_: &'a str,
    /// Challenge issued for this ceremony.
    pub challenge: &'a [u8],
    /// Exactly matching allowed origins.
    pub origins: &'a [&'a str],
    /// Whether embedded (cross-origin iframe) use is accepted.
    pub allow_cross_origin: bool,
    /// Accepted `topOrigin` values when embedded.
    pub allowed_top_origins: &'a [&'a str],
}

/// §7.1 steps 5-6 / §7.2 steps 9-10: parse `C` from the UTF-8 JSON text of `clientDataJSON`.
pub fn parse(client_data_json: &[u8]) -> Result<CollectedClientData, WebauthnError> {
    serde_json::from_slice(client_data_json).map_err(|_| WebauthnError::MalformedResponse)
}

/// §7.1 step 7 / §7.2 step 11: verify that the value of `C.type` is the ceremony's type.
pub fn check_type(c: &CollectedClientData, expected: &str) -> Result<(), WebauthnError> {
    if c.type_ == expected {
        Ok(())
    } else {
        Err(WebauthnError::TypeMismatch)
    }
}

/// §7.1 step 8 / §7.2 step 12: verify that `C.challenge` equals the base64url encoding of
/// the issued challenge. Compared in constant time so timing does not reveal prefixes.
pub fn check_challenge(c: &CollectedClientData, expected: &[u8]) -> Result<(), WebauthnError> {
    let received = base64url::decode(&c.challenge).ok_or(WebauthnError::ChallengeMismatch)?;
    if received.len() == expected.len() && bool::from(received.ct_eq(expected)) {
        Ok(())
    } else {
        Err(WebauthnError::ChallengeMismatch)
    }
}

/// §7.1 step 9 / §7.2 step 13: verify that `C.origin` is an expected origin. The match is
/// exact, so scheme, host and port must all agree and `https://a.com/` is not `https://a.com`.
pub fn check_origin(c: &CollectedClientData, allowed: &[&str]) -> Result<(), WebauthnError> {
    if allowed.iter().any(|o| *o == c.origin) {
        Ok(())
    } else {
        Err(WebauthnError::OriginMismatch)
    }
}

/// §7.1 step 10 / §7.2 step 14: if `C.crossOrigin` is true or `C.topOrigin` is present,
/// verify that the RP expects to be embedded and that `C.topOrigin` is an allowed top origin.
pub fn check_cross_origin(
    c: &CollectedClientData,
    allow_cross_origin: bool,
    allowed_top_origins: &[&str],
) -> Result<(), WebauthnError> {
    let embedded = c.cross_origin == Some(true) || c.top_origin.is_some();
    if !embedded {
        return Ok(());
    }
    if !allow_cross_origin {
        return Err(WebauthnError::CrossOriginNotAllowed);
    }
    match &c.top_origin {
        Some(top) if !allowed_top_origins.iter().any(|o| o == top) => {
            Err(WebauthnError::TopOriginMismatch)
        }
        _ => Ok(()),
    }
}

/// §7.1 step 11 / §7.2 step 21: `hash` is SHA-256 over the raw `clientDataJSON` bytes.
pub fn hash(client_data_json: &[u8]) -> [u8; 32] {
    Sha256::digest(client_data_json).into()
}

/// Runs every client-data step in spec order and returns the client data hash.
pub fn verify(
    client_data_json: &[u8],
    expected: &ClientDataExpectations<'_>,
) -> Result<[u8; 32], WebauthnError> {
    let c = parse(client_data_json)?;
    check_type(&c, expected.type_)?;
    check_challenge(&c, expected.challenge)?;
    check_origin(&c, expected.origins)?;
    check_cross_origin(
        &c,
        expected.allow_cross_origin,
        expected.allowed_top_origins,
    )?;
    Ok(hash(client_data_json))
}
