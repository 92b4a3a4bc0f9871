//! §8.7 `none` attestation.

use super::super::error::WebauthnError;
use super::{AttestationType, StatementInput};

/// §8.7: the attestation statement must be an empty map.
pub fn verify(input: &StatementInput<'_>) -> Result<AttestationType, WebauthnError> {
    if input.att_stmt.is_empty() {
        Ok(AttestationType::None)
    } else {
        Err(WebauthnError::InvalidAttestation)
    }
}
