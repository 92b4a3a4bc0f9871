//! §7.1 registration: one accepted case per algorithm, one failing case per step.
//! Vectors: `support::ceremony::Reg` with seeded keys (P-256 seed 1, Ed25519 seed 2, RSA seed 0x5eed).

use super::super::*;
use super::support::cbor::{b, i, t, C};
use super::support::ceremony::*;
use super::support::keys::{ed25519, es256, rsa};
use super::verify_registration;

fn err(resp: &RegistrationResponseJSON) -> WebauthnError {
    verify_registration(resp, &reg_expect()).unwrap_err()
}

#[test]
fn accepts_none_es256() {
    let reg = Reg::new(es256(1));
    let out = verify_registration(&reg.none(), &reg_expect()).unwrap();
    assert_eq!(out.credential_id, reg.cred_id);
    assert_eq!(out.cose_public_key, reg.cose);
    assert_eq!(out.alg, -7);
    assert_eq!(out.sign_count, 0);
    assert!(out.user_verified && !out.backup_eligible && !out.backup_state);
    assert_eq!(out.transports, vec!["internal".to_string()]);
    assert_eq!(out.attestation_format, "none");
    assert_eq!(out.attestation_type, AttestationType::None);
    assert!(!out.attestation_trusted);
    assert_eq!(cose_algorithm(&out.cose_public_key).unwrap(), -7);
}

#[test]
fn accepts_packed_self_for_each_algorithm() {
    for key in [es256(1), ed25519(2), rsa(0)] {
        let alg = key.alg();
        let reg = Reg::new(key);
        let out = verify_registration(&reg.packed_self(), &reg_expect()).unwrap();
        assert_eq!(out.alg, alg);
        assert_eq!(out.attestation_type, AttestationType::SelfAttestation);
    }
}

#[test]
fn reports_flags_and_aaguid() {
    let mut reg = Reg::new(es256(1));
    reg.flags = UP | BE | BS | AT;
    reg.aaguid = [7; 16];
    reg.count = 9;
    let mut exp = reg_expect();
    exp.require_user_verification = false;
    let out = verify_registration(&reg.none(), &exp).unwrap();
    assert!(out.backup_eligible && out.backup_state && !out.user_verified);
    assert_eq!(out.aaguid, [7; 16]);
    assert_eq!(out.sign_count, 9);
}

#[test]
fn rejects_wrong_credential_type() {
    let mut resp = Reg::new(es256(1)).none();
    resp.type_ = "password".into();
    assert_eq!(err(&resp), WebauthnError::MalformedResponse);
}

#[test]
fn rejects_client_data_type_get() {
    let mut reg = Reg::new(es256(1));
    reg.client_data = client_data("webauthn.get", CHALLENGE, ORIGIN, "");
    assert_eq!(err(&reg.none()), WebauthnError::TypeMismatch);
}

#[test]
fn rejects_wrong_challenge() {
    let mut reg = Reg::new(es256(1));
    reg.client_data = client_data("webauthn.create", b"another challenge", ORIGIN, "");
    assert_eq!(err(&reg.none()), WebauthnError::ChallengeMismatch);
    // A prefix of the right challenge is still wrong.
    reg.client_data = client_data("webauthn.create", &CHALLENGE[..10], ORIGIN, "");
    assert_eq!(err(&reg.none()), WebauthnError::ChallengeMismatch);
}

#[test]
fn rejects_origins_that_differ_in_any_part() {
    for origin in [
        "http://mid.example",
        "https://mid.example:8443",
        "https://sub.mid.example",
        "https://mid.example/",
        "https://MID.example",
        "https://mid.example.evil",
    ] {
        let mut reg = Reg::new(es256(1));
        reg.client_data = client_data("webauthn.create", CHALLENGE, origin, "");
        assert_eq!(err(&reg.none()), WebauthnError::OriginMismatch, "{origin}");
    }
}

#[test]
fn cross_origin_rejected_unless_configured() {
    let mut reg = Reg::new(es256(1));
    reg.client_data = client_data(
        "webauthn.create",
        CHALLENGE,
        ORIGIN,
        r#","crossOrigin":true"#,
    );
    assert_eq!(err(&reg.none()), WebauthnError::CrossOriginNotAllowed);
    let mut exp = reg_expect();
    exp.allow_cross_origin = true;
    assert!(verify_registration(&reg.none(), &exp).is_ok());
    // crossOrigin false is the normal case.
    reg.client_data = client_data(
        "webauthn.create",
        CHALLENGE,
        ORIGIN,
        r#","crossOrigin":false"#,
    );
    assert!(verify_registration(&reg.none(), &reg_expect()).is_ok());
}

#[test]
fn top_origin_must_be_allowed() {
    let mut reg = Reg::new(es256(1));
    reg.client_data = client_data(
        "webauthn.create",
        CHALLENGE,
        ORIGIN,
        r#","crossOrigin":true,"topOrigin":"https://shop.example""#,
    );
    assert_eq!(err(&reg.none()), WebauthnError::CrossOriginNotAllowed);
    let mut exp = reg_expect();
    exp.allow_cross_origin = true;
    assert_eq!(
        verify_registration(&reg.none(), &exp).unwrap_err(),
        WebauthnError::TopOriginMismatch
    );
    exp.allowed_top_origins = &["https://shop.example"];
    assert!(verify_registration(&reg.none(), &exp).is_ok());
}

#[test]
fn rejects_malformed_client_data() {
    let mut reg = Reg::new(es256(1));
    reg.client_data = b"{\"type\":".to_vec();
    assert_eq!(err(&reg.none()), WebauthnError::MalformedResponse);
    reg.client_data = vec![0xff, 0xfe];
    assert_eq!(err(&reg.none()), WebauthnError::MalformedResponse);
}

#[test]
fn flipped_client_data_breaks_attestation_signature() {
    let reg = Reg::new(es256(1));
    let mut resp = reg.packed_self();
    // Same semantic content, different bytes: only the signature can notice.
    let text = String::from_utf8(resp.response.client_data_json.clone()).unwrap();
    resp.response.client_data_json = text.replace('}', r#","extra":1}"#).into_bytes();
    assert_eq!(err(&resp), WebauthnError::InvalidAttestation);
}

#[test]
fn flipped_auth_data_bits_are_caught() {
    let reg = Reg::new(es256(1));
    // Counter bit: only the attestation signature covers it.
    let mut ad = reg.auth_data();
    ad[36] ^= 0x01;
    let sig = reg.key.sign(&reg.to_be_signed(&reg.auth_data()));
    let stmt = C::M(vec![(t("alg"), i(-7)), (t("sig"), b(&sig))]);
    assert_eq!(
        err(&reg.with("packed", stmt, &ad)),
        WebauthnError::InvalidAttestation
    );
    // rpIdHash bit.
    let mut ad = reg.auth_data();
    ad[0] ^= 0x80;
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::RpIdMismatch
    );
}

#[test]
fn rejects_wrong_rp_id_hash() {
    let mut reg = Reg::new(es256(1));
    reg.rp_id = "evil.example".into();
    assert_eq!(err(&reg.none()), WebauthnError::RpIdMismatch);
}

#[test]
fn requires_user_presence() {
    let mut reg = Reg::new(es256(1));
    reg.flags = UV | AT;
    assert_eq!(err(&reg.none()), WebauthnError::UserNotPresent);
}

#[test]
fn requires_user_verification_only_when_asked() {
    let mut reg = Reg::new(es256(1));
    reg.flags = UP | AT;
    assert_eq!(err(&reg.none()), WebauthnError::UserNotVerified);
    let mut exp = reg_expect();
    exp.require_user_verification = false;
    assert!(verify_registration(&reg.none(), &exp).is_ok());
}

#[test]
fn rejects_backup_state_without_eligibility() {
    let mut reg = Reg::new(es256(1));
    reg.flags = UP | UV | BS | AT;
    assert_eq!(
        err(&reg.none()),
        WebauthnError::BackupStateWithoutEligibility
    );
}

#[test]
fn at_flag_must_match_attested_data() {
    let reg = Reg::new(es256(1));
    // Attested data present, AT clear.
    let mut ad = reg.auth_data();
    ad[32] &= !AT;
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::AttestedDataMismatch
    );
    // AT clear and no attested data at all.
    let ad = auth_data(RP_ID, UP | UV, 0, &[]);
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::AttestedDataMismatch
    );
    // AT set but the data is cut short.
    let ad = auth_data(RP_ID, UP | UV | AT, 0, &[0; 10]);
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::AttestedDataMismatch
    );
}

#[test]
fn ed_flag_must_match_extension_data() {
    let reg = Reg::new(es256(1));
    let ext = C::M(vec![(t("credProtect"), i(2))]).encode();
    // ED set with extensions: accepted.
    let mut ad = reg.auth_data();
    ad[32] |= ED;
    ad.extend(&ext);
    assert!(verify_registration(&reg.with("none", C::M(vec![]), &ad), &reg_expect()).is_ok());
    // ED set, no extensions.
    let mut ad = reg.auth_data();
    ad[32] |= ED;
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::ExtensionDataMismatch
    );
    // Extensions without ED.
    let mut ad = reg.auth_data();
    ad.extend(&ext);
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::ExtensionDataMismatch
    );
}

#[test]
fn rejects_algorithm_not_offered() {
    let reg = Reg::new(ed25519(2));
    let mut exp = reg_expect();
    exp.allowed_algorithms = &[-7, -257];
    assert_eq!(
        verify_registration(&reg.none(), &exp).unwrap_err(),
        WebauthnError::UnsupportedAlgorithm
    );
}

#[test]
fn rejects_unsupported_cose_algorithm() {
    let mut reg = Reg::new(es256(1));
    // ES384 (-35) is not implemented.
    reg.cose = C::M(vec![(i(1), i(2)), (i(3), i(-35)), (i(-1), i(2))]).encode();
    assert_eq!(err(&reg.none()), WebauthnError::UnsupportedAlgorithm);
}

#[test]
fn rejects_malformed_cose_keys() {
    let key = es256(1);
    let p = key.p256_point();
    let bad_keys = [
        // Wrong curve for EC2.
        C::M(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(-1), i(6)),
            (i(-2), b(&p[1..33])),
            (i(-3), b(&p[33..])),
        ]),
        // Short x.
        C::M(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(-1), i(1)),
            (i(-2), b(&p[2..33])),
            (i(-3), b(&p[33..])),
        ]),
        // Point not on the curve.
        C::M(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(-1), i(1)),
            (i(-2), b(&[1; 32])),
            (i(-3), b(&[2; 32])),
        ]),
        // ES256 declared on an OKP key.
        C::M(vec![
            (i(1), i(1)),
            (i(3), i(-7)),
            (i(-1), i(6)),
            (i(-2), b(&[3; 32])),
        ]),
        // Missing alg.
        C::M(vec![
            (i(1), i(2)),
            (i(-1), i(1)),
            (i(-2), b(&p[1..33])),
            (i(-3), b(&p[33..])),
        ]),
        // Private key included.
        C::M(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(-1), i(1)),
            (i(-2), b(&p[1..33])),
            (i(-3), b(&p[33..])),
            (i(-4), b(&[1; 32])),
        ]),
        // Not a map.
        C::A(vec![i(1)]),
    ];
    for bad in bad_keys {
        let mut reg = Reg::new(key.clone());
        reg.cose = bad.encode();
        assert_eq!(err(&reg.none()), WebauthnError::InvalidPublicKey, "{bad:?}");
    }
}

#[test]
fn credential_id_length_limit() {
    let mut reg = Reg::new(es256(1));
    reg.cred_id = vec![0xab; 1023];
    assert!(verify_registration(&reg.none(), &reg_expect()).is_ok());
    reg.cred_id = vec![0xab; 1024];
    assert_eq!(err(&reg.none()), WebauthnError::CredentialIdTooLong);
}

#[test]
fn ids_must_agree() {
    let reg = Reg::new(es256(1));
    let mut resp = reg.none();
    resp.id = base64url_encode(b"something else");
    assert_eq!(err(&resp), WebauthnError::CredentialIdMismatch);
    let mut resp = reg.none();
    resp.raw_id = vec![0x22; 32];
    resp.id = base64url_encode(&resp.raw_id);
    assert_eq!(err(&resp), WebauthnError::CredentialIdMismatch);
}

#[test]
fn rejects_trailing_bytes_after_attestation_object() {
    let mut resp = Reg::new(es256(1)).none();
    resp.response.attestation_object.push(0x00);
    assert_eq!(err(&resp), WebauthnError::TrailingBytes);
    assert_eq!(WebauthnError::TrailingBytes.code(), "malformed_response");
}

#[test]
fn rejects_trailing_bytes_after_auth_data() {
    let reg = Reg::new(es256(1));
    let mut ad = reg.auth_data();
    ad.push(0x00);
    assert_eq!(
        err(&reg.with("none", C::M(vec![]), &ad)),
        WebauthnError::TrailingBytes
    );
}

#[test]
fn rejects_malformed_attestation_object() {
    let reg = Reg::new(es256(1));
    let mut resp = reg.none();
    resp.response.attestation_object = C::M(vec![(t("fmt"), t("none"))]).encode();
    assert_eq!(err(&resp), WebauthnError::MalformedResponse);
    resp.response.attestation_object = vec![0xa3];
    assert_eq!(err(&resp), WebauthnError::MalformedResponse);
}

#[test]
fn rejects_unknown_attestation_format() {
    let reg = Reg::new(es256(1));
    let resp = reg.with("android-safetynet-v2", C::M(vec![]), &reg.auth_data());
    assert_eq!(err(&resp), WebauthnError::UnsupportedAttestation);
    // Format names are case-sensitive.
    let resp = reg.with("None", C::M(vec![]), &reg.auth_data());
    assert_eq!(err(&resp), WebauthnError::UnsupportedAttestation);
    assert_eq!(
        WebauthnError::UnsupportedAttestation.code(),
        "unsupported_attestation"
    );
}

#[test]
fn parses_browser_json_with_unknown_fields() {
    let reg = Reg::new(es256(1));
    let resp = reg.none();
    let json = format!(
        r#"{{"id":"{id}","rawId":"{id}","type":"public-key","authenticatorAttachment":"platform",
        "clientExtensionResults":{{"credProps":{{"rk":true}}}},"futureField":[1,2],
        "response":{{"clientDataJSON":"{cd}","attestationObject":"{ao}","transports":["hybrid","internal"],
        "publicKeyAlgorithm":-7,"publicKey":"AAAA","authenticatorData":"AAAA","somethingNew":true}}}}"#,
        id = resp.id,
        cd = base64url_encode(&resp.response.client_data_json),
        ao = base64url_encode(&resp.response.attestation_object),
    );
    let parsed: RegistrationResponseJSON = serde_json::from_slice(json.as_bytes()).unwrap();
    let out = verify_registration(&parsed, &reg_expect()).unwrap();
    assert_eq!(
        out.transports,
        vec!["hybrid".to_string(), "internal".to_string()]
    );
    assert_eq!(out.authenticator_attachment.as_deref(), Some("platform"));
}

#[test]
fn creation_options_serialize_without_none_fields() {
    let options = PublicKeyCredentialCreationOptionsJSON {
        rp: PublicKeyCredentialRpEntity {
            id: Some(RP_ID.into()),
            name: "MID".into(),
        },
        user: PublicKeyCredentialUserEntityJSON {
            id: USER.to_vec(),
            name: "ada".into(),
            display_name: "Ada".into(),
        },
        challenge: vec![0xfb, 0xff],
        pub_key_cred_params: vec![PublicKeyCredentialParameters {
            type_: "public-key".into(),
            alg: -8,
        }],
        timeout: Some(60_000),
        exclude_credentials: None,
        authenticator_selection: Some(AuthenticatorSelectionCriteria {
            resident_key: Some("required".into()),
            require_resident_key: Some(true),
            user_verification: Some("required".into()),
            authenticator_attachment: None,
        }),
        attestation: Some("none".into()),
        extensions: None,
    };
    let json = serde_json::to_value(&options).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "rp": {"id": "mid.example", "name": "MID"},
            "user": {"id": "dXNlci1oYW5kbGUtMQ", "name": "ada", "displayName": "Ada"},
            "challenge": "-_8",
            "pubKeyCredParams": [{"type": "public-key", "alg": -8}],
            "timeout": 60000,
            "authenticatorSelection": {"residentKey": "required", "requireResidentKey": true, "userVerification": "required"},
            "attestation": "none"
        })
    );
    let request = PublicKeyCredentialRequestOptionsJSON {
        challenge: vec![1],
        timeout: None,
        rp_id: Some(RP_ID.into()),
        allow_credentials: Some(vec![PublicKeyCredentialDescriptorJSON {
            type_: "public-key".into(),
            id: vec![0x11; 3],
            transports: None,
        }]),
        user_verification: Some("required".into()),
        extensions: None,
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::json!({"challenge": "AQ", "rpId": "mid.example",
            "allowCredentials": [{"type": "public-key", "id": "ERER"}], "userVerification": "required"})
    );
}

#[test]
fn error_codes_use_the_service_vocabulary() {
    use WebauthnError::*;
    let all = [
        TypeMismatch,
        ChallengeMismatch,
        OriginMismatch,
        CrossOriginNotAllowed,
        TopOriginMismatch,
        RpIdMismatch,
        UserNotPresent,
        UserNotVerified,
        BackupStateWithoutEligibility,
        BackupEligibilityChanged,
        AttestedDataMismatch,
        ExtensionDataMismatch,
        TrailingBytes,
        BadSignature,
        CounterRegression,
        UnknownCredential,
        UserHandleMismatch,
        CredentialIdTooLong,
        CredentialIdMismatch,
        CredentialExists,
        UnsupportedAlgorithm,
        InvalidPublicKey,
        UnsupportedAttestation,
        InvalidAttestation,
        UntrustedAttestation,
        CeremonyExpired,
        MalformedResponse,
    ];
    let codes = [
        "challenge_mismatch",
        "origin_mismatch",
        "rp_id_mismatch",
        "user_not_present",
        "user_not_verified",
        "bad_signature",
        "counter_regression",
        "unknown_credential",
        "credential_exists",
        "unsupported_algorithm",
        "unsupported_attestation",
        "invalid_attestation",
        "malformed_response",
        "ceremony_expired",
    ];
    for e in all {
        assert!(codes.contains(&e.code()), "{e:?}");
        assert!(!e.message().is_empty());
        assert!(e.to_string().starts_with(e.code()));
    }
    assert_eq!(ChallengeMismatch.code(), "challenge_mismatch");
    assert_eq!(CrossOriginNotAllowed.code(), "origin_mismatch");
    assert_eq!(CredentialIdTooLong.code(), "malformed_response");
}
