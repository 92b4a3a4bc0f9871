//! How `watchConsent` follows a consent: the live WebSocket first; when it
//! cannot open or drops, poll `GET /consents/:id` (at once, to catch a
//! change missed while disconnected), keep polling with backoff while the
//! network fails, and retry the socket on an exponential schedule of
//! successful polls. The JavaScript driver owns sockets and timers; every
//! decision is here. The state fits in a `u32` so it crosses into wasm
//! without a class.

/// Consent statuses that never change again (DESIGN §4 "Consents").
pub fn is_terminal(status: &str) -> bool {
    matches!(status, "approved" | "rejected" | "expired")
}

/// Polling interval while polls succeed and the socket is down.
pub const POLL_INTERVAL_MS: u32 = 2_000;
/// First delay after a failed poll; doubles per failure.
pub const FAILURE_BASE_MS: u32 = 1_000;
/// Ceiling of the failure backoff.
pub const FAILURE_MAX_MS: u32 = 30_000;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `watchConsent` was called.
    Start,
    /// The socket opened: live updates flow, polling stops.
    SocketOpen,
    /// The socket failed to open or closed before a terminal status.
    SocketLost,
    /// A poll answered with a non-terminal consent.
    PollOk,
    /// A poll failed (network, 5xx or 429).
    PollFailed,
    /// The browser came back online: try everything now.
    Online,
}

impl Event {
    /// The driver's numbering (index.js uses the same numbers).
    pub fn from_u32(n: u32) -> Option<Event> {
        Some(match n {
            0 => Event::Start,
            1 => Event::SocketOpen,
            2 => Event::SocketLost,
            3 => Event::PollOk,
            4 => Event::PollFailed,
            5 => Event::Online,
            _ => return None,
        })
    }
}

/// The follower's state and the action it asks of the driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    /// The socket is open (no polling).
    pub live: bool,
    /// Successful polls since the socket was lost (drives socket retries).
    pub polls: u16,
    /// Consecutive failed polls (drives the backoff).
    pub failures: u8,
    /// Action: open a socket now.
    pub open_socket: bool,
    /// Action: poll after `delay_ms()`.
    pub poll: bool,
    /// The poll is due at once.
    pub poll_now: bool,
}

impl Watch {
    /// The next state after `event`; its action fields say what to do.
    pub fn step(self, event: Event) -> Watch {
        let mut next = Watch {
            open_socket: false,
            poll: false,
            poll_now: false,
            ..self
        };
        match event {
            Event::Start => {
                next = Watch::default();
                next.open_socket = true;
            }
            Event::SocketOpen => {
                next = Watch::default();
                next.live = true;
            }
            Event::SocketLost => {
                // The poll count carries on through failed retries (the
                // retry schedule keeps spreading out); SocketOpen resets it.
                next.live = false;
                next.poll = true;
                next.poll_now = true;
            }
            Event::PollOk => {
                next.failures = 0;
                next.polls = self.polls.saturating_add(1);
                next.poll = !self.live;
                // Retry the socket after 1, 2, 4, 8, ... successful polls:
                // quick after a blip, rare when a proxy blocks WebSockets.
                next.open_socket = !self.live && next.polls.is_power_of_two();
            }
            Event::PollFailed => {
                next.failures = self.failures.saturating_add(1);
                next.poll = !self.live;
            }
            Event::Online => {
                next.failures = 0;
                next.open_socket = !self.live;
                next.poll = !self.live;
                next.poll_now = !self.live;
            }
        }
        next
    }

    /// Milliseconds before the requested poll.
    pub fn delay_ms(self) -> u32 {
        if self.poll_now {
            0
        } else if self.failures == 0 {
            POLL_INTERVAL_MS
        } else {
            let shift = u32::from(self.failures - 1).min(15);
            (FAILURE_BASE_MS << shift).min(FAILURE_MAX_MS)
        }
    }

    pub fn to_bits(self) -> u32 {
        u32::from(self.live)
            | u32::from(self.open_socket) << 1
            | u32::from(self.poll) << 2
            | u32::from(self.poll_now) << 3
            | u32::from(self.failures) << 8
            | u32::from(self.polls) << 16
    }

    pub fn from_bits(bits: u32) -> Watch {
        Watch {
            live: bits & 1 != 0,
            open_socket: bits & 2 != 0,
            poll: bits & 4 != 0,
            poll_now: bits & 8 != 0,
            failures: (bits >> 8) as u8,
            polls: (bits >> 16) as u16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(events: &[Event]) -> Watch {
        events.iter().fold(Watch::default(), |w, e| w.step(*e))
    }

    #[test]
    fn terminal_statuses() {
        for s in ["approved", "rejected", "expired"] {
            assert!(is_terminal(s));
        }
        for s in ["pending", "scanned", "", "APPROVED"] {
            assert!(!is_terminal(s));
        }
    }

    #[test]
    fn starts_with_the_socket_and_stops_polling_once_live() {
        let w = run(&[Event::Start]);
        assert!(w.open_socket && !w.poll);
        let w = w.step(Event::SocketOpen);
        assert!(w.live && !w.poll && !w.open_socket);
        // A late poll answer while live asks for nothing more.
        let w = w.step(Event::PollOk);
        assert!(!w.poll && !w.open_socket);
    }

    #[test]
    fn a_lost_socket_polls_at_once_then_every_interval() {
        let w = run(&[Event::Start, Event::SocketOpen, Event::SocketLost]);
        assert!(!w.live && w.poll && w.delay_ms() == 0);
        let w = w.step(Event::PollOk);
        assert!(w.poll && w.delay_ms() == POLL_INTERVAL_MS);
    }

    #[test]
    fn socket_retries_after_one_two_four_eight_polls() {
        let mut w = run(&[Event::Start, Event::SocketLost]);
        let mut retries = vec![];
        for n in 1..=20u16 {
            w = w.step(Event::PollOk);
            assert!(w.poll);
            if w.open_socket {
                retries.push(n);
                // The retry fails again: polling resumes at once.
                w = w.step(Event::SocketLost);
                assert_eq!(w.delay_ms(), 0);
            }
        }
        assert_eq!(retries, [1, 2, 4, 8, 16]);
    }

    #[test]
    fn failed_polls_back_off_to_a_ceiling_and_reset_on_success() {
        let mut w = run(&[Event::Start, Event::SocketLost]);
        let mut delays = vec![];
        for _ in 0..8 {
            w = w.step(Event::PollFailed);
            assert!(
                w.poll && !w.open_socket,
                "no socket retries while the network fails"
            );
            delays.push(w.delay_ms());
        }
        assert_eq!(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        for _ in 0..300 {
            w = w.step(Event::PollFailed);
        }
        assert_eq!(w.delay_ms(), FAILURE_MAX_MS, "saturates, never wraps");
        w = w.step(Event::PollOk);
        assert_eq!(w.delay_ms(), POLL_INTERVAL_MS);
    }

    #[test]
    fn online_again_retries_everything_now() {
        let w = run(&[
            Event::Start,
            Event::SocketLost,
            Event::PollFailed,
            Event::PollFailed,
        ]);
        let w = w.step(Event::Online);
        assert!(w.open_socket && w.poll && w.delay_ms() == 0 && w.failures == 0);
    }

    #[test]
    fn bits_round_trip_and_events_are_numbered() {
        let mut w = run(&[Event::Start, Event::SocketLost]);
        for e in [
            Event::PollOk,
            Event::PollFailed,
            Event::PollFailed,
            Event::Online,
            Event::PollOk,
        ] {
            w = w.step(e);
            assert_eq!(Watch::from_bits(w.to_bits()), w);
        }
        for n in 0..6 {
            assert!(Event::from_u32(n).is_some());
        }
        assert_eq!(Event::from_u32(6), None);
    }
}
