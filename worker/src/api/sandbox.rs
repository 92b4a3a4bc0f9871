//! `/sandbox`: test-mode helpers that drive the real paths. A live key gets 404.

use serde_json::json;
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::consent::{DeviceRef, UserRef};
use crate::domain::crypto::sha256_hex;
use crate::domain::input::{InputError, JsonObject};
use crate::domain::phone;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json, query};
use crate::lookup::consent;
use crate::objects::consent::Access;
use crate::objects::inbox::InboxClient;
use crate::objects::mobile::MobileClient;
use crate::objects::user::UserClient;

async fn test_partner(req: &Request, app: &App) -> ApiResult<Partner> {
    let p = auth::partner(req, app).await?;
    if p.livemode {
        return Err(ApiError::NotFound);
    }
    Ok(p)
}

/// `GET /sandbox/messages?to=`.
pub async fn messages(req: Request, app: &App) -> ApiResult<Response> {
    let p = test_partner(&req, app).await?;
    let to = query(&req, "to").ok_or_else(|| InputError::MissingField("to".into()))?;
    let to = phone::normalize(&to).map_err(|_| InputError::InvalidPhone("to".into()))?;
    let items = InboxClient::new(&app.env, &p.client.id, &to)?
        .list()
        .await?;
    let data: Vec<_> = items
        .iter()
        .map(|m| json!({"id": m.id, "to": m.to, "body": m.body, "createdAt": crate::domain::time::rfc3339(m.created_at)}))
        .collect();
    Ok(json(
        200,
        &json!({"object": "list", "data": data, "hasMore": false}),
    ))
}

/// `POST /sandbox/consents/:id/approve|reject|expire`.
pub async fn decide(req: Request, app: &App, id: &str, action: &str) -> ApiResult<Response> {
    let p = test_partner(&req, app).await?;
    let access = Access::Partner(p.tenant());
    let c = consent(app, id)?;
    let view = match action {
        "approve" => {
            let current = c.get(&access).await?;
            let mobile = current["recipient"].as_str().unwrap_or_default().to_owned();
            // A stable sandbox user and device per (client, recipient).
            let seed = sha256_hex(format!("sandbox:{}:{mobile}", p.client.id).as_bytes());
            let user = UserRef {
                id: format!("user_{}", &seed[..16]),
                mobile,
                verified: true,
            };
            let device = DeviceRef {
                id: format!("device_{}", &seed[16..32]),
                model: "MID Sandbox Device".into(),
            };
            c.decide(&access, "approve", Some(&user), Some(&device))
                .await?
        }
        "reject" => c.decide(&access, "reject", None, None).await?,
        "expire" => c.expire(&access).await?,
        _ => return Err(ApiError::NotFound),
    };
    Ok(json(200, &view))
}

/// `POST /sandbox/users {mobile}` -> 201 `{id, object, mobile, verified, livemode}`.
///
/// A shortcut past the SMS code for test flows: the real user directory
/// (`MobileObject` -> `UserObject`), as if this client had enrolled `mobile`.
pub async fn create_user(mut req: Request, app: &App) -> ApiResult<Response> {
    let p = test_partner(&req, app).await?;
    let o = JsonObject::parse(&body(&mut req).await?, &["mobile"])?;
    let mobile = phone::normalize(o.required_str("mobile")?)
        .map_err(|_| InputError::InvalidPhone("mobile".into()))?;
    // The same directory as enrollments: one user per mobile (and mode).
    let user_id = MobileClient::new(&app.env, &mobile, false)?
        .user_id(true)
        .await?
        .ok_or_else(|| ApiError::Internal("mobile object returned no user".into()))?;
    let user = UserClient::new(&app.env, &user_id)?
        .ensure(&user_id, &mobile, &p.tenant())
        .await?;
    Ok(json(201, &user.view()))
}
