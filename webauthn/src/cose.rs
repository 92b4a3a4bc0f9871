//! COSE_Key (RFC 9052/9053) parsing for credential public keys.

use super::cbor::{self, map_get_int, Value};
use super::error::WebauthnError;
use super::keys::{Check, PublicKey, ALG_EDDSA, ALG_ES256, ALG_RS1, ALG_RS256};

const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;

/// Label of the `kty` parameter.
const LABEL_KTY: i64 = 1;
/// Label of the `alg` parameter.
const LABEL_ALG: i64 = 3;

/// A credential public key with the algorithm it is bound to.
#[derive(Debug, Clone, PartialEq)]
pub struct CoseKey {
    /// COSE algorithm identifier (`alg`, label 3).
    pub alg: i64,
    /// The key itself.
    pub key: PublicKey,
}

impl CoseKey {
    /// The check of `sig` over `msg` with this key and its own algorithm.
    pub fn check(&self, msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
        self.key.check(self.alg, msg, sig)
    }
}

/// Returns the `alg` (label 3) of an encoded COSE key without validating the rest.
pub fn cose_algorithm(cose_key: &[u8]) -> Result<i64, WebauthnError> {
    let value = cbor::decode(cose_key).map_err(|_| WebauthnError::InvalidPublicKey)?;
    let map = value.as_map().ok_or(WebauthnError::InvalidPublicKey)?;
    int_param(map, LABEL_ALG)
}

/// The check of a signature with a stored COSE public key (as kept after registration).
pub fn signature_check(cose_key: &[u8], msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
    parse_cose_key(cose_key)?.check(msg, sig)
}

/// Decodes and validates an encoded COSE key: the whole input must be one map.
pub fn parse_cose_key(bytes: &[u8]) -> Result<CoseKey, WebauthnError> {
    let value = cbor::decode(bytes).map_err(|_| WebauthnError::InvalidPublicKey)?;
    cose_key_from_value(&value)
}

/// Validates a decoded COSE key: parameters must fit its kty, alg and crv.
pub fn cose_key_from_value(value: &Value) -> Result<CoseKey, WebauthnError> {
    let map = value.as_map().ok_or(WebauthnError::InvalidPublicKey)?;
    let kty = int_param(map, LABEL_KTY)?;
    let alg = int_param(map, LABEL_ALG)?;
    let key = match (kty, alg) {
        (KTY_EC2, ALG_ES256) => ec2_key(map)?,
        (KTY_OKP, ALG_EDDSA) => okp_key(map)?,
        (KTY_RSA, ALG_RS256 | ALG_RS1) => rsa_key(map)?,
        // A known algorithm with the wrong key type is a malformed key, not an unknown algorithm.
        (_, ALG_ES256 | ALG_EDDSA | ALG_RS256 | ALG_RS1) => {
            return Err(WebauthnError::InvalidPublicKey)
        }
        (KTY_EC2 | KTY_OKP | KTY_RSA, _) => return Err(WebauthnError::UnsupportedAlgorithm),
        _ => return Err(WebauthnError::InvalidPublicKey),
    };
    Ok(CoseKey { alg, key })
}

fn int_param(map: &[(Value, Value)], label: i64) -> Result<i64, WebauthnError> {
    map_get_int(map, label)
        .and_then(Value::as_i64)
        .ok_or(WebauthnError::InvalidPublicKey)
}

fn bytes_param(map: &[(Value, Value)], label: i64) -> Result<&[u8], WebauthnError> {
    map_get_int(map, label)
        .and_then(Value::as_bytes)
        .ok_or(WebauthnError::InvalidPublicKey)
}

/// A public key must not carry private parameters; their presence signals a broken client.
fn reject_private(map: &[(Value, Value)], label: i64) -> Result<(), WebauthnError> {
    match map_get_int(map, label) {
        Some(_) => Err(WebauthnError::InvalidPublicKey),
        None => Ok(()),
    }
}

/// EC2: crv (-1) must be P-256, x (-2) and y (-3) 32 bytes each and on the curve.
fn ec2_key(map: &[(Value, Value)]) -> Result<PublicKey, WebauthnError> {
    if int_param(map, -1)? != CRV_P256 {
        return Err(WebauthnError::InvalidPublicKey);
    }
    reject_private(map, -4)?;
    let x = bytes_param(map, -2)?;
    let y = bytes_param(map, -3)?;
    if x.len() != 32 || y.len() != 32 {
        return Err(WebauthnError::InvalidPublicKey);
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    PublicKey::p256_from_sec1(&point)
}

/// OKP: crv (-1) must be Ed25519 and x (-2) 32 bytes.
fn okp_key(map: &[(Value, Value)]) -> Result<PublicKey, WebauthnError> {
    if int_param(map, -1)? != CRV_ED25519 {
        return Err(WebauthnError::InvalidPublicKey);
    }
    reject_private(map, -4)?;
    PublicKey::ed25519_from_bytes(bytes_param(map, -2)?)
}

/// RSA: n (-1) and e (-2).
fn rsa_key(map: &[(Value, Value)]) -> Result<PublicKey, WebauthnError> {
    reject_private(map, -3)?;
    PublicKey::rsa_from_parts(bytes_param(map, -1)?, bytes_param(map, -2)?)
}
