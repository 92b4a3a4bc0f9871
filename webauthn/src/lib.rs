//! WebAuthn Level 3 relying-party verification: registration (§7.1), authentication (§7.2)
//! and attestation statement formats (§8).
//!
//! Pure and deterministic: time, challenges, origins, RP ID and policy come in as
//! parameters. Parsers (CBOR, COSE, authenticator data, DER/X.509, TPM) are strict,
//! bounded and never panic.
//!
//! Step numbers in doc comments follow the WebAuthn Level 3 numbering of §7.1 and §7.2.

#![warn(missing_docs)]
// Integer conversions are checked (`From`/`try_from`), never a silent `as`.
#![deny(clippy::as_conversions)]

mod attestation;
mod attestation_object;
mod authentication;
mod authenticator_data;
mod base64url;
mod cbor;
mod checks;
mod client_data;
mod cose;
mod der;
mod error;
mod keys;
pub mod pki;
mod registration;
mod time;
mod wire;
mod x509;

#[cfg(test)]
mod tests;

pub use attestation::{AttestationPolicy, AttestationType};
pub use authentication::{
    verify_authentication, AuthenticationExpectations, CounterCheck, StoredCredential,
    VerifiedAuthentication,
};
pub use cose::{cose_algorithm, verify_signature};
pub use error::WebauthnError;
pub use keys::{ALG_EDDSA, ALG_ES256, ALG_RS256};
pub use registration::{
    verify_registration, RegistrationExpectations, VerifiedRegistration, MAX_CREDENTIAL_ID_LEN,
};
pub use wire::{
    AuthenticationResponseJSON, AuthenticatorAssertionResponseJSON,
    AuthenticatorAttestationResponseJSON, AuthenticatorSelectionCriteria,
    PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialDescriptorJSON,
    PublicKeyCredentialParameters, PublicKeyCredentialRequestOptionsJSON,
    PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntityJSON, RegistrationResponseJSON,
};

/// Encodes bytes as unpadded base64url (the encoding of every binary JSON field).
pub fn base64url_encode(bytes: &[u8]) -> String {
    base64url::encode(bytes)
}

/// Decodes base64url (padding optional).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    base64url::decode(text)
}
