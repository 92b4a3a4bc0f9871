//! Public keys (from COSE or X.509) and signature verification by COSE algorithm.

use p256::ecdsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;

use super::error::WebauthnError;

/// COSE algorithm: EdDSA (Ed25519).
pub const ALG_EDDSA: i64 = -8;
/// COSE algorithm: ECDSA P-256 with SHA-256.
pub const ALG_ES256: i64 = -7;
/// COSE algorithm: ECDSA P-384 with SHA-384 (X.509 chains only, never a credential).
pub const ALG_ES384: i64 = -35;
/// COSE algorithm: RSASSA-PKCS1-v1_5 with SHA-256.
pub const ALG_RS256: i64 = -257;
/// COSE algorithm: RSASSA-PKCS1-v1_5 with SHA-1 (only seen in TPM attestation statements).
pub const ALG_RS1: i64 = -65535;

/// Smallest RSA modulus accepted; smaller keys are too weak to trust.
const MIN_RSA_BITS: usize = 2048;

/// A verified-well-formed public key.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// NIST P-256 point (validated to lie on the curve).
    P256(p256::ecdsa::VerifyingKey),
    /// NIST P-384 point (certificate keys only).
    P384(p384::ecdsa::VerifyingKey),
    /// Ed25519 point.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// RSA modulus and exponent.
    Rsa(rsa::RsaPublicKey),
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::P256(a), Self::P256(b)) => {
                a.to_encoded_point(false).as_bytes() == b.to_encoded_point(false).as_bytes()
            }
            (Self::P384(a), Self::P384(b)) => {
                a.to_encoded_point(false).as_bytes() == b.to_encoded_point(false).as_bytes()
            }
            (Self::Ed25519(a), Self::Ed25519(b)) => a.as_bytes() == b.as_bytes(),
            (Self::Rsa(a), Self::Rsa(b)) => a.n() == b.n() && a.e() == b.e(),
            _ => false,
        }
    }
}

impl PublicKey {
    /// P-256 key from an uncompressed (or compressed) SEC1 point.
    pub fn p256_from_sec1(point: &[u8]) -> Result<Self, WebauthnError> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map(Self::P256)
            .map_err(|_| WebauthnError::InvalidPublicKey)
    }

    /// P-384 key from a SEC1 point.
    pub fn p384_from_sec1(point: &[u8]) -> Result<Self, WebauthnError> {
        p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map(Self::P384)
            .map_err(|_| WebauthnError::InvalidPublicKey)
    }

    /// Ed25519 key from its 32-byte encoding.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, WebauthnError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| WebauthnError::InvalidPublicKey)?;
        ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map(Self::Ed25519)
            .map_err(|_| WebauthnError::InvalidPublicKey)
    }

    /// RSA key from big-endian modulus and exponent.
    pub fn rsa_from_parts(n: &[u8], e: &[u8]) -> Result<Self, WebauthnError> {
        let key = rsa::RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(n),
            rsa::BigUint::from_bytes_be(e),
        )
        .map_err(|_| WebauthnError::InvalidPublicKey)?;
        if key.n().bits() < MIN_RSA_BITS {
            return Err(WebauthnError::InvalidPublicKey);
        }
        Ok(Self::Rsa(key))
    }

    /// The 65-byte uncompressed point of a P-256 key (FIDO U2F needs it raw).
    pub fn p256_uncompressed(&self) -> Option<Vec<u8>> {
        match self {
            Self::P256(k) => Some(k.to_encoded_point(false).as_bytes().to_vec()),
            _ => None,
        }
    }

    /// Verifies `sig` over `msg` with COSE algorithm `alg`.
    ///
    /// ES256 signatures are ASN.1 DER (WebAuthn §6.5.6), EdDSA signatures are the raw
    /// 64 bytes, RS256/RS1 are PKCS#1 v1.5.
    pub fn verify(&self, alg: i64, msg: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
        match (self, alg) {
            (Self::P256(key), ALG_ES256) => {
                let sig = p256::ecdsa::Signature::from_der(sig)
                    .map_err(|_| WebauthnError::BadSignature)?;
                key.verify(msg, &sig)
                    .map_err(|_| WebauthnError::BadSignature)
            }
            (Self::P384(key), ALG_ES384) => {
                let sig = p384::ecdsa::Signature::from_der(sig)
                    .map_err(|_| WebauthnError::BadSignature)?;
                key.verify(msg, &sig)
                    .map_err(|_| WebauthnError::BadSignature)
            }
            (Self::Ed25519(key), ALG_EDDSA) => {
                let sig = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| WebauthnError::BadSignature)?;
                // Strict verification rejects small-order keys and malleable signatures.
                key.verify_strict(msg, &sig)
                    .map_err(|_| WebauthnError::BadSignature)
            }
            (Self::Rsa(key), ALG_RS256) => {
                let sig = rsa::pkcs1v15::Signature::try_from(sig)
                    .map_err(|_| WebauthnError::BadSignature)?;
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone())
                    .verify(msg, &sig)
                    .map_err(|_| WebauthnError::BadSignature)
            }
            (Self::Rsa(key), ALG_RS1) => {
                let sig = rsa::pkcs1v15::Signature::try_from(sig)
                    .map_err(|_| WebauthnError::BadSignature)?;
                rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key.clone())
                    .verify(msg, &sig)
                    .map_err(|_| WebauthnError::BadSignature)
            }
            _ => Err(WebauthnError::UnsupportedAlgorithm),
        }
    }
}
