//! §8.2 `packed` attestation: full (x5c) or self attestation.

use super::super::error::WebauthnError;
use super::super::keys::Check;
use super::super::x509::{self, Certificate, OID_C, OID_CN, OID_O, OID_OU};
use super::{
    check_aaguid_extension, check_not_ca, signed_data, stmt_bytes, stmt_int, stmt_x5c,
    verify_statement_signature, AttestationType, StatementInput,
};

/// §8.2 verification procedure.
pub fn verify(
    input: &StatementInput<'_>,
    checks: &mut Vec<Check>,
) -> Result<AttestationType, WebauthnError> {
    let alg = stmt_int(input.att_stmt, "alg")?;
    let sig = stmt_bytes(input.att_stmt, "sig")?;
    let data = signed_data(input);
    match stmt_x5c(input.att_stmt)? {
        Some(chain) => {
            let leaf_der = chain.first().ok_or(WebauthnError::InvalidAttestation)?;
            let leaf = x509::parse(leaf_der)?;
            // Signature by the attestation certificate's key with `alg`.
            verify_statement_signature(&leaf.public_key()?, alg, &data, sig, checks)?;
            check_certificate_requirements(&leaf)?;
            check_aaguid_extension(&leaf, input.aaguid)?;
            Ok(AttestationType::Basic(chain))
        }
        None => {
            // Self attestation: `alg` must be the credential key's algorithm.
            if alg != input.credential_key.alg {
                return Err(WebauthnError::InvalidAttestation);
            }
            verify_statement_signature(&input.credential_key.key, alg, &data, sig, checks)?;
            Ok(AttestationType::SelfAttestation)
        }
    }
}

/// §8.2.1 packed attestation statement certificate requirements: version 3; subject with
/// C (two-letter code), O, OU = "Authenticator Attestation" and CN; Basic Constraints CA false.
pub fn check_certificate_requirements(cert: &Certificate<'_>) -> Result<(), WebauthnError> {
    if cert.version != 2 {
        return Err(WebauthnError::InvalidAttestation);
    }
    let single = |oid: &str| -> Result<&[u8], WebauthnError> {
        match cert.subject_values(oid).as_slice() {
            [value] if !value.is_empty() => Ok(value),
            _ => Err(WebauthnError::InvalidAttestation),
        }
    };
    if single(OID_C)?.len() != 2 {
        return Err(WebauthnError::InvalidAttestation);
    }
    single(OID_O)?;
    single(OID_CN)?;
    if single(OID_OU)? != b"Authenticator Attestation" {
        return Err(WebauthnError::InvalidAttestation);
    }
    // The requirement is an explicit CA=false; absence of Basic Constraints is tolerated
    // only in the sense that it also means "not a CA" (RFC 5280 default).
    check_not_ca(cert)
}
