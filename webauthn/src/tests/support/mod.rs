//! Test vector builders: a tiny CBOR encoder, a DER/X.509 writer, seeded keys and
//! ceremony builders that produce valid responses which tests then break one step at a time.

pub mod cbor;
pub mod ceremony;
pub mod certs;
pub mod der;
pub mod keys;
