//! JSON wire types (WebAuthn Level 3 §5.1 `toJSON()` shapes). Binary fields are base64url.
//!
//! Responses tolerate unknown fields (browsers add new ones); only verified fields matter.
//! Options serialize with `None` fields omitted.

use serde::{Deserialize, Serialize};

use super::base64url::{serde_bytes, serde_opt_bytes};

/// `RegistrationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponseJSON {
    /// base64url of `rawId`, as a string.
    pub id: String,
    /// Credential id.
    #[serde(with = "serde_bytes")]
    pub raw_id: Vec<u8>,
    /// The attestation response.
    pub response: AuthenticatorAttestationResponseJSON,
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// Client extension outputs; not verified here.
    #[serde(default)]
    pub client_extension_results: serde_json::Value,
    /// Must be `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// `AuthenticatorAttestationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorAttestationResponseJSON {
    /// Raw clientDataJSON bytes.
    #[serde(rename = "clientDataJSON", with = "serde_bytes")]
    pub client_data_json: Vec<u8>,
    /// CBOR attestation object.
    #[serde(with = "serde_bytes")]
    pub attestation_object: Vec<u8>,
    /// Transport hints reported by the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    /// Convenience copy of the authenticator data (ignored: the attestation object is authoritative).
    #[serde(
        default,
        with = "serde_opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub authenticator_data: Option<Vec<u8>>,
    /// Convenience SPKI copy of the public key (ignored).
    #[serde(
        default,
        with = "serde_opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub public_key: Option<Vec<u8>>,
    /// Convenience copy of the COSE algorithm (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_algorithm: Option<i64>,
}

/// `AuthenticationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponseJSON {
    /// base64url of `rawId`, as a string.
    pub id: String,
    /// Credential id.
    #[serde(with = "serde_bytes")]
    pub raw_id: Vec<u8>,
    /// The assertion response.
    pub response: AuthenticatorAssertionResponseJSON,
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// Client extension outputs; not verified here.
    #[serde(default)]
    pub client_extension_results: serde_json::Value,
    /// Must be `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorAssertionResponseJSON {
    /// Raw clientDataJSON bytes.
    #[serde(rename = "clientDataJSON", with = "serde_bytes")]
    pub client_data_json: Vec<u8>,
    /// Raw authenticator data.
    #[serde(with = "serde_bytes")]
    pub authenticator_data: Vec<u8>,
    /// Assertion signature.
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
    /// User handle, when the credential is discoverable.
    #[serde(
        default,
        with = "serde_opt_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_handle: Option<Vec<u8>>,
}

/// `PublicKeyCredentialRpEntity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialRpEntity {
    /// RP ID; omit to default to the page's effective domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Human-readable RP name.
    pub name: String,
}

/// `PublicKeyCredentialUserEntityJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialUserEntityJSON {
    /// User handle (at most 64 bytes).
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// Account name.
    pub name: String,
    /// Display name.
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyCredentialParameters {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
    /// COSE algorithm identifier.
    pub alg: i64,
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyCredentialDescriptorJSON {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Credential id.
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// Transport hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
}

/// `AuthenticatorSelectionCriteria`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelectionCriteria {
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// `discouraged`, `preferred` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_key: Option<String>,
    /// Legacy (Level 1) form of `residentKey: required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_resident_key: Option<bool>,
    /// `discouraged`, `preferred` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
}

/// `PublicKeyCredentialCreationOptionsJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialCreationOptionsJSON {
    /// Relying party.
    pub rp: PublicKeyCredentialRpEntity,
    /// User account.
    pub user: PublicKeyCredentialUserEntityJSON,
    /// Challenge.
    #[serde(with = "serde_bytes")]
    pub challenge: Vec<u8>,
    /// Acceptable algorithms, most preferred first.
    pub pub_key_cred_params: Vec<PublicKeyCredentialParameters>,
    /// Timeout hint in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Credentials the user already has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_credentials: Option<Vec<PublicKeyCredentialDescriptorJSON>>,
    /// Authenticator requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_selection: Option<AuthenticatorSelectionCriteria>,
    /// `none`, `indirect`, `direct` or `enterprise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
    /// Extension inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Value>,
}

/// `PublicKeyCredentialRequestOptionsJSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyCredentialRequestOptionsJSON {
    /// Challenge.
    #[serde(with = "serde_bytes")]
    pub challenge: Vec<u8>,
    /// Timeout hint in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// RP ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    /// Acceptable credentials; omit for discoverable-credential sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<Vec<PublicKeyCredentialDescriptorJSON>>,
    /// `discouraged`, `preferred` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
    /// Extension inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Value>,
}
