//! `SandboxInbox`: the SMS that sandbox mode would have sent, one object per
//! (client, recipient), newest first, bounded.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::error::ApiResult;

pub const BINDING: &str = "SANDBOX_INBOX";
/// Older messages are dropped past this many.
const KEEP: usize = 50;

#[durable_object]
pub struct SandboxInbox {
    kv: SqlKv,
}

/// The calls a `SandboxInbox` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InboxCall {
    /// Keeps a message (its `createdAt` is set here).
    Add { message: SmsRecord },
    /// The newest messages first.
    List,
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
        rpc::serve(req, |call: InboxCall| async move {
            match call {
                InboxCall::Add { message } => rpc::reply(self.add(message, Ctx::new().now)?),
                InboxCall::List => rpc::reply(self.list()?),
            }
        })
        .await
    }
}

impl SandboxInbox {
    fn add(&self, mut msg: SmsRecord, now: i64) -> ApiResult<()> {
        msg.created_at = now;
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
    stub: rpc::Stub,
}

impl InboxClient {
    pub fn new(env: &Env, client_id: &str, to: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{client_id}:{to}"))?,
        })
    }

    pub async fn add(&self, msg: &SmsRecord) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &InboxCall::Add {
                message: msg.clone(),
            },
        )
        .await
    }

    pub async fn list(&self) -> ApiResult<Vec<SmsRecord>> {
        rpc::invoke(&self.stub, &InboxCall::List).await
    }
}
