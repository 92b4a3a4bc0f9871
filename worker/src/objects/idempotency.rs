//! `IdempotencyObject`: one object per (client, mode, Idempotency-Key),
//! serialising concurrent uses of one key.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::now_ms;
use crate::domain::idempotency::{begin, Begin, Record};
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "IDEMPOTENCY";
const KEY: &str = "record";

#[durable_object]
pub struct IdempotencyObject {
    kv: SqlKv,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complete {
    fingerprint: String,
    status: u16,
    sealed_body: String,
}

impl DurableObject for IdempotencyObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "begin" => rpc::answer(self.begin(&body)),
            "complete" => rpc::answer(self.complete(&body)),
            "abandon" => rpc::answer(self.kv.delete(KEY)),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl IdempotencyObject {
    fn begin(&self, body: &Value) -> ApiResult<Value> {
        let fingerprint: String = rpc::arg(&body["fingerprint"])?;
        let existing: Option<Record> = self.kv.get(KEY)?;
        let (outcome, record) = begin(existing.as_ref(), &fingerprint, now_ms());
        if let Some(record) = record {
            self.kv.put(KEY, &record)?;
        }
        Ok(match outcome {
            Begin::Proceed => json!({"outcome": "proceed"}),
            Begin::InFlight => json!({"outcome": "in_flight"}),
            Begin::Mismatch => json!({"outcome": "mismatch"}),
            Begin::Replay {
                status,
                sealed_body,
            } => {
                json!({"outcome": "replay", "status": status, "sealedBody": sealed_body})
            }
        })
    }

    fn complete(&self, body: &Value) -> ApiResult<()> {
        let c: Complete = rpc::arg(body)?;
        let created_at = match self.kv.get::<Record>(KEY)? {
            Some(Record::InProgress { created_at, .. }) => created_at,
            _ => now_ms(),
        };
        self.kv.put(
            KEY,
            &Record::Done {
                fingerprint: c.fingerprint,
                created_at,
                status: c.status,
                sealed_body: c.sealed_body,
            },
        )
    }
}

pub struct IdempotencyClient {
    stub: worker::Stub,
}

impl IdempotencyClient {
    /// `scope_hash` identifies client, mode and key without storing the key.
    pub fn new(env: &Env, scope_hash: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, scope_hash)?,
        })
    }

    pub async fn begin(&self, fingerprint: &str) -> ApiResult<Begin> {
        let v: Value = rpc::call(&self.stub, "begin", &json!({"fingerprint": fingerprint})).await?;
        Ok(match v["outcome"].as_str() {
            Some("proceed") => Begin::Proceed,
            Some("in_flight") => Begin::InFlight,
            Some("mismatch") => Begin::Mismatch,
            Some("replay") => Begin::Replay {
                status: v["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(200),
                sealed_body: v["sealedBody"].as_str().unwrap_or_default().to_owned(),
            },
            _ => return Err(ApiError::Internal("idempotency: bad outcome".into())),
        })
    }

    pub async fn complete(
        &self,
        fingerprint: &str,
        status: u16,
        sealed_body: &str,
    ) -> ApiResult<()> {
        rpc::call(
            &self.stub,
            "complete",
            &json!({"fingerprint": fingerprint, "status": status, "sealedBody": sealed_body}),
        )
        .await
    }

    /// Releases the key after a failed first attempt, so a retry can run.
    pub async fn abandon(&self) -> ApiResult<()> {
        rpc::call(&self.stub, "abandon", &json!({})).await
    }
}
