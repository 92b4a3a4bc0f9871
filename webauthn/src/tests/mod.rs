//! Tests for the verification core. All vectors are generated in code from fixed seeds (see
//! `support`), except the passkey-driven ones, whose keys the software authenticator draws.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod android_key;
mod apple;
mod authentication;
mod fido_u2f;
mod fuzz;
mod key_shapes;
mod none_and_formats;
mod packed;
mod parsers;
mod passkey;
mod registration;
mod tpm;

use super::{
    AuthenticationExpectations, AuthenticationResponseJSON, RegistrationExpectations,
    RegistrationResponseJSON, StoredCredential, Unverified, VerifiedAuthentication,
    VerifiedRegistration, WebauthnError,
};

/// §7.1 with its signatures discharged by the pure-Rust verifier.
fn verify_registration(
    response: &RegistrationResponseJSON,
    expected: &RegistrationExpectations<'_>,
) -> Result<VerifiedRegistration, WebauthnError> {
    super::verify_registration(response, expected)?.verify_now()
}

/// §7.2 with its signature discharged by the pure-Rust verifier.
fn verify_authentication(
    response: &AuthenticationResponseJSON,
    expected: &AuthenticationExpectations<'_>,
    stored: &StoredCredential<'_>,
) -> Result<VerifiedAuthentication, WebauthnError> {
    super::verify_authentication(response, expected, stored)?.verify_now()
}

/// A raw signature by a stored COSE key, discharged by the pure-Rust verifier.
fn verify_signature(cose_key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
    let check = super::signature_check(cose_key, msg, sig)?;
    Unverified::new(())
        .require(check, WebauthnError::BadSignature)
        .verify_now()
}
