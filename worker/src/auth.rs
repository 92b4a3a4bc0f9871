//! Who is calling: the operator (`ADMIN_TOKEN`), a partner server (API key +
//! `X-Client-ID`), the sandbox demo page (keyless, as the demo client the
//! operator designated, test mode only), or nobody. Every failure is the same 401.

use worker::Request;

use crate::app::App;
use crate::domain::client::ClientRecord;
use crate::domain::crypto::{ct_eq, sha256, sha256_hex};
use crate::domain::ids;
use crate::domain::rate_limit::Verdict;
use crate::domain::tenant::Tenant;
use crate::error::{ApiError, ApiResult};
use crate::http::header;
use crate::objects::client::{Authenticated, ClientObjectClient};
use crate::objects::limiter::LimiterClient;
use crate::objects::outbox::OutboxClient;

/// An authenticated partner and the mode of its key.
pub struct Partner {
    pub client: ClientRecord,
    pub livemode: bool,
}

impl Partner {
    /// The client in its key's mode: whose records this request may touch.
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.client.id.clone(), self.livemode)
    }
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

/// Wrong operator tokens allowed per source address in any 60 s (a sliding
/// log, so no window edge lets a burst through); past that,
/// every operator-token attempt from it gets 429 without being checked, so a
/// right guess cannot be told from a wrong one.
const OPERATOR_FAILURES_PER_MIN: u32 = 10;

fn is_operator(app: &App, token: &str) -> bool {
    // Hashing first makes the comparison length-independent as well.
    app.config
        .admin_token
        .as_deref()
        .is_some_and(|admin| ct_eq(&sha256(admin.as_bytes()), &sha256(token.as_bytes())))
}

fn is_api_key(token: &str) -> bool {
    token.starts_with("mid_sk_live_") || token.starts_with("mid_sk_test_")
}

/// Checks an operator token, throttling failed guesses per source address.
async fn operator_token(req: &Request, app: &App, token: &str) -> ApiResult<bool> {
    let limiter = LimiterClient::new(&app.env);
    let source = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    let subject = format!("operator-failures:{source}");
    let before = limiter
        .peek_sliding(&subject, OPERATOR_FAILURES_PER_MIN, 60_000)
        .await?;
    if !before.allowed {
        return Err(ApiError::RateLimited {
            retry_after_secs: before.retry_after_secs(app.now),
        });
    }
    if is_operator(app, token) {
        return Ok(true);
    }
    limiter
        .hit_sliding(&subject, OPERATOR_FAILURES_PER_MIN, 60_000)
        .await?;
    Ok(false)
}

pub async fn caller(req: &Request, app: &App) -> ApiResult<Caller> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    if !is_api_key(&token) {
        return if operator_token(req, app, &token).await? {
            Ok(Caller::Operator)
        } else {
            Err(ApiError::Unauthorized)
        };
    }
    partner_from_key(req, app, &token, None)
        .await
        .map(|(p, _)| Caller::Partner(Box::new(p)))
}

pub async fn partner(req: &Request, app: &App) -> ApiResult<Partner> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    Ok(partner_from_key(req, app, &token, None).await?.0)
}

/// [`partner`] for a consent creation: the same one call also counts a
/// consent to `recipient` when given (and the request is allowed), and
/// answers that bucket's verdict.
pub async fn partner_creating(
    req: &Request,
    app: &App,
    recipient: Option<&str>,
) -> ApiResult<(Partner, Option<Verdict>)> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    partner_from_key(req, app, &token, recipient).await
}

pub async fn operator(req: &Request, app: &App) -> ApiResult<()> {
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    // A partner key on an operator route is no guess at the operator token.
    if !is_api_key(&token) && operator_token(req, app, &token).await? {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

async fn partner_from_key(
    req: &Request,
    app: &App,
    token: &str,
    recipient: Option<&str>,
) -> ApiResult<(Partner, Option<Verdict>)> {
    let livemode = if token.starts_with("mid_sk_live_") {
        true
    } else if token.starts_with("mid_sk_test_") {
        false
    } else {
        return Err(ApiError::Unauthorized);
    };
    let claimed = header(req, "X-Client-ID").ok_or(ApiError::Unauthorized)?;
    if !ids::is_id(&claimed, "mid_client_", 16) {
        return Err(ApiError::Unauthorized);
    }
    // One hop: the client's own object checks the key, the status and the rate
    // together, from strongly consistent state (never a stale KV copy).
    let Authenticated {
        client,
        verdict,
        recipient,
    } = ClientObjectClient::new(&app.env, &claimed)?
        .authenticate(
            sha256_hex(token.as_bytes()),
            livemode,
            recipient.map(str::to_owned),
        )
        .await
        .map_err(|e| match e {
            // An unknown client id looks like a wrong key.
            ApiError::NotFound => ApiError::Unauthorized,
            other => other,
        })?;
    app.rate.set(Some(verdict));
    if !verdict.allowed {
        return Err(ApiError::RateLimited {
            retry_after_secs: verdict.retry_after_secs(app.now),
        });
    }
    wake_outbox_once(app, &client.id, livemode).await;
    Ok((Partner { client, livemode }, recipient))
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

/// KV key of the designated demo client's id (a read-mostly setting).
pub const DEMO_CLIENT_KEY: &str = "demo:client";

/// The keyless sandbox demo (`/demo/*`) acts as the client the operator
/// designated (`PUT /demo/client`), always in test mode, so it can never touch
/// live mode. 404 when the demo is off or its client is not active.
pub async fn demo_partner(app: &App) -> ApiResult<Partner> {
    let kv = app.env.kv(crate::store::clients::BINDING)?;
    crate::hops::kv_call();
    let id = kv
        .get(DEMO_CLIENT_KEY)
        .text()
        .await
        .map_err(|e| ApiError::Internal(format!("kv: {e}")))?
        .ok_or(ApiError::NotFound)?;
    let client = ClientObjectClient::new(&app.env, &id)?.get().await?;
    if client.status != crate::domain::client::ClientStatus::Active {
        return Err(ApiError::NotFound);
    }
    Ok(Partner {
        client,
        livemode: false,
    })
}
