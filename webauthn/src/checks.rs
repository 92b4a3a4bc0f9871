//! Authenticator-data checks shared by registration (§7.1) and authentication (§7.2).

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::authenticator_data::{AuthenticatorData, FLAG_BE, FLAG_BS, FLAG_UP, FLAG_UV};
use super::base64url;
use super::error::WebauthnError;

/// §7.1 step 13 / §7.2 step 15: verify that `rpIdHash` is the SHA-256 hash of the RP ID.
pub fn check_rp_id_hash(auth_data: &AuthenticatorData, rp_id: &str) -> Result<(), WebauthnError> {
    let expected: [u8; 32] = Sha256::digest(rp_id.as_bytes()).into();
    if bool::from(auth_data.rp_id_hash.ct_eq(&expected)) {
        Ok(())
    } else {
        Err(WebauthnError::RpIdMismatch)
    }
}

/// §7.1 step 14 / §7.2 step 16: verify that the UP bit of the flags is set.
pub fn check_user_present(auth_data: &AuthenticatorData) -> Result<(), WebauthnError> {
    if auth_data.has(FLAG_UP) {
        Ok(())
    } else {
        Err(WebauthnError::UserNotPresent)
    }
}

/// §7.1 step 15 / §7.2 step 17: if user verification is required, verify that the UV bit is set.
pub fn check_user_verified(
    auth_data: &AuthenticatorData,
    required: bool,
) -> Result<(), WebauthnError> {
    if !required || auth_data.has(FLAG_UV) {
        Ok(())
    } else {
        Err(WebauthnError::UserNotVerified)
    }
}

/// §7.1 step 16 / §7.2 step 18: if the BE bit is not set, verify that the BS bit is not set.
pub fn check_backup_flags(auth_data: &AuthenticatorData) -> Result<(), WebauthnError> {
    if auth_data.has(FLAG_BS) && !auth_data.has(FLAG_BE) {
        Err(WebauthnError::BackupStateWithoutEligibility)
    } else {
        Ok(())
    }
}

/// §5.1: `id` must be the base64url encoding of `rawId`; accepts padded input for tolerance
/// by comparing decoded bytes.
pub fn check_id_matches_raw_id(id: &str, raw_id: &[u8]) -> Result<(), WebauthnError> {
    match base64url::decode(id) {
        Some(decoded) if decoded == raw_id => Ok(()),
        _ => Err(WebauthnError::CredentialIdMismatch),
    }
}

/// §5.1: the credential `type` must be `public-key`.
pub fn check_credential_type(type_: &str) -> Result<(), WebauthnError> {
    if type_ == "public-key" {
        Ok(())
    } else {
        Err(WebauthnError::MalformedResponse)
    }
}
