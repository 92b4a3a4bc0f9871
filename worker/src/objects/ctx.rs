//! One context per object call: the clock read once and one random source,
//! built at the entry of each `fetch`, `alarm` and WebSocket handler and
//! passed down, so a call sees one "now" throughout.

use std::cell::RefCell;

use crate::app::{now_ms, OsRandom};
use crate::error::{ApiError, ApiResult};

pub struct Ctx {
    /// Unix milliseconds, read when the call began.
    pub now: i64,
    rng: RefCell<OsRandom>,
}

impl Default for Ctx {
    fn default() -> Self {
        Self::new()
    }
}

impl Ctx {
    /// Reads the clock.
    pub fn new() -> Self {
        Self {
            now: now_ms(),
            rng: RefCell::new(OsRandom::default()),
        }
    }

    /// The clock read again, for a time taken after a long await (a webhook
    /// attempt's signature and outcome): not the call's start.
    pub fn later(&self) -> i64 {
        now_ms()
    }

    /// Moves the call's time to [`Ctx::later`], for a decision taken after a
    /// long await on another object.
    pub fn reread_clock(&mut self) -> i64 {
        self.now = self.later();
        self.now
    }

    /// Runs `f` with the call's random source; a platform CSPRNG failure
    /// (now or earlier in the call) is a 500, so no predictable secret is
    /// ever used.
    pub fn random<T>(&self, f: impl FnOnce(&mut OsRandom) -> T) -> ApiResult<T> {
        let mut rng = self.rng.borrow_mut();
        let out = f(&mut rng);
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        Ok(out)
    }
}
