//! Registration ceremony verification (§7.1).

use super::attestation::{self, AttestationPolicy, AttestationType, StatementInput};
use super::attestation_object;
use super::authenticator_data::{
    self, AttestedCredentialData, AuthenticatorData, FLAG_BE, FLAG_BS, FLAG_UV,
};
use super::checks;
use super::client_data::{self, ClientDataExpectations, TYPE_CREATE};
use super::cose::{self, CoseKey};
use super::error::WebauthnError;
use super::keys::Check;
use super::obligations::Unverified;
use super::wire::RegistrationResponseJSON;

/// Longest credential id accepted (§7.1 step 25).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// What the relying party expects of a registration response.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationExpectations<'a> {
    /// The challenge sent in the creation options.
    pub challenge: &'a [u8],
    /// Allowed origins, matched exactly (e.g. `https://id.example.com`).
    pub origins: &'a [&'a str],
    /// The RP ID the credential must be scoped to.
    pub rp_id: &'a str,
    /// Whether the UV flag must be set.
    pub require_user_verification: bool,
    /// COSE algorithms offered in `pubKeyCredParams`.
    pub allowed_algorithms: &'a [i64],
    /// Whether embedded (cross-origin iframe) ceremonies are accepted.
    pub allow_cross_origin: bool,
    /// Accepted `topOrigin` values when embedded.
    pub allowed_top_origins: &'a [&'a str],
    /// Attestation trust policy.
    pub attestation: AttestationPolicy<'a>,
}

/// The credential record to store after a successful registration.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRegistration {
    /// Credential id.
    pub credential_id: Vec<u8>,
    /// The credential public key as COSE bytes (pass to authentication unchanged).
    pub cose_public_key: Vec<u8>,
    /// COSE algorithm of the key.
    pub alg: i64,
    /// Initial signature counter.
    pub sign_count: u32,
    /// Authenticator model identifier.
    pub aaguid: [u8; 16],
    /// BE flag.
    pub backup_eligible: bool,
    /// BS flag.
    pub backup_state: bool,
    /// UV flag.
    pub user_verified: bool,
    /// Transport hints from the client.
    pub transports: Vec<String>,
    /// `platform` / `cross-platform`, as reported by the client.
    pub authenticator_attachment: Option<String>,
    /// Attestation statement format (`none`, `packed`, ...).
    pub attestation_format: String,
    /// Attestation type with the certificate chain, if any.
    pub attestation_type: AttestationType,
    /// Whether the attestation chain verified to one of the configured roots.
    pub attestation_trusted: bool,
}

/// Verifies a registration response per §7.1 and returns the credential to
/// store, once its signatures are verified ([`Unverified::verify`]): the
/// credential key must be a valid key, the attestation signatures must hold,
/// and, when the policy requires it, the chain must reach a trust root.
///
/// The caller must still check that the credential id is not registered yet (§7.1 step 26,
/// [`WebauthnError::CredentialExists`]) and that the ceremony has not expired.
pub fn verify_registration(
    response: &RegistrationResponseJSON,
    expected: &RegistrationExpectations<'_>,
) -> Result<Unverified<VerifiedRegistration, WebauthnError>, WebauthnError> {
    checks::check_credential_type(&response.type_)?;
    checks::check_id_matches_raw_id(&response.id, &response.raw_id)?;
    let client_data_hash = client_data::verify(
        &response.response.client_data_json,
        &ClientDataExpectations {
            type_: TYPE_CREATE,
            challenge: expected.challenge,
            origins: expected.origins,
            allow_cross_origin: expected.allow_cross_origin,
            allowed_top_origins: expected.allowed_top_origins,
        },
    )?;
    let object = attestation_object::parse(&response.response.attestation_object)?;
    let auth_data = authenticator_data::parse(&object.auth_data)?;
    checks::check_rp_id_hash(&auth_data, expected.rp_id)?;
    checks::check_user_present(&auth_data)?;
    checks::check_user_verified(&auth_data, expected.require_user_verification)?;
    checks::check_backup_flags(&auth_data)?;
    let attested = check_attested_data_present(&auth_data)?;
    check_credential_id_length(&attested.credential_id)?;
    check_credential_id_matches(&attested.credential_id, &response.raw_id)?;
    let key = cose::parse_cose_key(&attested.public_key)?;
    check_algorithm_allowed(&key, expected.allowed_algorithms)?;
    let result = attestation::verify(
        &object.fmt,
        &StatementInput {
            att_stmt: &object.att_stmt,
            auth_data_raw: &object.auth_data,
            auth_data: &auth_data,
            client_data_hash: &client_data_hash,
            credential_key: &key,
            aaguid: &attested.aaguid,
            credential_id: &attested.credential_id,
            policy: &expected.attestation,
        },
    )?;
    let registration = VerifiedRegistration {
        credential_id: attested.credential_id.clone(),
        cose_public_key: attested.public_key.clone(),
        alg: key.alg,
        sign_count: auth_data.sign_count,
        aaguid: attested.aaguid,
        backup_eligible: auth_data.has(FLAG_BE),
        backup_state: auth_data.has(FLAG_BS),
        user_verified: auth_data.has(FLAG_UV),
        transports: response.response.transports.clone().unwrap_or_default(),
        authenticator_attachment: response.authenticator_attachment.clone(),
        attestation_format: object.fmt,
        attestation_type: result.attestation_type,
        attestation_trusted: false,
    };
    // The credential key is stored and used later: it must be a valid key even
    // when no signature by it was checked (`none`, x5c attestation).
    let mut pending = Unverified::new(registration)
        .require(Check::key(&key.key), WebauthnError::InvalidPublicKey);
    for check in result.checks {
        pending = pending.require(check, WebauthnError::InvalidAttestation);
    }
    if expected.attestation.require_trusted_attestation {
        pending = pending.require_trust(result.trust.clone(), WebauthnError::UntrustedAttestation);
    }
    Ok(pending.flag_if(result.trust, |r| r.attestation_trusted = true))
}

/// §7.1 step 12 / §6.5.2: a registration's authenticator data must carry attested credential
/// data, announced by the AT flag (the parser already ties the flag to the bytes).
fn check_attested_data_present(
    auth_data: &AuthenticatorData,
) -> Result<&AttestedCredentialData, WebauthnError> {
    auth_data
        .attested
        .as_ref()
        .ok_or(WebauthnError::AttestedDataMismatch)
}

/// §7.1 step 25: verify that the credentialId is ≤ 1023 bytes.
fn check_credential_id_length(credential_id: &[u8]) -> Result<(), WebauthnError> {
    if credential_id.len() > MAX_CREDENTIAL_ID_LEN {
        Err(WebauthnError::CredentialIdTooLong)
    } else {
        Ok(())
    }
}

/// §5.1 / §6.5.2: the credential id in the authenticator data must be `rawId`.
fn check_credential_id_matches(credential_id: &[u8], raw_id: &[u8]) -> Result<(), WebauthnError> {
    if credential_id == raw_id {
        Ok(())
    } else {
        Err(WebauthnError::CredentialIdMismatch)
    }
}

/// §7.1 step 19: verify that the "alg" parameter of the credential public key matches one of
/// the algorithms in `pubKeyCredParams` (COSE key well-formedness was checked when parsing).
fn check_algorithm_allowed(key: &CoseKey, allowed: &[i64]) -> Result<(), WebauthnError> {
    if allowed.contains(&key.alg) {
        Ok(())
    } else {
        Err(WebauthnError::UnsupportedAlgorithm)
    }
}
