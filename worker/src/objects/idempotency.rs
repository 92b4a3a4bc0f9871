//! `IdempotencyObject`: one object per (client, mode, Idempotency-Key),
//! serialising concurrent uses of one key. The first request holds a lease
//! while it prepares its answer (a retry meanwhile gets 409), stores the
//! answer and the work behind it before doing the work, then finishes; a
//! retry that finds a prepared answer redoes the work and finishes instead,
//! so a worker dying in between never makes the work happen twice.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::crypto::hex;
use crate::domain::idempotency::{begin, finish, may_abandon, prepare, Begin, Record};
use crate::domain::random::Random;
use crate::error::ApiResult;

pub const BINDING: &str = "IDEMPOTENCY";
const KEY: &str = "record";

/// The calls an `IdempotencyObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdempotencyCall {
    /// Decides a request with this body fingerprint; replies [`Begun`].
    Begin { fingerprint: String },
    /// Records the answer and its work under the lease; replies whether the
    /// caller still held it.
    #[serde(rename_all = "camelCase")]
    Prepare {
        lease_id: String,
        work: String,
        status: u16,
        sealed_body: String,
    },
    /// The prepared work is done.
    Finish,
    /// Releases the key after a failed attempt, if the caller still holds it.
    #[serde(rename_all = "camelCase")]
    Abandon { lease_id: String },
}

/// The answer to [`IdempotencyCall::Begin`]: the outcome, and on `Proceed`
/// the lease id to prepare or abandon with.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Begun {
    pub outcome: Begin,
    pub lease_id: String,
}

#[durable_object]
pub struct IdempotencyObject {
    kv: SqlKv,
}

impl DurableObject for IdempotencyObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: IdempotencyCall| async move {
            match call {
                IdempotencyCall::Begin { fingerprint } => {
                    rpc::reply(self.begin(&fingerprint, &Ctx::new())?)
                }
                IdempotencyCall::Prepare {
                    lease_id,
                    work,
                    status,
                    sealed_body,
                } => rpc::reply(self.prepare(&lease_id, &work, status, &sealed_body)?),
                IdempotencyCall::Finish => rpc::reply(self.finish()?),
                IdempotencyCall::Abandon { lease_id } => rpc::reply(self.abandon(&lease_id)?),
            }
        })
        .await
    }
}

impl IdempotencyObject {
    fn begin(&self, fingerprint: &str, ctx: &Ctx) -> ApiResult<Begun> {
        let now = ctx.now;
        let lease_id = ctx.random(|r| hex(&r.bytes::<16>()))?;
        let existing: Option<Record> = self.kv.get(KEY)?;
        let (outcome, record) = begin(existing.as_ref(), fingerprint, now, &lease_id);
        if let Some(record) = record {
            self.kv.put(KEY, &record)?;
        }
        Ok(Begun { outcome, lease_id })
    }

    /// Stores the answer and its work if the caller still holds the lease;
    /// `false` when a retry took over (the caller must then do nothing).
    fn prepare(
        &self,
        lease_id: &str,
        work: &str,
        status: u16,
        sealed_body: &str,
    ) -> ApiResult<bool> {
        let existing: Option<Record> = self.kv.get(KEY)?;
        match prepare(existing.as_ref(), lease_id, work, status, sealed_body) {
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
    fn abandon(&self, lease_id: &str) -> ApiResult<()> {
        let existing: Option<Record> = self.kv.get(KEY)?;
        if may_abandon(existing.as_ref(), lease_id) {
            self.kv.delete(KEY)?;
        }
        Ok(())
    }
}

pub struct IdempotencyClient {
    stub: rpc::Stub,
}

impl IdempotencyClient {
    /// `scope_hash` identifies client, mode and key without storing the key.
    pub fn new(env: &Env, scope_hash: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, scope_hash)?,
        })
    }

    /// With `Proceed`, the lease id to prepare or abandon with.
    pub async fn begin(&self, fingerprint: &str) -> ApiResult<(Begin, String)> {
        let begun: Begun = rpc::invoke(
            &self.stub,
            &IdempotencyCall::Begin {
                fingerprint: fingerprint.to_owned(),
            },
        )
        .await?;
        Ok((begun.outcome, begun.lease_id))
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
        rpc::invoke(
            &self.stub,
            &IdempotencyCall::Prepare {
                lease_id: lease_id.to_owned(),
                work: work.to_owned(),
                status,
                sealed_body: sealed_body.to_owned(),
            },
        )
        .await
    }

    /// The prepared work is done: later uses of the key replay the answer.
    pub async fn finish(&self) -> ApiResult<()> {
        rpc::invoke(&self.stub, &IdempotencyCall::Finish).await
    }

    /// Releases the key after a failed first attempt, so a retry can run.
    pub async fn abandon(&self, lease_id: &str) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &IdempotencyCall::Abandon {
                lease_id: lease_id.to_owned(),
            },
        )
        .await
    }
}
