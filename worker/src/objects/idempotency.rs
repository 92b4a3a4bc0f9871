//! `IdempotencyObject`: one object per (client, mode, Idempotency-Key),
//! serialising concurrent uses of one key. The first request holds a lease
//! while it prepares its answer (a retry meanwhile gets 409), stores the
//! answer and the work behind it before doing the work, then finishes; a
//! retry that finds a prepared answer redoes the work and finishes instead,
//! so a worker dying in between never makes the work happen twice.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::domain::crypto::hex;
use crate::domain::idempotency::{begin, finish, may_abandon, prepare, Begin, Record};
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
struct Prepare {
    lease_id: String,
    work: String,
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
            "prepare" => rpc::answer(self.prepare(&body)),
            "finish" => rpc::answer(self.finish()),
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
            Begin::Resume {
                work,
                status,
                sealed_body,
            } => {
                json!({"outcome": "resume", "work": work, "status": status, "sealedBody": sealed_body})
            }
        })
    }

    /// Stores the answer and its work if the caller still holds the lease;
    /// `false` when a retry took over (the caller must then do nothing).
    fn prepare(&self, body: &Value) -> ApiResult<bool> {
        let p: Prepare = rpc::arg(body)?;
        let existing: Option<Record> = self.kv.get(KEY)?;
        match prepare(
            existing.as_ref(),
            &p.lease_id,
            &p.work,
            p.status,
            &p.sealed_body,
        ) {
            Some(prepared) => {
                self.kv.put(KEY, &prepared)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Marks the prepared work done (a no-op if already done).
    fn finish(&self) -> ApiResult<()> {
        let existing: Option<Record> = self.kv.get(KEY)?;
        if let Some(done) = finish(existing.as_ref()) {
            self.kv.put(KEY, &done)?;
        }
        Ok(())
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

fn status_of(v: &Value) -> u16 {
    v["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200)
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
                status: status_of(&v),
                sealed_body: v["sealedBody"].as_str().unwrap_or_default().to_owned(),
            },
            Some("resume") => Begin::Resume {
                work: v["work"].as_str().unwrap_or_default().to_owned(),
                status: status_of(&v),
                sealed_body: v["sealedBody"].as_str().unwrap_or_default().to_owned(),
            },
            _ => return Err(ApiError::Internal("idempotency: bad outcome".into())),
        };
        Ok((outcome, lease_id))
    }

    /// Records the answer and the work behind it before the work is done;
    /// `false` when the lease was lost (do not do the work).
    pub async fn prepare(
        &self,
        lease_id: &str,
        work: &str,
        status: u16,
        sealed_body: &str,
    ) -> ApiResult<bool> {
        rpc::call(
            &self.stub,
            "prepare",
            &json!({"leaseId": lease_id, "work": work, "status": status, "sealedBody": sealed_body}),
        )
        .await
    }

    /// The prepared work is done: later uses of the key replay the answer.
    pub async fn finish(&self) -> ApiResult<()> {
        rpc::call(&self.stub, "finish", &json!({})).await
    }

    /// Releases the key after a failed first attempt, so a retry can run.
    pub async fn abandon(&self, lease_id: &str) -> ApiResult<()> {
        rpc::call(&self.stub, "abandon", &json!({ "leaseId": lease_id })).await
    }
}
