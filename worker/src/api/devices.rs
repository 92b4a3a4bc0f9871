//! `/devices` and `/users/:id/devices`: the passkeys registered through /fido.

use serde_json::json;
use worker::{Request, Response};

use crate::api::fido::{access, user_for};
use crate::app::App;
use crate::auth;
use crate::domain::ids;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::objects::credentials::{CredentialClient, Visibility};
use crate::store::devices::{DeviceEntry, DeviceStore};

/// The directory entry of a device the partner may see (404 otherwise).
async fn entry(app: &App, id: &str, access: &Visibility) -> ApiResult<DeviceEntry> {
    if !ids::is_id(id, "device_", 16) {
        return Err(ApiError::NotFound);
    }
    DeviceStore::new(&app.env)?
        .get(id)
        .await?
        .filter(|e| e.client_id == access.client_id && e.livemode == access.livemode)
        .ok_or(ApiError::NotFound)
}

/// `GET /devices/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    let access = access(&partner);
    let e = entry(app, id, &access).await?;
    let cred = CredentialClient::for_user(&app.env, &e.user_id)?
        .device(id, &access)
        .await?;
    Ok(json(200, &cred.view("active")))
}

/// `DELETE /devices/:id`: the passkey stops working; emits `device.deregistered`.
pub async fn delete(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    let access = access(&partner);
    let e = entry(app, id, &access).await?;
    let cred = CredentialClient::for_user(&app.env, &e.user_id)?
        .deregister(id, &access)
        .await?;
    Ok(json(200, &cred.view("deregistered")))
}

/// `GET /users/:id/devices`, newest first.
pub async fn list_for_user(req: Request, app: &App, user_id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    user_for(app, &partner, user_id).await?;
    let creds = CredentialClient::for_user(&app.env, user_id)?
        .devices(&access(&partner))
        .await?;
    let data: Vec<_> = creds.iter().map(|c| c.view("active")).collect();
    Ok(json(
        200,
        &json!({"object": "list", "data": data, "hasMore": false}),
    ))
}
