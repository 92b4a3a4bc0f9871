//! `MobileObject`: one object per (mode, E.164 mobile), the strongly
//! consistent pointer from a phone number to its one `user_`, and the
//! number's budget of wrong OTP codes across all its enrollments.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::domain::ids;
use crate::domain::otp::GuessBudget;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "MOBILES";
const USER_ID: &str = "userId";
const WRONG_CODES: &str = "wrongCodes";

#[durable_object]
pub struct MobileObject {
    kv: SqlKv,
}

#[derive(Deserialize)]
struct LookupArgs {
    create: bool,
}

#[derive(Deserialize)]
struct GuessArgs {
    id: String,
}

/// `None` when a guess may be made; else when it may (unix ms).
type GuessVerdict = Option<i64>;

impl DurableObject for MobileObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "user" => rpc::answer(self.user(&body)),
            "guessCheck" => rpc::answer(self.guess(None)),
            "guessReserve" => {
                rpc::answer(rpc::arg::<GuessArgs>(&body).and_then(|a| self.guess(Some(&a.id))))
            }
            "guessRelease" => {
                rpc::answer(rpc::arg::<GuessArgs>(&body).and_then(|a| self.release(&a.id)))
            }
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl MobileObject {
    /// The mobile's user id; with `create`, mints one if there is none. The
    /// read and the write have no await between them, so two first
    /// verifications of one number get the same id.
    fn user(&self, body: &Value) -> ApiResult<Option<String>> {
        let a: LookupArgs = rpc::arg(body)?;
        if let Some(id) = self.kv.get::<String>(USER_ID)? {
            return Ok(Some(id));
        }
        if !a.create {
            return Ok(None);
        }
        let mut rng = OsRandom::default();
        let id = ids::user_id(&mut rng);
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        self.kv.put(USER_ID, &id)?;
        Ok(Some(id))
    }

    /// Checks the wrong-code budget and, with an id, reserves one guess in
    /// the same synchronous step: concurrent guesses can never exceed it.
    fn guess(&self, reserve: Option<&str>) -> ApiResult<GuessVerdict> {
        let mut budget: GuessBudget = self.kv.get(WRONG_CODES)?.unwrap_or_default();
        let now = now_ms();
        let verdict = match reserve {
            Some(id) => budget.reserve(now, id),
            None => budget.check(now),
        };
        self.kv.put(WRONG_CODES, &budget)?;
        Ok(verdict.err().map(|e| e.retry_at))
    }

    /// Gives a reserved guess back (its code was right or never checked).
    fn release(&self, id: &str) -> ApiResult<()> {
        let mut budget: GuessBudget = self.kv.get(WRONG_CODES)?.unwrap_or_default();
        budget.release(id);
        self.kv.put(WRONG_CODES, &budget)
    }
}

/// Typed client of one mobile's object.
pub struct MobileClient {
    stub: worker::Stub,
}

impl MobileClient {
    /// `mobile` must be normalised E.164; test and live users are separate.
    pub fn new(env: &Env, mobile: &str, livemode: bool) -> ApiResult<Self> {
        let mode = if livemode { "live" } else { "test" };
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{mode}:{mobile}"))?,
        })
    }

    /// The user id of this mobile; with `create`, minted if there is none yet.
    pub async fn user_id(&self, create: bool) -> ApiResult<Option<String>> {
        rpc::call(&self.stub, "user", &json!({ "create": create })).await
    }

    /// `Err(rate_limited)` while the mobile's wrong-code budget is spent.
    pub async fn check_guesses(&self) -> ApiResult<()> {
        let v: GuessVerdict = rpc::call(&self.stub, "guessCheck", &json!({})).await?;
        refused_until(v)
    }

    /// Reserves one guess (`id` unique per guess); `Err(rate_limited)` when
    /// the budget is spent.
    pub async fn reserve_guess(&self, id: &str) -> ApiResult<()> {
        let v: GuessVerdict = rpc::call(&self.stub, "guessReserve", &json!({ "id": id })).await?;
        refused_until(v)
    }

    /// Gives back guess `id` (it was not a wrong code).
    pub async fn release_guess(&self, id: &str) -> ApiResult<()> {
        rpc::call(&self.stub, "guessRelease", &json!({ "id": id })).await
    }
}

fn refused_until(v: GuessVerdict) -> ApiResult<()> {
    match v {
        None => Ok(()),
        Some(retry_at) => Err(ApiError::RateLimited {
            retry_after_secs: ((retry_at - now_ms()).max(0) + 999) / 1000,
        }),
    }
}
