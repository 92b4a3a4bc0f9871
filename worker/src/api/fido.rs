//! `/fido`: WebAuthn registration and authentication ceremonies, on the
//! partner path (API key) and the person's phone path (registration token or
//! approval-link token).

use serde_json::{json, Value};
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::fido::{
    self, authentication_options, Ceremony, CeremonyHome, CeremonyKind, ConsentLink, Rp,
    CEREMONY_TTL_MS,
};
use crate::domain::ids;
use crate::domain::input::{InputError, JsonObject};
use crate::domain::tenant::Tenant;
use crate::domain::webauthn::{base64url_encode, AuthenticationResponseJSON, WebauthnError};
use crate::error::{ApiError, ApiResult};
use crate::http::{body, header, json};
use crate::lookup;
use crate::objects::ceremony::CeremonyClient;
use crate::objects::consent::Access;
use crate::objects::credential_index::CredentialIndexClient;
use crate::objects::registration_token::consume_registration_token;
use crate::objects::user::{SignedIn, UserClient};

fn service_rp(app: &App) -> Rp {
    Rp {
        id: app.config.rp_id.clone(),
        name: app.config.rp_name.clone(),
        origins: app.config.rp_origins.clone(),
    }
}

/// A fresh ceremony of `tenant` on `rp`; the user object fills in its user.
fn mint_ceremony(
    app: &App,
    tenant: &Tenant,
    rp: Rp,
    kind: CeremonyKind,
    user_id: Option<&str>,
) -> Ceremony {
    let (id, challenge) = app.rng(|r| {
        let mut challenge = [0u8; 32];
        r.fill(&mut challenge);
        (fido::ceremony_id(r, user_id), base64url_encode(&challenge))
    });
    Ceremony {
        id,
        kind,
        challenge,
        client_id: tenant.client_id.clone(),
        livemode: tenant.livemode(),
        rp,
        user: None,
        allow_credentials: None,
        expires_at: app.now + CEREMONY_TTL_MS,
        consent: None,
        phone_registration: false,
    }
}

/// A partner-path ceremony: the client's own RP when it set one.
fn partner_ceremony(
    app: &App,
    partner: &Partner,
    kind: CeremonyKind,
    user_id: Option<&str>,
) -> Ceremony {
    let rp = Rp::for_client(&partner.client, &service_rp(app));
    mint_ceremony(app, &partner.tenant(), rp, kind, user_id)
}

fn begun(ceremony_id: &str, options: Value) -> Response {
    json(200, &json!({"ceremonyId": ceremony_id, "options": options}))
}

/// The ceremony id of a complete call, and where it lives. Unknown shapes are
/// ceremonies that do not exist.
fn ceremony_of(o: &JsonObject) -> ApiResult<(String, CeremonyHome)> {
    let id = o.required_str("ceremonyId")?;
    let home = fido::ceremony_home(id).ok_or(WebauthnError::CeremonyExpired)?;
    Ok((id.to_owned(), home))
}

fn response_of(o: &JsonObject) -> ApiResult<Value> {
    match o.value("response") {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(_) => Err(InputError::WrongType {
            param: "response".into(),
            expected: "a JSON object".into(),
        }
        .into()),
        None => Err(InputError::MissingField("response".into()).into()),
    }
}

/// Phone path of register `begin`: `{registrationToken}` from a verified
/// enrollment (single use); the passkey is for the service's RP (hosted
/// pages) and becomes a device of the enrolling client.
async fn phone_register_begin(app: &App, o: &JsonObject) -> ApiResult<Response> {
    if o.has("userId") {
        return Err(
            InputError::invalid("userId", "cannot be combined with registrationToken").into(),
        );
    }
    let grant = consume_registration_token(&app.env, o.required_str("registrationToken")?).await?;
    let tenant = Tenant::new(grant.client_id, grant.livemode);
    let mut ceremony = mint_ceremony(
        app,
        &tenant,
        service_rp(app),
        CeremonyKind::Registration,
        Some(&grant.user_id),
    );
    ceremony.phone_registration = true;
    let id = ceremony.id.clone();
    let options = UserClient::new(&app.env, &grant.user_id)?
        .begin(ceremony)
        .await?;
    Ok(begun(&id, options))
}

/// `POST /fido/register/begin {userId}` (partner) or `{registrationToken}` (phone).
pub async fn register_begin(mut req: Request, app: &App) -> ApiResult<Response> {
    let o = JsonObject::parse(&body(&mut req).await?, &["userId", "registrationToken"])?;
    if o.has("registrationToken") {
        return phone_register_begin(app, &o).await;
    }
    let partner = auth::partner(&req, app).await?;
    let user_id = o.required_str("userId")?;
    let user = lookup::user(app, user_id)?;
    let ceremony = partner_ceremony(app, &partner, CeremonyKind::Registration, Some(user_id));
    let id = ceremony.id.clone();
    let options = user.begin(ceremony).await?;
    Ok(begun(&id, options))
}

/// `POST /fido/register/complete {ceremonyId, response, deviceName?}` -> 201 device.
/// Without an API key, only a ceremony begun with a `registrationToken` completes.
pub async fn register_complete(mut req: Request, app: &App) -> ApiResult<Response> {
    let caller = match header(&req, "Authorization") {
        Some(_) => Some(auth::partner(&req, app).await?.tenant()),
        None => None,
    };
    let o = JsonObject::parse(
        &body(&mut req).await?,
        &["ceremonyId", "response", "deviceName"],
    )?;
    let (id, home) = ceremony_of(&o)?;
    let response = response_of(&o)?;
    let name = fido::device_name(o.str("deviceName")?)?;
    let CeremonyHome::User(user_id) = home else {
        return Err(WebauthnError::CeremonyExpired.into());
    };
    let device_id = app.rng(ids::device_id);
    let device = UserClient::new(&app.env, &user_id)?
        .register(&id, caller.as_ref(), response, name, &device_id)
        .await?;
    Ok(json(201, &device))
}

/// The consent a phone-path call names, opened with its approval token: the
/// consent's tenant and recipient. Decided -> 409, expired -> 410.
async fn consent_for(app: &App, o: &JsonObject) -> ApiResult<(Tenant, ConsentLink)> {
    let consent_id = o.required_str("consentId")?;
    let token = o.required_str("token")?.to_owned();
    let view = lookup::consent_with_token(app, consent_id, token).await?;
    match view["status"].as_str() {
        Some("pending" | "scanned") => {}
        Some("expired") => return Err(ApiError::Expired),
        _ => return Err(ApiError::decided()),
    }
    let text = |k: &str| view[k].as_str().map(str::to_owned);
    let (Some(client_id), Some(recipient)) = (text("clientId"), text("recipient")) else {
        return Err(ApiError::Internal("consent view without client".into()));
    };
    let tenant = Tenant::new(client_id, view["livemode"].as_bool().unwrap_or(false));
    let link = ConsentLink {
        consent_id: consent_id.to_owned(),
        recipient,
    };
    Ok((tenant, link))
}

/// A discoverable ceremony (no user known at begin) in its own object.
async fn begin_discoverable(app: &App, ceremony: Ceremony) -> ApiResult<Response> {
    let options = json!(authentication_options(&ceremony, None));
    let id = ceremony.id.clone();
    CeremonyClient::new(&app.env, &id)?.store(ceremony).await?;
    Ok(begun(&id, options))
}

/// Phone path of `begin`: `{consentId, token}`, on the service's RP (the hosted
/// approval page), discoverable (the recipient's passkey answers).
async fn phone_begin(app: &App, o: &JsonObject) -> ApiResult<Response> {
    if o.has("userId") {
        return Err(InputError::invalid("userId", "cannot be combined with consentId").into());
    }
    let (tenant, link) = consent_for(app, o).await?;
    let mut ceremony = mint_ceremony(
        app,
        &tenant,
        service_rp(app),
        CeremonyKind::Authentication,
        None,
    );
    ceremony.consent = Some(link);
    begin_discoverable(app, ceremony).await
}

/// `POST /fido/authenticate/begin {userId}` or `{}` (discoverable sign-in), or
/// `{consentId, token}` from the person's phone.
pub async fn authenticate_begin(mut req: Request, app: &App) -> ApiResult<Response> {
    let o = JsonObject::parse(&body(&mut req).await?, &["userId", "consentId", "token"])?;
    if o.has("consentId") || o.has("token") {
        return phone_begin(app, &o).await;
    }
    let partner = auth::partner(&req, app).await?;
    match o.str("userId")? {
        Some(user_id) => {
            let user = lookup::user(app, user_id)?;
            let c = partner_ceremony(app, &partner, CeremonyKind::Authentication, Some(user_id));
            let id = c.id.clone();
            let options = user.begin(c).await?;
            Ok(begun(&id, options))
        }
        None => {
            let c = partner_ceremony(app, &partner, CeremonyKind::Authentication, None);
            begin_discoverable(app, c).await
        }
    }
}

/// Consumes a discoverable ceremony, finds the credential's owner and verifies
/// there. `link` is the consent of a phone-path call (`None` on the partner
/// path): a ceremony only completes on the path that began it.
async fn complete_discoverable(
    app: &App,
    id: &str,
    tenant: &Tenant,
    link: Option<&ConsentLink>,
    response: Value,
) -> ApiResult<SignedIn> {
    // Consume first (single use whatever the outcome), then find the owner.
    let ceremony = CeremonyClient::new(&app.env, id)?
        .take(tenant, link)
        .await?;
    let parsed: AuthenticationResponseJSON =
        serde_json::from_value(response.clone()).map_err(|_| WebauthnError::MalformedResponse)?;
    // A discoverable assertion names its user (the user handle is the user id,
    // §7.2 step 6 requires it here); the user object then checks that the
    // credential is really its own. Without one, the credential index answers.
    let handle_user = parsed
        .response
        .user_handle
        .as_deref()
        .and_then(|h| std::str::from_utf8(h).ok())
        .filter(|u| ids::is_id(u, "user_", 16))
        .map(str::to_owned);
    let user_id = match handle_user {
        Some(u) => u,
        None => {
            CredentialIndexClient::new(&app.env, &parsed.raw_id)?
                .get()
                .await?
                .ok_or(WebauthnError::UnknownCredential)?
                .user_id
        }
    };
    UserClient::new(&app.env, &user_id)?
        .authenticate(None, Some(ceremony), tenant, response)
        .await
}

/// Phone path of `complete`: `{ceremonyId, consentId, token, response}`; a
/// passkey that may decide the consent (DESIGN §2) approves it, exactly once.
async fn phone_complete(app: &App, o: &JsonObject) -> ApiResult<Response> {
    let (id, home) = ceremony_of(o)?;
    let response = response_of(o)?;
    let (tenant, link) = consent_for(app, o).await?;
    if home != CeremonyHome::Own {
        return Err(WebauthnError::CeremonyExpired.into());
    }
    let signed_in = complete_discoverable(app, &id, &tenant, Some(&link), response).await?;
    let token = o.required_str("token")?.to_owned();
    let consent = lookup::consent(app, &link.consent_id)?
        .decide(
            &Access::Verified { token },
            "approve",
            Some(&signed_in.user),
            Some(&signed_in.device),
        )
        .await?;
    Ok(json(
        200,
        &json!({"verified": true, "userId": signed_in.user.id, "deviceId": signed_in.device.id,
            "consent": consent}),
    ))
}

/// `POST /fido/authenticate/complete {ceremonyId, response}` (+ `consentId, token`
/// on the phone path).
pub async fn authenticate_complete(mut req: Request, app: &App) -> ApiResult<Response> {
    let o = JsonObject::parse(
        &body(&mut req).await?,
        &["ceremonyId", "response", "consentId", "token"],
    )?;
    if o.has("consentId") || o.has("token") {
        return phone_complete(app, &o).await;
    }
    let partner = auth::partner(&req, app).await?;
    let (id, home) = ceremony_of(&o)?;
    let response = response_of(&o)?;
    let tenant = partner.tenant();
    let signed_in = match home {
        CeremonyHome::User(user_id) => {
            UserClient::new(&app.env, &user_id)?
                .authenticate(Some(&id), None, &tenant, response)
                .await?
        }
        CeremonyHome::Own => complete_discoverable(app, &id, &tenant, None, response).await?,
    };
    Ok(json(
        200,
        &json!({"verified": true, "userId": signed_in.user.id, "deviceId": signed_in.device.id}),
    ))
}
