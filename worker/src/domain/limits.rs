//! The fixed caps of DESIGN §4 "Rate limits" that are not per client: the
//! person's phone on one consent, live pages per consent, passkeys per user.
//! The per-`registrationToken` cap (10 ceremonies) holds because the token is
//! single use: the first `/fido/register/begin` spends it, so it starts at
//! most one ceremony (see `objects::registration_token`).

use super::rate_limit::{SlidingLog, Verdict};

/// Phone-side requests per consent (scan, reject, `/fido/authenticate/*`
/// with `consentId`, device decision), together, in any [`PHONE_WINDOW_MS`].
pub const PHONE_PER_CONSENT: u32 = 30;
pub const PHONE_WINDOW_MS: i64 = 60_000;
/// Live WebSockets open at once on one consent.
pub const LIVE_SOCKETS_PER_CONSENT: usize = 10;
/// What a refused live page is told to wait before trying again.
pub const LIVE_RETRY_AFTER_SECS: i64 = 10;
/// Authenticators (passkeys and device keys together) one user may hold.
pub const PASSKEYS_PER_USER: usize = 20;

/// A fixed cap that was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LimitError {
    /// The user already holds [`PASSKEYS_PER_USER`] passkeys.
    TooManyPasskeys,
}

impl LimitError {
    pub fn message(self) -> &'static str {
        match self {
            Self::TooManyPasskeys => {
                "This user already has 20 passkeys and device keys, the most allowed: delete one (DELETE /devices/:id) before registering another."
            }
        }
    }
}

/// Refuses a new passkey next to `held` existing ones once the cap is reached.
pub fn passkey_room(held: usize) -> Result<(), LimitError> {
    if held >= PASSKEYS_PER_USER {
        Err(LimitError::TooManyPasskeys)
    } else {
        Ok(())
    }
}

/// Whether one more live page may join `open` ones.
pub fn live_socket_room(open: usize) -> bool {
    open < LIVE_SOCKETS_PER_CONSENT
}

/// What a phone-side request on one consent may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneGate {
    /// Right token, within the limit.
    Proceed,
    /// Wrong token: 404 as for a consent that does not exist, whatever the count.
    Hidden,
    /// Right token, over the limit: 429 with this verdict.
    Limited(Verdict),
}

/// Counts one phone-side request before any work. A wrong token is counted
/// too (it is the same public endpoint being hammered) but only ever learns
/// 404, so the limit never reveals that the consent exists. Refused requests
/// are not counted, so hammering does not extend the lock-out.
pub fn phone_gate(log: &mut SlidingLog, now: i64, token_ok: bool) -> PhoneGate {
    let verdict = log.hit(now, PHONE_PER_CONSENT, PHONE_WINDOW_MS);
    match (token_ok, verdict.allowed) {
        (false, _) => PhoneGate::Hidden,
        (true, true) => PhoneGate::Proceed,
        (true, false) => PhoneGate::Limited(verdict),
    }
}

/// The verdict a refused phone-side request describes in `X-RateLimit-*`,
/// rebuilt by the worker from `Retry-After` (the object's answer carries only that).
pub fn phone_refusal(now: i64, retry_after_secs: i64) -> Verdict {
    Verdict {
        allowed: false,
        limit: PHONE_PER_CONSENT,
        remaining: 0,
        reset_ms: now.saturating_add(retry_after_secs.max(1).saturating_mul(1000)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn thirty_phone_requests_pass_then_429_until_a_slot_frees() {
        let mut log = SlidingLog::default();
        for i in 0..30 {
            assert_eq!(phone_gate(&mut log, T0 + i, true), PhoneGate::Proceed);
        }
        let PhoneGate::Limited(v) = phone_gate(&mut log, T0 + 100, true) else {
            panic!("31st must be limited");
        };
        assert_eq!((v.limit, v.remaining), (30, 0));
        assert_eq!(v.reset_ms, T0 + PHONE_WINDOW_MS);
        assert_eq!(v.retry_after_secs(T0 + 100), 60);
        // Hammering while limited does not push the reset further out.
        for _ in 0..50 {
            assert!(matches!(
                phone_gate(&mut log, T0 + 200, true),
                PhoneGate::Limited(_)
            ));
        }
        assert_eq!(log.hits.len(), 30);
        // Not at a fixed-window edge: the oldest hit must leave the last 60 s.
        assert!(matches!(
            phone_gate(&mut log, T0 + PHONE_WINDOW_MS - 1, true),
            PhoneGate::Limited(_)
        ));
        assert_eq!(
            phone_gate(&mut log, T0 + PHONE_WINDOW_MS, true),
            PhoneGate::Proceed
        );
    }

    #[test]
    fn wrong_tokens_count_but_only_ever_see_hidden() {
        let mut log = SlidingLog::default();
        for i in 0..40 {
            assert_eq!(phone_gate(&mut log, T0 + i, false), PhoneGate::Hidden);
        }
        assert_eq!(
            log.hits.len(),
            30,
            "the first 30 wrong tokens used the budget"
        );
        assert!(matches!(
            phone_gate(&mut log, T0 + 50, true),
            PhoneGate::Limited(_)
        ));
    }

    #[test]
    fn passkey_and_socket_caps() {
        assert_eq!(passkey_room(0), Ok(()));
        assert_eq!(passkey_room(19), Ok(()));
        assert_eq!(passkey_room(20), Err(LimitError::TooManyPasskeys));
        assert!(live_socket_room(9));
        assert!(!live_socket_room(10));
    }

    #[test]
    fn refusal_headers_describe_the_phone_bucket() {
        let v = phone_refusal(T0, 37);
        assert_eq!((v.allowed, v.limit, v.remaining), (false, 30, 0));
        assert_eq!(v.retry_after_secs(T0), 37);
        assert_eq!(phone_refusal(T0, 0).reset_ms, T0 + 1000);
    }
}
