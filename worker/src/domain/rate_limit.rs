//! Fixed-window counters for rate limits (held in a Durable Object, never KV).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub start_ms: i64,
    pub count: u32,
}

/// The outcome of one counted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// When the current window ends (unix ms).
    pub reset_ms: i64,
}

impl Verdict {
    /// Whole seconds until the window resets, at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self, now: i64) -> i64 {
        ((self.reset_ms - now).max(0) + 999) / 1000
    }
}

impl Window {
    /// Counts one request at `now`; refused requests are not counted, so a
    /// client hammering past its limit does not extend its own lock-out.
    pub fn hit(&mut self, now: i64, limit: u32, window_ms: i64) -> Verdict {
        if now >= self.start_ms.saturating_add(window_ms) || now < self.start_ms {
            *self = Window {
                start_ms: now - now.rem_euclid(window_ms.max(1)),
                count: 0,
            };
        }
        let allowed = self.count < limit;
        if allowed {
            self.count += 1;
        }
        Verdict {
            allowed,
            limit,
            remaining: limit.saturating_sub(self.count),
            reset_ms: self.start_ms.saturating_add(window_ms),
        }
    }
}

/// A sliding log for small limits that must hold over any interval ("at most
/// 3 OTP sends per mobile in any 10 minutes"), which a fixed window cannot
/// promise at its edges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SlidingLog {
    /// Times (unix ms) of the counted hits still inside the window, oldest first.
    pub hits: Vec<i64>,
}

impl SlidingLog {
    /// Counts one hit at `now` if fewer than `limit` fall in `(now - window, now]`.
    /// `reset_ms` is when the next slot frees up.
    pub fn hit(&mut self, now: i64, limit: u32, window_ms: i64) -> Verdict {
        self.hits
            .retain(|&t| t > now.saturating_sub(window_ms) && t <= now);
        let used = u32::try_from(self.hits.len()).unwrap_or(u32::MAX);
        let allowed = used < limit;
        if allowed {
            self.hits.push(now);
        }
        let used = u32::try_from(self.hits.len()).unwrap_or(u32::MAX);
        let reset_ms = if used < limit {
            now
        } else {
            self.hits
                .first()
                .map_or(now, |&oldest| oldest.saturating_add(window_ms))
        };
        Verdict {
            allowed,
            limit,
            remaining: limit.saturating_sub(used),
            reset_ms,
        }
    }

    /// The verdict a hit at `now` would get, without counting one.
    pub fn peek(&self, now: i64, limit: u32, window_ms: i64) -> Verdict {
        let mut copy = self.clone();
        let mut v = copy.hit(now, limit, window_ms);
        if v.allowed {
            v.remaining = v.remaining.saturating_add(1).min(limit);
        }
        v
    }

    /// Gives back the most recent hit (its work did not happen, e.g. the SMS
    /// provider refused the message).
    pub fn refund(&mut self) {
        self.hits.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_reset() {
        let mut w = Window::default();
        let t = 60_000 * 1000 + 5;
        for (i, remaining) in (0..3).zip([2u32, 1, 0]) {
            let v = w.hit(t + i, 3, 60_000);
            assert!(v.allowed);
            assert_eq!(v.remaining, remaining);
        }
        let refused = w.hit(t + 10, 3, 60_000);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_ms, 60_000 * 1001);
        assert_eq!(refused.retry_after_secs(t + 10), 60);
        assert!(w.hit(60_000 * 1001, 3, 60_000).allowed, "new window");
    }

    #[test]
    fn sliding_log_holds_over_any_interval() {
        let mut log = SlidingLog::default();
        let w = 600_000;
        // Three hits just before a fixed-window boundary...
        for i in 0..3 {
            assert!(log.hit(w - 10 + i, 3, w).allowed);
        }
        // ...and none just after it: the 10 minutes have not passed.
        let refused = log.hit(w + 5, 3, w);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_ms, 2 * w - 10);
        assert_eq!(refused.retry_after_secs(w + 5), 600);
        assert_eq!(log.hits.len(), 3, "refusals are not counted");
        // The oldest slot frees exactly one window after it was used.
        assert!(!log.hit(2 * w - 11, 3, w).allowed);
        let v = log.hit(2 * w - 10, 3, w);
        assert!(v.allowed);
        assert_eq!(v.remaining, 0);
    }

    #[test]
    fn sliding_peek_tells_without_counting() {
        let mut log = SlidingLog::default();
        assert!(log.peek(1_000, 1, 10_000).allowed);
        assert!(log.hit(1_000, 1, 10_000).allowed);
        let v = log.peek(1_001, 1, 10_000);
        assert!(!v.allowed);
        assert_eq!(v.reset_ms, 11_000);
        assert_eq!(log.hits.len(), 1, "peeking counted nothing");
        assert!(log.peek(11_000, 1, 10_000).allowed);
    }

    #[test]
    fn sliding_log_refund_gives_the_slot_back() {
        let mut log = SlidingLog::default();
        assert!(log.hit(1_000, 2, 10_000).allowed);
        let v = log.hit(1_001, 2, 10_000);
        assert!(v.allowed && v.remaining == 0);
        log.refund();
        let v = log.hit(1_002, 2, 10_000);
        assert!(v.allowed, "the refunded slot is free again");
        assert!(!log.hit(1_003, 2, 10_000).allowed);
        assert_eq!(SlidingLog::default().hit(5, 3, 10).remaining, 2);
    }
}
