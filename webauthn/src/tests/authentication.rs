//! §7.2 authentication: accepted cases per algorithm, one failing case per step.
//! Vectors: `support::ceremony::Auth` signing with seeded keys.

use super::super::*;
use super::support::ceremony::*;
use super::support::keys::{ed25519, es256, rsa, TestKey};
use super::{verify_authentication, verify_signature};

fn verify(
    auth: &Auth,
    resp: &AuthenticationResponseJSON,
    stored_count: u32,
) -> Result<VerifiedAuthentication, WebauthnError> {
    let cose = auth.key.cose();
    verify_authentication(
        resp,
        &auth_expect(),
        &stored(&auth.cred_id, &cose, stored_count),
    )
}

fn err(auth: &Auth, resp: &AuthenticationResponseJSON) -> WebauthnError {
    verify(auth, resp, 4).unwrap_err()
}

#[test]
fn accepts_each_algorithm() {
    for key in [es256(1), ed25519(2), rsa(0)] {
        let auth = Auth::new(key);
        let out = verify(&auth, &auth.response(), 4).unwrap();
        assert_eq!(out.sign_count, 5);
        assert_eq!(out.counter, CounterCheck::Incremented);
        assert!(out.user_verified && !out.backup_state && !out.backup_eligible);
        assert_eq!(out.user_handle.as_deref(), Some(USER));
        assert_eq!(out.credential_id, auth.cred_id);
    }
}

#[test]
fn counters() {
    let mut auth = Auth::new(es256(1));
    auth.count = 0;
    assert_eq!(
        verify(&auth, &auth.response(), 0).unwrap().counter,
        CounterCheck::BothZero
    );
    assert_eq!(
        verify(&auth, &auth.response(), 3).unwrap_err(),
        WebauthnError::CounterRegression
    );
    auth.count = 1;
    assert_eq!(
        verify(&auth, &auth.response(), 0).unwrap().counter,
        CounterCheck::Incremented
    );
    auth.count = 5;
    assert_eq!(
        verify(&auth, &auth.response(), 5).unwrap_err(),
        WebauthnError::CounterRegression
    );
    assert_eq!(
        verify(&auth, &auth.response(), 6).unwrap_err(),
        WebauthnError::CounterRegression
    );
    assert_eq!(
        verify(&auth, &auth.response(), u32::MAX).unwrap_err(),
        WebauthnError::CounterRegression
    );
}

#[test]
fn flipped_bits_break_the_signature() {
    let auth = Auth::new(es256(1));
    // authData counter bit (the signature covers it).
    let mut resp = auth.response();
    resp.response.authenticator_data[36] ^= 0x02;
    assert_eq!(err(&auth, &resp), WebauthnError::BadSignature);
    // clientDataJSON byte with the same meaning (a space inserted).
    let mut resp = auth.response();
    let text = String::from_utf8(resp.response.client_data_json.clone()).unwrap();
    resp.response.client_data_json = text.replacen(",", ", ", 1).into_bytes();
    assert_eq!(err(&auth, &resp), WebauthnError::BadSignature);
    // Signature bits, for every algorithm.
    for key in [es256(1), ed25519(2), rsa(0)] {
        let auth = Auth::new(key);
        let mut resp = auth.response();
        let last = resp.response.signature.len() - 1;
        resp.response.signature[last] ^= 0x01;
        assert_eq!(err(&auth, &resp), WebauthnError::BadSignature);
        resp.response.signature.clear();
        assert_eq!(err(&auth, &resp), WebauthnError::BadSignature);
    }
}

#[test]
fn rejects_signature_from_another_key() {
    for (signer, stored_key) in [
        (es256(9), es256(1)),
        (ed25519(9), ed25519(2)),
        (rsa(1), rsa(0)),
    ] {
        let auth = Auth::new(signer);
        let resp = auth.response();
        let cose = stored_key.cose();
        let res = verify_authentication(&resp, &auth_expect(), &stored(&auth.cred_id, &cose, 0));
        assert_eq!(res.unwrap_err(), WebauthnError::BadSignature);
    }
}

#[test]
fn es256_signature_must_be_der() {
    let auth = Auth::new(es256(1));
    let mut resp = auth.response();
    let sig = p256::ecdsa::Signature::from_der(&resp.response.signature).unwrap();
    // Raw r||s (as in WebCrypto) is not the WebAuthn encoding.
    resp.response.signature = sig.to_bytes().to_vec();
    assert_eq!(err(&auth, &resp), WebauthnError::BadSignature);
}

#[test]
fn client_data_steps() {
    let cases = [
        (
            client_data("webauthn.create", CHALLENGE, ORIGIN, ""),
            WebauthnError::TypeMismatch,
        ),
        (
            client_data("webauthn.get", b"old challenge", ORIGIN, ""),
            WebauthnError::ChallengeMismatch,
        ),
        (
            client_data("webauthn.get", CHALLENGE, "https://mid.example:444", ""),
            WebauthnError::OriginMismatch,
        ),
        (
            client_data("webauthn.get", CHALLENGE, "http://mid.example", ""),
            WebauthnError::OriginMismatch,
        ),
        (
            client_data("webauthn.get", CHALLENGE, "https://a.mid.example", ""),
            WebauthnError::OriginMismatch,
        ),
        (
            client_data("webauthn.get", CHALLENGE, "https://mid.example/", ""),
            WebauthnError::OriginMismatch,
        ),
        (
            client_data("webauthn.get", CHALLENGE, ORIGIN, r#","crossOrigin":true"#),
            WebauthnError::CrossOriginNotAllowed,
        ),
        (
            br#"{"type":"webauthn.get"}"#.to_vec(),
            WebauthnError::MalformedResponse,
        ),
    ];
    for (cd, expected) in cases {
        let mut auth = Auth::new(es256(1));
        auth.client_data = cd;
        assert_eq!(err(&auth, &auth.response()), expected);
    }
}

#[test]
fn flag_steps() {
    let cases = [
        (UV, WebauthnError::UserNotPresent),
        (UP, WebauthnError::UserNotVerified),
        (UP | UV | BS, WebauthnError::BackupStateWithoutEligibility),
        (UP | UV | BE, WebauthnError::BackupEligibilityChanged),
    ];
    for (flags, expected) in cases {
        let mut auth = Auth::new(es256(1));
        auth.flags = flags;
        assert_eq!(err(&auth, &auth.response()), expected, "flags {flags:#x}");
    }
    // UV not required: accepted without UV.
    let mut auth = Auth::new(es256(1));
    auth.flags = UP;
    let cose = auth.key.cose();
    let mut exp = auth_expect();
    exp.require_user_verification = false;
    let out =
        verify_authentication(&auth.response(), &exp, &stored(&auth.cred_id, &cose, 0)).unwrap();
    assert!(!out.user_verified);
    // Backed-up credential registered as eligible.
    auth.flags = UP | BE | BS;
    let mut st = stored(&auth.cred_id, &cose, 0);
    st.backup_eligible = true;
    let out = verify_authentication(&auth.response(), &exp, &st).unwrap();
    assert!(out.backup_eligible && out.backup_state);
}

#[test]
fn rejects_wrong_rp_id() {
    let mut auth = Auth::new(es256(1));
    auth.rp_id = "mid.example.com".into();
    assert_eq!(err(&auth, &auth.response()), WebauthnError::RpIdMismatch);
}

#[test]
fn rejects_attested_data_in_assertion() {
    let mut auth = Auth::new(es256(1));
    auth.flags = UP | UV | AT;
    let ad = auth_data(
        RP_ID,
        auth.flags,
        5,
        &attested_data(&[0; 16], &auth.cred_id, &auth.key.cose()),
    );
    let sig = auth.sign(&ad);
    assert_eq!(
        err(&auth, &auth.with(ad, sig)),
        WebauthnError::AttestedDataMismatch
    );
}

#[test]
fn rejects_trailing_bytes_after_auth_data() {
    let auth = Auth::new(es256(1));
    let mut ad = auth.auth_data();
    ad.push(0);
    let sig = auth.sign(&ad);
    assert_eq!(
        err(&auth, &auth.with(ad, sig)),
        WebauthnError::TrailingBytes
    );
    // Too short to hold the fixed header.
    let ad = auth.auth_data()[..36].to_vec();
    let sig = auth.sign(&ad);
    assert_eq!(
        err(&auth, &auth.with(ad, sig)),
        WebauthnError::MalformedResponse
    );
}

#[test]
fn allow_credentials() {
    let auth = Auth::new(es256(1));
    let cose = auth.key.cose();
    let st = stored(&auth.cred_id, &cose, 0);
    let others = vec![vec![0x22; 32], vec![0x33; 16]];
    let mut exp = auth_expect();
    exp.allow_credentials = Some(&others);
    assert_eq!(
        verify_authentication(&auth.response(), &exp, &st).unwrap_err(),
        WebauthnError::UnknownCredential
    );
    let listed = vec![vec![0x22; 32], auth.cred_id.clone()];
    exp.allow_credentials = Some(&listed);
    assert!(verify_authentication(&auth.response(), &exp, &st).is_ok());
}

#[test]
fn stored_credential_must_be_the_one_used() {
    let auth = Auth::new(es256(1));
    let cose = auth.key.cose();
    let other_id = vec![0x99; 32];
    let res = verify_authentication(
        &auth.response(),
        &auth_expect(),
        &stored(&other_id, &cose, 0),
    );
    assert_eq!(res.unwrap_err(), WebauthnError::UnknownCredential);
}

#[test]
fn user_handle_rules() {
    let mut auth = Auth::new(es256(1));
    auth.user_handle = Some(b"someone-else".to_vec());
    assert_eq!(
        err(&auth, &auth.response()),
        WebauthnError::UserHandleMismatch
    );
    assert_eq!(
        WebauthnError::UserHandleMismatch.code(),
        "unknown_credential"
    );
    // Absent user handle with a known user: fine (non-discoverable credential).
    auth.user_handle = None;
    assert!(verify(&auth, &auth.response(), 0).is_ok());
    // Absent user handle with nobody identified beforehand: nothing links it to an account.
    let cose = auth.key.cose();
    let mut exp = auth_expect();
    exp.expected_user_handle = None;
    assert_eq!(
        verify_authentication(&auth.response(), &exp, &stored(&auth.cred_id, &cose, 0))
            .unwrap_err(),
        WebauthnError::UserHandleMismatch
    );
    // Discoverable flow: user handle must match the stored owner.
    auth.user_handle = Some(USER.to_vec());
    assert!(
        verify_authentication(&auth.response(), &exp, &stored(&auth.cred_id, &cose, 0)).is_ok()
    );
}

#[test]
fn ids_must_agree() {
    let auth = Auth::new(es256(1));
    let mut resp = auth.response();
    resp.id = "AAAA".into();
    assert_eq!(err(&auth, &resp), WebauthnError::CredentialIdMismatch);
    let mut resp = auth.response();
    resp.id = "not base64!".into();
    assert_eq!(err(&auth, &resp), WebauthnError::CredentialIdMismatch);
}

#[test]
fn signature_helpers() {
    for key in [es256(1), ed25519(2), rsa(0)] {
        let cose = key.cose();
        assert_eq!(cose_algorithm(&cose).unwrap(), key.alg());
        let sig = key.sign(b"message");
        assert!(verify_signature(&cose, b"message", &sig).is_ok());
        assert_eq!(
            verify_signature(&cose, b"massage", &sig).unwrap_err(),
            WebauthnError::BadSignature
        );
    }
    assert_eq!(
        cose_algorithm(&[0xa0]).unwrap_err(),
        WebauthnError::InvalidPublicKey
    );
    assert_eq!(
        cose_algorithm(&[]).unwrap_err(),
        WebauthnError::InvalidPublicKey
    );
}

#[test]
fn parses_browser_json_with_unknown_fields() {
    let auth = Auth::new(ed25519(2));
    let resp = auth.response();
    let json = format!(
        r#"{{"id":"{id}","rawId":"{id}","type":"public-key","clientExtensionResults":{{}},"newTopLevel":1,
        "response":{{"clientDataJSON":"{cd}","authenticatorData":"{ad}","signature":"{sig}","userHandle":"{uh}","attestationObject":null}}}}"#,
        id = resp.id,
        cd = base64url_encode(&resp.response.client_data_json),
        ad = base64url_encode(&resp.response.authenticator_data),
        sig = base64url_encode(&resp.response.signature),
        uh = base64url_encode(USER),
    );
    let parsed: AuthenticationResponseJSON = serde_json::from_slice(json.as_bytes()).unwrap();
    assert!(verify(&auth, &parsed, 0).is_ok());
    let _unused: Option<TestKey> = None;
}
