//! `/enrollments`: onboard a phone number with an SMS code.

use serde_json::json;
use worker::{Request, Response};

use crate::app::App;
use crate::auth::{self, Partner};
use crate::domain::otp::{self, Enrollment, NewEnrollment};
use crate::domain::sms::{template, SmsMessage};
use crate::domain::time::rfc3339;
use crate::domain::{ids, phone};
use crate::error::{ApiError, ApiResult};
use crate::http::{body, json};
use crate::objects::enrollment::{EnrollmentClient, OTP_KEY};
use crate::objects::limiter::LimiterClient;
use crate::objects::mobile::MobileClient;
use crate::sms;

/// OTP sends per mobile in any 10 minutes (DESIGN "Rate limits").
const MOBILE_SENDS: u32 = 3;
const MOBILE_WINDOW_MS: i64 = 10 * 60 * 1000;
/// OTP sends per client (and key mode) per minute: bounds SMS cost and abuse
/// on top of the plan's request limit.
const CLIENT_SENDS_PER_MINUTE: u32 = 30;

fn mode(livemode: bool) -> &'static str {
    if livemode {
        "live"
    } else {
        "test"
    }
}

async fn limit(app: &App, subject: &str, sliding: bool, limit: u32, window: i64) -> ApiResult<()> {
    let limiter = LimiterClient::new(&app.env);
    let verdict = if sliding {
        limiter.hit_sliding(subject, limit, window).await?
    } else {
        limiter.hit(subject, limit, window).await?
    };
    if verdict.allowed {
        Ok(())
    } else {
        // The headers describe the bucket that refused, not the client's.
        app.rate.set(Some(verdict));
        Err(ApiError::RateLimited {
            retry_after_secs: verdict.retry_after_secs(app.now),
        })
    }
}

/// `POST /enrollments {mobile}`. Nothing here depends on whether the number
/// already belongs to a user, so known and unknown numbers get identical
/// answers.
pub async fn create(mut req: Request, app: &App) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    let raw = body(&mut req).await?;
    create_for(app, &partner, &raw).await
}

/// `POST /demo/enrollments {mobile}` (keyless sandbox demo) -> 201 a test-mode
/// enrollment of the demo client (the code goes to the sandbox inbox).
pub async fn create_demo(mut req: Request, app: &App) -> ApiResult<Response> {
    let partner = auth::demo_partner(app).await?;
    let raw = body(&mut req).await?;
    create_for(app, &partner, &raw).await
}

/// Starts an enrollment for `partner`.
async fn create_for(app: &App, partner: &Partner, raw: &[u8]) -> ApiResult<Response> {
    let mobile = otp::parse_new(raw)?;
    let client_id = &partner.client.id;
    let m = mode(partner.livemode);
    limit(
        app,
        &format!("otp-client:{client_id}:{m}"),
        false,
        CLIENT_SENDS_PER_MINUTE,
        60_000,
    )
    .await?;
    // A number whose wrong-code budget is spent gets no new code to guess;
    // checked before the send limit so the refusal costs no send.
    MobileClient::new(&app.env, &mobile, partner.livemode)?
        .check_guesses()
        .await?;
    let mobile_subject = format!("otp-mobile:{m}:{mobile}");
    limit(app, &mobile_subject, true, MOBILE_SENDS, MOBILE_WINDOW_MS).await?;
    match start(app, partner, &mobile).await {
        Ok(resp) => Ok(resp),
        Err(Failed { error, maybe_sent }) => {
            if !maybe_sent {
                // Nothing reached the phone: the attempt does not use up its budget.
                let _ = LimiterClient::new(&app.env)
                    .refund_sliding(&mobile_subject, MOBILE_WINDOW_MS)
                    .await;
            }
            Err(error)
        }
    }
}

/// A failed start, and whether its SMS may nevertheless have gone out.
struct Failed {
    error: ApiError,
    maybe_sent: bool,
}

impl From<ApiError> for Failed {
    /// Failures before the send: nothing was sent.
    fn from(error: ApiError) -> Self {
        Failed {
            error,
            maybe_sent: false,
        }
    }
}

/// Stores the pending enrollment, then sends the code.
async fn start(app: &App, partner: &Partner, mobile: &str) -> Result<Response, Failed> {
    let (id, code, message_id) = app.rng(|r| {
        let id = ids::enrollment_id(r);
        let mut random = [0u8; 64];
        r.fill(&mut random);
        (id, otp::code_from_random_bytes(&random), ids::sms_id(r))
    });
    let code = code.map_err(|e| ApiError::Internal(e.to_string()))?;
    let enrollment = Enrollment::start(
        NewEnrollment {
            id: &id,
            mobile,
            client_id: &partner.client.id,
            livemode: partner.livemode,
            code: &code,
        },
        &app.config.sealing_key(OTP_KEY)?,
        app.now,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    EnrollmentClient::new(&app.env, &id)?
        .create(&enrollment)
        .await?;
    // The WebOTP line names the partner's own RP when it has one: that is
    // the page where the person types the code.
    let rp_host = partner.client.rp_id.as_deref().unwrap_or(&app.config.rp_id);
    let text = template::otp_message(&partner.client.name, &code, rp_host);
    let msg = SmsMessage::new(mobile, &text).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Err(e) = sms::send(
        &app.env,
        &partner.client.id,
        partner.livemode,
        &msg,
        message_id,
    )
    .await
    {
        // Never the text: it carries the code.
        worker::console_error!(
            "enrollment {id}: SMS to {} failed ({}): {e}",
            phone::mask(mobile),
            e.code()
        );
        return Err(Failed {
            maybe_sent: e.may_have_been_sent(),
            error: ApiError::SmsFailed {
                enrollment_id: Some(id),
            },
        });
    }
    Ok(json(201, &enrollment.view(app.now)))
}

/// Unknown id shapes are 404 without touching storage.
fn enrollment(app: &App, id: &str) -> ApiResult<EnrollmentClient> {
    if !ids::is_id(id, "enr_", 16) {
        return Err(ApiError::NotFound);
    }
    EnrollmentClient::new(&app.env, id)
}

/// `POST /enrollments/:id/verify {code}`.
pub async fn verify(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    let code = otp::parse_verify(&body(&mut req).await?)?;
    let done = enrollment(app, id)?
        .verify(&partner.tenant(), &code)
        .await?;
    Ok(json(
        200,
        &json!({
            "id": id,
            "object": "enrollment",
            "status": "verified",
            "userId": done.user_id,
            "registrationToken": done.registration_token,
            "registrationTokenExpiresAt": rfc3339(done.registration_token_expires_at),
        }),
    ))
}

/// `POST /enrollments/:id/phone-verify {code}`: the hosted `/enroll` page's
/// way in, without a partner key. The enrollment id (82 random bits, handed
/// to the person by the partner in the page link) plus the code texted to
/// the number is the credential; the attempt limits are the partner path's
/// (5 per enrollment, 15 wrong codes per mobile per 24 h). The answer leaves
/// out `userId`: the phone needs only the registration token.
pub async fn phone_verify(mut req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let code = otp::parse_verify(&body(&mut req).await?)?;
    let done = enrollment(app, id)?.verify_by_phone(&code).await?;
    Ok(json(
        200,
        &json!({
            "id": id,
            "object": "enrollment",
            "status": "verified",
            "registrationToken": done.registration_token,
            "registrationTokenExpiresAt": rfc3339(done.registration_token_expires_at),
        }),
    ))
}

/// `GET /enrollments/:id`: never the code or the token.
pub async fn get(req: Request, app: &App, id: &str) -> ApiResult<Response> {
    let partner = auth::partner(&req, app).await?;
    let view = enrollment(app, id)?.view(&partner.tenant()).await?;
    Ok(json(200, &view))
}
