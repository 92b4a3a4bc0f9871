//! Tests for the verification core. All vectors are generated in code from fixed seeds (see
//! `support`), except the passkey-driven ones, whose keys the software authenticator draws.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod android_key;
mod apple;
mod authentication;
mod fido_u2f;
mod fuzz;
mod none_and_formats;
mod packed;
mod parsers;
mod passkey;
mod registration;
mod tpm;
