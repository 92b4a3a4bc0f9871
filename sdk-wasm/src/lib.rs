//! MID browser SDK. For now it only reports its version; the WebAuthn
//! ceremonies and QR rendering for partner pages land with their own issue.
//!
//! All `#[wasm_bindgen]` exports live in this one file.

use wasm_bindgen::prelude::*;

/// The SDK's version, so a partner page can log what it runs.
#[wasm_bindgen]
pub fn version() -> String {
    sdk_version().to_string()
}

fn sdk_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_the_package() {
        assert_eq!(super::sdk_version(), "0.1.0");
    }
}
