//! Typed stores over KV: read-mostly directories only (DESIGN §1).

pub mod clients;
pub mod devices;
