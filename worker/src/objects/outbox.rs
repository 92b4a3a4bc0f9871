//! `WebhookOutbox`: one object per (client, mode), i.e. per endpoint. It
//! turns events into signed deliveries, stores them before acknowledging,
//! and sends what is due from its alarm, several at once. What an answer
//! means and when to retry is `domain::delivery`; the fetch is
//! `webhook_sender`; the tables are `outbox_store`.

use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::client::ClientObjectClient;
use super::ctx::Ctx;
use super::outbox_store::OutboxStore;
use super::rpc;
use super::sql_kv::SqlKv;
use crate::config::Config;
use crate::domain::crypto::open;
use crate::domain::delivery::{
    claim_until, next_alarm, retry_horizon_ms, Delivery, Outcome, WebhookRequest, BATCH,
    MAX_IN_FLIGHT,
};
use crate::domain::ids;
use crate::domain::tenant::Mode;
use crate::domain::webhook::{secret_key, signed_body, OutgoingEvent};
use crate::error::{ApiError, ApiResult};
use crate::webhook_sender::{FetchSender, WebhookSender};

pub const BINDING: &str = "WEBHOOK_OUTBOX";
/// Sealing purpose of webhook secrets in client records.
pub const WEBHOOK_SECRET_SEAL: &str = "webhook-secret";
const LIST_MAX: usize = 100;
const CLIENT_ID: &str = "client";

/// The calls a `WebhookOutbox` serves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutboxCall {
    /// Stores the event as a signed delivery (idempotent per event id).
    Enqueue { event: Box<OutgoingEvent> },
    /// The newest deliveries, list shape.
    List { limit: usize },
    /// An operator/partner retry of one delivery.
    #[serde(rename_all = "camelCase")]
    Retry { delivery_id: String },
    /// Re-arms the alarm (local workerd reloads alarms only on use).
    Wake,
}

#[durable_object]
pub struct WebhookOutbox {
    state: State,
    env: Env,
    kv: SqlKv,
    store: OutboxStore,
    /// The isolate's configuration (read once per isolate).
    config: Rc<Config>,
}

impl DurableObject for WebhookOutbox {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        let store = OutboxStore::new(&state);
        let config = Config::cached(&env);
        let seen_until = Ctx::new()
            .now
            .saturating_add(retry_horizon_ms(config.webhook_retry_base_ms));
        if let Err(e) = store.migrate_from(&kv, seen_until) {
            worker::console_error!("outbox migration: {e:?}");
        }
        Self {
            state,
            env,
            kv,
            store,
            config,
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve(req, |call: OutboxCall| async move {
            let ctx = Ctx::new();
            match call {
                OutboxCall::Enqueue { event } => rpc::reply(self.enqueue(*event, &ctx).await?),
                OutboxCall::List { limit } => self.list(limit),
                OutboxCall::Retry { delivery_id } => self.retry(&delivery_id, ctx.now).await,
                OutboxCall::Wake => rpc::reply(self.reschedule(ctx.now).await?),
            }
        })
        .await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let ctx = Ctx::new();
        if let Err(e) = self.deliver_due(&FetchSender, &ctx).await {
            worker::console_error!("outbox alarm: {e:?}");
        }
        if let Err(e) = self.reschedule(ctx.now).await {
            worker::console_error!("outbox reschedule: {e:?}");
        }
        Response::empty()
    }
}

impl WebhookOutbox {
    /// Stores the signed delivery, then arms the alarm. Idempotent per event
    /// id: the duplicate check and the write are one synchronous step after
    /// the last await, so two concurrent forwards make one delivery.
    async fn enqueue(&self, event: OutgoingEvent, ctx: &Ctx) -> ApiResult<()> {
        let now = ctx.now;
        // Cheap early exit; the authoritative check is in `admit` below.
        if self.store.seen(&event.id, now)? {
            return Ok(());
        }
        let target = ClientObjectClient::new(&self.env, &event.client_id)?
            .webhook_target()
            .await?;
        let seen_until = now.saturating_add(retry_horizon_ms(self.config.webhook_retry_base_ms));
        if target.url.is_none() {
            // Nowhere to send it; remember the event so a re-forward is a no-op.
            return self.store.mark_seen(&event.id, seen_until);
        }
        // The body's own signature uses the current secret only (DESIGN §4).
        let key = self
            .signing_keys(&target.sealed_secrets)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal("client without a webhook secret".into()))?;
        let delivery = Delivery::new(
            ctx.random(|r| ids::delivery_id(r))?,
            event.id.clone(),
            event.event.clone(),
            signed_body(&event.event, event.timestamp_ms, &event.data, &key),
            now,
        );
        self.kv.put(CLIENT_ID, &event.client_id)?;
        if !self.store.admit(&delivery, seen_until, now)? {
            return Ok(());
        }
        self.state.storage().set_alarm(super::alarm_at(now)).await?;
        Ok(())
    }

    /// The HMAC keys of sealed `whsec_` secrets, in order.
    fn signing_keys(&self, sealed: &[String]) -> ApiResult<Vec<Vec<u8>>> {
        let seal_key = self.config.sealing_key(WEBHOOK_SECRET_SEAL)?;
        sealed
            .iter()
            .map(|s| {
                open(&seal_key, s)
                    .and_then(|s| String::from_utf8(s).ok())
                    .and_then(|s| secret_key(&s))
                    .ok_or_else(|| ApiError::Internal("webhook secret unseal failed".into()))
            })
            .collect()
    }

    fn list(&self, limit: usize) -> ApiResult<Value> {
        let limit = limit.clamp(1, LIST_MAX);
        let mut items = self.store.newest(limit + 1)?;
        let has_more = items.len() > limit;
        items.truncate(limit);
        Ok(json!({
            "object": "list",
            "data": items.iter().map(Delivery::view).collect::<Vec<_>>(),
            "hasMore": has_more,
        }))
    }

    async fn retry(&self, id: &str, now: i64) -> ApiResult<Value> {
        let mut d = self.store.get(id)?.ok_or(ApiError::NotFound)?;
        d.retry(now);
        self.store.save(&d)?;
        self.state.storage().set_alarm(super::alarm_at(now)).await?;
        Ok(d.view())
    }

    /// Prunes, claims what is due (at most [`BATCH`]) and sends it,
    /// [`MAX_IN_FLIGHT`] at a time, recording each outcome as soon as it
    /// arrives, then prunes again. A batch can take many seconds, so each
    /// signature and outcome takes [`Ctx::later`], not the alarm's start.
    async fn deliver_due(&self, sender: &impl WebhookSender, ctx: &Ctx) -> ApiResult<()> {
        let now = ctx.now;
        self.store.prune(now)?;
        let until = claim_until(now);
        let due = self.store.claim_due(now, BATCH, until)?;
        if due.is_empty() {
            return Ok(());
        }
        // If this alarm dies mid-batch, the claims lapse and this retries them.
        self.state
            .storage()
            .set_alarm(super::alarm_at(until))
            .await?;
        let target = self.target().await;
        let attempts = due.into_iter().map(|d| {
            let target = &target;
            async move {
                let (outcome, sent) = match target {
                    Ok((url, keys)) => {
                        let request = d.request(url, keys, ctx.later());
                        (sender.send(&request).await, Some(request))
                    }
                    Err(_) => (Outcome::Unreachable, None),
                };
                (d.id, outcome, sent)
            }
        });
        let mut results = stream::iter(attempts).buffer_unordered(MAX_IN_FLIGHT);
        while let Some((id, outcome, sent)) = results.next().await {
            if let Err(e) = self.record(&id, &outcome, sent.as_ref(), ctx.later()) {
                worker::console_error!("outbox record {id}: {e:?}");
            }
        }
        if let Err(e) = &target {
            worker::console_error!("outbox without a usable endpoint: {e:?}");
        }
        // Deliveries that just finished may put the outbox over its limit,
        // and no later event may come to prune them.
        self.store.prune(ctx.later())
    }

    /// The endpoint and signing keys (current first), read once per alarm
    /// from the client's object: a rotation or URL change applies at once.
    async fn target(&self) -> ApiResult<(String, Vec<Vec<u8>>)> {
        let client_id: String = self
            .kv
            .get(CLIENT_ID)?
            .ok_or_else(|| ApiError::Internal("outbox without a client".into()))?;
        let target = ClientObjectClient::new(&self.env, &client_id)?
            .webhook_target()
            .await?;
        let url = target
            .url
            .ok_or_else(|| ApiError::Internal("no webhook URL".into()))?;
        Ok((url, self.signing_keys(&target.sealed_secrets)?))
    }

    /// Applies an outcome to the stored record (re-read: an operator retry
    /// may have changed it while the attempt was in flight).
    fn record(
        &self,
        id: &str,
        outcome: &Outcome,
        sent: Option<&WebhookRequest>,
        now: i64,
    ) -> ApiResult<()> {
        let Some(mut d) = self.store.get(id)? else {
            return Ok(());
        };
        if let Some(request) = sent {
            d.sent(request);
        }
        d.record(outcome, now, self.config.webhook_retry_base_ms);
        self.store.save(&d)
    }

    /// Arms the alarm for the next due delivery or, with none, for the
    /// sweep of the earliest seen-marker (see `delivery::next_alarm`).
    async fn reschedule(&self, now: i64) -> ApiResult<()> {
        let due = self.store.next_due()?;
        let marker = self.store.next_marker_expiry()?;
        if let Some(at) = next_alarm(due, marker) {
            self.state
                .storage()
                .set_alarm(super::alarm_at(at.max(now)))
                .await?;
        }
        Ok(())
    }
}

/// Typed client of a client's outbox in one mode.
pub struct OutboxClient {
    stub: rpc::Stub,
}

impl OutboxClient {
    pub fn new(env: &Env, client_id: &str, livemode: bool) -> ApiResult<Self> {
        let mode = Mode::from_livemode(livemode);
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{client_id}:{mode}"))?,
        })
    }

    pub async fn enqueue(&self, event: &OutgoingEvent) -> ApiResult<()> {
        rpc::invoke(
            &self.stub,
            &OutboxCall::Enqueue {
                event: Box::new(event.clone()),
            },
        )
        .await
    }

    pub async fn list(&self, limit: usize) -> ApiResult<Value> {
        rpc::invoke(&self.stub, &OutboxCall::List { limit }).await
    }

    /// Re-arms the outbox's alarm if deliveries are pending. Local workerd only
    /// re-loads an object's alarm when the object is next used, so a restarted
    /// `wrangler dev` resumes delivery on the client's first request.
    pub async fn wake(&self) -> ApiResult<()> {
        rpc::invoke(&self.stub, &OutboxCall::Wake).await
    }

    pub async fn retry(&self, delivery_id: &str) -> ApiResult<Value> {
        rpc::invoke(
            &self.stub,
            &OutboxCall::Retry {
                delivery_id: delivery_id.to_owned(),
            },
        )
        .await
    }
}
