//! RS256 JSON Web Tokens for Google Play: verifying the OIDC token Pub/Sub
//! push puts in `Authorization: Bearer`, against Google's JWKS; signing the
//! service-account assertion of the OAuth JWT-bearer grant. Only RS256:
//! `none`, HMAC and every other algorithm are refused before any key is used.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::domain::webauthn::{base64url_decode, PublicKey, Trust, Unverified, ALG_RS256};

/// Longest token accepted (Google's are about 1 KiB).
const TOKEN_MAX: usize = 8 * 1024;
/// Clock skew allowed on `exp` and `iat`, seconds.
pub const SKEW_S: i64 = 60;
/// Issuers of Google's OIDC tokens.
const GOOGLE_ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];

/// Why a push token was refused (401 `unauthorized`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    /// No `Authorization: Bearer` token.
    Missing,
    /// Not three base64url parts with JSON header and claims.
    Malformed,
    /// `alg` is not `RS256` (`none`, `HS256`, ... are refused).
    Algorithm,
    /// No key in the JWKS has the token's `kid`.
    UnknownKid,
    /// The signature does not verify with the key.
    Signature,
    /// `iss` is not Google's.
    Issuer,
    /// `aud` is not `PLAYSTORE_PUSH_AUDIENCE` (or that is unset).
    Audience,
    /// `email` is not `PLAYSTORE_PUSH_EMAIL` (or that is unset).
    Email,
    /// `email_verified` is not true.
    EmailUnverified,
    /// `exp` has passed (beyond the skew) or is missing.
    Expired,
    /// `iat` is in the future (beyond the skew) or is missing.
    NotYetValid,
}

impl JwtError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => "An Authorization: Bearer token is required.",
            Self::Malformed => "The bearer token is not a well-formed JWT.",
            Self::Algorithm => "The bearer token must be RS256.",
            Self::UnknownKid => "The bearer token's key is not one of Google's.",
            Self::Signature => "The bearer token's signature does not verify.",
            Self::Issuer => "The bearer token is not issued by Google.",
            Self::Audience => "The bearer token is for another audience.",
            Self::Email => "The bearer token is for another service account.",
            Self::EmailUnverified => "The bearer token's email is not verified.",
            Self::Expired => "The bearer token has expired.",
            Self::NotYetValid => "The bearer token is not valid yet.",
        }
    }
}

/// One RSA key of a JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    key: PublicKey,
}

/// The RSA signing keys of a JWKS document (`{"keys": [...]}`); other key
/// types and unusable keys are skipped.
pub fn parse_jwks(body: &[u8]) -> Vec<Jwk> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let Some(keys) = v.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .take(32)
        .filter_map(|k| {
            if k.get("kty")?.as_str()? != "RSA" {
                return None;
            }
            if k.get("alg")
                .and_then(Value::as_str)
                .is_some_and(|a| a != "RS256")
            {
                return None;
            }
            let n = base64url_decode(k.get("n")?.as_str()?)?;
            let e = base64url_decode(k.get("e")?.as_str()?)?;
            // Refuses keys under 2048 or over 4096 bits.
            let key = PublicKey::rsa_from_parts(&n, &e).ok()?;
            Some(Jwk {
                kid: k.get("kid")?.as_str()?.to_owned(),
                key,
            })
        })
        .collect()
}

/// Who a push token must be from and for.
pub struct PushExpect<'a> {
    pub audience: &'a str,
    pub email: &'a str,
}

/// Verifies a Pub/Sub push token: RS256 by a key of `keys` (by `kid`),
/// Google's issuer, the audience and service account, the time window. The
/// claims are valid once the signature is; a claim refused is reported after
/// the signature, as before any claim was read.
pub fn verify_push(
    token: &str,
    keys: &[Jwk],
    expect: &PushExpect<'_>,
    now_s: i64,
) -> Result<Unverified<Value, JwtError>, JwtError> {
    let (claims, pending) = verify_rs256(token, keys)?;
    Ok(match check_claims(&claims, expect, now_s) {
        Ok(()) => pending,
        Err(e) => pending.require_trust(Trust::never(), e),
    })
}

fn check_claims(claims: &Value, expect: &PushExpect<'_>, now_s: i64) -> Result<(), JwtError> {
    let iss = claims.get("iss").and_then(Value::as_str);
    if !iss.is_some_and(|i| GOOGLE_ISSUERS.contains(&i)) {
        return Err(JwtError::Issuer);
    }
    // An unset expectation matches nothing.
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if expect.audience.is_empty() || !aud_ok {
        return Err(JwtError::Audience);
    }
    if expect.email.is_empty() || claims.get("email").and_then(Value::as_str) != Some(expect.email)
    {
        return Err(JwtError::Email);
    }
    if claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(JwtError::EmailUnverified);
    }
    let exp = claims.get("exp").and_then(Value::as_i64);
    if exp.is_none_or(|e| now_s > e.saturating_add(SKEW_S)) {
        return Err(JwtError::Expired);
    }
    let iat = claims.get("iat").and_then(Value::as_i64);
    if iat.is_none_or(|i| i > now_s.saturating_add(SKEW_S)) {
        return Err(JwtError::NotYetValid);
    }
    Ok(())
}

/// The token's claims if its header says RS256, with the check of its
/// signature by the key its `kid` names.
fn verify_rs256(
    token: &str,
    keys: &[Jwk],
) -> Result<(Value, Unverified<Value, JwtError>), JwtError> {
    if token.len() > TOKEN_MAX {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = base64url_decode(h64)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let claims: Value = base64url_decode(c64)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or(JwtError::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtError::Algorithm);
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let key = keys
        .iter()
        .find(|k| Some(k.kid.as_str()) == kid)
        .ok_or(JwtError::UnknownKid)?;
    let raw = base64url_decode(s64).ok_or(JwtError::Malformed)?;
    let check = key
        .key
        .check(ALG_RS256, format!("{h64}.{c64}").as_bytes(), &raw)
        .map_err(|_| JwtError::Signature)?;
    let pending = Unverified::new(claims.clone()).require(check, JwtError::Signature);
    Ok((claims, pending))
}

/// Why a service-account key cannot sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// `private_key` is not a PEM PKCS#8 RSA key.
    BadKey,
    /// Signing failed.
    Sign,
}

/// The DER of a PEM `PRIVATE KEY` (PKCS#8) block; whether it is an RSA key
/// is for the signer to find (`importKey("pkcs8", ...)` in the worker).
pub fn private_key_from_pem(pem: &str) -> Result<Vec<u8>, KeyError> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN).ok_or(KeyError::BadKey)? + BEGIN.len();
    let end = pem
        .get(start..)
        .and_then(|r| r.find(END))
        .ok_or(KeyError::BadKey)?
        + start;
    let b64: String = pem
        .get(start..end)
        .ok_or(KeyError::BadKey)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| KeyError::BadKey)?;
    // PrivateKeyInfo is a SEQUENCE.
    if der.first() != Some(&0x30) {
        return Err(KeyError::BadKey);
    }
    Ok(der)
}

/// The signing input (`header.claims`) of an RS256 JWT of `claims`.
pub fn rs256_signing_input(claims: &Value) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The compact JWT of a signing input and its signature.
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// RS256 (PKCS#1 v1.5, deterministic) with a PKCS#8 RSA key, in pure Rust:
/// native builds and tests; the worker signs with `crypto.subtle`.
#[cfg(not(target_arch = "wasm32"))]
pub fn sign_rs256_pkcs8(pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|_| KeyError::BadKey)?;
    rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
        .try_sign(message)
        .map(|s| s.to_bytes().to_vec())
        .map_err(|_| KeyError::Sign)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
    use rsa::traits::PublicKeyParts as _;
    use rsa::RsaPrivateKey;
    use sha2::Sha256;

    /// The production check, its signature discharged by the pure-Rust verifier.
    fn verify_push(
        token: &str,
        keys: &[Jwk],
        expect: &PushExpect<'_>,
        now_s: i64,
    ) -> Result<Value, JwtError> {
        super::verify_push(token, keys, expect, now_s)?.verify_now()
    }
    use serde_json::json;

    const NOW: i64 = 1_780_000_000;

    /// A fixed test key (generating RSA keys natively is slow in debug builds).
    pub fn test_key() -> RsaPrivateKey {
        use std::sync::OnceLock;
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
            RsaPrivateKey::new(&mut rng, 2048).unwrap()
        })
        .clone()
    }
    use rand_chacha::rand_core::SeedableRng as _;

    pub fn jwks_of(kid: &str, key: &RsaPrivateKey) -> Vec<u8> {
        let public = key.to_public_key();
        json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())}]})
        .to_string()
        .into_bytes()
    }

    fn sign_with(header: &Value, claims: &Value, key: &RsaPrivateKey) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    fn claims() -> Value {
        json!({"iss": "https://accounts.google.com", "aud": "https://mid.example/webhooks/playstore",
            "email": "push@proj.iam.gserviceaccount.com", "email_verified": true,
            "iat": NOW - 10, "exp": NOW + 3590, "sub": "1234"})
    }

    const EXPECT: PushExpect<'static> = PushExpect {
        audience: "https://mid.example/webhooks/playstore",
        email: "push@proj.iam.gserviceaccount.com",
    };

    fn header() -> Value {
        json!({"alg": "RS256", "kid": "k1", "typ": "JWT"})
    }

    fn keys() -> Vec<Jwk> {
        parse_jwks(&jwks_of("k1", &test_key()))
    }

    #[test]
    fn a_google_push_token_verifies() {
        let t = sign_with(&header(), &claims(), &test_key());
        let c = verify_push(&t, &keys(), &EXPECT, NOW).unwrap();
        assert_eq!(c["sub"], "1234");
        let mut plain_iss = claims();
        plain_iss["iss"] = json!("accounts.google.com");
        let t = sign_with(&header(), &plain_iss, &test_key());
        assert!(verify_push(&t, &keys(), &EXPECT, NOW).is_ok());
    }

    #[test]
    fn only_rs256_is_accepted() {
        for alg in ["none", "HS256", "RS384", "ES256", "PS256", ""] {
            let mut h = header();
            h["alg"] = json!(alg);
            let t = sign_with(&h, &claims(), &test_key());
            assert_eq!(
                verify_push(&t, &keys(), &EXPECT, NOW),
                Err(JwtError::Algorithm),
                "{alg}"
            );
        }
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(
            verify_push(&none, &keys(), &EXPECT, NOW),
            Err(JwtError::Algorithm)
        );
        // HS256 keyed with the public modulus (the classic confusion attack).
        let public = test_key().to_public_key();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        let mac = crate::domain::crypto::hmac_sha256(&public.n().to_bytes_be(), input.as_bytes());
        let hs = format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac));
        assert_eq!(
            verify_push(&hs, &keys(), &EXPECT, NOW),
            Err(JwtError::Algorithm)
        );
    }

    #[test]
    fn claims_are_checked() {
        let cases: [(&str, Value, JwtError); 8] = [
            ("aud", json!("https://other.example"), JwtError::Audience),
            (
                "email",
                json!("evil@proj.iam.gserviceaccount.com"),
                JwtError::Email,
            ),
            ("email_verified", json!(false), JwtError::EmailUnverified),
            ("iss", json!("https://evil.example"), JwtError::Issuer),
            ("exp", json!(NOW - SKEW_S - 1), JwtError::Expired),
            ("exp", Value::Null, JwtError::Expired),
            ("iat", json!(NOW + SKEW_S + 1), JwtError::NotYetValid),
            ("iat", Value::Null, JwtError::NotYetValid),
        ];
        for (field, value, want) in cases {
            let mut c = claims();
            c[field] = value.clone();
            let t = sign_with(&header(), &c, &test_key());
            assert_eq!(
                verify_push(&t, &keys(), &EXPECT, NOW),
                Err(want),
                "{field}={value}"
            );
        }
        // Within the skew is fine.
        let mut c = claims();
        c["exp"] = json!(NOW - SKEW_S);
        let t = sign_with(&header(), &c, &test_key());
        assert!(verify_push(&t, &keys(), &EXPECT, NOW).is_ok());
        // An unset expectation matches nothing.
        let t = sign_with(&header(), &claims(), &test_key());
        let unset = PushExpect {
            audience: "",
            email: EXPECT.email,
        };
        assert_eq!(
            verify_push(&t, &keys(), &unset, NOW),
            Err(JwtError::Audience)
        );
    }

    #[test]
    fn unknown_kid_wrong_key_and_tampering_are_refused() {
        let mut h = header();
        h["kid"] = json!("k2");
        let t = sign_with(&h, &claims(), &test_key());
        assert_eq!(
            verify_push(&t, &keys(), &EXPECT, NOW),
            Err(JwtError::UnknownKid)
        );
        let mut h = header();
        h.as_object_mut().unwrap().remove("kid");
        let t = sign_with(&h, &claims(), &test_key());
        assert_eq!(
            verify_push(&t, &keys(), &EXPECT, NOW),
            Err(JwtError::UnknownKid)
        );
        // Signed by another key published under our kid's name elsewhere.
        let other =
            RsaPrivateKey::new(&mut rand_chacha::ChaCha20Rng::seed_from_u64(9), 1024).unwrap();
        let t = sign_with(&header(), &claims(), &other);
        assert_eq!(
            verify_push(&t, &keys(), &EXPECT, NOW),
            Err(JwtError::Signature)
        );
        // A genuine signature over changed claims.
        let t = sign_with(&header(), &claims(), &test_key());
        let parts: Vec<&str> = t.split('.').collect();
        let mut c = claims();
        c["email"] = json!("evil@proj.iam.gserviceaccount.com");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(c.to_string()),
            parts[2]
        );
        assert_eq!(
            verify_push(&forged, &keys(), &EXPECT, NOW),
            Err(JwtError::Signature)
        );
        for junk in ["", "a", "a.b", "a.b.c", "a.b.c.d", "..", "e30.e30.e30"] {
            assert!(verify_push(junk, &keys(), &EXPECT, NOW).is_err(), "{junk}");
        }
    }

    #[test]
    fn jwks_parsing_skips_what_it_cannot_use() {
        assert_eq!(keys().len(), 1);
        assert!(parse_jwks(b"{").is_empty());
        assert!(parse_jwks(br#"{"keys":[{"kty":"EC","kid":"x"}]}"#).is_empty());
        assert!(
            parse_jwks(br#"{"keys":[{"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB"}]}"#).is_empty()
        );
    }

    #[test]
    fn assertions_sign_and_verify() {
        use rsa::pkcs8::EncodePrivateKey as _;
        let der = test_key().to_pkcs8_der().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
        );
        let key = private_key_from_pem(&pem).unwrap();
        let claims = json!({"iss": "sa@proj.iam.gserviceaccount.com", "aud": "https://oauth2.googleapis.com/token", "iat": NOW, "exp": NOW + 3600});
        let input = rs256_signing_input(&claims);
        let t = compact(&input, &sign_rs256_pkcs8(&key, input.as_bytes()).unwrap());
        assert_eq!(
            verify_rs256(&t, &keys()).err(),
            Some(JwtError::UnknownKid),
            "no kid in an assertion"
        );
        // Verify the signature directly with the public key.
        let parts: Vec<&str> = t.split('.').collect();
        let sig =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(test_key().to_public_key())
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
        assert_eq!(private_key_from_pem("nope").unwrap_err(), KeyError::BadKey);
        assert_eq!(
            private_key_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .unwrap_err(),
            KeyError::BadKey
        );
    }
}
