//! `ConsentObject`: one object per consent. It owns the state machine, the
//! hashed page secret and approval token, the live WebSocket channel, and the
//! events not yet handed to the client's webhook outbox. A state change and
//! its event are written in one synchronous storage transaction; an alarm
//! expires the consent at `expiresAt` and re-sends unforwarded events.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Request, Response, State, WebSocket, WebSocketPair,
};

use super::ctx::Ctx;
use super::event_queue::{self, NewEvent};
use super::rpc;
use super::sql_kv::SqlKv;
use crate::config::Config;
use crate::domain::consent::{
    create_step, creation_digest, Consent, CreateStep, Decision, DeviceRef, Status, UserRef,
};
use crate::domain::crypto::{b64url, ct_eq, matches_hash, open};
use crate::domain::device_key::DecisionRefusal;
use crate::domain::fido::{
    authentication_options, ceremony_home, Ceremony, CeremonyHome, ConsentLink,
};
use crate::domain::limits::{self, PhoneGate};
use crate::domain::random::Random;
use crate::domain::rate_limit::SlidingLog;
use crate::domain::tenant::Tenant;
use crate::domain::webauthn::WebauthnError;
use crate::domain::webhook::{consent_event_data, consent_event_name};
use crate::error::{ApiError, ApiResult};
use crate::lookup;
use crate::objects::user::UserClient;

pub const BINDING: &str = "CONSENTS";
/// Sealing purpose of approval-link tokens.
pub const TOKEN_SEAL: &str = "consent-token";
const CONSENT: &str = "consent";
const SECRETS: &str = "secrets";
/// Digest of the creation (consent as created + secrets), so an identical
/// create can be told from another one under the same id.
const CREATION: &str = "creation";
const CHALLENGE: &str = "challenge";
/// The challenge a device decision attempt took, until its verdict decides the consent.
const TAKEN: &str = "challenge_taken";
const CHALLENGE_TTL_MS: i64 = 300_000;
/// The phone-side request log of this consent (DESIGN "Rate limits").
const PHONE_LOG: &str = "phone_log";
/// Phone-path passkey ceremonies begun for this consent, by ceremony id. At
/// most 30 begins a minute pass the phone gate and each lives 5 minutes, so
/// a scan of [`CEREMONY_SCAN`] sees them all.
const PHONE_CEREMONY: &str = "pcer:";
const CEREMONY_SCAN: usize = 200;

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
    Partner(Tenant),
    /// The partner's page, with the consent's `clientSecret`.
    #[serde(rename_all = "camelCase")]
    Secret { client_secret: String },
    /// The person's phone, with the approval-link token.
    Token { token: String },
    /// The person's device app, after the worker verified a device key's
    /// signature over the challenge this object gave up (`takeChallenge`) for
    /// this decision: may approve, once per challenge.
    DeviceVerified { challenge: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Challenge {
    value: String,
    expires_at: i64,
}

/// What a device decision is checked against (`takeChallenge`'s answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakenChallenge {
    pub challenge: String,
    pub client_id: String,
    pub livemode: bool,
    pub recipient: String,
}

/// The calls a `ConsentObject` serves (besides the `/live` WebSocket upgrade).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConsentCall {
    /// Stores a new consent and queues `consent.created`; the identical
    /// creation again only finishes its hand-off (idempotent).
    Create {
        consent: Box<Consent>,
        secrets: Secrets,
    },
    /// The consent for `access` (404 if it may not see it).
    Get { access: Access },
    /// The approval-link token, for QR images (410 once terminal).
    Link { access: Access },
    /// The phone's view with a fresh single-use challenge.
    Scan { token: String },
    /// Approves or rejects with `access`; the verified accesses may approve.
    Decide {
        access: Access,
        decision: Decision,
        user: Option<UserRef>,
        device: Option<DeviceRef>,
    },
    /// Consumes the scan challenge for a device decision attempt; replies [`TakenChallenge`].
    TakeChallenge,
    /// Phone path of `/fido/authenticate/begin`: a counted phone-side call on
    /// an open consent; stores `ceremony` (its client, mode and consent filled
    /// in here) for this consent and replies its options.
    PhoneBegin {
        token: String,
        ceremony: Box<Ceremony>,
    },
    /// Phone path of `/fido/authenticate/complete`: a counted phone-side call
    /// on an open consent; consumes this consent's ceremony (single use
    /// whatever the outcome), has the passkey's user object verify the
    /// assertion and DESIGN §2, then approves. Replies the complete's body.
    #[serde(rename_all = "camelCase")]
    PhoneComplete {
        token: String,
        ceremony_id: String,
        response: Value,
    },
    /// Sandbox: expire now.
    Expire { access: Access },
}

#[durable_object]
pub struct ConsentObject {
    state: State,
    env: Env,
    kv: SqlKv,
    /// The isolate's configuration (read once per isolate).
    config: Rc<Config>,
}

impl DurableObject for ConsentObject {
    fn new(state: State, env: Env) -> Self {
        let kv = SqlKv::new(&state);
        let config = Config::cached(&env);
        Self {
            state,
            env,
            kv,
            config,
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if req.path() == "/live" {
            return self.live(&req, &Ctx::new());
        }
        rpc::serve(req, |call: ConsentCall| async move {
            let mut ctx = Ctx::new();
            let ctx = &mut ctx;
            match call {
                ConsentCall::Create { consent, secrets } => {
                    rpc::reply(self.create(*consent, secrets, ctx).await?)
                }
                ConsentCall::Get { access } => self.get(access, ctx).await,
                ConsentCall::Link { access } => self.link(access, ctx).await,
                ConsentCall::Scan { token } => self.scan(Access::Token { token }, ctx).await,
                ConsentCall::Decide {
                    access,
                    decision,
                    user,
                    device,
                } => self.decide(access, decision, user, device, ctx).await,
                ConsentCall::TakeChallenge => self.take_challenge(ctx).await,
                ConsentCall::PhoneBegin { token, ceremony } => {
                    self.phone_begin(token, *ceremony, ctx).await
                }
                ConsentCall::PhoneComplete {
                    token,
                    ceremony_id,
                    response,
                } => {
                    self.phone_complete(token, &ceremony_id, response, ctx)
                        .await
                }
                ConsentCall::Expire { access } => self.force_expire(access, ctx).await,
            }
        })
        .await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let ctx = Ctx::new();
        if let Err(e) = self.settle(&ctx).await {
            worker::console_error!("consent alarm: {e:?}");
        }
        event_queue::flush(&self.env, &self.kv).await;
        if let Err(e) = self.reschedule(ctx.now).await {
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
            let _ = ws.send_with_str(status_message(&c, Ctx::new().now));
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
/// token (scan, reject, and the phone-path `/fido/authenticate/*` begin and
/// complete, each counted once).
/// The device-key decision (`POST /consents/:id/decision`) counts once, when
/// it takes the challenge (`takeChallenge`); `DeviceVerified` is its second step.
fn counts_as_phone_request(access: &Access) -> bool {
    match access {
        Access::Token { .. } => true,
        Access::Partner(_) | Access::Secret { .. } | Access::DeviceVerified { .. } => false,
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
    fn check(&self, c: &Consent, access: &Access, now: i64) -> ApiResult<()> {
        if self.may_see(c, access, now)? {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    fn may_see(&self, c: &Consent, access: &Access, now: i64) -> ApiResult<bool> {
        let s = self.secrets()?;
        Ok(match access {
            Access::Partner(tenant) => tenant.owns(&c.client_id, c.livemode),
            Access::Secret { client_secret } => matches_hash(client_secret, &s.client_secret_hash),
            Access::Token { token } => matches_hash(token, &s.token_hash),
            Access::DeviceVerified { challenge } => {
                self.kv.get::<Challenge>(TAKEN)?.is_some_and(|t| {
                    t.expires_at > now && ct_eq(t.value.as_bytes(), challenge.as_bytes())
                })
            }
        })
    }

    /// Counts a phone-side request (right or wrong token) in the same
    /// synchronous step as the token check, before any work: 404 for a wrong
    /// token whatever the count, 429 past the limit.
    fn phone_gate(&self, token_ok: bool, now: i64) -> ApiResult<()> {
        let mut log: SlidingLog = self.kv.get(PHONE_LOG)?.unwrap_or_default();
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
    async fn open_for(&self, access: Access, ctx: &Ctx) -> ApiResult<(Consent, Access)> {
        let c = self.load()?;
        if counts_as_phone_request(&access) {
            self.phone_gate(self.may_see(&c, &access, ctx.now)?, ctx.now)?;
        } else {
            self.check(&c, &access, ctx.now)?;
        }
        let c = self.settle(ctx).await?.unwrap_or(c);
        Ok((c, access))
    }

    /// Makes a due expiry durable (with its event); returns the fresh consent if it changed.
    async fn settle(&self, ctx: &Ctx) -> ApiResult<Option<Consent>> {
        let now = ctx.now;
        let Some(mut c) = self.kv.get::<Consent>(CONSENT)? else {
            return Ok(None);
        };
        if !c.expire_if_due(now) {
            return Ok(None);
        }
        self.commit(&c, now, ctx)?;
        self.after_change(&c, now).await;
        Ok(Some(c))
    }

    /// Writes the consent and queues its event, synchronously (one transaction).
    /// A terminal consent drops its phone ceremonies: none can decide it now.
    fn commit(&self, c: &Consent, now: i64, ctx: &Ctx) -> ApiResult<()> {
        self.kv.put(CONSENT, c)?;
        if c.status.is_terminal() {
            for (key, _) in self
                .kv
                .list::<Value>(PHONE_CEREMONY, CEREMONY_SCAN, false)?
            {
                self.kv.delete(&key)?;
            }
        }
        event_queue::queue(
            &self.kv,
            NewEvent {
                event: consent_event_name(c.status),
                client_id: &c.client_id,
                livemode: c.livemode,
                data: consent_event_data(c),
            },
            now,
            ctx,
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
        if let Err(e) = self.reschedule(now).await {
            worker::console_error!("consent reschedule: {e:?}");
        }
    }

    async fn reschedule(&self, now: i64) -> ApiResult<()> {
        let storage = self.state.storage();
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

    /// Stores a new consent and queues `consent.created`. Idempotent: the
    /// identical creation again (a resumed `Idempotency-Key` request whose
    /// worker died after this) only finishes the hand-off of its events.
    async fn create(&self, c: Consent, secrets: Secrets, ctx: &Ctx) -> ApiResult<()> {
        let digest = creation_digest(&c, &secrets);
        let stored = match self.kv.get::<Consent>(CONSENT)? {
            Some(_) => Some(self.kv.get::<String>(CREATION)?.unwrap_or_default()),
            None => None,
        };
        match create_step(stored.as_deref(), &digest) {
            CreateStep::Conflict => Err(ApiError::Conflict("consent exists".into())),
            CreateStep::Repeat => {
                // The first call may have died before forwarding or arming the alarm.
                event_queue::forward(&self.state, &self.env, &self.kv, ctx.now).await;
                self.reschedule(ctx.now).await
            }
            CreateStep::Store => {
                self.kv.put(SECRETS, &secrets)?;
                self.kv.put(CREATION, &digest)?;
                let now = c.created_at;
                self.commit(&c, now, ctx)?;
                self.after_change(&c, now).await;
                Ok(())
            }
        }
    }

    async fn get(&self, access: Access, ctx: &Ctx) -> ApiResult<Value> {
        let (c, _) = self.open_for(access, ctx).await?;
        Ok(c.view(ctx.now))
    }

    /// The approval link, for QR images; gone once the consent is terminal.
    async fn link(&self, access: Access, ctx: &Ctx) -> ApiResult<Value> {
        let (c, _) = self.open_for(access, ctx).await?;
        if c.status_at(ctx.now).is_terminal() {
            return Err(ApiError::Expired);
        }
        let key = self.config.sealing_key(TOKEN_SEAL)?;
        let token = open(&key, &self.secrets()?.token_sealed)
            .and_then(|t| String::from_utf8(t).ok())
            .ok_or_else(|| ApiError::Internal("token unseal failed".into()))?;
        Ok(json!({ "token": token }))
    }

    async fn scan(&self, access: Access, ctx: &Ctx) -> ApiResult<Value> {
        let (mut c, access) = self.open_for(access, ctx).await?;
        if !matches!(access, Access::Token { .. }) {
            return Err(ApiError::NotFound);
        }
        let now = ctx.now;
        let changed = c.scan(now)?;
        // Every scan issues a fresh challenge and voids the previous one.
        let challenge = Challenge {
            value: ctx.random(|r| b64url(&r.bytes::<32>()))?,
            expires_at: now + CHALLENGE_TTL_MS,
        };
        self.kv.put(CHALLENGE, &challenge)?;
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

    async fn decide(
        &self,
        access: Access,
        decision: Decision,
        user: Option<UserRef>,
        device: Option<DeviceRef>,
        ctx: &Ctx,
    ) -> ApiResult<Value> {
        let (mut c, access) = self.open_for(access, ctx).await?;
        if matches!(access, Access::Token { .. } | Access::Secret { .. })
            && decision == Decision::Approve
        {
            // The link token alone never approves: that takes the recipient's passkey or device key.
            return Err(ApiError::forbidden(
                "Approval requires the recipient's passkey.",
            ));
        }
        if let Access::DeviceVerified { .. } = access {
            // One decision per taken challenge.
            self.kv.delete(TAKEN)?;
        }
        let now = ctx.now;
        c.decide(now, decision, user, device)?;
        self.commit(&c, now, ctx)?;
        self.after_change(&c, now).await;
        Ok(c.view(now))
    }

    /// A device decision attempt: counted as a phone-side request, then the
    /// scan challenge is consumed whatever the attempt's outcome (single use).
    /// Replies what the device's signature and DESIGN §2 are checked against.
    async fn take_challenge(&self, ctx: &Ctx) -> ApiResult<Value> {
        let c = self.load()?;
        let now = ctx.now;
        self.phone_gate(true, now)?;
        let c = self.settle(ctx).await?.unwrap_or(c);
        match c.status_at(now) {
            Status::Expired => return Err(ApiError::Expired),
            s if s.is_terminal() => return Err(ApiError::decided()),
            _ => {}
        }
        let taken = self.kv.get::<Challenge>(CHALLENGE)?;
        self.kv.delete(CHALLENGE)?;
        let taken = taken
            .filter(|ch| ch.expires_at > now)
            .ok_or(ApiError::Decision(DecisionRefusal::NoChallenge))?;
        self.kv.put(TAKEN, &taken)?;
        Ok(json!({
            "challenge": taken.value,
            "clientId": c.client_id,
            "livemode": c.livemode,
            "recipient": c.recipient,
        }))
    }

    /// Opens the consent for a phone-path passkey call: counted with the token
    /// check, a due expiry recorded, and only while open (decided -> 409,
    /// expired -> 410).
    async fn open_for_phone(&self, token: String, ctx: &Ctx) -> ApiResult<Consent> {
        let (c, _) = self.open_for(Access::Token { token }, ctx).await?;
        match c.status_at(ctx.now) {
            Status::Pending | Status::Scanned => Ok(c),
            Status::Expired => Err(ApiError::Expired),
            Status::Approved | Status::Rejected => Err(ApiError::decided()),
        }
    }

    /// Stores a phone ceremony for this consent: its tenant and recipient are
    /// this consent's, whatever the worker sent.
    async fn phone_begin(
        &self,
        token: String,
        mut ceremony: Ceremony,
        ctx: &Ctx,
    ) -> ApiResult<Value> {
        let c = self.open_for_phone(token, ctx).await?;
        if ceremony_home(&ceremony.id) != Some(CeremonyHome::Consent(c.id.clone())) {
            return Err(ApiError::Internal("ceremony id of another home".into()));
        }
        ceremony.client_id = c.client_id.clone();
        ceremony.livemode = c.livemode;
        ceremony.consent = Some(ConsentLink {
            consent_id: c.id.clone(),
            recipient: c.recipient.clone(),
        });
        let now = ctx.now;
        for (key, old) in self
            .kv
            .list::<Ceremony>(PHONE_CEREMONY, CEREMONY_SCAN, false)?
        {
            if old.expires_at <= now {
                self.kv.delete(&key)?;
            }
        }
        self.kv
            .put(&format!("{PHONE_CEREMONY}{}", ceremony.id), &ceremony)?;
        rpc::reply(authentication_options(&ceremony, None))
    }

    /// The phone approval in one call: the ceremony is consumed before
    /// anything is verified (single use whatever the outcome); the passkey's
    /// user object verifies the assertion, DESIGN §2 and the counter; only
    /// then, re-read after that await, the consent is approved. A refusal
    /// leaves the consent as it was.
    async fn phone_complete(
        &self,
        token: String,
        ceremony_id: &str,
        response: Value,
        ctx: &mut Ctx,
    ) -> ApiResult<Value> {
        let c = self.open_for_phone(token, ctx).await?;
        let key = format!("{PHONE_CEREMONY}{ceremony_id}");
        let ceremony: Ceremony = self.kv.get(&key)?.ok_or(WebauthnError::CeremonyExpired)?;
        self.kv.delete(&key)?;
        ceremony.check_live(ctx.now)?;
        if ceremony.consent.as_ref().map(|l| l.consent_id.as_str()) != Some(c.id.as_str()) {
            return Err(WebauthnError::CeremonyExpired.into());
        }
        let tenant = Tenant::new(c.client_id.clone(), c.livemode);
        let user_id = lookup::passkey_owner(&self.env, &response).await?;
        let signed_in = UserClient::new(&self.env, &user_id)?
            .authenticate(None, Some(ceremony), &tenant, response)
            .await?;
        // The approval is timed after the user object's verification, not
        // at the call's start: an expiry meanwhile wins (as before).
        let now = ctx.reread_clock();
        let mut c = match self.settle(ctx).await? {
            Some(c) => c,
            None => self.load()?,
        };
        c.decide(
            now,
            Decision::Approve,
            Some(signed_in.user.clone()),
            Some(signed_in.device.clone()),
        )?;
        self.commit(&c, now, ctx)?;
        self.after_change(&c, now).await;
        Ok(json!({"verified": true, "userId": signed_in.user.id,
            "deviceId": signed_in.device.id, "consent": c.view(now)}))
    }

    /// Sandbox: expire now.
    async fn force_expire(&self, access: Access, ctx: &Ctx) -> ApiResult<Value> {
        let (mut c, _) = self.open_for(access, ctx).await?;
        let now = ctx.now;
        match c.status_at(now) {
            Status::Expired => return Err(ApiError::Expired),
            s if s.is_terminal() => return Err(ApiError::decided()),
            _ => {}
        }
        c.expires_at = now;
        c.expire_if_due(now);
        self.commit(&c, now, ctx)?;
        self.after_change(&c, now).await;
        Ok(c.view(now))
    }

    /// `GET /consents/:id/live?clientSecret=`: a hibernatable WebSocket.
    fn live(&self, req: &Request, ctx: &Ctx) -> worker::Result<Response> {
        let secret = crate::http::query(req, "clientSecret").unwrap_or_default();
        let allowed = self.load().and_then(|c| {
            self.check(
                &c,
                &Access::Secret {
                    client_secret: secret,
                },
                ctx.now,
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
        let now = ctx.now;
        pair.server.send_with_str(status_message(&c, now))?;
        if c.status_at(now).is_terminal() {
            pair.server.close(Some(1000), Some("terminal"))?;
        }
        Response::from_websocket(pair.client)
    }
}

/// Typed client of one consent object.
pub struct ConsentClient {
    stub: rpc::Stub,
}

impl ConsentClient {
    pub fn new(env: &Env, consent_id: &str) -> ApiResult<Self> {
        Ok(Self {
            stub: rpc::stub(env, BINDING, consent_id)?,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, call: ConsentCall) -> ApiResult<T> {
        rpc::invoke(&self.stub, &call).await
    }

    pub async fn create(&self, consent: &Consent, secrets: &Secrets) -> ApiResult<()> {
        self.call(ConsentCall::Create {
            consent: Box::new(consent.clone()),
            secrets: secrets.clone(),
        })
        .await
    }

    pub async fn get(&self, access: &Access) -> ApiResult<Value> {
        self.call(ConsentCall::Get {
            access: access.clone(),
        })
        .await
    }

    pub async fn link_token(&self, access: &Access) -> ApiResult<String> {
        let v: Value = self
            .call(ConsentCall::Link {
                access: access.clone(),
            })
            .await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Internal("no token".into()))
    }

    pub async fn scan(&self, token: String) -> ApiResult<Value> {
        self.call(ConsentCall::Scan { token }).await
    }

    /// `decision` is `approve` or `reject` (anything else is an internal error).
    pub async fn decide(
        &self,
        access: &Access,
        decision: &str,
        user: Option<&UserRef>,
        device: Option<&DeviceRef>,
    ) -> ApiResult<Value> {
        let decision = Decision::parse(decision)
            .ok_or_else(|| ApiError::Internal(format!("bad decision {decision}")))?;
        self.call(ConsentCall::Decide {
            access: access.clone(),
            decision,
            user: user.cloned(),
            device: device.cloned(),
        })
        .await
    }

    /// Phone path of `/fido/authenticate/begin`; replies the options.
    pub async fn phone_begin(&self, token: String, ceremony: Ceremony) -> ApiResult<Value> {
        self.call(ConsentCall::PhoneBegin {
            token,
            ceremony: Box::new(ceremony),
        })
        .await
    }

    /// Phone path of `/fido/authenticate/complete`; replies its body.
    pub async fn phone_complete(
        &self,
        token: String,
        ceremony_id: String,
        response: Value,
    ) -> ApiResult<Value> {
        self.call(ConsentCall::PhoneComplete {
            token,
            ceremony_id,
            response,
        })
        .await
    }

    /// Consumes the scan challenge for a device decision attempt.
    pub async fn take_challenge(&self) -> ApiResult<TakenChallenge> {
        self.call(ConsentCall::TakeChallenge).await
    }

    pub async fn expire(&self, access: &Access) -> ApiResult<Value> {
        self.call(ConsentCall::Expire {
            access: access.clone(),
        })
        .await
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
