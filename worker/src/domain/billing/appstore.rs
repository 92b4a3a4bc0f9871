//! App Store Server Notifications V2: the verified notification, its nested
//! signed transaction and renewal, and the premium entitlement they grant or end.

use serde_json::Value;

use super::jws::{self, JwsError};
pub use super::EntitlementChange;
use crate::domain::webauthn::Unverified;

/// A verified notification, reduced to what MID needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `notificationUUID`: the idempotency key.
    pub id: String,
    /// `notificationType` (with `/subtype` when there is one).
    pub notification_type: String,
    /// `signedDate` (unix ms): the order of notifications.
    pub signed_date: i64,
    /// The transaction's `appAccountToken` (lower-case UUID), when it has one.
    pub app_account_token: Option<String>,
    /// `None`: a type MID does not act on (or `TEST`).
    pub change: Option<EntitlementChange>,
}

/// Why a notification was refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationError {
    /// The body is not `{"signedPayload": "..."}`.
    Malformed,
    /// The notification, transaction or renewal JWS failed verification.
    Jws(JwsError),
    /// No `notificationUUID` or `notificationType`.
    MissingFields,
    /// `bundleId` is not `APPSTORE_BUNDLE_ID`.
    BundleId,
    /// `environment` is not `APPSTORE_ENVIRONMENT`.
    Environment,
}

impl NotificationError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "The body must be {\"signedPayload\": \"<JWS>\"}.",
            Self::Jws(e) => e.message(),
            Self::MissingFields => "The notification has no notificationUUID or notificationType.",
            Self::BundleId => "The notification is for another bundle id.",
            Self::Environment => "The notification is for another environment.",
        }
    }
}

/// Who the notification must be for.
pub struct Expect<'a> {
    pub roots: &'a [Vec<u8>],
    pub bundle_id: &'a str,
    pub environment: &'a str,
}

const ID_MAX: usize = 128;

/// Verifies the body of `POST /webhooks/appstore`.
/// The notification is valid once the signatures of its JWS (and nested ones) are.
pub fn parse(
    body: &[u8],
    expect: &Expect<'_>,
) -> Result<Unverified<Notification, NotificationError>, NotificationError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| NotificationError::Malformed)?;
    let signed = v
        .get("signedPayload")
        .and_then(Value::as_str)
        .ok_or(NotificationError::Malformed)?;
    let (n, mut pending) = jws::verify(signed, expect.roots).map_err(NotificationError::Jws)?;
    let id = text(&n, "notificationUUID").ok_or(NotificationError::MissingFields)?;
    let kind = text(&n, "notificationType").ok_or(NotificationError::MissingFields)?;
    let signed_date = n
        .get("signedDate")
        .and_then(Value::as_i64)
        .ok_or(NotificationError::MissingFields)?;
    if id.len() > ID_MAX || kind.len() > ID_MAX {
        return Err(NotificationError::MissingFields);
    }
    let data = n.get("data").cloned().unwrap_or(Value::Null);
    check_app(&data, expect)?;
    // Nested signed data is verified the same way, and must be for the same app.
    let transaction = match text(&data, "signedTransactionInfo") {
        Some(t) => {
            let (tx, checks) = jws::verify(&t, expect.roots).map_err(NotificationError::Jws)?;
            pending = pending.join(checks).map(|_| ());
            check_app(&tx, expect)?;
            Some(tx)
        }
        None => None,
    };
    if let Some(r) = text(&data, "signedRenewalInfo") {
        let (renewal, checks) = jws::verify(&r, expect.roots).map_err(NotificationError::Jws)?;
        pending = pending.join(checks).map(|_| ());
        if renewal.get("environment").is_some() {
            check_environment(&renewal, expect)?;
        }
    }
    let expires_at = transaction
        .as_ref()
        .and_then(|t| t.get("expiresDate"))
        .and_then(Value::as_i64);
    let change = match kind.as_str() {
        "SUBSCRIBED" | "DID_RENEW" | "OFFER_REDEEMED" => {
            Some(EntitlementChange::Grant { expires_at })
        }
        "EXPIRED" | "REVOKE" | "REFUND" | "GRACE_PERIOD_EXPIRED" => Some(EntitlementChange::End),
        _ => None,
    };
    let notification_type = match text(&n, "subtype") {
        Some(sub) => format!("{kind}/{sub}"),
        None => kind,
    };
    let notification = Notification {
        id,
        notification_type,
        signed_date,
        app_account_token: transaction
            .as_ref()
            .and_then(|t| text(t, "appAccountToken"))
            .map(|t| t.to_ascii_lowercase()),
        change,
    };
    Ok(pending
        .map_err(NotificationError::Jws)
        .map(move |()| notification))
}

fn check_app(v: &Value, expect: &Expect<'_>) -> Result<(), NotificationError> {
    if text(v, "bundleId").as_deref() != Some(expect.bundle_id) {
        return Err(NotificationError::BundleId);
    }
    check_environment(v, expect)
}

fn check_environment(v: &Value, expect: &Expect<'_>) -> Result<(), NotificationError> {
    if text(v, "environment").as_deref() != Some(expect.environment) {
        return Err(NotificationError::Environment);
    }
    Ok(())
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The production parser, its signatures discharged by the pure-Rust verifier.
    fn parse(body: &[u8], expect: &Expect<'_>) -> Result<Notification, NotificationError> {
        super::parse(body, expect)?.verify_now()
    }
    use crate::domain::billing::jws::tests::{chain, Chain, APPLE_SHAPE, SIGNED};
    use serde_json::json;

    const TOKEN: &str = "00010203-0405-4607-8809-0a0b0c0d0e0f";

    fn notification(c: &Chain, kind: &str, tx: &Value) -> Vec<u8> {
        let n = json!({"notificationType": kind, "notificationUUID": "n-1", "signedDate": SIGNED,
            "data": {"bundleId": "com.example.mid", "environment": "Sandbox",
                "signedTransactionInfo": c.sign(tx)}});
        json!({"signedPayload": c.sign(&n)})
            .to_string()
            .into_bytes()
    }

    fn tx() -> Value {
        json!({"bundleId": "com.example.mid", "environment": "Sandbox", "signedDate": SIGNED,
            "appAccountToken": TOKEN.to_uppercase(), "expiresDate": SIGNED + 86_400_000})
    }

    #[test]
    fn notifications_map_to_entitlements() {
        let c = chain(&APPLE_SHAPE);
        let roots = c.roots();
        let e = Expect {
            roots: &roots,
            bundle_id: "com.example.mid",
            environment: "Sandbox",
        };
        let n = parse(&notification(&c, "DID_RENEW", &tx()), &e).unwrap();
        assert_eq!(n.id, "n-1");
        assert_eq!(n.signed_date, SIGNED);
        assert_eq!(n.app_account_token.as_deref(), Some(TOKEN));
        assert_eq!(
            n.change,
            Some(EntitlementChange::Grant {
                expires_at: Some(SIGNED + 86_400_000)
            })
        );
        for kind in ["EXPIRED", "REVOKE", "REFUND", "GRACE_PERIOD_EXPIRED"] {
            let n = parse(&notification(&c, kind, &tx()), &e).unwrap();
            assert_eq!(n.change, Some(EntitlementChange::End), "{kind}");
        }
        assert_eq!(
            parse(&notification(&c, "TEST", &tx()), &e).unwrap().change,
            None
        );
    }

    #[test]
    fn bundle_environment_and_nested_signatures_are_checked() {
        let c = chain(&APPLE_SHAPE);
        let roots = c.roots();
        let e = Expect {
            roots: &roots,
            bundle_id: "com.example.mid",
            environment: "Sandbox",
        };
        let other = Expect {
            bundle_id: "com.example.other",
            ..e
        };
        assert_eq!(
            parse(&notification(&c, "SUBSCRIBED", &tx()), &other),
            Err(NotificationError::BundleId)
        );
        let prod = Expect {
            environment: "Production",
            ..e
        };
        assert_eq!(
            parse(&notification(&c, "SUBSCRIBED", &tx()), &prod),
            Err(NotificationError::Environment)
        );
        // A genuine notification wrapping a transaction signed by someone else.
        let stranger = chain(&APPLE_SHAPE);
        let n = json!({"notificationType": "SUBSCRIBED", "notificationUUID": "n-2", "signedDate": SIGNED,
            "data": {"bundleId": "com.example.mid", "environment": "Sandbox",
                "signedTransactionInfo": stranger.sign(&tx())}});
        let body = json!({"signedPayload": c.sign(&n)}).to_string();
        assert_eq!(
            parse(body.as_bytes(), &e),
            Err(NotificationError::Jws(JwsError::UntrustedChain))
        );
        assert_eq!(parse(b"{}", &e), Err(NotificationError::Malformed));
        assert_eq!(parse(b"[", &e), Err(NotificationError::Malformed));
    }
}
