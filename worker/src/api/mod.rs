//! One handler module per API resource; each handler is thin:
//! parse -> domain -> store -> respond.

pub mod billing;
pub mod clients;
pub mod consents;
pub mod demo;
pub mod devices;
pub mod enrollments;
pub mod fido;
pub mod health;
pub mod pages;
pub mod sandbox;
pub mod users;
pub mod webhooks;
