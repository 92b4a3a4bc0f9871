//! `/devices` and `/users/:id/devices`: passkeys registered through /fido and
//! native-app device keys registered here; and the device-key decision on a
//! consent (`POST /consents/:id/decision`).

use serde_json::json;
use worker::{Request, Response};

use crate::app::App;
use crate::auth;
use crate::domain::consent::Decision;
use crate::domain::crypto::{b64url, seal};
use crate::domain::device_key::{DecisionRequest, DeviceKey, NewDeviceKey};
use crate::domain::ids;
use crate::domain::tenant::Tenant;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::lookup::{consent, phone_limited, user as user_object};
use crate::objects::consent::Access;
use crate::objects::credential_index::CredentialIndexClient;
use crate::objects::user::{DeviceConsent, UserClient};
use crate::store::devices::DeviceStore;

/// Sealing purpose of device push tokens.
const PUSH_TOKEN_SEAL: &str = "device-push-token";

/// The user holding a device id: the KV read model first, then the strongly
/// consistent index entry claimed before the device was stored (so a device
/// whose KV write never happened is still reachable). `None` if unknown.
/// The user's object remains the authority on whether the device exists.
async fn owner_of(app: &App, device_id: &str) -> ApiResult<Option<String>> {
    if !ids::is_id(device_id, "device_", 16) {
        return Ok(None);
    }
    if let Some(e) = DeviceStore::new(&app.env)?.get(device_id).await? {
        return Ok(Some(e.user_id));
    }
    Ok(CredentialIndexClient::for_device(&app.env, device_id)?
        .get()
        .await?
        .map(|o| o.user_id))
}

/// The user's object of a device (404 for an unknown id; the object checks the tenant).
async fn device_home(app: &App, device_id: &str) -> ApiResult<UserClient> {
    let user_id = owner_of(app, device_id).await?.ok_or(ApiError::NotFound)?;
    UserClient::new(&app.env, &user_id)
}

/// `POST /devices`: registers a native-app device key; emits `device.registered`.
pub async fn create(mut req: Request, app: &App) -> ApiResult<Response> {
    let tenant: Tenant = auth::partner(&req, app).await?.tenant();
    let new = NewDeviceKey::parse(&body(&mut req).await?)?
        .verify(&crate::subtle::verifier())
        .await?;
    let user = user_object(app, &new.user_id)?;
    let push_token_sealed = match &new.push_token {
        Some(t) => {
            let key = app.config.sealing_key(PUSH_TOKEN_SEAL)?;
            Some(app.rng(|r| seal(&key, t.as_bytes(), r)))
        }
        None => None,
    };
    let key = DeviceKey {
        device_id: app.rng(ids::device_id),
        user_id: new.user_id,
        client_id: tenant.client_id.clone(),
        livemode: tenant.livemode(),
        name: new.name,
        platform: new.platform,
        alg: new.public_key.alg,
        public_key: b64url(&new.public_key.bytes),
        push_token_sealed,
        created_at: app.now,
        last_used_at: None,
    };
    Ok(json(201, &user.register_device_key(&tenant, key).await?))
}

/// `GET /devices/:id`.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    let view = device_home(app, id).await?.device(id, &tenant).await?;
    Ok(json(200, &view))
}

/// `DELETE /devices/:id` -> 204: the device stops deciding at once; emits `device.deregistered`.
pub async fn delete(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    device_home(app, id).await?.deregister(id, &tenant).await?;
    Ok(Response::builder().with_status(204).empty())
}

/// `GET /users/:id/devices`, newest first.
pub async fn list_for_user(req: Request, app: &App, user_id: &str) -> ApiResult<Response> {
    let tenant = auth::partner(&req, app).await?.tenant();
    let data = user_object(app, user_id)?.devices(&tenant).await?;
    Ok(json(
        200,
        &json!({"object": "list", "data": data, "hasMore": false}),
    ))
}

/// `POST /consents/:id/decision {deviceId, decision, signature}`: no API key;
/// the proof is the device key's signature over this consent, decision and
/// the consent's current scan challenge, which this attempt consumes first
/// (a counted phone-side request), whatever its outcome.
pub async fn decide(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let d = DecisionRequest::parse(&body(&mut req).await?)?;
    let consent = consent(app, id)?;
    let taken = phone_limited(app, consent.take_challenge().await)?;
    let decision = match d.decision {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
    };
    let signed = device_home(app, &d.device_id)
        .await?
        .decide_with_device_key(
            &d.device_id,
            DeviceConsent {
                consent_id: id.to_owned(),
                client_id: taken.client_id,
                livemode: taken.livemode,
                recipient: taken.recipient,
                decision: decision.to_owned(),
                challenge: taken.challenge.clone(),
            },
            &b64url(&d.signature),
        )
        .await?;
    let view = consent
        .decide(
            &Access::DeviceVerified {
                challenge: taken.challenge,
            },
            decision,
            Some(&signed.user),
            Some(&signed.device),
        )
        .await?;
    Ok(json(200, &view))
}
