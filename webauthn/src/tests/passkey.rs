//! End-to-end ceremonies against a real software authenticator (1Password's
//! `passkey-authenticator`). The authenticator draws its own keys, so the signatures differ
//! per run but the outcomes are fixed. clientDataJSON is built here (as a browser would) and
//! the CTAP2 outputs are wrapped into the WebAuthn JSON responses.

use passkey_authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey_crypto::{iana, AvailableBackend};
use passkey_types::ctap2::{get_assertion, make_credential, Aaguid, Ctap2Error};
use passkey_types::{webauthn, Passkey};

use super::super::*;
use super::support::ceremony::*;
use super::{verify_authentication, verify_registration};

/// A user who is always present and verifies when asked (if `uv`).
struct TestUser {
    uv: bool,
}

#[async_trait::async_trait]
impl UserValidationMethod for TestUser {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification: verification && self.uv,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(self.uv)
    }
}

type Device = Authenticator<Option<Passkey>, TestUser, AvailableBackend>;

fn device(uv: bool, counter: bool) -> Device {
    let mut d = Authenticator::new(Aaguid::new_empty(), None, TestUser { uv }, AvailableBackend);
    d.set_make_credentials_with_signature_counter(counter);
    d
}

async fn register(d: &mut Device, alg: iana::Algorithm, uv: bool) -> RegistrationResponseJSON {
    let cdj = client_data(
        "webauthn.create",
        CHALLENGE,
        ORIGIN,
        r#","crossOrigin":false"#,
    );
    let request = make_credential::Request {
        client_data_hash: sha256(&cdj).to_vec().into(),
        rp: make_credential::PublicKeyCredentialRpEntity {
            id: RP_ID.into(),
            name: Some("MID".into()),
        },
        user: webauthn::PublicKeyCredentialUserEntity {
            id: USER.to_vec().into(),
            display_name: "Ada".into(),
            name: "ada".into(),
        },
        pub_key_cred_params: vec![webauthn::PublicKeyCredentialParameters {
            ty: webauthn::PublicKeyCredentialType::PublicKey,
            alg,
        }],
        exclude_list: None,
        extensions: None,
        options: make_credential::Options {
            rk: true,
            up: true,
            uv,
        },
        pin_auth: None,
        pin_protocol: None,
    };
    let response = d.make_credential(request).await.unwrap();
    let attestation_object = response.as_webauthn_bytes().to_vec();
    let cred_id = response
        .auth_data
        .attested_credential_data
        .as_ref()
        .unwrap()
        .credential_id()
        .to_vec();
    registration_response(&cred_id, cdj, attestation_object)
}

async fn authenticate(d: &mut Device, uv: bool) -> AuthenticationResponseJSON {
    let cdj = client_data("webauthn.get", CHALLENGE, ORIGIN, "");
    let request = get_assertion::Request {
        rp_id: RP_ID.into(),
        client_data_hash: sha256(&cdj).to_vec().into(),
        allow_list: None,
        extensions: None,
        options: get_assertion::Options { up: true, uv },
        pin_auth: None,
        pin_protocol: None,
    };
    let response = d.get_assertion(request).await.unwrap();
    let cred_id = response.credential.as_ref().unwrap().id.to_vec();
    AuthenticationResponseJSON {
        id: base64url_encode(&cred_id),
        raw_id: cred_id,
        response: AuthenticatorAssertionResponseJSON {
            client_data_json: cdj,
            authenticator_data: response.auth_data.to_vec(),
            signature: response.signature.to_vec(),
            user_handle: response.user.map(|u| u.id.to_vec()),
        },
        authenticator_attachment: Some("platform".into()),
        client_extension_results: serde_json::json!({}),
        type_: "public-key".into(),
    }
}

async fn round_trip(alg: iana::Algorithm, cose_alg: i64, uv: bool, counter: bool) {
    let mut d = device(uv, counter);
    let reg = register(&mut d, alg, uv).await;
    let mut reg_exp = reg_expect();
    reg_exp.require_user_verification = uv;
    let registered = verify_registration(&reg, &reg_exp).unwrap();
    assert_eq!(registered.alg, cose_alg);
    assert_eq!(registered.user_verified, uv);
    assert_eq!(registered.attestation_format, "none");

    let mut auth_exp = auth_expect();
    auth_exp.require_user_verification = uv;
    let mut stored_count = registered.sign_count;
    for _ in 0..2 {
        let resp = authenticate(&mut d, uv).await;
        let st = StoredCredential {
            id: &registered.credential_id,
            cose_public_key: &registered.cose_public_key,
            sign_count: stored_count,
            backup_eligible: registered.backup_eligible,
            user_handle: Some(USER),
        };
        let out = verify_authentication(&resp, &auth_exp, &st).unwrap();
        let expected = if counter {
            CounterCheck::Incremented
        } else {
            CounterCheck::BothZero
        };
        assert_eq!(out.counter, expected);
        assert_eq!(out.user_verified, uv);
        // Replaying the same assertion must fail once the counter moved on.
        if counter {
            let replay = StoredCredential {
                sign_count: out.sign_count,
                ..st
            };
            assert_eq!(
                verify_authentication(&resp, &auth_exp, &replay).unwrap_err(),
                WebauthnError::CounterRegression
            );
        }
        stored_count = out.sign_count;
    }
    // UV demanded from an authenticator that did not verify.
    if !uv {
        let resp = authenticate(&mut d, false).await;
        let mut strict = auth_expect();
        strict.require_user_verification = true;
        let st = StoredCredential {
            id: &registered.credential_id,
            cose_public_key: &registered.cose_public_key,
            sign_count: stored_count,
            backup_eligible: registered.backup_eligible,
            user_handle: Some(USER),
        };
        assert_eq!(
            verify_authentication(&resp, &strict, &st).unwrap_err(),
            WebauthnError::UserNotVerified
        );
    }
}

#[tokio::test]
async fn es256_with_uv_and_counter() {
    round_trip(iana::Algorithm::ES256, -7, true, true).await;
}

#[tokio::test]
async fn es256_without_uv_or_counter() {
    round_trip(iana::Algorithm::ES256, -7, false, false).await;
}

#[tokio::test]
async fn eddsa_with_uv_without_counter() {
    round_trip(iana::Algorithm::EdDSA, -8, true, false).await;
}

#[tokio::test]
async fn eddsa_without_uv_with_counter() {
    round_trip(iana::Algorithm::EdDSA, -8, false, true).await;
}

#[tokio::test]
async fn registration_requiring_uv_rejects_unverified_authenticator() {
    let mut d = device(false, false);
    let reg = register(&mut d, iana::Algorithm::ES256, false).await;
    assert_eq!(
        verify_registration(&reg, &reg_expect()).unwrap_err(),
        WebauthnError::UserNotVerified
    );
}
