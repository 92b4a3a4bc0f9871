//! `Idempotency-Key`: same key + same body within 24 h replays the original
//! response; same key + another body is a conflict.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crypto::sha256_hex;
use super::input::InputError;

pub const TTL_MS: i64 = 24 * 3_600_000;
/// How long a first request may hold the key before a retry may take over.
/// The request ends its lease itself (completes or abandons it), so this is
/// only the fallback for a worker that died mid-request; it is far longer
/// than any request can run, so a slow one is never doubled by a retry.
pub const LEASE_MS: i64 = 10 * 60_000;
pub const MAX_KEY_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Record {
    InProgress {
        fingerprint: String,
        created_at: i64,
        lease_until: i64,
        /// Names the request holding the lease, so only it can end it.
        #[serde(default)]
        lease_id: String,
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
    /// First use (or the previous use expired or was abandoned): run the
    /// request, then complete or abandon the lease.
    Proceed,
    /// Replay the stored response.
    Replay { status: u16, sealed_body: String },
    /// The key was used with a different body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Decides a request carrying the key; `lease_id` (unique per request)
/// names the lease it takes on `Proceed`. Store the returned record, if any.
pub fn begin(
    existing: Option<&Record>,
    fingerprint: &str,
    now: i64,
    lease_id: &str,
) -> (Begin, Option<Record>) {
    let take = || {
        (
            Begin::Proceed,
            Some(Record::InProgress {
                fingerprint: fingerprint.to_owned(),
                created_at: now,
                lease_until: now.saturating_add(LEASE_MS),
                lease_id: lease_id.to_owned(),
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

/// The holder of lease `lease_id` finished with a response: the record to
/// store, or `None` when the lease is no longer its own (it ran past the
/// fallback and a retry took over): the first stored answer stays.
pub fn complete(
    existing: Option<&Record>,
    lease_id: &str,
    status: u16,
    sealed_body: &str,
) -> Option<Record> {
    match existing {
        Some(Record::InProgress {
            fingerprint,
            created_at,
            lease_id: held,
            ..
        }) if held == lease_id => Some(Record::Done {
            fingerprint: fingerprint.clone(),
            created_at: *created_at,
            status,
            sealed_body: sealed_body.to_owned(),
        }),
        _ => None,
    }
}

/// Whether the holder of `lease_id` may delete the record after a failure
/// (so a retry can run now): only while the lease is still its own.
pub fn may_abandon(existing: Option<&Record>, lease_id: &str) -> bool {
    matches!(existing, Some(Record::InProgress { lease_id: held, .. }) if held == lease_id)
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
        let (b, rec) = begin(None, &fp, 0, "l1");
        assert_eq!(b, Begin::Proceed);
        let rec = rec.unwrap();
        assert_eq!(begin(Some(&rec), &fp, 1, "l2").0, Begin::InFlight);
        assert_eq!(
            begin(Some(&rec), &fp, LEASE_MS, "l3").0,
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
            begin(Some(&done), &fp, 5, "l4").0,
            Begin::Replay {
                status: 201,
                sealed_body: "x".into()
            }
        );
        let other = fingerprint("consents", br#"{"a":2}"#);
        assert_eq!(begin(Some(&done), &other, 5, "l5").0, Begin::Mismatch);
        assert_eq!(
            begin(Some(&done), &other, TTL_MS, "l6").0,
            Begin::Proceed,
            "expired key is fresh"
        );
    }

    #[test]
    fn a_slow_first_request_keeps_its_lease() {
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, rec) = begin(None, &fp, 0, "first");
        let rec = rec.unwrap();
        // A request still running after a minute (or nine) is not doubled.
        for t in [30_000, 60_000, LEASE_MS - 1] {
            assert_eq!(begin(Some(&rec), &fp, t, "retry").0, Begin::InFlight, "{t}");
        }
        const { assert!(LEASE_MS >= 10 * 60_000) };
        // It completes: the retry replays its answer.
        let done = complete(Some(&rec), "first", 201, "body").unwrap();
        assert_eq!(
            begin(Some(&done), &fp, LEASE_MS - 1, "retry").0,
            Begin::Replay {
                status: 201,
                sealed_body: "body".into()
            }
        );
    }

    #[test]
    fn only_the_lease_holder_ends_the_lease() {
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, first) = begin(None, &fp, 0, "first");
        let first = first.unwrap();
        assert!(may_abandon(Some(&first), "first"));
        assert!(!may_abandon(Some(&first), "other"));
        assert!(!may_abandon(None, "first"));
        assert_eq!(complete(Some(&first), "other", 201, "x"), None);
        // The first holder died; after the fallback a retry takes over...
        let (b, second) = begin(Some(&first), &fp, LEASE_MS, "second");
        assert_eq!(b, Begin::Proceed);
        let second = second.unwrap();
        // ...and the late first holder can neither end nor overwrite it.
        assert!(!may_abandon(Some(&second), "first"));
        assert_eq!(complete(Some(&second), "first", 201, "late"), None);
        let done = complete(Some(&second), "second", 201, "ok").unwrap();
        assert_eq!(
            complete(Some(&done), "second", 500, "again"),
            None,
            "done stays"
        );
        assert!(!may_abandon(Some(&done), "second"));
    }

    #[test]
    fn records_without_a_lease_id_still_load() {
        let old = r#"{"state":"inProgress","fingerprint":"f","created_at":1,"lease_until":2}"#;
        let rec: Record = serde_json::from_str(old).unwrap();
        assert!(!may_abandon(Some(&rec), "x"));
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
