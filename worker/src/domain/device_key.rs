//! Native-app device keys (DESIGN §4 "Devices"): the public JWK a partner
//! registers, the string a device signs to decide a consent, and the check of
//! that signature. Pure: the user's object stores what this accepts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::approval::{Authenticator, Enrolment};
use super::consent::{Decision, DeviceRef, UserRef};
use super::input::{InputError, JsonObject};
use super::time::rfc3339;
use super::webauthn::{Check, PublicKey as SignatureKey, Trust, Unverified};

/// Longest `name` and `platform`, in characters.
pub const NAME_MAX: usize = 100;
pub const PLATFORM_MAX: usize = 32;
/// Longest `pushToken` (APNs tokens are 64 hex digits, FCM ones ~160 characters).
pub const PUSH_TOKEN_MAX: usize = 1024;
/// Raw signature length for both algorithms (ES256 as r‖s, Ed25519).
pub const SIGNATURE_LEN: usize = 64;

/// The signature algorithm a device key uses, fixed by its curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlg {
    /// ECDSA P-256 with SHA-256, signatures as raw r‖s.
    ES256,
    /// Ed25519.
    EdDSA,
}

/// Why a `publicKey` JWK was refused (400 naming [`JwkError::param`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkError {
    /// `publicKey` is not a JSON object.
    NotAnObject,
    /// A required member (`kty`, `crv`, `x`, `y`) is absent.
    Missing(&'static str),
    /// A member that must be a string is not one.
    NotAString(String),
    /// `kty` is neither `EC` nor `OKP`.
    UnknownKty,
    /// `crv` is not `P-256` (for `EC`) or `Ed25519` (for `OKP`).
    WrongCurve,
    /// A private-key member (`d`, ...): only the public key may leave the device.
    PrivateMember(String),
    /// A member a public EC/OKP JWK does not carry.
    UnknownMember(String),
    /// A coordinate is not base64url without padding.
    BadBase64(&'static str),
    /// A coordinate has the wrong length for the curve (32 bytes).
    WrongLength(&'static str),
    /// The point is not on the curve (P-256), or not a valid, non-weak Ed25519 key.
    NotOnCurve,
}

impl JwkError {
    /// The request parameter at fault.
    pub fn param(&self) -> String {
        match self {
            Self::NotAnObject | Self::NotOnCurve => "publicKey".into(),
            Self::Missing(m) | Self::BadBase64(m) | Self::WrongLength(m) => {
                format!("publicKey.{m}")
            }
            Self::NotAString(m) | Self::PrivateMember(m) | Self::UnknownMember(m) => {
                format!("publicKey.{m}")
            }
            Self::UnknownKty => "publicKey.kty".into(),
            Self::WrongCurve => "publicKey.crv".into(),
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::NotAnObject => "must be a JWK object (EC P-256 or OKP Ed25519)",
            Self::Missing(_) => "is required",
            Self::NotAString(_) => "must be a string",
            Self::UnknownKty => "must be EC or OKP",
            Self::WrongCurve => "must be P-256 for kty EC, Ed25519 for kty OKP",
            Self::PrivateMember(_) => "is a private-key member: send the public key only",
            Self::UnknownMember(_) => "is not a member of a public EC/OKP JWK",
            Self::BadBase64(_) => "must be base64url without padding",
            Self::WrongLength(_) => "must encode exactly 32 bytes",
            Self::NotOnCurve => "is not a valid point on its curve",
        }
    }
}

impl From<JwkError> for InputError {
    fn from(e: JwkError) -> Self {
        match e {
            JwkError::Missing(_) => InputError::MissingField(e.param()),
            _ => InputError::invalid(&e.param(), e.reason()),
        }
    }
}

/// Private members of EC, OKP, RSA and symmetric JWKs.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// Public metadata a JWK export (WebCrypto, CryptoKit, JCA tooling) may add.
const METADATA_MEMBERS: &[&str] = &["kid", "use", "alg", "key_ops", "ext"];

/// A validated device public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub alg: KeyAlg,
    /// SEC1 uncompressed point (65 bytes) for ES256, 32 bytes for EdDSA.
    pub bytes: Vec<u8>,
}

fn coordinate(o: &Map<String, Value>, member: &'static str) -> Result<[u8; 32], JwkError> {
    let text = match o.get(member) {
        None | Some(Value::Null) => return Err(JwkError::Missing(member)),
        Some(Value::String(s)) => s,
        Some(_) => return Err(JwkError::NotAString(member.into())),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JwkError::BadBase64(member))?;
    bytes.try_into().map_err(|_| JwkError::WrongLength(member))
}

fn string_member<'a>(o: &'a Map<String, Value>, member: &'static str) -> Result<&'a str, JwkError> {
    match o.get(member) {
        None | Some(Value::Null) => Err(JwkError::Missing(member)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(JwkError::NotAString(member.into())),
    }
}

/// Validates a public JWK: EC P-256 `{kty, crv, x, y}` or OKP Ed25519 `{kty, crv, x}`.
/// Whether a P-256 point is on the curve is the returned check's to say.
pub fn parse_jwk(value: &Value) -> Result<Unverified<PublicKey, JwkError>, JwkError> {
    let Value::Object(o) = value else {
        return Err(JwkError::NotAnObject);
    };
    if let Some(private) = o.keys().find(|k| PRIVATE_MEMBERS.contains(&k.as_str())) {
        return Err(JwkError::PrivateMember(private.clone()));
    }
    let kty = string_member(o, "kty")?;
    let members: &[&str] = match kty {
        "EC" => &["kty", "crv", "x", "y"],
        "OKP" => &["kty", "crv", "x"],
        _ => return Err(JwkError::UnknownKty),
    };
    if let Some(unknown) = o
        .keys()
        .find(|k| !members.contains(&k.as_str()) && !METADATA_MEMBERS.contains(&k.as_str()))
    {
        return Err(JwkError::UnknownMember(unknown.clone()));
    }
    let crv = string_member(o, "crv")?;
    match (kty, crv) {
        ("EC", "P-256") => {
            let x = coordinate(o, "x")?;
            let y = coordinate(o, "y")?;
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let key = SignatureKey::p256_from_sec1(&point).map_err(|_| JwkError::NotOnCurve)?;
            Ok(Unverified::new(PublicKey {
                alg: KeyAlg::ES256,
                bytes: point,
            })
            .require(Check::key(&key), JwkError::NotOnCurve))
        }
        ("OKP", "Ed25519") => {
            let x = coordinate(o, "x")?;
            // A small-order key would "verify" signatures nobody made.
            let key = SignatureKey::ed25519_from_bytes(&x).map_err(|_| JwkError::NotOnCurve)?;
            Ok(Unverified::new(PublicKey {
                alg: KeyAlg::EdDSA,
                bytes: x.to_vec(),
            })
            .require(Check::key(&key), JwkError::NotOnCurve))
        }
        _ => Err(JwkError::WrongCurve),
    }
}

impl PublicKey {
    /// The key as a minimal public JWK (what `GET /devices/:id` shows).
    pub fn jwk(&self) -> Value {
        let b = |s: &[u8]| URL_SAFE_NO_PAD.encode(s);
        match self.alg {
            KeyAlg::ES256 => json!({
                "kty": "EC",
                "crv": "P-256",
                "x": b(self.bytes.get(1..33).unwrap_or_default()),
                "y": b(self.bytes.get(33..65).unwrap_or_default()),
            }),
            KeyAlg::EdDSA => json!({"kty": "OKP", "crv": "Ed25519", "x": b(&self.bytes)}),
        }
    }

    /// The check of a raw 64-byte signature over `message` (ES256 as `r||s`,
    /// Ed25519 strict); `None` when the signature cannot be one.
    pub fn check(&self, message: &[u8], signature: &[u8]) -> Option<Check> {
        match self.alg {
            KeyAlg::ES256 => SignatureKey::p256_from_sec1(&self.bytes)
                .and_then(|k| k.check_es256_raw(message, signature)),
            KeyAlg::EdDSA => SignatureKey::ed25519_from_bytes(&self.bytes)
                .and_then(|k| k.check(super::webauthn::ALG_EDDSA, message, signature)),
        }
        .ok()
    }
}

/// The UTF-8 string a device signs: `mid-consent:v1:<consentId>:<decision>:<challenge>`.
pub fn signing_string(consent_id: &str, decision: Decision, challenge: &str) -> String {
    let decision = match decision {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
    };
    format!("mid-consent:v1:{consent_id}:{decision}:{challenge}")
}

/// Why a well-formed device decision was refused before the rule of DESIGN §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionRefusal {
    /// No unused scan challenge: never scanned, already used, replaced by a newer scan, or expired.
    NoChallenge,
    /// The signature does not verify under the device key for this consent, decision and challenge.
    BadSignature,
}

impl DecisionRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoChallenge => "invalid_challenge",
            Self::BadSignature => "bad_signature",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::NoChallenge => {
                "No unused challenge for this consent: scan it again (POST /consents/:id/scan) and sign the new challenge."
            }
            Self::BadSignature => {
                "The signature does not verify under this device's key for this consent, decision and challenge."
            }
        }
    }
}

fn printable(param: &str, text: &str, max: usize) -> Result<String, InputError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(InputError::invalid(
            param,
            format!("must be 1 to {max} printable characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A validated `POST /devices` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeviceKey {
    pub user_id: String,
    pub name: String,
    pub platform: String,
    pub public_key: PublicKey,
    pub push_token: Option<String>,
}

impl NewDeviceKey {
    /// The body, valid once its key is known to be a point on its curve.
    pub fn parse(body: &[u8]) -> Result<Unverified<Self, InputError>, InputError> {
        let o = JsonObject::parse(
            body,
            &["userId", "name", "platform", "publicKey", "pushToken"],
        )?;
        let user_id = o.required_str("userId")?.to_owned();
        let name = printable("name", o.required_str("name")?, NAME_MAX)?;
        let platform = printable("platform", o.required_str("platform")?, PLATFORM_MAX)?;
        let jwk = o
            .value("publicKey")
            .ok_or_else(|| InputError::MissingField("publicKey".into()))?;
        let public_key = parse_jwk(jwk)?.map_err(InputError::from);
        let push_token = match o.str("pushToken")? {
            None => None,
            Some(t)
                if t.is_empty() || t.len() > PUSH_TOKEN_MAX || t.chars().any(char::is_control) =>
            {
                return Err(InputError::invalid(
                    "pushToken",
                    format!("must be 1 to {PUSH_TOKEN_MAX} printable characters"),
                ))
            }
            Some(t) => Some(t.to_owned()),
        };
        Ok(public_key.map(move |public_key| Self {
            user_id,
            name,
            platform,
            public_key,
            push_token,
        }))
    }
}

/// A validated `POST /consents/:id/decision` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRequest {
    pub device_id: String,
    pub decision: Decision,
    /// The raw 64 signature bytes.
    pub signature: Vec<u8>,
}

impl DecisionRequest {
    pub fn parse(body: &[u8]) -> Result<Self, InputError> {
        let o = JsonObject::parse(body, &["deviceId", "decision", "signature"])?;
        let device_id = o.required_str("deviceId")?;
        if !super::ids::is_id(device_id, "device_", 16) {
            return Err(InputError::invalid("deviceId", "must be a device id"));
        }
        let decision = Decision::parse(o.required_str("decision")?)
            .ok_or_else(|| InputError::invalid("decision", "must be approve or reject"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(o.required_str("signature")?)
            .map_err(|_| InputError::invalid("signature", "must be base64url without padding"))?;
        if signature.len() != SIGNATURE_LEN {
            return Err(InputError::invalid(
                "signature",
                "must be 64 bytes: ES256 as raw r||s (not DER), or Ed25519",
            ));
        }
        Ok(Self {
            device_id: device_id.to_owned(),
            decision,
            signature,
        })
    }
}

/// A registered device key, held by its user's object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceKey {
    pub device_id: String,
    pub user_id: String,
    /// The partner that registered it: it decides only that partner's consents.
    pub client_id: String,
    pub livemode: bool,
    pub name: String,
    pub platform: String,
    pub alg: KeyAlg,
    /// base64url of [`PublicKey::bytes`].
    pub public_key: String,
    /// The push token, sealed (it is only ever needed to send a push).
    pub push_token_sealed: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl DeviceKey {
    pub fn key(&self) -> Option<PublicKey> {
        Some(PublicKey {
            alg: self.alg,
            bytes: URL_SAFE_NO_PAD.decode(&self.public_key).ok()?,
        })
    }

    /// The decision, valid once its signature over the signing string is.
    pub fn signed_decision(
        &self,
        consent_id: &str,
        decision: Decision,
        challenge: &str,
        signature: &[u8],
    ) -> Unverified<Decision, DecisionRefusal> {
        let message = signing_string(consent_id, decision, challenge);
        let trust = self
            .key()
            .and_then(|k| k.check(message.as_bytes(), signature))
            .map_or_else(Trust::never, Trust::check);
        Unverified::new(decision).require_trust(trust, DecisionRefusal::BadSignature)
    }

    /// As the approval rule sees it: always a partner's authenticator.
    pub fn authenticator<'a>(&'a self, mobile: &'a str) -> Authenticator<'a> {
        Authenticator {
            client_id: &self.client_id,
            livemode: self.livemode,
            enrolment: Enrolment::Partner,
            mobile,
        }
    }

    /// `{id, model}` in consent and device events; the model is the registered name.
    pub fn device_ref(&self) -> DeviceRef {
        DeviceRef {
            id: self.device_id.clone(),
            model: self.name.clone(),
        }
    }

    /// `data` of `device.registered` / `device.deregistered` (the passkeys' shape).
    pub fn event_data(&self, status: &str, user: &UserRef) -> Value {
        json!({
            "deviceId": self.device_id,
            "clientId": self.client_id,
            "status": status,
            "user": user,
            "device": self.device_ref(),
        })
    }

    /// The API object (`GET /devices/:id`).
    pub fn view(&self, status: &str) -> Value {
        json!({
            "id": self.device_id,
            "object": "device",
            "kind": "device_key",
            "type": "device_key",
            "userId": self.user_id,
            "clientId": self.client_id,
            "livemode": self.livemode,
            "status": status,
            "name": self.name,
            "model": self.name,
            "platform": self.platform,
            "algorithm": match self.alg { KeyAlg::ES256 => "ES256", KeyAlg::EdDSA => "EdDSA" },
            "publicKey": self.key().map(|k| k.jwk()),
            "pushToken": self.push_token_sealed.is_some(),
            "createdAt": rfc3339(self.created_at),
            "lastUsedAt": self.last_used_at.map(rfc3339),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    // The production parsers and checks, discharged by the pure-Rust verifier.
    fn parse_jwk(v: &Value) -> Result<PublicKey, JwkError> {
        super::parse_jwk(v)?.verify_now()
    }

    fn parse_new(body: &[u8]) -> Result<NewDeviceKey, InputError> {
        NewDeviceKey::parse(body)?.verify_now()
    }

    impl DeviceKey {
        fn verify(
            &self,
            consent_id: &str,
            decision: Decision,
            challenge: &str,
            signature: &[u8],
        ) -> Result<(), DecisionRefusal> {
            self.signed_decision(consent_id, decision, challenge, signature)
                .verify_now()
                .map(|_| ())
        }
    }

    fn b64(b: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(b)
    }

    fn p256_key(seed: u8) -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn p256_jwk(k: &p256::ecdsa::SigningKey) -> Value {
        let point = k.verifying_key().to_encoded_point(false);
        json!({"kty": "EC", "crv": "P-256", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())})
    }

    fn ed_key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    fn ed_jwk(k: &ed25519_dalek::SigningKey) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.verifying_key().as_bytes())})
    }

    fn with(mut v: Value, member: &str, value: Value) -> Value {
        v[member] = value;
        v
    }

    fn without(mut v: Value, member: &str) -> Value {
        v.as_object_mut().unwrap().remove(member);
        v
    }

    #[test]
    fn jwk_validation_table() {
        let ec = p256_jwk(&p256_key(7));
        let ed = ed_jwk(&ed_key(9));
        let mut off_curve = ec.clone();
        // y+1 is (overwhelmingly likely) not on the curve for this x.
        let mut y = URL_SAFE_NO_PAD.decode(ec["y"].as_str().unwrap()).unwrap();
        y[31] ^= 1;
        off_curve["y"] = b64(&y).into();
        let cases: Vec<(Value, Result<KeyAlg, &str>)> = vec![
            (ec.clone(), Ok(KeyAlg::ES256)),
            (ed.clone(), Ok(KeyAlg::EdDSA)),
            // WebCrypto exports carry `ext` and `key_ops`.
            (with(ec.clone(), "ext", true.into()), Ok(KeyAlg::ES256)),
            (with(ed.clone(), "kid", "k1".into()), Ok(KeyAlg::EdDSA)),
            (
                with(ec.clone(), "crv", "P-384".into()),
                Err("publicKey.crv"),
            ),
            (
                with(ec.clone(), "crv", "Ed25519".into()),
                Err("publicKey.crv"),
            ),
            (
                with(ed.clone(), "crv", "X25519".into()),
                Err("publicKey.crv"),
            ),
            (
                with(ec.clone(), "d", b64(&[1; 32]).into()),
                Err("publicKey.d"),
            ),
            (
                with(ed.clone(), "d", b64(&[1; 32]).into()),
                Err("publicKey.d"),
            ),
            (off_curve, Err("publicKey")),
            (
                with(ec.clone(), "x", "not*base64".into()),
                Err("publicKey.x"),
            ),
            (
                with(
                    ec.clone(),
                    "y",
                    format!("{}=", ec["y"].as_str().unwrap()).into(),
                ),
                Err("publicKey.y"),
            ),
            (
                with(ec.clone(), "x", b64(&[1; 31]).into()),
                Err("publicKey.x"),
            ),
            (with(ec.clone(), "x", 5.into()), Err("publicKey.x")),
            (without(ec.clone(), "y"), Err("publicKey.y")),
            (without(ec.clone(), "crv"), Err("publicKey.crv")),
            (without(ed.clone(), "x"), Err("publicKey.x")),
            (without(ed.clone(), "kty"), Err("publicKey.kty")),
            (with(ec.clone(), "kty", "RSA".into()), Err("publicKey.kty")),
            (
                with(ed.clone(), "y", b64(&[1; 32]).into()),
                Err("publicKey.y"),
            ),
            (with(ec.clone(), "extra", 1.into()), Err("publicKey.extra")),
            // The identity point: a weak Ed25519 key.
            (
                with(
                    ed.clone(),
                    "x",
                    b64(&{
                        let mut k = [0u8; 32];
                        k[0] = 1;
                        k
                    })
                    .into(),
                ),
                Err("publicKey"),
            ),
            (json!("a string"), Err("publicKey")),
        ];
        for (jwk, want) in cases {
            let got = parse_jwk(&jwk).map(|k| k.alg).map_err(|e| e.param());
            assert_eq!(got, want.map_err(str::to_owned), "{jwk}");
        }
    }

    #[test]
    fn jwk_errors_are_400s_naming_the_param() {
        let e: InputError = JwkError::PrivateMember("d".into()).into();
        assert_eq!(e.param(), Some("publicKey.d"));
        assert_eq!(e.code(), "invalid_request");
        let e: InputError = JwkError::Missing("x").into();
        assert_eq!(e, InputError::MissingField("publicKey.x".into()));
    }

    #[test]
    fn the_jwk_round_trips() {
        let ec = p256_jwk(&p256_key(7));
        assert_eq!(parse_jwk(&ec).unwrap().jwk(), ec);
        let ed = ed_jwk(&ed_key(9));
        assert_eq!(parse_jwk(&ed).unwrap().jwk(), ed);
    }

    #[test]
    fn the_decision_string() {
        assert_eq!(
            signing_string("cons_0123456789abcdef", Decision::Approve, "Q2hhbGxlbmdl"),
            "mid-consent:v1:cons_0123456789abcdef:approve:Q2hhbGxlbmdl"
        );
        assert_eq!(
            signing_string("cons_x", Decision::Reject, "c"),
            "mid-consent:v1:cons_x:reject:c"
        );
    }

    fn device(key: &PublicKey) -> DeviceKey {
        DeviceKey {
            device_id: "device_0123456789abcdef".into(),
            user_id: "user_0123456789abcdef".into(),
            client_id: "mid_client_a".into(),
            livemode: false,
            name: "Ada's iPhone".into(),
            platform: "ios".into(),
            alg: key.alg,
            public_key: b64(&key.bytes),
            push_token_sealed: None,
            created_at: 0,
            last_used_at: None,
        }
    }

    #[test]
    fn es256_signatures_verify_only_for_the_signed_string() {
        let sk = p256_key(7);
        let d = device(&parse_jwk(&p256_jwk(&sk)).unwrap());
        let msg = signing_string("cons_a", Decision::Approve, "chal");
        let sig: p256::ecdsa::Signature = sk.sign(msg.as_bytes());
        let raw = sig.to_bytes();
        assert_eq!(raw.len(), 64);
        assert_eq!(d.verify("cons_a", Decision::Approve, "chal", &raw), Ok(()));
        // Any other consent, decision or challenge: refused.
        let bad = Err(DecisionRefusal::BadSignature);
        assert_eq!(d.verify("cons_b", Decision::Approve, "chal", &raw), bad);
        assert_eq!(d.verify("cons_a", Decision::Reject, "chal", &raw), bad);
        assert_eq!(d.verify("cons_a", Decision::Approve, "chal2", &raw), bad);
        // Another key's signature, and DER form: refused.
        let other: p256::ecdsa::Signature = p256_key(8).sign(msg.as_bytes());
        assert_eq!(
            d.verify("cons_a", Decision::Approve, "chal", &other.to_bytes()),
            bad
        );
        assert_eq!(
            d.verify("cons_a", Decision::Approve, "chal", sig.to_der().as_bytes()),
            bad
        );
        // The high-S twin of a valid signature is also valid ECDSA (WebCrypto may produce either).
        if let Some(normal) = sig.normalize_s() {
            assert_eq!(
                d.verify("cons_a", Decision::Approve, "chal", &normal.to_bytes()),
                Ok(())
            );
        }
    }

    #[test]
    fn ed25519_signatures_verify_only_for_the_signed_string() {
        let sk = ed_key(9);
        let d = device(&parse_jwk(&ed_jwk(&sk)).unwrap());
        let msg = signing_string("cons_a", Decision::Reject, "chal");
        let sig = sk.sign(msg.as_bytes()).to_bytes();
        assert_eq!(d.verify("cons_a", Decision::Reject, "chal", &sig), Ok(()));
        let bad = Err(DecisionRefusal::BadSignature);
        assert_eq!(d.verify("cons_a", Decision::Approve, "chal", &sig), bad);
        let mut flipped = sig;
        flipped[10] ^= 1;
        assert_eq!(d.verify("cons_a", Decision::Reject, "chal", &flipped), bad);
        assert_eq!(
            d.verify("cons_a", Decision::Reject, "chal", &sig[..63]),
            bad
        );
    }

    #[test]
    fn decision_bodies_are_strict() {
        let sig = b64(&[1; 64]);
        let ok =
            json!({"deviceId": "device_0123456789abcdef", "decision": "approve", "signature": sig});
        let r = DecisionRequest::parse(ok.to_string().as_bytes()).unwrap();
        assert_eq!(r.decision, Decision::Approve);
        let param = |v: Value| {
            DecisionRequest::parse(v.to_string().as_bytes())
                .unwrap_err()
                .param()
                .map(str::to_owned)
        };
        assert_eq!(
            param(with(ok.clone(), "token", "t".into())).as_deref(),
            Some("token")
        );
        assert_eq!(
            param(with(ok.clone(), "decision", "maybe".into())).as_deref(),
            Some("decision")
        );
        assert_eq!(
            param(with(ok.clone(), "deviceId", "dev".into())).as_deref(),
            Some("deviceId")
        );
        // A DER signature (70-72 bytes) and padded base64 are 400s.
        assert_eq!(
            param(with(ok.clone(), "signature", b64(&[1; 71]).into())).as_deref(),
            Some("signature")
        );
        assert_eq!(
            param(with(ok.clone(), "signature", format!("{sig}==").into())).as_deref(),
            Some("signature")
        );
        assert_eq!(
            param(without(ok, "signature")).as_deref(),
            Some("signature")
        );
    }

    #[test]
    fn registration_bodies_are_strict_and_bounded() {
        let ok = json!({"userId": "user_0123456789abcdef", "name": " Ada's iPhone ", "platform": "ios", "publicKey": ed_jwk(&ed_key(3))});
        let d = parse_new(ok.to_string().as_bytes()).unwrap();
        assert_eq!(d.name, "Ada's iPhone");
        assert_eq!(d.push_token, None);
        let param = |v: Value| {
            parse_new(v.to_string().as_bytes())
                .unwrap_err()
                .param()
                .map(str::to_owned)
        };
        assert_eq!(
            param(with(ok.clone(), "status", "x".into())).as_deref(),
            Some("status")
        );
        assert_eq!(
            param(with(ok.clone(), "name", "x".repeat(101).into())).as_deref(),
            Some("name")
        );
        assert_eq!(
            param(with(ok.clone(), "platform", "".into())).as_deref(),
            Some("platform")
        );
        assert_eq!(
            param(with(ok.clone(), "pushToken", "x".repeat(1025).into())).as_deref(),
            Some("pushToken")
        );
        assert_eq!(
            param(without(ok.clone(), "publicKey")).as_deref(),
            Some("publicKey")
        );
        assert_eq!(
            param(with(ok, "publicKey", json!({"kty": "oct", "k": "AAAA"}))).as_deref(),
            Some("publicKey.k")
        );
    }

    /// The worked examples of docs/devices.md, recomputed from their fixed
    /// private keys: the doc must carry every value, so it cannot drift.
    #[test]
    fn the_documented_vectors_hold() {
        let doc = include_str!("../../../docs/devices.md");
        let consent = "cons_0123456789abcdef";
        let challenge = b64(&core::array::from_fn::<u8, 32, _>(|i| {
            u8::try_from(i).unwrap()
        }));
        let message = signing_string(consent, Decision::Approve, &challenge);
        let p256_secret: [u8; 32] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap());
        let ed_secret: [u8; 32] = core::array::from_fn(|i| u8::try_from(0x20 + i).unwrap());
        let ec = p256::ecdsa::SigningKey::from_slice(&p256_secret).unwrap();
        let ed = ed25519_dalek::SigningKey::from_bytes(&ed_secret);
        let ec_sig: p256::ecdsa::Signature = ec.sign(message.as_bytes());
        let ed_sig = ed.sign(message.as_bytes());
        let ec_jwk = p256_jwk(&ec);
        let ed_jwk = ed_jwk(&ed);
        let values = [
            ("challenge", challenge.clone()),
            ("signed string", message.clone()),
            (
                "signed bytes (hex)",
                crate::domain::crypto::hex(message.as_bytes()),
            ),
            (
                "P-256 private scalar (hex)",
                crate::domain::crypto::hex(&p256_secret),
            ),
            ("P-256 x", ec_jwk["x"].as_str().unwrap().to_owned()),
            ("P-256 y", ec_jwk["y"].as_str().unwrap().to_owned()),
            ("P-256 signature", b64(&ec_sig.to_bytes())),
            ("Ed25519 seed (hex)", crate::domain::crypto::hex(&ed_secret)),
            ("Ed25519 x", ed_jwk["x"].as_str().unwrap().to_owned()),
            ("Ed25519 signature", b64(&ed_sig.to_bytes())),
        ];
        for (what, value) in &values {
            println!("{what}: {value}");
        }
        for (what, value) in &values {
            assert!(
                doc.contains(value.as_str()),
                "docs/devices.md lacks the {what}: {value}"
            );
        }
        // And the published signatures verify through the production path.
        for (jwk, sig) in [
            (ec_jwk, ec_sig.to_bytes().to_vec()),
            (ed_jwk, ed_sig.to_bytes().to_vec()),
        ] {
            let d = device(&parse_jwk(&jwk).unwrap());
            assert_eq!(
                d.verify(consent, Decision::Approve, &challenge, &sig),
                Ok(())
            );
        }
    }
}
