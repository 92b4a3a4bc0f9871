//! The life of one webhook delivery as plain data: what an attempt's outcome
//! does to it, when it is next due, what an outbox keeps, and when forwarding
//! to an outbox is retried. The Durable Object only stores and sends.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::time::{parse_http_date, rfc3339};
use super::webhook::{retry_delay_ms, standard_signature, ATTEMPT_TIMEOUT_MS, MAX_ATTEMPTS};

/// Sends to one endpoint (one outbox) in flight at once.
pub const MAX_IN_FLIGHT: usize = 10;
/// Deliveries one alarm claims; the next alarm follows at once if more are due.
pub const BATCH: usize = 30;
/// Finished deliveries an outbox keeps for its log; older ones are pruned.
pub const KEEP_FINISHED: usize = 500;
/// Longest wait a `Retry-After` can impose: the backoff's own cap (6 h).
pub const RETRY_AFTER_CAP_MS: i64 = 6 * 3_600_000;
/// First retry of an event the owning object could not hand to its outbox.
pub const FORWARD_RETRY_BASE_MS: i64 = 5_000;
/// Forwarding retries back off up to this interval, and go on at it forever.
pub const FORWARD_RETRY_CAP_MS: i64 = 300_000;
/// Seen-markers are swept on this grid: an idle outbox wakes at most once
/// per interval to drop expired markers, each at most this late.
pub const MARKER_SWEEP_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One event on its way to one endpoint. `body` is signed once, at enqueue,
/// so every attempt sends identical bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub response_status: Option<u16>,
    /// The headers of the last attempt as sent (signatures included), so a
    /// partner can see exactly what was signed. Absent in records stored
    /// before this field existed, until their next attempt.
    #[serde(default)]
    pub last_request_headers: Option<Vec<(String, String)>>,
}

/// How one attempt ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered with this status (redirects are never followed,
    /// so a 3xx lands here too), and its `Retry-After` header if any.
    Answered {
        status: u16,
        retry_after: Option<String>,
    },
    /// No answer within [`ATTEMPT_TIMEOUT_MS`].
    TimedOut,
    /// No answer at all: connection, DNS or TLS failure, or no endpoint.
    Unreachable,
}

/// The request the sender makes: POST `url` with these headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Delivery {
    /// A new delivery, due at once.
    pub fn new(id: String, event_id: String, event: String, body: String, now: i64) -> Self {
        Delivery {
            id,
            event_id,
            event,
            body,
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            last_attempt_at: None,
            next_attempt_at: Some(now),
            response_status: None,
            last_request_headers: None,
        }
    }

    /// Remembers the headers of the attempt just made with `request`.
    pub fn sent(&mut self, request: &WebhookRequest) {
        self.last_request_headers = Some(
            request
                .headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        );
    }

    /// Applies one attempt's outcome. 2xx delivers; anything else (3xx,
    /// 4xx, 5xx, timeout, no answer) is a failed attempt, retried after the
    /// backoff (or a capped `Retry-After` on 429/503, whichever is later)
    /// until [`MAX_ATTEMPTS`] are spent, then `failed`.
    pub fn record(&mut self, outcome: &Outcome, now: i64, base_ms: i64) {
        self.attempts = self.attempts.saturating_add(1);
        self.last_attempt_at = Some(now);
        let (status, retry_after) = match outcome {
            Outcome::Answered {
                status,
                retry_after,
            } => (Some(*status), retry_after.as_deref()),
            Outcome::TimedOut | Outcome::Unreachable => (None, None),
        };
        self.response_status = status;
        if status.is_some_and(|s| (200..300).contains(&s)) {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt_at = None;
            return;
        }
        let Some(backoff) = retry_delay_ms(base_ms, self.attempts) else {
            self.status = DeliveryStatus::Failed;
            self.next_attempt_at = None;
            return;
        };
        let asked = match (status, retry_after) {
            (Some(429 | 503), Some(value)) => retry_after_ms(value, now).unwrap_or(0),
            _ => 0,
        };
        self.status = DeliveryStatus::Pending;
        self.next_attempt_at = Some(now.saturating_add(backoff.max(asked)));
    }

    /// An operator's redelivery: pending again and due now. Attempts keep
    /// counting, so a delivery already past [`MAX_ATTEMPTS`] gets exactly
    /// this one more attempt before it is `failed` again.
    pub fn retry(&mut self, now: i64) {
        self.status = DeliveryStatus::Pending;
        self.next_attempt_at = Some(now);
    }

    pub fn is_finished(&self) -> bool {
        self.status != DeliveryStatus::Pending
    }

    /// The signed POST for an attempt made at `now` (unix ms). `keys` are the
    /// client's signing keys, current first: during a secret rotation's overlap
    /// `webhook-signature` carries one `v1,` signature per key, space-separated,
    /// which Standard Webhooks verifiers accept with either secret.
    pub fn request(&self, url: &str, keys: &[Vec<u8>], now: i64) -> WebhookRequest {
        let ts = now.div_euclid(1000);
        WebhookRequest {
            url: url.to_owned(),
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("User-Agent", "MID-Webhooks/1".to_owned()),
                ("webhook-id", self.event_id.clone()),
                ("webhook-timestamp", ts.to_string()),
                (
                    "webhook-signature",
                    keys.iter()
                        .map(|key| standard_signature(key, &self.event_id, ts, &self.body))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                ("X-MID-Event", self.event.clone()),
            ],
            body: self.body.clone(),
        }
    }

    /// The partner's view (`GET /webhooks/deliveries`).
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_delivery",
            "eventId": self.event_id,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "createdAt": rfc3339(self.created_at),
            "lastAttemptAt": self.last_attempt_at.map(rfc3339),
            "nextAttemptAt": self.next_attempt_at.map(rfc3339),
            "responseStatus": self.response_status,
            "body": self.body,
            "lastRequestHeaders": self.last_request_headers.as_ref().map(|headers| {
                headers
                    .iter()
                    .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                    .collect::<serde_json::Map<_, _>>()
            }),
        })
    }
}

/// The wait a `Retry-After` value asks for, in ms from `now`: delay-seconds
/// or an HTTP-date, capped at [`RETRY_AFTER_CAP_MS`]; `None` if unreadable.
pub fn retry_after_ms(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: any overflow is "very long", i.e. the cap.
        value
            .parse::<i64>()
            .map_or(RETRY_AFTER_CAP_MS, |s| s.saturating_mul(1000))
    } else {
        parse_http_date(value)?.saturating_sub(now)
    };
    Some(wait.clamp(0, RETRY_AFTER_CAP_MS))
}

/// How long after its enqueue a delivery can still be retried by the
/// backoff: every delay plus every attempt's timeout. An event's seen-marker
/// lives this long, so a late duplicate forward cannot deliver it twice.
pub fn retry_horizon_ms(base_ms: i64) -> i64 {
    let delays: i64 = (1..MAX_ATTEMPTS)
        .filter_map(|n| retry_delay_ms(base_ms, n))
        .fold(0, i64::saturating_add);
    delays.saturating_add(ATTEMPT_TIMEOUT_MS.saturating_mul(i64::from(MAX_ATTEMPTS)))
}

/// Until when an alarm's claim on a batch holds: long enough for the whole
/// batch at [`MAX_IN_FLIGHT`] with every attempt timing out. If the alarm
/// dies mid-batch, the claimed deliveries are due again after this.
pub fn claim_until(now: i64) -> i64 {
    let rounds = BATCH.div_ceil(MAX_IN_FLIGHT).saturating_add(1);
    let rounds = i64::try_from(rounds).unwrap_or(i64::MAX);
    now.saturating_add(rounds.saturating_mul(ATTEMPT_TIMEOUT_MS))
}

/// How many of `finished` deliveries to prune (the oldest ones).
pub fn prune_count(finished: usize) -> usize {
    finished.saturating_sub(KEEP_FINISHED)
}

/// When an outbox's alarm must next run, given its earliest due delivery
/// and its earliest seen-marker expiry: every alarm prunes (before claiming
/// and after recording outcomes), so deliveries that finish after the last
/// event are pruned by the alarm that finishes them, and an outbox with
/// nothing left to send still wakes to drop markers past the retry horizon.
/// `None`: nothing to send and nothing to expire.
pub fn next_alarm(next_due: Option<i64>, marker_expiry: Option<i64>) -> Option<i64> {
    let sweep = marker_expiry.map(|at| {
        at.div_euclid(MARKER_SWEEP_MS)
            .saturating_add(i64::from(at.rem_euclid(MARKER_SWEEP_MS) != 0))
            .saturating_mul(MARKER_SWEEP_MS)
    });
    [next_due, sweep].into_iter().flatten().min()
}

/// Wait before the next try to forward queued events to an outbox, after
/// `failures` failed tries in a row: 5 s, doubling, capped at 5 min. It
/// never gives up; the events stay queued until the outbox takes them.
pub fn forward_retry_delay_ms(failures: u32) -> i64 {
    let factor = 2i64.checked_pow(failures).unwrap_or(i64::MAX);
    FORWARD_RETRY_BASE_MS
        .saturating_mul(factor)
        .min(FORWARD_RETRY_CAP_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: i64 = 5_000;
    const NOW: i64 = 1_700_000_000_000;

    fn delivery() -> Delivery {
        Delivery::new(
            "dlv_1".into(),
            "evt_1".into(),
            "consent.created".into(),
            "{}".into(),
            NOW,
        )
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn a_new_delivery_is_pending_and_due_now() {
        let d = delivery();
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.next_attempt_at, Some(NOW));
        assert!(!d.is_finished());
    }

    #[test]
    fn the_view_shows_the_exact_body_and_the_last_attempts_signed_headers() {
        let mut d = delivery();
        let v = d.view();
        assert_eq!(v["body"], "{}");
        assert!(v["lastRequestHeaders"].is_null(), "no attempt yet: {v}");
        let key = b"k".to_vec();
        let first = d.request(
            "https://partner.example/hook",
            std::slice::from_ref(&key),
            NOW,
        );
        d.sent(&first);
        d.record(&answered(500), NOW, BASE);
        let second = d.request("https://partner.example/hook", &[key], NOW + 5_000);
        d.sent(&second);
        let v = d.view();
        let shown = &v["lastRequestHeaders"];
        for (name, value) in &second.headers {
            assert_eq!(shown[*name], value.as_str(), "{name}");
        }
        assert_eq!(shown["webhook-timestamp"], (NOW / 1000 + 5).to_string());
        assert_eq!(
            shown.as_object().map(|o| o.len()),
            Some(second.headers.len())
        );
        assert_eq!(v["body"], second.body);
    }

    #[test]
    fn a_record_stored_before_the_headers_field_still_reads() {
        let mut stored = serde_json::to_value(delivery()).unwrap();
        if let Some(o) = stored.as_object_mut() {
            o.remove("lastRequestHeaders");
        }
        let d: Delivery = serde_json::from_value(stored).unwrap();
        assert_eq!(d.last_request_headers, None);
    }

    #[test]
    fn any_2xx_delivers() {
        for status in [200, 202, 204, 299] {
            let mut d = delivery();
            d.record(&answered(status), NOW + 10, BASE);
            assert_eq!(d.status, DeliveryStatus::Delivered, "{status}");
            assert_eq!(d.response_status, Some(status));
            assert_eq!((d.attempts, d.last_attempt_at), (1, Some(NOW + 10)));
            assert_eq!(d.next_attempt_at, None);
            assert!(d.is_finished());
        }
    }

    #[test]
    fn redirects_and_errors_are_failed_attempts_with_their_status() {
        for status in [199, 300, 301, 302, 307, 308, 400, 404, 500, 502] {
            let mut d = delivery();
            d.record(&answered(status), NOW, BASE);
            assert_eq!(d.status, DeliveryStatus::Pending, "{status}");
            assert_eq!(d.response_status, Some(status));
            assert_eq!(d.next_attempt_at, Some(NOW + BASE), "{status}");
        }
    }

    #[test]
    fn timeouts_and_network_errors_record_no_status() {
        for outcome in [Outcome::TimedOut, Outcome::Unreachable] {
            let mut d = delivery();
            d.record(&answered(500), NOW, BASE);
            d.record(&outcome, NOW + 1, BASE);
            assert_eq!(d.response_status, None, "{outcome:?}");
            assert_eq!(d.attempts, 2);
            assert_eq!(d.next_attempt_at, Some(NOW + 1 + 4 * BASE));
        }
    }

    #[test]
    fn backoff_quadruples_is_capped_at_6h_and_fails_after_10_attempts() {
        let mut d = delivery();
        let mut waits = Vec::new();
        let mut now = NOW;
        while d.status == DeliveryStatus::Pending {
            d.record(&answered(500), now, BASE);
            if let Some(next) = d.next_attempt_at {
                waits.push(next - now);
                now = next;
            }
        }
        assert_eq!(d.attempts, 10);
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.next_attempt_at, None);
        assert_eq!(d.response_status, Some(500));
        assert_eq!(
            waits,
            [
                5_000, 20_000, 80_000, 320_000, 1_280_000, 5_120_000, 20_480_000, 21_600_000,
                21_600_000
            ]
        );
    }

    #[test]
    fn retry_after_on_429_and_503_sets_the_earliest_next_attempt() {
        for status in [429, 503] {
            let mut d = delivery();
            let outcome = Outcome::Answered {
                status,
                retry_after: Some("120".into()),
            };
            d.record(&outcome, NOW, BASE);
            assert_eq!(d.next_attempt_at, Some(NOW + 120_000), "{status}");
            assert_eq!(d.response_status, Some(status));
        }
    }

    #[test]
    fn retry_after_never_shortens_the_backoff() {
        let mut d = delivery();
        d.record(&answered(500), NOW, BASE);
        let outcome = Outcome::Answered {
            status: 429,
            retry_after: Some("1".into()),
        };
        d.record(&outcome, NOW, BASE);
        assert_eq!(d.next_attempt_at, Some(NOW + 4 * BASE));
    }

    #[test]
    fn retry_after_is_ignored_on_other_statuses_and_when_unreadable() {
        for (status, value) in [(500, "120"), (302, "120"), (429, "soon"), (503, "-5")] {
            let mut d = delivery();
            let outcome = Outcome::Answered {
                status,
                retry_after: Some(value.into()),
            };
            d.record(&outcome, NOW, BASE);
            assert_eq!(d.next_attempt_at, Some(NOW + BASE), "{status} {value}");
        }
    }

    #[test]
    fn retry_after_does_not_outlive_the_attempt_budget() {
        let mut d = delivery();
        for _ in 0..9 {
            d.record(&answered(500), NOW, BASE);
        }
        let outcome = Outcome::Answered {
            status: 429,
            retry_after: Some("60".into()),
        };
        d.record(&outcome, NOW, BASE);
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.next_attempt_at, None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_and_is_capped() {
        assert_eq!(retry_after_ms("2", NOW), Some(2_000));
        assert_eq!(retry_after_ms(" 0 ", NOW), Some(0));
        assert_eq!(retry_after_ms("86400", NOW), Some(RETRY_AFTER_CAP_MS));
        assert_eq!(
            retry_after_ms("99999999999999999999999", NOW),
            Some(RETRY_AFTER_CAP_MS)
        );
        // 2023-11-14T22:13:20Z is NOW; the date is 90 s later.
        assert_eq!(
            retry_after_ms("Tue, 14 Nov 2023 22:14:50 GMT", NOW),
            Some(90_000)
        );
        // A date in the past means "now".
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(0)
        );
        assert_eq!(
            retry_after_ms("Fri, 14 Nov 2025 22:13:20 GMT", NOW),
            Some(RETRY_AFTER_CAP_MS)
        );
        for bad in ["", "-1", "1.5", "later", "Tue, 31 Nov 2023 22:14:50 GMT"] {
            assert_eq!(retry_after_ms(bad, NOW), None, "{bad:?}");
        }
    }

    #[test]
    fn an_operator_retry_makes_a_finished_delivery_due_now() {
        let mut d = delivery();
        d.record(&answered(200), NOW, BASE);
        d.retry(NOW + 50);
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.next_attempt_at, Some(NOW + 50));
        assert_eq!(d.attempts, 1, "attempts keep counting");
        // A spent delivery gets one more attempt, then fails again.
        let mut d = delivery();
        for _ in 0..10 {
            d.record(&answered(500), NOW, BASE);
        }
        d.retry(NOW);
        d.record(&answered(500), NOW, BASE);
        assert_eq!(d.status, DeliveryStatus::Failed);
        let mut d2 = d.clone();
        d2.retry(NOW);
        d2.record(&answered(204), NOW, BASE);
        assert_eq!(d2.status, DeliveryStatus::Delivered);
    }

    #[test]
    fn the_request_carries_both_signatures_over_the_stored_body() {
        let mut d = delivery();
        d.body = r#"{"event":"x"}"#.into();
        let key = b"k";
        let req = d.request("https://example.com/h", &[key.to_vec()], 1_700_000_000_999);
        assert_eq!(req.url, "https://example.com/h");
        assert_eq!(req.body, d.body);
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("webhook-id").as_deref(), Some("evt_1"));
        assert_eq!(header("webhook-timestamp").as_deref(), Some("1700000000"));
        assert_eq!(
            header("webhook-signature"),
            Some(standard_signature(key, "evt_1", 1_700_000_000, &d.body))
        );
        assert_eq!(header("X-MID-Event").as_deref(), Some("consent.created"));
        // During a secret rotation: one signature per key, current first.
        let both = d.request(
            "https://example.com/h",
            &[b"new".to_vec(), b"old".to_vec()],
            1_700_000_000_999,
        );
        let value = both
            .headers
            .iter()
            .find(|(k, _)| *k == "webhook-signature")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(
            value,
            format!(
                "{} {}",
                standard_signature(b"new", "evt_1", 1_700_000_000, &d.body),
                standard_signature(b"old", "evt_1", 1_700_000_000, &d.body)
            )
        );
    }

    #[test]
    fn the_view_has_the_contract_fields() {
        let mut d = delivery();
        d.record(&answered(302), NOW, BASE);
        let v = d.view();
        assert_eq!(v["status"], "pending");
        assert_eq!(v["responseStatus"], 302);
        assert_eq!(v["attempts"], 1);
        assert_eq!(v["eventId"], "evt_1");
        assert!(v["nextAttemptAt"].is_string() && v["lastAttemptAt"].is_string());
    }

    #[test]
    fn pruning_keeps_the_newest_500_finished() {
        assert_eq!(prune_count(0), 0);
        assert_eq!(prune_count(500), 0);
        assert_eq!(prune_count(501), 1);
        assert_eq!(prune_count(2_000), 1_500);
    }

    #[test]
    fn the_alarm_wakes_for_due_deliveries_and_for_expiring_markers() {
        assert_eq!(next_alarm(None, None), None, "idle and clean: no alarm");
        assert_eq!(next_alarm(Some(NOW), None), Some(NOW));
        // Nothing to send: wake on the sweep grid at or after the expiry,
        // never before it (the marker must outlive the retry horizon).
        let grid = 60_000 * 1_000_000;
        assert_eq!(next_alarm(None, Some(grid)), Some(grid));
        assert_eq!(
            next_alarm(None, Some(grid + 1)),
            Some(grid + MARKER_SWEEP_MS)
        );
        assert_eq!(
            next_alarm(None, Some(grid + MARKER_SWEEP_MS - 1)),
            Some(grid + MARKER_SWEEP_MS)
        );
        // Markers expiring in one sweep interval share one wake-up.
        let wakes: std::collections::BTreeSet<_> = (1..=MARKER_SWEEP_MS)
            .step_by(997)
            .filter_map(|d| next_alarm(None, Some(grid + d)))
            .collect();
        assert_eq!(wakes.len(), 1);
        // Both: whichever comes first.
        assert_eq!(next_alarm(Some(grid + 5), Some(grid + 1)), Some(grid + 5));
        assert_eq!(next_alarm(Some(grid + 5), Some(grid - 1)), Some(grid));
    }

    /// The outbox's upkeep as the object runs it (prune, claim, record,
    /// prune, re-arm), modelled on plain data: a backlog still pending at the
    /// last enqueue must be back to the newest 500 finished once the alarms
    /// that finish it have run, and markers must go after the horizon
    /// although no event ever arrives again (the soak's two findings).
    #[test]
    fn an_outbox_returns_to_its_pruned_size_after_the_last_event() {
        struct Outbox {
            deliveries: Vec<Delivery>,
            markers: Vec<i64>,
        }
        impl Outbox {
            fn prune(&mut self, now: i64) {
                let finished = self.deliveries.iter().filter(|d| d.is_finished()).count();
                let mut drop = prune_count(finished);
                // Oldest first (created_at ascending), finished only.
                self.deliveries.sort_by_key(|d| d.created_at);
                self.deliveries.retain(|d| {
                    let gone = drop > 0 && d.is_finished();
                    drop -= usize::from(gone);
                    !gone
                });
                self.markers.retain(|&at| at > now);
            }
            fn next_alarm(&self) -> Option<i64> {
                let due = self
                    .deliveries
                    .iter()
                    .filter_map(|d| d.next_attempt_at)
                    .min();
                next_alarm(due, self.markers.iter().copied().min())
            }
            fn alarm(&mut self, now: i64) {
                self.prune(now);
                let mut sent = 0;
                for d in &mut self.deliveries {
                    if sent < BATCH && d.next_attempt_at.is_some_and(|at| at <= now) {
                        d.record(&answered(200), now, BASE);
                        sent += 1;
                    }
                }
                self.prune(now);
            }
        }
        let horizon = retry_horizon_ms(BASE);
        let mut o = Outbox {
            deliveries: Vec::new(),
            markers: Vec::new(),
        };
        // 700 events arrive at once, then never another.
        for n in 0..700 {
            let mut d = delivery();
            d.id = format!("dlv_{n}");
            d.created_at = NOW + n;
            d.next_attempt_at = Some(NOW + n);
            o.deliveries.push(d);
            o.markers.push(NOW + n + horizon);
        }
        let mut now = NOW + 700;
        let mut alarms = 0;
        while let Some(at) = o.next_alarm() {
            now = now.max(at);
            o.alarm(now);
            alarms += 1;
            assert!(alarms < 100, "the alarm must settle");
        }
        assert_eq!(o.deliveries.len(), KEEP_FINISHED);
        assert!(o.deliveries.iter().all(Delivery::is_finished));
        assert!(o.markers.is_empty(), "markers swept without a new event");
        assert!(
            now >= NOW + 699 + horizon,
            "no marker swept before its horizon"
        );
        assert!(now < NOW + 699 + horizon + MARKER_SWEEP_MS);
        assert_eq!(o.next_alarm(), None);
    }

    #[test]
    fn seen_markers_outlive_every_retry() {
        let horizon = retry_horizon_ms(BASE);
        let mut d = delivery();
        let mut now = NOW;
        while let Some(next) = d.next_attempt_at {
            now = next + ATTEMPT_TIMEOUT_MS;
            d.record(&Outcome::TimedOut, now, BASE);
        }
        assert!(now - NOW <= horizon, "{} > {horizon}", now - NOW);
        // About a day at the default base, as the contract says.
        assert!((15 * 3_600_000..30 * 3_600_000).contains(&horizon));
    }

    #[test]
    fn a_claim_covers_a_whole_batch_of_timeouts() {
        let rounds = i64::try_from(BATCH.div_ceil(MAX_IN_FLIGHT)).unwrap();
        assert!(claim_until(NOW) - NOW > rounds * ATTEMPT_TIMEOUT_MS);
    }

    #[test]
    fn forwarding_backs_off_to_five_minutes_and_never_stops() {
        assert_eq!(forward_retry_delay_ms(0), 5_000);
        assert_eq!(forward_retry_delay_ms(1), 10_000);
        assert_eq!(forward_retry_delay_ms(3), 40_000);
        assert_eq!(forward_retry_delay_ms(6), 300_000);
        assert_eq!(forward_retry_delay_ms(1_000), 300_000);
        assert_eq!(forward_retry_delay_ms(u32::MAX), 300_000);
    }
}
