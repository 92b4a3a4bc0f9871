//! Test harness shared by the integration tests: see `harness.rs`.
