//! `Idempotency-Key`: same key + same body within 24 h replays the original
//! response; same key + another body is a conflict.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crypto::sha256_hex;
use super::input::InputError;

pub const TTL_MS: i64 = 24 * 3_600_000;
/// How long a first request may hold the key before a retry may take over
/// (covers a worker that died mid-request).
pub const LEASE_MS: i64 = 30_000;
pub const MAX_KEY_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Record {
    InProgress {
        fingerprint: String,
        created_at: i64,
        lease_until: i64,
    },
    Done {
        fingerprint: String,
        created_at: i64,
        status: u16,
        sealed_body: String,
    },
}

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First use (or the previous use expired): run the request.
    Proceed,
    /// Replay the stored response.
    Replay { status: u16, sealed_body: String },
    /// The key was used with a different body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

pub fn begin(existing: Option<&Record>, fingerprint: &str, now: i64) -> (Begin, Option<Record>) {
    let take = || {
        (
            Begin::Proceed,
            Some(Record::InProgress {
                fingerprint: fingerprint.to_owned(),
                created_at: now,
                lease_until: now + LEASE_MS,
            }),
        )
    };
    match existing {
        None => take(),
        Some(Record::InProgress { created_at, .. } | Record::Done { created_at, .. })
            if now >= created_at + TTL_MS =>
        {
            take()
        }
        Some(Record::InProgress { fingerprint: f, .. } | Record::Done { fingerprint: f, .. })
            if f != fingerprint =>
        {
            (Begin::Mismatch, None)
        }
        Some(Record::InProgress { lease_until, .. }) if now >= *lease_until => take(),
        Some(Record::InProgress { .. }) => (Begin::InFlight, None),
        Some(Record::Done {
            status,
            sealed_body,
            ..
        }) => (
            Begin::Replay {
                status: *status,
                sealed_body: sealed_body.clone(),
            },
            None,
        ),
    }
}

/// Identifies "the same request": endpoint plus canonical JSON of the body
/// (object members sorted, whitespace ignored).
pub fn fingerprint(endpoint: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<Value>(body)
        .map(|v| canonical(&v).to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    sha256_hex(format!("{endpoint}\n{canonical}").as_bytes())
}

/// The value with every object's members sorted by key.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

pub fn validate_key(key: &str) -> Result<(), InputError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        return Err(InputError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_use_then_replay_then_mismatch() {
        let fp = fingerprint("consents", br#"{"a":1,"b":2}"#);
        assert_eq!(
            fp,
            fingerprint("consents", br#"{ "b":2, "a":1 }"#),
            "canonical"
        );
        assert_eq!(
            fingerprint("c", br#"{"m":{"y":1,"x":[{"b":1,"a":2}]}}"#),
            fingerprint("c", br#"{"m":{"x":[{"a":2,"b":1}],"y":1}}"#),
            "nested members are sorted too"
        );
        assert_ne!(fp, fingerprint("other endpoint", br#"{"a":1,"b":2}"#));
        let (b, rec) = begin(None, &fp, 0);
        assert_eq!(b, Begin::Proceed);
        let rec = rec.unwrap();
        assert_eq!(begin(Some(&rec), &fp, 1).0, Begin::InFlight);
        assert_eq!(
            begin(Some(&rec), &fp, LEASE_MS).0,
            Begin::Proceed,
            "lease over"
        );
        let done = Record::Done {
            fingerprint: fp.clone(),
            created_at: 0,
            status: 201,
            sealed_body: "x".into(),
        };
        assert_eq!(
            begin(Some(&done), &fp, 5).0,
            Begin::Replay {
                status: 201,
                sealed_body: "x".into()
            }
        );
        let other = fingerprint("consents", br#"{"a":2}"#);
        assert_eq!(begin(Some(&done), &other, 5).0, Begin::Mismatch);
        assert_eq!(
            begin(Some(&done), &other, TTL_MS).0,
            Begin::Proceed,
            "expired key is fresh"
        );
    }

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(validate_key("order-123").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"k".repeat(256)).is_err());
        assert!(validate_key("ключ").is_err());
    }
}
