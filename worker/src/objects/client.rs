//! `ClientObject`: one object per partner (named by its client id), the
//! authority on everything that decides whether a partner's request may run:
//! status, plan, API-key hashes (with a rotated key's overlap), webhook URL
//! and sealed secrets, and the per-client rate counter.
//!
//! A partner request reaches it in one hop from `X-Client-ID`: key check,
//! status and rate limit are one synchronous step here (for a consent
//! creation, with the per-recipient limit). Every change is a
//! read-modify-write with no `.await` inside, so an operator's suspension and a
//! partner's concurrent rename cannot undo each other. KV `CLIENTS` stays the
//! directory, written through from here after each change.

use std::cell::{Cell, RefCell};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::ctx::Ctx;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::domain::billing::{Applied, BillingState, PlanChange};
use crate::domain::client::{ClientRecord, KeyRefusal, Settings};
use crate::domain::rate_limit::{Verdict, Window};
use crate::error::{ApiError, ApiResult};
use crate::store::clients::{ClientStore, KeyIndex};

pub const BINDING: &str = "CLIENT_OBJECTS";
const RECORD: &str = "client";
const RATE: &str = "rate";
const BILLING: &str = "billing";
const RATE_WINDOW_MS: i64 = 60_000;
/// Per-recipient consent counters: `rcpt:<window start, 16 digits>:<recipient>`.
/// Fixed windows share their boundaries, so past windows sort first.
const RECIPIENT: &str = "rcpt:";
/// Consents per (client, recipient) per minute (test and live together).
pub const RECIPIENT_LIMIT: u32 = 5;
const RECIPIENT_WINDOW_MS: i64 = 60_000;
/// Past windows' counters dropped per hit (a hit adds at most one).
const RECIPIENT_SWEEP: usize = 8;

/// The calls a `ClientObject` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClientCall {
    /// Stores a new client (409 if the id exists).
    Create { record: Box<ClientRecord> },
    /// Checks an API key (SHA-256 hex) of one mode, the status, and counts one
    /// request against the plan's limit; with `recipient` (a consent creation)
    /// and if that request is allowed, counts one consent to that recipient
    /// too. Replies [`Authenticated`].
    #[serde(rename_all = "camelCase")]
    Authenticate {
        key_hash: String,
        livemode: bool,
        #[serde(default)]
        recipient: Option<String>,
    },
    /// Counts one consent to `recipient` ([`RECIPIENT_LIMIT`] a minute). Replies a [`Verdict`].
    HitRecipient { recipient: String },
    /// The record (404 if none).
    Get,
    /// Applies a `PUT /clients/:id` body, validated here against the current
    /// record; `operator` may change plan and status.
    #[serde(rename_all = "camelCase")]
    Update {
        body: String,
        operator: bool,
        allow_private: bool,
    },
    /// Replaces the key of one mode; replies the old key's expiry (unix ms).
    #[serde(rename_all = "camelCase")]
    RotateKey {
        livemode: bool,
        key_hash: String,
        expires_in_s: i64,
    },
    /// Replaces the sealed webhook secret; replies the old one's expiry (unix ms).
    #[serde(rename_all = "camelCase")]
    RotateWebhookSecret { sealed: String, expires_in_s: i64 },
    /// Where and with what the outbox signs now. Replies [`WebhookTarget`].
    WebhookTarget,
    /// A verified billing event's plan and billing status, unless a newer
    /// event (store time `as_of`, unix ms) already set them. Replies [`Applied`].
    #[serde(rename_all = "camelCase")]
    SetBilling { change: PlanChange, as_of: i64 },
}

/// The webhook endpoint and the sealed secrets to sign with: the current one
/// first, then a rotated one during its overlap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTarget {
    pub url: Option<String>,
    pub sealed_secrets: Vec<String>,
}

/// A call, with the client id the object is named by.
#[derive(Serialize, Deserialize)]
struct Envelope {
    id: String,
    call: ClientCall,
}

/// A partner's request that may run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authenticated {
    pub client: ClientRecord,
    /// The rate-limit verdict (may refuse: the worker answers 429 with its headers).
    pub verdict: Verdict,
    /// The recipient's verdict, when one was asked for and the request was allowed.
    #[serde(default)]
    pub recipient: Option<Verdict>,
}

#[durable_object]
pub struct ClientObject {
    env: Env,
    kv: SqlKv,
    /// The stored record and rate window as last read or written. An object
    /// is single-threaded and the only writer of its storage, so while it
    /// lives these are what storage holds; every change still writes storage
    /// first (synchronously, before the reply), so nothing rests on memory.
    record: RefCell<Option<ClientRecord>>,
    window: Cell<Option<Window>>,
}

impl DurableObject for ClientObject {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self {
            env,
            kv,
            record: RefCell::new(None),
            window: Cell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |e: Envelope| self.handle(e.id, e.call, Ctx::new().now)).await
    }
}

impl ClientObject {
    async fn handle(&self, id: String, call: ClientCall, now: i64) -> ApiResult<Value> {
        match call {
            ClientCall::Create { record } => self.create(*record).await.and_then(rpc::reply),
            ClientCall::Authenticate {
                key_hash,
                livemode,
                recipient,
            } => {
                let client = self.load(&id).await?;
                let mut authenticated = self.authenticate(client, &key_hash, livemode, now)?;
                if let (true, Some(r)) = (authenticated.verdict.allowed, recipient) {
                    authenticated.recipient = Some(self.hit_recipient(&r, now)?);
                }
                rpc::reply(authenticated)
            }
            ClientCall::HitRecipient { recipient } => {
                rpc::reply(self.hit_recipient(&recipient, now)?)
            }
            ClientCall::Get => rpc::reply(self.load(&id).await?),
            ClientCall::WebhookTarget => {
                let client = self.load(&id).await?;
                rpc::reply(WebhookTarget {
                    sealed_secrets: client
                        .signing_secrets(now)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    url: client.webhook_url,
                })
            }
            ClientCall::Update {
                body,
                operator,
                allow_private,
            } => {
                let mut client = self.load(&id).await?;
                let settings = Settings::parse_update(body.as_bytes(), allow_private)?;
                if settings.touches_operator_fields() && !operator {
                    return Err(ApiError::forbidden(
                        "Only the platform operator may change plan or status.",
                    ));
                }
                client.apply(settings)?;
                self.save(&client).await?;
                rpc::reply(client)
            }
            ClientCall::RotateKey {
                livemode,
                key_hash,
                expires_in_s,
            } => {
                let mut client = self.load(&id).await?;
                let until = client.rotate_key(livemode, key_hash.clone(), expires_in_s, now);
                self.save(&client).await?;
                self.index_key(&key_hash, &client.id, livemode).await;
                rpc::reply(until)
            }
            ClientCall::SetBilling { change, as_of } => {
                rpc::reply(self.set_billing(&id, change, as_of).await?)
            }
            ClientCall::RotateWebhookSecret {
                sealed,
                expires_in_s,
            } => {
                let mut client = self.load(&id).await?;
                let until = client.rotate_webhook_secret(sealed, expires_in_s, now);
                self.save(&client).await?;
                rpc::reply(until)
            }
        }
    }

    /// The stored record, from memory once read (see [`ClientObject::record`]).
    fn stored(&self) -> ApiResult<Option<ClientRecord>> {
        if let Some(c) = self.record.borrow().as_ref() {
            return Ok(Some(c.clone()));
        }
        let stored = self.kv.get::<ClientRecord>(RECORD)?;
        self.record.replace(stored.clone());
        Ok(stored)
    }

    /// Writes the record to storage, then to memory.
    fn put_record(&self, client: &ClientRecord) -> ApiResult<()> {
        self.kv.put(RECORD, client)?;
        self.record.replace(Some(client.clone()));
        Ok(())
    }

    /// The record; a client created before this object existed is adopted
    /// from the KV directory on first use.
    async fn load(&self, id: &str) -> ApiResult<ClientRecord> {
        if let Some(c) = self.stored()? {
            return Ok(c);
        }
        let adopted = ClientStore::new(&self.env)?
            .get(id)
            .await?
            .filter(|c| c.id == id)
            .ok_or(ApiError::NotFound)?;
        // Re-read after the await: a concurrent call may have adopted or created it.
        if let Some(c) = self.stored()? {
            return Ok(c);
        }
        self.put_record(&adopted)?;
        Ok(adopted)
    }

    async fn create(&self, record: ClientRecord) -> ApiResult<()> {
        if self.stored()?.is_some() {
            return Err(ApiError::Conflict("This client already exists.".into()));
        }
        self.save(&record).await?;
        self.index_key(&record.key_hashes.live, &record.id, true)
            .await;
        self.index_key(&record.key_hashes.test, &record.id, false)
            .await;
        Ok(())
    }

    /// Read-modify-write of plan and billing status with no `.await` between
    /// the order check and the writes (the record is loaded first, so a
    /// client adopted from KV is in storage before the check).
    async fn set_billing(&self, id: &str, change: PlanChange, as_of: i64) -> ApiResult<Applied> {
        self.load(id).await?;
        let mut client = self.stored()?.ok_or(ApiError::NotFound)?;
        if let Some(current) = self.kv.get::<BillingState>(BILLING)? {
            // Equal times apply: Stripe's `created` is in seconds and one
            // checkout sends several events in the same second.
            if as_of < current.as_of {
                return Ok(Applied::Stale);
            }
        }
        self.kv.put(
            BILLING,
            &BillingState {
                status: change.status,
                as_of,
            },
        )?;
        if let Some(plan) = change.plan {
            client.plan = plan;
        }
        // The rate limit reads the plan from this record at the next request.
        self.save(&client).await?;
        Ok(Applied::Applied)
    }

    /// Key, status and rate in one synchronous step.
    fn authenticate(
        &self,
        client: ClientRecord,
        key_hash: &str,
        livemode: bool,
        now: i64,
    ) -> ApiResult<Authenticated> {
        match client.authenticate(key_hash, livemode, now) {
            Ok(()) => {}
            Err(KeyRefusal::UnknownKey) => return Err(ApiError::Unauthorized),
            Err(KeyRefusal::Suspended) => {
                return Err(ApiError::forbidden("This client is suspended."))
            }
        }
        let mut window = match self.window.get() {
            Some(w) => w,
            None => self.kv.get(RATE)?.unwrap_or_default(),
        };
        let verdict = window.hit(now, client.plan.requests_per_minute(), RATE_WINDOW_MS);
        // Stored on every request (a crash loses no counted request), then kept.
        self.kv.put(RATE, &window)?;
        self.window.set(Some(window));
        Ok(Authenticated {
            client,
            verdict,
            recipient: None,
        })
    }

    /// One consent to `recipient` in the current minute (synchronous).
    fn hit_recipient(&self, recipient: &str, now: i64) -> ApiResult<Verdict> {
        let start = now - now.rem_euclid(RECIPIENT_WINDOW_MS);
        let current = format!("{RECIPIENT}{start:016}:");
        for (key, _) in self.kv.list::<Value>(RECIPIENT, RECIPIENT_SWEEP, false)? {
            if key >= current {
                break;
            }
            self.kv.delete(&key)?;
        }
        let key = format!("{current}{recipient}");
        let mut window: Window = self.kv.get(&key)?.unwrap_or_default();
        let verdict = window.hit(now, RECIPIENT_LIMIT, RECIPIENT_WINDOW_MS);
        self.kv.put(&key, &window)?;
        Ok(verdict)
    }

    /// Stores the record (the authority), then writes the directory through.
    async fn save(&self, client: &ClientRecord) -> ApiResult<()> {
        self.put_record(client)?;
        // The change stands even if the directory write fails; the next change rewrites it.
        if let Err(e) = async { ClientStore::new(&self.env)?.put(client).await }.await {
            worker::console_error!("client directory write-through: {e:?}");
        }
        Ok(())
    }

    /// The key-hash directory entry (read-mostly lookups; authentication uses this object).
    async fn index_key(&self, key_hash: &str, client_id: &str, livemode: bool) {
        let index = KeyIndex {
            client_id: client_id.to_owned(),
            livemode,
        };
        if let Err(e) = async { ClientStore::new(&self.env)?.put_key(key_hash, &index).await }.await
        {
            worker::console_error!("key index write: {e:?}");
        }
    }
}

/// Typed client of one partner's object.
pub struct ClientObjectClient {
    id: String,
    stub: rpc::Stub,
}

impl ClientObjectClient {
    pub fn new(env: &Env, client_id: &str) -> ApiResult<Self> {
        Ok(Self {
            id: client_id.to_owned(),
            stub: rpc::stub(env, BINDING, client_id)?,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, call: ClientCall) -> ApiResult<T> {
        rpc::invoke(
            &self.stub,
            &Envelope {
                id: self.id.clone(),
                call,
            },
        )
        .await
    }

    pub async fn create(&self, record: ClientRecord) -> ApiResult<()> {
        self.call(ClientCall::Create {
            record: Box::new(record),
        })
        .await
    }

    /// `recipient`: also count a consent to it (see [`ClientCall::Authenticate`]).
    pub async fn authenticate(
        &self,
        key_hash: String,
        livemode: bool,
        recipient: Option<String>,
    ) -> ApiResult<Authenticated> {
        self.call(ClientCall::Authenticate {
            key_hash,
            livemode,
            recipient,
        })
        .await
    }

    pub async fn hit_recipient(&self, recipient: &str) -> ApiResult<Verdict> {
        self.call(ClientCall::HitRecipient {
            recipient: recipient.to_owned(),
        })
        .await
    }

    pub async fn get(&self) -> ApiResult<ClientRecord> {
        self.call(ClientCall::Get).await
    }

    pub async fn update(
        &self,
        body: String,
        operator: bool,
        allow_private: bool,
    ) -> ApiResult<ClientRecord> {
        self.call(ClientCall::Update {
            body,
            operator,
            allow_private,
        })
        .await
    }

    pub async fn rotate_key(
        &self,
        livemode: bool,
        key_hash: String,
        expires_in_s: i64,
    ) -> ApiResult<i64> {
        self.call(ClientCall::RotateKey {
            livemode,
            key_hash,
            expires_in_s,
        })
        .await
    }

    pub async fn webhook_target(&self) -> ApiResult<WebhookTarget> {
        self.call(ClientCall::WebhookTarget).await
    }

    pub async fn set_billing(&self, change: PlanChange, as_of: i64) -> ApiResult<Applied> {
        self.call(ClientCall::SetBilling { change, as_of }).await
    }

    pub async fn rotate_webhook_secret(&self, sealed: String, expires_in_s: i64) -> ApiResult<i64> {
        self.call(ClientCall::RotateWebhookSecret {
            sealed,
            expires_in_s,
        })
        .await
    }
}
