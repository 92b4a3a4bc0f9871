//! `Idempotency-Key`: same key + same body within 24 h replays the original
//! response; same key + another body is a conflict.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crypto::sha256_hex;
use super::input::InputError;

pub const TTL_MS: i64 = 24 * 3_600_000;
/// How long a first request may hold the key before it has prepared its
/// answer; a retry after that takes over. It only guards the preparation
/// (a limiter call and random ids): the holder may prepare only while the
/// lease is still its own, so a slow first request that lost it creates
/// nothing, and once prepared the work is resumable by any retry. Short, so
/// a worker that died before preparing blocks its key only briefly.
pub const LEASE_MS: i64 = 60_000;
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
    /// The answer is fixed and `work` says how to produce it again; the work
    /// may or may not have been done (the worker may have died after it).
    /// Any request with the key redoes the (idempotent) work, then finishes.
    Prepared {
        fingerprint: String,
        created_at: i64,
        work: String,
        status: u16,
        sealed_body: String,
    },
    Done {
        fingerprint: String,
        created_at: i64,
        status: u16,
        sealed_body: String,
    },
}

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Begin {
    /// First use (or the previous use expired or was abandoned): run the
    /// request, prepare its answer under the lease, do the work, finish.
    Proceed,
    /// An earlier request prepared this answer but may have died before its
    /// work was done: redo `work` (idempotent), finish, answer with this.
    Resume {
        work: String,
        status: u16,
        sealed_body: String,
    },
    /// Replay the stored response.
    Replay { status: u16, sealed_body: String },
    /// The key was used with a different body.
    Mismatch,
    /// The first request with this key is still preparing.
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
        Some(
            Record::InProgress { created_at, .. }
            | Record::Prepared { created_at, .. }
            | Record::Done { created_at, .. },
        ) if now >= created_at.saturating_add(TTL_MS) => take(),
        Some(
            Record::InProgress { fingerprint: f, .. }
            | Record::Prepared { fingerprint: f, .. }
            | Record::Done { fingerprint: f, .. },
        ) if f != fingerprint => (Begin::Mismatch, None),
        Some(Record::InProgress { lease_until, .. }) if now >= *lease_until => take(),
        Some(Record::InProgress { .. }) => (Begin::InFlight, None),
        Some(Record::Prepared {
            work,
            status,
            sealed_body,
            ..
        }) => (
            Begin::Resume {
                work: work.clone(),
                status: *status,
                sealed_body: sealed_body.clone(),
            },
            None,
        ),
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

/// The holder of lease `lease_id` fixes its answer and the work that makes
/// it true, before doing that work: the record to store, or `None` when the
/// lease is no longer its own (a retry took over): then it must do nothing.
pub fn prepare(
    existing: Option<&Record>,
    lease_id: &str,
    work: &str,
    status: u16,
    sealed_body: &str,
) -> Option<Record> {
    match existing {
        Some(Record::InProgress {
            fingerprint,
            created_at,
            lease_id: held,
            ..
        }) if held == lease_id => Some(Record::Prepared {
            fingerprint: fingerprint.clone(),
            created_at: *created_at,
            work: work.to_owned(),
            status,
            sealed_body: sealed_body.to_owned(),
        }),
        _ => None,
    }
}

/// The prepared work is done (by whichever request got there): the record
/// to store, or `None` when there is nothing prepared to finish.
pub fn finish(existing: Option<&Record>) -> Option<Record> {
    match existing {
        Some(Record::Prepared {
            fingerprint,
            created_at,
            status,
            sealed_body,
            ..
        }) => Some(Record::Done {
            fingerprint: fingerprint.clone(),
            created_at: *created_at,
            status: *status,
            sealed_body: sealed_body.clone(),
        }),
        _ => None,
    }
}

/// Whether the holder of `lease_id` may delete the record after a failure
/// (so a retry can run now): only while it holds the lease and has not
/// prepared; a prepared answer is never dropped, as its work may be done.
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

    fn replay(body: &str) -> Begin {
        Begin::Replay {
            status: 201,
            sealed_body: body.into(),
        }
    }

    fn resume(work: &str, body: &str) -> Begin {
        Begin::Resume {
            work: work.into(),
            status: 201,
            sealed_body: body.into(),
        }
    }

    #[test]
    fn prepare_then_finish_then_replay() {
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, rec) = begin(None, &fp, 0, "first");
        let rec = rec.unwrap();
        assert_eq!(begin(Some(&rec), &fp, 1, "retry").0, Begin::InFlight);
        let prepared = prepare(Some(&rec), "first", "w", 201, "body").unwrap();
        let done = finish(Some(&prepared)).unwrap();
        assert_eq!(begin(Some(&done), &fp, 2, "retry").0, replay("body"));
        assert_eq!(finish(Some(&done)), None, "done stays");
        assert_eq!(finish(None), None);
        assert_eq!(finish(Some(&rec)), None, "nothing prepared yet");
    }

    #[test]
    fn a_request_that_died_after_preparing_is_resumed_not_redone() {
        // The soak's crash window: the work (the consent) may exist, the
        // answer was never recorded. Before the lease lapses and after it,
        // a retry gets the same work and answer, never a fresh Proceed.
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, rec) = begin(None, &fp, 0, "first");
        let prepared = prepare(rec.as_ref(), "first", "cons_1", 201, "body").unwrap();
        for t in [1, LEASE_MS - 1, LEASE_MS, 10 * LEASE_MS, TTL_MS - 1] {
            let (b, stored) = begin(Some(&prepared), &fp, t, "retry");
            assert_eq!(b, resume("cons_1", "body"), "{t}");
            assert_eq!(stored, None, "a resume takes no lease: {t}");
        }
        // Concurrent resumes finish the same record; the first finish wins
        // and the second changes nothing.
        let done = finish(Some(&prepared)).unwrap();
        assert_eq!(finish(Some(&done)), None);
        // A prepared answer is never abandoned: its work may be done.
        assert!(!may_abandon(Some(&prepared), "first"));
        // Another body under the key is still a mismatch; after 24 h the key is fresh.
        let other = fingerprint("consents", br#"{"a":2}"#);
        assert_eq!(begin(Some(&prepared), &other, 5, "x").0, Begin::Mismatch);
        assert_eq!(begin(Some(&prepared), &fp, TTL_MS, "x").0, Begin::Proceed);
    }

    #[test]
    fn a_slow_first_request_that_lost_its_lease_prepares_nothing() {
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, first) = begin(None, &fp, 0, "first");
        let first = first.unwrap();
        // Within the lease a retry waits.
        for t in [1, 30_000, LEASE_MS - 1] {
            assert_eq!(
                begin(Some(&first), &fp, t, "retry").0,
                Begin::InFlight,
                "{t}"
            );
        }
        // After it (the holder died, or is stuck before preparing) a retry
        // takes over, and the late first holder can no longer prepare: so it
        // creates nothing, and only one answer ever exists for the key.
        let (b, second) = begin(Some(&first), &fp, LEASE_MS, "second");
        assert_eq!(b, Begin::Proceed);
        let second = second.unwrap();
        assert_eq!(prepare(Some(&second), "first", "w1", 201, "late"), None);
        assert!(!may_abandon(Some(&second), "first"));
        let prepared = prepare(Some(&second), "second", "w2", 201, "ok").unwrap();
        assert_eq!(prepare(Some(&prepared), "second", "w3", 201, "again"), None);
        assert_eq!(
            begin(Some(&prepared), &fp, LEASE_MS + 1, "third").0,
            resume("w2", "ok")
        );
    }

    #[test]
    fn only_the_lease_holder_abandons_before_preparing() {
        let fp = fingerprint("consents", br#"{"a":1}"#);
        let (_, first) = begin(None, &fp, 0, "first");
        let first = first.unwrap();
        assert!(may_abandon(Some(&first), "first"));
        assert!(!may_abandon(Some(&first), "other"));
        assert!(!may_abandon(None, "first"));
        assert_eq!(prepare(Some(&first), "other", "w", 201, "x"), None);
        assert_eq!(prepare(None, "first", "w", 201, "x"), None);
        let done = finish(prepare(Some(&first), "first", "w", 201, "x").as_ref()).unwrap();
        assert!(!may_abandon(Some(&done), "first"));
    }

    #[test]
    fn records_survive_storage() {
        let prepared = Record::Prepared {
            fingerprint: "f".into(),
            created_at: 1,
            work: "{}".into(),
            status: 201,
            sealed_body: "s".into(),
        };
        let text = serde_json::to_string(&prepared).unwrap();
        assert_eq!(
            serde_json::from_slice::<Record>(text.as_bytes()).unwrap(),
            prepared
        );
    }

    #[test]
    fn records_without_a_lease_id_still_load() {
        let old = r#"{"state":"inProgress","fingerprint":"f","created_at":1,"lease_until":2}"#;
        let rec: Record = serde_json::from_slice(old.as_bytes()).unwrap();
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
