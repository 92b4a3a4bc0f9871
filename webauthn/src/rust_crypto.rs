//! The pure-Rust [`SignatureVerifier`] (feature `rust-crypto`): native builds
//! and tests. The worker's wasm uses the runtime's WebCrypto instead, so these
//! curves are not compiled into it.

use p256::ecdsa::signature::Verifier as _;

use super::keys::{Check, CheckKind, PublicKey, SignatureAlgorithm};
use super::obligations::{SignatureVerifier, Unverified};

/// Verifies with RustCrypto's `p256`, `p384`, `rsa` and `ed25519-dalek`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

impl super::obligations::sealed_impl::Sealed for RustCrypto {}

impl SignatureVerifier for RustCrypto {
    async fn holds(&self, check: &Check) -> bool {
        holds(check)
    }
}

impl<T: 'static, E> Unverified<T, E> {
    /// [`Unverified::verify`] with [`RustCrypto`], synchronously (its answers
    /// need no runtime).
    pub fn verify_now(self) -> Result<T, E> {
        self.settle(holds)
    }
}

/// Whether `check` holds.
pub(crate) fn holds(check: &Check) -> bool {
    match &check.0 {
        CheckKind::KeyValid(key) => key_valid(key),
        CheckKind::Signature {
            key,
            alg,
            message,
            signature,
        } => signature_valid(key, *alg, message, signature),
    }
}

fn key_valid(key: &PublicKey) -> bool {
    match key {
        PublicKey::P256(point) => p256::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok(),
        PublicKey::P384(point) => p384::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok(),
        PublicKey::Ed25519(bytes) => {
            ed25519_dalek::VerifyingKey::from_bytes(bytes).is_ok_and(|k| !k.is_weak())
        }
        PublicKey::Rsa { n, e } => rsa_key(n, e).is_some(),
    }
}

fn rsa_key(n: &[u8], e: &[u8]) -> Option<rsa::RsaPublicKey> {
    rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(n),
        rsa::BigUint::from_bytes_be(e),
    )
    .ok()
}

fn signature_valid(key: &PublicKey, alg: SignatureAlgorithm, msg: &[u8], sig: &[u8]) -> bool {
    use SignatureAlgorithm as A;
    match (key, alg) {
        (PublicKey::P256(point), A::Es256) => {
            let (Ok(key), Ok(sig)) = (
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point),
                p256::ecdsa::Signature::from_slice(sig),
            ) else {
                return false;
            };
            key.verify(msg, &sig).is_ok()
        }
        (PublicKey::P384(point), A::Es384) => {
            let (Ok(key), Ok(sig)) = (
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point),
                p384::ecdsa::Signature::from_slice(sig),
            ) else {
                return false;
            };
            key.verify(msg, &sig).is_ok()
        }
        (PublicKey::Ed25519(bytes), A::EdDsa) => {
            let (Ok(key), Ok(sig)) = (
                ed25519_dalek::VerifyingKey::from_bytes(bytes),
                ed25519_dalek::Signature::from_slice(sig),
            ) else {
                return false;
            };
            // Strict: no small-order key or R, canonical s.
            key.verify_strict(msg, &sig).is_ok()
        }
        (PublicKey::Rsa { n, e }, A::Rs256 | A::Rs1) => {
            let (Some(key), Ok(sig)) = (rsa_key(n, e), rsa::pkcs1v15::Signature::try_from(sig))
            else {
                return false;
            };
            if alg == A::Rs1 {
                rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key)
                    .verify(msg, &sig)
                    .is_ok()
            } else {
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify(msg, &sig)
                    .is_ok()
            }
        }
        _ => false,
    }
}
