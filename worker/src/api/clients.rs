//! `/clients`: partner accounts. Secrets are shown once, at creation or
//! rotation. The client's own object (`objects/client.rs`) is the authority.

use serde_json::json;
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Caller};
use crate::domain::client::{
    ClientRecord, ClientStatus, KeyHashes, Plan, PreviousKeys, Rotation, Settings,
};
use crate::domain::crypto::{seal, sha256_hex};
use crate::domain::ids;
use crate::domain::time::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::objects::client::ClientObjectClient;
use crate::objects::outbox::WEBHOOK_SECRET_SEAL;

/// `POST /clients` (operator).
pub async fn create(mut req: Request, app: &App) -> ApiResult<Response> {
    auth::operator(&req, app).await?;
    let settings = Settings::parse_new(
        &body(&mut req).await?,
        app.config.allow_private_webhook_urls,
    )?;
    let seal_key = app.config.sealing_key(WEBHOOK_SECRET_SEAL)?;
    let (id, live_key, test_key, whsec, sealed) = app.rng(|r| {
        let whsec = ids::webhook_secret(r);
        let sealed = seal(&seal_key, whsec.as_bytes(), r);
        (
            ids::client_id(r),
            ids::api_key(true, r),
            ids::api_key(false, r),
            whsec,
            sealed,
        )
    });
    let mut client = ClientRecord {
        id,
        name: String::new(),
        webhook_url: None,
        allowed_origins: Vec::new(),
        rp_id: None,
        rp_name: None,
        plan: Plan::Free,
        status: ClientStatus::Active,
        created_at: app.now,
        webhook_secret_sealed: sealed,
        key_hashes: KeyHashes {
            live: sha256_hex(live_key.as_bytes()),
            test: sha256_hex(test_key.as_bytes()),
        },
        previous_keys: PreviousKeys::default(),
        previous_webhook_secret: None,
    };
    client.apply(settings)?;
    ClientObjectClient::new(&app.env, &client.id)?
        .create(client.clone())
        .await?;
    let mut view = client.view();
    if let Some(obj) = view.as_object_mut() {
        obj.insert("webhookSecret".into(), whsec.into());
        obj.insert(
            "apiKeys".into(),
            json!({"live": live_key, "test": test_key}),
        );
    }
    Ok(json(201, &view))
}

/// Who is acting on client `id`: the operator, or that client with a key of
/// one mode (`Some(livemode)`). Anyone else: 404.
async fn actor(req: &Request, app: &App, id: &str) -> ApiResult<Option<bool>> {
    match auth::caller(req, app).await? {
        Caller::Operator => Ok(None),
        Caller::Partner(p) if p.client.id == id => Ok(Some(p.livemode)),
        Caller::Partner(_) => Err(ApiError::NotFound),
    }
}

fn object(app: &App, id: &str) -> ApiResult<ClientObjectClient> {
    if !ids::is_id(id, "mid_client_", 16) {
        return Err(ApiError::NotFound);
    }
    ClientObjectClient::new(&app.env, id)
}

/// `GET /clients/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    actor(&req, app, id).await?;
    let client = object(app, id)?.get().await?;
    Ok(json(200, &client.view()))
}

/// `PUT /clients/:id`: a client edits its settings; only the operator sets
/// plan/status. Validated and applied inside the client's object in one step,
/// so concurrent edits never undo each other.
pub async fn update(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let operator = actor(&req, app, id).await?.is_none();
    let raw = body(&mut req).await?;
    // Parsed here too, so a bad body is a 400 before the object is reached.
    Settings::parse_update(&raw, app.config.allow_private_webhook_urls)?;
    let text = String::from_utf8(raw).map_err(|_| crate::domain::input::InputError::InvalidJson)?;
    let client = object(app, id)?
        .update(text, operator, app.config.allow_private_webhook_urls)
        .await?;
    Ok(json(200, &client.view()))
}

/// `POST /clients/:id/keys {mode, expiresIn?}` -> 201 `{key, mode, previousExpiresAt}`.
/// A partner rotates only the key of its own key's mode: a leaked test key
/// must not be able to revoke the live one.
pub async fn rotate_key(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let actor = actor(&req, app, id).await?;
    let rotation = Rotation::parse_keys(&body(&mut req).await?)?;
    let livemode = rotation.livemode.unwrap_or(false);
    if actor.is_some_and(|own| own != livemode) {
        return Err(ApiError::forbidden(
            "A key may rotate only the key of its own mode.",
        ));
    }
    let key = app.rng(|r| ids::api_key(livemode, r));
    let until = object(app, id)?
        .rotate_key(livemode, sha256_hex(key.as_bytes()), rotation.expires_in_s)
        .await?;
    Ok(json(
        201,
        &json!({"key": key, "mode": if livemode { "live" } else { "test" },
            "previousExpiresAt": rfc3339(until)}),
    ))
}

/// `POST /clients/:id/webhook-secret {expiresIn?}` -> 201 `{webhookSecret, previousExpiresAt}`.
pub async fn rotate_webhook_secret(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    actor(&req, app, id).await?;
    let rotation = Rotation::parse_webhook_secret(&body(&mut req).await?)?;
    let seal_key = app.config.sealing_key(WEBHOOK_SECRET_SEAL)?;
    let (whsec, sealed) = app.rng(|r| {
        let whsec = ids::webhook_secret(r);
        let sealed = seal(&seal_key, whsec.as_bytes(), r);
        (whsec, sealed)
    });
    let until = object(app, id)?
        .rotate_webhook_secret(sealed, rotation.expires_in_s)
        .await?;
    Ok(json(
        201,
        &json!({"webhookSecret": whsec, "previousExpiresAt": rfc3339(until)}),
    ))
}
