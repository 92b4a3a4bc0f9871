//! `/clients`: partner accounts. Secrets are shown once, at creation.

use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Caller};
use crate::domain::client::{ClientRecord, ClientStatus, KeyHashes, Plan, Settings};
use crate::domain::crypto::{seal, sha256_hex};
use crate::domain::ids;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::objects::outbox::WEBHOOK_SECRET_SEAL;
use crate::store::clients::{ClientStore, KeyIndex};

/// `POST /clients` (operator).
pub async fn create(mut req: Request, app: &App) -> ApiResult<Response> {
    auth::operator(&req, app).await?;
    let settings = Settings::parse_new(
        &body(&mut req).await?,
        app.config.allow_private_webhook_urls,
    )?;
    let seal_key = app.config.sealing_key(WEBHOOK_SECRET_SEAL);
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
    };
    client.apply(settings)?;
    let store = ClientStore::new(&app.env)?;
    // Client first: a key index never points at a missing client.
    store.put(&client).await?;
    for (hash, livemode) in [
        (&client.key_hashes.live, true),
        (&client.key_hashes.test, false),
    ] {
        store
            .put_key(
                hash,
                &KeyIndex {
                    client_id: client.id.clone(),
                    livemode,
                },
            )
            .await?;
    }
    let mut view = client.view();
    if let Some(obj) = view.as_object_mut() {
        obj.insert("webhookSecret".into(), whsec.into());
        obj.insert(
            "apiKeys".into(),
            serde_json::json!({"live": live_key, "test": test_key}),
        );
    }
    Ok(json(201, &view))
}

/// Loads client `id` if the caller is the operator or that client.
async fn load_for(req: &Request, app: &App, id: &str) -> ApiResult<(ClientRecord, bool)> {
    let caller = auth::caller(req, app).await?;
    let store = ClientStore::new(&app.env)?;
    match caller {
        Caller::Operator => Ok((store.get(id).await?.ok_or(ApiError::NotFound)?, true)),
        Caller::Partner(p) if p.client.id == id => Ok((p.client.clone(), false)),
        Caller::Partner(_) => Err(ApiError::NotFound),
    }
}

/// `GET /clients/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let (client, _) = load_for(&req, app, id).await?;
    Ok(json(200, &client.view()))
}

/// `PUT /clients/:id`: a client edits its settings; only the operator sets plan/status.
pub async fn update(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let (mut client, is_operator) = load_for(&req, app, id).await?;
    let settings = Settings::parse_update(
        &body(&mut req).await?,
        app.config.allow_private_webhook_urls,
    )?;
    if settings.touches_operator_fields() && !is_operator {
        return Err(ApiError::Forbidden(
            "Only the platform operator may change plan or status.",
        ));
    }
    client.apply(settings)?;
    ClientStore::new(&app.env)?.put(&client).await?;
    Ok(json(200, &client.view()))
}
