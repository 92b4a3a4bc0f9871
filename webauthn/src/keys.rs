//! Public keys (from COSE, X.509, JWK or TPM structures) as plain, shape-checked
//! data, and the signature checks they make. No curve arithmetic happens here:
//! a [`Check`] is discharged later by a [`crate::SignatureVerifier`] (pure Rust
//! natively, the runtime's WebCrypto in the worker).

use super::der::{self, Reader};
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
/// Largest RSA modulus accepted (bounds the verification cost of hostile keys).
const MAX_RSA_BITS: usize = 4096;
/// Largest RSA public exponent accepted (2^33 - 1, as BoringSSL and RustCrypto).
const MAX_RSA_EXPONENT_BYTES: usize = 5;

/// A public key of the right shape for its algorithm. Whether an EC point lies
/// on its curve is not known yet: that is a [`Check`] (an explicit
/// [`Check::key`], or implied by any signature check with the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// NIST P-256, SEC1 uncompressed point (65 bytes).
    P256(Vec<u8>),
    /// NIST P-384, SEC1 uncompressed point (97 bytes; certificate keys only).
    P384(Vec<u8>),
    /// Ed25519, 32 bytes, not of small order.
    Ed25519([u8; 32]),
    /// RSA, big-endian modulus and exponent without leading zeros.
    Rsa {
        /// Modulus (2048 to 4096 bits).
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
}

/// The signature algorithm of a [`Check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256 / SHA-256.
    Es256,
    /// ECDSA P-384 / SHA-384.
    Es384,
    /// Ed25519 (strict: canonical `s`, no small-order key or `R`).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 / SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 / SHA-1.
    Rs1,
}

/// One cryptographic fact a verification depends on. Built only by this
/// crate's parsers, so its parts are already well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check(pub(crate) CheckKind);

/// What a [`Check`] asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CheckKind {
    /// `signature` is valid over `message` under `key` with `alg`.
    Signature {
        key: PublicKey,
        alg: SignatureAlgorithm,
        message: Vec<u8>,
        /// ECDSA as raw `r||s` (IEEE P1363, what WebCrypto takes); others as sent.
        signature: Vec<u8>,
    },
    /// `key` is usable: an EC point on its curve (for keys accepted without a signature).
    KeyValid(PublicKey),
}

impl Check {
    /// A check that `key` is a usable key (an EC point on its curve): for keys
    /// accepted without a signature by them.
    pub fn key(key: &PublicKey) -> Self {
        Self(CheckKind::KeyValid(key.clone()))
    }
}

impl PublicKey {
    /// P-256 key from an uncompressed SEC1 point (compressed points are refused).
    pub fn p256_from_sec1(point: &[u8]) -> Result<Self, WebauthnError> {
        uncompressed(point, 32).map(Self::P256)
    }

    /// P-384 key from an uncompressed SEC1 point.
    pub fn p384_from_sec1(point: &[u8]) -> Result<Self, WebauthnError> {
        uncompressed(point, 48).map(Self::P384)
    }

    /// Ed25519 key from its 32-byte encoding; small-order points are refused.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, WebauthnError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| WebauthnError::InvalidPublicKey)?;
        if ed25519_small_order(&arr) {
            return Err(WebauthnError::InvalidPublicKey);
        }
        Ok(Self::Ed25519(arr))
    }

    /// RSA key from big-endian modulus and exponent: 2048 to 4096 bits, an odd
    /// modulus, an exponent from 3 to 2^33 - 1.
    pub fn rsa_from_parts(n: &[u8], e: &[u8]) -> Result<Self, WebauthnError> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = bit_length(n);
        let n_odd = n.last().is_some_and(|b| b & 1 == 1);
        let e_ok = e.len() <= MAX_RSA_EXPONENT_BYTES
            && (e.len() > 1 || e.first().is_some_and(|b| *b >= 3))
            && (e.len() <= 4 || e.first().is_some_and(|b| *b <= 1));
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) || !n_odd || !e_ok {
            return Err(WebauthnError::InvalidPublicKey);
        }
        Ok(Self::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// The 65-byte uncompressed point of a P-256 key (FIDO U2F needs it raw).
    pub fn p256_uncompressed(&self) -> Option<&[u8]> {
        match self {
            Self::P256(point) => Some(point),
            _ => None,
        }
    }

    /// The check that `sig` is a valid signature over `msg` with COSE algorithm
    /// `alg`. Refuses now what can be refused without the key's arithmetic: an
    /// algorithm the key cannot use, a malformed signature.
    ///
    /// ES256/ES384 signatures are ASN.1 DER (WebAuthn §6.5.6), EdDSA ones the raw
    /// 64 bytes, RS256/RS1 PKCS#1 v1.5 as long as the modulus.
    pub fn check(&self, alg: i64, msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
        let bad = WebauthnError::BadSignature;
        let (alg, signature) = match (self, alg) {
            (Self::P256(_), ALG_ES256) => (
                SignatureAlgorithm::Es256,
                ecdsa_der_to_raw(sig, 32).ok_or(bad)?,
            ),
            (Self::P384(_), ALG_ES384) => (
                SignatureAlgorithm::Es384,
                ecdsa_der_to_raw(sig, 48).ok_or(bad)?,
            ),
            (Self::Ed25519(_), ALG_EDDSA) => {
                ed25519_signature_shape(sig).ok_or(bad)?;
                (SignatureAlgorithm::EdDsa, sig.to_vec())
            }
            (Self::Rsa { n, .. }, ALG_RS256 | ALG_RS1) => {
                if sig.len() != n.len() {
                    return Err(bad);
                }
                let alg = if alg == ALG_RS1 {
                    SignatureAlgorithm::Rs1
                } else {
                    SignatureAlgorithm::Rs256
                };
                (alg, sig.to_vec())
            }
            _ => return Err(WebauthnError::UnsupportedAlgorithm),
        };
        Ok(Check(CheckKind::Signature {
            key: self.clone(),
            alg,
            message: msg.to_vec(),
            signature,
        }))
    }

    /// The check of a raw `r||s` ES256 signature (JWS, RFC 7518 §3.4; device keys).
    pub fn check_es256_raw(&self, msg: &[u8], sig: &[u8]) -> Result<Check, WebauthnError> {
        if !matches!(self, Self::P256(_)) {
            return Err(WebauthnError::UnsupportedAlgorithm);
        }
        if sig.len() != 64 {
            return Err(WebauthnError::BadSignature);
        }
        Ok(Check(CheckKind::Signature {
            key: self.clone(),
            alg: SignatureAlgorithm::Es256,
            message: msg.to_vec(),
            signature: sig.to_vec(),
        }))
    }
}

fn uncompressed(point: &[u8], coordinate: usize) -> Result<Vec<u8>, WebauthnError> {
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == coordinate.saturating_mul(2) => Ok(point.to_vec()),
        _ => Err(WebauthnError::InvalidPublicKey),
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// Bits of a big-endian number without leading zero bytes.
fn bit_length(n: &[u8]) -> usize {
    let Some(first) = n.first() else { return 0 };
    let top = usize::try_from(u8::BITS.saturating_sub(first.leading_zeros())).unwrap_or(0);
    n.len()
        .saturating_sub(1)
        .saturating_mul(8)
        .saturating_add(top)
}

/// A DER `SEQUENCE { r INTEGER, s INTEGER }` as `r||s`, each left-padded to
/// `size` bytes; `None` unless strictly DER (minimal, positive integers) and
/// both fit. Range (0 < r, s < n) is the verifier's part.
pub(crate) fn ecdsa_der_to_raw(sig: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut outer = Reader::new(sig);
    let mut seq = Reader::new(outer.expect(der::SEQUENCE).ok()?);
    outer.finish().ok()?;
    let mut raw = Vec::with_capacity(size.saturating_mul(2));
    for _ in 0..2 {
        let int = seq.expect(der::INTEGER).ok()?;
        let minimal = match int {
            [] => false,
            [first, ..] if first & 0x80 != 0 => false,
            [0, second, ..] => second & 0x80 != 0,
            _ => true,
        };
        if !minimal {
            return None;
        }
        let value = strip_zeros(int);
        let pad = size.checked_sub(value.len())?;
        raw.extend(std::iter::repeat_n(0, pad));
        raw.extend_from_slice(value);
    }
    seq.finish().ok()?;
    // The length octets must be minimal too: re-encoding gives the same bytes.
    (der_length_is_minimal(sig)).then_some(raw)
}

/// Whether the outer element and its two INTEGERs use the shortest length form.
fn der_length_is_minimal(sig: &[u8]) -> bool {
    fn minimal(input: &[u8]) -> Option<(usize, &[u8])> {
        let len_byte = *input.get(1)?;
        let (len, header) = match len_byte {
            0..=0x7f => (usize::from(len_byte), 2usize),
            0x81 => (usize::from(*input.get(2)?), 3),
            _ => return None,
        };
        if header == 3 && len < 0x80 {
            return None;
        }
        let end = header.checked_add(len)?;
        Some((end, input.get(header..end)?))
    }
    let Some((_, content)) = minimal(sig) else {
        return false;
    };
    let Some((r_end, _)) = minimal(content) else {
        return false;
    };
    content.get(r_end..).and_then(minimal).is_some()
}

/// The group order L of edwards25519, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The encodings of the eight small-order points of edwards25519, canonical
/// and not (y + p), without the sign bit (compared with it masked off). A key
/// or `R` among them would let a signature verify for many messages.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    // y = 0 (order 4)
    [0; 32],
    // y = 1 (identity)
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1 (order 2)
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // y = p (non-canonical 0)
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // y = p + 1 (non-canonical 1)
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether a 32-byte Ed25519 point encoding is one of the small-order points.
pub(crate) fn ed25519_small_order(point: &[u8; 32]) -> bool {
    ED25519_SMALL_ORDER.iter().any(|bad| {
        bad.iter()
            .zip(point.iter())
            .enumerate()
            .all(|(i, (b, p))| if i == 31 { *b == p & 0x7f } else { b == p })
    })
}

/// A 64-byte Ed25519 signature with a canonical `s` (< L) and an `R` not of
/// small order: what strict verification demands before any arithmetic, so
/// every backend refuses the same malleable or weak signatures.
fn ed25519_signature_shape(sig: &[u8]) -> Option<()> {
    let (r, s) = sig.split_at_checked(32)?;
    let r: &[u8; 32] = r.try_into().ok()?;
    if s.len() != 32 || ed25519_small_order(r) {
        return None;
    }
    // Little-endian comparison s < L, from the most significant byte.
    for (si, li) in s.iter().rev().zip(ED25519_L.iter().rev()) {
        if si != li {
            return (si < li).then_some(());
        }
    }
    None
}
