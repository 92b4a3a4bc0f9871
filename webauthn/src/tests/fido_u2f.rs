//! §8.6 fido-u2f attestation. Vectors: credential P-256 seed 1, attestation key P-256 seed
//! 0x52 in an rcgen certificate; verificationData assembled as the spec describes.

use super::super::*;
use super::support::cbor::{b, t, C};
use super::support::ceremony::*;
use super::support::certs::*;
use super::support::keys::{ed25519, es256, rsa, TestKey};
use super::verify_registration;

pub(super) fn reg() -> Reg {
    let mut reg = Reg::new(es256(1));
    reg.flags = UP | AT; // U2F devices never verify the user.
    reg
}

fn expect() -> RegistrationExpectations<'static> {
    let mut exp = reg_expect();
    exp.require_user_verification = false;
    exp
}

pub(super) fn u2f_cert(key: &TestKey) -> Vec<u8> {
    leaf(name(&[("2.5.4.3", "U2F Test Device")]), vec![], key)
}

pub(super) fn response(reg: &Reg, key: &TestKey, x5c: Vec<Vec<u8>>) -> RegistrationResponseJSON {
    let ad = reg.auth_data();
    let mut data = vec![0x00];
    data.extend(sha256(reg.rp_id.as_bytes()));
    data.extend(reg.client_data_hash());
    data.extend(&reg.cred_id);
    data.extend(reg.key.p256_point());
    let sig = key.sign(&data);
    let stmt = C::M(vec![
        (t("sig"), b(&sig)),
        (t("x5c"), C::A(x5c.iter().map(|c| b(c)).collect())),
    ]);
    reg.with("fido-u2f", stmt, &ad)
}

#[test]
fn accepts_u2f() {
    let key = es256(0x52);
    let cert = u2f_cert(&key);
    let out = verify_registration(&response(&reg(), &key, vec![cert.clone()]), &expect()).unwrap();
    assert_eq!(out.attestation_format, "fido-u2f");
    assert_eq!(out.attestation_type, AttestationType::Basic(vec![cert]));
}

#[test]
fn rejects_bad_signature() {
    let cert = u2f_cert(&es256(0x52));
    let resp = response(&reg(), &es256(0x53), vec![cert]);
    assert_eq!(
        verify_registration(&resp, &expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn requires_exactly_one_p256_certificate() {
    let key = es256(0x52);
    let resp = response(&reg(), &key, vec![u2f_cert(&key), root_cert()]);
    assert_eq!(
        verify_registration(&resp, &expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
    let rsa_key = rsa(1);
    let resp = response(&reg(), &key, vec![u2f_cert(&rsa_key)]);
    assert_eq!(
        verify_registration(&resp, &expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn any_aaguid_is_accepted_as_section_8_6_has_no_aaguid_check() {
    // The spec's own fido-u2f example carries a non-zero AAGUID (spec_vectors.rs).
    let key = es256(0x52);
    let mut reg = reg();
    reg.aaguid = [1; 16];
    let resp = response(&reg, &key, vec![u2f_cert(&key)]);
    assert_eq!(
        verify_registration(&resp, &expect()).unwrap().aaguid,
        [1; 16]
    );
}

#[test]
fn requires_p256_credential() {
    let key = es256(0x52);
    let mut reg = Reg::new(ed25519(2));
    reg.flags = UP | AT;
    let ad = reg.auth_data();
    let stmt = C::M(vec![
        (t("sig"), b(&key.sign(&ad))),
        (t("x5c"), C::A(vec![b(&u2f_cert(&key))])),
    ]);
    let resp = reg.with("fido-u2f", stmt, &ad);
    assert_eq!(
        verify_registration(&resp, &expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}
