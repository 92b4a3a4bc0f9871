//! base64url (RFC 4648 §5) helpers. Output never has padding; input may omit or carry it,
//! since some client libraries pad.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

const ENCODER: GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    ENCODER.encode(bytes)
}

/// Decodes base64url with or without padding; rejects any other alphabet.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    DECODER.decode(text).ok()
}

/// Serde adapter for `Vec<u8>` fields carried as base64url strings.
pub mod serde_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as unpadded base64url.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(bytes))
    }

    /// Deserializes from base64url.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        super::decode(&text).ok_or_else(|| serde::de::Error::custom("invalid base64url"))
    }
}

/// Serde adapter for `Option<Vec<u8>>` fields carried as base64url strings (or null).
pub mod serde_opt_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `Some` as unpadded base64url; callers skip `None`.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&super::encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes from base64url or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::decode(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("invalid base64url")),
            None => Ok(None),
        }
    }
}
