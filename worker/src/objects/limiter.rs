//! `RateLimiter`: one object per limited subject (a client, a client and
//! recipient, a mobile), holding a fixed-window counter, or a sliding log
//! for small limits that must hold over any interval.

use serde::Deserialize;
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::now_ms;
use crate::domain::rate_limit::{SlidingLog, Verdict, Window};
use crate::error::ApiResult;

pub const BINDING: &str = "RATE_LIMITER";

#[durable_object]
pub struct RateLimiter {
    kv: SqlKv,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hit {
    limit: u32,
    window_ms: i64,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "slide" => rpc::answer(self.slide(&body)),
            "refund" => rpc::answer(self.refund(&body)),
            "peek" => rpc::answer(self.peek(&body)),
            _ => rpc::answer(self.hit(&body)),
        }
    }
}

impl RateLimiter {
    fn hit(&self, body: &Value) -> ApiResult<Verdict> {
        let hit: Hit = rpc::arg(body)?;
        let key = format!("w:{}", hit.window_ms);
        let mut window: Window = self.kv.get(&key)?.unwrap_or_default();
        let verdict = window.hit(now_ms(), hit.limit, hit.window_ms);
        self.kv.put(&key, &window)?;
        Ok(verdict)
    }

    fn peek(&self, body: &Value) -> ApiResult<Verdict> {
        let hit: Hit = rpc::arg(body)?;
        let window: Window = self
            .kv
            .get(&format!("w:{}", hit.window_ms))?
            .unwrap_or_default();
        Ok(window.peek(now_ms(), hit.limit, hit.window_ms))
    }

    fn slide(&self, body: &Value) -> ApiResult<Verdict> {
        let hit: Hit = rpc::arg(body)?;
        let key = format!("s:{}", hit.window_ms);
        let mut log: SlidingLog = self.kv.get(&key)?.unwrap_or_default();
        let verdict = log.hit(now_ms(), hit.limit, hit.window_ms);
        self.kv.put(&key, &log)?;
        Ok(verdict)
    }

    fn refund(&self, body: &Value) -> ApiResult<()> {
        let hit: Hit = rpc::arg(body)?;
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

    /// Counts one request against `subject`.
    pub async fn hit(&self, subject: &str, limit: u32, window_ms: i64) -> ApiResult<Verdict> {
        let stub = rpc::stub(self.env, BINDING, subject)?;
        rpc::call(
            &stub,
            "hit",
            &serde_json::json!({"limit": limit, "windowMs": window_ms}),
        )
        .await
    }

    /// What [`Self::hit`] would answer now, without counting.
    pub async fn peek(&self, subject: &str, limit: u32, window_ms: i64) -> ApiResult<Verdict> {
        let stub = rpc::stub(self.env, BINDING, subject)?;
        rpc::call(
            &stub,
            "peek",
            &serde_json::json!({"limit": limit, "windowMs": window_ms}),
        )
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
        let stub = rpc::stub(self.env, BINDING, subject)?;
        rpc::call(
            &stub,
            "slide",
            &serde_json::json!({"limit": limit, "windowMs": window_ms}),
        )
        .await
    }

    /// Gives back the latest [`Self::hit_sliding`] use (its work failed).
    pub async fn refund_sliding(&self, subject: &str, window_ms: i64) -> ApiResult<()> {
        let stub = rpc::stub(self.env, BINDING, subject)?;
        rpc::call(
            &stub,
            "refund",
            &serde_json::json!({"limit": 0, "windowMs": window_ms}),
        )
        .await
    }
}
