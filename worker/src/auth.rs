//! Who is calling: the operator (`ADMIN_TOKEN`), a partner server (API key +
//! `X-Client-ID`), or nobody. Every failure is the same 401.

use worker::Request;

use crate::app::App;
use crate::domain::client::{ClientRecord, ClientStatus};
use crate::domain::crypto::{ct_eq, sha256, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::http::header;
use crate::objects::limiter::LimiterClient;
use crate::objects::outbox::OutboxClient;
use crate::store::clients::ClientStore;

/// An authenticated partner and the mode of its key.
pub struct Partner {
    pub client: ClientRecord,
    pub livemode: bool,
}

pub enum Caller {
    Operator,
    Partner(Box<Partner>),
}

fn bearer(req: &Request) -> Option<String> {
    let value = header(req, "Authorization")?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

fn is_operator(app: &App, token: &str) -> bool {
    // Hashing first makes the comparison length-independent as well.
    app.config
        .admin_token
        .as_deref()
        .is_some_and(|admin| ct_eq(&sha256(admin.as_bytes()), &sha256(token.as_bytes())))
}

pub async fn caller(req: &Request, app: &App) -> ApiResult<Caller> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    if is_operator(app, &token) {
        return Ok(Caller::Operator);
    }
    partner_from_key(req, app, &token)
        .await
        .map(|p| Caller::Partner(Box::new(p)))
}

pub async fn partner(req: &Request, app: &App) -> ApiResult<Partner> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    partner_from_key(req, app, &token).await
}

pub async fn operator(req: &Request, app: &App) -> ApiResult<()> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    if is_operator(app, &token) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

async fn partner_from_key(req: &Request, app: &App, token: &str) -> ApiResult<Partner> {
    let livemode = if token.starts_with("mid_sk_live_") {
        true
    } else if token.starts_with("mid_sk_test_") {
        false
    } else {
        return Err(ApiError::Unauthorized);
    };
    let claimed = header(req, "X-Client-ID").ok_or(ApiError::Unauthorized)?;
    let store = ClientStore::new(&app.env)?;
    let index = store
        .key(&sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if index.livemode != livemode || !ct_eq(index.client_id.as_bytes(), claimed.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    let client = store
        .get(&index.client_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let current = if livemode {
        &client.key_hashes.live
    } else {
        &client.key_hashes.test
    };
    // A rotated key keeps its index entry; the client record says which key is current.
    if !ct_eq(current.as_bytes(), sha256_hex(token.as_bytes()).as_bytes())
        || client.status != ClientStatus::Active
    {
        return Err(ApiError::Unauthorized);
    }
    let verdict = LimiterClient::new(&app.env)
        .hit(
            &format!("client:{}", client.id),
            client.plan.requests_per_minute(),
            60_000,
        )
        .await?;
    app.rate.set(Some(verdict));
    if !verdict.allowed {
        return Err(ApiError::RateLimited {
            retry_after_secs: verdict.retry_after_secs(app.now),
        });
    }
    wake_outbox_once(app, &client.id, livemode).await;
    Ok(Partner { client, livemode })
}

thread_local! {
    /// Outboxes this isolate has already woken.
    static WOKEN: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// First request of a client in this isolate: make sure its outbox alarm runs.
async fn wake_outbox_once(app: &App, client_id: &str, livemode: bool) {
    let key = format!("{client_id}:{livemode}");
    if WOKEN.with(|w| w.borrow().contains(&key)) {
        return;
    }
    let woke = match OutboxClient::new(&app.env, client_id, livemode) {
        Ok(outbox) => outbox.wake().await,
        Err(e) => Err(e),
    };
    match woke {
        Ok(()) => WOKEN.with(|w| {
            w.borrow_mut().insert(key);
        }),
        Err(e) => worker::console_error!("outbox wake failed: {e:?}"),
    }
}
