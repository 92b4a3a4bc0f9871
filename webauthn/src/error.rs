//! The single error type of the verification core.
//!
//! Every failed check has its own variant so tests and logs can tell them apart; the
//! service only exposes the coarse, stable [`WebauthnError::code`] strings.
//!
//! Code mapping (fine variant -> API code):
//! - `ChallengeMismatch` -> `challenge_mismatch`
//! - `OriginMismatch`, `CrossOriginNotAllowed`, `TopOriginMismatch` -> `origin_mismatch`
//! - `RpIdMismatch` -> `rp_id_mismatch`
//! - `UserNotPresent` -> `user_not_present`
//! - `UserNotVerified` -> `user_not_verified`
//! - `BadSignature` -> `bad_signature`
//! - `CounterRegression` -> `counter_regression`
//! - `UnknownCredential`, `UserHandleMismatch` -> `unknown_credential`
//! - `CredentialExists` -> `credential_exists`
//! - `UnsupportedAlgorithm` -> `unsupported_algorithm`
//! - `UnsupportedAttestation` -> `unsupported_attestation`
//! - `InvalidAttestation`, `UntrustedAttestation` -> `invalid_attestation`
//! - `CeremonyExpired` -> `ceremony_expired`
//! - `TypeMismatch`, `BackupStateWithoutEligibility`, `BackupEligibilityChanged`, `AttestedDataMismatch`,
//!   `ExtensionDataMismatch`, `TrailingBytes`, `CredentialIdMismatch`,
//!   `CredentialIdTooLong`, `InvalidPublicKey`, `MalformedResponse` -> `malformed_response`

use std::fmt;

/// Why a registration or authentication response was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WebauthnError {
    /// `clientDataJSON.type` is not the one of this ceremony.
    TypeMismatch,
    /// `clientDataJSON.challenge` differs from the challenge that was issued.
    ChallengeMismatch,
    /// `clientDataJSON.origin` is not one of the allowed origins.
    OriginMismatch,
    /// `crossOrigin` is true (or `topOrigin` present) but cross-origin use is not allowed.
    CrossOriginNotAllowed,
    /// `topOrigin` is not one of the allowed top-level origins.
    TopOriginMismatch,
    /// `rpIdHash` in the authenticator data is not SHA-256 of the RP ID.
    RpIdMismatch,
    /// The UP flag is not set.
    UserNotPresent,
    /// The UV flag is not set although user verification is required.
    UserNotVerified,
    /// The BS flag is set while the BE flag is not.
    BackupStateWithoutEligibility,
    /// The BE flag differs from the one stored at registration.
    BackupEligibilityChanged,
    /// The AT flag disagrees with the presence of attested credential data.
    AttestedDataMismatch,
    /// The ED flag disagrees with the presence of extension data.
    ExtensionDataMismatch,
    /// Bytes follow the end of a structure that must be consumed exactly.
    TrailingBytes,
    /// The assertion signature does not verify (attestation signatures give `InvalidAttestation`).
    BadSignature,
    /// The signature counter did not increase.
    CounterRegression,
    /// The credential is not in `allowCredentials` (or not the stored one).
    UnknownCredential,
    /// The returned `userHandle` differs from the expected user handle.
    UserHandleMismatch,
    /// The credential id is longer than 1023 bytes.
    CredentialIdTooLong,
    /// `id`, `rawId` and the credential id in the authenticator data disagree.
    CredentialIdMismatch,
    /// The credential id is already registered (raised by the service, not by this module).
    CredentialExists,
    /// The public key algorithm is not allowed or not supported.
    UnsupportedAlgorithm,
    /// The COSE public key is malformed for its key type, algorithm or curve.
    InvalidPublicKey,
    /// The attestation statement format is not supported.
    UnsupportedAttestation,
    /// The attestation statement does not satisfy the rules of its format.
    InvalidAttestation,
    /// Trusted attestation was required but the chain does not reach a trusted root.
    UntrustedAttestation,
    /// The ceremony timed out (raised by the service, not by this module).
    CeremonyExpired,
    /// The response could not be decoded or is structurally invalid.
    MalformedResponse,
}

impl WebauthnError {
    /// Stable API error code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ChallengeMismatch => "challenge_mismatch",
            Self::OriginMismatch | Self::CrossOriginNotAllowed | Self::TopOriginMismatch => {
                "origin_mismatch"
            }
            Self::RpIdMismatch => "rp_id_mismatch",
            Self::UserNotPresent => "user_not_present",
            Self::UserNotVerified => "user_not_verified",
            Self::BadSignature => "bad_signature",
            Self::CounterRegression => "counter_regression",
            Self::UnknownCredential | Self::UserHandleMismatch => "unknown_credential",
            Self::CredentialExists => "credential_exists",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnsupportedAttestation => "unsupported_attestation",
            Self::InvalidAttestation | Self::UntrustedAttestation => "invalid_attestation",
            Self::CeremonyExpired => "ceremony_expired",
            Self::TypeMismatch
            | Self::BackupStateWithoutEligibility
            | Self::BackupEligibilityChanged
            | Self::AttestedDataMismatch
            | Self::ExtensionDataMismatch
            | Self::TrailingBytes
            | Self::CredentialIdTooLong
            | Self::CredentialIdMismatch
            | Self::InvalidPublicKey
            | Self::MalformedResponse => "malformed_response",
        }
    }

    /// Short human-friendly explanation.
    pub fn message(&self) -> &'static str {
        match self {
            Self::TypeMismatch => "The client data is for a different kind of ceremony.",
            Self::ChallengeMismatch => {
                "The response does not answer the challenge that was issued."
            }
            Self::OriginMismatch => "The response comes from an origin that is not allowed.",
            Self::CrossOriginNotAllowed => "Cross-origin (embedded) use is not allowed.",
            Self::TopOriginMismatch => "The top-level origin is not allowed.",
            Self::RpIdMismatch => "The credential is scoped to a different relying party.",
            Self::UserNotPresent => "The authenticator did not confirm user presence.",
            Self::UserNotVerified => "The authenticator did not verify the user.",
            Self::BackupStateWithoutEligibility => {
                "The authenticator reports a backup without backup eligibility."
            }
            Self::BackupEligibilityChanged => "The authenticator changed its backup eligibility.",
            Self::AttestedDataMismatch => "The attested credential data flag is inconsistent.",
            Self::ExtensionDataMismatch => "The extension data flag is inconsistent.",
            Self::TrailingBytes => "The response contains unexpected trailing bytes.",
            Self::BadSignature => "The signature is not valid.",
            Self::CounterRegression => {
                "The signature counter went backwards; the authenticator may be cloned."
            }
            Self::UnknownCredential => "This credential is not recognised for this request.",
            Self::UserHandleMismatch => "The credential belongs to a different user.",
            Self::CredentialIdTooLong => "The credential id is too long.",
            Self::CredentialIdMismatch => "The credential ids in the response disagree.",
            Self::CredentialExists => "This credential is already registered.",
            Self::UnsupportedAlgorithm => "The credential uses an algorithm that is not allowed.",
            Self::InvalidPublicKey => "The credential public key is malformed.",
            Self::UnsupportedAttestation => "The attestation format is not supported.",
            Self::InvalidAttestation => "The attestation statement is not valid.",
            Self::UntrustedAttestation => "The attestation does not chain to a trusted root.",
            Self::CeremonyExpired => "The ceremony has expired; please start again.",
            Self::MalformedResponse => "The response is malformed.",
        }
    }
}

impl fmt::Display for WebauthnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for WebauthnError {}
