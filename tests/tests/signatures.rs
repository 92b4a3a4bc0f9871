//! Signature checks through the worker's WebCrypto path (`crypto.subtle` in
//! workerd): passkeys of each algorithm MID offers (ES256, EdDSA, RS256), with
//! `none` and `packed` self attestation, made by a hand-built authenticator
//! whose keys are RustCrypto's; device keys (P-256, Ed25519). Every genuine
//! signature passes and every forged one is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::Signer as _;
use mid_tests::passkey::{b64url, unb64url, ORIGIN};
use mid_tests::{mobile, shared, token_of, Api, Partner, Resp};
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value};

fn sha256(data: &[u8]) -> Vec<u8> {
    hmac_sha256::Hash::hash(data).to_vec()
}

// ------------------------------------------------------------------ CBOR

fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => [vec![m | 25], (n as u16).to_be_bytes().to_vec()].concat(),
        _ => [vec![m | 26], (n as u32).to_be_bytes().to_vec()].concat(),
    }
}

fn int(i: i64) -> Vec<u8> {
    if i >= 0 {
        head(0, i as u64)
    } else {
        head(1, (-1 - i) as u64)
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len() as u64), b.to_vec()].concat()
}

fn text(t: &str) -> Vec<u8> {
    [head(3, t.len() as u64), t.as_bytes().to_vec()].concat()
}

fn map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = head(5, entries.len() as u64);
    for (k, v) in entries {
        out.extend(k);
        out.extend(v);
    }
    out
}

// ------------------------------------------------------------- the keys

enum Key {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
    Rs256(Box<rsa::RsaPrivateKey>),
}

impl Key {
    fn es256() -> Self {
        Self::Es256(p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap())
    }

    fn eddsa() -> Self {
        Self::EdDsa(ed25519_dalek::SigningKey::from_bytes(&[0x43; 32]))
    }

    fn rs256() -> Self {
        use rand_chacha::rand_core::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0x5167);
        Self::Rs256(Box::new(rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap()))
    }

    fn alg(&self) -> i64 {
        match self {
            Self::Es256(_) => -7,
            Self::EdDsa(_) => -8,
            Self::Rs256(_) => -257,
        }
    }

    fn cose(&self) -> Vec<u8> {
        match self {
            Self::Es256(k) => {
                let p = k.verifying_key().to_encoded_point(false);
                map(&[
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), bytes(p.x().unwrap())),
                    (int(-3), bytes(p.y().unwrap())),
                ])
            }
            Self::EdDsa(k) => map(&[
                (int(1), int(1)),
                (int(3), int(-8)),
                (int(-1), int(6)),
                (int(-2), bytes(k.verifying_key().as_bytes())),
            ]),
            Self::Rs256(k) => map(&[
                (int(1), int(3)),
                (int(3), int(-257)),
                (int(-1), bytes(&k.n().to_bytes_be())),
                (int(-2), bytes(&k.e().to_bytes_be())),
            ]),
        }
    }

    /// The WebAuthn signature: ES256 in DER, EdDSA raw, RS256 PKCS#1 v1.5.
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Es256(k) => {
                let s: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, msg);
                s.to_der().as_bytes().to_vec()
            }
            Self::EdDsa(k) => k.sign(msg).to_bytes().to_vec(),
            Self::Rs256(k) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new((**k).clone())
                    .sign(msg)
                    .to_vec()
            }
        }
    }
}

/// A signature of the right shape that no key made: one bit of a genuine one
/// flipped (in `s` for ECDSA and EdDSA, so the encoding stays valid).
fn forge(sig: &[u8]) -> Vec<u8> {
    let mut f = sig.to_vec();
    let i = f.len() - 2;
    f[i] ^= 0x01;
    f
}

fn client_data(kind: &str, challenge: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

/// One credential on a hand-built authenticator.
struct Credential {
    key: Key,
    id: Vec<u8>,
    counter: u32,
}

impl Credential {
    /// Credential ids are global: `tag` tells apart credentials of one key.
    fn new(key: Key, tag: &str) -> Self {
        let id = sha256(&[key.cose(), tag.as_bytes().to_vec()].concat())[..16].to_vec();
        Self {
            key,
            id,
            counter: 0,
        }
    }

    /// A registration response; `packed` self attestation when `attest`,
    /// its signature forged when `forge_attestation`.
    fn register(&self, options: &Value, attest: bool, forge_attestation: bool) -> Value {
        let cdj = client_data("webauthn.create", options["challenge"].as_str().unwrap());
        let mut auth_data = sha256(options["rp"]["id"].as_str().unwrap().as_bytes());
        auth_data.push(0x45); // UP | UV | AT
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend((self.id.len() as u16).to_be_bytes());
        auth_data.extend(&self.id);
        auth_data.extend(self.key.cose());
        let (fmt, stmt) = if attest {
            let mut sig = self.key.sign(&[auth_data.clone(), sha256(&cdj)].concat());
            if forge_attestation {
                sig = forge(&sig);
            }
            (
                "packed",
                map(&[
                    (text("alg"), int(self.key.alg())),
                    (text("sig"), bytes(&sig)),
                ]),
            )
        } else {
            ("none", map(&[]))
        };
        let object = map(&[
            (text("fmt"), text(fmt)),
            (text("attStmt"), stmt),
            (text("authData"), bytes(&auth_data)),
        ]);
        json!({
            "id": b64url(&self.id), "rawId": b64url(&self.id), "type": "public-key",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(&cdj), "attestationObject": b64url(&object)},
        })
    }

    /// An assertion; its signature forged when `forged`.
    fn authenticate(&mut self, options: &Value, forged: bool) -> Value {
        self.counter += 1;
        let cdj = client_data("webauthn.get", options["challenge"].as_str().unwrap());
        let mut auth_data = sha256(options["rpId"].as_str().unwrap().as_bytes());
        auth_data.push(0x05); // UP | UV
        auth_data.extend(self.counter.to_be_bytes());
        let mut sig = self.key.sign(&[auth_data.clone(), sha256(&cdj)].concat());
        if forged {
            sig = forge(&sig);
        }
        json!({
            "id": b64url(&self.id), "rawId": b64url(&self.id), "type": "public-key",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(&cdj), "authenticatorData": b64url(&auth_data),
                "signature": b64url(&sig)},
        })
    }
}

async fn sandbox_user(api: &Api, p: &Partner) -> String {
    let r = api
        .test(
            p,
            "POST",
            "/sandbox/users",
            Some(&json!({"mobile": mobile()})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn begin(api: &Api, p: &Partner, path: &str, user: &str) -> (String, Value) {
    let r = api
        .test(p, "POST", path, Some(&json!({"userId": user})))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    let v = r.json();
    (
        v["ceremonyId"].as_str().unwrap().to_owned(),
        v["options"].clone(),
    )
}

async fn complete(
    api: &Api,
    p: &Partner,
    path: &str,
    ceremony: &str,
    response: &Value,
) -> (u16, Value) {
    let r = api
        .test(
            p,
            "POST",
            path,
            Some(&json!({"ceremonyId": ceremony, "response": response})),
        )
        .await;
    (r.status, r.json())
}

/// Registers (refusing a forged attestation first when `attest`), then
/// authenticates twice: a forged assertion is refused, the genuine one passes.
async fn round_trip(key: Key, attest: bool) {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p).await;
    let mut cred = Credential::new(key, if attest { "packed" } else { "none" });
    let alg = cred.key.alg();

    if attest {
        let (ceremony, options) = begin(&api, &p, "/fido/register/begin", &user).await;
        let forged = cred.register(&options, true, true);
        let (status, body) =
            complete(&api, &p, "/fido/register/complete", &ceremony, &forged).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_attestation")),
            "alg {alg}: {body}"
        );
    }
    let (ceremony, options) = begin(&api, &p, "/fido/register/begin", &user).await;
    let genuine = cred.register(&options, attest, false);
    let (status, body) = complete(&api, &p, "/fido/register/complete", &ceremony, &genuine).await;
    assert_eq!(status, 201, "alg {alg}: {body}");

    let (ceremony, options) = begin(&api, &p, "/fido/authenticate/begin", &user).await;
    let forged = cred.authenticate(&options, true);
    let (status, body) =
        complete(&api, &p, "/fido/authenticate/complete", &ceremony, &forged).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_signature")),
        "alg {alg}: {body}"
    );
    let (ceremony, options) = begin(&api, &p, "/fido/authenticate/begin", &user).await;
    let genuine = cred.authenticate(&options, false);
    let (status, body) =
        complete(&api, &p, "/fido/authenticate/complete", &ceremony, &genuine).await;
    assert_eq!(status, 200, "alg {alg}: {body}");
}

#[tokio::test]
async fn security_es256_passkeys_forged_signatures_are_refused() {
    round_trip(Key::es256(), false).await;
    round_trip(Key::es256(), true).await;
}

#[tokio::test]
async fn security_eddsa_passkeys_forged_signatures_are_refused() {
    round_trip(Key::eddsa(), false).await;
    round_trip(Key::eddsa(), true).await;
}

#[tokio::test]
async fn security_rs256_passkeys_forged_signatures_are_refused() {
    round_trip(Key::rs256(), false).await;
    round_trip(Key::rs256(), true).await;
}

#[tokio::test]
async fn security_a_passkey_off_its_curve_is_refused_at_registration() {
    let api = shared();
    let p = api.partner().await;
    let user = sandbox_user(&api, &p).await;
    let cred = Credential::new(Key::es256(), "off-curve");
    let (ceremony, options) = begin(&api, &p, "/fido/register/begin", &user).await;
    let mut response = cred.register(&options, false, false);
    // Move y off the curve in the attested COSE key (`none`: nothing signs it,
    // so only the key check can refuse it).
    let mut object = unb64url(response["response"]["attestationObject"].as_str().unwrap());
    let n = object.len();
    object[n - 1] ^= 0x01;
    response["response"]["attestationObject"] = json!(b64url(&object));
    let (status, body) = complete(&api, &p, "/fido/register/complete", &ceremony, &response).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("malformed_response")),
        "{body}"
    );
}

// ------------------------------------------------------------ device keys

fn b64(b: &[u8]) -> String {
    b64url(b)
}

async fn scan(api: &Api, consent: &Value) -> String {
    let id = consent["id"].as_str().unwrap();
    let r = api
        .send(
            "POST",
            &format!("/consents/{id}/scan"),
            None,
            Some(&json!({"token": token_of(consent)})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["challenge"].as_str().unwrap().to_owned()
}

async fn decide(api: &Api, consent_id: &str, device_id: &str, sig: &[u8]) -> Resp {
    api.send(
        "POST",
        &format!("/consents/{consent_id}/decision"),
        None,
        Some(&json!({"deviceId": device_id, "decision": "approve", "signature": b64(sig)})),
        &[],
    )
    .await
}

#[tokio::test]
async fn security_device_keys_forged_signatures_and_off_curve_keys_are_refused() {
    let api = shared();
    let p = api.partner().await;
    let m = mobile();
    let r = api
        .test(&p, "POST", "/sandbox/users", Some(&json!({"mobile": m})))
        .await;
    let user = r.json()["id"].as_str().unwrap().to_owned();

    let ec = p256::ecdsa::SigningKey::from_slice(&[0x51; 32]).unwrap();
    let point = ec.verifying_key().to_encoded_point(false);
    let ec_jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())});
    let ed = ed25519_dalek::SigningKey::from_bytes(&[0x52; 32]);
    let ed_jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(ed.verifying_key().as_bytes())});

    // A P-256 point off the curve: refused by the runtime's key import.
    let mut off = ec_jwk.clone();
    let mut y = point.y().unwrap().to_vec();
    y[31] ^= 1;
    off["y"] = json!(b64(&y));
    let body = json!({"userId": user, "name": "Off", "platform": "ios", "publicKey": off});
    let r = api.test(&p, "POST", "/devices", Some(&body)).await;
    assert_eq!(r.error(), (400, "invalid_request".into()));
    assert_eq!(r.json()["error"]["param"], "publicKey");

    type Sign = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let signers: Vec<(Value, Sign)> = vec![
        (
            ec_jwk,
            Box::new(move |m: &[u8]| {
                let s: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&ec, m);
                s.to_bytes().to_vec()
            }),
        ),
        (
            ed_jwk,
            Box::new(move |m: &[u8]| ed.sign(m).to_bytes().to_vec()),
        ),
    ];
    for (jwk, sign) in signers {
        let body = json!({"userId": user, "name": "Phone", "platform": "ios", "publicKey": jwk});
        let r = api.test(&p, "POST", "/devices", Some(&body)).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
        let dev = r.json()["id"].as_str().unwrap().to_owned();
        let c = api
            .consent(&p, json!({"recipient": m, "intent": "payment"}))
            .await;
        let id = c["id"].as_str().unwrap().to_owned();
        let ch = scan(&api, &c).await;
        let msg = format!("mid-consent:v1:{id}:approve:{ch}");
        let r = decide(&api, &id, &dev, &forge(&sign(msg.as_bytes()))).await;
        assert_eq!(r.error(), (400, "bad_signature".into()), "{jwk}");
        let ch = scan(&api, &c).await;
        let msg = format!("mid-consent:v1:{id}:approve:{ch}");
        let r = decide(&api, &id, &dev, &sign(msg.as_bytes())).await;
        assert_eq!(
            r.status,
            200,
            "{jwk}: {}",
            String::from_utf8_lossy(&r.bytes)
        );
    }
}
