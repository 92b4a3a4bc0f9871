//! §8.4 android-key attestation. Vectors: credential P-256 seed 1 in an rcgen leaf whose
//! KeyDescription extension (1.3.6.1.4.1.11129.2.1.17) is encoded per the Android schema
//! with the `der` crate.

use super::super::*;
use super::support::asn1::{self, Any};
use super::support::cbor::{b, i, t, C};
use super::support::ceremony::*;
use super::support::certs::*;
use super::support::keys::{es256, TestKey};
use super::verify_registration;

/// AuthorizationList entries: purpose set, origin, allApplications.
pub(super) struct List {
    purpose: Option<u64>,
    origin: Option<u64>,
    all_applications: bool,
}

pub(super) const TEE_GOOD: List = List {
    purpose: Some(2),
    origin: Some(0),
    all_applications: false,
};
pub(super) const EMPTY: List = List {
    purpose: None,
    origin: None,
    all_applications: false,
};

fn list(l: &List) -> Any {
    let mut parts = Vec::new();
    if let Some(p) = l.purpose {
        parts.push(asn1::explicit(1, asn1::set(vec![asn1::int(p)])));
    }
    // Unknown tags (here algorithm [2]) are skipped.
    parts.push(asn1::explicit(2, asn1::int(3)));
    if l.all_applications {
        parts.push(asn1::explicit(600, asn1::null()));
    }
    if let Some(o) = l.origin {
        parts.push(asn1::explicit(702, asn1::int(o)));
    }
    asn1::seq(parts)
}

fn key_description(challenge: &[u8], software: &List, tee: &List) -> Vec<u8> {
    asn1::to_der(&asn1::seq(vec![
        asn1::int(3),
        asn1::enumerated(1),
        asn1::int(4),
        asn1::enumerated(1),
        asn1::octets(challenge),
        asn1::octets(b""),
        list(software),
        list(tee),
    ]))
}

fn response_with(reg: &Reg, cert_key: &TestKey, ext: Vec<u8>) -> RegistrationResponseJSON {
    let ad = reg.auth_data();
    let cert = leaf(
        name(&[("2.5.4.3", "Android Keystore Key")]),
        vec![extension("1.3.6.1.4.1.11129.2.1.17", false, ext)],
        cert_key,
    );
    let sig = cert_key.sign(&reg.to_be_signed(&ad));
    let stmt = C::M(vec![
        (t("alg"), i(cert_key.alg())),
        (t("sig"), b(&sig)),
        (t("x5c"), C::A(vec![b(&cert), b(&root_cert())])),
    ]);
    reg.with("android-key", stmt, &ad)
}

pub(super) fn response(reg: &Reg, software: &List, tee: &List) -> RegistrationResponseJSON {
    response_with(
        reg,
        &reg.key,
        key_description(&reg.client_data_hash(), software, tee),
    )
}

fn rejected(resp: &RegistrationResponseJSON) {
    assert_eq!(
        verify_registration(resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn accepts_tee_key() {
    let reg = Reg::new(es256(1));
    let out = verify_registration(&response(&reg, &EMPTY, &TEE_GOOD), &reg_expect()).unwrap();
    assert_eq!(out.attestation_format, "android-key");
    assert!(matches!(out.attestation_type, AttestationType::Basic(ref c) if c.len() == 2));
}

#[test]
fn rejects_wrong_challenge() {
    let reg = Reg::new(es256(1));
    rejected(&response_with(
        &reg,
        &reg.key,
        key_description(&[0; 32], &EMPTY, &TEE_GOOD),
    ));
}

#[test]
fn rejects_all_applications() {
    let reg = Reg::new(es256(1));
    let all = List {
        purpose: None,
        origin: None,
        all_applications: true,
    };
    rejected(&response(&reg, &all, &TEE_GOOD));
    let tee_all = List {
        purpose: Some(2),
        origin: Some(0),
        all_applications: true,
    };
    rejected(&response(&reg, &EMPTY, &tee_all));
}

#[test]
fn software_enforced_only_when_policy_allows() {
    let reg = Reg::new(es256(1));
    let software = List {
        purpose: Some(2),
        origin: Some(0),
        all_applications: false,
    };
    let resp = response(&reg, &software, &EMPTY);
    rejected(&resp);
    let mut exp = reg_expect();
    exp.attestation.android_key_allow_software = true;
    assert!(verify_registration(&resp, &exp).is_ok());
}

#[test]
fn rejects_wrong_origin_or_purpose() {
    let reg = Reg::new(es256(1));
    // KM_ORIGIN_IMPORTED (2).
    rejected(&response(
        &reg,
        &EMPTY,
        &List {
            purpose: Some(2),
            origin: Some(2),
            all_applications: false,
        },
    ));
    // KM_PURPOSE_ENCRYPT (0) only.
    rejected(&response(
        &reg,
        &EMPTY,
        &List {
            purpose: Some(0),
            origin: Some(0),
            all_applications: false,
        },
    ));
}

#[test]
fn rejects_certificate_key_other_than_credential_key() {
    let reg = Reg::new(es256(1));
    let other = es256(8);
    rejected(&response_with(
        &reg,
        &other,
        key_description(&reg.client_data_hash(), &EMPTY, &TEE_GOOD),
    ));
}

#[test]
fn rejects_bad_signature_and_missing_extension() {
    let reg = Reg::new(es256(1));
    let mut resp = response(&reg, &EMPTY, &TEE_GOOD);
    // Replace the signature with one over other data.
    let ad = reg.auth_data();
    let cert = leaf(name(&[("2.5.4.3", "k")]), vec![], &reg.key);
    let stmt = C::M(vec![
        (t("alg"), i(-7)),
        (t("sig"), b(&reg.key.sign(b"other"))),
        (t("x5c"), C::A(vec![b(&cert)])),
    ]);
    resp.response.attestation_object = attestation_object("android-key", stmt, &ad);
    rejected(&resp);
    let stmt = C::M(vec![
        (t("alg"), i(-7)),
        (t("sig"), b(&reg.key.sign(&reg.to_be_signed(&ad)))),
        (t("x5c"), C::A(vec![b(&cert)])),
    ]);
    resp.response.attestation_object = attestation_object("android-key", stmt, &ad);
    rejected(&resp);
    // Malformed KeyDescription.
    rejected(&response_with(
        &reg,
        &reg.key,
        asn1::to_der(&asn1::seq(vec![asn1::int(3)])),
    ));
}
