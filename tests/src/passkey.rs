//! A real software authenticator (1Password's `passkey-authenticator`) that
//! answers the options MID sends and builds the WebAuthn L3 JSON responses a
//! browser would, with the origin of our choosing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use passkey_authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey_crypto::{iana, AvailableBackend};
use passkey_types::ctap2::{get_assertion, make_credential, Aaguid, Ctap2Error};
use passkey_types::{webauthn, Passkey};
use serde_json::{json, Value};

pub const ORIGIN: &str = "http://localhost:8787";

struct AlwaysThere;

#[async_trait::async_trait]
impl UserValidationMethod for AlwaysThere {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64url(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn client_data(type_: &str, challenge: &str, origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{type_}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#
    )
    .into_bytes()
}

/// One authenticator holding (at most) one passkey, with a signature counter.
pub struct SoftAuthenticator {
    inner: Authenticator<Option<Passkey>, AlwaysThere, AvailableBackend>,
}

impl Default for SoftAuthenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftAuthenticator {
    pub fn new() -> Self {
        let mut inner =
            Authenticator::new(Aaguid::new_empty(), None, AlwaysThere, AvailableBackend);
        inner.set_make_credentials_with_signature_counter(true);
        Self { inner }
    }

    /// Answers `PublicKeyCredentialCreationOptionsJSON` with an ES256 credential.
    pub async fn register(&mut self, options: &Value, origin: &str) -> Value {
        let cdj = client_data(
            "webauthn.create",
            options["challenge"].as_str().unwrap(),
            origin,
        );
        let request = make_credential::Request {
            client_data_hash: hmac_sha256::Hash::hash(&cdj).to_vec().into(),
            rp: make_credential::PublicKeyCredentialRpEntity {
                id: options["rp"]["id"].as_str().unwrap().into(),
                name: options["rp"]["name"].as_str().map(str::to_owned),
            },
            user: webauthn::PublicKeyCredentialUserEntity {
                id: unb64url(options["user"]["id"].as_str().unwrap()).into(),
                display_name: options["user"]["displayName"].as_str().unwrap().into(),
                name: options["user"]["name"].as_str().unwrap().into(),
            },
            pub_key_cred_params: vec![webauthn::PublicKeyCredentialParameters {
                ty: webauthn::PublicKeyCredentialType::PublicKey,
                alg: iana::Algorithm::ES256,
            }],
            exclude_list: None,
            extensions: None,
            options: make_credential::Options {
                rk: true,
                up: true,
                uv: true,
            },
            pin_auth: None,
            pin_protocol: None,
        };
        let response = self.inner.make_credential(request).await.unwrap();
        let attestation_object = response.as_webauthn_bytes().to_vec();
        let cred_id = response
            .auth_data
            .attested_credential_data
            .as_ref()
            .unwrap()
            .credential_id()
            .to_vec();
        json!({
            "id": b64url(&cred_id),
            "rawId": b64url(&cred_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(&cdj),
                "attestationObject": b64url(&attestation_object),
                "transports": ["internal", "hybrid"],
            },
        })
    }

    /// Answers `PublicKeyCredentialRequestOptionsJSON`.
    pub async fn authenticate(&mut self, options: &Value, origin: &str) -> Value {
        let cdj = client_data(
            "webauthn.get",
            options["challenge"].as_str().unwrap(),
            origin,
        );
        let request = get_assertion::Request {
            rp_id: options["rpId"].as_str().unwrap().into(),
            client_data_hash: hmac_sha256::Hash::hash(&cdj).to_vec().into(),
            allow_list: None,
            extensions: None,
            options: get_assertion::Options { up: true, uv: true },
            pin_auth: None,
            pin_protocol: None,
        };
        let response = self.inner.get_assertion(request).await.unwrap();
        let cred_id = response.credential.as_ref().unwrap().id.to_vec();
        let mut resp = json!({
            "clientDataJSON": b64url(&cdj),
            "authenticatorData": b64url(&response.auth_data.to_vec()),
            "signature": b64url(&response.signature),
        });
        if let Some(user) = response.user {
            resp["userHandle"] = json!(b64url(&user.id));
        }
        json!({
            "id": b64url(&cred_id),
            "rawId": b64url(&cred_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": resp,
        })
    }
}

/// The same registration (same credential id and attestation) answering another
/// challenge: "none" attestation does not sign the client data, so this is what a
/// replayed or re-submitted credential looks like.
pub fn re_answer(registration: &Value, challenge: &str, origin: &str) -> Value {
    let mut again = registration.clone();
    again["response"]["clientDataJSON"] =
        json!(b64url(&client_data("webauthn.create", challenge, origin)));
    again
}
