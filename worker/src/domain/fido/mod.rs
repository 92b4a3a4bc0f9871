//! The relying-party rules around the WebAuthn verifier: which RP a ceremony
//! uses ([`rp`]), the single-use ceremony record and its id ([`ceremony`]),
//! the options sent to the browser ([`options`]), the stored credential
//! ("device") and its API view ([`credential`]), authenticator models by
//! AAGUID ([`models`]), verification against a ceremony ([`verify`]) and the
//! device webhook data ([`events`]).
//!
//! Pure: time and randomness come in as parameters.

pub mod ceremony;
pub mod credential;
pub mod events;
pub mod models;
pub mod options;
pub mod rp;
pub mod verify;

#[cfg(test)]
mod test_support;

pub use ceremony::{
    ceremony_home, ceremony_id, consent_ceremony_id, Ceremony, CeremonyHome, CeremonyKind,
    ConsentLink, CEREMONY_TTL_MS,
};
pub use credential::{device_name, Credential, NewDevice, DEVICE_NAME_MAX};
pub use events::device_event_data;
pub use models::{aaguid_model, device_model};
pub use options::{
    authentication_options, registration_options, user_handle, ALGORITHMS, TIMEOUT_MS,
};
pub use rp::Rp;
pub use verify::{verify_authentication_for, verify_registration_for};
