//! Property tests: random bytes and random mutations of valid vectors (every attestation
//! format, assertions, COSE keys) must never panic any parser or verifier. Case counts are
//! modest to keep the suite fast on two cores; the seed is fixed and no failure files are written.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::super::*;
use super::super::{attestation_object, authenticator_data, cbor, cose, x509};
use super::support::ceremony::*;
use super::support::certs::root_cert;
use super::support::keys::{ed25519, es256, rsa};
use super::{verify_authentication, verify_registration, verify_signature};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        // Fixed seed: the same cases every run, so CI results are reproducible.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x4d49_4400),
        ..ProptestConfig::default()
    }
}

/// One valid registration per attestation format.
fn registrations() -> &'static Vec<RegistrationResponseJSON> {
    static CORPUS: OnceLock<Vec<RegistrationResponseJSON>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let packed_reg = super::packed::reg();
        let key = super::packed::att_key();
        let leaf = super::packed::good_leaf(&key, &packed_reg.aaguid);
        let u2f_key = es256(0x52);
        let u2f_reg = super::fido_u2f::reg();
        let apple_reg = Reg::new(es256(1));
        let android_reg = Reg::new(es256(1));
        let corpus = vec![
            Reg::new(es256(1)).none(),
            Reg::new(ed25519(2)).packed_self(),
            Reg::new(rsa(0)).packed_self(),
            super::packed::response(&packed_reg, &key, vec![leaf, root_cert()]),
            super::fido_u2f::response(
                &u2f_reg,
                &u2f_key,
                vec![super::fido_u2f::u2f_cert(&u2f_key)],
            ),
            super::apple::response(&apple_reg, &apple_reg.key, None),
            super::android_key::response(
                &android_reg,
                &super::android_key::EMPTY,
                &super::android_key::TEE_GOOD,
            ),
            super::tpm::response(&Reg::new(rsa(0)), super::tpm::opts()),
            super::tpm::response(&Reg::new(es256(1)), super::tpm::opts()),
        ];
        // The corpus must be valid, or mutations would test nothing.
        let mut exp = reg_expect();
        exp.require_user_verification = false;
        for r in &corpus {
            assert!(verify_registration(r, &exp).is_ok());
        }
        corpus
    })
}

/// Up to 8 byte overwrites, then an optional truncation or appended byte.
fn mutation() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>, Option<u8>)> {
    (
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        proptest::option::of(any::<usize>()),
        proptest::option::of(any::<u8>()),
    )
}

fn mutate(bytes: &[u8], m: &(Vec<(usize, u8)>, Option<usize>, Option<u8>)) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    for (pos, byte) in &m.0 {
        let len = out.len();
        out[pos % len] ^= byte;
    }
    if let Some(cut) = m.1 {
        out.truncate(cut % (bytes.len() + 1));
    }
    if let Some(extra) = m.2 {
        out.push(extra);
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsers_survive_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = cbor::decode(&bytes);
        let _ = cbor::decode_prefix(&bytes);
        let _ = cose::parse_cose_key(&bytes);
        let _ = cose_algorithm(&bytes);
        let _ = verify_signature(&bytes, b"msg", &bytes);
        let _ = authenticator_data::parse(&bytes);
        let _ = attestation_object::parse(&bytes);
        if let Ok(cert) = x509::parse(&bytes) {
            let _ = cert.public_key();
            let _ = cert.is_ca();
            let _ = cert.extended_key_usages();
            let _ = cert.san_directory_attributes();
        }
    }

    #[test]
    fn registration_survives_mutations(which in 0usize..9, target in 0u8..3, m in mutation()) {
        let corpus = registrations();
        let mut resp = corpus[which % corpus.len()].clone();
        match target {
            0 => resp.response.attestation_object = mutate(&resp.response.attestation_object, &m),
            1 => resp.response.client_data_json = mutate(&resp.response.client_data_json, &m),
            _ => resp.raw_id = mutate(&resp.raw_id, &m),
        }
        let mut exp = reg_expect();
        exp.require_user_verification = false;
        let roots = vec![root_cert()];
        exp.attestation.trust_roots = &roots;
        let _ = verify_registration(&resp, &exp);
    }

    #[test]
    fn auth_data_inside_attestation_survives_mutations(which in 0usize..9, m in mutation()) {
        // Mutate authData itself (re-wrapped in valid CBOR) to reach deeper parsers.
        let corpus = registrations();
        let resp = &corpus[which % corpus.len()];
        let object = attestation_object::parse(&resp.response.attestation_object).unwrap();
        let ad = mutate(&object.auth_data, &m);
        let _ = authenticator_data::parse(&ad);
        let stmt = super::support::cbor::C::M(vec![]);
        let mut r = resp.clone();
        r.response.attestation_object = attestation_object(&object.fmt, stmt, &ad);
        let _ = verify_registration(&r, &reg_expect());
    }

    #[test]
    fn authentication_survives_mutations(alg in 0u8..3, target in 0u8..4, m in mutation()) {
        let key = match alg { 0 => es256(1), 1 => ed25519(2), _ => rsa(0) };
        let auth = Auth::new(key);
        let mut resp = auth.response();
        let mut cose_key = auth.key.cose();
        match target {
            0 => resp.response.authenticator_data = mutate(&resp.response.authenticator_data, &m),
            1 => resp.response.signature = mutate(&resp.response.signature, &m),
            2 => resp.response.client_data_json = mutate(&resp.response.client_data_json, &m),
            _ => cose_key = mutate(&cose_key, &m),
        }
        let _ = cose::parse_cose_key(&cose_key);
        let res = verify_authentication(&resp, &auth_expect(), &stored(&auth.cred_id, &cose_key, 0));
        // Any real change must be caught (bytes XORed with 0 leave the input unchanged).
        if res.is_ok() {
            prop_assert_eq!(&resp, &auth.response());
            prop_assert_eq!(&cose_key, &auth.key.cose());
        }
    }
}
