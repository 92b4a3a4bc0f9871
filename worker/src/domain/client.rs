//! Partner accounts: what a client may set, what only the operator may set,
//! and the secret-free view.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::input::{InputError, JsonObject};
use super::time::rfc3339;
use super::webhook_url;

pub const NAME_MAX: usize = 100;
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
}
