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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_reset() {
        let mut w = Window::default();
        let t = 60_000 * 1000 + 5;
        for i in 0..3 {
            let v = w.hit(t + i, 3, 60_000);
            assert!(v.allowed);
            assert_eq!(v.remaining, 2 - i as u32);
        }
        let refused = w.hit(t + 10, 3, 60_000);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_ms, 60_000 * 1001);
        assert_eq!(refused.retry_after_secs(t + 10), 60);
        assert!(w.hit(60_000 * 1001, 3, 60_000).allowed, "new window");
    }
}
