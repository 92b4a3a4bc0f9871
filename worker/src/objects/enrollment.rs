//! `EnrollmentObject`: one object per enrollment. It holds the OTP as a keyed
//! hash, its expiry, the attempt counter and the lock. A guess is checked
//! and counted in one synchronous load-verify-store (no await in between),
//! so concurrent guesses are serialised and can never exceed the limit.
//! A correct code then links the mobile's user and mints the registration
//! token; if that fails, the enrollment goes back to pending so the same code
//! can be tried again.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::mobile::MobileClient;
use super::registration_token::RegistrationTokenClient;
use super::rpc;
use super::sql_kv::SqlKv;
use super::user::UserClient;
use crate::app::{now_ms, OsRandom};
use crate::config::Config;
use crate::domain::otp::{Enrollment, RegistrationTokenRecord, VerifyError};
use crate::domain::random::Random;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "ENROLLMENTS";
/// Key purpose of the OTP hash key (derived from `SEALING_KEY`).
pub const OTP_KEY: &str = "enrollment-otp";
const ENROLLMENT: &str = "enrollment";

#[durable_object]
pub struct EnrollmentObject {
    env: Env,
    kv: SqlKv,
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
    owner: Owner,
    code: String,
}

/// The object's answer to a guess. Refusals are answers, not errors, so
/// they can carry the attempts left and the expiry.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
enum Guess {
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
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "create" => rpc::answer(self.create(&body)),
            "get" => rpc::answer(self.get(&body)),
            "verify" => rpc::answer(self.verify(&body).await),
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

    /// The enrollment if `owner` created it; anyone else gets 404.
    fn load_for(&self, owner: &Owner) -> ApiResult<Enrollment> {
        let e: Enrollment = self.kv.get(ENROLLMENT)?.ok_or(ApiError::NotFound)?;
        if e.client_id != owner.client_id || e.livemode != owner.livemode {
            return Err(ApiError::NotFound);
        }
        Ok(e)
    }

    fn get(&self, body: &Value) -> ApiResult<Value> {
        let owner: Owner = rpc::arg(body)?;
        Ok(self.load_for(&owner)?.view(now_ms()))
    }

    async fn verify(&self, body: &Value) -> ApiResult<Guess> {
        let args: VerifyArgs = rpc::arg(body)?;
        let key = Config::from_env(&self.env).sealing_key(OTP_KEY)?;
        let now = now_ms();
        // Load, check, count and store: synchronous, so guesses are serialised.
        let mut e = self.load_for(&args.owner)?;
        let before = e.clone();
        let result = e.verify(now, &args.code, &key);
        self.kv.put(ENROLLMENT, &e)?;
        if let Err(refusal) = result {
            return Ok(refused(refusal, &e));
        }
        // From here the stored status is `verified`: any concurrent guess is refused.
        match self.complete(&e, now).await {
            Ok(done) => {
                e.user_id = Some(done.user_id.clone());
                self.kv.put(ENROLLMENT, &e)?;
                Ok(Guess::Verified {
                    user_id: done.user_id,
                    registration_token: done.registration_token,
                    registration_token_expires_at: done.registration_token_expires_at,
                })
            }
            Err(err) => {
                // The person got the code right; let them retry once we can finish.
                self.kv.put(ENROLLMENT, &before)?;
                Err(err)
            }
        }
    }

    /// Finds or creates the mobile's user, lets this client see it, and mints
    /// the single-use registration token.
    async fn complete(&self, e: &Enrollment, now: i64) -> ApiResult<VerifiedEnrollment> {
        let user_id = MobileClient::new(&self.env, &e.mobile, e.livemode)?
            .user_id(true)
            .await?
            .ok_or_else(|| ApiError::Internal("mobile object returned no user".into()))?;
        UserClient::new(&self.env, &user_id)?
            .ensure(&user_id, &e.mobile, e.livemode, &e.client_id)
            .await?;
        let mut rng = OsRandom::default();
        let random: [u8; 32] = rng.bytes();
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        let mut issued = RegistrationTokenRecord::issue(&random, &user_id, now)
            .map_err(|err| ApiError::Internal(err.to_string()))?;
        issued.record.client_id = e.client_id.clone();
        issued.record.livemode = e.livemode;
        RegistrationTokenClient::for_token(&self.env, &issued.token)?
            .store(&issued.record)
            .await?;
        Ok(VerifiedEnrollment {
            user_id,
            registration_token_expires_at: issued.record.expires_at,
            registration_token: issued.token,
        })
    }
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

    /// One guess of the code.
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
