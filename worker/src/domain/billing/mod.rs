//! Incoming billing webhooks (DESIGN §4): verifying each store's signature
//! the way its own libraries do, and turning a verified event into the one
//! change it asks for. Time is a parameter; nothing here touches the network.

use serde::{Deserialize, Serialize};

use super::client::Plan;
use super::user::Entitlements;

pub mod appstore;
pub mod jws;
pub mod jwt;
pub mod playstore;
pub mod stripe;

/// Which store an event came from; also the name of its ledger object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Stripe,
    AppStore,
    PlayStore,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::AppStore => "appstore",
            Self::PlayStore => "playstore",
        }
    }
}

/// A refused billing webhook: which store, and which check failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub source: Source,
    pub reason: std::borrow::Cow<'static, str>,
}

impl Refusal {
    pub fn new(source: Source, reason: &'static str) -> Self {
        Self {
            source,
            reason: reason.into(),
        }
    }

    /// 401 for the Play push token (a bearer credential), 400 otherwise (DESIGN §3).
    pub fn status(&self) -> u16 {
        match self.source {
            Source::PlayStore => 401,
            Source::Stripe | Source::AppStore => 400,
        }
    }

    pub fn code(&self) -> &'static str {
        match self.source {
            Source::PlayStore => "unauthorized",
            Source::Stripe | Source::AppStore => "invalid_signature",
        }
    }
}

impl From<stripe::SignatureError> for Refusal {
    fn from(e: stripe::SignatureError) -> Self {
        Self::new(Source::Stripe, e.message())
    }
}

/// What a verified App Store or Play event asks of a person's premium entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EntitlementChange {
    /// Premium until the store's expiry (unix ms; `None`: no expiry given).
    #[serde(rename_all = "camelCase")]
    Grant { expires_at: Option<i64> },
    /// Premium ends now.
    End,
}

impl EntitlementChange {
    /// The entitlements after this change, made by `source`.
    pub fn entitlements(&self, source: Source) -> Entitlements {
        match self {
            Self::Grant { expires_at } => Entitlements {
                premium: true,
                source: Some(source.as_str().to_owned()),
                expires_at: *expires_at,
            },
            Self::End => Entitlements {
                premium: false,
                source: Some(source.as_str().to_owned()),
                expires_at: None,
            },
        }
    }

    /// The change in words, for the event log.
    pub fn describe(&self) -> String {
        match self {
            Self::Grant {
                expires_at: Some(t),
            } => format!("premium until {}", super::time::rfc3339(*t)),
            Self::Grant { expires_at: None } => "premium".to_owned(),
            Self::End => "premium ended".to_owned(),
        }
    }
}

/// What a verified Stripe event asks of a partner's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChange {
    /// `None` leaves the plan as it is (e.g. a failed payment only marks the status).
    pub plan: Option<Plan>,
    /// Stripe's subscription status words (`active`, `past_due`, `canceled`, ...).
    pub status: String,
}

/// The billing state kept on a client record, with the event time it came
/// from so an older event never overwrites a newer one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingState {
    pub status: String,
    /// The store's own event time (unix ms) of the change that set this.
    pub as_of: i64,
}

/// Whether a change was applied to its target or refused as older than the
/// state already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applied {
    Applied,
    Stale,
}

/// How one received event ended, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The change was made.
    Applied,
    /// Older than the state already there: nothing changed.
    Stale,
    /// Not an event MID acts on (type, or no subject): nothing changed.
    Ignored,
    /// Names a client or user MID does not have: nothing changed.
    UnknownSubject,
}

/// One ledger entry: every verified event, applied or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub source: Source,
    /// The store's event id (Stripe event id, App Store notificationUUID, Pub/Sub messageId).
    pub event_id: String,
    /// The store's event type.
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub outcome: Outcome,
    /// What changed, in words (`plan=pro status=active`), or why nothing did.
    pub change: String,
    /// The store's event time (unix ms).
    pub occurred_at: i64,
    /// When MID recorded it (unix ms).
    pub received_at: i64,
}

impl LedgerEntry {
    /// `GET /billing/events` item.
    pub fn view(&self) -> serde_json::Value {
        use super::time::rfc3339;
        serde_json::json!({
            "object": "billing_event",
            "source": self.source,
            "id": self.event_id,
            "type": self.event_type,
            "clientId": self.client_id,
            "userId": self.user_id,
            "outcome": self.outcome,
            "change": self.change,
            "occurredAt": rfc3339(self.occurred_at),
            "receivedAt": rfc3339(self.received_at),
        })
    }
}
