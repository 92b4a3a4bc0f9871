//! `WebhookOutbox`: one object per (client, mode). It turns events into
//! signed deliveries, stores them before acknowledging, and delivers them
//! from its alarm with exponential backoff, so nothing is lost when the
//! worker restarts between an event and its delivery.

use futures_util::future::{select, Either};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    durable_object, AbortController, Delay, DurableObject, Env, Fetch, Headers, Method, Request,
    RequestInit, Response, State,
};

use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::config::Config;
use crate::domain::crypto::open;
use crate::domain::ids;
use crate::domain::time::rfc3339;
use crate::domain::webhook::{
    retry_delay_ms, secret_key, signed_body, standard_signature, OutgoingEvent, ATTEMPT_TIMEOUT_MS,
};
use crate::error::{ApiError, ApiResult};
use crate::store::clients::ClientStore;

pub const BINDING: &str = "WEBHOOK_OUTBOX";
/// Sealing purpose of webhook secrets in client records.
pub const WEBHOOK_SECRET_SEAL: &str = "webhook-secret";
/// Deliveries kept for listing; older finished ones are pruned.
const KEEP: usize = 500;
const LIST_MAX: usize = 100;
const CLIENT_ID: &str = "client";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    id: String,
    event_id: String,
    event: String,
    body: String,
    status: DeliveryStatus,
    attempts: u32,
    created_at: i64,
    last_attempt_at: Option<i64>,
    next_attempt_at: Option<i64>,
    response_status: Option<u16>,
}

impl Delivery {
    fn view(&self) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_delivery",
            "eventId": self.event_id,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "createdAt": rfc3339(self.created_at),
            "lastAttemptAt": self.last_attempt_at.map(rfc3339),
            "nextAttemptAt": self.next_attempt_at.map(rfc3339),
            "responseStatus": self.response_status,
        })
    }
}

fn delivery_key(d: &Delivery) -> String {
    format!("d:{:016}:{}", d.created_at, d.id)
}

#[durable_object]
pub struct WebhookOutbox {
    state: State,
    env: Env,
    kv: SqlKv,
}

impl DurableObject for WebhookOutbox {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, env, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let (op, body) = rpc::read(req).await?;
        match op.as_str() {
            "enqueue" => rpc::answer(self.enqueue(&body).await),
            "list" => rpc::answer(self.list(&body)),
            "retry" => rpc::answer(self.retry(&body).await),
            "wake" => rpc::answer(self.reschedule().await),
            _ => rpc::answer::<()>(Err(ApiError::NotFound)),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.deliver_due().await {
            worker::console_error!("outbox alarm: {e:?}");
        }
        if let Err(e) = self.reschedule().await {
            worker::console_error!("outbox reschedule: {e:?}");
        }
        Response::empty()
    }
}

impl WebhookOutbox {
    /// Stores the signed delivery (idempotent per event id), then arms the alarm.
    async fn enqueue(&self, body: &Value) -> ApiResult<()> {
        let event: OutgoingEvent = rpc::arg(body)?;
        let marker = format!("e:{}", event.id);
        if self.kv.get::<String>(&marker)?.is_some() {
            return Ok(());
        }
        let client = ClientStore::new(&self.env)?
            .get(&event.client_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if client.webhook_url.is_none() {
            // Nowhere to send it; remember the event so a re-forward is a no-op.
            self.kv.put(&marker, &String::new())?;
            return Ok(());
        }
        let key = self.signing_key(&client.webhook_secret_sealed)?;
        let now = now_ms();
        let mut rng = OsRandom::default();
        let delivery = Delivery {
            id: ids::delivery_id(&mut rng),
            event_id: event.id.clone(),
            event: event.event.clone(),
            body: signed_body(&event.event, event.timestamp_ms, &event.data, &key),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            last_attempt_at: None,
            next_attempt_at: Some(now),
            response_status: None,
        };
        if rng.failed() {
            return Err(ApiError::Internal("no randomness".into()));
        }
        self.kv.put(CLIENT_ID, &event.client_id)?;
        self.kv.put(&marker, &delivery.id)?;
        self.kv
            .put(&format!("id:{}", delivery.id), &delivery_key(&delivery))?;
        self.kv.put(&delivery_key(&delivery), &delivery)?;
        self.prune()?;
        self.state.storage().set_alarm(super::alarm_at(now)).await?;
        Ok(())
    }

    fn signing_key(&self, sealed: &str) -> ApiResult<Vec<u8>> {
        let seal_key = Config::from_env(&self.env).sealing_key(WEBHOOK_SECRET_SEAL)?;
        open(&seal_key, sealed)
            .and_then(|s| String::from_utf8(s).ok())
            .and_then(|s| secret_key(&s))
            .ok_or_else(|| ApiError::Internal("webhook secret unseal failed".into()))
    }

    fn prune(&self) -> ApiResult<()> {
        let all: Vec<(String, Delivery)> = self.kv.list("d:", usize::MAX, true)?;
        for (key, d) in all
            .iter()
            .skip(KEEP)
            .filter(|(_, d)| d.status != DeliveryStatus::Pending)
        {
            self.kv.delete(key)?;
            self.kv.delete(&format!("id:{}", d.id))?;
        }
        Ok(())
    }

    fn list(&self, body: &Value) -> ApiResult<Value> {
        let limit = body["limit"]
            .as_u64()
            .map_or(20, |l| l as usize)
            .clamp(1, LIST_MAX);
        let mut items: Vec<(String, Delivery)> = self.kv.list("d:", limit + 1, true)?;
        let has_more = items.len() > limit;
        items.truncate(limit);
        Ok(json!({
            "object": "list",
            "data": items.iter().map(|(_, d)| d.view()).collect::<Vec<_>>(),
            "hasMore": has_more,
        }))
    }

    async fn retry(&self, body: &Value) -> ApiResult<Value> {
        let id: String = rpc::arg(&body["deliveryId"])?;
        let key: String = self
            .kv
            .get(&format!("id:{id}"))?
            .ok_or(ApiError::NotFound)?;
        let mut d: Delivery = self.kv.get(&key)?.ok_or(ApiError::NotFound)?;
        let now = now_ms();
        d.status = DeliveryStatus::Pending;
        d.next_attempt_at = Some(now);
        self.kv.put(&key, &d)?;
        self.state.storage().set_alarm(super::alarm_at(now)).await?;
        Ok(d.view())
    }

    async fn deliver_due(&self) -> ApiResult<()> {
        let now = now_ms();
        let due: Vec<(String, Delivery)> = self
            .kv
            .list::<Delivery>("d:", usize::MAX, false)?
            .into_iter()
            .filter(|(_, d)| {
                d.status == DeliveryStatus::Pending && d.next_attempt_at.is_some_and(|t| t <= now)
            })
            .take(20)
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let Some(client_id) = self.kv.get::<String>(CLIENT_ID)? else {
            return Err(ApiError::Internal("outbox without a client".into()));
        };
        let client = ClientStore::new(&self.env)?.get(&client_id).await?;
        let config = Config::from_env(&self.env);
        for (key, mut d) in due {
            let target = client.as_ref().and_then(|c| {
                c.webhook_url
                    .clone()
                    .map(|u| (u, c.webhook_secret_sealed.clone()))
            });
            let outcome = match &target {
                Some((url, sealed)) => match self.signing_key(sealed) {
                    Ok(k) => send(url, &k, &d).await,
                    Err(e) => Err(format!("{e:?}")),
                },
                None => Err("no webhook URL".into()),
            };
            let at = now_ms();
            d.attempts += 1;
            d.last_attempt_at = Some(at);
            match outcome {
                Ok(status) if (200..300).contains(&status) => {
                    d.status = DeliveryStatus::Delivered;
                    d.response_status = Some(status);
                    d.next_attempt_at = None;
                }
                other => {
                    d.response_status = other.ok();
                    match retry_delay_ms(config.webhook_retry_base_ms, d.attempts) {
                        Some(delay) => d.next_attempt_at = Some(at + delay),
                        None => {
                            d.status = DeliveryStatus::Failed;
                            d.next_attempt_at = None;
                        }
                    }
                }
            }
            self.kv.put(&key, &d)?;
        }
        Ok(())
    }

    async fn reschedule(&self) -> ApiResult<()> {
        let next = self
            .kv
            .list::<Delivery>("d:", usize::MAX, false)?
            .into_iter()
            .filter(|(_, d)| d.status == DeliveryStatus::Pending)
            .filter_map(|(_, d)| d.next_attempt_at)
            .min();
        if let Some(at) = next {
            self.state
                .storage()
                .set_alarm(super::alarm_at(at.max(now_ms())))
                .await?;
        }
        Ok(())
    }
}

/// One attempt: POST with both signatures, 10 s timeout. The status, or why none.
async fn send(url: &str, key: &[u8], d: &Delivery) -> Result<u16, String> {
    let ts = now_ms() / 1000;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("Content-Type", "application/json")?;
    set("User-Agent", "MID-Webhooks/1")?;
    set("webhook-id", &d.event_id)?;
    set("webhook-timestamp", &ts.to_string())?;
    set(
        "webhook-signature",
        &standard_signature(key, &d.event_id, ts, &d.body),
    )?;
    set("X-MID-Event", &d.event)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(d.body.clone().into()));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let fetch = Fetch::Request(req);
    let attempt = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Delay::from(std::time::Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64));
    let result = match select(attempt, timeout).await {
        Either::Left((Ok(resp), _)) => Ok(resp.status_code()),
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(_) => {
            controller.abort();
            Err("timeout".into())
        }
    };
    result
}

/// Typed client of a client's outbox in one mode.
pub struct OutboxClient {
    stub: worker::Stub,
}

impl OutboxClient {
    pub fn new(env: &Env, client_id: &str, livemode: bool) -> ApiResult<Self> {
        let mode = if livemode { "live" } else { "test" };
        Ok(Self {
            stub: rpc::stub(env, BINDING, &format!("{client_id}:{mode}"))?,
        })
    }

    pub async fn enqueue(&self, event: &OutgoingEvent) -> ApiResult<()> {
        rpc::call(&self.stub, "enqueue", event).await
    }

    pub async fn list(&self, limit: usize) -> ApiResult<Value> {
        rpc::call(&self.stub, "list", &json!({ "limit": limit })).await
    }

    /// Re-arms the outbox's alarm if deliveries are pending. Local workerd only
    /// re-loads an object's alarm when the object is next used, so a restarted
    /// `wrangler dev` resumes delivery on the client's first request.
    pub async fn wake(&self) -> ApiResult<()> {
        rpc::call(&self.stub, "wake", &json!({})).await
    }

    pub async fn retry(&self, delivery_id: &str) -> ApiResult<Value> {
        rpc::call(&self.stub, "retry", &json!({ "deliveryId": delivery_id })).await
    }
}
