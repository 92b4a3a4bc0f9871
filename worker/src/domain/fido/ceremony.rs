//! The single-use ceremony record and its id, which encodes where it is stored.

use serde::{Deserialize, Serialize};

use super::rp::Rp;
use crate::domain::approval::ConsentParty;
use crate::domain::consent::UserRef;
use crate::domain::ids;
use crate::domain::random::Random;
use crate::domain::webauthn::{base64url_decode, WebauthnError};

/// A ceremony's challenge lives this long, and is deleted on first use.
pub const CEREMONY_TTL_MS: i64 = 300_000;
const CEREMONY_PREFIX: &str = "cer_";
const CEREMONY_RANDOM_LEN: usize = 24;

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
    /// In its own object (partner-path discoverable sign-in: no user known at begin).
    Own,
    /// With the consent it approves (phone path), in that consent's object.
    Consent(String),
}

/// `cer_<24 base36>` for a discoverable ceremony, `cer_<24 base36>_<user suffix>`
/// for one stored with its user, so `complete` reaches the right object in one hop.
pub fn ceremony_id(r: &mut dyn Random, user_id: Option<&str>) -> String {
    let base = random_part(r);
    match user_id.and_then(|u| u.strip_prefix("user_")) {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base,
    }
}

/// `cer_<24 base36>_<consent id>`: a phone-path ceremony, stored with the
/// consent it approves.
pub fn consent_ceremony_id(r: &mut dyn Random, consent_id: &str) -> String {
    format!("{}_{consent_id}", random_part(r))
}

fn random_part(r: &mut dyn Random) -> String {
    format!(
        "{CEREMONY_PREFIX}{}",
        ids::random_string(
            b"0123456789abcdefghijklmnopqrstuvwxyz",
            CEREMONY_RANDOM_LEN,
            r
        )
    )
}

/// Parses a ceremony id; `None` for anything not minted by [`ceremony_id`].
pub fn ceremony_home(id: &str) -> Option<CeremonyHome> {
    let rest = id.strip_prefix(CEREMONY_PREFIX)?;
    let (random, suffix) = match rest.split_once('_') {
        Some((random, suffix)) => (random, Some(suffix)),
        None => (rest, None),
    };
    let base36 = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if random.len() != CEREMONY_RANDOM_LEN || !base36(random) {
        return None;
    }
    match suffix {
        Some(c) if c.starts_with("cons_") => {
            ids::is_id(c, "cons_", 16).then(|| CeremonyHome::Consent(c.to_owned()))
        }
        Some(s) => {
            let u = format!("user_{s}");
            ids::is_id(&u, "user_", 16).then_some(CeremonyHome::User(u))
        }
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

    pub(super) fn challenge_bytes(&self) -> Result<Vec<u8>, WebauthnError> {
        base64url_decode(&self.challenge).ok_or(WebauthnError::MalformedResponse)
    }

    pub(super) fn allow_list(&self) -> Option<Vec<Vec<u8>>> {
        self.allow_credentials
            .as_ref()
            .map(|ids| ids.iter().filter_map(|i| base64url_decode(i)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::SeqRandom;

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
        let phone = consent_ceremony_id(r, "cons_0123456789abcdef");
        assert_eq!(
            ceremony_home(&phone),
            Some(CeremonyHome::Consent("cons_0123456789abcdef".into()))
        );
        for bad in [
            "",
            "cer_",
            "cer_short",
            "cer_ABCDEFGHIJKLMNOPQRSTUVWX",
            &format!("{own}_nope"),
            &format!("{own}_0123456789abcdef/"),
            &format!("{own}_cons_short"),
            &format!("{own}_cons_0123456789abcdef_x"),
        ] {
            assert_eq!(ceremony_home(bad), None, "{bad}");
        }
    }
}
