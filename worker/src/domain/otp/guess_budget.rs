//! The per-mobile budget of wrong codes (DESIGN "Rate limits": at most 15
//! wrong codes per 24 h across all enrollments of one mobile, per mode).
//!
//! A guess reserves a slot *before* its code is checked, so concurrent
//! guesses on several enrollments of one number can never exceed the cap;
//! a guess that turns out not to be wrong gives its slot back by id.

use serde::{Deserialize, Serialize};

/// Wrong codes allowed per mobile in any 24 hours.
pub const MAX_WRONG_CODES: usize = 15;
/// The window of [`MAX_WRONG_CODES`].
pub const WRONG_CODE_WINDOW_MS: i64 = 24 * 3_600_000;

/// One reserved (and, unless released, spent) guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub id: String,
    pub at: i64,
}

/// The guesses of one mobile still inside the window, oldest first. At most
/// [`MAX_WRONG_CODES`] entries: a full budget refuses instead of growing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuessBudget {
    pub slots: Vec<Slot>,
}

/// The budget is spent: nothing may be guessed (or sent) until `retry_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// Unix ms when the oldest slot leaves the window.
    pub retry_at: i64,
}

impl Exhausted {
    /// Whole seconds until `retry_at`, at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self, now: i64) -> i64 {
        ((self.retry_at - now).max(0) + 999) / 1000
    }
}

impl GuessBudget {
    /// Drops slots older than the window. Slots stamped after `now` (a
    /// clock step back) are kept: dropping them would exceed the cap.
    fn prune(&mut self, now: i64) {
        let since = now.saturating_sub(WRONG_CODE_WINDOW_MS);
        self.slots.retain(|s| s.at > since);
    }

    fn exhausted(&self) -> Option<Exhausted> {
        if self.slots.len() < MAX_WRONG_CODES {
            return None;
        }
        let oldest = self.slots.first().map_or(0, |s| s.at);
        Some(Exhausted {
            retry_at: oldest.saturating_add(WRONG_CODE_WINDOW_MS),
        })
    }

    /// Whether a guess could be made now (new enrollments ask this; it
    /// spends nothing). Persist `self` afterwards to keep it pruned.
    pub fn check(&mut self, now: i64) -> Result<(), Exhausted> {
        self.prune(now);
        self.exhausted().map_or(Ok(()), Err)
    }

    /// Takes a slot for guess `id`, or refuses when the budget is spent.
    pub fn reserve(&mut self, now: i64, id: &str) -> Result<(), Exhausted> {
        self.check(now)?;
        self.slots.push(Slot {
            id: id.to_owned(),
            at: now,
        });
        Ok(())
    }

    /// Gives back guess `id`'s slot: its code was right, or it was never
    /// checked. Unknown ids are ignored (already pruned or released).
    pub fn release(&mut self, id: &str) {
        self.slots.retain(|s| s.id != id);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn fifteen_guesses_then_refused_until_the_oldest_leaves() {
        let mut b = GuessBudget::default();
        for i in 0..15 {
            assert!(b.reserve(T0 + i, &format!("g{i}")).is_ok(), "guess {i}");
        }
        let refused = b.reserve(T0 + 100, "g15").unwrap_err();
        assert_eq!(refused.retry_at, T0 + WRONG_CODE_WINDOW_MS);
        assert_eq!(refused.retry_after_secs(T0 + 100), 86_400);
        assert_eq!(b.slots.len(), 15, "a refusal takes no slot");
        assert_eq!(
            b.check(T0 + 200),
            Err(refused),
            "new enrollments refused too"
        );
        // Still refused one millisecond before the window passes...
        assert!(b.check(T0 + WRONG_CODE_WINDOW_MS - 1).is_err());
        // ...and exactly one slot frees when the oldest guess leaves it.
        assert!(b.reserve(T0 + WRONG_CODE_WINDOW_MS, "late").is_ok());
        assert!(b.reserve(T0 + WRONG_CODE_WINDOW_MS, "later").is_err());
    }

    #[test]
    fn released_guesses_do_not_count() {
        let mut b = GuessBudget::default();
        for i in 0..15 {
            b.reserve(T0, &format!("g{i}")).unwrap();
        }
        b.release("g3");
        b.release("unknown");
        assert_eq!(b.slots.len(), 14);
        assert!(b.reserve(T0 + 1, "right-code").is_ok());
        assert!(b.check(T0 + 2).is_err());
    }

    #[test]
    fn clock_going_backwards_frees_nothing() {
        let mut b = GuessBudget::default();
        for i in 0..15 {
            b.reserve(T0 + 10, &format!("g{i}")).unwrap();
        }
        assert!(b.reserve(T0, "x").is_err(), "earlier clock, same 15 slots");
        assert_eq!(b.slots.len(), MAX_WRONG_CODES);
    }

    #[test]
    fn round_trips_as_json() {
        let mut b = GuessBudget::default();
        b.reserve(T0, "enr_1:a").unwrap();
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["slots"][0]["id"], "enr_1:a");
        assert_eq!(serde_json::from_value::<GuessBudget>(json).unwrap(), b);
    }
}
