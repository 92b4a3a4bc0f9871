//! Counts of Durable Object and KV calls, for the benchmark's hop table
//! (issue 13). Local mode only shows them: with `DEBUG_HOP_HEADERS = "true"`
//! the router answers `X-MID-Object-Calls` / `X-MID-KV-Calls`.
//!
//! The counters belong to the isolate, not to one request: the typed object
//! clients are built from `&Env` and never see the request's [`App`], and
//! requests interleave at every await. A request's figure is the difference
//! between the counters at its start and at its end ([`Hops`]), which also
//! counts the calls its objects make when they run in the same isolate (as
//! under `wrangler dev`). It is exact when the request runs alone, which is
//! how the benchmark reads it (one probe at a time); under load it is an
//! upper bound.
//!
//! [`App`]: crate::app::App

use std::cell::Cell;

thread_local! {
    static OBJECT_CALLS: Cell<u64> = const { Cell::new(0) };
    static KV_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// One call to a Durable Object (every one goes through `rpc::call`).
pub fn object_call() {
    OBJECT_CALLS.with(|c| c.set(c.get().wrapping_add(1)));
}

/// One KV read, write or delete.
pub fn kv_call() {
    KV_CALLS.with(|c| c.set(c.get().wrapping_add(1)));
}

/// The counters when a request started.
#[derive(Debug, Clone, Copy)]
pub struct Hops {
    objects: u64,
    kv: u64,
}

impl Hops {
    pub fn start() -> Self {
        Self {
            objects: OBJECT_CALLS.with(Cell::get),
            kv: KV_CALLS.with(Cell::get),
        }
    }

    /// `(object calls, KV calls)` since [`Hops::start`].
    pub fn since(&self) -> (u64, u64) {
        let now = Self::start();
        (
            now.objects.wrapping_sub(self.objects),
            now.kv.wrapping_sub(self.kv),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_sees_the_calls_made_since_it_started() {
        object_call();
        let hops = Hops::start();
        assert_eq!(hops.since(), (0, 0));
        object_call();
        object_call();
        kv_call();
        assert_eq!(hops.since(), (2, 1));
    }
}
