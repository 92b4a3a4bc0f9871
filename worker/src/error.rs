//! The one place where failures become HTTP: status + `{"error":{code,message,param?}}`.
//! Internal details are logged, never echoed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::approval::ApprovalRefusal;
use crate::domain::consent::ConsentError;
use crate::domain::device_key::DecisionRefusal;
use crate::domain::input::InputError;
use crate::domain::limits::LimitError;
use crate::domain::webauthn::WebauthnError;

/// Also the error half of the Durable Object protocol (`objects::rpc`): an
/// object's failure crosses to the worker as this enum's serde form, so a
/// `Forbidden` stays a 403 with its message and nothing is re-parsed from codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApiError {
    /// Invalid input (400), with the offending param.
    Input(InputError),
    /// Missing, unknown or revoked credentials, or a client-id mismatch (401).
    Unauthorized,
    /// Authenticated but not allowed (403).
    Forbidden(Cow<'static, str>),
    /// Unknown route or a record the caller may not see (404).
    NotFound,
    /// Known path, wrong method (405).
    MethodNotAllowed,
    /// State conflict, e.g. a decided consent (409).
    Conflict(Cow<'static, str>),
    /// The consent or ceremony expired (410).
    Expired,
    /// Body over 64 KiB (413).
    PayloadTooLarge,
    /// A body that is not `application/json` (415).
    UnsupportedMediaType,
    /// Over a rate limit (429); seconds until retry.
    #[serde(rename_all = "camelCase")]
    RateLimited { retry_after_secs: i64 },
    /// A fixed cap is reached, e.g. a user's passkeys (409 `conflict`).
    Limit(LimitError),
    /// A wrong (or malformed) enrollment code (400), with the attempts left.
    #[serde(rename_all = "camelCase")]
    InvalidCode { attempts_remaining: u8 },
    /// The enrollment ran out of attempts and is locked (429).
    #[serde(rename_all = "camelCase")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The SMS provider did not take the message (502); the enrollment was
    /// created and stays pending, so its id is given.
    #[serde(rename_all = "camelCase")]
    SmsFailed { enrollment_id: Option<String> },
    /// A WebAuthn ceremony failed (400 with the specific code, `credential_exists` included: DESIGN §3).
    Webauthn(WebauthnError),
    /// An authenticator that proved possession but may not decide this consent
    /// (DESIGN §2): 403 `forbidden` with the reason.
    Approval(ApprovalRefusal),
    /// A device-key decision without a fresh challenge or valid signature (400 with its code).
    Decision(DecisionRefusal),
    /// A billing webhook whose signature or token failed (400 for Stripe and
    /// the App Store, 401 for the Play push token: DESIGN §3).
    Billing(crate::domain::billing::Refusal),
    /// Anything unexpected (500); the detail is only logged.
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Input(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) | Self::Approval(_) => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict(_) => 409,
            Self::Expired => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Limit(_) => 409,
            Self::InvalidCode { .. } => 400,
            Self::TooManyAttempts { .. } => 429,
            Self::SmsFailed { .. } => 502,
            Self::Webauthn(_) | Self::Decision(_) => 400,
            Self::Billing(r) => r.status(),
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Input(e) => e.code(),
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) | Self::Approval(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::Expired => "expired",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Limit(_) => "conflict",
            Self::InvalidCode { .. } => "invalid_code",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::SmsFailed { .. } => "sms_failed",
            Self::Webauthn(e) => e.code(),
            Self::Decision(d) => d.code(),
            Self::Billing(r) => r.code(),
            Self::Internal(_) => "internal",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Input(e) => e.message(),
            Self::Unauthorized => "Missing or invalid credentials.".into(),
            Self::Forbidden(why) | Self::Conflict(why) => why.to_string(),
            Self::NotFound => "No such resource.".into(),
            Self::MethodNotAllowed => "This method is not allowed on this path.".into(),
            Self::Expired => "This has expired.".into(),
            Self::PayloadTooLarge => "The request body exceeds 64 KiB.".into(),
            Self::UnsupportedMediaType => "The request body must be application/json.".into(),
            Self::RateLimited { .. } => {
                "Too many requests; retry after the time in Retry-After.".into()
            }
            Self::Limit(l) => l.message().into(),
            Self::InvalidCode { .. } => "The code is not correct.".into(),
            Self::TooManyAttempts { .. } => {
                "Too many wrong codes: this enrollment is locked. Start a new enrollment.".into()
            }
            Self::SmsFailed { .. } => {
                "The SMS provider did not accept the message. Try again shortly.".into()
            }
            Self::Webauthn(e) => e.message().into(),
            Self::Approval(r) => r.message().into(),
            Self::Decision(d) => d.message().into(),
            Self::Billing(r) => r.reason.to_string(),
            Self::Internal(_) => "Something went wrong on our side.".into(),
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code(), "message": self.message()});
        if let (Self::Input(e), Some(obj)) = (self, error.as_object_mut()) {
            if let Some(p) = e.param() {
                obj.insert("param".into(), p.into());
            }
        }
        let attempts = match self {
            Self::InvalidCode { attempts_remaining } => Some(*attempts_remaining),
            Self::TooManyAttempts { .. } => Some(0),
            _ => None,
        };
        if let (Some(n), Some(obj)) = (attempts, error.as_object_mut()) {
            obj.insert("param".into(), "code".into());
            obj.insert("attemptsRemaining".into(), n.into());
            // Also at the top level, where form-style clients look first (docs/enrollments.md).
            return json!({ "error": error, "attemptsRemaining": n });
        }
        if let (
            Self::SmsFailed {
                enrollment_id: Some(id),
            },
            Some(obj),
        ) = (self, error.as_object_mut())
        {
            obj.insert("enrollmentId".into(), id.clone().into());
        }
        json!({ "error": error })
    }

    /// Headers the answer carries besides the body: `Retry-After` on 429s,
    /// `Allow` on 405.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::RateLimited { retry_after_secs } | Self::TooManyAttempts { retry_after_secs } => {
                vec![("Retry-After", retry_after_secs.max(&1).to_string())]
            }
            Self::MethodNotAllowed => vec![("Allow", "GET, POST, PUT, DELETE".into())],
            _ => Vec::new(),
        }
    }
}

impl ApiError {
    /// 409 for acting on a consent that is already approved or rejected.
    pub fn decided() -> Self {
        Self::Conflict("This consent has already been decided.".into())
    }

    /// 403 with a fixed explanation.
    pub fn forbidden(why: &'static str) -> Self {
        Self::Forbidden(why.into())
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        Self::Input(e)
    }
}

impl From<ApprovalRefusal> for ApiError {
    fn from(r: ApprovalRefusal) -> Self {
        Self::Approval(r)
    }
}

impl From<crate::domain::passkeys::PasskeyError> for ApiError {
    fn from(e: crate::domain::passkeys::PasskeyError) -> Self {
        use crate::domain::passkeys::PasskeyError as P;
        match e {
            P::Webauthn(w) => Self::Webauthn(w),
            P::Limit(l) => Self::Limit(l),
            P::Approval(a) => Self::Approval(a),
            P::NotFound => Self::NotFound,
            P::NeedsApiKey => Self::Unauthorized,
        }
    }
}

impl From<LimitError> for ApiError {
    fn from(e: LimitError) -> Self {
        Self::Limit(e)
    }
}

impl From<WebauthnError> for ApiError {
    fn from(e: WebauthnError) -> Self {
        Self::Webauthn(e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::Expired => Self::Expired,
            ConsentError::AlreadyDecided => Self::decided(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
