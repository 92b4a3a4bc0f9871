//! `PUT /demo/client`: the operator designates the client the keyless sandbox
//! demo (`/demo`, and the mobile step of `/enroll` in a local setup) acts as,
//! always in test mode ([`auth::demo_partner`]). With no designated client
//! (every deployment, until its operator opts in) every demo route is 404.
//! The demo's own routes live with their resources (`consents::create_demo`,
//! `enrollments::create_demo`).

use serde_json::{json, Value};
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, DEMO_CLIENT_KEY};
use crate::domain::ids;
use crate::domain::input::JsonObject;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::objects::client::ClientObjectClient;
use crate::store::clients::BINDING;

fn kv_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("kv: {e}"))
}

/// `PUT /demo/client {clientId}` (operator): designates the demo client;
/// `{"clientId": null}` turns the demo off again.
pub async fn designate(mut req: Request, app: &App) -> ApiResult<Response> {
    auth::operator(&req, app).await?;
    let raw = body(&mut req).await?;
    let o = JsonObject::parse(&raw, &["clientId"])?;
    let kv = app.env.kv(BINDING)?;
    if o.has("clientId") && o.value("clientId").is_none() {
        crate::hops::kv_call();
        kv.delete(DEMO_CLIENT_KEY).await.map_err(kv_err)?;
        return Ok(json(200, &json!({"clientId": Value::Null})));
    }
    let id = o.required_str("clientId")?.to_owned();
    if !ids::is_id(&id, "mid_client_", 16) {
        return Err(ApiError::NotFound);
    }
    // Must exist: 404 otherwise.
    ClientObjectClient::new(&app.env, &id)?.get().await?;
    crate::hops::kv_call();
    kv.put(DEMO_CLIENT_KEY, &id)
        .map_err(kv_err)?
        .execute()
        .await
        .map_err(kv_err)?;
    Ok(json(200, &json!({"clientId": id})))
}
