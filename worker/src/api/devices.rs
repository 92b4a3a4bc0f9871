//! `/devices` and `/users/:id/devices`: the passkeys registered through /fido.

use serde_json::json;
use worker::{Request, Response};

use crate::api::fido::user_object;
use crate::app::App;
use crate::auth;
use crate::domain::ids;
use crate::domain::tenant::Tenant;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::objects::user::UserClient;
use crate::store::devices::{DeviceEntry, DeviceStore};

/// The directory entry of a device the partner may see (404 otherwise).
async fn entry(app: &App, id: &str, tenant: &Tenant) -> ApiResult<DeviceEntry> {
    if !ids::is_id(id, "device_", 16) {
        return Err(ApiError::NotFound);
    }
    DeviceStore::new(&app.env)?
        .get(id)
        .await?
        .filter(|e| tenant.owns(&e.client_id, e.livemode))
        .ok_or(ApiError::NotFound)
}

/// `GET /devices/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    let e = entry(app, id, &tenant).await?;
    let cred = UserClient::new(&app.env, &e.user_id)?
        .device(id, &tenant)
        .await?;
    Ok(json(200, &cred.view("active")))
}

/// `DELETE /devices/:id`: the passkey stops working; emits `device.deregistered`.
pub async fn delete(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    let e = entry(app, id, &tenant).await?;
    let cred = UserClient::new(&app.env, &e.user_id)?
        .deregister(id, &tenant)
        .await?;
    Ok(json(200, &cred.view("deregistered")))
}

/// `GET /users/:id/devices`, newest first.
pub async fn list_for_user(req: Request, app: &App, user_id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    let creds = user_object(app, user_id)?.devices(&tenant).await?;
    let data: Vec<_> = creds.iter().map(|c| c.view("active")).collect();
    Ok(json(
        200,
        &json!({"object": "list", "data": data, "hasMore": false}),
    ))
}
