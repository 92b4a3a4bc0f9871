//! Signatures through the runtime: in the worker, workerd's WebCrypto
//! (`crypto.subtle`, BoringSSL) answers the domain's signature checks and
//! signs the Google Play assertion, so no curve or RSA code is compiled into
//! the wasm. Natively (tests, `cargo run` of tools) the pure-Rust verifier
//! stands in. This file only forwards: which key format, algorithm, hash and
//! signature encoding each check uses is decided in `mid-webauthn`.

use crate::domain::billing::jwt::KeyError;
use crate::domain::webauthn::SignatureVerifier;

/// The verifier every signature check of the worker goes through.
#[cfg(target_arch = "wasm32")]
pub fn verifier() -> impl SignatureVerifier {
    crate::domain::webauthn::WebCrypto(web::Subtle)
}

/// The verifier every signature check of the worker goes through.
#[cfg(not(target_arch = "wasm32"))]
pub fn verifier() -> impl SignatureVerifier {
    crate::domain::webauthn::RustCrypto
}

/// RS256 (RSASSA-PKCS1-v1_5, SHA-256) of `message` with a PKCS#8 RSA key.
pub async fn sign_rs256(pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
    #[cfg(target_arch = "wasm32")]
    {
        web::sign_rs256(pkcs8, message).await
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::domain::billing::jwt::sign_rs256_pkcs8(pkcs8, message)
    }
}

#[cfg(target_arch = "wasm32")]
mod web {
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast as _, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{CryptoKey, SubtleCrypto as JsSubtle};

    use crate::domain::billing::jwt::KeyError;
    use crate::domain::webauthn::{SubtleCrypto, WebCryptoAlgorithm, WebCryptoKey};

    /// `crypto.subtle` of the global scope.
    #[derive(Debug, Clone, Copy)]
    pub struct Subtle;

    fn subtle() -> Option<JsSubtle> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
        (!subtle.is_undefined()).then(|| subtle.unchecked_into())
    }

    fn algorithm(a: &WebCryptoAlgorithm) -> Option<Object> {
        let o = Object::new();
        Reflect::set(&o, &"name".into(), &a.name.into()).ok()?;
        if let Some(curve) = a.named_curve {
            Reflect::set(&o, &"namedCurve".into(), &curve.into()).ok()?;
        }
        if let Some(hash) = a.hash {
            Reflect::set(&o, &"hash".into(), &hash.into()).ok()?;
        }
        Some(o)
    }

    async fn import(
        subtle: &JsSubtle,
        key: &WebCryptoKey,
        algorithm: &Object,
        usage: &str,
    ) -> Option<CryptoKey> {
        let data: Object = if key.format == "jwk" {
            let text = std::str::from_utf8(&key.data).ok()?;
            js_sys::JSON::parse(text).ok()?.dyn_into().ok()?
        } else {
            Uint8Array::from(key.data.as_slice()).into()
        };
        let usages = Array::of1(&usage.into());
        let promise = subtle
            .import_key_with_object(key.format, &data, algorithm, false, &usages)
            .ok()?;
        JsFuture::from(promise).await.ok()?.dyn_into().ok()
    }

    impl SubtleCrypto for Subtle {
        async fn import_key(&self, key: &WebCryptoKey) -> bool {
            let (Some(subtle), Some(alg)) = (subtle(), algorithm(&key.algorithm)) else {
                return false;
            };
            import(&subtle, key, &alg, "verify").await.is_some()
        }

        async fn verify(&self, key: &WebCryptoKey, signature: &[u8], data: &[u8]) -> bool {
            let (Some(subtle), Some(alg)) = (subtle(), algorithm(&key.algorithm)) else {
                return false;
            };
            let Some(crypto_key) = import(&subtle, key, &alg, "verify").await else {
                return false;
            };
            // Copies: the runtime must not see wasm memory that may move.
            let (sig, data) = (Uint8Array::from(signature), Uint8Array::from(data));
            let Ok(promise) = subtle.verify_with_object_and_buffer_source_and_buffer_source(
                &alg,
                &crypto_key,
                &sig,
                &data,
            ) else {
                return false;
            };
            JsFuture::from(promise)
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        }
    }

    /// `importKey("pkcs8", ..., RSASSA-PKCS1-v1_5/SHA-256)` then `sign`.
    pub async fn sign_rs256(pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let subtle = subtle().ok_or(KeyError::Sign)?;
        let rs256 = WebCryptoAlgorithm {
            name: "RSASSA-PKCS1-v1_5",
            named_curve: None,
            hash: Some("SHA-256"),
        };
        let alg = algorithm(&rs256).ok_or(KeyError::Sign)?;
        let key = WebCryptoKey {
            format: "pkcs8",
            data: pkcs8.to_vec(),
            algorithm: rs256,
        };
        let crypto_key = import(&subtle, &key, &alg, "sign")
            .await
            .ok_or(KeyError::BadKey)?;
        let promise = subtle
            .sign_with_object_and_buffer_source(&alg, &crypto_key, &Uint8Array::from(message))
            .map_err(|_| KeyError::Sign)?;
        let signature = JsFuture::from(promise).await.map_err(|_| KeyError::Sign)?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}
