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

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::gate::Gate;
use super::mobile::MobileClient;
use super::registration_token::RegistrationTokenClient;
use super::rpc;
use super::sql_kv::SqlKv;
use super::user::UserClient;
use crate::config::Config;
use crate::domain::crypto::{open, seal};
use crate::domain::otp::{
    Enrollment, PendingToken, RegistrationTokenRecord, VerifyError, REGISTRATION_TOKEN_TTL_MS,
};
use crate::domain::random::Random;
use crate::domain::tenant::Tenant;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "ENROLLMENTS";
/// Key purpose of the OTP hash key (derived from `SEALING_KEY`).
pub const OTP_KEY: &str = "enrollment-otp";
/// Key purpose sealing a verification's registration token until it is done.
const TOKEN_SEAL: &str = "enrollment-registration-token";
const ENROLLMENT: &str = "enrollment";

/// The calls an `EnrollmentObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnrollmentCall {
    /// Stores a new enrollment (its code already hashed).
    Create { enrollment: Box<Enrollment> },
    /// The partner's view; 404 for another tenant.
    View { tenant: Tenant },
    /// One guess of the code. `tenant`: the partner that started it; `None`:
    /// the person's phone (the unguessable enrollment id and the texted code
    /// are the whole credential there). Replies [`VerifiedEnrollment`]; a
    /// refusal is the API error itself (attempts left, `Retry-After`).
    Verify {
        tenant: Option<Tenant>,
        code: String,
    },
}

#[durable_object]
pub struct EnrollmentObject {
    env: Env,
    kv: SqlKv,
    /// The isolate's configuration (read once per isolate).
    config: Rc<Config>,
    /// One guess at a time end to end (reserve, check, release, complete),
    /// so a guess always sees the outcome of the one before it.
    gate: Gate,
}

/// A successful verification, as the API returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedEnrollment {
    pub user_id: String,
    pub registration_token: String,
    pub registration_token_expires_at: i64,
}

impl DurableObject for EnrollmentObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
            config: Config::cached(&env),
            env,
            gate: Gate::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: EnrollmentCall| async move {
            let ctx = Ctx::new();
            let now = ctx.now;
            match call {
                EnrollmentCall::Create { enrollment } => rpc::reply(self.create(&enrollment)?),
                EnrollmentCall::View { tenant } => {
                    rpc::reply(self.load_for(Some(&tenant))?.view(now))
                }
                EnrollmentCall::Verify { tenant, code } => {
                    let _pass = self.gate.enter().await;
                    rpc::reply(self.verify(tenant.as_ref(), &code, &ctx).await?)
                }
            }
        })
        .await
    }
}

impl EnrollmentObject {
    fn create(&self, e: &Enrollment) -> ApiResult<()> {
        if self.kv.get::<Enrollment>(ENROLLMENT)?.is_some() {
            return Err(ApiError::Internal("enrollment id collision".into()));
        }
        self.kv.put(ENROLLMENT, e)
    }

    /// The enrollment if `tenant` created it (any tenant on the phone path,
    /// `None`); anyone else gets 404.
    fn load_for(&self, tenant: Option<&Tenant>) -> ApiResult<Enrollment> {
        let e: Enrollment = self.kv.get(ENROLLMENT)?.ok_or(ApiError::NotFound)?;
        match tenant {
            Some(t) if !t.owns(&e.client_id, e.livemode) => Err(ApiError::NotFound),
            _ => Ok(e),
        }
    }

    async fn verify(
        &self,
        tenant: Option<&Tenant>,
        code: &str,
        ctx: &Ctx,
    ) -> ApiResult<VerifiedEnrollment> {
        let now = ctx.now;
        let key = self.config.sealing_key(OTP_KEY)?;
        let seal_key = self.config.sealing_key(TOKEN_SEAL)?;
        let e = self.load_for(tenant)?;
        if !e.accepts_guesses(now) {
            // Verified, locked or expired: refused without looking at the
            // code, so it costs nothing from the mobile's budget.
            let token = self.check(tenant, code, &key, fresh_token(&seal_key, ctx)?, now)?;
            return self.complete(tenant, &token, &seal_key).await;
        }
        // The mobile's budget first (DESIGN "Rate limits"): 15 wrong codes
        // per 24 h across all its enrollments, reserved before the check.
        let mobile = MobileClient::new(&self.env, &e.mobile, e.livemode)?;
        let guess_id = format!("{}:{}", e.id, guess_nonce(ctx)?);
        mobile.reserve_guess(&guess_id).await?;
        let before = self.load_for(tenant)?;
        let result = self.check(tenant, code, &key, fresh_token(&seal_key, ctx)?, now);
        let after = self.load_for(tenant)?;
        if after.attempts_remaining >= before.attempts_remaining {
            // Not a wrong code (right, or refused unseen): give the slot back.
            // If this fails the slot stays spent, which errs on the safe side.
            if let Err(err) = mobile.release_guess(&guess_id).await {
                worker::console_error!("enrollment {}: guess release failed: {err:?}", e.id);
            }
        }
        let token = result?;
        self.complete(tenant, &token, &seal_key).await
    }

    /// Load, check, count and store: synchronous, so guesses are serialised.
    /// A right code answers its pending registration token (the work is not
    /// done yet); a refusal is the API error.
    fn check(
        &self,
        tenant: Option<&Tenant>,
        code: &str,
        key: &[u8],
        fresh: PendingToken,
        now: i64,
    ) -> ApiResult<PendingToken> {
        let mut e = self.load_for(tenant)?;
        let result = e.verify(now, code, key, fresh);
        self.kv.put(ENROLLMENT, &e)?;
        match result {
            Ok(verified) => Ok(verified.token),
            Err(refusal) => Err(refusal_error(refusal, e.expires_at, now)),
        }
    }

    /// Finds or creates the mobile's user, lets this client see it, stores
    /// the registration token decided at the correct guess, then marks the
    /// enrollment verified. Every step is idempotent: a retry after a crash
    /// (or a concurrent correct guess) redoes them with the same token and
    /// gets the same answer.
    async fn complete(
        &self,
        tenant: Option<&Tenant>,
        pending: &PendingToken,
        seal_key: &[u8; 32],
    ) -> ApiResult<VerifiedEnrollment> {
        let e = self.load_for(tenant)?;
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
                &Tenant::new(e.client_id.clone(), e.livemode),
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
        let mut done = self.load_for(tenant)?;
        done.finish(&user_id);
        self.kv.put(ENROLLMENT, &done)?;
        Ok(VerifiedEnrollment {
            user_id,
            registration_token: token,
            registration_token_expires_at: record.expires_at,
        })
    }
}

/// A registration token for a correct guess to start with, sealed so a
/// retry can recover it: minted before any await, so it cannot be lost.
fn fresh_token(seal_key: &[u8; 32], ctx: &Ctx) -> ApiResult<PendingToken> {
    let random: [u8; 32] = ctx.random(|r| r.bytes())?;
    let token = RegistrationTokenRecord::new_token(&random)
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let sealed = ctx.random(|r| seal(seal_key, token.as_bytes(), r))?;
    Ok(PendingToken {
        sealed,
        issued_at: ctx.now,
    })
}

/// Names one guess in the mobile's budget.
fn guess_nonce(ctx: &Ctx) -> ApiResult<String> {
    let random: [u8; 8] = ctx.random(|r| r.bytes())?;
    Ok(crate::domain::crypto::hex(&random))
}

/// A refused guess as the API error (`now` for `Retry-After`).
fn refusal_error(refusal: VerifyError, expires_at: i64, now: i64) -> ApiError {
    match refusal {
        VerifyError::InvalidCode { attempts_remaining }
        | VerifyError::Malformed { attempts_remaining } => {
            ApiError::InvalidCode { attempts_remaining }
        }
        VerifyError::TooManyAttempts => ApiError::TooManyAttempts {
            // The lock is permanent; by then the enrollment has expired too and
            // a new one is the way forward.
            retry_after_secs: ((expires_at - now).max(0) + 999) / 1000,
        },
        VerifyError::Expired => ApiError::Expired,
        VerifyError::AlreadyVerified => ApiError::Conflict(
            "This enrollment is already verified; its code cannot be used again.".into(),
        ),
        VerifyError::TokenMissing => {
            ApiError::Internal("verifying enrollment without its token".into())
        }
    }
}

/// Typed client of one enrollment's object.
pub struct EnrollmentClient {
    stub: rpc::Stub,
}

impl EnrollmentClient {
    pub fn new(env: &Env, id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, id)?,
        })
    }

    pub async fn create(&self, e: &Enrollment) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &EnrollmentCall::Create {
                enrollment: Box::new(e.clone()),
            },
        )
        .await
    }

    /// The partner's view of its enrollment; 404 for anyone else.
    pub async fn view(&self, tenant: &Tenant) -> ApiResult<Value> {
        rpc::invoke(
            &self.stub,
            &EnrollmentCall::View {
                tenant: tenant.clone(),
            },
        )
        .await
    }

    /// One guess of the code by the partner that started the enrollment.
    pub async fn verify(&self, tenant: &Tenant, code: &str) -> ApiResult<VerifiedEnrollment> {
        self.guess(Some(tenant.clone()), code).await
    }

    /// One guess of the code from the person's phone (hosted `/enroll`
    /// page): no partner key, bound to this enrollment id only, with the
    /// same attempt limits as the partner's guesses.
    pub async fn verify_by_phone(&self, code: &str) -> ApiResult<VerifiedEnrollment> {
        self.guess(None, code).await
    }

    async fn guess(&self, tenant: Option<Tenant>, code: &str) -> ApiResult<VerifiedEnrollment> {
        rpc::invoke(
            &self.stub,
            &EnrollmentCall::Verify {
                tenant,
                code: code.to_owned(),
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_contract_errors() {
        let now = 1_000_000;
        let e = |refusal| refusal_error(refusal, now + 90_500, now);
        assert!(matches!(
            e(VerifyError::InvalidCode {
                attempts_remaining: 3
            }),
            ApiError::InvalidCode {
                attempts_remaining: 3
            }
        ));
        assert_eq!(
            e(VerifyError::Malformed {
                attempts_remaining: 2
            })
            .code(),
            "invalid_code"
        );
        let locked = e(VerifyError::TooManyAttempts);
        assert_eq!((locked.status(), locked.code()), (429, "too_many_attempts"));
        assert!(matches!(
            locked,
            ApiError::TooManyAttempts {
                retry_after_secs: 91
            }
        ));
        assert_eq!(e(VerifyError::Expired).status(), 410);
        assert_eq!(e(VerifyError::AlreadyVerified).status(), 409);
        assert_eq!(e(VerifyError::TokenMissing).status(), 500);
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
