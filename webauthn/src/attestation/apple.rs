//! §8.8 Apple anonymous attestation.

use sha2::{Digest as _, Sha256};

use super::super::der::{self, Reader};
use super::super::error::WebauthnError;
use super::super::x509;
use super::{signed_data, stmt_x5c, AttestationType, StatementInput};

/// OID of the extension carrying the nonce in Apple's credential certificate.
const OID_APPLE_NONCE: &str = "1.2.840.113635.100.8.2";

/// §8.8 verification procedure.
pub fn verify(input: &StatementInput<'_>) -> Result<AttestationType, WebauthnError> {
    let chain = stmt_x5c(input.att_stmt)?.ok_or(WebauthnError::InvalidAttestation)?;
    let leaf = x509::parse(chain.first().ok_or(WebauthnError::InvalidAttestation)?)?;
    // nonce = SHA-256(authenticatorData || clientDataHash) must equal the extension value.
    let nonce: [u8; 32] = Sha256::digest(signed_data(input)).into();
    let ext = leaf
        .extension(OID_APPLE_NONCE)
        .ok_or(WebauthnError::InvalidAttestation)?;
    if extension_nonce(ext.value)? != nonce.as_slice() {
        return Err(WebauthnError::InvalidAttestation);
    }
    // The credential public key must be the certificate's subject public key.
    if leaf.public_key()? != input.credential_key.key {
        return Err(WebauthnError::InvalidAttestation);
    }
    Ok(AttestationType::AnonCa(chain))
}

/// The extension is `SEQUENCE { [1] EXPLICIT OCTET STRING nonce }`.
fn extension_nonce(value: &[u8]) -> Result<&[u8], WebauthnError> {
    let parse = || -> Result<&[u8], der::DerError> {
        let mut outer = Reader::new(value);
        let mut seq = Reader::new(outer.expect(der::SEQUENCE)?);
        outer.finish()?;
        let tagged = seq.optional_context(1)?.ok_or(der::DerError)?;
        seq.finish()?;
        let mut inner = Reader::new(tagged.content);
        let nonce = inner.expect(der::OCTET_STRING)?;
        inner.finish()?;
        Ok(nonce)
    };
    parse().map_err(|_| WebauthnError::InvalidAttestation)
}
