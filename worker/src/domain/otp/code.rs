//! Six-digit code generation (rejection sampling) and keyed hashing.

use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Number of digits in a one-time code.
pub const CODE_LENGTH: usize = 6;

/// 10^6: the number of distinct codes.
const CODE_SPACE: u32 = 1_000_000;

/// Largest multiple of `CODE_SPACE` that fits in a `u32` (4_294_000_000).
/// Samples at or above it are rejected so every code is equally likely.
const ACCEPT_BELOW: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;

/// Upper bound on draws in [`generate_code`]. Each draw is rejected with
/// probability ~2.25e-4, so 16 rejections in a row only happen when the
/// random source is broken; we stop instead of looping forever.
const MAX_DRAWS: usize = 16;

/// Domain-separation prefix of the HMAC input, so the same key can never
/// produce a code hash that collides with another use of it.
const HASH_CONTEXT: &[u8] = b"mid/enroll/otp/v1\n";

/// The random source only produced rejected samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeGenerationError;

impl core::fmt::Display for CodeGenerationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("random source exhausted before an unbiased code was drawn")
    }
}

impl std::error::Error for CodeGenerationError {}

/// Maps one 32-bit sample to a code, or `None` when it must be rejected.
fn code_from_sample(sample: [u8; 4]) -> Option<String> {
    let value = u32::from_be_bytes(sample);
    if value >= ACCEPT_BELOW {
        return None;
    }
    Some(format!("{:06}", value % CODE_SPACE))
}

/// Draws a uniformly distributed six-digit code ("000000".."999999").
///
/// `next_random` must return fresh CSPRNG output on each call (e.g. wrap
/// `crypto.getRandomValues`). Samples >= 4_294_000_000 are rejected and
/// redrawn, which removes modulo bias; after 16 rejections in a row the
/// source is treated as broken.
pub fn generate_code(
    mut next_random: impl FnMut() -> [u8; 4],
) -> Result<String, CodeGenerationError> {
    (0..MAX_DRAWS)
        .find_map(|_| code_from_sample(next_random()))
        .ok_or(CodeGenerationError)
}

/// Same as [`generate_code`] but reads consecutive 4-byte big-endian
/// samples from one buffer, for callers that fetch randomness in one go.
///
/// Retry contract: pass at least 8 bytes (two samples); 32 bytes makes
/// failure odds ~1e-29. A trailing partial sample is ignored.
pub fn code_from_random_bytes(random: &[u8]) -> Result<String, CodeGenerationError> {
    random
        .chunks_exact(4)
        .find_map(|chunk| <[u8; 4]>::try_from(chunk).ok().and_then(code_from_sample))
        .ok_or(CodeGenerationError)
}

/// True when `candidate` is exactly six ASCII digits ('0'..='9').
///
/// Unicode digits such as Arabic-Indic "١٢٣٤٥٦" are rejected: they are not
/// what we sent and must never be normalised into a match.
pub fn is_well_formed_code(candidate: &str) -> bool {
    candidate.len() == CODE_LENGTH && candidate.bytes().all(|b| b.is_ascii_digit())
}

/// Expands any key to one HMAC block exactly as RFC 2104 does (hash keys
/// longer than the block, zero-pad the rest). This lets us use the
/// infallible fixed-size constructor instead of unwrapping the slice one.
fn hmac_block_key(key: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        let digest = Sha256::digest(key);
        for (dst, src) in block.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
    } else {
        for (dst, src) in block.iter_mut().zip(key.iter()) {
            *dst = *src;
        }
    }
    block
}

/// HMAC-SHA256 of a code bound to its enrollment, so the plain code is
/// never stored and a hash cannot be replayed on another enrollment.
///
/// Message: `"mid/enroll/otp/v1\n" || enrollment_id || "\n" || code`. The
/// code is fixed-length and last, so the encoding is unambiguous. Callers
/// validate the code first (see [`is_well_formed_code`]).
pub fn hash_code(key: &[u8], enrollment_id: &str, code: &str) -> [u8; 32] {
    let block = GenericArray::from(hmac_block_key(key));
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block);
    mac.update(HASH_CONTEXT);
    mac.update(enrollment_id.as_bytes());
    mac.update(b"\n");
    mac.update(code.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Constant-time check of `candidate` against a stored code hash.
/// Malformed candidates are rejected before hashing.
pub fn codes_match(
    stored_hash: &[u8; 32],
    key: &[u8],
    enrollment_id: &str,
    candidate: &str,
) -> bool {
    if !is_well_formed_code(candidate) {
        return false;
    }
    let candidate_hash = hash_code(key, enrollment_id, candidate);
    candidate_hash.ct_eq(stored_hash).into()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    /// Feeds a fixed list of u32 samples; panics when exhausted.
    fn fixed(samples: &[u32]) -> impl FnMut() -> [u8; 4] + '_ {
        let mut it = samples.iter();
        move || it.next().expect("test source exhausted").to_be_bytes()
    }

    #[test]
    fn threshold_is_largest_multiple_of_a_million() {
        assert_eq!(ACCEPT_BELOW, 4_294_000_000);
        assert_eq!(u64::from(ACCEPT_BELOW) % 1_000_000, 0);
        assert!(u64::from(ACCEPT_BELOW) + 1_000_000 > u64::from(u32::MAX));
    }

    #[test]
    fn boundary_values_map_correctly() {
        assert_eq!(generate_code(fixed(&[0])).unwrap(), "000000");
        assert_eq!(generate_code(fixed(&[7])).unwrap(), "000007");
        assert_eq!(generate_code(fixed(&[999_999])).unwrap(), "999999");
        assert_eq!(generate_code(fixed(&[1_000_000])).unwrap(), "000000");
        // Last accepted sample.
        assert_eq!(generate_code(fixed(&[4_293_999_999])).unwrap(), "999999");
    }

    #[test]
    fn rejected_samples_are_redrawn() {
        // 4_294_000_000 and u32::MAX are rejected; the third draw is used.
        let mut calls = 0;
        let samples = [4_294_000_000u32, u32::MAX, 123_456];
        let code = generate_code(|| {
            let s = samples[calls];
            calls += 1;
            s.to_be_bytes()
        })
        .unwrap();
        assert_eq!(code, "123456");
        assert_eq!(calls, 3);
    }

    #[test]
    fn broken_source_errors_instead_of_looping() {
        assert_eq!(generate_code(|| [0xFF; 4]), Err(CodeGenerationError));
    }

    #[test]
    fn byte_buffer_variant_skips_rejected_chunks() {
        let mut buf = Vec::new();
        buf.extend_from_slice(&u32::MAX.to_be_bytes());
        buf.extend_from_slice(&42u32.to_be_bytes());
        buf.push(9); // trailing partial sample is ignored
        assert_eq!(code_from_random_bytes(&buf).unwrap(), "000042");
        assert_eq!(code_from_random_bytes(&[0xFF; 8]), Err(CodeGenerationError));
        assert_eq!(code_from_random_bytes(&[1, 2, 3]), Err(CodeGenerationError));
    }

    /// xorshift32: deterministic, decent spread, good enough for a sanity
    /// check of the mapping (not of any real RNG).
    fn xorshift(seed: u32) -> impl FnMut() -> [u8; 4] {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_be_bytes()
        }
    }

    #[test]
    fn digit_distribution_is_roughly_uniform() {
        // Chi-square over the first digit and the last digit (10 buckets
        // each, 9 degrees of freedom). 27.88 is the p=0.001 critical value.
        let mut next = xorshift(0x9E37_79B9);
        let mut first = [0u32; 10];
        let mut last = [0u32; 10];
        let n = 50_000u32;
        for _ in 0..n {
            let code = generate_code(&mut next).unwrap();
            assert!(is_well_formed_code(&code));
            let bytes = code.as_bytes();
            first[usize::from(bytes[0] - b'0')] += 1;
            last[usize::from(bytes[5] - b'0')] += 1;
        }
        let expected = f64::from(n) / 10.0;
        for buckets in [first, last] {
            let chi2: f64 = buckets
                .iter()
                .map(|&o| (f64::from(o) - expected).powi(2) / expected)
                .sum();
            assert!(chi2 < 27.88, "chi2 {chi2} buckets {buckets:?}");
        }
    }

    #[test]
    fn well_formed_check() {
        assert!(is_well_formed_code("000000"));
        assert!(is_well_formed_code("123456"));
        assert!(!is_well_formed_code("12345"));
        assert!(!is_well_formed_code("1234567"));
        assert!(!is_well_formed_code("12345a"));
        assert!(!is_well_formed_code(" 12345"));
        assert!(!is_well_formed_code("١٢٣٤٥٦")); // Arabic-Indic digits
        assert!(!is_well_formed_code("１２３４５６")); // fullwidth digits
        assert!(!is_well_formed_code(""));
    }

    #[test]
    fn hash_matches_independent_hmac_implementation() {
        let short_key = b"test-otp-key-0123456789";
        let long_key = [0xA5u8; 100]; // longer than the 64-byte block
        for key in [&short_key[..], &long_key[..], &[][..]] {
            let expected = hmac_sha256::HMAC::mac(b"mid/enroll/otp/v1\nenr_abc\n042917", key);
            assert_eq!(hash_code(key, "enr_abc", "042917"), expected);
        }
    }

    #[test]
    fn hash_is_keyed_and_bound_to_enrollment() {
        let a = hash_code(b"key-one", "enr_1", "123456");
        assert_ne!(a, hash_code(b"key-two", "enr_1", "123456"));
        assert_ne!(a, hash_code(b"key-one", "enr_2", "123456"));
        assert_ne!(a, hash_code(b"key-one", "enr_1", "123457"));
        assert_eq!(a, hash_code(b"key-one", "enr_1", "123456"));
    }

    #[test]
    fn codes_match_checks_format_and_value() {
        let key = b"k";
        let stored = hash_code(key, "enr_1", "123456");
        assert!(codes_match(&stored, key, "enr_1", "123456"));
        assert!(!codes_match(&stored, key, "enr_1", "123457"));
        assert!(!codes_match(&stored, b"other", "enr_1", "123456"));
        assert!(!codes_match(&stored, key, "enr_1", "١٢٣٤٥٦"));
        // A malformed candidate never matches even if its hash were stored.
        let stored_bad = hash_code(key, "enr_1", "12345");
        assert!(!codes_match(&stored_bad, key, "enr_1", "12345"));
    }
}
