//! Test vector builders: a tiny CBOR encoder, DER values (RustCrypto `der`), X.509
//! certificates (`rcgen`), seeded keys and ceremony builders that produce valid responses
//! which tests then break one step at a time.

pub mod asn1;
pub mod cbor;
pub mod ceremony;
pub mod certs;
pub mod keys;
