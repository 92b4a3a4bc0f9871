//! MID browser SDK (npm package `mid-sdk`): passkey ceremonies in WebAuthn
//! L3 JSON, QR codes as inline SVG, and the decisions behind `watchConsent`.
//!
//! Every `#[wasm_bindgen]` export lives in `exports.rs`; the modules below are
//! plain Rust, tested natively (`cargo test -p mid-sdk`). JavaScript owns
//! JSON and the event loop (`sdk-wasm/js/index.js`): the wasm carries no
//! serde and no `core::fmt`, which would dominate its size (docs/sdk.md).

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

pub mod base64url;
pub mod errors;
mod exports;
pub mod qr;
pub mod watch;
pub mod webauthn;

/// The SDK's version, so a partner page can log what it runs.
pub fn sdk_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_the_package() {
        assert_eq!(super::sdk_version(), "0.1.0");
    }
}
