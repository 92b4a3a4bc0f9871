//! The stored credential (a "device"): built from a verified registration,
//! updated on use, shown as the API's device object.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::ceremony::Ceremony;
use super::models::device_model;
use crate::domain::approval::{Authenticator, Enrolment};
use crate::domain::consent::DeviceRef;
use crate::domain::crypto::hex;
use crate::domain::input::InputError;
use crate::domain::time::rfc3339;
use crate::domain::webauthn::{
    base64url_encode, VerifiedAuthentication, VerifiedRegistration, ALG_EDDSA, ALG_ES256, ALG_RS256,
};

/// Longest `deviceName` accepted.
pub const DEVICE_NAME_MAX: usize = 100;

/// A registered passkey: the credential record and its device facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub device_id: String,
    pub user_id: String,
    pub client_id: String,
    pub livemode: bool,
    pub rp_id: String,
    /// base64url credential id.
    pub credential_id: String,
    /// base64url COSE public key.
    pub public_key: String,
    pub alg: i64,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub transports: Vec<String>,
    /// Lowercase hex, 32 digits.
    pub aaguid: String,
    pub name: Option<String>,
    pub model: String,
    pub attestation_format: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Phone-registered passkeys decide any partner's consents; partner ones only
    /// that partner's (DESIGN §2, `domain::approval`).
    #[serde(default)]
    pub enrolment: Enrolment,
}

/// Builds the record of a verified registration.
pub struct NewDevice<'a> {
    pub device_id: &'a str,
    pub user_id: &'a str,
    pub name: Option<&'a str>,
    pub now: i64,
}

impl Credential {
    pub fn from_registration(
        ceremony: &Ceremony,
        reg: &VerifiedRegistration,
        d: &NewDevice<'_>,
    ) -> Credential {
        let aaguid = hex(&reg.aaguid);
        Credential {
            device_id: d.device_id.to_owned(),
            user_id: d.user_id.to_owned(),
            client_id: ceremony.client_id.clone(),
            livemode: ceremony.livemode,
            rp_id: ceremony.rp.id.clone(),
            credential_id: base64url_encode(&reg.credential_id),
            public_key: base64url_encode(&reg.cose_public_key),
            alg: reg.alg,
            sign_count: reg.sign_count,
            backup_eligible: reg.backup_eligible,
            backup_state: reg.backup_state,
            transports: reg.transports.clone(),
            model: device_model(&aaguid, d.name),
            aaguid,
            name: d.name.map(str::to_owned),
            attestation_format: reg.attestation_format.clone(),
            created_at: d.now,
            last_used_at: None,
            enrolment: if ceremony.phone_registration {
                Enrolment::Phone
            } else {
                Enrolment::Partner
            },
        }
    }

    /// This passkey as the approval rule sees it; `mobile` is its user's.
    pub fn authenticator<'a>(&'a self, mobile: &'a str) -> Authenticator<'a> {
        Authenticator {
            client_id: &self.client_id,
            livemode: self.livemode,
            enrolment: self.enrolment,
            mobile,
        }
    }

    /// Whether `access` (client, mode) may see this device.
    pub fn visible_to(&self, client_id: &str, livemode: bool) -> bool {
        self.client_id == client_id && self.livemode == livemode
    }

    pub fn device_ref(&self) -> DeviceRef {
        DeviceRef {
            id: self.device_id.clone(),
            model: self.model.clone(),
        }
    }

    /// The API object (`GET /devices/:id`).
    pub fn view(&self, status: &str) -> Value {
        json!({
            "id": self.device_id,
            "object": "device",
            "kind": "passkey",
            "type": "passkey",
            "userId": self.user_id,
            "clientId": self.client_id,
            "livemode": self.livemode,
            "status": status,
            "name": self.name,
            "model": self.model,
            "platform": null,
            "credentialId": self.credential_id,
            "aaguid": self.aaguid,
            "algorithm": alg_name(self.alg),
            "rpId": self.rp_id,
            "transports": self.transports,
            "backupEligible": self.backup_eligible,
            "backedUp": self.backup_state,
            "createdAt": rfc3339(self.created_at),
            "lastUsedAt": self.last_used_at.map(rfc3339),
        })
    }

    /// Applies a successful authentication (counter, backup state, last use).
    pub fn record_use(&mut self, auth: &VerifiedAuthentication, now: i64) {
        self.sign_count = auth.sign_count;
        self.backup_state = auth.backup_state;
        self.last_used_at = Some(now);
    }
}

fn alg_name(alg: i64) -> &'static str {
    match alg {
        ALG_ES256 => "ES256",
        ALG_EDDSA => "EdDSA",
        ALG_RS256 => "RS256",
        _ => "unknown",
    }
}

/// A validated optional `deviceName`.
pub fn device_name(name: Option<&str>) -> Result<Option<String>, InputError> {
    let Some(name) = name.map(str::trim) else {
        return Ok(None);
    };
    if name.is_empty()
        || name.chars().count() > DEVICE_NAME_MAX
        || name.chars().any(char::is_control)
    {
        return Err(InputError::invalid(
            "deviceName",
            format!("must be 1 to {DEVICE_NAME_MAX} printable characters"),
        ));
    }
    Ok(Some(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_trimmed_and_bounded() {
        assert_eq!(
            device_name(Some("  Pixel  ")).unwrap().as_deref(),
            Some("Pixel")
        );
        assert!(device_name(Some("")).is_err());
        assert!(device_name(Some(&"x".repeat(101))).is_err());
    }
}
