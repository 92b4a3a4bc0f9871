//! Hashing, MACs, constant-time comparison and sealing of the few secrets
//! that must be recoverable (approval-link tokens, idempotent replays).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::random::Random;

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lowercase hex of the SHA-256 of `data`: how every credential is stored.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Constant-time equality; lengths are not secret.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Compares a presented secret with a stored SHA-256 hex digest in constant time.
pub fn matches_hash(presented: &str, stored_hex: &str) -> bool {
    ct_eq(
        sha256_hex(presented.as_bytes()).as_bytes(),
        stored_hex.as_bytes(),
    )
}

/// Unpadded base64url: the one definition is `mid-webauthn`'s, so every
/// binary value MID emits is encoded by the same rule.
pub use super::webauthn::base64url_encode as b64url;

/// base64url, padding optional (the same rule as WebAuthn's binary fields).
pub use super::webauthn::base64url_decode as b64url_decode;

pub fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Shortest accepted `SEALING_KEY`, in decoded bytes (DESIGN §5).
pub const SEALING_KEY_MIN_BYTES: usize = 32;

/// The sealing master key from `SEALING_KEY`: base64 (standard or URL-safe,
/// padded or not) of at least 32 bytes, else `None` (the worker then refuses
/// to serve: there is no fallback secret). The master is SHA-256 of the text,
/// so keys already in use keep opening what they sealed.
pub fn sealing_master(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())?;
    (decoded.len() >= SEALING_KEY_MIN_BYTES).then(|| sha256(text.as_bytes()))
}

/// Derives a purpose-bound 256-bit key from the service's sealing secret.
pub fn derive_key(master: &[u8], purpose: &str) -> [u8; 32] {
    hmac_sha256(master, purpose.as_bytes())
}

/// Encrypts and authenticates `plaintext` (ChaCha20-Poly1305, random nonce);
/// output is base64url(nonce || ciphertext).
pub fn seal(key: &[u8; 32], plaintext: &[u8], random: &mut dyn Random) -> String {
    let mut nonce = [0u8; 12];
    random.fill(&mut nonce);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    // Encryption of an in-memory buffer only fails past 256 GiB.
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    b64url(&out)
}

/// Reverses [`seal`]; `None` when the data was altered or the key is wrong.
pub fn open(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let raw = b64url_decode(sealed)?;
    let (nonce, ciphertext) = raw.split_at_checked(12)?;
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::SeqRandom;

    #[test]
    fn sealing_keys_must_be_base64_of_32_bytes_or_more() {
        let good = b64url(&[7u8; 32]);
        assert_eq!(sealing_master(&good), Some(sha256(good.as_bytes())));
        assert!(sealing_master(&b64(&[7u8; 48])).is_some());
        for bad in [
            "",
            "   ",
            "change-me-local-sealing-key",
            &b64url(&[7u8; 31]),
            "not base64 at all!!",
        ] {
            assert_eq!(sealing_master(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hmac_matches_an_independent_implementation() {
        let key = b"a key of some length";
        let msg = b"the message";
        assert_eq!(
            hmac_sha256(key, msg),
            hmac_sha256::HMAC::mac(msg, key),
            "RustCrypto hmac and the hmac-sha256 crate must agree"
        );
    }

    #[test]
    fn sha256_hex_of_empty_input_is_the_known_digest() {
        // FIPS 180-4 digest of the empty string.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hash_match_is_exact() {
        let stored = sha256_hex(b"tok_123");
        assert!(matches_hash("tok_123", &stored));
        assert!(!matches_hash("tok_124", &stored));
        assert!(!matches_hash("", &stored));
    }

    #[test]
    fn seal_round_trips_and_detects_tampering() {
        let key = derive_key(b"master", "test");
        let sealed = seal(&key, b"secret token", &mut SeqRandom(7));
        assert_eq!(open(&key, &sealed).as_deref(), Some(&b"secret token"[..]));
        let other = derive_key(b"master", "other purpose");
        assert_eq!(open(&other, &sealed), None);
        let mut raw = b64url_decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(open(&key, &b64url(&raw)), None);
        assert_eq!(open(&key, "short"), None);
        assert_eq!(open(&key, "!!not base64!!"), None);
    }
}
