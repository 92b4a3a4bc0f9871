//! `ConsentObject`: one object per consent. It owns the state machine, the
//! hashed page secret and approval token, the live WebSocket channel, and the
//! events not yet handed to the client's webhook outbox. A state change and
//! its event are written in one synchronous storage transaction; an alarm
//! expires the consent at `expiresAt` and re-sends unforwarded events.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Request, Response, State, WebSocket, WebSocketPair,
};

use super::event_queue::{self, NewEvent};
use super::rpc;
use super::sql_kv::SqlKv;
use crate::app::{now_ms, OsRandom};
use crate::config::Config;
use crate::domain::consent::{Consent, Decision, DeviceRef, UserRef};
use crate::domain::crypto::{b64url, matches_hash, open};
use crate::domain::limits::{self, PhoneGate};
use crate::domain::random::Random;
use crate::domain::rate_limit::SlidingLog;
use crate::domain::webhook::{consent_event_data, consent_event_name};
use crate::error::{ApiError, ApiResult};

pub const BINDING: &str = "CONSENTS";
/// Sealing purpose of approval-link tokens.
pub const TOKEN_SEAL: &str = "consent-token";
const CONSENT: &str = "consent";
const SECRETS: &str = "secrets";
const CHALLENGE: &str = "challenge";
const CHALLENGE_TTL_MS: i64 = 300_000;
/// The phone-side request log of this consent (DESIGN "Rate limits").
const PHONE_LOG: &str = "phone_log";

/// Secrets of one consent: hashes, and the sealed token for QR images.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secrets {
    pub client_secret_hash: String,
    pub token_hash: String,
    pub token_sealed: String,
}

/// Who is asking, as established by the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Access {
    /// The owning partner's server (API key of that client and mode).
    #[serde(rename_all = "camelCase")]
    Partner { client_id: String, livemode: bool },
    /// The partner's page, with the consent's `clientSecret`.
    #[serde(rename_all = "camelCase")]
    Secret { client_secret: String },
    /// The person's phone, with the approval-link token.
    Token { token: String },
    /// The person's phone with the approval-link token, after the worker verified
    /// a passkey of the recipient: the only access that may approve.
    Verified { token: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Challenge {
    value: String,
    expires_at: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DecideArgs {
    access: Access,
    decision: String,
    user: Option<UserRef>,
    device: Option<DeviceRef>,
}

#[durable_object]
pub struct ConsentObject {
    state: State,
    env: Env,
    kv: SqlKv,
}

impl DurableObject for ConsentObject {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        Self { state, env, kv }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if req.path() == "/live" {
            return self.live(&req);
        }
        let (op, body) = rpc::read(req).await?;
        let result = match op.as_str() {
            "create" => self.create(&body).await.map(|()| Value::Null),
            "get" => self.get(&body).await,
            "link" => self.link(&body).await,
            "scan" => self.scan(&body).await,
            "decide" => self.decide(&body).await,
            "expire" => self.force_expire(&body).await,
            _ => Err(ApiError::NotFound),
        };
        rpc::answer(result)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.settle(now_ms()).await {
            worker::console_error!("consent alarm: {e:?}");
        }
        event_queue::flush(&self.env, &self.kv).await;
        if let Err(e) = self.reschedule().await {
            worker::console_error!("consent alarm reschedule: {e:?}");
        }
        Response::empty()
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        _message: worker::WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        // The channel is server-to-page only; any message gets the current status.
        if let Ok(Some(c)) = self.kv.get::<Consent>(CONSENT) {
            let _ = ws.send_with_str(status_message(&c, now_ms()));
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> worker::Result<()> {
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    /// A broken frame from the page (unknown opcode, oversized message): only
    /// that socket ends. Without this handler workers-rs panics, and a panic
    /// resets the whole Wasm instance, failing every request then in flight
    /// (an approval among them, whose live update is then never sent).
    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        let _ = ws.close(Some(1011), Some("error"));
        Ok(())
    }
}

/// Which accesses share the per-consent phone-side limit: the approval-link
/// token (scan, reject, and the consent read that opens every
/// `/fido/authenticate/*` call with `consentId`, so begin and complete each
/// count once). `Verified` is the second step of a complete already counted.
/// Hook: the device-key decision (`POST /consents/:id/decision`) must count
/// here too; its access will be a new variant, which this match forces to decide.
fn counts_as_phone_request(access: &Access) -> bool {
    match access {
        Access::Token { .. } => true,
        Access::Partner { .. } | Access::Secret { .. } | Access::Verified { .. } => false,
    }
}

fn status_message(c: &Consent, now: i64) -> String {
    json!({"type": "status", "consent": c.view(now)}).to_string()
}

impl ConsentObject {
    fn load(&self) -> ApiResult<Consent> {
        self.kv.get(CONSENT)?.ok_or(ApiError::NotFound)
    }

    fn secrets(&self) -> ApiResult<Secrets> {
        self.kv.get(SECRETS)?.ok_or(ApiError::NotFound)
    }

    /// 404 unless `access` may see this consent (another client's object is
    /// indistinguishable from none).
    fn check(&self, c: &Consent, access: &Access) -> ApiResult<()> {
        if self.may_see(c, access)? {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    fn may_see(&self, c: &Consent, access: &Access) -> ApiResult<bool> {
        let s = self.secrets()?;
        Ok(match access {
            Access::Partner {
                client_id,
                livemode,
            } => *client_id == c.client_id && *livemode == c.livemode,
            Access::Secret { client_secret } => matches_hash(client_secret, &s.client_secret_hash),
            Access::Token { token } | Access::Verified { token } => {
                matches_hash(token, &s.token_hash)
            }
        })
    }

    /// Counts a phone-side request (right or wrong token) in the same
    /// synchronous step as the token check, before any work: 404 for a wrong
    /// token whatever the count, 429 past the limit.
    fn phone_gate(&self, token_ok: bool) -> ApiResult<()> {
        let mut log: SlidingLog = self.kv.get(PHONE_LOG)?.unwrap_or_default();
        let now = now_ms();
        let gate = limits::phone_gate(&mut log, now, token_ok);
        self.kv.put(PHONE_LOG, &log)?;
        match gate {
            PhoneGate::Proceed => Ok(()),
            PhoneGate::Hidden => Err(ApiError::NotFound),
            PhoneGate::Limited(v) => Err(ApiError::RateLimited {
                retry_after_secs: v.retry_after_secs(now),
            }),
        }
    }

    /// Loads the consent for `access` and records a due expiry.
    async fn open_for(&self, body: &Value) -> ApiResult<(Consent, Access)> {
        let access: Access = rpc::arg(&body["access"])?;
        let c = self.load()?;
        if counts_as_phone_request(&access) {
            self.phone_gate(self.may_see(&c, &access)?)?;
        } else {
            self.check(&c, &access)?;
        }
        let c = self.settle(now_ms()).await?.unwrap_or(c);
        Ok((c, access))
    }

    /// Makes a due expiry durable (with its event); returns the fresh consent if it changed.
    async fn settle(&self, now: i64) -> ApiResult<Option<Consent>> {
        let Some(mut c) = self.kv.get::<Consent>(CONSENT)? else {
            return Ok(None);
        };
        if !c.expire_if_due(now) {
            return Ok(None);
        }
        self.commit(&c, now)?;
        self.after_change(&c, now).await;
        Ok(Some(c))
    }

    /// Writes the consent and queues its event, synchronously (one transaction).
    fn commit(&self, c: &Consent, now: i64) -> ApiResult<()> {
        self.kv.put(CONSENT, c)?;
        event_queue::queue(
            &self.kv,
            NewEvent {
                event: consent_event_name(c.status),
                client_id: &c.client_id,
                livemode: c.livemode,
                data: consent_event_data(c),
            },
            now,
        )
    }

    /// Tells live pages, hands events to the outbox, sets the next alarm.
    async fn after_change(&self, c: &Consent, now: i64) {
        let message = status_message(c, now);
        for ws in self.state.get_websockets() {
            let _ = ws.send_with_str(&message);
            if c.status.is_terminal() {
                let _ = ws.close(Some(1000), Some("terminal"));
            }
        }
        event_queue::forward(&self.state, &self.env, &self.kv, now).await;
        if let Err(e) = self.reschedule().await {
            worker::console_error!("consent reschedule: {e:?}");
        }
    }

    async fn reschedule(&self) -> ApiResult<()> {
        let storage = self.state.storage();
        let now = now_ms();
        let expiry = self
            .kv
            .get::<Consent>(CONSENT)?
            .filter(|c| !c.status.is_terminal())
            .map(|c| c.expires_at);
        let retry = event_queue::retry_at(&self.kv, now)?;
        match [expiry, retry].into_iter().flatten().min() {
            Some(at) => storage.set_alarm(super::alarm_at(at.max(now))).await?,
            None => storage.delete_alarm().await?,
        }
        Ok(())
    }

    async fn create(&self, body: &Value) -> ApiResult<()> {
        let c: Consent = rpc::arg(&body["consent"])?;
        let secrets: Secrets = rpc::arg(&body["secrets"])?;
        if self.kv.get::<Consent>(CONSENT)?.is_some() {
            return Err(ApiError::Conflict("consent exists".into()));
        }
        self.kv.put(SECRETS, &secrets)?;
        let now = c.created_at;
        self.commit(&c, now)?;
        self.after_change(&c, now).await;
        Ok(())
    }

    async fn get(&self, body: &Value) -> ApiResult<Value> {
        let (c, _) = self.open_for(body).await?;
        Ok(c.view(now_ms()))
    }

    /// The approval link, for QR images; gone once the consent is terminal.
    async fn link(&self, body: &Value) -> ApiResult<Value> {
        let (c, _) = self.open_for(body).await?;
        if c.status_at(now_ms()).is_terminal() {
            return Err(ApiError::Expired);
        }
        let key = Config::from_env(&self.env).sealing_key(TOKEN_SEAL)?;
        let token = open(&key, &self.secrets()?.token_sealed)
            .and_then(|t| String::from_utf8(t).ok())
            .ok_or_else(|| ApiError::Internal("token unseal failed".into()))?;
        Ok(json!({ "token": token }))
    }

    async fn scan(&self, body: &Value) -> ApiResult<Value> {
        let (mut c, access) = self.open_for(body).await?;
        if !matches!(access, Access::Token { .. }) {
            return Err(ApiError::NotFound);
        }
        let now = now_ms();
        let changed = c.scan(now)?;
        let challenge = match self
            .kv
            .get::<Challenge>(CHALLENGE)?
            .filter(|ch| ch.expires_at > now)
        {
            Some(ch) => ch,
            None => {
                let mut rng = OsRandom::default();
                let ch = Challenge {
                    value: b64url(&rng.bytes::<32>()),
                    expires_at: now + CHALLENGE_TTL_MS,
                };
                if rng.failed() {
                    return Err(ApiError::Internal("no randomness".into()));
                }
                self.kv.put(CHALLENGE, &ch)?;
                ch
            }
        };
        if changed {
            self.kv.put(CONSENT, &c)?;
            self.after_change(&c, now).await;
        }
        let mut view = c.phone_view(now);
        if let Some(obj) = view.as_object_mut() {
            obj.insert("challenge".into(), challenge.value.into());
        }
        Ok(view)
    }

    async fn decide(&self, body: &Value) -> ApiResult<Value> {
        let args: DecideArgs = rpc::arg(body)?;
        let (mut c, _) = self.open_for(&json!({"access": args.access})).await?;
        let decision = Decision::parse(&args.decision)
            .ok_or_else(|| ApiError::Internal("bad decision".into()))?;
        if matches!(args.access, Access::Token { .. } | Access::Secret { .. })
            && decision == Decision::Approve
        {
            // The link token alone never approves: that takes the recipient's passkey or device key.
            return Err(ApiError::forbidden(
                "Approval requires the recipient's passkey.",
            ));
        }
        let now = now_ms();
        c.decide(now, decision, args.user, args.device)?;
        self.commit(&c, now)?;
        self.after_change(&c, now).await;
        Ok(c.view(now))
    }

    /// Sandbox: expire now.
    async fn force_expire(&self, body: &Value) -> ApiResult<Value> {
        let (mut c, _) = self.open_for(body).await?;
        let now = now_ms();
        match c.status_at(now) {
            crate::domain::consent::Status::Expired => return Err(ApiError::Expired),
            s if s.is_terminal() => return Err(ApiError::decided()),
            _ => {}
        }
        c.expires_at = now;
        c.expire_if_due(now);
        self.commit(&c, now)?;
        self.after_change(&c, now).await;
        Ok(c.view(now))
    }

    /// `GET /consents/:id/live?clientSecret=`: a hibernatable WebSocket.
    fn live(&self, req: &Request) -> worker::Result<Response> {
        let secret = crate::http::query(req, "clientSecret").unwrap_or_default();
        let allowed = self.load().and_then(|c| {
            self.check(
                &c,
                &Access::Secret {
                    client_secret: secret,
                },
            )
            .map(|()| c)
        });
        let c = match allowed {
            Ok(c) => c,
            Err(e) => return Ok(crate::http::error_response(e)),
        };
        if !limits::live_socket_room(self.state.get_websockets().len()) {
            return Ok(crate::http::error_response(ApiError::RateLimited {
                retry_after_secs: limits::LIVE_RETRY_AFTER_SECS,
            }));
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        let now = now_ms();
        pair.server.send_with_str(status_message(&c, now))?;
        if c.status_at(now).is_terminal() {
            pair.server.close(Some(1000), Some("terminal"))?;
        }
        Response::from_websocket(pair.client)
    }
}

/// Typed client of one consent object.
pub struct ConsentClient {
    stub: worker::Stub,
}

impl ConsentClient {
    pub fn new(env: &Env, consent_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, consent_id)?,
        })
    }

    pub async fn create(&self, consent: &Consent, secrets: &Secrets) -> ApiResult<()> {
        rpc::call::<_, Value>(
            &self.stub,
            "create",
            &json!({"consent": consent, "secrets": secrets}),
        )
        .await?;
        Ok(())
    }

    pub async fn get(&self, access: &Access) -> ApiResult<Value> {
        rpc::call(&self.stub, "get", &json!({"access": access})).await
    }

    pub async fn link_token(&self, access: &Access) -> ApiResult<String> {
        let v: Value = rpc::call(&self.stub, "link", &json!({"access": access})).await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Internal("no token".into()))
    }

    pub async fn scan(&self, token: String) -> ApiResult<Value> {
        rpc::call(
            &self.stub,
            "scan",
            &json!({"access": Access::Token { token }}),
        )
        .await
    }

    pub async fn decide(
        &self,
        access: &Access,
        decision: &str,
        user: Option<&UserRef>,
        device: Option<&DeviceRef>,
    ) -> ApiResult<Value> {
        rpc::call(
            &self.stub,
            "decide",
            &json!({"access": access, "decision": decision, "user": user, "device": device}),
        )
        .await
    }

    pub async fn expire(&self, access: &Access) -> ApiResult<Value> {
        rpc::call(&self.stub, "expire", &json!({"access": access})).await
    }

    /// Hands the page's upgrade request to the object.
    pub async fn live(&self, req: Request) -> ApiResult<Response> {
        let url = req.url()?;
        let query = url.query().unwrap_or("");
        let mut forwarded = Request::new_with_init(
            &format!("https://do.internal/live?{query}"),
            worker::RequestInit::new().with_headers(req.headers().clone()),
        )?;
        let _ = forwarded
            .headers_mut()
            .map(|h| h.set("Upgrade", "websocket"));
        crate::hops::object_call();
        Ok(self.stub.fetch_with_request(forwarded).await?)
    }
}
