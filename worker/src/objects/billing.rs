//! `BillingLedger`: one object per store (named `stripe`, `appstore`,
//! `playstore`), the record of every verified billing event: which were
//! seen (so a redelivery is applied once) and what each did, listed per
//! client or user for the operator.
//!
//! The order check lives with the state it protects (`ClientObject`,
//! `UserObject` compare the store's event time), so applying an event again
//! after a crash between the change and its record changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::billing::{LedgerEntry, Source};
use crate::error::ApiResult;

pub const BINDING: &str = "BILLING_LEDGER";
const EVENT: &str = "e:";
const BY_CLIENT: &str = "c:";
const BY_USER: &str = "u:";
/// Entries kept per client or user; older ones are pruned from the listing.
const KEEP_PER_SUBJECT: usize = 500;
/// Longest list one call returns.
pub const LIST_MAX: usize = 100;

/// The calls a `BillingLedger` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum LedgerCall {
    /// The entry of an event already recorded, if any.
    #[serde(rename_all = "camelCase")]
    Seen { event_id: String },
    /// Records an event once (a second record of the same id is ignored);
    /// replies whether it was new.
    Record { entry: Box<LedgerEntry> },
    /// A subject's entries, newest first, at most `limit`.
    #[serde(rename_all = "camelCase")]
    List {
        client_id: Option<String>,
        user_id: Option<String>,
        limit: usize,
    },
}

#[durable_object]
pub struct BillingLedger {
    kv: SqlKv,
}

impl DurableObject for BillingLedger {
    fn new(state: State, _env: Env) -> Self {
        Self {
            kv: SqlKv::new(&state),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: LedgerCall| async move { self.handle(call) }).await
    }
}

/// Sorts by time, then id, so listing in key order is newest first when descending.
fn order_key(entry: &LedgerEntry) -> String {
    format!("{:015}:{}", entry.received_at.max(0), entry.event_id)
}

impl BillingLedger {
    fn handle(&self, call: LedgerCall) -> ApiResult<Value> {
        match call {
            LedgerCall::Seen { event_id } => {
                rpc::reply(self.kv.get::<LedgerEntry>(&format!("{EVENT}{event_id}"))?)
            }
            LedgerCall::Record { entry } => rpc::reply(self.record(*entry)?),
            LedgerCall::List {
                client_id,
                user_id,
                limit,
            } => {
                let prefix = match (client_id, user_id) {
                    (Some(c), _) => format!("{BY_CLIENT}{c}:"),
                    (None, Some(u)) => format!("{BY_USER}{u}:"),
                    (None, None) => return rpc::reply(Vec::<LedgerEntry>::new()),
                };
                let rows = self
                    .kv
                    .list::<LedgerEntry>(&prefix, limit.min(LIST_MAX + 1), true)?;
                rpc::reply(rows.into_iter().map(|(_, e)| e).collect::<Vec<_>>())
            }
        }
    }

    /// No `.await` between the check and the writes: two deliveries of one
    /// event racing here record it once.
    fn record(&self, entry: LedgerEntry) -> ApiResult<bool> {
        let key = format!("{EVENT}{}", entry.event_id);
        if self.kv.get::<LedgerEntry>(&key)?.is_some() {
            return Ok(false);
        }
        self.kv.put(&key, &entry)?;
        let subjects = [
            entry.client_id.as_ref().map(|c| format!("{BY_CLIENT}{c}:")),
            entry.user_id.as_ref().map(|u| format!("{BY_USER}{u}:")),
        ];
        for prefix in subjects.into_iter().flatten() {
            self.kv
                .put(&format!("{prefix}{}", order_key(&entry)), &entry)?;
            self.prune(&prefix)?;
        }
        Ok(true)
    }

    /// Keeps a subject's listing bounded (the `e:` entries stay, for dedup).
    fn prune(&self, prefix: &str) -> ApiResult<()> {
        let n = self.kv.count(prefix)?;
        if n > KEEP_PER_SUBJECT {
            let old = self.kv.list::<Value>(prefix, n - KEEP_PER_SUBJECT, false)?;
            for (k, _) in old {
                self.kv.delete(&k)?;
            }
        }
        Ok(())
    }
}

/// Typed client of one store's ledger.
pub struct BillingLedgerClient {
    stub: rpc::Stub,
}

impl BillingLedgerClient {
    pub fn new(env: &Env, source: Source) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, source.as_str())?,
        })
    }

    pub async fn seen(&self, event_id: &str) -> ApiResult<Option<LedgerEntry>> {
        rpc::invoke(
            &self.stub,
            &LedgerCall::Seen {
                event_id: event_id.to_owned(),
            },
        )
        .await
    }

    pub async fn record(&self, entry: LedgerEntry) -> ApiResult<bool> {
        rpc::invoke(
            &self.stub,
            &LedgerCall::Record {
                entry: Box::new(entry),
            },
        )
        .await
    }

    pub async fn list(
        &self,
        client_id: Option<String>,
        user_id: Option<String>,
        limit: usize,
    ) -> ApiResult<Vec<LedgerEntry>> {
        rpc::invoke(
            &self.stub,
            &LedgerCall::List {
                client_id,
                user_id,
                limit,
            },
        )
        .await
    }
}
