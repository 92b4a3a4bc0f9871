//! §8.7 none, plus cross-format checks. Vectors from `support::ceremony::Reg`.

use super::super::*;
use super::support::cbor::{i, t, C};
use super::support::ceremony::*;
use super::support::keys::es256;
use super::verify_registration;

#[test]
fn none_requires_empty_statement() {
    let reg = Reg::new(es256(1));
    let resp = reg.with("none", C::M(vec![(t("alg"), i(-7))]), &reg.auth_data());
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::InvalidAttestation
    );
}

#[test]
fn attestation_statement_must_be_a_map() {
    let reg = Reg::new(es256(1));
    let resp = reg.with("none", C::A(vec![]), &reg.auth_data());
    assert_eq!(
        verify_registration(&resp, &reg_expect()).unwrap_err(),
        WebauthnError::MalformedResponse
    );
}

#[test]
fn required_trust_rejects_none() {
    let reg = Reg::new(es256(1));
    let mut exp = reg_expect();
    exp.attestation.require_trusted_attestation = true;
    assert_eq!(
        verify_registration(&reg.none(), &exp).unwrap_err(),
        WebauthnError::UntrustedAttestation
    );
    assert_eq!(
        WebauthnError::UntrustedAttestation.code(),
        "invalid_attestation"
    );
}
