//! `IdempotencyObject`: one object per (client, mode, Idempotency-Key),
//! serialising concurrent uses of one key. The first request holds a lease
//! until it completes or abandons it (a retry meanwhile gets 409); the
//! lease's fallback expiry only matters for a worker that died mid-request.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::domain::crypto::hex;
use crate::domain::idempotency::{begin, complete, may_abandon, Begin, Record};
use crate::domain::random::Random;
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
    lease_id: String,
    status: u16,
    sealed_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Abandon {
    lease_id: String,
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
            "abandon" => rpc::answer(self.abandon(&body)),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }
}

impl IdempotencyObject {
    fn begin(&self, body: &Value) -> ApiResult<Value> {
        let fingerprint: String = rpc::arg(&body["fingerprint"])?;
        let mut rng = OsRandom::default();
        let lease_id = hex(&rng.bytes::<16>());
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        let existing: Option<Record> = self.kv.get(KEY)?;
        let (outcome, record) = begin(existing.as_ref(), &fingerprint, now_ms(), &lease_id);
        if let Some(record) = record {
            self.kv.put(KEY, &record)?;
        }
        Ok(match outcome {
            Begin::Proceed => json!({"outcome": "proceed", "leaseId": lease_id}),
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

    /// Stores the answer, if the caller still holds the lease.
    fn complete(&self, body: &Value) -> ApiResult<()> {
        let c: Complete = rpc::arg(body)?;
        let existing: Option<Record> = self.kv.get(KEY)?;
        match complete(existing.as_ref(), &c.lease_id, c.status, &c.sealed_body) {
            Some(done) => self.kv.put(KEY, &done),
            None => {
                worker::console_error!("idempotency: completion after the lease was lost");
                Ok(())
            }
        }
    }

    /// Releases the key after a failed attempt, if the caller still holds it.
    fn abandon(&self, body: &Value) -> ApiResult<()> {
        let a: Abandon = rpc::arg(body)?;
        let existing: Option<Record> = self.kv.get(KEY)?;
        if may_abandon(existing.as_ref(), &a.lease_id) {
            self.kv.delete(KEY)?;
        }
        Ok(())
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

    /// With `Proceed`, the lease id to complete or abandon with.
    pub async fn begin(&self, fingerprint: &str) -> ApiResult<(Begin, String)> {
        let v: Value = rpc::call(&self.stub, "begin", &json!({"fingerprint": fingerprint})).await?;
        let lease_id = v["leaseId"].as_str().unwrap_or_default().to_owned();
        let outcome = match v["outcome"].as_str() {
            Some("proceed") if !lease_id.is_empty() => Begin::Proceed,
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
        };
        Ok((outcome, lease_id))
    }

    pub async fn complete(&self, lease_id: &str, status: u16, sealed_body: &str) -> ApiResult<()> {
        rpc::call(
            &self.stub,
            "complete",
            &json!({"leaseId": lease_id, "status": status, "sealedBody": sealed_body}),
        )
        .await
    }

    /// Releases the key after a failed first attempt, so a retry can run.
    pub async fn abandon(&self, lease_id: &str) -> ApiResult<()> {
        rpc::call(&self.stub, "abandon", &json!({ "leaseId": lease_id })).await
    }
}
