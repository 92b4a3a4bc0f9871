//! Incoming billing webhooks (DESIGN §4) and the operator's view of what
//! they did. Verification and mapping are pure (`domain::billing`); the
//! change is made by the object that owns the state, which also refuses an
//! event older than the one that set it; the store's ledger makes a
//! redelivery a no-op and records every verified event.

use serde_json::json;
use worker::{Request, Response};

use crate::app::App;
use crate::auth;
use crate::config::{setting, AppStoreSettings};
use crate::domain::billing::jwt::{self, JwtError, PushExpect};
use crate::domain::billing::playstore::{self, PushKind};
use crate::domain::billing::{
    appstore, stripe, Applied, EntitlementChange, LedgerEntry, Outcome, PlanChange, Refusal, Source,
};
use crate::domain::ids;
use crate::domain::input::InputError;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, header, json, query};
use crate::objects::billing::{BillingLedgerClient, LIST_MAX};
use crate::objects::client::ClientObjectClient;
use crate::objects::credential_index::CredentialIndexClient;
use crate::objects::user::UserClient;
use crate::playstore_api::{self, FetchOutbound, Outbound as _};

/// The 2xx every store gets for a verified event, applied or not (a non-2xx
/// makes the store retry, which only an internal failure should).
fn received(duplicate: bool) -> Response {
    json(200, &json!({"received": true, "duplicate": duplicate}))
}

/// `POST /webhooks/stripe`.
pub async fn stripe(mut req: Request, app: &App) -> ApiResult<Response> {
    let signature = header(&req, "Stripe-Signature");
    let raw = body(&mut req).await?;
    let secret = setting(&app.env, "STRIPE_WEBHOOK_SECRET");
    stripe::verify(
        signature.as_deref(),
        &raw,
        secret.as_deref(),
        app.now.div_euclid(1000),
    )
    .map_err(|e| ApiError::Billing(Refusal::from(e)))?;
    let event =
        stripe::parse(&raw).map_err(|_| InputError::invalid("body", "is not a Stripe event"))?;
    let ledger = BillingLedgerClient::new(&app.env, Source::Stripe)?;
    if ledger.seen(&event.id).await?.is_some() {
        return Ok(received(true));
    }
    let client_id = event.client_id.filter(|c| ids::is_id(c, "mid_client_", 16));
    let (outcome, change) = match (event.change, &client_id) {
        (None, _) => (Outcome::Ignored, "event type not handled".to_owned()),
        (Some(_), None) => (Outcome::Ignored, "no valid metadata.clientId".to_owned()),
        (Some(change), Some(id)) => {
            let text = describe(&change);
            match ClientObjectClient::new(&app.env, id)?
                .set_billing(change, event.created_ms)
                .await
            {
                Ok(Applied::Applied) => (Outcome::Applied, text),
                Ok(Applied::Stale) => (Outcome::Stale, format!("not applied (older): {text}")),
                Err(ApiError::NotFound) => (Outcome::UnknownSubject, "no such client".to_owned()),
                // Anything else is ours: a 500 makes Stripe retry later.
                Err(e) => return Err(e),
            }
        }
    };
    let new = ledger
        .record(LedgerEntry {
            source: Source::Stripe,
            event_id: event.id,
            event_type: event.event_type,
            client_id,
            user_id: None,
            outcome,
            change,
            occurred_at: event.created_ms,
            received_at: app.now,
        })
        .await?;
    Ok(received(!new))
}

/// `POST /webhooks/appstore`: App Store Server Notifications V2.
pub async fn appstore(mut req: Request, app: &App) -> ApiResult<Response> {
    let raw = body(&mut req).await?;
    let settings = AppStoreSettings::from_env(&app.env);
    let refuse = |e: appstore::NotificationError| {
        ApiError::Billing(Refusal::new(Source::AppStore, e.message()))
    };
    let n = appstore::parse(
        &raw,
        &appstore::Expect {
            roots: &settings.roots,
            bundle_id: &settings.bundle_id,
            environment: &settings.environment,
        },
    )
    .map_err(refuse)?
    .verify(&crate::subtle::verifier())
    .await
    .map_err(refuse)?;
    let ledger = BillingLedgerClient::new(&app.env, Source::AppStore)?;
    if ledger.seen(&n.id).await?.is_some() {
        return Ok(received(true));
    }
    let mut user_id = None;
    let (outcome, change) = match (n.change, n.app_account_token.filter(|t| is_uuid(t))) {
        (None, _) => (Outcome::Ignored, "notification type not handled".to_owned()),
        (Some(_), None) => (Outcome::Ignored, "no valid appAccountToken".to_owned()),
        (Some(change), Some(token)) => {
            match CredentialIndexClient::for_app_account(&app.env, &token)?
                .get()
                .await?
            {
                None => (Outcome::UnknownSubject, "no such user".to_owned()),
                Some(owner) => {
                    let result =
                        apply_to_user(app, &owner.user_id, change, Source::AppStore, n.signed_date)
                            .await?;
                    user_id = Some(owner.user_id);
                    result
                }
            }
        }
    };
    let new = ledger
        .record(LedgerEntry {
            source: Source::AppStore,
            event_id: n.id,
            event_type: n.notification_type,
            client_id: None,
            user_id,
            outcome,
            change,
            occurred_at: n.signed_date,
            received_at: app.now,
        })
        .await?;
    Ok(received(!new))
}

/// `POST /webhooks/playstore`: Google Play RTDN through Pub/Sub push.
pub async fn playstore(mut req: Request, app: &App) -> ApiResult<Response> {
    let refuse = |e: JwtError| ApiError::Billing(Refusal::new(Source::PlayStore, e.message()));
    let token = header(&req, "Authorization")
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .ok_or_else(|| refuse(JwtError::Missing))?;
    let get = |name: &str| setting(&app.env, name).unwrap_or_default();
    let jwks_url = get("GOOGLE_JWKS_URL");
    let (audience, email) = (get("PLAYSTORE_PUSH_AUDIENCE"), get("PLAYSTORE_PUSH_EMAIL"));
    let expect = PushExpect {
        audience: &audience,
        email: &email,
    };
    let out = FetchOutbound;
    let now_s = app.now.div_euclid(1000);
    let keys = playstore_api::google_keys(&out, &jwks_url, app.now, false).await?;
    let pending = match jwt::verify_push(&token, &keys, &expect, now_s) {
        Ok(pending) => pending,
        // Google may have rotated its keys since they were cached: fetch once more.
        Err(JwtError::UnknownKid) => {
            let keys = playstore_api::google_keys(&out, &jwks_url, app.now, true).await?;
            jwt::verify_push(&token, &keys, &expect, now_s).map_err(refuse)?
        }
        Err(e) => return Err(refuse(e)),
    };
    pending
        .verify(&crate::subtle::verifier())
        .await
        .map_err(refuse)?;
    let raw = body(&mut req).await?;
    let package = get("PLAYSTORE_PACKAGE_NAME");
    let push = playstore::parse_push(&raw, &package)
        .map_err(|e| InputError::invalid(e.param(), e.message()))?;
    let ledger = BillingLedgerClient::new(&app.env, Source::PlayStore)?;
    if ledger.seen(&push.message_id).await?.is_some() {
        return Ok(received(true));
    }
    let mut user_id = None;
    let (outcome, change) = match &push.kind {
        PushKind::Test => (Outcome::Ignored, "test notification".to_owned()),
        PushKind::Other(_) => (Outcome::Ignored, "notification type not handled".to_owned()),
        PushKind::Subscription { purchase_token, .. } => {
            match subscription(app, &out, &package, purchase_token).await? {
                None => (Outcome::Ignored, "purchase token not found".to_owned()),
                Some(sub) => match (
                    sub.change,
                    sub.user_id.filter(|u| ids::is_id(u, "user_", 16)),
                ) {
                    (None, _) => (
                        Outcome::Ignored,
                        format!("state {} not acted on", sub.state),
                    ),
                    (Some(_), None) => (
                        Outcome::Ignored,
                        "no valid obfuscatedExternalAccountId".to_owned(),
                    ),
                    (Some(change), Some(user)) => {
                        let result = apply_to_user(
                            app,
                            &user,
                            change,
                            Source::PlayStore,
                            push.event_time_ms,
                        )
                        .await?;
                        user_id = Some(user);
                        result
                    }
                },
            }
        }
    };
    let new = ledger
        .record(LedgerEntry {
            source: Source::PlayStore,
            event_id: push.message_id,
            event_type: push.kind.event_type(),
            client_id: None,
            user_id,
            outcome,
            change,
            occurred_at: push.event_time_ms,
            received_at: app.now,
        })
        .await?;
    Ok(received(!new))
}

/// The purchase as the Play Developer API has it now (`None`: unknown token).
async fn subscription(
    app: &App,
    out: &FetchOutbound,
    package: &str,
    purchase_token: &str,
) -> ApiResult<Option<playstore::SubscriptionState>> {
    let sa = setting(&app.env, "PLAYSTORE_SERVICE_ACCOUNT")
        .and_then(|k| playstore::parse_service_account(&k))
        .ok_or_else(|| {
            ApiError::Internal("PLAYSTORE_SERVICE_ACCOUNT is missing or not a JSON key".into())
        })?;
    let token_url = setting(&app.env, "PLAYSTORE_TOKEN_URL")
        .or_else(|| sa.token_uri.clone())
        .unwrap_or_else(|| "https://oauth2.googleapis.com/token".to_owned());
    let api_base = setting(&app.env, "PLAYSTORE_API_BASE")
        .unwrap_or_else(|| "https://androidpublisher.googleapis.com".to_owned());
    let access = playstore_api::access_token(out, &sa, &token_url, app.now).await?;
    let url = format!(
        "{}{}",
        api_base.trim_end_matches('/'),
        playstore::subscription_path(package, purchase_token)
    );
    let answer = out
        .get(&url, Some(&access))
        .await
        .map_err(ApiError::Internal)?;
    match answer.status {
        200 => playstore::subscription_state(&answer.body)
            .map(Some)
            .ok_or_else(|| ApiError::Internal("subscriptionsv2: unexpected answer".into())),
        // Play answers 404/410 for a token it does not (or no longer) know.
        404 | 410 => Ok(None),
        s => Err(ApiError::Internal(format!("subscriptionsv2: status {s}"))),
    }
}

/// Applies an entitlement change through the user's object, which refuses
/// one older than its state.
async fn apply_to_user(
    app: &App,
    user_id: &str,
    change: EntitlementChange,
    source: Source,
    as_of: i64,
) -> ApiResult<(Outcome, String)> {
    let text = change.describe();
    match UserClient::new(&app.env, user_id)?
        .set_entitlement(change, source, as_of)
        .await
    {
        Ok(Applied::Applied) => Ok((Outcome::Applied, text)),
        Ok(Applied::Stale) => Ok((Outcome::Stale, format!("not applied (older): {text}"))),
        Err(ApiError::NotFound) => Ok((Outcome::UnknownSubject, "no such user".to_owned())),
        // Anything else is ours: a 500 makes the store retry later.
        Err(e) => Err(e),
    }
}

/// A lower-case UUID (the form MID draws and stores).
fn is_uuid(t: &str) -> bool {
    t.len() == 36
        && t.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn describe(change: &PlanChange) -> String {
    match change.plan {
        Some(plan) => format!(
            "plan={} status={}",
            serde_json::to_value(plan)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            change.status
        ),
        None => format!("status={}", change.status),
    }
}

/// `GET /billing/events?clientId=|userId=&limit=` (operator): newest first.
pub async fn events(req: Request, app: &App) -> ApiResult<Response> {
    auth::operator(&req, app).await?;
    let client_id = query(&req, "clientId");
    let user_id = query(&req, "userId");
    let limit = match query(&req, "limit") {
        None => 20,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=LIST_MAX).contains(n))
            .ok_or_else(|| InputError::invalid("limit", format!("must be 1 to {LIST_MAX}")))?,
    };
    let sources: &[Source] = match (&client_id, &user_id) {
        (Some(c), None) if ids::is_id(c, "mid_client_", 16) => &[Source::Stripe],
        (None, Some(u)) if ids::is_id(u, "user_", 16) => &[Source::AppStore, Source::PlayStore],
        (Some(_), None) => return Err(InputError::invalid("clientId", "is not a client id").into()),
        (None, Some(_)) => return Err(InputError::invalid("userId", "is not a user id").into()),
        _ => {
            return Err(InputError::invalid(
                "clientId",
                "exactly one of clientId or userId is required",
            )
            .into())
        }
    };
    let mut all = Vec::new();
    for source in sources {
        all.extend(
            BillingLedgerClient::new(&app.env, *source)?
                .list(client_id.clone(), user_id.clone(), limit + 1)
                .await?,
        );
    }
    all.sort_by(|a, b| (b.received_at, &b.event_id).cmp(&(a.received_at, &a.event_id)));
    let has_more = all.len() > limit;
    all.truncate(limit);
    let data: Vec<_> = all.iter().map(LedgerEntry::view).collect();
    Ok(json(
        200,
        &json!({"object": "list", "data": data, "hasMore": has_more}),
    ))
}
