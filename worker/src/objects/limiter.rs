//! `RateLimiter`: one object per limited subject (a client, a client and
//! recipient, a mobile), holding a fixed-window counter.

use serde::Deserialize;
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::now_ms;
use crate::domain::rate_limit::{Verdict, Window};
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
        let (_, body) = rpc::read(req).await?;
        rpc::answer(self.hit(&body))
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
}
