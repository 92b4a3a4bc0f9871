//! The SDK's wasm surface, every `#[wasm_bindgen]` export in one place.
//! These are internal names: `js/index.js` wraps them into the documented
//! API (`createPasskey`, `renderQr`, ...). Nothing here formats text.

use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::errors::{self, Context};
use crate::qr::{self, QrOptions};
use crate::watch::{self, Event, Watch};
use crate::webauthn::{self, ConvertError, Value};

/// A JavaScript value seen through [`Value`].
struct Js(JsValue);

fn present(v: JsValue) -> Option<Js> {
    if v.is_undefined() || v.is_null() {
        None
    } else {
        Some(Js(v))
    }
}

impl Value for Js {
    fn get(&self, key: &str) -> Option<Js> {
        if !self.0.is_object() {
            return None;
        }
        Reflect::get(&self.0, &JsValue::from_str(key))
            .ok()
            .and_then(present)
    }
    fn text(&self) -> Option<String> {
        self.0.as_string()
    }
    fn items(&self) -> Option<Vec<Js>> {
        if !Array::is_array(&self.0) {
            return None;
        }
        Some(self.0.unchecked_ref::<Array>().iter().map(Js).collect())
    }
    fn bytes(&self) -> Option<Vec<u8>> {
        if self.0.is_instance_of::<ArrayBuffer>() || self.0.is_instance_of::<Uint8Array>() {
            Some(Uint8Array::new(&self.0).to_vec())
        } else {
            None
        }
    }
    fn call(&self, name: &str) -> Option<Js> {
        let f = self.get(name)?.0.dyn_into::<Function>().ok()?;
        f.call0(&self.0).ok().and_then(present)
    }
    fn shallow_copy(&self) -> Js {
        if self.0.is_object() {
            Js(Object::assign(&Object::new(), self.0.unchecked_ref()).into())
        } else {
            Js(self.0.clone())
        }
    }
    fn put(&self, key: &str, value: Js) {
        // Only fails on frozen objects, which shallow copies never are.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.0);
    }
    fn new_object() -> Js {
        Js(Object::new().into())
    }
    fn from_text(text: &str) -> Js {
        Js(JsValue::from_str(text))
    }
    fn from_bytes(bytes: &[u8]) -> Js {
        Js(Uint8Array::from(bytes).buffer().into())
    }
    fn from_items(items: Vec<Js>) -> Js {
        Js(items.into_iter().map(|j| j.0).collect::<Array>().into())
    }
}

fn convert_error(e: ConvertError) -> JsValue {
    JsValue::from_str(e.message())
}

#[wasm_bindgen]
pub fn version() -> String {
    crate::sdk_version().into()
}

#[wasm_bindgen]
pub fn b64url_encode(bytes: &[u8]) -> String {
    crate::base64url::encode(bytes)
}

/// `undefined` when the text is not base64url.
#[wasm_bindgen]
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    crate::base64url::decode(text)
}

/// Creation options JSON → the `publicKey` member for `credentials.create`.
#[wasm_bindgen]
pub fn creation_options(json: JsValue) -> Result<JsValue, JsValue> {
    webauthn::creation_options(&Js(json))
        .map(|j| j.0)
        .map_err(convert_error)
}

/// Request options JSON → the `publicKey` member for `credentials.get`.
#[wasm_bindgen]
pub fn request_options(json: JsValue) -> Result<JsValue, JsValue> {
    webauthn::request_options(&Js(json))
        .map(|j| j.0)
        .map_err(convert_error)
}

#[wasm_bindgen]
pub fn registration_json(credential: JsValue) -> Result<JsValue, JsValue> {
    webauthn::registration_json(&Js(credential))
        .map(|j| j.0)
        .map_err(convert_error)
}

#[wasm_bindgen]
pub fn authentication_json(credential: JsValue) -> Result<JsValue, JsValue> {
    webauthn::authentication_json(&Js(credential))
        .map(|j| j.0)
        .map_err(convert_error)
}

fn credentials() -> Result<web_sys::CredentialsContainer, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    Ok(window.navigator().credentials())
}

fn credential_options(public_key: JsValue, signal: JsValue, mediation: Option<String>) -> Object {
    let opts = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&opts, &JsValue::from_str(k), v);
    };
    set("publicKey", &public_key);
    if signal.is_object() {
        set("signal", &signal);
    }
    if let Some(m) = mediation {
        set("mediation", &JsValue::from_str(&m));
    }
    opts
}

/// `navigator.credentials.create({publicKey, signal})`.
#[wasm_bindgen]
pub fn credentials_create(public_key: JsValue, signal: JsValue) -> Result<Promise, JsValue> {
    let opts = credential_options(public_key, signal, None);
    credentials()?.create_with_options(opts.unchecked_ref())
}

/// `navigator.credentials.get({publicKey, mediation?, signal})`.
#[wasm_bindgen]
pub fn credentials_get(
    public_key: JsValue,
    mediation: Option<String>,
    signal: JsValue,
) -> Result<Promise, JsValue> {
    let opts = credential_options(public_key, signal, mediation);
    credentials()?.get_with_options(opts.unchecked_ref())
}

/// The stable code for an error `name` raised `elapsed_ms` after a
/// ceremony with `options` (its JSON) began on a page at `host`.
#[wasm_bindgen]
pub fn error_code(name: &str, elapsed_ms: f64, options: JsValue, host: &str) -> String {
    let json = Js(options);
    let rp_id = webauthn::rp_id(&json);
    let timeout_ms = json
        .get("timeout")
        .and_then(|t| t.0.as_f64())
        .filter(|t| *t > 0.0);
    let ctx = Context {
        elapsed_ms,
        timeout_ms,
        host,
        rp_id: rp_id.as_deref(),
    };
    errors::classify(name, &ctx).as_str().into()
}

/// Replaces the element's content with the QR code of `text` as SVG.
#[wasm_bindgen]
pub fn render_qr(
    element: &web_sys::Element,
    text: &str,
    size: Option<u32>,
    margin: Option<u32>,
    ecc: Option<String>,
    label: Option<String>,
) -> Result<(), JsValue> {
    let opts = QrOptions {
        size: size.unwrap_or(qr::DEFAULT_SIZE),
        margin: margin.unwrap_or(qr::DEFAULT_MARGIN),
        ecc: qr::ecc_level(ecc.as_deref().unwrap_or("")),
        label: label.as_deref().unwrap_or(qr::DEFAULT_LABEL),
    };
    let svg = qr::svg(text.as_bytes(), &opts).map_err(|e| JsValue::from_str(e.message()))?;
    element.set_inner_html(&svg);
    Ok(())
}

/// One step of the consent follower: the new state (see `watch::Watch`
/// bits: 2 = open a socket, 4 = poll after `watch_delay`).
#[wasm_bindgen]
pub fn watch_step(state: u32, event: u32) -> u32 {
    match Event::from_u32(event) {
        Some(e) => Watch::from_bits(state).step(e).to_bits(),
        None => state,
    }
}

#[wasm_bindgen]
pub fn watch_delay(state: u32) -> u32 {
    Watch::from_bits(state).delay_ms()
}

#[wasm_bindgen]
pub fn consent_is_final(status: &str) -> bool {
    watch::is_terminal(status)
}
