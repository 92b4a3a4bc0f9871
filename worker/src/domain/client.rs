//! Partner accounts: what a client may set, what only the operator may set,
//! and the secret-free view.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::crypto::ct_eq;
use super::input::{InputError, JsonObject};
use super::time::rfc3339;
use super::webhook_url;

pub const NAME_MAX: usize = 100;
/// Longest overlap of a rotated key or webhook secret (7 days, DESIGN §4).
pub const ROTATION_OVERLAP_MAX_S: i64 = 604_800;
/// Default overlap of a rotated key or webhook secret (1 day).
pub const ROTATION_OVERLAP_DEFAULT_S: i64 = 86_400;
pub const ORIGINS_MAX: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Enterprise,
}

impl Plan {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "free" => Some(Self::Free),
            "pro" => Some(Self::Pro),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }

    /// Partner API requests per minute.
    pub fn requests_per_minute(self) -> u32 {
        match self {
            Self::Free => 60,
            Self::Pro => 600,
            Self::Enterprise => 6000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    Active,
    Suspended,
}

/// SHA-256 hex of each mode's API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHashes {
    pub live: String,
    pub test: String,
}

/// The stored client (KV). Secrets are hashes or sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRecord {
    pub id: String,
    pub name: String,
    pub webhook_url: Option<String>,
    pub allowed_origins: Vec<String>,
    pub rp_id: Option<String>,
    pub rp_name: Option<String>,
    pub plan: Plan,
    pub status: ClientStatus,
    pub created_at: i64,
    /// The `whsec_` secret, sealed with the service key: it must be usable to sign.
    pub webhook_secret_sealed: String,
    pub key_hashes: KeyHashes,
    /// Keys replaced by a rotation that still work until they expire.
    #[serde(default)]
    pub previous_keys: PreviousKeys,
    /// The webhook secret replaced by a rotation: deliveries are signed with it
    /// too until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_webhook_secret: Option<Retired>,
}

/// A replaced secret (a key hash or a sealed webhook secret) and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retired {
    pub value: String,
    pub expires_at: i64,
}

impl Retired {
    fn live_at(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

/// The previous key of each mode, during a rotation's overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Retired>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Retired>,
}

/// Why a partner's API key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The key is neither the current one of its mode nor a previous one still in its overlap.
    UnknownKey,
    /// The key is right but the client is suspended.
    Suspended,
}

/// What `POST /clients/:id/keys` and `/webhook-secret` accept: `{mode?, expiresIn?}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// `Some` for API keys (`true` = live), `None` for the webhook secret.
    pub livemode: Option<bool>,
    /// Seconds the previous secret keeps working (0 revokes it at once).
    pub expires_in_s: i64,
}

impl Rotation {
    /// `{mode: "live"|"test", expiresIn?}` for keys.
    pub fn parse_keys(body: &[u8]) -> Result<Self, InputError> {
        let o = JsonObject::parse(body, &["mode", "expiresIn"])?;
        let livemode = match o.required_str("mode")? {
            "live" => true,
            "test" => false,
            _ => return Err(InputError::invalid("mode", "must be live or test")),
        };
        Ok(Self {
            livemode: Some(livemode),
            expires_in_s: expires_in(&o)?,
        })
    }

    /// `{expiresIn?}` for the webhook secret.
    pub fn parse_webhook_secret(body: &[u8]) -> Result<Self, InputError> {
        let o = JsonObject::parse(body, &["expiresIn"])?;
        Ok(Self {
            livemode: None,
            expires_in_s: expires_in(&o)?,
        })
    }
}

fn expires_in(o: &JsonObject) -> Result<i64, InputError> {
    match o.value("expiresIn") {
        None => Ok(ROTATION_OVERLAP_DEFAULT_S),
        Some(v) => v
            .as_i64()
            .filter(|s| (0..=ROTATION_OVERLAP_MAX_S).contains(s))
            .ok_or_else(|| {
                InputError::invalid(
                    "expiresIn",
                    format!("must be whole seconds from 0 to {ROTATION_OVERLAP_MAX_S}"),
                )
            }),
    }
}

/// Editable settings, as validated from a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub name: Option<String>,
    /// `Some(None)` clears the URL.
    pub webhook_url: Option<Option<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub rp_id: Option<Option<String>>,
    pub rp_name: Option<Option<String>>,
    pub plan: Option<Plan>,
    pub status: Option<ClientStatus>,
}

const CLIENT_FIELDS: [&str; 5] = ["name", "webhookUrl", "allowedOrigins", "rpId", "rpName"];
const OPERATOR_FIELDS: [&str; 7] = [
    "name",
    "webhookUrl",
    "allowedOrigins",
    "rpId",
    "rpName",
    "plan",
    "status",
];

impl Settings {
    /// `POST /clients` body (operator); `name` is required.
    pub fn parse_new(body: &[u8], allow_private: bool) -> Result<Self, InputError> {
        let s = Self::parse(body, &CLIENT_FIELDS, allow_private)?;
        if s.name.is_none() {
            return Err(InputError::MissingField("name".into()));
        }
        Ok(s)
    }

    /// `PUT /clients/:id` body. A client naming `plan` or `status` is refused
    /// with `forbidden` by the caller (see [`Settings::touches_operator_fields`]).
    pub fn parse_update(body: &[u8], allow_private: bool) -> Result<Self, InputError> {
        Self::parse(body, &OPERATOR_FIELDS, allow_private)
    }

    pub fn touches_operator_fields(&self) -> bool {
        self.plan.is_some() || self.status.is_some()
    }

    fn parse(body: &[u8], fields: &[&str], allow_private: bool) -> Result<Self, InputError> {
        let o = JsonObject::parse(body, fields)?;
        let mut s = Settings::default();
        if o.has("name") {
            let name = o.required_str("name")?.trim();
            if name.is_empty()
                || name.chars().count() > NAME_MAX
                || name.chars().any(char::is_control)
            {
                return Err(InputError::invalid(
                    "name",
                    format!("must be 1 to {NAME_MAX} printable characters"),
                ));
            }
            s.name = Some(name.to_owned());
        }
        if o.has("webhookUrl") {
            let url = o.str("webhookUrl")?;
            if let Some(url) = url {
                webhook_url::validate(url, allow_private)
                    .map_err(|e| InputError::invalid("webhookUrl", e.reason()))?;
            }
            s.webhook_url = Some(url.map(str::to_owned));
        }
        if o.has("allowedOrigins") {
            let origins = o
                .strings("allowedOrigins", ORIGINS_MAX)?
                .unwrap_or_default();
            for origin in &origins {
                if !is_origin(origin) {
                    return Err(InputError::invalid(
                        "allowedOrigins",
                        format!(
                            "contains `{}`, which is not an origin like https://shop.example",
                            truncate(origin)
                        ),
                    ));
                }
            }
            s.allowed_origins = Some(origins);
        }
        if o.has("rpId") {
            let rp_id = o.str("rpId")?;
            if let Some(id) = rp_id {
                if !is_domain(id) {
                    return Err(InputError::invalid(
                        "rpId",
                        "must be a domain name like shop.example",
                    ));
                }
            }
            s.rp_id = Some(rp_id.map(str::to_owned));
        }
        if o.has("rpName") {
            let rp_name = o.str("rpName")?;
            if let Some(n) = rp_name {
                if n.trim().is_empty()
                    || n.chars().count() > NAME_MAX
                    || n.chars().any(char::is_control)
                {
                    return Err(InputError::invalid(
                        "rpName",
                        format!("must be 1 to {NAME_MAX} printable characters"),
                    ));
                }
            }
            s.rp_name = Some(rp_name.map(str::to_owned));
        }
        if o.has("plan") {
            let plan = o.required_str("plan")?;
            s.plan =
                Some(Plan::parse(plan).ok_or_else(|| {
                    InputError::invalid("plan", "must be free, pro or enterprise")
                })?);
        }
        if o.has("status") {
            s.status = Some(match o.required_str("status")? {
                "active" => ClientStatus::Active,
                "suspended" => ClientStatus::Suspended,
                _ => return Err(InputError::invalid("status", "must be active or suspended")),
            });
        }
        Ok(s)
    }
}

impl ClientRecord {
    /// Applies validated settings, then checks that the RP ID covers every allowed origin.
    pub fn apply(&mut self, s: Settings) -> Result<(), InputError> {
        let mut next = self.clone();
        if let Some(v) = s.name {
            next.name = v;
        }
        if let Some(v) = s.webhook_url {
            next.webhook_url = v;
        }
        if let Some(v) = s.allowed_origins {
            next.allowed_origins = v;
        }
        if let Some(v) = s.rp_id {
            next.rp_id = v;
        }
        if let Some(v) = s.rp_name {
            next.rp_name = v;
        }
        if let Some(v) = s.plan {
            next.plan = v;
        }
        if let Some(v) = s.status {
            next.status = v;
        }
        if let Some(rp_id) = &next.rp_id {
            // WebAuthn §5.1.4: the RP ID must be the origin's host or a registrable suffix of it.
            if let Some(bad) = next
                .allowed_origins
                .iter()
                .find(|o| !rp_id_covers(rp_id, o))
            {
                return Err(InputError::invalid(
                    "rpId",
                    format!("does not cover allowed origin `{}`", truncate(bad)),
                ));
            }
        }
        *self = next;
        Ok(())
    }

    /// Checks a partner's API key (SHA-256 hex) of one mode at `now`: the
    /// current key, or the previous one during its overlap; then the status.
    pub fn authenticate(&self, key_hash: &str, livemode: bool, now: i64) -> Result<(), KeyRefusal> {
        let (current, previous) = if livemode {
            (&self.key_hashes.live, &self.previous_keys.live)
        } else {
            (&self.key_hashes.test, &self.previous_keys.test)
        };
        // Both compared every time, in constant time: no timing tells which matched.
        let is_current = ct_eq(current.as_bytes(), key_hash.as_bytes());
        let is_previous = previous
            .as_ref()
            .is_some_and(|p| ct_eq(p.value.as_bytes(), key_hash.as_bytes()) & p.live_at(now));
        if !(is_current | is_previous) {
            return Err(KeyRefusal::UnknownKey);
        }
        if self.status != ClientStatus::Active {
            return Err(KeyRefusal::Suspended);
        }
        Ok(())
    }

    /// Replaces the key of `livemode` by `new_hash`; the old one works until
    /// the returned time (unix ms; `now` when revoked at once).
    pub fn rotate_key(
        &mut self,
        livemode: bool,
        new_hash: String,
        expires_in_s: i64,
        now: i64,
    ) -> i64 {
        let expires_at = now + expires_in_s * 1000;
        let (current, previous) = if livemode {
            (&mut self.key_hashes.live, &mut self.previous_keys.live)
        } else {
            (&mut self.key_hashes.test, &mut self.previous_keys.test)
        };
        let old = std::mem::replace(current, new_hash);
        *previous = (expires_in_s > 0).then_some(Retired {
            value: old,
            expires_at,
        });
        expires_at
    }

    /// Replaces the sealed webhook secret; the old one signs too until the returned time.
    pub fn rotate_webhook_secret(
        &mut self,
        new_sealed: String,
        expires_in_s: i64,
        now: i64,
    ) -> i64 {
        let expires_at = now + expires_in_s * 1000;
        let old = std::mem::replace(&mut self.webhook_secret_sealed, new_sealed);
        self.previous_webhook_secret = (expires_in_s > 0).then_some(Retired {
            value: old,
            expires_at,
        });
        expires_at
    }

    /// The sealed secrets deliveries are signed with at `now`: the current one
    /// first, then the previous one during its overlap.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.webhook_secret_sealed.as_str()];
        if let Some(p) = self
            .previous_webhook_secret
            .as_ref()
            .filter(|p| p.live_at(now))
        {
            out.push(&p.value);
        }
        out
    }

    /// The client without secrets (`GET`/`PUT` answers).
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "object": "client",
            "name": self.name,
            "webhookUrl": self.webhook_url,
            "allowedOrigins": self.allowed_origins,
            "rpId": self.rp_id,
            "rpName": self.rp_name,
            "plan": self.plan,
            "status": self.status,
            "createdAt": rfc3339(self.created_at),
        })
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

fn is_domain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').count() >= 1
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// `scheme://host[:port]` with no path; http only for localhost.
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let host = origin_host(rest);
    let port_ok = match rest.split_once(':') {
        Some((_, p)) => {
            p.parse::<u16>().is_ok_and(|p| p > 0) && p.bytes().all(|b| b.is_ascii_digit())
        }
        None => true,
    };
    let scheme_ok =
        scheme == "https" || (scheme == "http" && (host == "localhost" || host == "127.0.0.1"));
    scheme_ok && port_ok && (is_domain(host) || host == "127.0.0.1")
}

fn origin_host(rest: &str) -> &str {
    rest.split(':').next().unwrap_or(rest)
}

fn rp_id_covers(rp_id: &str, origin: &str) -> bool {
    let host = origin.split_once("://").map_or("", |(_, r)| origin_host(r));
    host == rp_id || host.strip_suffix(rp_id).is_some_and(|p| p.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ClientRecord {
        ClientRecord {
            id: "mid_client_x".into(),
            name: "Shop".into(),
            webhook_url: None,
            allowed_origins: vec![],
            rp_id: None,
            rp_name: None,
            plan: Plan::Free,
            status: ClientStatus::Active,
            created_at: 0,
            webhook_secret_sealed: "sealed".into(),
            key_hashes: KeyHashes {
                live: "l".into(),
                test: "t".into(),
            },
            previous_keys: PreviousKeys::default(),
            previous_webhook_secret: None,
        }
    }

    #[test]
    fn new_client_requires_a_name_and_refuses_plan() {
        assert_eq!(
            Settings::parse_new(b"{}", false).unwrap_err(),
            InputError::MissingField("name".into())
        );
        assert_eq!(
            Settings::parse_new(br#"{"name":"A","plan":"pro"}"#, false).unwrap_err(),
            InputError::UnknownField("plan".into())
        );
        let s = Settings::parse_new(
            br#"{"name":" Bank ","webhookUrl":"https://bank.example/h"}"#,
            false,
        )
        .unwrap();
        assert_eq!(s.name.as_deref(), Some("Bank"));
    }

    #[test]
    fn webhook_url_goes_through_ssrf_rules() {
        let err = Settings::parse_new(br#"{"name":"A","webhookUrl":"https://127.0.0.1/h"}"#, false)
            .unwrap_err();
        assert_eq!(err.param(), Some("webhookUrl"));
        assert!(
            Settings::parse_new(br#"{"name":"A","webhookUrl":"http://127.0.0.1:9/h"}"#, true)
                .is_ok()
        );
    }

    #[test]
    fn client_edits_flag_operator_fields() {
        let s = Settings::parse_update(br#"{"plan":"pro"}"#, false).unwrap();
        assert!(s.touches_operator_fields());
        let s = Settings::parse_update(br#"{"name":"B","webhookUrl":null}"#, false).unwrap();
        assert!(!s.touches_operator_fields());
        let mut r = record();
        r.webhook_url = Some("https://a.example/h".into());
        r.apply(s).unwrap();
        assert_eq!((r.name.as_str(), r.webhook_url), ("B", None));
    }

    #[test]
    fn rp_id_must_cover_origins() {
        let mut r = record();
        let s = Settings::parse_update(
            br#"{"rpId":"shop.example","allowedOrigins":["https://shop.example","https://www.shop.example:8443"]}"#,
            false,
        )
        .unwrap();
        r.apply(s).unwrap();
        let bad =
            Settings::parse_update(br#"{"allowedOrigins":["https://evilshop.example"]}"#, false)
                .unwrap();
        assert_eq!(r.apply(bad).unwrap_err().param(), Some("rpId"));
        assert_eq!(r.allowed_origins.len(), 2, "failed edit changes nothing");
        for origin in [
            "http://shop.example",
            "https://shop.example/",
            "shop.example",
            "https://shop.example:0",
        ] {
            let body = format!(r#"{{"allowedOrigins":["{origin}"]}}"#);
            assert!(
                Settings::parse_update(body.as_bytes(), false).is_err(),
                "{origin}"
            );
        }
    }

    #[test]
    fn view_has_no_secrets() {
        let v = record().view().to_string();
        assert!(!v.contains("sealed") && !v.contains("keyHashes"));
    }

    #[test]
    fn keys_authenticate_by_mode_and_suspension_refuses_the_right_key() {
        let mut r = record();
        r.key_hashes = KeyHashes {
            live: "L".repeat(64),
            test: "T".repeat(64),
        };
        assert_eq!(r.authenticate(&"L".repeat(64), true, 0), Ok(()));
        assert_eq!(r.authenticate(&"T".repeat(64), false, 0), Ok(()));
        // A key of the other mode is unknown in this one.
        assert_eq!(
            r.authenticate(&"T".repeat(64), true, 0),
            Err(KeyRefusal::UnknownKey)
        );
        r.status = ClientStatus::Suspended;
        assert_eq!(
            r.authenticate(&"L".repeat(64), true, 0),
            Err(KeyRefusal::Suspended)
        );
        // A wrong key stays 401 whatever the status: suspension is not an oracle.
        assert_eq!(
            r.authenticate(&"x".repeat(64), true, 0),
            Err(KeyRefusal::UnknownKey)
        );
    }

    #[test]
    fn a_rotated_key_overlaps_then_expires_and_zero_revokes_at_once() {
        let mut r = record();
        r.key_hashes.test = "old".into();
        let until = r.rotate_key(false, "new".into(), 60, 1_000);
        assert_eq!(until, 61_000);
        assert_eq!(r.authenticate("new", false, 1_000), Ok(()));
        assert_eq!(r.authenticate("old", false, 60_999), Ok(()));
        assert_eq!(
            r.authenticate("old", false, 61_000),
            Err(KeyRefusal::UnknownKey)
        );
        // Rotating again replaces the overlap: only one previous key per mode.
        r.rotate_key(false, "newer".into(), 0, 2_000);
        assert_eq!(
            r.authenticate("new", false, 2_000),
            Err(KeyRefusal::UnknownKey)
        );
        assert_eq!(
            r.authenticate("old", false, 2_000),
            Err(KeyRefusal::UnknownKey)
        );
        assert_eq!(r.authenticate("newer", false, 2_000), Ok(()));
        assert_eq!(r.previous_keys.test, None);
    }

    #[test]
    fn a_rotated_webhook_secret_signs_beside_the_new_one_during_the_overlap() {
        let mut r = record();
        r.webhook_secret_sealed = "s1".into();
        assert_eq!(r.signing_secrets(0), ["s1"]);
        r.rotate_webhook_secret("s2".into(), 10, 0);
        assert_eq!(r.signing_secrets(9_999), ["s2", "s1"]);
        assert_eq!(r.signing_secrets(10_000), ["s2"]);
    }

    #[test]
    fn rotation_bodies_are_strict() {
        assert_eq!(
            Rotation::parse_keys(br#"{"mode":"live"}"#).unwrap(),
            Rotation {
                livemode: Some(true),
                expires_in_s: ROTATION_OVERLAP_DEFAULT_S
            }
        );
        assert_eq!(
            Rotation::parse_keys(br#"{"mode":"test","expiresIn":0}"#)
                .unwrap()
                .expires_in_s,
            0
        );
        for bad in [
            &br#"{}"#[..],
            br#"{"mode":"prod"}"#,
            br#"{"mode":"live","expiresIn":604801}"#,
            br#"{"mode":"live","expiresIn":-1}"#,
            br#"{"mode":"live","expiresIn":1.5}"#,
            br#"{"mode":"live","extra":1}"#,
            b"",
        ] {
            assert!(
                Rotation::parse_keys(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            Rotation::parse_webhook_secret(b"{}").unwrap().expires_in_s,
            ROTATION_OVERLAP_DEFAULT_S
        );
        assert!(Rotation::parse_webhook_secret(br#"{"mode":"live"}"#).is_err());
    }
}
