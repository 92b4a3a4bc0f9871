//! Test-only helpers shared by unit tests (compiled only under `cfg(test)`,
//! kept out of `domain/` so the pure core holds only production rules).

pub mod sms_server;
