//! Per-request context: configuration, clock, CSPRNG, and the rate-limit
//! verdict to echo in headers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::Env;

use crate::config::Config;
use crate::domain::random::Random;
use crate::domain::rate_limit::Verdict;
use crate::hops::Hops;

/// The platform CSPRNG (`crypto.getRandomValues` in workerd).
#[derive(Default)]
pub struct OsRandom {
    failed: bool,
}

impl Random for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        if getrandom::getrandom(buf).is_err() {
            // Never hand out predictable secrets: the request fails with 500.
            self.failed = true;
        }
    }
}

impl OsRandom {
    pub fn failed(&self) -> bool {
        self.failed
    }
}

pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

pub struct App {
    pub env: Env,
    pub config: Rc<Config>,
    pub now: i64,
    rng: RefCell<OsRandom>,
    /// Set by partner authentication; becomes the `X-RateLimit-*` headers.
    pub rate: Cell<Option<Verdict>>,
    /// Object and KV call counters at the start (`X-MID-*-Calls`, local mode only).
    pub hops: Hops,
}

impl App {
    pub fn new(env: Env) -> Self {
        let hops = Hops::start();
        let config = Config::cached(&env);
        Self {
            env,
            config,
            now: now_ms(),
            rng: RefCell::new(OsRandom::default()),
            rate: Cell::new(None),
            hops,
        }
    }

    /// Runs `f` with the request's random source.
    pub fn rng<T>(&self, f: impl FnOnce(&mut dyn Random) -> T) -> T {
        f(&mut *self.rng.borrow_mut())
    }

    pub fn rng_failed(&self) -> bool {
        self.rng.borrow().failed()
    }
}
