//! The enrollment record and its verification state machine.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::code::{codes_match, hash_code, is_well_formed_code};
use crate::domain::crypto::{b64url, b64url_decode};

/// How long a sent code stays valid: 10 minutes.
pub const OTP_TTL_MS: i64 = 10 * 60 * 1000;

/// Wrong codes allowed before the enrollment locks.
pub const MAX_ATTEMPTS: u8 = 5;

/// HMAC-SHA256 of the code; serialised as unpadded base64url so a record
/// with a corrupt hash fails to load instead of failing every verify.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeHash(pub [u8; 32]);

impl core::fmt::Debug for CodeHash {
    // The hash is offline-brute-forceable with the key; keep it out of logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CodeHash(<redacted>)")
    }
}

impl Serialize for CodeHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&b64url(&self.0))
    }
}

impl<'de> Deserialize<'de> for CodeHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes =
            b64url_decode(&text).ok_or_else(|| serde::de::Error::custom("invalid base64url"))?;
        let array = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom("codeHash must be 32 bytes"))?;
        Ok(CodeHash(array))
    }
}

/// Stored lifecycle state of an enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// Code sent, awaiting a correct verify.
    Pending,
    /// The code was right; the user and registration token are being made.
    /// A retry with the same code resumes the work (same user, same token).
    Verifying,
    /// The code was verified once; it cannot be used again.
    Verified,
    /// Attempts ran out; no code will ever be accepted.
    Locked,
    /// `expiresAt` passed before a correct verify.
    Expired,
}

/// Inputs for [`Enrollment::start`].
#[derive(Debug, Clone, Copy)]
pub struct NewEnrollment<'a> {
    /// Enrollment id, also bound into the code hash.
    pub id: &'a str,
    /// Phone number in E.164.
    pub mobile: &'a str,
    /// OAuth/partner client that started the enrollment.
    pub client_id: &'a str,
    /// False for sandbox/test-mode enrollments.
    pub livemode: bool,
    /// The plain code that is being sent by SMS; hashed, never stored.
    pub code: &'a str,
}

/// The code given to [`Enrollment::start`] was not six ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedCode;

impl core::fmt::Display for MalformedCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("code must be exactly six ASCII digits")
    }
}

impl std::error::Error for MalformedCode {}

/// Persisted enrollment state (JSON, camelCase).
///
/// Fields are public for storage and reads; change state only through
/// [`Enrollment::verify`] so the attempt and single-use rules hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub id: String,
    pub mobile: String,
    pub client_id: String,
    pub livemode: bool,
    pub code_hash: CodeHash,
    /// Unix millis.
    pub created_at: i64,
    /// Unix millis; the code is expired at this instant and after.
    pub expires_at: i64,
    pub attempts_remaining: u8,
    pub status: EnrollmentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// While `verifying`: the registration token decided at the correct
    /// guess, so a retry returns the same one. Dropped once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_token: Option<PendingToken>,
}

/// The registration token of a verification in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingToken {
    /// The plain token sealed with `SEALING_KEY` (recoverable by the retry,
    /// unreadable at rest without the key).
    pub sealed: String,
    /// Unix ms the token was minted; its expiry counts from here.
    pub issued_at: i64,
}

/// Successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub enrollment_id: String,
    pub mobile: String,
    pub verified_at: i64,
    /// The token to finish with: the fresh one, or the stored one on a resume.
    pub token: PendingToken,
    /// True when an earlier correct guess had started the same work.
    pub resumed: bool,
}

/// Why a verify failed. One variant per check, in the order checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The code was already used successfully; codes are single use.
    AlreadyVerified,
    /// A `verifying` enrollment lost its pending token (corrupt state).
    TokenMissing,
    /// No attempts remain (this is the locked state); nothing is accepted.
    TooManyAttempts,
    /// `now >= expiresAt`; the code can no longer be used.
    Expired,
    /// Not six ASCII digits; counted as an attempt so garbage isn't free.
    Malformed { attempts_remaining: u8 },
    /// Well-formed but wrong code; `attempts_remaining` is after this one.
    InvalidCode { attempts_remaining: u8 },
}

impl VerifyError {
    /// Stable snake_case error code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::AlreadyVerified => "already_verified",
            VerifyError::TokenMissing => "token_missing",
            VerifyError::TooManyAttempts => "too_many_attempts",
            VerifyError::Expired => "expired",
            VerifyError::Malformed { .. } => "malformed_code",
            VerifyError::InvalidCode { .. } => "invalid_code",
        }
    }

    /// Attempts left, for errors that still allow retrying.
    pub fn attempts_remaining(&self) -> Option<u8> {
        match self {
            VerifyError::Malformed { attempts_remaining }
            | VerifyError::InvalidCode { attempts_remaining } => Some(*attempts_remaining),
            VerifyError::TooManyAttempts => Some(0),
            VerifyError::AlreadyVerified | VerifyError::TokenMissing | VerifyError::Expired => None,
        }
    }
}

impl core::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.attempts_remaining() {
            Some(n) if n > 0 => write!(f, "{} ({n} attempts remaining)", self.code()),
            _ => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for VerifyError {}

impl Enrollment {
    /// Creates a pending enrollment for a code about to be sent.
    pub fn start(new: NewEnrollment<'_>, key: &[u8], now_ms: i64) -> Result<Self, MalformedCode> {
        if !is_well_formed_code(new.code) {
            return Err(MalformedCode);
        }
        Ok(Enrollment {
            id: new.id.to_owned(),
            mobile: new.mobile.to_owned(),
            client_id: new.client_id.to_owned(),
            livemode: new.livemode,
            code_hash: CodeHash(hash_code(key, new.id, new.code)),
            created_at: now_ms,
            expires_at: now_ms.saturating_add(OTP_TTL_MS),
            attempts_remaining: MAX_ATTEMPTS,
            status: EnrollmentStatus::Pending,
            verified_at: None,
            user_id: None,
            pending_token: None,
        })
    }

    /// Status as of `now_ms`: a pending enrollment past `expiresAt` reads
    /// as expired even if that was never persisted.
    /// A `verifying` enrollment is resumable only while its code is valid,
    /// and wrong guesses still count against it.
    pub fn effective_status(&self, now_ms: i64) -> EnrollmentStatus {
        match self.status {
            EnrollmentStatus::Pending | EnrollmentStatus::Verifying
                if now_ms >= self.expires_at =>
            {
                EnrollmentStatus::Expired
            }
            EnrollmentStatus::Pending | EnrollmentStatus::Verifying
                if self.attempts_remaining == 0 =>
            {
                EnrollmentStatus::Locked
            }
            other => other,
        }
    }

    /// Whether a guess now would be checked against the code (and so may
    /// cost an attempt); other states refuse it without looking.
    pub fn accepts_guesses(&self, now_ms: i64) -> bool {
        matches!(
            self.effective_status(now_ms),
            EnrollmentStatus::Pending | EnrollmentStatus::Verifying
        )
    }

    /// Checks `candidate` and advances the state. Persist `self` after
    /// every call, success or failure: failures consume attempts.
    ///
    /// A correct code moves a pending enrollment to `verifying` with
    /// `fresh` as its registration token (decided before any await, so a
    /// crash cannot lose it); on a `verifying` one it returns the stored
    /// token instead (`resumed`). [`Enrollment::finish`] completes it.
    pub fn verify(
        &mut self,
        now_ms: i64,
        candidate: &str,
        key: &[u8],
        fresh: PendingToken,
    ) -> Result<Verified, VerifyError> {
        match self.effective_status(now_ms) {
            EnrollmentStatus::Verified => return Err(VerifyError::AlreadyVerified),
            EnrollmentStatus::Locked => {
                self.status = EnrollmentStatus::Locked;
                self.pending_token = None;
                return Err(VerifyError::TooManyAttempts);
            }
            EnrollmentStatus::Expired => {
                self.status = EnrollmentStatus::Expired;
                self.pending_token = None;
                return Err(VerifyError::Expired);
            }
            EnrollmentStatus::Pending | EnrollmentStatus::Verifying => {}
        }

        let well_formed = is_well_formed_code(candidate);
        if well_formed && codes_match(&self.code_hash.0, key, &self.id, candidate) {
            let resumed = self.status == EnrollmentStatus::Verifying;
            let token = if resumed {
                self.pending_token
                    .clone()
                    .ok_or(VerifyError::TokenMissing)?
            } else {
                self.status = EnrollmentStatus::Verifying;
                self.verified_at = Some(now_ms);
                self.pending_token = Some(fresh.clone());
                fresh
            };
            return Ok(Verified {
                enrollment_id: self.id.clone(),
                mobile: self.mobile.clone(),
                verified_at: self.verified_at.unwrap_or(now_ms),
                token,
                resumed,
            });
        }

        self.attempts_remaining = self.attempts_remaining.saturating_sub(1);
        if self.attempts_remaining == 0 {
            self.status = EnrollmentStatus::Locked;
            self.pending_token = None;
            return Err(VerifyError::TooManyAttempts);
        }
        let attempts_remaining = self.attempts_remaining;
        Err(if well_formed {
            VerifyError::InvalidCode { attempts_remaining }
        } else {
            VerifyError::Malformed { attempts_remaining }
        })
    }

    /// The user and token exist: the enrollment is verified for good and
    /// the sealed token is no longer kept. No-op unless `verifying`.
    pub fn finish(&mut self, user_id: &str) {
        if self.status == EnrollmentStatus::Verifying {
            self.status = EnrollmentStatus::Verified;
            self.user_id = Some(user_id.to_owned());
            self.pending_token = None;
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"enrollment-test-key";
    const T0: i64 = 1_800_000_000_000;

    fn tok() -> PendingToken {
        PendingToken {
            sealed: "sealed-token-1".into(),
            issued_at: T0,
        }
    }

    fn pending() -> Enrollment {
        Enrollment::start(
            NewEnrollment {
                id: "enr_test1",
                mobile: "+2348012345678",
                client_id: "cli_partner",
                livemode: false,
                code: "482913",
            },
            KEY,
            T0,
        )
        .unwrap()
    }

    #[test]
    fn start_sets_defaults() {
        let e = pending();
        assert_eq!(e.status, EnrollmentStatus::Pending);
        assert_eq!(e.attempts_remaining, 5);
        assert_eq!(e.expires_at, T0 + 600_000);
        assert_eq!(e.code_hash.0, hash_code(KEY, "enr_test1", "482913"));
        assert_eq!(e.verified_at, None);
    }

    #[test]
    fn start_rejects_malformed_code() {
        let mut n = NewEnrollment {
            id: "e",
            mobile: "+1",
            client_id: "c",
            livemode: true,
            code: "12345",
        };
        assert_eq!(Enrollment::start(n, KEY, T0), Err(MalformedCode));
        n.code = "١٢٣٤٥٦";
        assert_eq!(Enrollment::start(n, KEY, T0), Err(MalformedCode));
    }

    #[test]
    fn correct_code_verifies_once() {
        let mut e = pending();
        let ok = e.verify(T0 + 1, "482913", KEY, tok()).unwrap();
        assert_eq!(ok.enrollment_id, "enr_test1");
        assert_eq!(ok.mobile, "+2348012345678");
        assert_eq!(ok.verified_at, T0 + 1);
        assert!(!ok.resumed);
        assert_eq!(ok.token, tok());
        assert_eq!(e.status, EnrollmentStatus::Verifying);
        assert_eq!(e.pending_token, Some(tok()));
        assert_eq!(e.verified_at, Some(T0 + 1));
        e.finish("user_1");
        assert_eq!(e.status, EnrollmentStatus::Verified);
        assert_eq!(e.user_id.as_deref(), Some("user_1"));
        assert_eq!(e.pending_token, None, "the sealed token is not kept");
        // Single use.
        assert_eq!(
            e.verify(T0 + 2, "482913", KEY, tok()),
            Err(VerifyError::AlreadyVerified)
        );
        // Verified stays verified past expiry.
        assert_eq!(
            e.effective_status(T0 + OTP_TTL_MS + 1),
            EnrollmentStatus::Verified
        );
        assert_eq!(
            e.verify(T0 + OTP_TTL_MS, "482913", KEY, tok()),
            Err(VerifyError::AlreadyVerified)
        );
    }

    #[test]
    fn verifying_resumes_with_the_first_token() {
        let mut e = pending();
        e.verify(T0 + 1, "482913", KEY, tok()).unwrap();
        // The worker died before finishing: the retry brings another fresh
        // token, but gets the one decided first, and the first time.
        let other = PendingToken {
            sealed: "sealed-token-2".into(),
            issued_at: T0 + 50,
        };
        let again = e.verify(T0 + 50, "482913", KEY, other).unwrap();
        assert!(again.resumed);
        assert_eq!(again.token, tok());
        assert_eq!(again.verified_at, T0 + 1);
        assert_eq!(e.status, EnrollmentStatus::Verifying);
        assert_eq!(e.attempts_remaining, 5, "a resume costs nothing");
        // finish is idempotent: a second finisher changes nothing.
        e.finish("user_1");
        let done = e.clone();
        e.finish("user_2");
        assert_eq!(e, done);
    }

    #[test]
    fn verifying_still_counts_wrong_codes_and_expires() {
        let mut e = pending();
        e.verify(T0, "482913", KEY, tok()).unwrap();
        assert!(e.accepts_guesses(T0 + 1));
        for left in [4u8, 3, 2, 1] {
            assert_eq!(
                e.verify(T0 + 1, "000000", KEY, tok()),
                Err(VerifyError::InvalidCode {
                    attempts_remaining: left
                })
            );
        }
        let mut late = e.clone();
        assert_eq!(
            e.verify(T0 + 1, "000000", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
        assert_eq!(e.status, EnrollmentStatus::Locked);
        assert_eq!(e.pending_token, None);
        assert!(!e.accepts_guesses(T0 + 2));
        // Past the code's expiry a verifying enrollment cannot be resumed.
        assert_eq!(
            late.verify(T0 + OTP_TTL_MS, "482913", KEY, tok()),
            Err(VerifyError::Expired)
        );
        assert_eq!(late.pending_token, None);
        assert!(!late.accepts_guesses(T0 + OTP_TTL_MS));
    }

    #[test]
    fn verifying_without_its_token_is_refused() {
        let mut e = pending();
        e.verify(T0, "482913", KEY, tok()).unwrap();
        e.pending_token = None;
        assert_eq!(
            e.verify(T0 + 1, "482913", KEY, tok()),
            Err(VerifyError::TokenMissing)
        );
    }

    #[test]
    fn expiry_boundary() {
        let mut e = pending();
        let expires = e.expires_at;
        assert_eq!(e.effective_status(expires - 1), EnrollmentStatus::Pending);
        assert_eq!(e.effective_status(expires), EnrollmentStatus::Expired);

        let mut just_in_time = e.clone();
        assert!(just_in_time
            .verify(expires - 1, "482913", KEY, tok())
            .is_ok());

        assert_eq!(
            e.verify(expires, "482913", KEY, tok()),
            Err(VerifyError::Expired)
        );
        assert_eq!(e.status, EnrollmentStatus::Expired);
        assert_eq!(e.attempts_remaining, 5, "expired verify costs no attempt");
        assert_eq!(
            e.verify(expires + 1, "482913", KEY, tok()),
            Err(VerifyError::Expired)
        );
    }

    #[test]
    fn countdown_then_lock() {
        let mut e = pending();
        for expected in [4u8, 3, 2, 1] {
            assert_eq!(
                e.verify(T0, "000000", KEY, tok()),
                Err(VerifyError::InvalidCode {
                    attempts_remaining: expected
                })
            );
            assert_eq!(e.attempts_remaining, expected);
            assert_eq!(e.status, EnrollmentStatus::Pending);
        }
        // The fifth wrong code brings it to 0 and locks.
        assert_eq!(
            e.verify(T0, "000000", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
        assert_eq!(e.attempts_remaining, 0);
        assert_eq!(e.status, EnrollmentStatus::Locked);
        // Correct code after lock still fails.
        assert_eq!(
            e.verify(T0, "482913", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
        assert_eq!(e.attempts_remaining, 0);
        // Locked wins over expiry, so the client sees why.
        assert_eq!(
            e.verify(T0 + OTP_TTL_MS, "482913", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
        assert_eq!(
            e.effective_status(T0 + OTP_TTL_MS),
            EnrollmentStatus::Locked
        );
    }

    #[test]
    fn malformed_codes_count_as_attempts() {
        let mut e = pending();
        let attempts = ["12345", "1234567", "١٢٣٤٥٦", "48291a"];
        for (bad, left) in attempts.iter().zip((1..=4u8).rev()) {
            assert_eq!(
                e.verify(T0, bad, KEY, tok()),
                Err(VerifyError::Malformed {
                    attempts_remaining: left
                }),
                "{bad}"
            );
        }
        assert_eq!(
            e.verify(T0, "", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
        assert_eq!(e.status, EnrollmentStatus::Locked);
    }

    #[test]
    fn correct_code_after_some_failures_still_works() {
        let mut e = pending();
        assert!(e.verify(T0, "111111", KEY, tok()).is_err());
        assert!(e.verify(T0, "222222", KEY, tok()).is_err());
        assert!(e.verify(T0, "482913", KEY, tok()).is_ok());
        assert_eq!(e.attempts_remaining, 3);
    }

    #[test]
    fn wrong_key_never_verifies() {
        let mut e = pending();
        assert_eq!(
            e.verify(T0, "482913", b"other-key", tok()),
            Err(VerifyError::InvalidCode {
                attempts_remaining: 4
            })
        );
    }

    #[test]
    fn pending_with_zero_attempts_reads_as_locked() {
        let mut e = pending();
        e.attempts_remaining = 0;
        assert_eq!(e.effective_status(T0), EnrollmentStatus::Locked);
        assert_eq!(
            e.verify(T0, "482913", KEY, tok()),
            Err(VerifyError::TooManyAttempts)
        );
    }

    #[test]
    fn error_codes_and_remaining() {
        assert_eq!(VerifyError::TooManyAttempts.code(), "too_many_attempts");
        assert_eq!(
            VerifyError::InvalidCode {
                attempts_remaining: 2
            }
            .attempts_remaining(),
            Some(2)
        );
        assert_eq!(VerifyError::Expired.attempts_remaining(), None);
        assert_eq!(
            VerifyError::InvalidCode {
                attempts_remaining: 2
            }
            .to_string(),
            "invalid_code (2 attempts remaining)"
        );
    }

    #[test]
    fn serde_round_trip_camel_case() {
        let mut e = pending();
        e.verify(T0 + 5, "482913", KEY, tok()).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap()["status"], "verifying");
        assert_eq!(
            serde_json::to_value(&e).unwrap()["pendingToken"]["sealed"],
            "sealed-token-1"
        );
        e.finish("usr_1");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["clientId"], "cli_partner");
        assert_eq!(json["attemptsRemaining"], 5);
        assert_eq!(json["status"], "verified");
        assert_eq!(json["verifiedAt"], T0 + 5);
        assert_eq!(json["userId"], "usr_1");
        assert_eq!(json["expiresAt"], T0 + OTP_TTL_MS);
        assert_eq!(json["codeHash"].as_str().unwrap().len(), 43);
        let back: Enrollment = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);

        let fresh = serde_json::to_value(pending()).unwrap();
        assert!(fresh.get("verifiedAt").is_none());
        assert!(fresh.get("userId").is_none());
        assert!(fresh.get("pendingToken").is_none());
        assert_eq!(fresh["status"], "pending");
    }

    #[test]
    fn corrupt_code_hash_fails_to_load() {
        let mut json = serde_json::to_value(pending()).unwrap();
        json["codeHash"] = "abc".into();
        assert!(serde_json::from_value::<Enrollment>(json.clone()).is_err());
        json["codeHash"] = "!!!not base64!!!".into();
        assert!(serde_json::from_value::<Enrollment>(json).is_err());
    }

    #[test]
    fn debug_hides_code_hash() {
        let dbg = format!("{:?}", pending());
        assert!(dbg.contains("CodeHash(<redacted>)"));
    }
}
