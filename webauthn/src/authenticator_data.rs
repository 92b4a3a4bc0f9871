//! Authenticator data (WebAuthn §6.1) parsing. Every byte must be accounted for.

use super::cbor;
use super::error::WebauthnError;

/// Flag bit: user present.
pub const FLAG_UP: u8 = 0x01;
/// Flag bit: user verified.
pub const FLAG_UV: u8 = 0x04;
/// Flag bit: backup eligible.
pub const FLAG_BE: u8 = 0x08;
/// Flag bit: backup state.
pub const FLAG_BS: u8 = 0x10;
/// Flag bit: attested credential data included.
pub const FLAG_AT: u8 = 0x40;
/// Flag bit: extension data included.
pub const FLAG_ED: u8 = 0x80;

/// rpIdHash (32) + flags (1) + signCount (4).
const FIXED_LEN: usize = 37;

/// Attested credential data (§6.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredentialData {
    /// Authenticator model identifier.
    pub aaguid: [u8; 16],
    /// Credential id as declared by its 2-byte length prefix.
    pub credential_id: Vec<u8>,
    /// The credential public key exactly as encoded (one CBOR map).
    pub public_key: Vec<u8>,
}

/// Parsed authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    /// SHA-256 of the RP ID the credential is scoped to.
    pub rp_id_hash: [u8; 32],
    /// Flag byte.
    pub flags: u8,
    /// Signature counter.
    pub sign_count: u32,
    /// Present iff the AT flag is set.
    pub attested: Option<AttestedCredentialData>,
    /// Raw extension map, present iff the ED flag is set.
    pub extensions: Option<Vec<u8>>,
}

impl AuthenticatorData {
    /// Whether a flag bit is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Parses authenticator data; the AT/ED flags decide which optional parts must follow
/// and no bytes may remain afterwards.
pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, WebauthnError> {
    let fixed = bytes
        .get(..FIXED_LEN)
        .ok_or(WebauthnError::MalformedResponse)?;
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(fixed.get(..32).ok_or(WebauthnError::MalformedResponse)?);
    let flags = *fixed.get(32).ok_or(WebauthnError::MalformedResponse)?;
    let count: [u8; 4] = fixed
        .get(33..37)
        .and_then(|c| c.try_into().ok())
        .ok_or(WebauthnError::MalformedResponse)?;
    let sign_count = u32::from_be_bytes(count);
    let mut rest = bytes.get(FIXED_LEN..).unwrap_or_default();

    let attested = if flags & FLAG_AT != 0 {
        let (data, remaining) = parse_attested(rest)?;
        rest = remaining;
        Some(data)
    } else {
        None
    };

    let extensions = if flags & FLAG_ED != 0 {
        let (value, used) =
            cbor::decode_prefix(rest).map_err(|_| WebauthnError::ExtensionDataMismatch)?;
        if value.as_map().is_none() {
            return Err(WebauthnError::ExtensionDataMismatch);
        }
        let (ext, remaining) = rest
            .split_at_checked(used)
            .ok_or(WebauthnError::MalformedResponse)?;
        rest = remaining;
        Some(ext.to_vec())
    } else {
        None
    };

    if !rest.is_empty() {
        return Err(leftover_error(flags, rest));
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
        extensions,
    })
}

/// Names leftovers precisely: an extension map without ED, attested data without AT,
/// or plain trailing garbage.
fn leftover_error(flags: u8, rest: &[u8]) -> WebauthnError {
    if flags & FLAG_ED == 0 && matches!(cbor::decode(rest), Ok(cbor::Value::Map(_))) {
        return WebauthnError::ExtensionDataMismatch;
    }
    if flags & FLAG_AT == 0 && parse_attested(rest).is_ok() {
        return WebauthnError::AttestedDataMismatch;
    }
    WebauthnError::TrailingBytes
}

fn parse_attested(bytes: &[u8]) -> Result<(AttestedCredentialData, &[u8]), WebauthnError> {
    let (aaguid_bytes, rest) = bytes
        .split_at_checked(16)
        .ok_or(WebauthnError::AttestedDataMismatch)?;
    let mut aaguid = [0u8; 16];
    aaguid.copy_from_slice(aaguid_bytes);
    let (len_bytes, rest) = rest
        .split_at_checked(2)
        .ok_or(WebauthnError::AttestedDataMismatch)?;
    let len = u16::from_be_bytes([
        *len_bytes.first().ok_or(WebauthnError::MalformedResponse)?,
        *len_bytes.get(1).ok_or(WebauthnError::MalformedResponse)?,
    ]);
    let (credential_id, rest) = rest
        .split_at_checked(usize::from(len))
        .ok_or(WebauthnError::MalformedResponse)?;
    let (_, used) = cbor::decode_prefix(rest).map_err(|_| WebauthnError::InvalidPublicKey)?;
    let (public_key, rest) = rest
        .split_at_checked(used)
        .ok_or(WebauthnError::MalformedResponse)?;
    Ok((
        AttestedCredentialData {
            aaguid,
            credential_id: credential_id.to_vec(),
            public_key: public_key.to_vec(),
        },
        rest,
    ))
}
