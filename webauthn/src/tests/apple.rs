//! §8.8 Apple anonymous attestation. Vectors: credential P-256 seed 1 placed in an
//! rcgen leaf with the nonce extension, issued by the test root.

use super::super::*;
use super::support::asn1;
use super::support::cbor::{b, t, C};
use super::support::ceremony::*;
use super::support::certs::*;
use super::support::keys::{es256, TestKey};
use super::verify_registration;

fn nonce_extension(nonce: &[u8]) -> Ext {
    extension(
        "1.2.840.113635.100.8.2",
        false,
        asn1::to_der(&asn1::seq(vec![asn1::explicit(1, asn1::octets(nonce))])),
    )
}

pub(super) fn response(
    reg: &Reg,
    cert_key: &TestKey,
    nonce: Option<[u8; 32]>,
) -> RegistrationResponseJSON {
    let ad = reg.auth_data();
    let nonce = nonce.unwrap_or_else(|| sha256(&reg.to_be_signed(&ad)));
    let cert = leaf(
        name(&[("2.5.4.3", "credential")]),
        vec![nonce_extension(&nonce)],
        cert_key,
    );
    let stmt = C::M(vec![(t("x5c"), C::A(vec![b(&cert), b(&root_cert())]))]);
    reg.with("apple", stmt, &ad)
}

#[test]
fn accepts_apple() {
    let reg = Reg::new(es256(1));
    let roots = vec![root_cert()];
    let mut exp = reg_expect();
    exp.attestation.trust_roots = &roots;
    let out = verify_registration(&response(&reg, &reg.key, None), &exp).unwrap();
    assert!(matches!(out.attestation_type, AttestationType::AnonCa(ref c) if c.len() == 2));
    assert!(out.attestation_trusted);
}

#[test]
fn rejects_wrong_nonce() {
    let reg = Reg::new(es256(1));
    let resp = response(&reg, &reg.key, Some([0; 32]));
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn rejects_other_client_data() {
    // Nonce computed for other client data: the response is not bound to this ceremony.
    let reg = Reg::new(es256(1));
    let mut resp = response(&reg, &reg.key, None);
    let text = String::from_utf8(resp.response.client_data_json.clone()).unwrap();
    resp.response.client_data_json = text.replace('}', r#","x":0}"#).into_bytes();
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn rejects_certificate_key_other_than_credential_key() {
    let reg = Reg::new(es256(1));
    let resp = response(&reg, &es256(9), None);
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn rejects_missing_extension() {
    let reg = Reg::new(es256(1));
    let cert = leaf(name(&[("2.5.4.3", "credential")]), vec![], &reg.key);
    let stmt = C::M(vec![(t("x5c"), C::A(vec![b(&cert)]))]);
    let resp = reg.with("apple", stmt, &reg.auth_data());
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}
