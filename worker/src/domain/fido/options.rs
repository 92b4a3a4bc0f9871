//! The options sent to the browser (`PublicKeyCredential{Creation,Request}OptionsJSON`).

use serde_json::json;

use super::ceremony::Ceremony;
use super::credential::Credential;
use crate::domain::consent::UserRef;
use crate::domain::webauthn::{
    base64url_decode, AuthenticatorSelectionCriteria, PublicKeyCredentialCreationOptionsJSON,
    PublicKeyCredentialDescriptorJSON, PublicKeyCredentialParameters,
    PublicKeyCredentialRequestOptionsJSON, PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntityJSON, ALG_EDDSA, ALG_ES256, ALG_RS256,
};

/// `timeout` hint in the options (ms).
pub const TIMEOUT_MS: u32 = 300_000;
/// Offered algorithms, most preferred first: EdDSA, ES256, RS256.
pub const ALGORITHMS: [i64; 3] = [ALG_EDDSA, ALG_ES256, ALG_RS256];

/// The user handle of a MID user: the bytes of its id (opaque, no personal data).
pub fn user_handle(user_id: &str) -> Vec<u8> {
    user_id.as_bytes().to_vec()
}

fn descriptors(creds: &[&Credential]) -> Vec<PublicKeyCredentialDescriptorJSON> {
    creds
        .iter()
        .filter_map(|c| {
            Some(PublicKeyCredentialDescriptorJSON {
                type_: "public-key".into(),
                id: base64url_decode(&c.credential_id)?,
                transports: (!c.transports.is_empty()).then(|| c.transports.clone()),
            })
        })
        .collect()
}

/// `PublicKeyCredentialCreationOptionsJSON` for a registration ceremony.
pub fn registration_options(
    ceremony: &Ceremony,
    user: &UserRef,
    existing: &[&Credential],
) -> PublicKeyCredentialCreationOptionsJSON {
    PublicKeyCredentialCreationOptionsJSON {
        rp: PublicKeyCredentialRpEntity {
            id: Some(ceremony.rp.id.clone()),
            name: ceremony.rp.name.clone(),
        },
        user: PublicKeyCredentialUserEntityJSON {
            id: user_handle(&user.id),
            name: user.mobile.clone(),
            display_name: user.mobile.clone(),
        },
        challenge: base64url_decode(&ceremony.challenge).unwrap_or_default(),
        pub_key_cred_params: ALGORITHMS
            .iter()
            .map(|&alg| PublicKeyCredentialParameters {
                type_: "public-key".into(),
                alg,
            })
            .collect(),
        timeout: Some(TIMEOUT_MS),
        exclude_credentials: Some(descriptors(existing)),
        authenticator_selection: Some(AuthenticatorSelectionCriteria {
            authenticator_attachment: None,
            resident_key: Some("preferred".into()),
            require_resident_key: Some(false),
            user_verification: Some("preferred".into()),
        }),
        attestation: Some("none".into()),
        extensions: Some(json!({"credProps": true})),
    }
}

/// `PublicKeyCredentialRequestOptionsJSON`; `allowed` is `None` for discoverable sign-in.
pub fn authentication_options(
    ceremony: &Ceremony,
    allowed: Option<&[&Credential]>,
) -> PublicKeyCredentialRequestOptionsJSON {
    PublicKeyCredentialRequestOptionsJSON {
        challenge: base64url_decode(&ceremony.challenge).unwrap_or_default(),
        timeout: Some(TIMEOUT_MS),
        rp_id: Some(ceremony.rp.id.clone()),
        allow_credentials: allowed.map(descriptors),
        user_verification: Some("preferred".into()),
        extensions: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fido::test_support::{ceremony, credential};
    use crate::domain::fido::CeremonyKind;
    use crate::domain::webauthn::base64url_encode;

    #[test]
    fn options_have_the_l3_json_shape() {
        let c = ceremony(CeremonyKind::Registration);
        let cred = credential();
        let opts = registration_options(&c, c.user.as_ref().unwrap(), &[&cred]);
        let v = serde_json::to_value(&opts).unwrap();
        assert_eq!(v["rp"], json!({"id": "localhost", "name": "MID"}));
        assert_eq!(v["user"]["id"], base64url_encode(b"user_0123456789abcdef"));
        assert_eq!(v["challenge"], c.challenge);
        assert_eq!(
            v["pubKeyCredParams"],
            json!([{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}])
        );
        assert_eq!(v["timeout"], 300_000);
        assert_eq!(v["attestation"], "none");
        assert_eq!(v["authenticatorSelection"]["residentKey"], "preferred");
        assert_eq!(v["authenticatorSelection"]["userVerification"], "preferred");
        assert_eq!(
            v["excludeCredentials"],
            json!([{"type":"public-key","id":cred.credential_id,"transports":["internal"]}])
        );
        let a = ceremony(CeremonyKind::Authentication);
        let v = serde_json::to_value(authentication_options(&a, Some(&[&cred]))).unwrap();
        assert_eq!(v["rpId"], "localhost");
        assert_eq!(v["userVerification"], "preferred");
        assert_eq!(v["allowCredentials"][0]["id"], cred.credential_id);
        let v = serde_json::to_value(authentication_options(&a, None)).unwrap();
        assert!(v.get("allowCredentials").is_none(), "{v}");
    }
}
