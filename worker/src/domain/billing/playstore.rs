//! Google Play Real-time developer notifications through Pub/Sub push: the
//! push envelope and its DeveloperNotification, the service-account key and
//! its JWT-bearer assertion, and the Play Developer API's subscription
//! (subscriptionsv2) reduced to the premium entitlement it grants or ends.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use serde_json::{json, Value};

use super::EntitlementChange;
use crate::domain::time::parse_rfc3339_utc;

/// OAuth scope of the Play Developer API.
pub const SCOPE: &str = "https://www.googleapis.com/auth/androidpublisher";
/// Lifetime asked for an assertion, seconds (Google's maximum).
const ASSERTION_TTL_S: i64 = 3600;
/// Longest id or token taken from a notification.
const FIELD_MAX: usize = 512;

/// What a verified push carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Pub/Sub `messageId`: the idempotency key.
    pub message_id: String,
    /// `eventTimeMillis`: the order of notifications.
    pub event_time_ms: i64,
    pub kind: PushKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushKind {
    /// `testNotification` from the Play Console.
    Test,
    /// A subscription changed: ask the API what it is now.
    Subscription {
        purchase_token: String,
        /// Play's `notificationType` number.
        notification_type: i64,
    },
    /// Another notification (one-time product, voided purchase): not acted on.
    Other(&'static str),
}

impl PushKind {
    /// The event type recorded in the ledger.
    pub fn event_type(&self) -> String {
        match self {
            Self::Test => "testNotification".to_owned(),
            Self::Subscription {
                notification_type, ..
            } => format!("subscriptionNotification/{notification_type}"),
            Self::Other(name) => (*name).to_owned(),
        }
    }
}

/// Why an authenticated push was refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// Not a Pub/Sub push body with a `message.messageId` and base64 `message.data`.
    Envelope,
    /// `message.data` is not a DeveloperNotification.
    Notification,
    /// `packageName` is not `PLAYSTORE_PACKAGE_NAME`.
    PackageName,
}

impl PushError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Envelope => "The body is not a Pub/Sub push message.",
            Self::Notification => "message.data is not a Google Play developer notification.",
            Self::PackageName => "The notification is for another package.",
        }
    }

    pub fn param(self) -> &'static str {
        match self {
            Self::Envelope => "message",
            Self::Notification => "message.data",
            Self::PackageName => "packageName",
        }
    }
}

/// Decodes a Pub/Sub push body (already authenticated) for `package`.
pub fn parse_push(body: &[u8], package: &str) -> Result<Push, PushError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| PushError::Envelope)?;
    let message = v.get("message").ok_or(PushError::Envelope)?;
    let message_id = text(message, "messageId").ok_or(PushError::Envelope)?;
    let data = text(message, "data").ok_or(PushError::Envelope)?;
    // Pub/Sub uses standard base64; accept the URL-safe alphabet too.
    let raw = STANDARD
        .decode(&data)
        .or_else(|_| URL_SAFE.decode(&data))
        .map_err(|_| PushError::Envelope)?;
    let n: Value = serde_json::from_slice(&raw).map_err(|_| PushError::Notification)?;
    if package.is_empty() || text(&n, "packageName").as_deref() != Some(package) {
        return Err(PushError::PackageName);
    }
    // A decimal string in RTDN; a number is accepted too.
    let event_time_ms = match n.get("eventTimeMillis") {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(x)) => x.as_i64(),
        _ => None,
    }
    .ok_or(PushError::Notification)?;
    let kind = if n.get("testNotification").is_some() {
        PushKind::Test
    } else if let Some(s) = n.get("subscriptionNotification") {
        PushKind::Subscription {
            purchase_token: text(s, "purchaseToken").ok_or(PushError::Notification)?,
            notification_type: s
                .get("notificationType")
                .and_then(Value::as_i64)
                .ok_or(PushError::Notification)?,
        }
    } else if n.get("oneTimeProductNotification").is_some() {
        PushKind::Other("oneTimeProductNotification")
    } else if n.get("voidedPurchaseNotification").is_some() {
        PushKind::Other("voidedPurchaseNotification")
    } else {
        PushKind::Other("unknown")
    };
    Ok(Push {
        message_id,
        event_time_ms,
        kind,
    })
}

/// The fields of a service-account JSON key MID uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key: String,
    pub token_uri: Option<String>,
}

/// Parses `PLAYSTORE_SERVICE_ACCOUNT`.
pub fn parse_service_account(json_key: &str) -> Option<ServiceAccount> {
    let v: Value = serde_json::from_slice(json_key.as_bytes()).ok()?;
    Some(ServiceAccount {
        client_email: text(&v, "client_email")?,
        private_key: v.get("private_key")?.as_str()?.to_owned(),
        token_uri: text(&v, "token_uri"),
    })
}

/// Claims of the JWT-bearer grant assertion (RFC 7523): `aud` is the token
/// URL it is posted to.
pub fn assertion_claims(sa: &ServiceAccount, token_url: &str, now_s: i64) -> Value {
    json!({
        "iss": sa.client_email,
        "scope": SCOPE,
        "aud": token_url,
        "iat": now_s,
        "exp": now_s + ASSERTION_TTL_S,
    })
}

/// An OAuth access token and when MID stops using it (unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub use_until_ms: i64,
}

/// Margin before a token's expiry after which a new one is fetched.
const TOKEN_MARGIN_MS: i64 = 60_000;

/// Parses the token endpoint's answer.
pub fn parse_token_response(body: &[u8], now_ms: i64) -> Option<AccessToken> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let token = text(&v, "access_token")?;
    let expires_in = v.get("expires_in").and_then(Value::as_i64).unwrap_or(0);
    Some(AccessToken {
        token,
        use_until_ms: now_ms + (expires_in * 1000 - TOKEN_MARGIN_MS).max(0),
    })
}

/// The path of the subscriptionsv2 lookup (package and token percent-encoded).
pub fn subscription_path(package: &str, purchase_token: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "/androidpublisher/v3/applications/{}/purchases/subscriptionsv2/tokens/{}",
        enc(package),
        enc(purchase_token)
    )
}

/// What a SubscriptionPurchaseV2 means for MID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    /// `externalAccountIdentifiers.obfuscatedExternalAccountId` (the MID user id), if set.
    pub user_id: Option<String>,
    /// `subscriptionState` as Play names it.
    pub state: String,
    /// `None`: a state MID does not act on (pending, unspecified).
    pub change: Option<EntitlementChange>,
}

/// Maps a subscriptionsv2 resource to the entitlement.
pub fn subscription_state(body: &[u8]) -> Option<SubscriptionState> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let state = text(&v, "subscriptionState")?;
    let expires_at = v
        .get("lineItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|li| li.get("expiryTime")?.as_str().and_then(parse_rfc3339_utc))
        .max();
    let change = match state.as_str() {
        // Canceled: auto-renew is off, but what was paid for runs to its expiry.
        "SUBSCRIPTION_STATE_ACTIVE"
        | "SUBSCRIPTION_STATE_IN_GRACE_PERIOD"
        | "SUBSCRIPTION_STATE_CANCELED" => Some(EntitlementChange::Grant { expires_at }),
        "SUBSCRIPTION_STATE_ON_HOLD"
        | "SUBSCRIPTION_STATE_PAUSED"
        | "SUBSCRIPTION_STATE_EXPIRED"
        | "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED" => Some(EntitlementChange::End),
        _ => None,
    };
    Some(SubscriptionState {
        user_id: v
            .get("externalAccountIdentifiers")
            .and_then(|e| text(e, "obfuscatedExternalAccountId")),
        state,
        change,
    })
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= FIELD_MAX)
        .map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn push(n: &Value) -> Vec<u8> {
        json!({"message": {"data": STANDARD.encode(n.to_string()), "messageId": "m-1",
            "publishTime": "2026-05-28T20:26:40.123Z"}, "subscription": "projects/p/subscriptions/s"})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn push_bodies_decode() {
        let n = json!({"version": "1.0", "packageName": "com.example.mid", "eventTimeMillis": "1780000000123",
            "subscriptionNotification": {"version": "1.0", "notificationType": 4, "purchaseToken": "tok-1"}});
        let p = parse_push(&push(&n), "com.example.mid").unwrap();
        assert_eq!(p.message_id, "m-1");
        assert_eq!(p.event_time_ms, 1_780_000_000_123);
        assert_eq!(
            p.kind,
            PushKind::Subscription {
                purchase_token: "tok-1".into(),
                notification_type: 4
            }
        );
        assert_eq!(p.kind.event_type(), "subscriptionNotification/4");
        let t = json!({"packageName": "com.example.mid", "eventTimeMillis": "1", "testNotification": {"version": "1.0"}});
        assert_eq!(
            parse_push(&push(&t), "com.example.mid").unwrap().kind,
            PushKind::Test
        );
        assert_eq!(
            parse_push(&push(&n), "com.example.other"),
            Err(PushError::PackageName)
        );
        assert_eq!(parse_push(&push(&n), ""), Err(PushError::PackageName));
        assert_eq!(
            parse_push(b"{}", "com.example.mid"),
            Err(PushError::Envelope)
        );
        assert_eq!(
            parse_push(br#"{"message":{"messageId":"m","data":"!!"}}"#, "x"),
            Err(PushError::Envelope)
        );
        let no_time = json!({"packageName": "com.example.mid", "testNotification": {}});
        assert_eq!(
            parse_push(&push(&no_time), "com.example.mid"),
            Err(PushError::Notification)
        );
    }

    #[test]
    fn subscription_states_map_to_entitlements() {
        let sub = |state: &str| {
            json!({"subscriptionState": state,
                "externalAccountIdentifiers": {"obfuscatedExternalAccountId": "user_0123456789abcdef"},
                "lineItems": [{"productId": "p", "expiryTime": "2026-05-28T20:26:40.5Z"},
                              {"productId": "q", "expiryTime": "2026-05-28T20:26:41Z"}]})
            .to_string()
        };
        let s = subscription_state(sub("SUBSCRIPTION_STATE_ACTIVE").as_bytes()).unwrap();
        assert_eq!(s.user_id.as_deref(), Some("user_0123456789abcdef"));
        assert_eq!(
            s.change,
            Some(EntitlementChange::Grant {
                expires_at: Some(1_780_000_001_000)
            }),
            "the latest line item"
        );
        for st in [
            "SUBSCRIPTION_STATE_IN_GRACE_PERIOD",
            "SUBSCRIPTION_STATE_CANCELED",
        ] {
            let s = subscription_state(sub(st).as_bytes()).unwrap();
            assert!(
                matches!(s.change, Some(EntitlementChange::Grant { .. })),
                "{st}"
            );
        }
        for st in [
            "SUBSCRIPTION_STATE_EXPIRED",
            "SUBSCRIPTION_STATE_ON_HOLD",
            "SUBSCRIPTION_STATE_PAUSED",
            "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED",
        ] {
            let s = subscription_state(sub(st).as_bytes()).unwrap();
            assert_eq!(s.change, Some(EntitlementChange::End), "{st}");
        }
        assert_eq!(
            subscription_state(sub("SUBSCRIPTION_STATE_PENDING").as_bytes())
                .unwrap()
                .change,
            None
        );
        assert_eq!(subscription_state(b"{}"), None);
    }

    #[test]
    fn service_account_assertion_and_token() {
        let sa = parse_service_account(
            r#"{"type":"service_account","client_email":"sa@p.iam.gserviceaccount.com",
                "private_key":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
                "token_uri":"https://oauth2.googleapis.com/token"}"#,
        )
        .unwrap();
        let c = assertion_claims(&sa, "https://oauth2.googleapis.com/token", 100);
        assert_eq!(c["iss"], "sa@p.iam.gserviceaccount.com");
        assert_eq!(c["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(c["scope"], SCOPE);
        assert_eq!(
            (c["iat"].as_i64(), c["exp"].as_i64()),
            (Some(100), Some(3700))
        );
        assert_eq!(parse_service_account("{}"), None);
        let t = parse_token_response(br#"{"access_token":"ya29.x","expires_in":3599}"#, 0).unwrap();
        assert_eq!(t.token, "ya29.x");
        assert_eq!(t.use_until_ms, 3_599_000 - 60_000);
        assert_eq!(parse_token_response(b"{}", 0), None);
        assert_eq!(
            subscription_path("com.example.mid", "a/b+c"),
            "/androidpublisher/v3/applications/com.example.mid/purchases/subscriptionsv2/tokens/a%2Fb%2Bc"
        );
    }
}
