//! The checks made before any arithmetic, so every verifier (RustCrypto,
//! WebCrypto) refuses the same keys and signatures: the Ed25519 small-order
//! blocklist against curve25519-dalek's torsion points, strict DER for ECDSA,
//! RSA sizes; and the obligation bookkeeping of [`Unverified`].

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;

use super::super::keys::{ecdsa_der_to_raw, ed25519_small_order};
use super::super::*;
use super::support::keys::ed25519;

#[test]
fn every_small_order_point_is_blocked_and_a_real_key_is_not() {
    // The eight torsion points, canonically encoded, with either sign bit.
    for point in EIGHT_TORSION {
        let mut enc = point.compress().to_bytes();
        assert!(ed25519_small_order(&enc), "{enc:02x?}");
        enc[31] ^= 0x80;
        assert!(ed25519_small_order(&enc), "{enc:02x?}");
    }
    // Every blocked encoding that decodes at all decodes to a small-order point
    // (the non-canonical y = p, p + 1 and p - 1 ones included).
    let mut decoded = 0;
    for y in [0u8, 1, 0xec, 0xed, 0xee] {
        for sign in [0u8, 0x80] {
            let mut enc = [0xffu8; 32];
            enc[0] = y;
            enc[31] = 0x7f | sign;
            if y < 2 {
                enc = [0; 32];
                enc[0] = y;
                enc[31] = sign;
            }
            assert!(ed25519_small_order(&enc), "{enc:02x?}");
            if let Some(p) = CompressedEdwardsY(enc).decompress() {
                assert!(p.is_small_order(), "{enc:02x?}");
                decoded += 1;
            }
        }
    }
    assert!(decoded >= 6);
    // A real key is not blocked.
    let key = ed25519(2);
    let TestKeyBytes(bytes) = TestKeyBytes::of(&key);
    assert!(!ed25519_small_order(&bytes));
    assert!(PublicKey::ed25519_from_bytes(&bytes).is_ok());
    assert_eq!(
        PublicKey::ed25519_from_bytes(&EIGHT_TORSION[3].compress().to_bytes()),
        Err(WebauthnError::InvalidPublicKey)
    );
}

struct TestKeyBytes([u8; 32]);

impl TestKeyBytes {
    fn of(key: &super::support::keys::TestKey) -> Self {
        let cose = key.cose();
        // The x (label -2) of an OKP key is its last 32 bytes.
        Self(cose[cose.len() - 32..].try_into().unwrap())
    }
}

#[test]
fn ecdsa_signatures_must_be_strict_der() {
    let raw = |der: &[u8]| ecdsa_der_to_raw(der, 32);
    // SEQUENCE { INTEGER 1, INTEGER 0x80 (with its sign byte) }.
    let ok = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
    let mut want = vec![0u8; 64];
    want[31] = 1;
    want[63] = 0x80;
    assert_eq!(raw(&ok), Some(want));
    // Negative, non-minimal, long-form length, trailing bytes, too long: refused.
    assert_eq!(raw(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]), None);
    assert_eq!(
        raw(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]),
        None
    );
    assert_eq!(
        raw(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
        None
    );
    assert_eq!(
        raw(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]),
        None
    );
    let mut long = vec![0x30, 0x26, 0x02, 0x21, 0x01];
    long.extend([0x11; 32]);
    long.extend([0x02, 0x01, 0x01]);
    assert_eq!(raw(&long), None);
}

#[test]
fn rsa_keys_are_sized_by_hand() {
    let n = |bits: usize| {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80;
        n
    };
    assert!(PublicKey::rsa_from_parts(&n(2048), &[1, 0, 1]).is_ok());
    // Leading zeros do not count; the bound is on bits.
    assert!(PublicKey::rsa_from_parts(&[&[0, 0][..], &n(2048)].concat(), &[0, 1, 0, 1]).is_ok());
    assert!(PublicKey::rsa_from_parts(&n(2040), &[1, 0, 1]).is_err());
    assert!(PublicKey::rsa_from_parts(&n(4104), &[1, 0, 1]).is_err());
    // Even modulus, exponent 1 or over 2^33 - 1.
    let mut even = n(2048);
    *even.last_mut().unwrap() = 0xfe;
    assert!(PublicKey::rsa_from_parts(&even, &[1, 0, 1]).is_err());
    assert!(PublicKey::rsa_from_parts(&n(2048), &[1]).is_err());
    assert!(PublicKey::rsa_from_parts(&n(2048), &[2, 0, 0, 0, 1]).is_err());
    assert!(PublicKey::rsa_from_parts(&n(2048), &[1, 0, 0, 0, 1]).is_ok());
}

#[test]
fn unverified_values_need_every_check() {
    let key = es256(1);
    let cose = key.cose();
    let good = key.sign(b"message");
    let check = |sig: &[u8]| signature_check(&cose, b"message", sig).unwrap();
    let bad = {
        let mut s = good.clone();
        let i = s.len() - 2;
        s[i] ^= 1;
        s
    };
    // All hold: the value; one fails: its error, whatever the order.
    let both = Unverified::new(7)
        .require(check(&good), "first")
        .require(check(&good), "second");
    assert_eq!(both.verify_now(), Ok(7));
    let second = Unverified::new(7)
        .require(check(&good), "first")
        .require(check(&bad), "second");
    assert_eq!(second.verify_now(), Err("second"));
    // A trust holds through any one alternative; none at all never holds.
    let any = Unverified::new(())
        .require_trust(Trust(vec![vec![check(&bad)], vec![check(&good)]]), "trust");
    assert_eq!(any.verify_now(), Ok(()));
    let never = Unverified::new(()).require_trust(Trust::never(), "never");
    assert_eq!(never.verify_now(), Err("never"));
    // Joined values keep both sides' checks, mapped ones keep theirs.
    let joined = Unverified::new(1)
        .require(check(&good), "a")
        .join(Unverified::new(2).require(check(&bad), "b"))
        .map(|(a, b)| a + b);
    assert_eq!(joined.verify_now(), Err("b"));
}

use super::support::keys::es256;
