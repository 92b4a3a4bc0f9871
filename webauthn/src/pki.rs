//! The crate's X.509 checks for other signed formats that carry a
//! certificate chain (the App Store's JWS `x5c`): chain building to pinned
//! roots, extension presence, and JWS-form (raw `r||s`) ES256 signatures by a
//! certificate's key. Signatures come back as [`Check`]s and [`Trust`]s to
//! require on an [`crate::Unverified`].

use super::error::WebauthnError;
use super::keys::{Check, PublicKey, ALG_RS256};
use super::obligations::Trust;
use super::x509;

/// Holds when each certificate is signed by the next, intermediates are CAs,
/// the last a root or signed by one; with `now_s` (unix seconds) every
/// certificate and the root valid then.
pub fn chain_trust(chain: &[Vec<u8>], roots: &[Vec<u8>], now_s: Option<i64>) -> Trust {
    super::attestation::chain_trust(chain, roots, now_s)
}

/// Whether the DER certificate carries an extension with this dotted OID
/// (false for a certificate that does not parse).
pub fn has_extension(cert: &[u8], dotted_oid: &str) -> bool {
    x509::parse(cert).is_ok_and(|c| c.extension(dotted_oid).is_some())
}

/// The check of a JWS ES256 signature (the 64-byte `r||s` of RFC 7518 §3.4)
/// over `msg` with the P-256 key of the DER certificate `cert`.
pub fn jws_es256_check(cert: &[u8], msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
    x509::parse(cert)?.public_key()?.check_es256_raw(msg, sig)
}

/// The check of an RS256 (PKCS#1 v1.5, SHA-256) signature with the RSA key of
/// big-endian modulus `n` and exponent `e` (at least 2048 bits).
pub fn rs256_check(n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
    PublicKey::rsa_from_parts(n, e)?.check(ALG_RS256, msg, sig)
}
