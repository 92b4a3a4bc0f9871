//! `MobileObject`: one object per (mode, E.164 mobile), the strongly
//! consistent pointer from a phone number to its one `user_`, and the
//! number's budget of wrong OTP codes across all its enrollments.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::ids;
use crate::domain::otp::GuessBudget;
use crate::domain::tenant::Mode;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "MOBILES";
const USER_ID: &str = "userId";
const WRONG_CODES: &str = "wrongCodes";

#[durable_object]
pub struct MobileObject {
    kv: SqlKv,
}

/// The calls a `MobileObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MobileCall {
    /// The mobile's user id; with `create`, minted if there is none.
    User { create: bool },
    /// Whether a guess may be made now (the wrong-code budget).
    GuessCheck,
    /// Reserves one guess `id` if the budget allows.
    GuessReserve { id: String },
    /// Gives guess `id` back (it was not a wrong code).
    GuessRelease { id: String },
}

/// `None` when a guess may be made; else the seconds until it may (the
/// object's clock, which judged the budget).
type GuessVerdict = Option<i64>;

impl DurableObject for MobileObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: MobileCall| async move {
            let ctx = Ctx::new();
            match call {
                MobileCall::User { create } => rpc::reply(self.user(create, &ctx)?),
                MobileCall::GuessCheck => rpc::reply(self.guess(None, ctx.now)?),
                MobileCall::GuessReserve { id } => rpc::reply(self.guess(Some(&id), ctx.now)?),
                MobileCall::GuessRelease { id } => rpc::reply(self.release(&id)?),
            }
        })
        .await
    }
}

impl MobileObject {
    /// The mobile's user id; with `create`, mints one if there is none. The
    /// read and the write have no await between them, so two first
    /// verifications of one number get the same id.
    fn user(&self, create: bool, ctx: &Ctx) -> ApiResult<Option<String>> {
        if let Some(id) = self.kv.get::<String>(USER_ID)? {
            return Ok(Some(id));
        }
        if !create {
            return Ok(None);
        }
        let id = ctx.random(|r| ids::user_id(r))?;
        self.kv.put(USER_ID, &id)?;
        Ok(Some(id))
    }

    /// Checks the wrong-code budget and, with an id, reserves one guess in
    /// the same synchronous step: concurrent guesses can never exceed it.
    fn guess(&self, reserve: Option<&str>, now: i64) -> ApiResult<GuessVerdict> {
        let mut budget: GuessBudget = self.kv.get(WRONG_CODES)?.unwrap_or_default();
        let verdict = match reserve {
            Some(id) => budget.reserve(now, id),
            None => budget.check(now),
        };
        self.kv.put(WRONG_CODES, &budget)?;
        Ok(verdict
            .err()
            .map(|e| ((e.retry_at - now).max(0) + 999) / 1000))
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
    stub: rpc::Stub,
}

impl MobileClient {
    /// `mobile` must be normalised E.164; test and live users are separate.
    pub fn new(env: &Env, mobile: &str, livemode: bool) -> ApiResult<Self> {
        let mode = Mode::from_livemode(livemode);
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{mode}:{mobile}"))?,
        })
    }

    /// The user id of this mobile; with `create`, minted if there is none yet.
    pub async fn user_id(&self, create: bool) -> ApiResult<Option<String>> {
        rpc::invoke(&self.stub, &MobileCall::User { create }).await
    }

    /// `Err(rate_limited)` while the mobile's wrong-code budget is spent.
    pub async fn check_guesses(&self) -> ApiResult<()> {
        let v: GuessVerdict = rpc::invoke(&self.stub, &MobileCall::GuessCheck).await?;
        refused_until(v)
    }

    /// Reserves one guess (`id` unique per guess); `Err(rate_limited)` when
    /// the budget is spent.
    pub async fn reserve_guess(&self, id: &str) -> ApiResult<()> {
        let v: GuessVerdict =
            rpc::invoke(&self.stub, &MobileCall::GuessReserve { id: id.to_owned() }).await?;
        refused_until(v)
    }

    /// Gives back guess `id` (it was not a wrong code).
    pub async fn release_guess(&self, id: &str) -> ApiResult<()> {
        rpc::invoke(&self.stub, &MobileCall::GuessRelease { id: id.to_owned() }).await
    }
}

fn refused_until(v: GuessVerdict) -> ApiResult<()> {
    match v {
        None => Ok(()),
        Some(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
    }
}
