//! §8.2 packed attestation with x5c. Vectors: attestation key P-256 seed 0x50 (or RSA seed
//! 0x5eed+1), leaf certificate written by rcgen (`support::certs`) and signed by the test root.

use super::super::*;
use super::support::asn1;
use super::support::cbor::{b, i, t, C};
use super::support::ceremony::*;
use super::support::certs::*;
use super::support::keys::{es256, rsa, TestKey};
use super::verify_registration;

pub(super) fn att_key() -> TestKey {
    es256(0x50)
}

pub(super) fn good_leaf(key: &TestKey, aaguid: &[u8; 16]) -> Vec<u8> {
    leaf(
        packed_subject(),
        vec![basic_constraints(false), aaguid_extension(aaguid)],
        key,
    )
}

pub(super) fn response(reg: &Reg, key: &TestKey, x5c: Vec<Vec<u8>>) -> RegistrationResponseJSON {
    let ad = reg.auth_data();
    let sig = key.sign(&reg.to_be_signed(&ad));
    let stmt = C::M(vec![
        (t("alg"), i(key.alg())),
        (t("sig"), b(&sig)),
        (t("x5c"), C::A(x5c.iter().map(|c| b(c)).collect())),
    ]);
    reg.with("packed", stmt, &ad)
}

pub(super) fn reg() -> Reg {
    let mut reg = Reg::new(es256(1));
    reg.aaguid = [0xaa; 16];
    reg
}

#[test]
fn accepts_x5c_and_reports_chain() {
    let reg = reg();
    let leaf = good_leaf(&att_key(), &reg.aaguid);
    let out = verify_registration(
        &response(&reg, &att_key(), vec![leaf.clone()]),
        &reg_expect(),
    )
    .unwrap();
    assert_eq!(out.attestation_format, "packed");
    assert_eq!(out.attestation_type, AttestationType::Basic(vec![leaf]));
    assert!(!out.attestation_trusted);
}

#[test]
fn rejects_an_x5c_longer_than_the_limit() {
    let reg = reg();
    let leaf = good_leaf(&att_key(), &reg.aaguid);
    let padded = vec![leaf; crate::attestation::MAX_X5C + 1];
    assert_eq!(
        verify_registration(&response(&reg, &att_key(), padded), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn accepts_rsa_attestation_key() {
    let reg = reg();
    let key = rsa(1);
    let leaf = good_leaf(&key, &reg.aaguid);
    assert!(verify_registration(&response(&reg, &key, vec![leaf]), &reg_expect()).is_ok());
}

#[test]
fn trust_policy() {
    let reg = reg();
    let leaf = good_leaf(&att_key(), &reg.aaguid);
    let resp = response(&reg, &att_key(), vec![leaf]);
    let roots = vec![root_cert()];
    let mut exp = reg_expect();
    exp.attestation.trust_roots = &roots;
    assert!(
        verify_registration(&resp, &exp)
            .unwrap()
            .attestation_trusted
    );
    exp.attestation.require_trusted_attestation = true;
    assert!(verify_registration(&resp, &exp).is_ok());
    // Within the certificates' validity (2025-01-01 .. 2045-01-01) at 2026-11-28.
    exp.attestation.now_unix = Some(1_796_000_000);
    assert!(
        verify_registration(&resp, &exp)
            .unwrap()
            .attestation_trusted
    );
    // After expiry (2046) or before issue (2024) the chain is not trusted.
    exp.attestation.now_unix = Some(2_400_000_000);
    assert_eq!(
        verify_registration(&resp, &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
    exp.attestation.now_unix = Some(1_710_000_000);
    assert_eq!(
        verify_registration(&resp, &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
    exp.attestation.now_unix = None;
    // Another root does not vouch for it.
    let other_root_key = es256(0x71);
    let other_root = root_cert_with(&other_root_key);
    let other = vec![other_root];
    exp.attestation.trust_roots = &other;
    assert_eq!(
        verify_registration(&resp, &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
    // Required but no roots configured.
    exp.attestation.trust_roots = &[];
    assert_eq!(
        verify_registration(&resp, &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
    // Self attestation can never be trusted.
    exp.attestation.trust_roots = &roots;
    assert_eq!(
        verify_registration(&reg.packed_self(), &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
}

#[test]
fn rejects_wrong_signature() {
    let reg = reg();
    // Signed by a key other than the certificate's.
    let leaf = good_leaf(&att_key(), &reg.aaguid);
    let resp = response(&reg, &es256(0x51), vec![leaf]);
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn rejects_alg_that_does_not_fit_certificate_key() {
    let reg = reg();
    let leaf = good_leaf(&att_key(), &reg.aaguid);
    let ad = reg.auth_data();
    let sig = att_key().sign(&reg.to_be_signed(&ad));
    let stmt = C::M(vec![
        (t("alg"), i(-257)),
        (t("sig"), b(&sig)),
        (t("x5c"), C::A(vec![b(&leaf)])),
    ]);
    assert_eq!(
        verify_registration(&reg.with("packed", stmt, &ad), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn certificate_requirements() {
    let reg = reg();
    let key = att_key();
    let ok_ext = || vec![basic_constraints(false), aaguid_extension(&reg.aaguid)];
    let bad_subjects = [
        // OU is not "Authenticator Attestation".
        name(&[
            ("2.5.4.6", "ZZ"),
            ("2.5.4.10", "V"),
            ("2.5.4.11", "Something Else"),
            ("2.5.4.3", "A"),
        ]),
        // No country.
        name(&[
            ("2.5.4.10", "V"),
            ("2.5.4.11", "Authenticator Attestation"),
            ("2.5.4.3", "A"),
        ]),
        // Country not a two-letter code.
        name(&[
            ("2.5.4.6", "ZZZ"),
            ("2.5.4.10", "V"),
            ("2.5.4.11", "Authenticator Attestation"),
            ("2.5.4.3", "A"),
        ]),
        // No CN.
        name(&[
            ("2.5.4.6", "ZZ"),
            ("2.5.4.10", "V"),
            ("2.5.4.11", "Authenticator Attestation"),
        ]),
        // No O.
        name(&[
            ("2.5.4.6", "ZZ"),
            ("2.5.4.11", "Authenticator Attestation"),
            ("2.5.4.3", "A"),
        ]),
    ];
    for subject in bad_subjects {
        let cert = leaf(subject, ok_ext(), &key);
        assert_eq!(
            verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).unwrap_err(),
            WebauthnError::InvalidAttestation
        );
    }
    // CA certificate.
    let cert = leaf(packed_subject(), vec![basic_constraints(true)], &key);
    assert_eq!(
        verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
    // Version 1 certificate.
    let cert = leaf_v1(3, packed_subject(), &key);
    assert_eq!(
        verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn aaguid_extension_must_match() {
    let reg = reg();
    let key = att_key();
    let cert = good_leaf(&key, &[0xbb; 16]);
    assert_eq!(
        verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
    // Critical aaguid extension is not allowed.
    let critical = extension(
        "1.3.6.1.4.1.45724.1.1.4",
        true,
        asn1::to_der(&asn1::octets(&reg.aaguid)),
    );
    let cert = leaf(
        packed_subject(),
        vec![basic_constraints(false), critical],
        &key,
    );
    assert_eq!(
        verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
    // Absent extension is allowed.
    let cert = leaf(packed_subject(), vec![basic_constraints(false)], &key);
    assert!(verify_registration(&response(&reg, &key, vec![cert]), &reg_expect()).is_ok());
}

#[test]
fn rejects_malformed_statements() {
    let reg = reg();
    let ad = reg.auth_data();
    let sig = reg.key.sign(&reg.to_be_signed(&ad));
    let stmts = [
        C::M(vec![(t("sig"), b(&sig))]),
        C::M(vec![(t("alg"), i(-7))]),
        C::M(vec![(t("alg"), t("ES256")), (t("sig"), b(&sig))]),
        C::M(vec![
            (t("alg"), i(-7)),
            (t("sig"), b(&sig)),
            (t("x5c"), C::A(vec![])),
        ]),
        C::M(vec![
            (t("alg"), i(-7)),
            (t("sig"), b(&sig)),
            (t("x5c"), C::A(vec![b(b"not a cert")])),
        ]),
        C::M(vec![
            (t("alg"), i(-7)),
            (t("sig"), b(&sig)),
            (t("x5c"), b(b"not an array")),
        ]),
        // Self attestation with an alg other than the credential's.
        C::M(vec![(t("alg"), i(-8)), (t("sig"), b(&sig))]),
    ];
    for stmt in stmts {
        let resp = reg.with("packed", stmt.clone(), &ad);
        assert_eq!(
            verify_registration(&resp, &reg_expect()).unwrap_err(),
            WebauthnError::InvalidAttestation,
            "{stmt:?}"
        );
    }
}
