//! Single-use registration token handed out after a verified enrollment.
//!
//! The plain token (`rt_<base64url>`) goes to the client once; only its
//! SHA-256 is stored. SHA-256 without a key is enough here because the
//! token carries >= 128 bits of randomness, so the hash can't be reversed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::crypto::b64url;

/// Lifetime of a registration token: 15 minutes.
pub const REGISTRATION_TOKEN_TTL_MS: i64 = 15 * 60 * 1000;

/// Minimum randomness (128 bits) accepted to mint a token.
pub const REGISTRATION_TOKEN_MIN_RANDOM_BYTES: usize = 16;

/// Prefix that makes tokens recognisable in logs and secret scanners.
pub const REGISTRATION_TOKEN_PREFIX: &str = "rt_";

/// Minting failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Fewer than 16 random bytes were supplied.
    InsufficientRandomness,
}

impl core::fmt::Display for TokenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("registration token needs at least 16 random bytes")
    }
}

impl std::error::Error for TokenError {}

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeError {
    /// Does not hash to the stored value (wrong, truncated or foreign).
    Invalid,
    /// Already consumed once; tokens are single use.
    AlreadyUsed,
    /// `now >= expiresAt`.
    Expired,
}

impl ConsumeError {
    /// Stable snake_case error code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            ConsumeError::Invalid => "invalid_registration_token",
            ConsumeError::AlreadyUsed => "registration_token_used",
            ConsumeError::Expired => "registration_token_expired",
        }
    }
}

impl core::fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for ConsumeError {}

/// Stored form of a registration token (JSON, camelCase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationTokenRecord {
    /// Unpadded base64url SHA-256 of the full token string.
    pub hash: String,
    pub user_id: String,
    /// Unix millis; expired at this instant and after.
    pub expires_at: i64,
    pub used: bool,
    /// The client whose enrollment issued the token, and its mode: the
    /// passkey registered with it is that client's device.
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub livemode: bool,
}

/// A freshly minted token: `token` goes to the client, `record` to storage.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedRegistrationToken {
    pub token: String,
    pub record: RegistrationTokenRecord,
}

impl core::fmt::Debug for IssuedRegistrationToken {
    // The plain token is a bearer secret.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuedRegistrationToken")
            .field("token", &"<redacted>")
            .field("record", &self.record)
            .finish()
    }
}

/// Result of a successful consume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedToken {
    pub user_id: String,
    pub client_id: String,
    pub livemode: bool,
}

fn token_hash(token: &str) -> String {
    b64url(&Sha256::digest(token.as_bytes()))
}

impl RegistrationTokenRecord {
    /// A plain token from caller-supplied CSPRNG bytes (all are used), for
    /// callers that build the record later (a resumable verification).
    pub fn new_token(random: &[u8]) -> Result<String, TokenError> {
        if random.len() < REGISTRATION_TOKEN_MIN_RANDOM_BYTES {
            return Err(TokenError::InsufficientRandomness);
        }
        Ok(format!("{REGISTRATION_TOKEN_PREFIX}{}", b64url(random)))
    }

    /// The stored hash of `token`.
    pub fn hash_of(token: &str) -> String {
        token_hash(token)
    }

    /// Whether `other` is this same token, re-stored by a resumed
    /// verification (the record may since have been used: keep it as is).
    pub fn is_same_token(&self, other: &RegistrationTokenRecord) -> bool {
        crate::domain::crypto::ct_eq(self.hash.as_bytes(), other.hash.as_bytes())
            && self.user_id == other.user_id
            && self.client_id == other.client_id
            && self.livemode == other.livemode
    }

    /// Mints a token from caller-supplied CSPRNG bytes (all are used).
    pub fn issue(
        random: &[u8],
        user_id: &str,
        now_ms: i64,
    ) -> Result<IssuedRegistrationToken, TokenError> {
        let token = Self::new_token(random)?;
        let record = RegistrationTokenRecord {
            hash: token_hash(&token),
            user_id: user_id.to_owned(),
            expires_at: now_ms.saturating_add(REGISTRATION_TOKEN_TTL_MS),
            used: false,
            client_id: String::new(),
            livemode: false,
        };
        Ok(IssuedRegistrationToken { token, record })
    }

    /// Checks `presented` and marks the record used on success. Persist
    /// `self` afterwards. The hash check runs first so that the other
    /// errors are only revealed to holders of the real token.
    pub fn consume(&mut self, now_ms: i64, presented: &str) -> Result<ConsumedToken, ConsumeError> {
        let presented_hash = token_hash(presented);
        let matches: bool = presented_hash.as_bytes().ct_eq(self.hash.as_bytes()).into();
        if !matches {
            return Err(ConsumeError::Invalid);
        }
        if self.used {
            return Err(ConsumeError::AlreadyUsed);
        }
        if now_ms >= self.expires_at {
            return Err(ConsumeError::Expired);
        }
        self.used = true;
        Ok(ConsumedToken {
            user_id: self.user_id.clone(),
            client_id: self.client_id.clone(),
            livemode: self.livemode,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    // The independent oracle: the base64 crate directly, not our helper.
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    const T0: i64 = 1_800_000_000_000;

    fn issue() -> IssuedRegistrationToken {
        let random: Vec<u8> = (0u8..16).collect();
        RegistrationTokenRecord::issue(&random, "usr_42", T0).unwrap()
    }

    #[test]
    fn issue_format_and_hash() {
        let issued = issue();
        // base64url of 00..0f without padding.
        assert_eq!(issued.token, "rt_AAECAwQFBgcICQoLDA0ODw");
        let expected = URL_SAFE_NO_PAD.encode(hmac_sha256::Hash::hash(issued.token.as_bytes()));
        assert_eq!(issued.record.hash, expected);
        assert!(
            !issued.record.hash.contains("AAECAwQF"),
            "plain token not stored"
        );
        assert_eq!(issued.record.expires_at, T0 + 900_000);
        assert!(!issued.record.used);
        assert_eq!(issued.record.user_id, "usr_42");
    }

    #[test]
    fn issue_requires_16_bytes_and_uses_all() {
        assert_eq!(
            RegistrationTokenRecord::issue(&[0u8; 15], "u", T0),
            Err(TokenError::InsufficientRandomness)
        );
        let long = RegistrationTokenRecord::issue(&[7u8; 32], "u", T0).unwrap();
        assert_eq!(long.token.len(), 3 + 43);
        assert!(long
            .token
            .bytes()
            .skip(3)
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn consume_once() {
        let issued = issue();
        let mut record = issued.record.clone();
        assert_eq!(
            record.consume(T0 + 1, &issued.token),
            Ok(ConsumedToken {
                user_id: "usr_42".into(),
                client_id: String::new(),
                livemode: false,
            })
        );
        assert!(record.used);
        assert_eq!(
            record.consume(T0 + 2, &issued.token),
            Err(ConsumeError::AlreadyUsed)
        );
    }

    #[test]
    fn consume_expiry_boundary() {
        let issued = issue();
        let mut before = issued.record.clone();
        assert!(before
            .consume(T0 + REGISTRATION_TOKEN_TTL_MS - 1, &issued.token)
            .is_ok());
        let mut at = issued.record.clone();
        assert_eq!(
            at.consume(T0 + REGISTRATION_TOKEN_TTL_MS, &issued.token),
            Err(ConsumeError::Expired)
        );
        assert!(!at.used);
    }

    #[test]
    fn consume_rejects_wrong_tokens() {
        let issued = issue();
        let mut record = issued.record.clone();
        for bad in [
            "",
            "rt_",
            "rt_AAECAwQFBgcICQoLDA0ODx",
            "AAECAwQFBgcICQoLDA0ODw",
            &issued.record.hash, // the stored hash is not the token
        ] {
            assert_eq!(record.consume(T0, bad), Err(ConsumeError::Invalid), "{bad}");
        }
        assert!(!record.used);
        // Invalid wins even over used/expired, so nothing leaks.
        record.used = true;
        assert_eq!(
            record.consume(T0 + 10_000_000, "rt_x"),
            Err(ConsumeError::Invalid)
        );
    }

    #[test]
    fn record_serde_and_debug() {
        let issued = issue();
        let json = serde_json::to_value(&issued.record).unwrap();
        assert_eq!(json["userId"], "usr_42");
        assert_eq!(json["expiresAt"], T0 + REGISTRATION_TOKEN_TTL_MS);
        assert_eq!(json["used"], false);
        assert!(json.get("hash").is_some());
        let dbg = format!("{issued:?}");
        assert!(!dbg.contains(&issued.token));
        assert!(dbg.contains("<redacted>"));
    }
}
