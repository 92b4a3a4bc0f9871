//! Stripe: the `Stripe-Signature` check exactly as Stripe's libraries make it
//! (signed payload `<t>.<raw body>`, HMAC-SHA256 keyed with the whole
//! `whsec_...` string as bytes, any matching `v1` accepted, other schemes
//! ignored), and the events that set a partner's plan.

use serde_json::Value;

use super::PlanChange;
use crate::domain::client::Plan;
use crate::domain::crypto::{ct_eq, hex, hmac_sha256};

/// Stripe's default tolerance, in seconds, either side of now. Stripe's
/// libraries accept any future `t`; MID also refuses one more than this
/// ahead, so a leaked signature cannot be held back for later.
pub const TOLERANCE_S: i64 = 300;
/// Signatures looked at in one header (Stripe sends one per active secret).
const MAX_SIGNATURES: usize = 16;

/// Why a `Stripe-Signature` was refused (all 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `STRIPE_WEBHOOK_SECRET` is configured, so nothing can be verified.
    NotConfigured,
    /// The header is absent.
    MissingHeader,
    /// No `t=` with whole seconds in the header.
    NoTimestamp,
    /// No `v1=` signature in the header.
    NoSignature,
    /// No `v1` signature matches the body and timestamp.
    Mismatch,
    /// `t` is more than the tolerance away from now.
    OutsideTolerance,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            Self::NotConfigured => "Stripe webhooks are not configured.",
            Self::MissingHeader => "Missing Stripe-Signature header.",
            Self::NoTimestamp => "Stripe-Signature has no timestamp.",
            Self::NoSignature => "Stripe-Signature has no v1 signature.",
            Self::Mismatch => "No signature matches the payload.",
            Self::OutsideTolerance => "Stripe-Signature timestamp is outside the tolerance.",
        }
    }
}

/// Verifies `header` over the raw `body` with `secret` at `now_s` (unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: Option<&str>,
    now_s: i64,
) -> Result<(), SignatureError> {
    let secret = secret.ok_or(SignatureError::NotConfigured)?;
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let mut timestamp: Option<&str> = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((k, v)) = item.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => timestamp = Some(v),
            "v1" if signatures.len() < MAX_SIGNATURES => signatures.push(v),
            // v0 and any future scheme are ignored, as Stripe's libraries do.
            _ => {}
        }
    }
    let t_text = timestamp.ok_or(SignatureError::NoTimestamp)?;
    let t: i64 = t_text.parse().map_err(|_| SignatureError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let mut signed = Vec::with_capacity(t_text.len() + 1 + body.len());
    signed.extend_from_slice(t_text.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    let expected = hex(&hmac_sha256(secret.as_bytes(), &signed));
    // Every candidate is compared, so timing does not tell which one matched.
    let matched = signatures
        .iter()
        .fold(false, |ok, s| ct_eq(expected.as_bytes(), s.as_bytes()) | ok);
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if (now_s - t).abs() > TOLERANCE_S {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// A verified event, reduced to what MID needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    /// `created`, in unix ms: the order of events for one client.
    pub created_ms: i64,
    /// `metadata.clientId` of the object, when it has one.
    pub client_id: Option<String>,
    /// `None`: an event type MID does not act on.
    pub change: Option<PlanChange>,
}

/// Why a verified body was not a Stripe event (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    /// Not JSON, or no `id`, `type`, `created` or `data.object`.
    Malformed,
}

const ID_MAX: usize = 255;

/// Reads the event: `checkout.session.completed` and an active or trialing
/// subscription set `metadata.plan` (default `pro`); a deleted or ended
/// subscription sets `free`; `invoice.payment_failed` marks `past_due`.
pub fn parse(body: &[u8]) -> Result<Event, EventError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| EventError::Malformed)?;
    let id = text(&v, "id").ok_or(EventError::Malformed)?;
    let event_type = text(&v, "type").ok_or(EventError::Malformed)?;
    let created = v
        .get("created")
        .and_then(Value::as_i64)
        .and_then(|s| s.checked_mul(1000))
        .ok_or(EventError::Malformed)?;
    let object = v
        .get("data")
        .and_then(|d| d.get("object"))
        .filter(|o| o.is_object())
        .ok_or(EventError::Malformed)?;
    if id.len() > ID_MAX || event_type.len() > ID_MAX {
        return Err(EventError::Malformed);
    }
    let metadata = metadata_of(object);
    let client_id = metadata
        .and_then(|m| text(m, "clientId"))
        .filter(|c| c.len() <= ID_MAX);
    let plan = || {
        metadata
            .and_then(|m| text(m, "plan"))
            .and_then(|p| Plan::parse(&p))
            .unwrap_or(Plan::Pro)
    };
    let change = match event_type.as_str() {
        "checkout.session.completed" => Some(PlanChange {
            plan: Some(plan()),
            status: "active".into(),
        }),
        "customer.subscription.created" | "customer.subscription.updated" => {
            let status = text(object, "status").unwrap_or_default();
            match status.as_str() {
                "active" | "trialing" => Some(PlanChange {
                    plan: Some(plan()),
                    status,
                }),
                "canceled" | "unpaid" | "incomplete_expired" => Some(PlanChange {
                    plan: Some(Plan::Free),
                    status,
                }),
                // past_due, incomplete, paused: the plan stays while Stripe retries.
                "past_due" | "incomplete" | "paused" => Some(PlanChange { plan: None, status }),
                _ => None,
            }
        }
        "customer.subscription.deleted" => Some(PlanChange {
            plan: Some(Plan::Free),
            status: "canceled".into(),
        }),
        "invoice.payment_failed" => Some(PlanChange {
            plan: None,
            status: "past_due".into(),
        }),
        _ => None,
    };
    Ok(Event {
        id,
        event_type,
        created_ms: created,
        client_id,
        change,
    })
}

/// The object's own `metadata`, else (an invoice) its subscription's, in the
/// older (`subscription_details`) or newer (`parent.subscription_details`) shape.
fn metadata_of(object: &Value) -> Option<&Value> {
    let has_client = |m: &&Value| m.get("clientId").is_some();
    object
        .get("metadata")
        .filter(has_client)
        .or_else(|| {
            object
                .get("subscription_details")
                .and_then(|s| s.get("metadata"))
                .filter(has_client)
        })
        .or_else(|| {
            object
                .get("parent")
                .and_then(|p| p.get("subscription_details"))
                .and_then(|s| s.get("metadata"))
                .filter(has_client)
        })
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

    const SECRET: &str = "whsec_test_secret_for_unit_tests";
    const NOW: i64 = 1_760_000_000;

    /// Signed with an independent HMAC implementation.
    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut msg = format!("{t}.").into_bytes();
        msg.extend_from_slice(body);
        let mac = hmac_sha256::HMAC::mac(&msg, secret.as_bytes());
        hex(&mac)
    }

    fn header(t: i64, body: &[u8]) -> String {
        format!("t={t},v1={}", sign(SECRET, t, body))
    }

    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed","created":1760000000,"data":{"object":{"metadata":{"clientId":"mid_client_abc","plan":"enterprise"}}}}"#;

    #[test]
    fn a_valid_signature_verifies() {
        assert_eq!(
            verify(Some(&header(NOW, BODY)), BODY, Some(SECRET), NOW),
            Ok(())
        );
        // Within tolerance either side.
        assert_eq!(
            verify(Some(&header(NOW - 299, BODY)), BODY, Some(SECRET), NOW),
            Ok(())
        );
        assert_eq!(
            verify(Some(&header(NOW + 299, BODY)), BODY, Some(SECRET), NOW),
            Ok(())
        );
    }

    #[test]
    fn any_matching_v1_is_accepted_and_other_schemes_are_ignored() {
        let good = sign(SECRET, NOW, BODY);
        let h = format!("t={NOW},v1={},v0={good},v1={good}", "0".repeat(64));
        assert_eq!(verify(Some(&h), BODY, Some(SECRET), NOW), Ok(()));
        // A v0 that matches is not a v1.
        let h = format!("t={NOW},v0={good}");
        assert_eq!(
            verify(Some(&h), BODY, Some(SECRET), NOW),
            Err(SignatureError::NoSignature)
        );
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let h = header(NOW, BODY);
        let tampered = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("enterprise", "pro")
            .into_bytes();
        assert_eq!(
            verify(Some(&h), &tampered, Some(SECRET), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused() {
        assert_eq!(
            verify(Some(&header(NOW - 301, BODY)), BODY, Some(SECRET), NOW),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(
            verify(Some(&header(NOW + 301, BODY)), BODY, Some(SECRET), NOW),
            Err(SignatureError::OutsideTolerance)
        );
        // A timestamp moved without re-signing does not match at all.
        let h = header(NOW, BODY).replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(
            verify(Some(&h), BODY, Some(SECRET), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_wrong_secret_and_the_base64_part_alone_are_refused() {
        let h = format!("t={NOW},v1={}", sign("whsec_other", NOW, BODY));
        assert_eq!(
            verify(Some(&h), BODY, Some(SECRET), NOW),
            Err(SignatureError::Mismatch)
        );
        // Stripe keys with the whole string, prefix included.
        let h = format!(
            "t={NOW},v1={}",
            sign("test_secret_for_unit_tests", NOW, BODY)
        );
        assert_eq!(
            verify(Some(&h), BODY, Some(SECRET), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_and_missing_config_are_refused() {
        for (h, e) in [
            ("", SignatureError::NoTimestamp),
            ("v1=abc", SignatureError::NoTimestamp),
            ("t=abc,v1=abc", SignatureError::NoTimestamp),
            ("t=1760000000", SignatureError::NoSignature),
            ("t=1760000000,v1=", SignatureError::Mismatch),
            ("garbage,,,===", SignatureError::NoTimestamp),
        ] {
            assert_eq!(verify(Some(h), BODY, Some(SECRET), NOW), Err(e), "{h}");
        }
        assert_eq!(
            verify(None, BODY, Some(SECRET), NOW),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            verify(Some(&header(NOW, BODY)), BODY, None, NOW),
            Err(SignatureError::NotConfigured)
        );
    }

    #[test]
    fn events_map_to_plan_changes() {
        let e = parse(BODY).unwrap();
        assert_eq!(e.id, "evt_1");
        assert_eq!(e.created_ms, 1_760_000_000_000);
        assert_eq!(e.client_id.as_deref(), Some("mid_client_abc"));
        assert_eq!(
            e.change,
            Some(PlanChange {
                plan: Some(Plan::Enterprise),
                status: "active".into()
            })
        );
        let sub = |ty: &str, status: &str, plan: Option<&str>| {
            let mut meta = serde_json::json!({"clientId": "mid_client_abc"});
            if let Some(p) = plan {
                meta["plan"] = p.into();
            }
            let body = serde_json::json!({"id": "evt_2", "type": ty, "created": 1,
                "data": {"object": {"status": status, "metadata": meta}}});
            parse(body.to_string().as_bytes()).unwrap().change
        };
        let change = |plan: Option<Plan>, status: &str| {
            Some(PlanChange {
                plan,
                status: status.into(),
            })
        };
        assert_eq!(
            sub("customer.subscription.created", "active", None),
            change(Some(Plan::Pro), "active")
        );
        // An unknown plan name falls back to pro, never to a free upgrade to enterprise.
        assert_eq!(
            sub("customer.subscription.updated", "trialing", Some("gold")),
            change(Some(Plan::Pro), "trialing")
        );
        assert_eq!(
            sub(
                "customer.subscription.updated",
                "past_due",
                Some("enterprise")
            ),
            change(None, "past_due")
        );
        assert_eq!(
            sub("customer.subscription.updated", "canceled", Some("pro")),
            change(Some(Plan::Free), "canceled")
        );
        assert_eq!(
            sub("customer.subscription.deleted", "canceled", Some("pro")),
            change(Some(Plan::Free), "canceled")
        );
        assert_eq!(sub("charge.succeeded", "active", None), None);
        let invoice = serde_json::json!({"id": "evt_3", "type": "invoice.payment_failed", "created": 2,
            "data": {"object": {"parent": {"subscription_details": {"metadata": {"clientId": "mid_client_x"}}}}}});
        let e = parse(invoice.to_string().as_bytes()).unwrap();
        assert_eq!(e.client_id.as_deref(), Some("mid_client_x"));
        assert_eq!(e.change, change(None, "past_due"));
    }

    #[test]
    fn malformed_events_are_refused() {
        for body in [
            &b"not json"[..],
            br#"{"type":"x","created":1,"data":{"object":{}}}"#,
            br#"{"id":"e","type":"x","data":{"object":{}}}"#,
            br#"{"id":"e","type":"x","created":1,"data":{}}"#,
            br#"{"id":"e","type":"x","created":9223372036854775807,"data":{"object":{}}}"#,
        ] {
            assert_eq!(parse(body), Err(EventError::Malformed));
        }
    }
}
