//! `/webhooks/deliveries`: the partner's view of its outbox.

use worker::{Request, Response};

use crate::app::App;
use crate::auth;
use crate::domain::ids;
use crate::domain::input::InputError;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query};
use crate::objects::outbox::OutboxClient;

/// `GET /webhooks/deliveries?limit=` (1..100, default 20), newest first.
pub async fn list(req: Request, app: &App) -> ApiResult<Response> {
    let p = auth::partner(&req, app).await?;
    let limit = match query(&req, "limit") {
        None => 20,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| InputError::invalid("limit", "must be an integer from 1 to 100"))?,
    };
    Ok(json(
        200,
        &OutboxClient::new(&app.env, &p.client.id, p.livemode)?
            .list(limit)
            .await?,
    ))
}

/// `POST /webhooks/deliveries/:id/retry`.
pub async fn retry(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let p = auth::partner(&req, app).await?;
    if !ids::is_id(id, "dlv_", 16) {
        return Err(ApiError::NotFound);
    }
    Ok(json(
        200,
        &OutboxClient::new(&app.env, &p.client.id, p.livemode)?
            .retry(id)
            .await?,
    ))
}
