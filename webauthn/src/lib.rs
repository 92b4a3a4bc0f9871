//! WebAuthn Level 3 relying-party verification: registration (§7.1), authentication (§7.2)
//! and attestation statement formats (§8).
//!
//! Pure and deterministic: time, challenges, origins, RP ID and policy come in as
//! parameters. Parsers (CBOR, COSE, authenticator data, DER/X.509, TPM) are strict,
//! bounded and never panic.
//!
//! Signatures are not verified here: every verification that depends on one
//! returns an [`Unverified`] value whose checks a [`SignatureVerifier`]
//! answers — [`RustCrypto`] natively (feature `rust-crypto`), the runtime's
//! Web Crypto through [`WebCrypto`] in the worker.
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
mod obligations;
pub mod pki;
mod registration;
#[cfg(feature = "rust-crypto")]
mod rust_crypto;
mod time;
mod wire;
mod x509;

#[cfg(test)]
mod tests;

pub use attestation::{AttestationPolicy, AttestationType};
pub use authentication::{
    check_sign_count, verify_authentication, AuthenticationExpectations, CounterCheck,
    StoredCredential, VerifiedAuthentication,
};
pub use cose::{cose_algorithm, signature_check};
pub use error::WebauthnError;
pub use keys::{Check, PublicKey, ALG_EDDSA, ALG_ES256, ALG_RS256};
pub use obligations::{
    SignatureVerifier, SubtleCrypto, Trust, Unverified, WebCrypto, WebCryptoAlgorithm, WebCryptoKey,
};
pub use registration::{
    verify_registration, RegistrationExpectations, VerifiedRegistration, MAX_CREDENTIAL_ID_LEN,
};
#[cfg(feature = "rust-crypto")]
pub use rust_crypto::RustCrypto;
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
