//! `SandboxInbox`: the SMS that sandbox mode would have sent, one object per
//! (client, recipient), newest first, bounded.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::now_ms;
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "SANDBOX_INBOX";
/// Older messages are dropped past this many.
const KEEP: usize = 50;

#[durable_object]
pub struct SandboxInbox {
    kv: SqlKv,
}

/// One stored message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsRecord {
    pub id: String,
    pub to: String,
    pub body: String,
    pub created_at: i64,
}

impl DurableObject for SandboxInbox {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "add" => rpc::answer(self.add(&body)),
            "list" => rpc::answer(self.list()),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl SandboxInbox {
    fn add(&self, body: &Value) -> ApiResult<()> {
        let mut msg: SmsRecord = rpc::arg(body)?;
        msg.created_at = now_ms();
        self.kv
            .put(&format!("m:{:016}:{}", msg.created_at, msg.id), &msg)?;
        let all: Vec<(String, SmsRecord)> = self.kv.list("m:", usize::MAX, true)?;
        for (key, _) in all.iter().skip(KEEP) {
            self.kv.delete(key)?;
        }
        Ok(())
    }

    fn list(&self) -> ApiResult<Vec<SmsRecord>> {
        Ok(self
            .kv
            .list("m:", KEEP, true)?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }
}

pub struct InboxClient {
    stub: worker::Stub,
}

impl InboxClient {
    pub fn new(env: &Env, client_id: &str, to: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{client_id}:{to}"))?,
        })
    }

    pub async fn add(&self, msg: &SmsRecord) -> ApiResult<()> {
        rpc::call(&self.stub, "add", msg).await
    }

    pub async fn list(&self) -> ApiResult<Vec<SmsRecord>> {
        rpc::call(&self.stub, "list", &json!({})).await
    }
}
