//! Attestation object (§6.5.4) decoding: a CBOR map `{fmt, attStmt, authData}` that must
//! span the whole input.

use super::cbor::{self, map_get_text, Value};
use super::error::WebauthnError;

/// The three members of an attestation object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationObject {
    /// Attestation statement format identifier.
    pub fmt: String,
    /// Format-specific statement map entries.
    pub att_stmt: Vec<(Value, Value)>,
    /// Raw authenticator data.
    pub auth_data: Vec<u8>,
}

/// §7.1 step 12: CBOR-decode the attestation object; bytes after the map are rejected.
pub fn parse(bytes: &[u8]) -> Result<AttestationObject, WebauthnError> {
    let (value, used) = cbor::decode_prefix(bytes).map_err(|_| WebauthnError::MalformedResponse)?;
    if used != bytes.len() {
        return Err(WebauthnError::TrailingBytes);
    }
    let map = value.as_map().ok_or(WebauthnError::MalformedResponse)?;
    let fmt = map_get_text(map, "fmt")
        .and_then(Value::as_text)
        .ok_or(WebauthnError::MalformedResponse)?;
    let att_stmt = map_get_text(map, "attStmt")
        .and_then(Value::as_map)
        .ok_or(WebauthnError::MalformedResponse)?;
    let auth_data = map_get_text(map, "authData")
        .and_then(Value::as_bytes)
        .ok_or(WebauthnError::MalformedResponse)?;
    Ok(AttestationObject {
        fmt: fmt.to_owned(),
        att_stmt: att_stmt.to_vec(),
        auth_data: auth_data.to_vec(),
    })
}
