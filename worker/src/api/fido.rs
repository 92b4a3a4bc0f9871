//! `/fido`: WebAuthn registration and authentication ceremonies, on the
//! partner path (API key) and the person's phone path (registration token or
//! approval-link token).

use serde_json::{json, Value};
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::fido::{
    self, authentication_options, Ceremony, CeremonyHome, CeremonyKind, Rp, CEREMONY_TTL_MS,
};
use crate::domain::ids;
use crate::domain::input::{InputError, JsonObject};
use crate::domain::random::Random;
use crate::domain::tenant::Tenant;
use crate::domain::webauthn::{base64url_encode, WebauthnError};
use crate::error::ApiResult;
use crate::http::{body, header, json};
use crate::lookup;
use crate::objects::ceremony::CeremonyClient;
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
    mint(app, tenant, rp, kind, |r| fido::ceremony_id(r, user_id))
}

fn mint(
    app: &App,
    tenant: &Tenant,
    rp: Rp,
    kind: CeremonyKind,
    id_of: impl FnOnce(&mut dyn Random) -> String,
) -> Ceremony {
    let (id, challenge) = app.rng(|r| {
        let mut challenge = [0u8; 32];
        r.fill(&mut challenge);
        (id_of(r), base64url_encode(&challenge))
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

/// A discoverable ceremony (no user known at begin) in its own object.
async fn begin_discoverable(app: &App, ceremony: Ceremony) -> ApiResult<Response> {
    let options = json!(authentication_options(&ceremony, None));
    let id = ceremony.id.clone();
    CeremonyClient::new(&app.env, &id)?.store(ceremony).await?;
    Ok(begun(&id, options))
}

/// Phone path of `begin`: `{consentId, token}`, on the service's RP (the hosted
/// approval page), discoverable (the recipient's passkey answers). One call:
/// the consent's object counts it, checks the token and status, and keeps
/// the ceremony (whose id names the consent) with the consent.
async fn phone_begin(app: &App, o: &JsonObject) -> ApiResult<Response> {
    if o.has("userId") {
        return Err(InputError::invalid("userId", "cannot be combined with consentId").into());
    }
    let consent_id = o.required_str("consentId")?;
    let token = o.required_str("token")?.to_owned();
    let consent = lookup::consent(app, consent_id)?;
    // The consent's object fills in its client, mode and recipient.
    let unknown = Tenant::new(String::new(), false);
    let ceremony = mint(
        app,
        &unknown,
        service_rp(app),
        CeremonyKind::Authentication,
        |r| fido::consent_ceremony_id(r, consent_id),
    );
    let id = ceremony.id.clone();
    let options = lookup::phone_limited(app, consent.phone_begin(token, ceremony).await)?;
    Ok(begun(&id, options))
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

/// Consumes a partner-path discoverable ceremony, finds the credential's
/// owner and verifies there.
async fn complete_discoverable(
    app: &App,
    id: &str,
    tenant: &Tenant,
    response: Value,
) -> ApiResult<SignedIn> {
    // Consume first (single use whatever the outcome), then find the owner.
    let ceremony = CeremonyClient::new(&app.env, id)?.take(tenant).await?;
    let user_id = lookup::passkey_owner(&app.env, &response).await?;
    UserClient::new(&app.env, &user_id)?
        .authenticate(None, Some(ceremony), tenant, response)
        .await
}

/// Phone path of `complete`: `{ceremonyId, consentId, token, response}`; a
/// passkey that may decide the consent (DESIGN §2) approves it, exactly once.
/// The consent's object does it all (it holds the ceremony; only a ceremony
/// begun for this consent on the phone path is there) and asks the passkey's
/// user object to verify.
async fn phone_complete(app: &App, o: &JsonObject) -> ApiResult<Response> {
    let (id, _) = ceremony_of(o)?;
    let response = response_of(o)?;
    let consent = lookup::consent(app, o.required_str("consentId")?)?;
    let token = o.required_str("token")?.to_owned();
    let approved = consent.phone_complete(token, id, response).await;
    Ok(json(200, &lookup::phone_limited(app, approved)?))
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
        CeremonyHome::Own => complete_discoverable(app, &id, &tenant, response).await?,
        // A phone ceremony completes only on the phone path.
        CeremonyHome::Consent(_) => return Err(WebauthnError::CeremonyExpired.into()),
    };
    Ok(json(
        200,
        &json!({"verified": true, "userId": signed_in.user.id, "deviceId": signed_in.device.id}),
    ))
}
