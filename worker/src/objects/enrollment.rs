//! `EnrollmentObject`: one object per enrollment. It holds the OTP as a keyed
//! hash, its expiry, the attempt counter and the lock. A guess first reserves
//! a slot in the mobile's wrong-code budget (`MobileObject`), then is checked
//! and counted in one synchronous load-verify-store (no await in between),
//! so concurrent guesses can exceed neither this enrollment's limit nor the
//! mobile's.
//!
//! A correct code stores `verifying` with the registration token already
//! decided (sealed), and only then awaits the user and the token's object.
//! Each of those steps is idempotent, so if the worker dies in between, a
//! retry with the same code redoes them and answers the same user and token.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::gate::Gate;
use super::mobile::MobileClient;
use super::registration_token::RegistrationTokenClient;
use super::rpc;
use super::sql_kv::SqlKv;
use super::user::UserClient;
use crate::app::{now_ms, OsRandom};
use crate::config::Config;
use crate::domain::crypto::{open, seal};
use crate::domain::otp::{
    Enrollment, PendingToken, RegistrationTokenRecord, VerifyError, REGISTRATION_TOKEN_TTL_MS,
};
use crate::domain::random::Random;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "ENROLLMENTS";
/// Key purpose of the OTP hash key (derived from `SEALING_KEY`).
pub const OTP_KEY: &str = "enrollment-otp";
/// Key purpose sealing a verification's registration token until it is done.
const TOKEN_SEAL: &str = "enrollment-registration-token";
const ENROLLMENT: &str = "enrollment";

#[durable_object]
pub struct EnrollmentObject {
    env: Env,
    kv: SqlKv,
    /// One guess at a time end to end (reserve, check, release, complete),
    /// so a guess always sees the outcome of the one before it.
    gate: Gate,
}

/// The partner asking (its client and key mode).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Owner {
    client_id: String,
    livemode: bool,
}

#[derive(Deserialize)]
struct VerifyArgs {
    /// `None` on the phone path: the unguessable enrollment id (and the code
    /// sent to the phone) is the whole credential there.
    owner: Option<Owner>,
    code: String,
}

/// The object's answer to a guess. Refusals are answers, not errors, so
/// they can carry the attempts left and the expiry.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Guess {
    /// Inside the object only: the code was right, the work is not done.
    #[serde(skip)]
    Pending(PendingToken),
    #[serde(rename_all = "camelCase")]
    Verified {
        user_id: String,
        registration_token: String,
        registration_token_expires_at: i64,
    },
    #[serde(rename_all = "camelCase")]
    Refused {
        code: String,
        attempts_remaining: u8,
        expires_at: i64,
    },
    /// The mobile's wrong-code budget is spent (errors lose `Retry-After`
    /// across the object boundary, so this is an answer too).
    #[serde(rename_all = "camelCase")]
    RateLimited { retry_after_secs: i64 },
}

/// A successful verification, as the API returns it.
pub struct VerifiedEnrollment {
    pub user_id: String,
    pub registration_token: String,
    pub registration_token_expires_at: i64,
}

impl DurableObject for EnrollmentObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
            env,
            gate: Gate::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "create" => rpc::answer(self.create(&body)),
            "get" => rpc::answer(self.get(&body)),
            "verify" => {
                let _pass = self.gate.enter().await;
                rpc::answer(self.verify(&body).await)
            }
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl EnrollmentObject {
    fn create(&self, body: &Value) -> ApiResult<()> {
        let e: Enrollment = rpc::arg(body)?;
        if self.kv.get::<Enrollment>(ENROLLMENT)?.is_some() {
            return Err(ApiError::Internal("enrollment id collision".into()));
        }
        self.kv.put(ENROLLMENT, &e)
    }

    /// The enrollment if `owner` created it (any owner on the phone path,
    /// `None`); anyone else gets 404.
    fn load_for(&self, owner: Option<&Owner>) -> ApiResult<Enrollment> {
        let e: Enrollment = self.kv.get(ENROLLMENT)?.ok_or(ApiError::NotFound)?;
        if let Some(owner) = owner {
            if e.client_id != owner.client_id || e.livemode != owner.livemode {
                return Err(ApiError::NotFound);
            }
        }
        Ok(e)
    }

    fn get(&self, body: &Value) -> ApiResult<Value> {
        let owner: Owner = rpc::arg(body)?;
        Ok(self.load_for(Some(&owner))?.view(now_ms()))
    }

    async fn verify(&self, body: &Value) -> ApiResult<Guess> {
        let args: VerifyArgs = rpc::arg(body)?;
        let config = Config::from_env(&self.env);
        let key = config.sealing_key(OTP_KEY)?;
        let seal_key = config.sealing_key(TOKEN_SEAL)?;
        let now = now_ms();
        let e = self.load_for(args.owner.as_ref())?;
        if !e.accepts_guesses(now) {
            // Verified, locked or expired: refused without looking at the
            // code, so it costs nothing from the mobile's budget.
            return self.check(&args, &key, fresh_token(&seal_key, now)?, now);
        }
        // The mobile's budget first (DESIGN "Rate limits"): 15 wrong codes
        // per 24 h across all its enrollments, reserved before the check.
        let mobile = MobileClient::new(&self.env, &e.mobile, e.livemode)?;
        let guess_id = format!("{}:{}", e.id, guess_nonce()?);
        match mobile.reserve_guess(&guess_id).await {
            Ok(()) => {}
            Err(ApiError::RateLimited { retry_after_secs }) => {
                return Ok(Guess::RateLimited { retry_after_secs })
            }
            Err(err) => return Err(err),
        }
        let before = self.load_for(args.owner.as_ref())?;
        let result = self.check(&args, &key, fresh_token(&seal_key, now)?, now);
        let after = self.load_for(args.owner.as_ref())?;
        if after.attempts_remaining >= before.attempts_remaining {
            // Not a wrong code (right, or refused unseen): give the slot back.
            // If this fails the slot stays spent, which errs on the safe side.
            if let Err(err) = mobile.release_guess(&guess_id).await {
                worker::console_error!("enrollment {}: guess release failed: {err:?}", e.id);
            }
        }
        match result? {
            Guess::Pending(token) => self.complete(args.owner.as_ref(), &token, &seal_key).await,
            refused => Ok(refused),
        }
    }

    /// Load, check, count and store: synchronous, so guesses are serialised.
    fn check(
        &self,
        args: &VerifyArgs,
        key: &[u8],
        fresh: PendingToken,
        now: i64,
    ) -> ApiResult<Guess> {
        let mut e = self.load_for(args.owner.as_ref())?;
        let result = e.verify(now, &args.code, key, fresh);
        self.kv.put(ENROLLMENT, &e)?;
        match result {
            Ok(verified) => Ok(Guess::Pending(verified.token)),
            Err(VerifyError::TokenMissing) => Err(ApiError::Internal(
                "verifying enrollment without its token".into(),
            )),
            Err(refusal) => Ok(refused(refusal, &e)),
        }
    }

    /// Finds or creates the mobile's user, lets this client see it, stores
    /// the registration token decided at the correct guess, then marks the
    /// enrollment verified. Every step is idempotent: a retry after a crash
    /// (or a concurrent correct guess) redoes them with the same token and
    /// gets the same answer.
    async fn complete(
        &self,
        owner: Option<&Owner>,
        pending: &PendingToken,
        seal_key: &[u8; 32],
    ) -> ApiResult<Guess> {
        let e = self.load_for(owner)?;
        let token = open(seal_key, &pending.sealed)
            .and_then(|t| String::from_utf8(t).ok())
            .ok_or_else(|| ApiError::Internal("registration token unseal failed".into()))?;
        let user_id = MobileClient::new(&self.env, &e.mobile, e.livemode)?
            .user_id(true)
            .await?
            .ok_or_else(|| ApiError::Internal("mobile object returned no user".into()))?;
        UserClient::new(&self.env, &user_id)?
            .ensure(
                &user_id,
                &e.mobile,
                &crate::domain::tenant::Tenant::new(e.client_id.clone(), e.livemode),
            )
            .await?;
        let record = RegistrationTokenRecord {
            hash: RegistrationTokenRecord::hash_of(&token),
            user_id: user_id.clone(),
            expires_at: pending.issued_at.saturating_add(REGISTRATION_TOKEN_TTL_MS),
            used: false,
            client_id: e.client_id.clone(),
            livemode: e.livemode,
        };
        RegistrationTokenClient::for_token(&self.env, &token)?
            .store(&record)
            .await?;
        // Reload: other guesses may have changed the record meanwhile.
        let mut done = self.load_for(owner)?;
        done.finish(&user_id);
        self.kv.put(ENROLLMENT, &done)?;
        Ok(Guess::Verified {
            user_id,
            registration_token: token,
            registration_token_expires_at: record.expires_at,
        })
    }
}

/// A registration token for a correct guess to start with, sealed so a
/// retry can recover it: minted before any await, so it cannot be lost.
fn fresh_token(seal_key: &[u8; 32], now: i64) -> ApiResult<PendingToken> {
    let mut rng = OsRandom::default();
    let random: [u8; 32] = rng.bytes();
    let token = RegistrationTokenRecord::new_token(&random)
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let sealed = seal(seal_key, token.as_bytes(), &mut rng);
    if rng.failed() {
        return Err(ApiError::Internal("no randomness".into()));
    }
    Ok(PendingToken {
        sealed,
        issued_at: now,
    })
}

/// Names one guess in the mobile's budget.
fn guess_nonce() -> ApiResult<String> {
    let mut rng = OsRandom::default();
    let random: [u8; 8] = rng.bytes();
    if rng.failed() {
        return Err(ApiError::Internal("no randomness".into()));
    }
    Ok(crate::domain::crypto::hex(&random))
}

fn refused(refusal: VerifyError, e: &Enrollment) -> Guess {
    Guess::Refused {
        code: refusal.code().to_owned(),
        attempts_remaining: refusal.attempts_remaining().unwrap_or(e.attempts_remaining),
        expires_at: e.expires_at,
    }
}

/// Turns a refused guess into the API error (`now` for `Retry-After`).
fn refusal_error(code: &str, attempts_remaining: u8, expires_at: i64, now: i64) -> ApiError {
    match code {
        "invalid_code" | "malformed_code" => ApiError::InvalidCode { attempts_remaining },
        "too_many_attempts" => ApiError::TooManyAttempts {
            // The lock is permanent; by then the enrollment has expired too and
            // a new one is the way forward.
            retry_after_secs: ((expires_at - now).max(0) + 999) / 1000,
        },
        "expired" => ApiError::Expired,
        "already_verified" => ApiError::Conflict(
            "This enrollment is already verified; its code cannot be used again.".into(),
        ),
        other => ApiError::Internal(format!("unknown verify refusal {other}")),
    }
}

/// Typed client of one enrollment's object.
pub struct EnrollmentClient {
    stub: worker::Stub,
}

impl EnrollmentClient {
    pub fn new(env: &Env, id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, id)?,
        })
    }

    pub async fn create(&self, e: &Enrollment) -> ApiResult<()> {
        rpc::call(&self.stub, "create", e).await
    }

    /// The partner's view of its enrollment; 404 for anyone else.
    pub async fn view(&self, client_id: &str, livemode: bool) -> ApiResult<Value> {
        rpc::call(
            &self.stub,
            "get",
            &json!({"clientId": client_id, "livemode": livemode}),
        )
        .await
    }

    /// One guess of the code by the partner that started the enrollment.
    pub async fn verify(
        &self,
        client_id: &str,
        livemode: bool,
        code: &str,
        now: i64,
    ) -> ApiResult<VerifiedEnrollment> {
        let owner = Owner {
            client_id: client_id.to_owned(),
            livemode,
        };
        self.guess(Some(owner), code, now).await
    }

    /// One guess of the code from the person's phone (hosted `/enroll`
    /// page): no partner key, bound to this enrollment id only, with the
    /// same attempt limits as the partner's guesses.
    pub async fn verify_by_phone(&self, code: &str, now: i64) -> ApiResult<VerifiedEnrollment> {
        self.guess(None, code, now).await
    }

    async fn guess(
        &self,
        owner: Option<Owner>,
        code: &str,
        now: i64,
    ) -> ApiResult<VerifiedEnrollment> {
        let guess: Guess =
            rpc::call(&self.stub, "verify", &json!({"owner": owner, "code": code})).await?;
        match guess {
            Guess::Verified {
                user_id,
                registration_token,
                registration_token_expires_at,
            } => Ok(VerifiedEnrollment {
                user_id,
                registration_token,
                registration_token_expires_at,
            }),
            Guess::Refused {
                code,
                attempts_remaining,
                expires_at,
            } => Err(refusal_error(&code, attempts_remaining, expires_at, now)),
            Guess::RateLimited { retry_after_secs } => {
                Err(ApiError::RateLimited { retry_after_secs })
            }
            Guess::Pending(_) => Err(ApiError::Internal("unfinished verification".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_contract_errors() {
        let now = 1_000_000;
        let e = |code: &str, n: u8| refusal_error(code, n, now + 90_500, now);
        assert!(matches!(
            e("invalid_code", 3),
            ApiError::InvalidCode {
                attempts_remaining: 3
            }
        ));
        assert_eq!(e("malformed_code", 2).code(), "invalid_code");
        let locked = e("too_many_attempts", 0);
        assert_eq!((locked.status(), locked.code()), (429, "too_many_attempts"));
        assert!(matches!(
            locked,
            ApiError::TooManyAttempts {
                retry_after_secs: 91
            }
        ));
        assert_eq!(e("expired", 4).status(), 410);
        assert_eq!(e("already_verified", 4).status(), 409);
        assert_eq!(e("what", 4).status(), 500);
    }

    #[test]
    fn invalid_code_body_carries_attempts_in_both_places() {
        let body = ApiError::InvalidCode {
            attempts_remaining: 2,
        }
        .body();
        assert_eq!(body["error"]["code"], "invalid_code");
        assert_eq!(body["error"]["attemptsRemaining"], 2);
        assert_eq!(body["attemptsRemaining"], 2);
        let locked = ApiError::TooManyAttempts {
            retry_after_secs: 5,
        }
        .body();
        assert_eq!(locked["error"]["attemptsRemaining"], 0);
        assert_eq!(locked["attemptsRemaining"], 0);
    }
}
