//! Attestation statement verification (§8) and the reported attestation type.

mod android_key;
mod apple;
mod fido_u2f;
mod none;
mod packed;
mod tpm;
mod trust;
pub(crate) use trust::chain_trust;

use super::authenticator_data::AuthenticatorData;
use super::cbor::{map_get_text, Value};
use super::cose::CoseKey;
use super::der;
use super::error::WebauthnError;
use super::keys::{Check, PublicKey};
use super::obligations::Trust;
use super::x509::Certificate;

/// Most certificates an attestation statement's `x5c` may hold.
pub const MAX_X5C: usize = 8;

/// §6.5.3 attestation types, with the x5c chain (DER certificates, leaf first) when one was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationType {
    /// No attestation (`none` format).
    None,
    /// Signed by the credential key itself.
    SelfAttestation,
    /// Basic attestation (could also be AttCA; only metadata tells).
    Basic(Vec<Vec<u8>>),
    /// Attestation CA (TPM).
    AttCa(Vec<Vec<u8>>),
    /// Anonymization CA (Apple).
    AnonCa(Vec<Vec<u8>>),
}

impl AttestationType {
    /// The certificate chain, if the type carries one.
    pub fn chain(&self) -> Option<&[Vec<u8>]> {
        match self {
            Self::Basic(c) | Self::AttCa(c) | Self::AnonCa(c) => Some(c),
            Self::None | Self::SelfAttestation => None,
        }
    }
}

/// How attestation is judged (§7.1 steps 23-24).
#[derive(Debug, Clone, Copy, Default)]
pub struct AttestationPolicy<'a> {
    /// When true, only statements whose chain verifies to one of `trust_roots` pass.
    pub require_trusted_attestation: bool,
    /// DER root certificates trusted for attestation.
    pub trust_roots: &'a [Vec<u8>],
    /// Current time (Unix seconds). When set, certificates outside their validity period
    /// make the chain untrusted; when `None`, validity is not checked.
    pub now_unix: Option<i64>,
    /// android-key: also accept origin/purpose from `softwareEnforced` (§8.4 allows this as RP policy).
    pub android_key_allow_software: bool,
}

/// Everything a statement format needs to verify its statement.
#[derive(Debug, Clone, Copy)]
pub struct StatementInput<'a> {
    /// `attStmt` map entries.
    pub att_stmt: &'a [(Value, Value)],
    /// Raw authenticator data.
    pub auth_data_raw: &'a [u8],
    /// Parsed authenticator data.
    pub auth_data: &'a AuthenticatorData,
    /// SHA-256 of clientDataJSON.
    pub client_data_hash: &'a [u8; 32],
    /// The credential public key from the authenticator data.
    pub credential_key: &'a CoseKey,
    /// The AAGUID from the authenticator data.
    pub aaguid: &'a [u8; 16],
    /// The credential id from the authenticator data.
    pub credential_id: &'a [u8],
    /// Policy knobs formats may need.
    pub policy: &'a AttestationPolicy<'a>,
}

/// Outcome of statement verification, pending its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationResult {
    /// The attestation type, chain included.
    pub attestation_type: AttestationType,
    /// Signatures the statement is valid only with (`InvalidAttestation` otherwise).
    pub checks: Vec<Check>,
    /// When the chain reaches one of the configured trust roots.
    pub trust: Trust,
}

/// §7.1 step 21: determine the format by case-sensitive match on `fmt`;
/// §7.1 step 22: verify `attStmt` with that format's procedure;
/// §7.1 steps 23-24: check the chain against the trust roots and apply the policy.
pub fn verify(fmt: &str, input: &StatementInput<'_>) -> Result<AttestationResult, WebauthnError> {
    let mut checks = Vec::new();
    let attestation_type = match fmt {
        "none" => none::verify(input)?,
        "packed" => packed::verify(input, &mut checks)?,
        "fido-u2f" => fido_u2f::verify(input, &mut checks)?,
        "apple" => apple::verify(input)?,
        "android-key" => android_key::verify(input, &mut checks)?,
        "tpm" => tpm::verify(input, &mut checks)?,
        _ => return Err(WebauthnError::UnsupportedAttestation),
    };
    let trust = match attestation_type.chain() {
        Some(chain) => trust::chain_trust(chain, input.policy.trust_roots, input.policy.now_unix),
        None => Trust::never(),
    };
    // Known now, before any signature: nothing can make the chain trusted.
    if input.policy.require_trusted_attestation && trust == Trust::never() {
        return Err(WebauthnError::UntrustedAttestation);
    }
    Ok(AttestationResult {
        attestation_type,
        checks,
        trust,
    })
}

/// `attStmt[name]` as an integer.
fn stmt_int(stmt: &[(Value, Value)], name: &str) -> Result<i64, WebauthnError> {
    map_get_text(stmt, name)
        .and_then(Value::as_i64)
        .ok_or(WebauthnError::InvalidAttestation)
}

/// `attStmt[name]` as bytes.
fn stmt_bytes<'a>(stmt: &'a [(Value, Value)], name: &str) -> Result<&'a [u8], WebauthnError> {
    map_get_text(stmt, name)
        .and_then(Value::as_bytes)
        .ok_or(WebauthnError::InvalidAttestation)
}

/// `attStmt.x5c`: a non-empty array of DER certificates, leaf first; `None` when absent.
fn stmt_x5c(stmt: &[(Value, Value)]) -> Result<Option<Vec<Vec<u8>>>, WebauthnError> {
    let Some(value) = map_get_text(stmt, "x5c") else {
        return Ok(None);
    };
    let items = value.as_array().ok_or(WebauthnError::InvalidAttestation)?;
    // Real chains hold 1–5 certificates; each link is a signature check, so
    // a padded chain must not buy an attacker dozens of them per request.
    if items.is_empty() || items.len() > MAX_X5C {
        return Err(WebauthnError::InvalidAttestation);
    }
    items
        .iter()
        .map(|v| v.as_bytes().map(<[u8]>::to_vec))
        .collect::<Option<Vec<_>>>()
        .map(Some)
        .ok_or(WebauthnError::InvalidAttestation)
}

/// `authData || clientDataHash`, the message most formats sign.
fn signed_data(input: &StatementInput<'_>) -> Vec<u8> {
    let mut data = Vec::with_capacity(input.auth_data_raw.len().saturating_add(32));
    data.extend_from_slice(input.auth_data_raw);
    data.extend_from_slice(input.client_data_hash);
    data
}

/// Adds the check of an attestation signature; a failure makes the statement invalid.
fn verify_statement_signature(
    key: &PublicKey,
    alg: i64,
    msg: &[u8],
    sig: &[u8],
    checks: &mut Vec<Check>,
) -> Result<(), WebauthnError> {
    // Also an `alg` the attestation key cannot use: the statement contradicts itself.
    let check = key
        .check(alg, msg, sig)
        .map_err(|_| WebauthnError::InvalidAttestation)?;
    checks.push(check);
    Ok(())
}

/// id-fido-gen-ce-aaguid: if present it must be non-critical and equal the authData AAGUID.
fn check_aaguid_extension(cert: &Certificate<'_>, aaguid: &[u8; 16]) -> Result<(), WebauthnError> {
    let Some(ext) = cert.extension("1.3.6.1.4.1.45724.1.1.4") else {
        return Ok(());
    };
    let mut reader = der::Reader::new(ext.value);
    let value = reader
        .expect(der::OCTET_STRING)
        .map_err(|_| WebauthnError::InvalidAttestation)?;
    reader
        .finish()
        .map_err(|_| WebauthnError::InvalidAttestation)?;
    if ext.critical || value != aaguid.as_slice() {
        return Err(WebauthnError::InvalidAttestation);
    }
    Ok(())
}

/// Certificates used for attestation signatures must not be CA certificates.
fn check_not_ca(cert: &Certificate<'_>) -> Result<(), WebauthnError> {
    match cert.is_ca()? {
        Some(true) => Err(WebauthnError::InvalidAttestation),
        _ => Ok(()),
    }
}
