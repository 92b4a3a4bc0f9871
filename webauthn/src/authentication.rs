//! Authentication ceremony verification (§7.2).

use subtle::ConstantTimeEq as _;

use super::authenticator_data::{self, AuthenticatorData, FLAG_BE, FLAG_BS, FLAG_UV};
use super::checks;
use super::client_data::{self, ClientDataExpectations, TYPE_GET};
use super::cose;
use super::error::WebauthnError;
use super::keys::Check;
use super::obligations::{Trust, Unverified};
use super::wire::AuthenticationResponseJSON;

/// What the relying party expects of an authentication response.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticationExpectations<'a> {
    /// The challenge sent in the request options.
    pub challenge: &'a [u8],
    /// Allowed origins, matched exactly.
    pub origins: &'a [&'a str],
    /// The RP ID.
    pub rp_id: &'a str,
    /// Whether the UV flag must be set.
    pub require_user_verification: bool,
    /// `allowCredentials` ids, when the request named them.
    pub allow_credentials: Option<&'a [Vec<u8>]>,
    /// The user handle of the account being signed in to, when known beforehand.
    pub expected_user_handle: Option<&'a [u8]>,
    /// Whether embedded (cross-origin iframe) ceremonies are accepted.
    pub allow_cross_origin: bool,
    /// Accepted `topOrigin` values when embedded.
    pub allowed_top_origins: &'a [&'a str],
}

/// The stored credential record the response claims to use.
#[derive(Debug, Clone, Copy)]
pub struct StoredCredential<'a> {
    /// Credential id.
    pub id: &'a [u8],
    /// COSE public key from registration.
    pub cose_public_key: &'a [u8],
    /// Last seen signature counter.
    pub sign_count: u32,
    /// BE flag seen at registration.
    pub backup_eligible: bool,
    /// User handle of the owning account.
    pub user_handle: Option<&'a [u8]>,
}

/// Outcome of the signature counter check (§7.2 step 23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterCheck {
    /// The counter increased.
    Incremented,
    /// Both counters are zero: the authenticator does not implement a counter.
    BothZero,
}

/// What to update in the credential record after a successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAuthentication {
    /// Credential id used.
    pub credential_id: Vec<u8>,
    /// New signature counter to store.
    pub sign_count: u32,
    /// How the counter check passed.
    pub counter: CounterCheck,
    /// UV flag.
    pub user_verified: bool,
    /// BE flag.
    pub backup_eligible: bool,
    /// BS flag (store it: it may change between ceremonies).
    pub backup_state: bool,
    /// The user handle returned by the authenticator, if any.
    pub user_handle: Option<Vec<u8>>,
}

/// Verifies an authentication response per §7.2 against the stored credential;
/// the result is valid once the assertion signature is ([`Unverified::verify`]).
pub fn verify_authentication(
    response: &AuthenticationResponseJSON,
    expected: &AuthenticationExpectations<'_>,
    stored: &StoredCredential<'_>,
) -> Result<Unverified<VerifiedAuthentication, WebauthnError>, WebauthnError> {
    checks::check_credential_type(&response.type_)?;
    checks::check_id_matches_raw_id(&response.id, &response.raw_id)?;
    check_allowed_credential(&response.raw_id, expected.allow_credentials)?;
    check_stored_credential(&response.raw_id, stored)?;
    let user_handle = response.response.user_handle.as_deref();
    check_user_handle(user_handle, expected, stored)?;
    let client_data_hash = client_data::verify(
        &response.response.client_data_json,
        &ClientDataExpectations {
            type_: TYPE_GET,
            challenge: expected.challenge,
            origins: expected.origins,
            allow_cross_origin: expected.allow_cross_origin,
            allowed_top_origins: expected.allowed_top_origins,
        },
    )?;
    let raw_auth_data = &response.response.authenticator_data;
    let auth_data = authenticator_data::parse(raw_auth_data)?;
    check_no_attested_data(&auth_data)?;
    checks::check_rp_id_hash(&auth_data, expected.rp_id)?;
    checks::check_user_present(&auth_data)?;
    checks::check_user_verified(&auth_data, expected.require_user_verification)?;
    checks::check_backup_flags(&auth_data)?;
    check_backup_eligibility_unchanged(&auth_data, stored)?;
    let signature = check_signature(
        stored.cose_public_key,
        raw_auth_data,
        &client_data_hash,
        &response.response.signature,
    )?;
    let counter = check_sign_count(stored.sign_count, auth_data.sign_count);
    let verified = VerifiedAuthentication {
        credential_id: response.raw_id.clone(),
        sign_count: auth_data.sign_count,
        counter: *counter.as_ref().unwrap_or(&CounterCheck::BothZero),
        user_verified: auth_data.has(FLAG_UV),
        backup_eligible: auth_data.has(FLAG_BE),
        backup_state: auth_data.has(FLAG_BS),
        user_handle: user_handle.map(<[u8]>::to_vec),
    };
    let pending = Unverified::new(verified).require(signature, WebauthnError::BadSignature);
    // §7.2 step 23 comes after the signature (step 22): a forger learns nothing
    // about the stored counter.
    Ok(match counter {
        Ok(_) => pending,
        Err(e) => pending.require_trust(Trust::never(), e),
    })
}

/// §7.2 step 5: if `allowCredentials` was given, verify that the credential is one of them.
fn check_allowed_credential(
    raw_id: &[u8],
    allow_credentials: Option<&[Vec<u8>]>,
) -> Result<(), WebauthnError> {
    match allow_credentials {
        Some(list) if !list.iter().any(|id| id.as_slice() == raw_id) => {
            Err(WebauthnError::UnknownCredential)
        }
        _ => Ok(()),
    }
}

/// §7.2 step 7: the credential record must be the one for `rawId`.
fn check_stored_credential(
    raw_id: &[u8],
    stored: &StoredCredential<'_>,
) -> Result<(), WebauthnError> {
    if stored.id == raw_id {
        Ok(())
    } else {
        Err(WebauthnError::UnknownCredential)
    }
}

/// §7.2 step 6: if the user was identified beforehand, a returned `userHandle` must be that
/// user's; if not, `userHandle` must be present and must own the credential.
fn check_user_handle(
    returned: Option<&[u8]>,
    expected: &AuthenticationExpectations<'_>,
    stored: &StoredCredential<'_>,
) -> Result<(), WebauthnError> {
    let Some(returned) = returned else {
        // Without prior identification the user handle is the only link to an account.
        return if expected.expected_user_handle.is_none() && expected.allow_credentials.is_none() {
            Err(WebauthnError::UserHandleMismatch)
        } else {
            Ok(())
        };
    };
    let equal = |a: &[u8]| a.len() == returned.len() && bool::from(a.ct_eq(returned));
    if expected.expected_user_handle.is_some_and(|e| !equal(e))
        || stored.user_handle.is_some_and(|s| !equal(s))
    {
        return Err(WebauthnError::UserHandleMismatch);
    }
    Ok(())
}

/// §6.1: assertions carry no attested credential data, so the AT flag must be clear.
fn check_no_attested_data(auth_data: &AuthenticatorData) -> Result<(), WebauthnError> {
    if auth_data.attested.is_some() {
        Err(WebauthnError::AttestedDataMismatch)
    } else {
        Ok(())
    }
}

/// §7.2 step 19: the BE flag must equal the one recorded at registration.
fn check_backup_eligibility_unchanged(
    auth_data: &AuthenticatorData,
    stored: &StoredCredential<'_>,
) -> Result<(), WebauthnError> {
    if auth_data.has(FLAG_BE) == stored.backup_eligible {
        Ok(())
    } else {
        Err(WebauthnError::BackupEligibilityChanged)
    }
}

/// §7.2 step 22: verify that `sig` is a valid signature over `authData || hash` with the
/// stored credential public key.
fn check_signature(
    cose_public_key: &[u8],
    auth_data: &[u8],
    client_data_hash: &[u8; 32],
    signature: &[u8],
) -> Result<Check, WebauthnError> {
    let mut message = Vec::with_capacity(auth_data.len().saturating_add(32));
    message.extend_from_slice(auth_data);
    message.extend_from_slice(client_data_hash);
    cose::signature_check(cose_public_key, &message, signature)
}

/// §7.2 step 23: if either counter is non-zero the new one must be greater than the stored
/// one; both zero means the authenticator has no counter.
pub fn check_sign_count(stored: u32, received: u32) -> Result<CounterCheck, WebauthnError> {
    if stored == 0 && received == 0 {
        Ok(CounterCheck::BothZero)
    } else if received > stored {
        Ok(CounterCheck::Incremented)
    } else {
        Err(WebauthnError::CounterRegression)
    }
}
