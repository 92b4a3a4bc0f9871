//! `/fido`: WebAuthn registration and authentication ceremonies (partner path).

use serde_json::{json, Value};
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::consent::UserRef;
use crate::domain::fido::{
    self, Ceremony, CeremonyHome, CeremonyKind, ConsentLink, Rp, CEREMONY_TTL_MS,
};
use crate::domain::ids;
use crate::domain::input::{InputError, JsonObject};
use crate::domain::user::UserRecord;
use crate::domain::webauthn::{base64url_encode, AuthenticationResponseJSON, WebauthnError};
use crate::error::{ApiError, ApiResult};
use crate::http::{body, header, json};
use crate::objects::consent::Access;
use crate::objects::credential_index::CredentialIndexClient;
use crate::objects::credentials::{CredentialClient, SignedIn, Visibility};
use crate::objects::registration_token::consume_registration_token;
use crate::objects::user::UserClient;

pub fn access(partner: &Partner) -> Visibility {
    Visibility {
        client_id: partner.client.id.clone(),
        livemode: partner.livemode,
    }
}

/// The one place that decides whether `user_id` exists and is visible to the
/// partner (404 otherwise), and what the user looks like in options and events.
/// Users live in their `UserObject` (created by enrollments); the credential
/// object keeps a copy for options and events.
pub async fn user_for(app: &App, partner: &Partner, user_id: &str) -> ApiResult<UserRef> {
    if !ids::is_id(user_id, "user_", 16) {
        return Err(ApiError::NotFound);
    }
    let record = UserClient::new(&app.env, user_id)?.record().await?;
    if !record.visible_to(&partner.client.id, partner.livemode) {
        return Err(ApiError::NotFound);
    }
    known_user(app, &record, &access(partner)).await
}

/// Tells the user's credential object who the user is and who may see it.
async fn known_user(app: &App, record: &UserRecord, access: &Visibility) -> ApiResult<UserRef> {
    let user = UserRef {
        id: record.id.clone(),
        mobile: record.mobile.clone(),
        verified: record.verified,
    };
    CredentialClient::for_user(&app.env, &user.id)?
        .add_user(&user, access)
        .await
}

fn service_rp(app: &App) -> Rp {
    Rp {
        id: app.config.rp_id.clone(),
        name: app.config.rp_name.clone(),
        origins: app.config.rp_origins.clone(),
    }
}

fn new_ceremony(
    app: &App,
    partner: &Partner,
    kind: CeremonyKind,
    user: Option<UserRef>,
) -> Ceremony {
    let access = access(partner);
    let rp = Rp::for_client(&partner.client, &service_rp(app));
    mint_ceremony(app, &access, rp, kind, user)
}

fn mint_ceremony(
    app: &App,
    access: &Visibility,
    rp: Rp,
    kind: CeremonyKind,
    user: Option<UserRef>,
) -> Ceremony {
    let (id, challenge) = app.rng(|r| {
        let mut challenge = [0u8; 32];
        r.fill(&mut challenge);
        (
            fido::ceremony_id(r, user.as_ref().map(|u| u.id.as_str())),
            base64url_encode(&challenge),
        )
    });
    Ceremony {
        id,
        kind,
        challenge,
        client_id: access.client_id.clone(),
        livemode: access.livemode,
        rp,
        user,
        allow_credentials: None,
        expires_at: app.now + CEREMONY_TTL_MS,
        consent: None,
        phone_registration: false,
    }
}

fn begun(ceremony: &Ceremony, options: Value) -> Response {
    json(200, &json!({"ceremonyId": ceremony.id, "options": options}))
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
    let access = Visibility {
        client_id: grant.client_id,
        livemode: grant.livemode,
    };
    let record = UserClient::new(&app.env, &grant.user_id)?.record().await?;
    let user = known_user(app, &record, &access).await?;
    let mut ceremony = mint_ceremony(
        app,
        &access,
        service_rp(app),
        CeremonyKind::Registration,
        Some(user),
    );
    ceremony.phone_registration = true;
    let options = CredentialClient::for_user(&app.env, &grant.user_id)?
        .begin(&ceremony)
        .await?;
    Ok(begun(&ceremony, options))
}

/// `POST /fido/register/begin {userId}` (partner) or `{registrationToken}` (phone).
pub async fn register_begin(mut req: Request, app: &App) -> ApiResult<Response> {
    let o = JsonObject::parse(&body(&mut req).await?, &["userId", "registrationToken"])?;
    if o.has("registrationToken") {
        return phone_register_begin(app, &o).await;
    }
    let partner = auth::partner(&req, app).await?;
    let user = user_for(app, &partner, o.required_str("userId")?).await?;
    let ceremony = new_ceremony(app, &partner, CeremonyKind::Registration, Some(user));
    let user_id = ceremony
        .user
        .as_ref()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let options = CredentialClient::for_user(&app.env, &user_id)?
        .begin(&ceremony)
        .await?;
    Ok(begun(&ceremony, options))
}

/// `POST /fido/register/complete {ceremonyId, response, deviceName?}` -> 201 device.
/// Without an API key, only a ceremony begun with a `registrationToken` completes.
pub async fn register_complete(mut req: Request, app: &App) -> ApiResult<Response> {
    let caller = match header(&req, "Authorization") {
        Some(_) => Some(access(&auth::partner(&req, app).await?)),
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
    let device = CredentialClient::for_user(&app.env, &user_id)?
        .register(&id, caller.as_ref(), &response, name.as_deref(), &device_id)
        .await?;
    Ok(json(201, &device))
}

/// The consent a phone-path call names, opened with its approval token: the
/// consent's (client, mode) and recipient. Decided -> 409, expired -> 410.
async fn consent_for(app: &App, o: &JsonObject) -> ApiResult<(Visibility, ConsentLink)> {
    let consent_id = o.required_str("consentId")?;
    let token = o.required_str("token")?.to_owned();
    let view = crate::api::consents::read_with_token(app, consent_id, token).await?;
    match view["status"].as_str() {
        Some("pending" | "scanned") => {}
        Some("expired") => return Err(ApiError::Expired),
        _ => return Err(ApiError::decided()),
    }
    let text = |k: &str| view[k].as_str().map(str::to_owned);
    let (Some(client_id), Some(recipient)) = (text("clientId"), text("recipient")) else {
        return Err(ApiError::Internal("consent view without client".into()));
    };
    let access = Visibility {
        client_id,
        livemode: view["livemode"].as_bool().unwrap_or(false),
    };
    let link = ConsentLink {
        consent_id: consent_id.to_owned(),
        recipient,
    };
    Ok((access, link))
}

/// Phone path of `begin`: `{consentId, token}`, on the service's RP (the hosted
/// approval page), discoverable (the recipient's passkey answers).
async fn phone_begin(app: &App, o: &JsonObject) -> ApiResult<Response> {
    if o.has("userId") {
        return Err(InputError::invalid("userId", "cannot be combined with consentId").into());
    }
    let (access, link) = consent_for(app, o).await?;
    let mut ceremony = mint_ceremony(
        app,
        &access,
        service_rp(app),
        CeremonyKind::Authentication,
        None,
    );
    ceremony.consent = Some(link);
    let options = CredentialClient::for_ceremony(&app.env, &ceremony.id)?
        .begin(&ceremony)
        .await?;
    Ok(begun(&ceremony, options))
}

/// `POST /fido/authenticate/begin {userId}` or `{}` (discoverable sign-in), or
/// `{consentId, token}` from the person's phone.
pub async fn authenticate_begin(mut req: Request, app: &App) -> ApiResult<Response> {
    let o = JsonObject::parse(&body(&mut req).await?, &["userId", "consentId", "token"])?;
    if o.has("consentId") || o.has("token") {
        return phone_begin(app, &o).await;
    }
    let partner = auth::partner(&req, app).await?;
    let (ceremony, object) = match o.str("userId")? {
        Some(user_id) => {
            let user = user_for(app, &partner, user_id).await?;
            let c = new_ceremony(app, &partner, CeremonyKind::Authentication, Some(user));
            let object = CredentialClient::for_user(&app.env, user_id)?;
            (c, object)
        }
        None => {
            let c = new_ceremony(app, &partner, CeremonyKind::Authentication, None);
            let object = CredentialClient::for_ceremony(&app.env, &c.id)?;
            (c, object)
        }
    };
    let options = object.begin(&ceremony).await?;
    Ok(begun(&ceremony, options))
}

/// Consumes a discoverable (own-home) ceremony, finds the credential's owner and
/// verifies there. `link` is the consent of a phone-path call (`None` on the
/// partner path): a ceremony only completes on the path that began it.
async fn complete_own(
    app: &App,
    id: &str,
    access: &Visibility,
    link: Option<&ConsentLink>,
    response: &Value,
) -> ApiResult<SignedIn> {
    // Consume first (single use whatever the outcome), then find the owner.
    let ceremony = CredentialClient::for_ceremony(&app.env, id)?
        .take(id, access)
        .await?;
    if ceremony.consent.as_ref() != link {
        return Err(WebauthnError::CeremonyExpired.into());
    }
    let parsed: AuthenticationResponseJSON =
        serde_json::from_value(response.clone()).map_err(|_| WebauthnError::MalformedResponse)?;
    let owner = CredentialIndexClient::new(&app.env, &parsed.raw_id)?
        .get()
        .await?
        .ok_or(WebauthnError::UnknownCredential)?;
    CredentialClient::for_user(&app.env, &owner.user_id)?
        .authenticate(None, Some(&ceremony), access, response)
        .await
}

/// Phone path of `complete`: `{ceremonyId, consentId, token, response}`; a
/// verified passkey of the recipient approves the consent (exactly once).
async fn phone_complete(app: &App, o: &JsonObject) -> ApiResult<Response> {
    let (id, home) = ceremony_of(o)?;
    let response = response_of(o)?;
    let (access, link) = consent_for(app, o).await?;
    if home != CeremonyHome::Own {
        return Err(WebauthnError::CeremonyExpired.into());
    }
    let signed_in = complete_own(app, &id, &access, Some(&link), &response).await?;
    let token = o.required_str("token")?.to_owned();
    let approver = signed_in.user.id.clone();
    let consent = crate::api::consents::consent(app, &link.consent_id)?
        .decide(
            &Access::Verified { token },
            "approve",
            Some(&signed_in.user),
            Some(&signed_in.device),
        )
        .await?;
    // A partner sees the users who approved its consents. The approval stands
    // even if this fails, so it is only logged.
    if let Err(e) = grant_visibility(app, &approver, &access.client_id).await {
        worker::console_error!("grant user visibility: {e:?}");
    }
    Ok(json(
        200,
        &json!({"verified": true, "userId": signed_in.user.id, "deviceId": signed_in.device.id,
            "consent": consent}),
    ))
}

async fn grant_visibility(app: &App, user_id: &str, client_id: &str) -> ApiResult<()> {
    UserClient::new(&app.env, user_id)?.grant(client_id).await
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
    let access = access(&partner);
    let signed_in = match home {
        CeremonyHome::User(user_id) => {
            CredentialClient::for_user(&app.env, &user_id)?
                .authenticate(Some(&id), None, &access, &response)
                .await?
        }
        CeremonyHome::Own => complete_own(app, &id, &access, None, &response).await?,
    };
    Ok(json(
        200,
        &json!({"verified": true, "userId": signed_in.user.id, "deviceId": signed_in.device.id}),
    ))
}
