//! The decisions a user's object makes about its passkeys and ceremonies, as
//! pure functions: the object loads, calls these, and stores what they say.

use serde_json::{json, Value};

use super::approval::{self, ApprovalRefusal};
use super::consent::UserRef;
use super::fido::{
    authentication_options, registration_options, verify_authentication_for, Ceremony,
    CeremonyKind, Credential,
};
use super::limits::{self, LimitError};
use super::tenant::Tenant;
use super::webauthn::{
    AuthenticationResponseJSON, Unverified, VerifiedAuthentication, WebauthnError,
};

/// Why a passkey operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyError {
    /// A WebAuthn rule failed (the verifier's specific reason).
    Webauthn(WebauthnError),
    /// A cap was reached (passkeys per user).
    Limit(LimitError),
    /// DESIGN §2: this passkey may not decide this consent.
    Approval(ApprovalRefusal),
    /// Another tenant's ceremony, user or device: indistinguishable from none.
    NotFound,
    /// A partner-begun ceremony completed without the partner's API key.
    NeedsApiKey,
}

impl From<WebauthnError> for PasskeyError {
    fn from(e: WebauthnError) -> Self {
        Self::Webauthn(e)
    }
}

/// Who completes a ceremony.
#[derive(Debug, Clone, Copy)]
pub enum Completer<'a> {
    /// A partner server, with an API key of this tenant.
    Partner(&'a Tenant),
    /// The person's phone, without an API key.
    Phone,
}

/// Whether `who` may consume `stored`. A refused caller does not consume it:
/// another tenant cannot burn a ceremony it does not own.
pub fn may_take(stored: &Ceremony, who: Completer<'_>) -> Result<(), PasskeyError> {
    match who {
        Completer::Partner(t) if t.owns(&stored.client_id, stored.livemode) => Ok(()),
        Completer::Partner(_) => Err(PasskeyError::NotFound),
        Completer::Phone if stored.phone_registration => Ok(()),
        Completer::Phone => Err(PasskeyError::NeedsApiKey),
    }
}

/// The passkeys of one user that `tenant` sees, newest first.
pub fn visible<'a>(creds: &'a [Credential], tenant: &Tenant) -> Vec<&'a Credential> {
    let mut list: Vec<&Credential> = creds
        .iter()
        .filter(|c| tenant.owns(&c.client_id, c.livemode))
        .collect();
    list.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.device_id.cmp(&a.device_id))
    });
    list
}

/// Completes a ceremony begun for `user`: fills in the user and, for a
/// sign-in, the allowed credentials; answers the options for the browser.
pub fn begin(
    ceremony: &mut Ceremony,
    user: UserRef,
    creds: &[Credential],
) -> Result<Value, PasskeyError> {
    let tenant = Tenant::new(ceremony.client_id.clone(), ceremony.livemode);
    let mine: Vec<&Credential> = visible(creds, &tenant)
        .into_iter()
        .filter(|c| c.rp_id == ceremony.rp.id)
        .collect();
    let options = match ceremony.kind {
        CeremonyKind::Registration => {
            limits::passkey_room(creds.len()).map_err(PasskeyError::Limit)?;
            json!(registration_options(ceremony, &user, &mine))
        }
        CeremonyKind::Authentication => {
            if mine.is_empty() {
                return Err(WebauthnError::UnknownCredential.into());
            }
            ceremony.allow_credentials =
                Some(mine.iter().map(|c| c.credential_id.clone()).collect());
            json!(authentication_options(ceremony, Some(&mine)))
        }
    };
    ceremony.user = Some(user);
    Ok(options)
}

/// §7.2 for this ceremony, then, on the phone path, DESIGN §2: whether this
/// passkey (of the user whose mobile is `mobile`) may decide the consent.
/// Valid once the assertion signature is.
pub fn authenticate(
    ceremony: &Ceremony,
    response: &AuthenticationResponseJSON,
    cred: &Credential,
    mobile: &str,
    now: i64,
) -> Result<Unverified<VerifiedAuthentication, WebauthnError>, PasskeyError> {
    let verified = verify_authentication_for(ceremony, response, cred, now)?;
    if let Some(party) = ceremony.consent_party() {
        approval::may_decide(&cred.authenticator(mobile), &party)
            .map_err(PasskeyError::Approval)?;
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::approval::Enrolment;
    use crate::domain::fido::Rp;

    fn ceremony(kind: CeremonyKind, client: &str, livemode: bool) -> Ceremony {
        Ceremony {
            id: "cer_x".into(),
            kind,
            challenge: "AAAA".into(),
            client_id: client.into(),
            livemode,
            rp: Rp {
                id: "localhost".into(),
                name: "MID".into(),
                origins: vec!["http://localhost:8787".into()],
            },
            user: None,
            allow_credentials: None,
            expires_at: 1_000,
            consent: None,
            phone_registration: false,
        }
    }

    fn cred(device: &str, client: &str, livemode: bool, created_at: i64) -> Credential {
        Credential {
            device_id: device.into(),
            user_id: "user_0123456789abcdef".into(),
            client_id: client.into(),
            livemode,
            rp_id: "localhost".into(),
            credential_id: format!("Y3{device}"),
            public_key: String::new(),
            alg: -7,
            sign_count: 0,
            backup_eligible: false,
            backup_state: false,
            transports: vec![],
            aaguid: "00".repeat(16),
            name: None,
            model: "Passkey".into(),
            attestation_format: "none".into(),
            created_at,
            last_used_at: None,
            enrolment: Enrolment::Partner,
        }
    }

    fn user() -> UserRef {
        UserRef {
            id: "user_0123456789abcdef".into(),
            mobile: "+2348031234567".into(),
            verified: true,
        }
    }

    #[test]
    fn only_the_owning_tenant_or_the_phone_takes_a_ceremony() {
        let a = Tenant::new("mid_client_a", false);
        let a_live = Tenant::new("mid_client_a", true);
        let b = Tenant::new("mid_client_b", false);
        let mut c = ceremony(CeremonyKind::Registration, "mid_client_a", false);
        assert_eq!(may_take(&c, Completer::Partner(&a)), Ok(()));
        assert_eq!(
            may_take(&c, Completer::Partner(&b)),
            Err(PasskeyError::NotFound)
        );
        assert_eq!(
            may_take(&c, Completer::Partner(&a_live)),
            Err(PasskeyError::NotFound)
        );
        assert_eq!(
            may_take(&c, Completer::Phone),
            Err(PasskeyError::NeedsApiKey)
        );
        c.phone_registration = true;
        assert_eq!(may_take(&c, Completer::Phone), Ok(()));
    }

    #[test]
    fn tenants_see_their_own_passkeys_newest_first() {
        let creds = [
            cred("d1", "mid_client_a", false, 1),
            cred("d2", "mid_client_b", false, 2),
            cred("d3", "mid_client_a", true, 3),
            cred("d4", "mid_client_a", false, 4),
        ];
        let ids: Vec<&str> = visible(&creds, &Tenant::new("mid_client_a", false))
            .iter()
            .map(|c| c.device_id.as_str())
            .collect();
        assert_eq!(ids, ["d4", "d1"]);
    }

    #[test]
    fn begin_fills_the_user_and_allowed_credentials_and_enforces_the_cap() {
        let creds = [
            cred("d1", "mid_client_a", false, 1),
            cred("d2", "mid_client_b", false, 2),
        ];
        let mut c = ceremony(CeremonyKind::Authentication, "mid_client_a", false);
        let options = begin(&mut c, user(), &creds).unwrap();
        assert_eq!(c.user, Some(user()));
        assert_eq!(c.allow_credentials, Some(vec!["Y3d1".to_owned()]));
        assert_eq!(options["allowCredentials"].as_array().unwrap().len(), 1);
        // Another client with no passkey of its own for this user: nothing to sign in with.
        let mut other = ceremony(CeremonyKind::Authentication, "mid_client_c", false);
        assert_eq!(
            begin(&mut other, user(), &creds),
            Err(PasskeyError::Webauthn(WebauthnError::UnknownCredential))
        );
        let full: Vec<Credential> = (0..20)
            .map(|i| cred(&format!("d{i}"), "mid_client_a", false, i))
            .collect();
        let mut reg = ceremony(CeremonyKind::Registration, "mid_client_a", false);
        assert_eq!(
            begin(&mut reg, user(), &full),
            Err(PasskeyError::Limit(LimitError::TooManyPasskeys))
        );
        assert!(begin(&mut reg, user(), &full[..19]).is_ok());
    }
}
