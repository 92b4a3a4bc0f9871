//! `RateLimiter`: one object per limited subject (a client, a client and
//! recipient, a mobile), holding a fixed-window counter, or a sliding log
//! for small limits that must hold over any interval.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::rate_limit::{SlidingLog, Verdict, Window};
use crate::error::ApiResult;

pub const BINDING: &str = "RATE_LIMITER";

#[durable_object]
pub struct RateLimiter {
    kv: SqlKv,
}

/// A limit: at most `limit` in `window_ms`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub limit: u32,
    pub window_ms: i64,
}

/// The calls a `RateLimiter` serves; each replies a [`Verdict`] (refund: nothing).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LimiterCall {
    /// Counts one request in a fixed window.
    Hit(Hit),
    /// Counts one use in a sliding window (the limit holds over any interval).
    Slide(Hit),
    /// What `Slide` would answer, without counting.
    PeekSlide(Hit),
    /// Gives back the latest `Slide` use (its work did not happen).
    Refund(Hit),
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: LimiterCall| async move {
            let now = Ctx::new().now;
            match call {
                LimiterCall::Hit(h) => rpc::reply(self.hit(h, now)?),
                LimiterCall::Slide(h) => rpc::reply(self.slide(h, now)?),
                LimiterCall::PeekSlide(h) => rpc::reply(self.peek_slide(h, now)?),
                LimiterCall::Refund(h) => rpc::reply(self.refund(h)?),
            }
        })
        .await
    }
}

impl RateLimiter {
    fn hit(&self, hit: Hit, now: i64) -> ApiResult<Verdict> {
        let key = format!("w:{}", hit.window_ms);
        let mut window: Window = self.kv.get(&key)?.unwrap_or_default();
        let verdict = window.hit(now, hit.limit, hit.window_ms);
        self.kv.put(&key, &window)?;
        Ok(verdict)
    }

    fn slide(&self, hit: Hit, now: i64) -> ApiResult<Verdict> {
        let key = format!("s:{}", hit.window_ms);
        let mut log: SlidingLog = self.kv.get(&key)?.unwrap_or_default();
        let verdict = log.hit(now, hit.limit, hit.window_ms);
        self.kv.put(&key, &log)?;
        Ok(verdict)
    }

    fn peek_slide(&self, hit: Hit, now: i64) -> ApiResult<Verdict> {
        let log: SlidingLog = self
            .kv
            .get(&format!("s:{}", hit.window_ms))?
            .unwrap_or_default();
        Ok(log.peek(now, hit.limit, hit.window_ms))
    }

    fn refund(&self, hit: Hit) -> ApiResult<()> {
        let key = format!("s:{}", hit.window_ms);
        let mut log: SlidingLog = self.kv.get(&key)?.unwrap_or_default();
        log.refund();
        self.kv.put(&key, &log)
    }
}

pub struct LimiterClient<'a> {
    env: &'a Env,
}

impl<'a> LimiterClient<'a> {
    pub fn new(env: &'a Env) -> Self {
        Self { env }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        subject: &str,
        call: LimiterCall,
    ) -> ApiResult<T> {
        let stub = rpc::stub(self.env, BINDING, subject)?;
        rpc::invoke(&stub, &call).await
    }

    /// Counts one request against `subject`.
    pub async fn hit(&self, subject: &str, limit: u32, window_ms: i64) -> ApiResult<Verdict> {
        self.call(subject, LimiterCall::Hit(Hit { limit, window_ms }))
            .await
    }

    /// Counts one use against `subject` if fewer than `limit` happened in the
    /// last `window_ms` (sliding, so the limit holds over any interval).
    pub async fn hit_sliding(
        &self,
        subject: &str,
        limit: u32,
        window_ms: i64,
    ) -> ApiResult<Verdict> {
        self.call(subject, LimiterCall::Slide(Hit { limit, window_ms }))
            .await
    }

    /// What [`Self::hit_sliding`] would answer now, without counting.
    pub async fn peek_sliding(
        &self,
        subject: &str,
        limit: u32,
        window_ms: i64,
    ) -> ApiResult<Verdict> {
        self.call(subject, LimiterCall::PeekSlide(Hit { limit, window_ms }))
            .await
    }

    /// Gives back the latest [`Self::hit_sliding`] use (its work failed).
    pub async fn refund_sliding(&self, subject: &str, window_ms: i64) -> ApiResult<()> {
        self.call(
            subject,
            LimiterCall::Refund(Hit {
                limit: 0,
                window_ms,
            }),
        )
        .await
    }
}
