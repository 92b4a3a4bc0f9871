//! Deterministic test keys: P-256 and Ed25519 from fixed seeds, RSA-2048 generated once from
//! a seeded ChaCha20 RNG. ECDSA signing is RFC 6979 deterministic, so every vector repeats.

use std::sync::OnceLock;

use p256::ecdsa::signature::Signer as _;
use rand_chacha::rand_core::SeedableRng as _;
use rsa::traits::PublicKeyParts as _;

use super::cbor::{b, i, C};

#[derive(Clone)]
pub enum TestKey {
    Es256(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
    Rs(rsa::RsaPrivateKey),
}

pub fn es256(seed: u8) -> TestKey {
    TestKey::Es256(p256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap())
}

pub fn ed25519(seed: u8) -> TestKey {
    TestKey::Ed(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
}

/// RSA-2048 keys from fixed seeds (generated once per test binary: it takes a moment).
pub fn rsa(which: usize) -> TestKey {
    static KEYS: OnceLock<Vec<rsa::RsaPrivateKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        (0..2u64)
            .map(|seed| {
                let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0x5eed + seed);
                rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap()
            })
            .collect()
    });
    TestKey::Rs(keys[which].clone())
}

impl TestKey {
    pub fn alg(&self) -> i64 {
        match self {
            TestKey::Es256(_) => -7,
            TestKey::Ed(_) => -8,
            TestKey::Rs(_) => -257,
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            TestKey::Es256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            TestKey::Ed(k) => {
                use ed25519_dalek::Signer as _;
                k.sign(msg).to_bytes().to_vec()
            }
            TestKey::Rs(k) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone())
                    .sign(msg)
                    .to_vec()
            }
        }
    }

    /// Uncompressed P-256 point.
    pub fn p256_point(&self) -> Vec<u8> {
        match self {
            TestKey::Es256(k) => k
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            _ => panic!("not a P-256 key"),
        }
    }

    pub fn rsa_n_e(&self) -> (Vec<u8>, Vec<u8>) {
        match self {
            TestKey::Rs(k) => (k.n().to_bytes_be(), k.e().to_bytes_be()),
            _ => panic!("not an RSA key"),
        }
    }

    /// COSE_Key map for the public key.
    pub fn cose_map(&self) -> C {
        match self {
            TestKey::Es256(_) => {
                let p = self.p256_point();
                C::M(vec![
                    (i(1), i(2)),
                    (i(3), i(-7)),
                    (i(-1), i(1)),
                    (i(-2), b(&p[1..33])),
                    (i(-3), b(&p[33..65])),
                ])
            }
            TestKey::Ed(k) => C::M(vec![
                (i(1), i(1)),
                (i(3), i(-8)),
                (i(-1), i(6)),
                (i(-2), b(k.verifying_key().as_bytes())),
            ]),
            TestKey::Rs(_) => {
                let (n, e) = self.rsa_n_e();
                C::M(vec![
                    (i(1), i(3)),
                    (i(3), i(-257)),
                    (i(-1), b(&n)),
                    (i(-2), b(&e)),
                ])
            }
        }
    }

    pub fn cose(&self) -> Vec<u8> {
        self.cose_map().encode()
    }
}
