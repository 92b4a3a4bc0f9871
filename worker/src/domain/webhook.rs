//! Outgoing webhook bodies and signatures, exactly as the contract fixes them:
//! the body carries `"signature":"sha256=<hex>"` (HMAC over the body without
//! that member) and the Standard Webhooks headers sign `<id>.<ts>.<body>`.

use serde::Serialize;
use serde_json::Value;

use super::consent::{Consent, DeviceRef, Status, UserRef};
use super::crypto::{b64, b64_decode, hex, hmac_sha256};
use super::time::rfc3339;

pub const CONSENT_CREATED: &str = "consent.created";
pub const CONSENT_APPROVED: &str = "consent.approved";
pub const CONSENT_REJECTED: &str = "consent.rejected";
pub const CONSENT_EXPIRED: &str = "consent.expired";
pub const DEVICE_REGISTERED: &str = "device.registered";
pub const DEVICE_DEREGISTERED: &str = "device.deregistered";

/// Delivery attempts before a delivery is marked `failed`.
pub const MAX_ATTEMPTS: u32 = 10;
/// Per-attempt timeout.
pub const ATTEMPT_TIMEOUT_MS: i64 = 10_000;

/// An event on its way to a client's outbox: built once, in the same
/// storage transaction as the state change it reports.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingEvent {
    pub id: String,
    pub event: String,
    pub timestamp_ms: i64,
    pub client_id: String,
    pub livemode: bool,
    pub data: Value,
}

/// `data` of consent events; member order is part of the contract.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentEventData<'a> {
    pub session_id: &'a str,
    pub client_id: &'a str,
    pub recipient: &'a str,
    pub intent: &'a str,
    pub status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a UserRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<&'a DeviceRef>,
}

/// The event name for a consent that just reached `status`.
pub fn consent_event_name(status: Status) -> &'static str {
    match status {
        Status::Pending | Status::Scanned => CONSENT_CREATED,
        Status::Approved => CONSENT_APPROVED,
        Status::Rejected => CONSENT_REJECTED,
        Status::Expired => CONSENT_EXPIRED,
    }
}

pub fn consent_event_data(consent: &Consent) -> Value {
    let data = ConsentEventData {
        session_id: &consent.id,
        client_id: &consent.client_id,
        recipient: &consent.recipient,
        intent: consent.intent.as_str(),
        status: consent.status.as_str(),
        user: consent.user.as_ref(),
        device: consent.device.as_ref(),
    };
    serde_json::to_value(data).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct Unsigned<'a> {
    event: &'a str,
    timestamp: &'a str,
    data: &'a Value,
}

/// The exact body bytes sent (and re-sent on every retry).
/// Needs serde_json's `preserve_order` off: `data` was built from a struct,
/// so its member order is the struct's.
pub fn signed_body(event: &str, timestamp_ms: i64, data: &Value, key: &[u8]) -> String {
    let timestamp = rfc3339(timestamp_ms);
    let unsigned = serde_json::to_string(&Unsigned {
        event,
        timestamp: &timestamp,
        data,
    })
    .unwrap_or_default();
    let signature = hex(&hmac_sha256(key, unsigned.as_bytes()));
    let open = unsigned.strip_suffix('}').unwrap_or(&unsigned);
    format!(r#"{open},"signature":"sha256={signature}"}}"#)
}

/// `webhook-signature` of Standard Webhooks: `v1,` + base64 HMAC over `<id>.<ts>.<body>`.
pub fn standard_signature(key: &[u8], msg_id: &str, timestamp_secs: i64, body: &str) -> String {
    let signed = format!("{msg_id}.{timestamp_secs}.{body}");
    format!("v1,{}", b64(&hmac_sha256(key, signed.as_bytes())))
}

/// The HMAC key of a `whsec_<base64>` secret.
pub fn secret_key(whsec: &str) -> Option<Vec<u8>> {
    b64_decode(whsec.strip_prefix("whsec_")?)
}

/// Delay before attempt `attempts_done + 1`, or `None` when attempts are spent.
/// Quadruples from `base_ms`, capped at 4320 × base (6 h at the 5 s default):
/// ten attempts span about 20 hours at the default base.
pub fn retry_delay_ms(base_ms: i64, attempts_done: u32) -> Option<i64> {
    if attempts_done >= MAX_ATTEMPTS || attempts_done == 0 {
        return None;
    }
    let factor = 4i64.checked_pow(attempts_done - 1).unwrap_or(i64::MAX);
    Some(
        base_ms
            .saturating_mul(factor)
            .min(base_ms.saturating_mul(4320)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::{Intent, NewConsent};

    fn consent() -> Consent {
        let req = NewConsent {
            recipient: "+2348031234567".into(),
            intent: Intent::Payment,
            message: None,
            metadata: None,
            expires_in: 300,
        };
        Consent::new(
            "cons_abc".into(),
            "mid_client_x".into(),
            "Shop".into(),
            true,
            req,
            0,
        )
    }

    #[test]
    fn body_has_the_contract_shape_and_order() {
        let key = b"0123456789abcdef0123456789abcdef";
        let data = consent_event_data(&consent());
        let body = signed_body(CONSENT_CREATED, 1_000, &data, key);
        let expected_unsigned = r#"{"event":"consent.created","timestamp":"1970-01-01T00:00:01.000Z","data":{"sessionId":"cons_abc","clientId":"mid_client_x","recipient":"+2348031234567","intent":"payment","status":"pending"}}"#;
        // Independent check: a second HMAC implementation over the bytes
        // without the signature member.
        let mac = hmac_sha256::HMAC::mac(expected_unsigned.as_bytes(), key);
        let want = format!(
            "{},\"signature\":\"sha256={}\"}}",
            &expected_unsigned[..expected_unsigned.len() - 1],
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert_eq!(body, want);
    }

    #[test]
    fn decided_events_carry_user_and_device() {
        let mut c = consent();
        c.status = Status::Approved;
        c.user = Some(UserRef {
            id: "user_1".into(),
            mobile: c.recipient.clone(),
            verified: true,
        });
        c.device = Some(DeviceRef {
            id: "device_1".into(),
            model: "Pixel".into(),
        });
        let data = consent_event_data(&c);
        let text = serde_json::to_string(&data).unwrap();
        assert!(text.ends_with(r#""status":"approved","user":{"id":"user_1","mobile":"+2348031234567","verified":true},"device":{"id":"device_1","model":"Pixel"}}"#), "{text}");
        assert_eq!(consent_event_name(Status::Approved), CONSENT_APPROVED);
    }

    #[test]
    fn standard_webhooks_signature_matches_independent_hmac() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let key = secret_key(secret).unwrap();
        let body = r#"{"event":"x"}"#;
        let sig = standard_signature(&key, "evt_1", 1_700_000_000, body);
        let mac = hmac_sha256::HMAC::mac(b"evt_1.1700000000.{\"event\":\"x\"}", &key);
        assert_eq!(sig, format!("v1,{}", b64(&mac)));
        assert_eq!(secret_key("nope"), None);
    }

    #[test]
    fn backoff_grows_and_stops() {
        assert_eq!(retry_delay_ms(5000, 0), None);
        assert_eq!(retry_delay_ms(5000, 1), Some(5000));
        assert_eq!(retry_delay_ms(5000, 2), Some(20_000));
        assert_eq!(retry_delay_ms(5000, 9), Some(21_600_000));
        assert_eq!(retry_delay_ms(5000, 10), None);
        let total: i64 = (1..MAX_ATTEMPTS)
            .filter_map(|n| retry_delay_ms(5000, n))
            .sum();
        assert!((15 * 3_600_000..30 * 3_600_000).contains(&total), "{total}");
    }
}
