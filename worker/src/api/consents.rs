//! `/consents`: create and read consents, their QR images and live channel,
//! and the phone's scan and reject.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::app::App;
use crate::auth;
use crate::domain::consent::{Consent, NewConsent};
use crate::domain::crypto::{open, seal, sha256_hex};
use crate::domain::idempotency::{self, Begin};
use crate::domain::input::{InputError, JsonObject};
use crate::domain::rate_limit::Verdict;
use crate::domain::{ids, qr};
use crate::error::{ApiError, ApiResult};
use crate::http::{body, bytes, header, json, query, set_header};
use crate::lookup::{consent, phone_limited};
use crate::objects::client::ClientObjectClient;
use crate::objects::consent::{Access, ConsentClient, Secrets, TOKEN_SEAL};
use crate::objects::idempotency::IdempotencyClient;
const IDEMPOTENT_REPLAY_SEAL: &str = "idempotent-replay";

fn approval_url(app: &App, id: &str, token: &str) -> String {
    format!("{}/a/{id}#t={token}", app.config.public_url)
}

fn qr_links(app: &App, id: &str, token: &str) -> Value {
    json!({
        "svg": format!("/consents/qr/svg/{id}"),
        "png": format!("/consents/qr/png/{id}"),
        "url": approval_url(app, id, token),
    })
}

/// `POST /consents/auth`. With an `Idempotency-Key` the answer and the
/// consent behind it are recorded (prepared) before the consent is created,
/// so a retry after a crash at any point re-runs the same, idempotent
/// creation and gets the same answer: never a second consent for one key.
///
/// Without a key, the client's object counts the recipient's limit in the
/// same call that authenticates (one object call before the work). With a
/// key it is counted only once the key is fresh (a replay never counts).
pub async fn create(mut req: Request, app: &App) -> ApiResult<Response> {
    let key = header(&req, "Idempotency-Key");
    // Read first, reported after authentication: a bad body of an
    // unauthenticated caller is still a 401.
    let raw = body(&mut req).await;
    let parsed = raw.as_deref().ok().map(NewConsent::parse);
    let recipient = match (&key, &parsed) {
        (None, Some(Ok(new))) => Some(new.recipient.as_str()),
        _ => None,
    };
    let (partner, counted) = auth::partner_creating(&req, app, recipient).await?;
    let raw = raw?;
    let new = match parsed {
        Some(p) => p?,
        None => NewConsent::parse(&raw)?,
    };
    let Some(key) = key else {
        return Ok(json(
            201,
            &prepare_consent(app, &partner, new, counted)
                .await?
                .created(app)
                .await?,
        ));
    };
    idempotency::validate_key(&key)?;
    let scope =
        sha256_hex(format!("{}:{}:{key}", partner.client.id, partner.tenant().mode).as_bytes());
    let fingerprint = idempotency::fingerprint("POST /consents/auth", &raw);
    let client = IdempotencyClient::new(&app.env, &scope)?;
    let lease_id = match client.begin(&fingerprint).await? {
        (Begin::Proceed, lease_id) => lease_id,
        (
            Begin::Resume {
                work,
                status,
                sealed_body,
            },
            _,
        ) => {
            let work: Work = serde_json::from_slice(work.as_bytes())
                .map_err(|e| ApiError::Internal(format!("idempotency work: {e}")))?;
            ConsentClient::new(&app.env, &work.consent.id)?
                .create(&work.consent, &work.secrets)
                .await?;
            client.finish().await?;
            return replay(app, &key, status, &sealed_body);
        }
        (
            Begin::Replay {
                status,
                sealed_body,
            },
            _,
        ) => return replay(app, &key, status, &sealed_body),
        (Begin::Mismatch, _) => {
            return Err(ApiError::Conflict(
                "This Idempotency-Key was used with a different request body.".into(),
            ))
        }
        (Begin::InFlight, _) => return Err(in_progress()),
    };
    let prepared = match prepare_consent(app, &partner, new, None).await {
        Ok(p) => p,
        Err(e) => {
            // Nothing was created: the partner may retry with the same key now.
            let _ = client.abandon(&lease_id).await;
            return Err(e);
        }
    };
    let replay_key = replay_key(app, &key)?;
    let sealed = app.rng(|r| seal(&replay_key, prepared.view.to_string().as_bytes(), r));
    let work = serde_json::to_string(&Work {
        consent: prepared.consent.clone(),
        secrets: prepared.secrets.clone(),
    })
    .map_err(|e| ApiError::Internal(format!("idempotency work: {e}")))?;
    if !client.prepare(&lease_id, &work, 201, &sealed).await? {
        // A retry took this key over after our lease ran out: it answers.
        return Err(in_progress());
    }
    // From here on a failure leaves the prepared record: a retry resumes it.
    prepared.create(app).await?;
    client.finish().await?;
    Ok(json(201, &prepared.view))
}

fn in_progress() -> ApiError {
    ApiError::Conflict("A request with this Idempotency-Key is still in progress.".into())
}

/// What an idempotent request records before creating the consent: exactly
/// the arguments of [`ConsentClient::create`], so a retry can repeat it.
#[derive(Serialize, Deserialize)]
struct Work {
    consent: Consent,
    secrets: Secrets,
}

/// A consent ready to be created, and the 201 body that announces it.
struct Prepared {
    consent: Consent,
    secrets: Secrets,
    view: Value,
}

impl Prepared {
    async fn create(&self, app: &App) -> ApiResult<()> {
        ConsentClient::new(&app.env, &self.consent.id)?
            .create(&self.consent, &self.secrets)
            .await
    }

    /// Creates it; the 201 body.
    async fn created(self, app: &App) -> ApiResult<Value> {
        self.create(app).await?;
        Ok(self.view)
    }
}

/// The stored reply is sealed under a key derived from the Idempotency-Key
/// itself, so the secrets in it are unreadable at rest without that key.
fn replay_key(app: &App, idempotency_key: &str) -> ApiResult<[u8; 32]> {
    Ok(crate::domain::crypto::derive_key(
        &app.config.sealing_key(IDEMPOTENT_REPLAY_SEAL)?,
        idempotency_key,
    ))
}

fn replay(app: &App, key: &str, status: u16, sealed: &str) -> ApiResult<Response> {
    let text = open(&replay_key(app, key)?, sealed)
        .ok_or_else(|| ApiError::Internal("idempotent replay unseal failed".into()))?;
    let mut resp = bytes(status, "application/json", text);
    set_header(&mut resp, "Idempotent-Replayed", "true");
    Ok(resp)
}

/// `POST /demo/consents {recipient}` (keyless sandbox demo) -> 201 a test-mode
/// `login` consent of the demo client, with its `clientSecret` and `qr`.
pub async fn create_demo(mut req: Request, app: &App) -> ApiResult<Response> {
    let partner = auth::demo_partner(app).await?;
    let raw = body(&mut req).await?;
    let o = JsonObject::parse(&raw, &["recipient"])?;
    let request = json!({
        "recipient": o.required_str("recipient")?,
        "intent": "login",
        "message": format!("Log in to {} (MID sandbox demo)", partner.client.name),
    });
    let new = NewConsent::parse(request.to_string().as_bytes())?;
    let view = prepare_consent(app, &partner, new, None)
        .await?
        .created(app)
        .await?;
    Ok(json(201, &view))
}

/// Checks the recipient limit (`counted`: already counted by the
/// authenticating call) and draws the consent's id and secrets; creates nothing.
async fn prepare_consent(
    app: &App,
    partner: &auth::Partner,
    new: NewConsent,
    counted: Option<Verdict>,
) -> ApiResult<Prepared> {
    let verdict = match counted {
        Some(v) => v,
        None => {
            ClientObjectClient::new(&app.env, &partner.client.id)?
                .hit_recipient(&new.recipient)
                .await?
        }
    };
    if !verdict.allowed {
        // The headers describe the bucket that refused, not the client's.
        app.rate.set(Some(verdict));
        return Err(ApiError::RateLimited {
            retry_after_secs: verdict.retry_after_secs(app.now),
        });
    }
    let token_key = app.config.sealing_key(TOKEN_SEAL)?;
    let (id, token, client_secret, token_sealed) = app.rng(|r| {
        let token = ids::approval_token(r);
        let sealed = seal(&token_key, token.as_bytes(), r);
        (ids::consent_id(r), token, ids::client_secret(r), sealed)
    });
    let consent = Consent::new(
        id.clone(),
        partner.client.id.clone(),
        partner.client.name.clone(),
        partner.livemode,
        new,
        app.now,
    );
    let secrets = Secrets {
        client_secret_hash: sha256_hex(client_secret.as_bytes()),
        token_hash: sha256_hex(token.as_bytes()),
        token_sealed,
    };
    let mut view = consent.view(app.now);
    if let Some(obj) = view.as_object_mut() {
        obj.insert("clientSecret".into(), client_secret.into());
        obj.insert("qr".into(), qr_links(app, &id, &token));
    }
    Ok(Prepared {
        consent,
        secrets,
        view,
    })
}

/// A partner (API key) or its page (`?clientSecret=`); neither is a 401.
async fn reader(req: &Request, app: &App) -> ApiResult<Access> {
    if header(req, "Authorization").is_some() {
        return Ok(Access::Partner(auth::partner(req, app).await?.tenant()));
    }
    match query(req, "clientSecret") {
        Some(client_secret) if !client_secret.is_empty() => Ok(Access::Secret { client_secret }),
        _ => Err(ApiError::Unauthorized),
    }
}

/// `GET /consents/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let access = reader(&req, app).await?;
    Ok(json(200, &consent(app, id)?.get(&access).await?))
}

/// `GET /consents/qr/:type/:id`.
pub async fn qr_image(req: Request, app: &App, kind: &str, id: &str) -> ApiResult<Response> {
    if kind != "svg" && kind != "png" {
        return Err(InputError::invalid("type", "must be svg or png").into());
    }
    let access = reader(&req, app).await?;
    let token = consent(app, id)?.link_token(&access).await?;
    let url = approval_url(app, id, &token);
    let unrenderable = |_| ApiError::Internal("QR encode failed".into());
    let mut resp = if kind == "svg" {
        bytes(
            200,
            "image/svg+xml",
            qr::svg(&url).map_err(unrenderable)?.into_bytes(),
        )
    } else {
        bytes(200, "image/png", qr::png(&url).map_err(unrenderable)?)
    };
    set_header(&mut resp, "Cache-Control", "no-store");
    Ok(resp)
}

/// `GET /consents/:id/live?clientSecret=` (WebSocket).
pub async fn live(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let upgrade = header(&req, "Upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(InputError::invalid(
            "Upgrade",
            "must be websocket: this endpoint is a WebSocket",
        )
        .into());
    }
    if query(&req, "clientSecret").is_none_or(|s| s.is_empty()) {
        return Err(ApiError::Unauthorized);
    }
    consent(app, id)?.live(req).await
}

fn token_of(raw: &[u8]) -> ApiResult<String> {
    let o = JsonObject::parse(raw, &["token"])?;
    Ok(o.required_str("token")?.to_owned())
}

/// `POST /consents/:id/scan {token}`: what the phone shows. Phone-side calls
/// are counted by the consent object (30/min together).
pub async fn scan(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let token = token_of(&body(&mut req).await?)?;
    let view = phone_limited(app, consent(app, id)?.scan(token).await)?;
    Ok(json(200, &view))
}

/// `POST /consents/:id/reject {token}`.
pub async fn reject(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let token = token_of(&body(&mut req).await?)?;
    let rejected = consent(app, id)?
        .decide(&Access::Token { token }, "reject", None, None)
        .await;
    Ok(json(200, &phone_limited(app, rejected)?))
}
