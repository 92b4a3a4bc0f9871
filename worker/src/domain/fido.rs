//! The relying-party rules around the WebAuthn verifier: which RP a ceremony
//! uses, the options sent to the browser, the single-use ceremony record, the
//! stored credential (a "device"), its API view and its webhook data.
//!
//! Pure: time and randomness come in as parameters.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::approval::{Authenticator, ConsentParty, Enrolment};
use super::client::ClientRecord;
use super::consent::{DeviceRef, UserRef};
use super::ids;
use super::random::Random;
use super::time::rfc3339;
use super::webauthn::{
    base64url_decode, base64url_encode, verify_authentication, verify_registration,
    AttestationPolicy, AuthenticationExpectations, AuthenticationResponseJSON,
    AuthenticatorSelectionCriteria, PublicKeyCredentialCreationOptionsJSON,
    PublicKeyCredentialDescriptorJSON, PublicKeyCredentialParameters,
    PublicKeyCredentialRequestOptionsJSON, PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntityJSON, RegistrationExpectations, RegistrationResponseJSON,
    StoredCredential, VerifiedAuthentication, VerifiedRegistration, WebauthnError, ALG_EDDSA,
    ALG_ES256, ALG_RS256,
};

/// A ceremony's challenge lives this long, and is deleted on first use.
pub const CEREMONY_TTL_MS: i64 = 300_000;
/// `timeout` hint in the options (ms).
pub const TIMEOUT_MS: u32 = 300_000;
/// Offered algorithms, most preferred first: EdDSA, ES256, RS256.
pub const ALGORITHMS: [i64; 3] = [ALG_EDDSA, ALG_ES256, ALG_RS256];
/// Longest `deviceName` accepted.
pub const DEVICE_NAME_MAX: usize = 100;
const CEREMONY_PREFIX: &str = "cer_";
const CEREMONY_RANDOM_LEN: usize = 24;

/// The relying party of one ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rp {
    pub id: String,
    pub name: String,
    pub origins: Vec<String>,
}

impl Rp {
    /// A client's own `rpId` (with its `allowedOrigins`, or `https://<rpId>`)
    /// when it set one; otherwise the service's RP.
    pub fn for_client(client: &ClientRecord, service: &Rp) -> Rp {
        match &client.rp_id {
            Some(id) => Rp {
                id: id.clone(),
                name: client
                    .rp_name
                    .clone()
                    .unwrap_or_else(|| client.name.clone()),
                origins: if client.allowed_origins.is_empty() {
                    vec![format!("https://{id}")]
                } else {
                    client.allowed_origins.clone()
                },
            },
            None => service.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CeremonyKind {
    Registration,
    Authentication,
}

/// A pending ceremony: single use, [`CEREMONY_TTL_MS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ceremony {
    pub id: String,
    pub kind: CeremonyKind,
    /// base64url of the challenge bytes.
    pub challenge: String,
    pub client_id: String,
    pub livemode: bool,
    pub rp: Rp,
    /// The user, when known at begin (always for registration).
    pub user: Option<UserRef>,
    /// base64url credential ids of `allowCredentials`, when sent.
    pub allow_credentials: Option<Vec<String>>,
    pub expires_at: i64,
    /// Begun by the person's phone with an enrollment's `registrationToken`:
    /// completes without an API key (the ceremony id is the capability).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub phone_registration: bool,
    /// Set on the phone path: the consent this sign-in approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentLink>,
}

/// The consent a phone-path ceremony approves: any passkey of the person whose
/// mobile is the recipient (for the ceremony's RP) may answer, whichever
/// client registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentLink {
    pub consent_id: String,
    pub recipient: String,
}

/// Where a ceremony is stored, as encoded in its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CeremonyHome {
    /// In the credential object of this user.
    User(String),
    /// In its own object (discoverable sign-in: no user known at begin).
    Own,
}

/// `cer_<24 base36>` for a discoverable ceremony, `cer_<24 base36>_<user suffix>`
/// for one stored with its user, so `complete` reaches the right object in one hop.
pub fn ceremony_id(r: &mut dyn Random, user_id: Option<&str>) -> String {
    let base = format!(
        "{CEREMONY_PREFIX}{}",
        ids::random_string(
            b"0123456789abcdefghijklmnopqrstuvwxyz",
            CEREMONY_RANDOM_LEN,
            r
        )
    );
    match user_id.and_then(|u| u.strip_prefix("user_")) {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base,
    }
}

/// Parses a ceremony id; `None` for anything not minted by [`ceremony_id`].
pub fn ceremony_home(id: &str) -> Option<CeremonyHome> {
    let rest = id.strip_prefix(CEREMONY_PREFIX)?;
    let (random, user) = match rest.split_once('_') {
        Some((random, suffix)) => (random, Some(format!("user_{suffix}"))),
        None => (rest, None),
    };
    let base36 = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if random.len() != CEREMONY_RANDOM_LEN || !base36(random) {
        return None;
    }
    match user {
        Some(u) if ids::is_id(&u, "user_", 16) => Some(CeremonyHome::User(u)),
        Some(_) => None,
        None => Some(CeremonyHome::Own),
    }
}

impl Ceremony {
    /// Consumption-time check: expired ceremonies fail even if still stored.
    pub fn check_live(&self, now: i64) -> Result<(), WebauthnError> {
        if now >= self.expires_at {
            Err(WebauthnError::CeremonyExpired)
        } else {
            Ok(())
        }
    }

    /// On the phone path, the consent this ceremony decides (its client and mode
    /// are the ceremony's).
    pub fn consent_party(&self) -> Option<ConsentParty<'_>> {
        self.consent.as_ref().map(|link| ConsentParty {
            client_id: &self.client_id,
            livemode: self.livemode,
            recipient: &link.recipient,
        })
    }

    fn challenge_bytes(&self) -> Result<Vec<u8>, WebauthnError> {
        base64url_decode(&self.challenge).ok_or(WebauthnError::MalformedResponse)
    }

    fn allow_list(&self) -> Option<Vec<Vec<u8>>> {
        self.allow_credentials
            .as_ref()
            .map(|ids| ids.iter().filter_map(|i| base64url_decode(i)).collect())
    }
}

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

/// Well-known authenticator models by AAGUID (the public passkey AAGUID lists).
const MODELS: &[(&str, &str)] = &[
    ("fbfc3007154e4ecc8c0b6e020557d7bd", "iCloud Keychain"),
    (
        "dd4ec289e01d41c9bb8970fa845d4bf2",
        "iCloud Keychain (Managed)",
    ),
    (
        "ea9b8d664d011d213ce4b6b48cb575d4",
        "Google Password Manager",
    ),
    ("adce000235bcc60a648b0b25f1f05503", "Chrome on Mac"),
    ("08987058cadc4b81b6e130de50dcbe96", "Windows Hello"),
    ("9ddd1817af5a4672a2b93e3dd95000a9", "Windows Hello"),
    ("6028b017b1d44c02b4b3afcdafc96bb2", "Windows Hello"),
    ("bada5566a7aa401fbd96b3f4ae2bc5e9", "1Password"),
    ("d548826e79b4db40a3d811116f7e8349", "Bitwarden"),
    ("53414d53554e47000000000000000000", "Samsung Pass"),
    ("cb69481e8ff7403993ec0a2729a154a8", "YubiKey 5 Series"),
    ("ee882879721c491397753dfcce97072a", "YubiKey 5 Series"),
    (
        "fa2b99dc9e3942578f924a30d23c4118",
        "YubiKey 5 Series with NFC",
    ),
    (
        "2fc0579f811347eab116bb5a8db9202a",
        "YubiKey 5 Series with NFC",
    ),
    ("c5ef55ffad9a4b9fb580adebafe026d0", "YubiKey 5Ci"),
    ("73bb0cd4e50249b89c6fb59445bf720b", "YubiKey 5 FIPS Series"),
    ("149a20218ef6413396b881f8d5b7f1f5", "Security Key by Yubico"),
];

/// The model of an authenticator, if its AAGUID is well known.
pub fn aaguid_model(aaguid_hex: &str) -> Option<&'static str> {
    MODELS
        .iter()
        .find(|(id, _)| *id == aaguid_hex)
        .map(|(_, model)| *model)
}

/// The model reported for a new device: the known AAGUID's, else the name given, else "Passkey".
pub fn device_model(aaguid_hex: &str, name: Option<&str>) -> String {
    aaguid_model(aaguid_hex)
        .or(name)
        .unwrap_or("Passkey")
        .to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
            "type": "passkey",
            "userId": self.user_id,
            "clientId": self.client_id,
            "livemode": self.livemode,
            "status": status,
            "name": self.name,
            "model": self.model,
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

/// §7.1 for this ceremony (the caller checks credential-id uniqueness).
pub fn verify_registration_for(
    ceremony: &Ceremony,
    response: &RegistrationResponseJSON,
    now: i64,
) -> Result<VerifiedRegistration, WebauthnError> {
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

/// §7.2 for this ceremony against the stored credential.
pub fn verify_authentication_for(
    ceremony: &Ceremony,
    response: &AuthenticationResponseJSON,
    credential: &Credential,
    now: i64,
) -> Result<VerifiedAuthentication, WebauthnError> {
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

/// `data` of `device.registered` / `device.deregistered`; member order is the contract's.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceEventData<'a> {
    device_id: &'a str,
    client_id: &'a str,
    status: &'a str,
    user: &'a UserRef,
    device: &'a DeviceRef,
}

pub fn device_event_data(credential: &Credential, status: &str, user: &UserRef) -> Value {
    let device = credential.device_ref();
    serde_json::to_value(DeviceEventData {
        device_id: &credential.device_id,
        client_id: &credential.client_id,
        status,
        user,
        device: &device,
    })
    .unwrap_or(Value::Null)
}

/// A validated optional `deviceName`.
pub fn device_name(name: Option<&str>) -> Result<Option<String>, super::input::InputError> {
    let Some(name) = name.map(str::trim) else {
        return Ok(None);
    };
    if name.is_empty()
        || name.chars().count() > DEVICE_NAME_MAX
        || name.chars().any(char::is_control)
    {
        return Err(super::input::InputError::invalid(
            "deviceName",
            format!("must be 1 to {DEVICE_NAME_MAX} printable characters"),
        ));
    }
    Ok(Some(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::SeqRandom;

    fn rp() -> Rp {
        Rp {
            id: "localhost".into(),
            name: "MID".into(),
            origins: vec!["http://localhost:8787".into()],
        }
    }

    fn ceremony(kind: CeremonyKind) -> Ceremony {
        Ceremony {
            id: "cer_x".into(),
            kind,
            challenge: base64url_encode(b"0123456789abcdef0123456789abcdef"),
            client_id: "mid_client_a".into(),
            livemode: false,
            rp: rp(),
            user: Some(UserRef {
                id: "user_0123456789abcdef".into(),
                mobile: "+2348031234567".into(),
                verified: true,
            }),
            allow_credentials: None,
            expires_at: 1_000,
            consent: None,
            phone_registration: false,
        }
    }

    fn credential() -> Credential {
        Credential {
            device_id: "device_1".into(),
            user_id: "user_0123456789abcdef".into(),
            client_id: "mid_client_a".into(),
            livemode: false,
            rp_id: "localhost".into(),
            credential_id: base64url_encode(b"cred"),
            public_key: String::new(),
            alg: -7,
            sign_count: 0,
            backup_eligible: false,
            backup_state: false,
            transports: vec!["internal".into()],
            aaguid: "00".repeat(16),
            name: None,
            model: "Passkey".into(),
            attestation_format: "none".into(),
            created_at: 0,
            last_used_at: None,
            enrolment: Enrolment::Partner,
        }
    }

    #[test]
    fn ceremony_ids_route_to_their_home() {
        let r = &mut SeqRandom(7);
        let with_user = ceremony_id(r, Some("user_0123456789abcdef"));
        assert_eq!(
            ceremony_home(&with_user),
            Some(CeremonyHome::User("user_0123456789abcdef".into()))
        );
        let own = ceremony_id(r, None);
        assert_eq!(ceremony_home(&own), Some(CeremonyHome::Own));
        for bad in [
            "",
            "cer_",
            "cer_short",
            "cer_ABCDEFGHIJKLMNOPQRSTUVWX",
            &format!("{own}_nope"),
            &format!("{own}_0123456789abcdef/"),
        ] {
            assert_eq!(ceremony_home(bad), None, "{bad}");
        }
    }

    #[test]
    fn client_rp_overrides_the_service_rp_only_when_set() {
        let mut client: ClientRecord =
            serde_json::from_value(json!({"id":"mid_client_a","name":"Shop","webhookUrl":null,
                "allowedOrigins":[],"rpId":null,"rpName":null,"plan":"free","status":"active",
                "createdAt":0,"webhookSecretSealed":"","keyHashes":{"live":"","test":""}}))
            .unwrap();
        assert_eq!(Rp::for_client(&client, &rp()), rp());
        client.rp_id = Some("shop.example".into());
        let own = Rp::for_client(&client, &rp());
        assert_eq!(own.id, "shop.example");
        assert_eq!(own.name, "Shop");
        assert_eq!(own.origins, ["https://shop.example"]);
        client.allowed_origins = vec!["https://login.shop.example".into()];
        client.rp_name = Some("Shop Login".into());
        let own = Rp::for_client(&client, &rp());
        assert_eq!(own.origins, ["https://login.shop.example"]);
        assert_eq!(own.name, "Shop Login");
    }

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

    #[test]
    fn models_come_from_known_aaguids_then_the_name() {
        assert_eq!(
            device_model("fbfc3007154e4ecc8c0b6e020557d7bd", Some("x")),
            "iCloud Keychain"
        );
        assert_eq!(device_model(&"00".repeat(16), Some("My phone")), "My phone");
        assert_eq!(device_model(&"00".repeat(16), None), "Passkey");
        assert_eq!(
            device_name(Some("  Pixel  ")).unwrap().as_deref(),
            Some("Pixel")
        );
        assert!(device_name(Some("")).is_err());
        assert!(device_name(Some(&"x".repeat(101))).is_err());
    }

    #[test]
    fn device_event_data_has_the_contract_order() {
        let c = ceremony(CeremonyKind::Registration);
        let data = device_event_data(&credential(), "registered", c.user.as_ref().unwrap());
        assert_eq!(
            data.to_string(),
            r#"{"deviceId":"device_1","clientId":"mid_client_a","status":"registered","user":{"id":"user_0123456789abcdef","mobile":"+2348031234567","verified":true},"device":{"id":"device_1","model":"Passkey"}}"#
        );
    }
}
