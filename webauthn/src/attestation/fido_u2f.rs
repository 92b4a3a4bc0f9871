//! §8.6 `fido-u2f` attestation.

use super::super::error::WebauthnError;
use super::super::keys::{Check, PublicKey, ALG_ES256};
use super::super::x509;
use super::{stmt_bytes, stmt_x5c, verify_statement_signature, AttestationType, StatementInput};

/// §8.6 verification procedure.
pub fn verify(
    input: &StatementInput<'_>,
    checks: &mut Vec<Check>,
) -> Result<AttestationType, WebauthnError> {
    let sig = stmt_bytes(input.att_stmt, "sig")?;
    let chain = stmt_x5c(input.att_stmt)?.ok_or(WebauthnError::InvalidAttestation)?;
    // U2F attestation has exactly one certificate.
    let [leaf_der] = chain.as_slice() else {
        return Err(WebauthnError::InvalidAttestation);
    };
    let leaf = x509::parse(leaf_der)?;
    let cert_key = leaf.public_key()?;
    if !matches!(cert_key, PublicKey::P256(_)) {
        return Err(WebauthnError::InvalidAttestation);
    }
    // No AAGUID check: §8.6 has none, and the spec's own fido-u2f example
    // (tests/fixtures/fido-u2f-es256.json) carries a non-zero AAGUID.
    // The credential key must be P-256; its raw point is part of verificationData.
    let point = input
        .credential_key
        .key
        .p256_uncompressed()
        .ok_or(WebauthnError::InvalidAttestation)?;
    let mut data = Vec::with_capacity(input.credential_id.len().saturating_add(130));
    data.push(0x00);
    data.extend_from_slice(&input.auth_data.rp_id_hash);
    data.extend_from_slice(input.client_data_hash);
    data.extend_from_slice(input.credential_id);
    data.extend_from_slice(point);
    verify_statement_signature(&cert_key, ALG_ES256, &data, sig, checks)?;
    Ok(AttestationType::Basic(chain))
}
