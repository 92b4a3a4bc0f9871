//! The conversions on an in-memory JSON tree (the browser tests run the same
//! code on real JavaScript objects: sdk-wasm/tests/browser.test.mjs).

use super::*;
use std::cell::RefCell;
use std::rc::Rc;

type Method = Rc<dyn Fn() -> Option<J>>;

#[derive(Clone)]
enum J {
    Str(String),
    Num(f64),
    Bytes(Vec<u8>),
    Arr(Vec<J>),
    Obj(Rc<RefCell<Vec<(String, J)>>>),
    Method(Method),
}

impl J {
    fn obj(fields: Vec<(&str, J)>) -> J {
        J::Obj(Rc::new(RefCell::new(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )))
    }
    fn s(text: &str) -> J {
        J::Str(text.to_string())
    }
    fn method(value: Option<J>) -> J {
        J::Method(Rc::new(move || value.clone()))
    }
    fn at(&self, path: &str) -> J {
        path.split('.')
            .fold(self.clone(), |v, key| match (&v, key.parse::<usize>()) {
                (J::Arr(items), Ok(i)) => items[i].clone(),
                _ => v.get(key).unwrap_or_else(|| panic!("no {key} in {path}")),
            })
    }
    fn bytes_at(&self, path: &str) -> Vec<u8> {
        match self.at(path) {
            J::Bytes(b) => b,
            _ => panic!("{path} is not bytes"),
        }
    }
    fn text_at(&self, path: &str) -> String {
        self.at(path)
            .text()
            .unwrap_or_else(|| panic!("{path} is not text"))
    }
    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl Value for J {
    fn get(&self, key: &str) -> Option<J> {
        match self {
            J::Obj(fields) => fields
                .borrow()
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            J::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<J>> {
        match self {
            J::Arr(items) => Some(items.clone()),
            _ => None,
        }
    }
    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            J::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
    fn call(&self, name: &str) -> Option<J> {
        match self.get(name)? {
            J::Method(f) => f(),
            _ => None,
        }
    }
    fn shallow_copy(&self) -> J {
        match self {
            J::Obj(fields) => J::Obj(Rc::new(RefCell::new(fields.borrow().clone()))),
            other => other.clone(),
        }
    }
    fn put(&self, key: &str, value: J) {
        if let J::Obj(fields) = self {
            let mut fields = fields.borrow_mut();
            fields.retain(|(k, _)| k != key);
            fields.push((key.to_string(), value));
        }
    }
    fn new_object() -> J {
        J::obj(vec![])
    }
    fn from_text(text: &str) -> J {
        J::s(text)
    }
    fn from_bytes(bytes: &[u8]) -> J {
        J::Bytes(bytes.to_vec())
    }
    fn from_items(items: Vec<J>) -> J {
        J::Arr(items)
    }
}

fn creation_json() -> J {
    J::obj(vec![
        ("challenge", J::s("AAECAwQFBgcICQoLDA0ODw")),
        (
            "rp",
            J::obj(vec![("id", J::s("example.com")), ("name", J::s("Shop"))]),
        ),
        (
            "user",
            J::obj(vec![
                ("id", J::s("dXNlcl8x")),
                ("name", J::s("+234...")),
                ("displayName", J::s("Ada")),
            ]),
        ),
        (
            "pubKeyCredParams",
            J::Arr(vec![J::obj(vec![
                ("type", J::s("public-key")),
                ("alg", J::Num(-7.0)),
            ])]),
        ),
        ("timeout", J::Num(60000.0)),
        (
            "excludeCredentials",
            J::Arr(vec![J::obj(vec![
                ("id", J::s("-_8")),
                ("type", J::s("public-key")),
                ("transports", J::Arr(vec![J::s("internal")])),
            ])]),
        ),
        ("attestation", J::s("none")),
    ])
}

#[test]
fn creation_options_decode_exactly_the_binary_fields() {
    let json = creation_json();
    let out = creation_options(&json).unwrap();
    assert_eq!(out.bytes_at("challenge"), (0u8..16).collect::<Vec<_>>());
    assert_eq!(out.bytes_at("user.id"), b"user_1");
    assert_eq!(out.text_at("user.displayName"), "Ada");
    assert_eq!(out.bytes_at("excludeCredentials.0.id"), [0xfb, 0xff]);
    assert_eq!(out.text_at("excludeCredentials.0.transports.0"), "internal");
    assert_eq!(out.text_at("rp.id"), "example.com");
    assert_eq!(out.text_at("attestation"), "none");
    assert!(matches!(out.at("timeout"), J::Num(n) if n == 60000.0));
    // The caller's options are left as they were.
    assert_eq!(json.text_at("challenge"), "AAECAwQFBgcICQoLDA0ODw");
    assert_eq!(json.text_at("user.id"), "dXNlcl8x");
    assert_eq!(json.text_at("excludeCredentials.0.id"), "-_8");
    assert_eq!(rp_id(&json).as_deref(), Some("example.com"));
}

#[test]
fn creation_options_refuse_what_the_browser_could_not_use() {
    let without = |key: &str| {
        let j = creation_json().shallow_copy();
        if let J::Obj(f) = &j {
            f.borrow_mut().retain(|(k, _)| k != key);
        }
        j
    };
    assert_eq!(
        creation_options(&without("challenge")).err(),
        Some(ConvertError::MissingChallenge)
    );
    assert_eq!(
        creation_options(&without("user")).err(),
        Some(ConvertError::MissingUser)
    );
    let j = creation_json();
    j.put("challenge", J::s("not base64!"));
    assert_eq!(creation_options(&j).err(), Some(ConvertError::BadChallenge));
    let j = creation_json();
    j.put("user", J::obj(vec![("name", J::s("x"))]));
    assert_eq!(
        creation_options(&j).err(),
        Some(ConvertError::MissingUserId)
    );
    let j = creation_json();
    j.put("excludeCredentials", J::s("abc"));
    assert_eq!(
        creation_options(&j).err(),
        Some(ConvertError::BadCredentialList)
    );
    let j = creation_json();
    j.put(
        "excludeCredentials",
        J::Arr(vec![J::obj(vec![("type", J::s("public-key"))])]),
    );
    assert_eq!(
        creation_options(&j).err(),
        Some(ConvertError::BadCredentialId)
    );
}

#[test]
fn request_options_decode_challenge_and_allow_list() {
    let json = J::obj(vec![
        ("challenge", J::s("AQID")),
        ("rpId", J::s("localhost")),
        (
            "allowCredentials",
            J::Arr(vec![J::obj(vec![
                ("id", J::s("BAUG")),
                ("type", J::s("public-key")),
            ])]),
        ),
        ("userVerification", J::s("required")),
    ]);
    let out = request_options(&json).unwrap();
    assert_eq!(out.bytes_at("challenge"), [1, 2, 3]);
    assert_eq!(out.bytes_at("allowCredentials.0.id"), [4, 5, 6]);
    assert_eq!(out.text_at("userVerification"), "required");
    assert_eq!(rp_id(&json).as_deref(), Some("localhost"));
    let discoverable = J::obj(vec![("challenge", J::s("AQID"))]);
    assert!(!request_options(&discoverable)
        .unwrap()
        .has("allowCredentials"));
    assert_eq!(rp_id(&discoverable), None);
}

fn credential(response: J) -> J {
    J::obj(vec![
        ("id", J::s("qqo")),
        ("rawId", J::Bytes(vec![0xaa, 0xaa])),
        ("type", J::s("public-key")),
        ("authenticatorAttachment", J::s("platform")),
        ("response", response),
        (
            "getClientExtensionResults",
            J::method(Some(J::obj(vec![("credProps", J::obj(vec![]))]))),
        ),
    ])
}

#[test]
fn registration_response_json() {
    let cred = credential(J::obj(vec![
        ("clientDataJSON", J::Bytes(b"{}".to_vec())),
        ("attestationObject", J::Bytes(vec![0xa3, 0x01])),
        (
            "getAuthenticatorData",
            J::method(Some(J::Bytes(vec![9; 37]))),
        ),
        (
            "getTransports",
            J::method(Some(J::Arr(vec![J::s("internal"), J::s("hybrid")]))),
        ),
        ("getPublicKeyAlgorithm", J::method(Some(J::Num(-7.0)))),
        ("getPublicKey", J::method(Some(J::Bytes(vec![0x30, 0x59])))),
    ]));
    let out = registration_json(&cred).unwrap();
    assert_eq!(out.text_at("id"), "qqo");
    assert_eq!(out.text_at("rawId"), "qqo");
    assert_eq!(out.text_at("type"), "public-key");
    assert_eq!(out.text_at("authenticatorAttachment"), "platform");
    assert!(out.at("clientExtensionResults").has("credProps"));
    assert_eq!(out.text_at("response.clientDataJSON"), "e30");
    assert_eq!(out.text_at("response.attestationObject"), "owE");
    assert_eq!(
        out.text_at("response.authenticatorData"),
        base64url::encode(&[9; 37])
    );
    assert_eq!(out.text_at("response.transports.1"), "hybrid");
    assert!(matches!(out.at("response.publicKeyAlgorithm"), J::Num(n) if n == -7.0));
    assert_eq!(out.text_at("response.publicKey"), "MFk");
}

#[test]
fn registration_response_without_l3_getters() {
    let cred = credential(J::obj(vec![
        ("clientDataJSON", J::Bytes(b"{}".to_vec())),
        ("attestationObject", J::Bytes(vec![1])),
        ("getPublicKey", J::method(None)),
    ]));
    let out = registration_json(&cred).unwrap();
    let r = out.at("response");
    assert!(!r.has("authenticatorData") && !r.has("publicKey") && !r.has("publicKeyAlgorithm"));
    assert_eq!(r.at("transports").items().map(|t| t.len()), Some(0));
}

#[test]
fn authentication_response_json() {
    let cred = credential(J::obj(vec![
        ("clientDataJSON", J::Bytes(b"{}".to_vec())),
        ("authenticatorData", J::Bytes(vec![1, 2])),
        ("signature", J::Bytes(vec![3, 4])),
        ("userHandle", J::Bytes(b"user_1".to_vec())),
    ]));
    let out = authentication_json(&cred).unwrap();
    assert_eq!(out.text_at("response.authenticatorData"), "AQI");
    assert_eq!(out.text_at("response.signature"), "AwQ");
    assert_eq!(out.text_at("response.userHandle"), "dXNlcl8x");
    assert_eq!(out.text_at("rawId"), "qqo");

    let no_handle = credential(J::obj(vec![
        ("clientDataJSON", J::Bytes(b"{}".to_vec())),
        ("authenticatorData", J::Bytes(vec![1, 2])),
        ("signature", J::Bytes(vec![3, 4])),
    ]));
    assert!(!authentication_json(&no_handle)
        .unwrap()
        .at("response")
        .has("userHandle"));
}

#[test]
fn malformed_credentials_are_refused() {
    let no_sig = credential(J::obj(vec![
        ("clientDataJSON", J::Bytes(b"{}".to_vec())),
        ("authenticatorData", J::Bytes(vec![1, 2])),
    ]));
    assert_eq!(
        authentication_json(&no_sig).err(),
        Some(ConvertError::MissingResponseField)
    );
    assert_eq!(
        registration_json(&J::obj(vec![])).err(),
        Some(ConvertError::NotACredential)
    );
    assert_eq!(
        authentication_json(&J::s("x")).err(),
        Some(ConvertError::NotACredential)
    );
}
