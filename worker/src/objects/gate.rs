//! A one-at-a-time gate for a Durable Object's own async steps. The object
//! handles requests concurrently whenever one awaits another object; a
//! step that must see the previous one's outcome (an enrollment guess that
//! reserves, checks and releases across objects) passes through this gate.
//! In memory only: a restarted object starts with it open, as it should.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Poll, Waker};

#[derive(Default)]
pub struct Gate {
    busy: Cell<bool>,
    waiting: RefCell<VecDeque<Waker>>,
}

/// Holding this is being inside the gate; dropping it lets the next in.
pub struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// Waits until nobody else is inside, then enters.
    pub async fn enter(&self) -> Pass<'_> {
        poll_fn(|cx| {
            if self.busy.get() {
                self.waiting.borrow_mut().push_back(cx.waker().clone());
                Poll::Pending
            } else {
                self.busy.set(true);
                Poll::Ready(())
            }
        })
        .await;
        Pass { gate: self }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate.busy.set(false);
        // Wake every waiter: one gets in, the rest queue again. (Waking only
        // one could wake a stale duplicate and leave a real waiter asleep.)
        let waiting: Vec<Waker> = self.gate.waiting.borrow_mut().drain(..).collect();
        for w in waiting {
            w.wake();
        }
    }
}
