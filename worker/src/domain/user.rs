//! A MID user: one per mobile number (and mode), created when that number
//! first passes an OTP check. Partners see a user only if they enrolled it or
//! it approved one of their consents.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::time::rfc3339;

/// What the person bought in the app (set by the billing webhooks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entitlements {
    pub premium: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Unix millis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub id: String,
    /// E.164.
    pub mobile: String,
    /// Test-key users and live-key users are separate people records.
    pub livemode: bool,
    pub verified: bool,
    pub created_at: i64,
    /// UUID v4 the app passes to StoreKit at purchase.
    pub app_account_token: String,
    /// Clients that may see this user (enrolled it, or had a consent approved by it).
    pub clients: Vec<String>,
    #[serde(default)]
    pub entitlements: Entitlements,
}

impl UserRecord {
    /// A user who has just verified an OTP.
    pub fn new(id: &str, mobile: &str, livemode: bool, app_account_token: &str, now: i64) -> Self {
        UserRecord {
            id: id.to_owned(),
            mobile: mobile.to_owned(),
            livemode,
            verified: true,
            created_at: now,
            app_account_token: app_account_token.to_owned(),
            clients: Vec::new(),
            entitlements: Entitlements::default(),
        }
    }

    /// Lets `client_id` see this user from now on (idempotent).
    pub fn grant(&mut self, client_id: &str) -> bool {
        if self.clients.iter().any(|c| c == client_id) {
            return false;
        }
        self.clients.push(client_id.to_owned());
        true
    }

    /// The user as options and events show it.
    pub fn user_ref(&self) -> super::consent::UserRef {
        super::consent::UserRef {
            id: self.id.clone(),
            mobile: self.mobile.clone(),
            verified: self.verified,
        }
    }

    /// Whether a partner key of `client_id` in `livemode` may see this user.
    pub fn visible_to(&self, client_id: &str, livemode: bool) -> bool {
        self.livemode == livemode && self.clients.iter().any(|c| c == client_id)
    }

    /// The record as it stands at `now`: premium whose expiry has passed is
    /// over even if the store's expiry notification has not arrived yet.
    pub fn at(mut self, now: i64) -> Self {
        if self.entitlements.expires_at.is_some_and(|t| t <= now) {
            self.entitlements.premium = false;
        }
        self
    }

    /// `GET /users/:id`.
    pub fn view(&self) -> Value {
        let mut ent = Map::new();
        ent.insert("premium".into(), self.entitlements.premium.into());
        if let Some(s) = &self.entitlements.source {
            ent.insert("source".into(), s.clone().into());
        }
        if let Some(t) = self.entitlements.expires_at {
            ent.insert("expiresAt".into(), rfc3339(t).into());
        }
        json!({
            "id": self.id,
            "object": "user",
            "mobile": self.mobile,
            "verified": self.verified,
            "livemode": self.livemode,
            "createdAt": rfc3339(self.created_at),
            "appAccountToken": self.app_account_token,
            "entitlements": Value::Object(ent),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn user() -> UserRecord {
        UserRecord::new(
            "user_0123456789abcdef",
            "+2348031234567",
            false,
            "00010203-0405-4607-8809-0a0b0c0d0e0f",
            1_780_000_000_000,
        )
    }

    #[test]
    fn only_granted_clients_in_the_same_mode_see_the_user() {
        let mut u = user();
        assert!(!u.visible_to("mid_client_a", false));
        assert!(u.grant("mid_client_a"));
        assert!(!u.grant("mid_client_a"), "granting twice changes nothing");
        assert_eq!(u.clients.len(), 1);
        assert!(u.visible_to("mid_client_a", false));
        assert!(
            !u.visible_to("mid_client_a", true),
            "a live key never sees a test user"
        );
        assert!(!u.visible_to("mid_client_b", false));
    }

    #[test]
    fn view_has_the_contract_fields() {
        let v = user().view();
        assert_eq!(v["id"], "user_0123456789abcdef");
        assert_eq!(v["mobile"], "+2348031234567");
        assert_eq!(v["verified"], true);
        assert_eq!(v["createdAt"], "2026-05-28T20:26:40.000Z");
        assert_eq!(v["appAccountToken"], "00010203-0405-4607-8809-0a0b0c0d0e0f");
        assert_eq!(v["entitlements"], json!({"premium": false}));
        assert!(
            v.get("clients").is_none(),
            "who else sees the user is not shown"
        );
        let mut u = user();
        u.entitlements = Entitlements {
            premium: true,
            source: Some("appstore".into()),
            expires_at: Some(0),
        };
        assert_eq!(
            u.view()["entitlements"],
            json!({"premium": true, "source": "appstore", "expiresAt": "1970-01-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn premium_lapses_at_its_expiry() {
        let mut u = user();
        u.entitlements = Entitlements {
            premium: true,
            source: Some("appstore".into()),
            expires_at: Some(1_000),
        };
        assert!(u.clone().at(999).entitlements.premium);
        let after = u.clone().at(1_000);
        assert!(!after.entitlements.premium);
        assert_eq!(
            after.entitlements.expires_at,
            Some(1_000),
            "still shows when it ended"
        );
        u.entitlements.expires_at = None;
        assert!(
            u.at(i64::MAX).entitlements.premium,
            "no expiry: until ended"
        );
    }

    #[test]
    fn stored_form_round_trips() {
        let mut u = user();
        u.grant("mid_client_a");
        let text = serde_json::to_string(&u).unwrap();
        assert_eq!(
            serde_json::from_slice::<UserRecord>(text.as_bytes()).unwrap(),
            u
        );
    }
}
