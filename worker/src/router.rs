//! Every route, one per line. Unknown paths are 404, known paths with another
//! method 405, both as JSON errors.

use worker::{Env, Method, Request, Response};

use crate::api::{
    billing, clients, consents, demo, devices, enrollments, fido, health, pages, sandbox, users,
    webhooks,
};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{error_response, set_header};

#[derive(Debug, Clone, Copy)]
enum Route {
    Health,
    CreateClient,
    GetClient,
    UpdateClient,
    RotateClientKey,
    RotateWebhookSecret,
    CreateConsent,
    GetConsent,
    ConsentQr,
    ConsentLive,
    ScanConsent,
    RejectConsent,
    DecideConsent,
    CreateEnrollment,
    GetEnrollment,
    VerifyEnrollment,
    PhoneVerifyEnrollment,
    GetUser,
    ListDeliveries,
    RetryDelivery,
    SandboxMessages,
    SandboxConsent,
    SandboxUser,
    FidoRegisterBegin,
    FidoRegisterComplete,
    FidoAuthBegin,
    FidoAuthComplete,
    CreateDevice,
    GetDevice,
    DeleteDevice,
    UserDevices,
    ApprovalPage,
    DemoClient,
    DemoConsent,
    DemoEnrollment,
    StripeWebhook,
    AppStoreWebhook,
    PlayStoreWebhook,
    BillingEvents,
}

#[rustfmt::skip]
const ROUTES: &[(Method, &str, Route)] = &[
    (Method::Get, "/health", Route::Health),
    (Method::Post, "/clients", Route::CreateClient),
    (Method::Get, "/clients/:id", Route::GetClient),
    (Method::Put, "/clients/:id", Route::UpdateClient),
    (Method::Post, "/clients/:id/keys", Route::RotateClientKey),
    (Method::Post, "/clients/:id/webhook-secret", Route::RotateWebhookSecret),
    (Method::Post, "/consents/auth", Route::CreateConsent),
    (Method::Get, "/consents/qr/:type/:id", Route::ConsentQr),
    (Method::Get, "/consents/:id", Route::GetConsent),
    (Method::Get, "/consents/:id/live", Route::ConsentLive),
    (Method::Post, "/consents/:id/scan", Route::ScanConsent),
    (Method::Post, "/consents/:id/reject", Route::RejectConsent),
    (Method::Post, "/consents/:id/decision", Route::DecideConsent),
    (Method::Post, "/enrollments", Route::CreateEnrollment),
    (Method::Get, "/enrollments/:id", Route::GetEnrollment),
    (Method::Post, "/enrollments/:id/verify", Route::VerifyEnrollment),
    (Method::Post, "/enrollments/:id/phone-verify", Route::PhoneVerifyEnrollment),
    (Method::Get, "/users/:id", Route::GetUser),
    (Method::Get, "/webhooks/deliveries", Route::ListDeliveries),
    (Method::Post, "/webhooks/deliveries/:id/retry", Route::RetryDelivery),
    (Method::Get, "/sandbox/messages", Route::SandboxMessages),
    (Method::Post, "/sandbox/consents/:id/:action", Route::SandboxConsent),
    (Method::Post, "/sandbox/users", Route::SandboxUser),
    (Method::Post, "/fido/register/begin", Route::FidoRegisterBegin),
    (Method::Post, "/fido/register/complete", Route::FidoRegisterComplete),
    (Method::Post, "/fido/authenticate/begin", Route::FidoAuthBegin),
    (Method::Post, "/fido/authenticate/complete", Route::FidoAuthComplete),
    (Method::Post, "/devices", Route::CreateDevice),
    (Method::Get, "/devices/:id", Route::GetDevice),
    (Method::Delete, "/devices/:id", Route::DeleteDevice),
    (Method::Get, "/users/:id/devices", Route::UserDevices),
    (Method::Get, "/a/:id", Route::ApprovalPage),
    (Method::Put, "/demo/client", Route::DemoClient),
    (Method::Post, "/demo/consents", Route::DemoConsent),
    (Method::Post, "/demo/enrollments", Route::DemoEnrollment),
    (Method::Post, "/webhooks/stripe", Route::StripeWebhook),
    (Method::Post, "/webhooks/appstore", Route::AppStoreWebhook),
    (Method::Post, "/webhooks/playstore", Route::PlayStoreWebhook),
    (Method::Get, "/billing/events", Route::BillingEvents),
];

/// Matches `path` against `pattern`; `:name` segments capture.
fn matches<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut segs = path.split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) if p.starts_with(':') && !s.is_empty() => params.push(s),
            (Some(p), Some(s)) if p == s => {}
            _ => return None,
        }
    }
}

fn resolve<'p>(method: &Method, path: &'p str) -> ApiResult<(Route, Vec<&'p str>)> {
    let mut path_known = false;
    for (m, pattern, route) in ROUTES {
        if let Some(params) = matches(pattern, path) {
            if m == method || (*method == Method::Head && *m == Method::Get) {
                return Ok((*route, params));
            }
            path_known = true;
        }
    }
    Err(if path_known {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound
    })
}

async fn dispatch(route: Route, req: Request, app: &App, p: &[&str]) -> ApiResult<Response> {
    let at = |i: usize| p.get(i).copied().unwrap_or_default();
    match route {
        Route::Health => health::get(),
        Route::CreateClient => clients::create(req, app).await,
        Route::GetClient => clients::get(req, app, at(0)).await,
        Route::UpdateClient => clients::update(req, app, at(0)).await,
        Route::RotateClientKey => clients::rotate_key(req, app, at(0)).await,
        Route::RotateWebhookSecret => clients::rotate_webhook_secret(req, app, at(0)).await,
        Route::CreateConsent => consents::create(req, app).await,
        Route::GetConsent => consents::get(req, app, at(0)).await,
        Route::ConsentQr => consents::qr_image(req, app, at(0), at(1)).await,
        Route::ConsentLive => consents::live(req, app, at(0)).await,
        Route::ScanConsent => consents::scan(req, app, at(0)).await,
        Route::RejectConsent => consents::reject(req, app, at(0)).await,
        Route::DecideConsent => devices::decide(req, app, at(0)).await,
        Route::CreateEnrollment => enrollments::create(req, app).await,
        Route::GetEnrollment => enrollments::get(req, app, at(0)).await,
        Route::VerifyEnrollment => enrollments::verify(req, app, at(0)).await,
        Route::PhoneVerifyEnrollment => enrollments::phone_verify(req, app, at(0)).await,
        Route::GetUser => users::get(req, app, at(0)).await,
        Route::ListDeliveries => webhooks::list(req, app).await,
        Route::RetryDelivery => webhooks::retry(req, app, at(0)).await,
        Route::SandboxMessages => sandbox::messages(req, app).await,
        Route::SandboxConsent => sandbox::decide(req, app, at(0), at(1)).await,
        Route::SandboxUser => sandbox::create_user(req, app).await,
        Route::FidoRegisterBegin => fido::register_begin(req, app).await,
        Route::FidoRegisterComplete => fido::register_complete(req, app).await,
        Route::FidoAuthBegin => fido::authenticate_begin(req, app).await,
        Route::FidoAuthComplete => fido::authenticate_complete(req, app).await,
        Route::CreateDevice => devices::create(req, app).await,
        Route::GetDevice => devices::get(req, app, at(0)).await,
        Route::DeleteDevice => devices::delete(req, app, at(0)).await,
        Route::UserDevices => devices::list_for_user(req, app, at(0)).await,
        Route::ApprovalPage => pages::approval(app).await,
        Route::DemoClient => demo::designate(req, app).await,
        Route::DemoConsent => consents::create_demo(req, app).await,
        Route::DemoEnrollment => enrollments::create_demo(req, app).await,
        Route::StripeWebhook => billing::stripe(req, app).await,
        Route::AppStoreWebhook => billing::appstore(req, app).await,
        Route::PlayStoreWebhook => billing::playstore(req, app).await,
        Route::BillingEvents => billing::events(req, app).await,
    }
}

/// CORS preflight: partner pages read consents with their `clientSecret`.
fn preflight() -> Response {
    let mut resp = Response::builder().with_status(204).empty();
    set_header(
        &mut resp,
        "Access-Control-Allow-Methods",
        "GET, POST, PUT, DELETE",
    );
    set_header(
        &mut resp,
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, X-Client-ID, Idempotency-Key",
    );
    set_header(&mut resp, "Access-Control-Max-Age", "600");
    resp
}

pub async fn handle(req: Request, env: Env) -> Response {
    let app = App::new(env);
    let method = req.method();
    let path = req.path();
    let mut resp = if !app.config.has_sealing_key() {
        // DESIGN §5: no fallback secret; every request fails loudly until it is set.
        error_response(ApiError::Internal(
            crate::config::MISSING_SEALING_KEY.into(),
        ))
    } else if method == Method::Options {
        preflight()
    } else {
        match resolve(&method, &path) {
            Ok((route, params)) => dispatch(route, req, &app, &params).await,
            Err(e) => Err(e),
        }
        .unwrap_or_else(error_response)
    };
    if app.rng_failed() {
        resp = error_response(ApiError::Internal("randomness unavailable".into()));
    }
    if resp.status_code() == 101 {
        return resp;
    }
    set_header(&mut resp, "Access-Control-Allow-Origin", "*");
    set_header(&mut resp, "Access-Control-Expose-Headers", "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Idempotent-Replayed");
    set_header(&mut resp, "X-Content-Type-Options", "nosniff");
    if let Some(v) = app.rate.get() {
        set_header(&mut resp, "X-RateLimit-Limit", &v.limit.to_string());
        set_header(&mut resp, "X-RateLimit-Remaining", &v.remaining.to_string());
        set_header(
            &mut resp,
            "X-RateLimit-Reset",
            &(v.reset_ms / 1000).to_string(),
        );
    }
    if app.config.debug_hop_headers {
        let (objects, kv) = app.hops.since();
        set_header(&mut resp, "X-MID-Object-Calls", &objects.to_string());
        set_header(&mut resp, "X-MID-KV-Calls", &kv.to_string());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_resolve_and_unknown_paths_do_not() {
        assert!(
            matches!(resolve(&Method::Get, "/consents/qr/svg/cons_x"), Ok((Route::ConsentQr, p)) if p == ["svg", "cons_x"])
        );
        assert!(matches!(
            resolve(&Method::Get, "/consents/cons_x"),
            Ok((Route::GetConsent, _))
        ));
        assert!(matches!(
            resolve(&Method::Delete, "/consents/cons_x"),
            Err(ApiError::MethodNotAllowed)
        ));
        assert!(matches!(
            resolve(&Method::Get, "/consents/"),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            resolve(&Method::Get, "/nope"),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            resolve(&Method::Get, "/health/"),
            Err(ApiError::NotFound)
        ));
    }

    /// `www/openapi.json` documents exactly the routes of [`ROUTES`]: a route
    /// added or removed without the document fails here (`:id` is `{id}` there).
    #[test]
    fn openapi_document_lists_exactly_the_routes() {
        let doc: serde_json::Value =
            serde_json::from_slice((include_str!("../../www/openapi.json")).as_bytes()).unwrap();
        let templated = |p: &str| {
            p.split('/')
                .map(|s| match s.strip_prefix(':') {
                    Some(name) => format!("{{{name}}}"),
                    None => s.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| (m.to_string().to_lowercase(), templated(p)))
            .collect();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.push((method.clone(), path.clone()));
                }
            }
        }
        routes.sort();
        documented.sort();
        let missing: Vec<_> = routes.iter().filter(|r| !documented.contains(r)).collect();
        let extra: Vec<_> = documented.iter().filter(|d| !routes.contains(d)).collect();
        assert!(
            missing.is_empty(),
            "routes missing from www/openapi.json: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "www/openapi.json operations that are no route: {extra:?}"
        );
        assert_eq!(routes.len(), documented.len(), "a route is listed twice");
    }
}
