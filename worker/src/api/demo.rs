//! `/demo/*`: the keyless backend of the sandbox demo page (`/demo`, and the
//! mobile step of `/enroll` in a local setup). It acts as one demo client
//! that the operator designates (`PUT /demo/client`), always in test mode,
//! so it can never create, read or decide anything of live mode. With no
//! designated client (every deployment, until its operator opts in) every
//! demo route is 404.

use serde_json::{json, Value};
use worker::{Request, Response};

use crate::api::{consents, enrollments};
use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::client::ClientStatus;
use crate::domain::ids;
use crate::domain::input::JsonObject;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::objects::client::ClientObjectClient;
use crate::store::clients::BINDING;

/// KV key of the designated demo client's id (a read-mostly setting).
const DEMO_CLIENT_KEY: &str = "demo:client";

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

/// The designated demo client in test mode; 404 when the demo is off or its
/// client is not active.
async fn demo_partner(app: &App) -> ApiResult<Partner> {
    let kv = app.env.kv(BINDING)?;
    crate::hops::kv_call();
    let id = kv
        .get(DEMO_CLIENT_KEY)
        .text()
        .await
        .map_err(kv_err)?
        .ok_or(ApiError::NotFound)?;
    let client = ClientObjectClient::new(&app.env, &id)?.get().await?;
    if client.status != ClientStatus::Active {
        return Err(ApiError::NotFound);
    }
    Ok(Partner {
        client,
        livemode: false,
    })
}

/// `POST /demo/consents {recipient}` -> 201 a test-mode `login` consent of
/// the demo client, with its `clientSecret` and `qr` (as `POST /consents/auth`).
pub async fn create_consent(mut req: Request, app: &App) -> ApiResult<Response> {
    let partner = demo_partner(app).await?;
    let raw = body(&mut req).await?;
    let o = JsonObject::parse(&raw, &["recipient"])?;
    let request = json!({
        "recipient": o.required_str("recipient")?,
        "intent": "login",
        "message": format!("Log in to {} (MID sandbox demo)", partner.client.name),
    });
    let new = crate::domain::consent::NewConsent::parse(request.to_string().as_bytes())?;
    let view = consents::create_consent(app, &partner, new).await?;
    Ok(json(201, &view))
}

/// `POST /demo/enrollments {mobile}` -> 201 a test-mode enrollment of the
/// demo client (the code goes to the sandbox inbox, never to a phone).
pub async fn create_enrollment(mut req: Request, app: &App) -> ApiResult<Response> {
    let partner = demo_partner(app).await?;
    let raw = body(&mut req).await?;
    enrollments::create_for(app, &partner, &raw).await
}
