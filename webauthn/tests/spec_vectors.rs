//! The WebAuthn Level 3 specification's own test vectors (§16, fixtures/README.md):
//! each registration is verified, then the authentication made with the same
//! credential is verified against the stored result, exactly as the spec
//! suggests relying parties check themselves. Only the public API is used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mid_webauthn::{
    base64url_encode, AttestationPolicy, AttestationType, AuthenticationExpectations,
    AuthenticationResponseJSON, RegistrationExpectations, RegistrationResponseJSON,
    StoredCredential, VerifiedRegistration, WebauthnError, ALG_EDDSA, ALG_ES256, ALG_RS256,
};
use serde_json::{json, Value};

/// §7.1, its signatures discharged by the pure-Rust verifier.
fn verify_registration(
    r: &RegistrationResponseJSON,
    e: &RegistrationExpectations<'_>,
) -> Result<mid_webauthn::VerifiedRegistration, mid_webauthn::WebauthnError> {
    mid_webauthn::verify_registration(r, e)?.verify_now()
}

/// §7.2, its signature discharged by the pure-Rust verifier.
fn verify_authentication(
    r: &AuthenticationResponseJSON,
    e: &AuthenticationExpectations<'_>,
    s: &StoredCredential<'_>,
) -> Result<mid_webauthn::VerifiedAuthentication, mid_webauthn::WebauthnError> {
    mid_webauthn::verify_authentication(r, e, s)?.verify_now()
}

/// Every example's RP ID, origin and (where used) top origin (§16).
const RP_ID: &str = "example.org";
const ORIGIN: &str = "https://example.org";
const TOP_ORIGIN: &str = "https://example.com";
/// 2026-01-01: inside every example certificate's validity period.
const NOW: i64 = 1_767_225_600;
const ALGS: &[i64] = &[ALG_EDDSA, ALG_ES256, ALG_RS256];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn bytes(v: &Value, key: &str) -> Vec<u8> {
    let text = v[key].as_str().unwrap_or_else(|| panic!("{key} missing"));
    assert!(text.len().is_multiple_of(2), "{key}: odd hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(v: &Value, key: &str) -> String {
    base64url_encode(&bytes(v, key))
}

fn root() -> Vec<u8> {
    bytes(&fixture("attestation-root-cert"), "attestation_ca_cert")
}

#[derive(Clone, Copy, Default)]
struct Context {
    cross_origin: bool,
    top_origin: bool,
}

fn register(v: &Value, ctx: Context) -> Result<VerifiedRegistration, WebauthnError> {
    let reg = &v["registration"];
    let id = b64(reg, "credential_id");
    let response: RegistrationResponseJSON = serde_json::from_value(json!({
        "id": id, "rawId": id, "type": "public-key", "clientExtensionResults": {},
        "response": {
            "clientDataJSON": b64(reg, "clientDataJSON"),
            "attestationObject": b64(reg, "attestationObject"),
        },
    }))
    .unwrap();
    let roots = [root()];
    let tops: &[&str] = if ctx.top_origin { &[TOP_ORIGIN] } else { &[] };
    verify_registration(
        &response,
        &RegistrationExpectations {
            challenge: &bytes(reg, "challenge"),
            origins: &[ORIGIN],
            rp_id: RP_ID,
            require_user_verification: false,
            allowed_algorithms: ALGS,
            allow_cross_origin: ctx.cross_origin,
            allowed_top_origins: tops,
            attestation: AttestationPolicy {
                require_trusted_attestation: false,
                trust_roots: &roots,
                now_unix: Some(NOW),
                android_key_allow_software: false,
            },
        },
    )
}

fn authenticate(v: &Value, reg: &VerifiedRegistration, ctx: Context) -> Result<(), WebauthnError> {
    let auth = &v["authentication"];
    let id = base64url_encode(&reg.credential_id);
    let response: AuthenticationResponseJSON = serde_json::from_value(json!({
        "id": id, "rawId": id, "type": "public-key", "clientExtensionResults": {},
        "response": {
            "clientDataJSON": b64(auth, "clientDataJSON"),
            "authenticatorData": b64(auth, "authenticatorData"),
            "signature": b64(auth, "signature"),
        },
    }))
    .unwrap();
    let tops: &[&str] = if ctx.top_origin { &[TOP_ORIGIN] } else { &[] };
    let done = verify_authentication(
        &response,
        &AuthenticationExpectations {
            challenge: &bytes(auth, "challenge"),
            origins: &[ORIGIN],
            rp_id: RP_ID,
            require_user_verification: false,
            allow_credentials: Some(std::slice::from_ref(&reg.credential_id)),
            expected_user_handle: None,
            allow_cross_origin: ctx.cross_origin,
            allowed_top_origins: tops,
        },
        &StoredCredential {
            id: &reg.credential_id,
            cose_public_key: &reg.cose_public_key,
            sign_count: reg.sign_count,
            backup_eligible: reg.backup_eligible,
            user_handle: None,
        },
    )?;
    assert_eq!(done.credential_id, reg.credential_id);
    Ok(())
}

/// Registration then authentication; returns the registration for format checks.
fn ceremony_pair(name: &str, ctx: Context) -> VerifiedRegistration {
    let v = fixture(name);
    let reg = register(&v, ctx).unwrap_or_else(|e| panic!("{name}: registration: {e:?}"));
    assert_eq!(
        reg.credential_id,
        bytes(&v["registration"], "credential_id"),
        "{name}"
    );
    assert_eq!(
        reg.aaguid[..],
        bytes(&v["registration"], "aaguid")[..],
        "{name}"
    );
    authenticate(&v, &reg, ctx).unwrap_or_else(|e| panic!("{name}: authentication: {e:?}"));
    reg
}

/// The attested examples chain to the spec's attestation root.
fn assert_chained_to_root(reg: &VerifiedRegistration) {
    let chain = reg.attestation_type.chain().expect("an x5c chain");
    assert!(!chain.is_empty());
}

#[test]
fn none_es256() {
    let reg = ceremony_pair("none-es256", Context::default());
    assert_eq!(reg.attestation_format, "none");
    assert_eq!(reg.attestation_type, AttestationType::None);
    assert_eq!(reg.alg, ALG_ES256);
}

#[test]
fn packed_self_attestation_es256() {
    let reg = ceremony_pair("packed-self-es256", Context::default());
    assert_eq!(reg.attestation_format, "packed");
    assert_eq!(reg.attestation_type, AttestationType::SelfAttestation);
}

#[test]
fn packed_x5c_es256_rs256_eddsa() {
    for (name, alg) in [
        ("packed-es256", ALG_ES256),
        ("packed-rs256", ALG_RS256),
        ("packed-eddsa", ALG_EDDSA),
    ] {
        let reg = ceremony_pair(name, Context::default());
        assert_eq!(reg.attestation_format, "packed", "{name}");
        assert_eq!(reg.alg, alg, "{name}");
        assert!(
            matches!(reg.attestation_type, AttestationType::Basic(_)),
            "{name}"
        );
        assert_chained_to_root(&reg);
    }
}

#[test]
fn tpm_es256() {
    let reg = ceremony_pair("tpm-es256", Context::default());
    assert_eq!(reg.attestation_format, "tpm");
    assert!(matches!(reg.attestation_type, AttestationType::AttCa(_)));
    assert_chained_to_root(&reg);
}

#[test]
fn android_key_es256_is_refused_for_its_empty_authorization_lists() {
    // The spec's example KeyDescription has empty softwareEnforced and
    // teeEnforced lists, so it cannot meet §8.4's own requirement that
    // `origin` is KM_ORIGIN_GENERATED and `purpose` KM_PURPOSE_SIGN (in
    // teeEnforced, or in the union when the RP allows software keys).
    // Everything before that step is the same code the packed/tpm examples pass.
    let v = fixture("android-key-es256");
    assert_eq!(
        register(&v, Context::default()).err(),
        Some(WebauthnError::InvalidAttestation)
    );
}

#[test]
fn apple_anonymous_es256() {
    let reg = ceremony_pair("apple-es256", Context::default());
    assert_eq!(reg.attestation_format, "apple");
    assert!(matches!(reg.attestation_type, AttestationType::AnonCa(_)));
    assert_chained_to_root(&reg);
}

#[test]
fn fido_u2f_es256() {
    let reg = ceremony_pair("fido-u2f-es256", Context::default());
    assert_eq!(reg.attestation_format, "fido-u2f");
    assert_chained_to_root(&reg);
}

#[test]
fn long_credential_id() {
    let reg = ceremony_pair("none-es256-long-credential-id", Context::default());
    assert!(
        reg.credential_id.len() > 1000,
        "{}",
        reg.credential_id.len()
    );
}

#[test]
fn cross_origin_and_top_origin_need_the_rp_to_allow_them() {
    let cross = Context {
        cross_origin: true,
        top_origin: false,
    };
    let top = Context {
        cross_origin: true,
        top_origin: true,
    };
    ceremony_pair("none-es256-crossOrigin", cross);
    ceremony_pair("none-es256-topOrigin", top);
    // The same responses are refused by an RP that does not embed.
    for name in ["none-es256-crossOrigin", "none-es256-topOrigin"] {
        assert!(
            register(&fixture(name), Context::default()).is_err(),
            "{name}"
        );
    }
}

#[test]
fn algorithms_not_offered_are_refused() {
    // ES384, ES512 and Ed448 are outside MID's pubKeyCredParams (§7.1 step 20).
    for name in ["packed-es384", "packed-es512", "packed-ed448"] {
        assert!(
            register(&fixture(name), Context::default()).is_err(),
            "{name}"
        );
    }
}

#[test]
fn trusted_attestation_accepts_the_spec_root_and_nothing_else() {
    let v = fixture("packed-es256");
    let reg = &v["registration"];
    let id = b64(reg, "credential_id");
    let response: RegistrationResponseJSON = serde_json::from_value(json!({
        "id": id, "rawId": id, "type": "public-key",
        "response": {
            "clientDataJSON": b64(reg, "clientDataJSON"),
            "attestationObject": b64(reg, "attestationObject"),
        },
    }))
    .unwrap();
    let challenge = bytes(reg, "challenge");
    let verify = |roots: &[Vec<u8>], now: i64| {
        verify_registration(
            &response,
            &RegistrationExpectations {
                challenge: &challenge,
                origins: &[ORIGIN],
                rp_id: RP_ID,
                require_user_verification: false,
                allowed_algorithms: ALGS,
                allow_cross_origin: false,
                allowed_top_origins: &[],
                attestation: AttestationPolicy {
                    require_trusted_attestation: true,
                    trust_roots: roots,
                    now_unix: Some(now),
                    android_key_allow_software: false,
                },
            },
        )
    };
    assert!(verify(&[root()], NOW).is_ok());
    assert!(verify(&[], NOW).is_err());
    // 2023-01-01: before the root's notBefore (2024-01-01).
    assert!(verify(&[root()], 1_672_531_200).is_err());
}
