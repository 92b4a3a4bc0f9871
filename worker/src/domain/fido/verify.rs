//! §7.1 and §7.2 for one stored ceremony: the expectations the verifier gets
//! from the ceremony and the stored credential.

use super::ceremony::{Ceremony, CeremonyKind};
use super::credential::Credential;
use super::options::{user_handle, ALGORITHMS};
use crate::domain::webauthn::{
    base64url_decode, verify_authentication, verify_registration, AttestationPolicy,
    AuthenticationExpectations, AuthenticationResponseJSON, RegistrationExpectations,
    RegistrationResponseJSON, StoredCredential, Unverified, VerifiedAuthentication,
    VerifiedRegistration, WebauthnError,
};

/// §7.1 for this ceremony (the caller checks credential-id uniqueness), valid
/// once its signatures are.
pub fn verify_registration_for(
    ceremony: &Ceremony,
    response: &RegistrationResponseJSON,
    now: i64,
) -> Result<Unverified<VerifiedRegistration, WebauthnError>, WebauthnError> {
    ceremony.check_live(now)?;
    if ceremony.kind != CeremonyKind::Registration {
        return Err(WebauthnError::TypeMismatch);
    }
    let challenge = ceremony.challenge_bytes()?;
    let origins: Vec<&str> = ceremony.rp.origins.iter().map(String::as_str).collect();
    verify_registration(
        response,
        &RegistrationExpectations {
            challenge: &challenge,
            origins: &origins,
            rp_id: &ceremony.rp.id,
            require_user_verification: false,
            allowed_algorithms: &ALGORITHMS,
            allow_cross_origin: false,
            allowed_top_origins: &[],
            attestation: AttestationPolicy::default(),
        },
    )
}

/// §7.2 for this ceremony against the stored credential, valid once its
/// signature is.
pub fn verify_authentication_for(
    ceremony: &Ceremony,
    response: &AuthenticationResponseJSON,
    credential: &Credential,
    now: i64,
) -> Result<Unverified<VerifiedAuthentication, WebauthnError>, WebauthnError> {
    ceremony.check_live(now)?;
    if ceremony.kind != CeremonyKind::Authentication {
        return Err(WebauthnError::TypeMismatch);
    }
    let client_ok =
        ceremony.consent.is_some() || credential.visible_to(&ceremony.client_id, ceremony.livemode);
    if credential.rp_id != ceremony.rp.id || !client_ok {
        return Err(WebauthnError::UnknownCredential);
    }
    let challenge = ceremony.challenge_bytes()?;
    let origins: Vec<&str> = ceremony.rp.origins.iter().map(String::as_str).collect();
    let allow = ceremony.allow_list();
    let cred_id = base64url_decode(&credential.credential_id).unwrap_or_default();
    let key = base64url_decode(&credential.public_key).unwrap_or_default();
    let handle = user_handle(&credential.user_id);
    let expected_handle = ceremony.user.as_ref().map(|u| user_handle(&u.id));
    verify_authentication(
        response,
        &AuthenticationExpectations {
            challenge: &challenge,
            origins: &origins,
            rp_id: &ceremony.rp.id,
            require_user_verification: false,
            allow_credentials: allow.as_deref(),
            expected_user_handle: expected_handle.as_deref(),
            allow_cross_origin: false,
            allowed_top_origins: &[],
        },
        &StoredCredential {
            id: &cred_id,
            cose_public_key: &key,
            sign_count: credential.sign_count,
            backup_eligible: credential.backup_eligible,
            user_handle: Some(&handle),
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::fido::test_support::{ceremony, credential};
    use crate::domain::fido::ConsentLink;

    fn verify_authentication_for(
        ceremony: &Ceremony,
        response: &AuthenticationResponseJSON,
        credential: &Credential,
        now: i64,
    ) -> Result<VerifiedAuthentication, WebauthnError> {
        super::verify_authentication_for(ceremony, response, credential, now)?.verify_now()
    }

    #[test]
    fn expired_or_wrong_kind_ceremonies_fail_before_parsing() {
        let c = ceremony(CeremonyKind::Authentication);
        assert_eq!(c.check_live(999), Ok(()));
        assert_eq!(c.check_live(1_000), Err(WebauthnError::CeremonyExpired));
        let resp: AuthenticationResponseJSON = serde_json::from_value(json!({
            "id":"Y3JlZA","rawId":"Y3JlZA","type":"public-key",
            "response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}))
        .unwrap();
        assert_eq!(
            verify_authentication_for(&c, &resp, &credential(), 1_000),
            Err(WebauthnError::CeremonyExpired)
        );
        let mut other = credential();
        other.client_id = "mid_client_b".into();
        assert_eq!(
            verify_authentication_for(&c, &resp, &other, 0),
            Err(WebauthnError::UnknownCredential)
        );
        let r = ceremony(CeremonyKind::Registration);
        assert_eq!(
            verify_authentication_for(&r, &resp, &credential(), 0),
            Err(WebauthnError::TypeMismatch)
        );
        // The phone path accepts the person's passkey whichever client registered it
        // (the next check to fail is then the response itself), but never another RP's.
        let mut phone = c.clone();
        phone.consent = Some(ConsentLink {
            consent_id: "cons_x".into(),
            recipient: "+2348031234567".into(),
        });
        assert_ne!(
            verify_authentication_for(&phone, &resp, &other, 0),
            Err(WebauthnError::UnknownCredential)
        );
        other.rp_id = "elsewhere.example".into();
        assert_eq!(
            verify_authentication_for(&phone, &resp, &other, 0),
            Err(WebauthnError::UnknownCredential)
        );
    }
}
