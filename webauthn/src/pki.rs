//! The crate's X.509 checks for other signed formats that carry a
//! certificate chain (the App Store's JWS `x5c`): chain building to pinned
//! roots, extension presence, and JWS-form (raw `r||s`) ES256 signatures by a
//! certificate's key.

use super::error::WebauthnError;
use super::keys::{PublicKey, ALG_ES256, ALG_RS256};
use super::x509;

/// Each certificate signed by the next, intermediates are CAs, the last a
/// root or signed by one; with `now_s` (unix seconds) every certificate and
/// the root valid then.
pub fn chain_is_trusted(chain: &[Vec<u8>], roots: &[Vec<u8>], now_s: Option<i64>) -> bool {
    super::attestation::chain_is_trusted(chain, roots, now_s)
}

/// Whether the DER certificate carries an extension with this dotted OID
/// (false for a certificate that does not parse).
pub fn has_extension(cert: &[u8], dotted_oid: &str) -> bool {
    x509::parse(cert).is_ok_and(|c| c.extension(dotted_oid).is_some())
}

/// Verifies a JWS ES256 signature (the 64-byte `r||s` of RFC 7518 §3.4) over
/// `msg` with the P-256 key of the DER certificate `cert`.
pub fn verify_jws_es256(cert: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
    let key = x509::parse(cert)?.public_key()?;
    if !matches!(key, PublicKey::P256(_)) {
        return Err(WebauthnError::UnsupportedAlgorithm);
    }
    let sig = p256::ecdsa::Signature::from_slice(sig).map_err(|_| WebauthnError::BadSignature)?;
    key.verify(ALG_ES256, msg, sig.to_der().as_bytes())
}

/// Verifies an RS256 (PKCS#1 v1.5, SHA-256) signature with the RSA key of
/// big-endian modulus `n` and exponent `e` (at least 2048 bits).
pub fn verify_rs256(n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
    PublicKey::rsa_from_parts(n, e)?.verify(ALG_RS256, msg, sig)
}
