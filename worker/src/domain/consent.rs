//! A consent: a partner's question to the person behind a phone number, and
//! its state machine `pending -> scanned -> approved | rejected`, with any
//! non-terminal state becoming `expired` at exactly `expiresAt`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::input::{InputError, JsonObject};
use super::phone;
use super::time::rfc3339;

pub const MESSAGE_MAX_CHARS: usize = 140;
pub const METADATA_MAX_BYTES: usize = 2048;
pub const EXPIRES_IN_MIN: i64 = 30;
pub const EXPIRES_IN_MAX: i64 = 900;
pub const EXPIRES_IN_DEFAULT: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    Login,
    Signup,
    Payment,
    Transaction,
    Signature,
}

impl Intent {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "login" => Some(Self::Login),
            "signup" => Some(Self::Signup),
            "payment" => Some(Self::Payment),
            "transaction" => Some(Self::Transaction),
            "signature" => Some(Self::Signature),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Signup => "signup",
            Self::Payment => "payment",
            Self::Transaction => "transaction",
            Self::Signature => "signature",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Scanned,
    Approved,
    Rejected,
    Expired,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected | Self::Expired)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scanned => "scanned",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }
}

/// The person who approved: `{id, mobile, verified}` in API and webhook bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: String,
    pub mobile: String,
    pub verified: bool,
}

/// The credential that approved: `{id, model}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    pub id: String,
    pub model: String,
}

/// A validated `POST /consents/auth` body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConsent {
    pub recipient: String,
    pub intent: Intent,
    pub message: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub expires_in: i64,
}

impl NewConsent {
    pub fn parse(body: &[u8]) -> Result<Self, InputError> {
        let o = JsonObject::parse(
            body,
            &["recipient", "intent", "message", "metadata", "expiresIn"],
        )?;
        let recipient = phone::normalize(o.required_str("recipient")?)
            .map_err(|_| InputError::InvalidPhone("recipient".into()))?;
        let intent_text = o.required_str("intent")?;
        let intent = Intent::parse(intent_text).ok_or_else(|| {
            InputError::invalid(
                "intent",
                "must be one of login, signup, payment, transaction, signature",
            )
        })?;
        let message = o.str("message")?.map(str::to_owned);
        if let Some(m) = &message {
            if m.chars().count() > MESSAGE_MAX_CHARS {
                return Err(InputError::invalid(
                    "message",
                    format!("must be at most {MESSAGE_MAX_CHARS} characters"),
                ));
            }
            if m.chars().any(|c| c.is_control() && c != '\n') {
                return Err(InputError::invalid(
                    "message",
                    "must not contain control characters",
                ));
            }
        }
        let metadata = o.object("metadata")?.cloned();
        if let Some(m) = &metadata {
            let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > METADATA_MAX_BYTES {
                return Err(InputError::invalid(
                    "metadata",
                    format!("must be at most {METADATA_MAX_BYTES} bytes when serialised"),
                ));
            }
        }
        let expires_in = o.i64("expiresIn")?.unwrap_or(EXPIRES_IN_DEFAULT);
        if !(EXPIRES_IN_MIN..=EXPIRES_IN_MAX).contains(&expires_in) {
            return Err(InputError::invalid(
                "expiresIn",
                format!("must be between {EXPIRES_IN_MIN} and {EXPIRES_IN_MAX} seconds"),
            ));
        }
        Ok(Self {
            recipient,
            intent,
            message,
            metadata,
            expires_in,
        })
    }
}

/// The stored consent. Times are unix milliseconds; the API form is [`Consent::view`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub livemode: bool,
    pub recipient: String,
    pub intent: Intent,
    pub message: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub status: Status,
    pub created_at: i64,
    pub expires_at: i64,
    pub scanned_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub user: Option<UserRef>,
    pub device: Option<DeviceRef>,
}

/// Why an action on a consent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentError {
    /// The consent passed `expiresAt` before the action (410).
    Expired,
    /// The consent is already approved or rejected (409).
    AlreadyDecided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

impl Consent {
    pub fn new(
        id: String,
        client_id: String,
        client_name: String,
        livemode: bool,
        req: NewConsent,
        now: i64,
    ) -> Self {
        Self {
            id,
            client_id,
            client_name,
            livemode,
            recipient: req.recipient,
            intent: req.intent,
            message: req.message,
            metadata: req.metadata,
            status: Status::Pending,
            created_at: now,
            expires_at: now.saturating_add(req.expires_in.saturating_mul(1000)),
            scanned_at: None,
            decided_at: None,
            user: None,
            device: None,
        }
    }

    /// The status as of `now`: a non-terminal consent at or past `expiresAt`
    /// is expired even if nothing has recorded it yet.
    pub fn status_at(&self, now: i64) -> Status {
        if !self.status.is_terminal() && now >= self.expires_at {
            Status::Expired
        } else {
            self.status
        }
    }

    /// Records expiry if it is due; `true` when this call made it terminal
    /// (the caller then emits `consent.expired`, exactly once).
    pub fn expire_if_due(&mut self, now: i64) -> bool {
        if self.status_at(now) == Status::Expired && self.status != Status::Expired {
            self.status = Status::Expired;
            true
        } else {
            false
        }
    }

    fn check_open(&self, now: i64) -> Result<(), ConsentError> {
        match self.status_at(now) {
            Status::Expired => Err(ConsentError::Expired),
            Status::Approved | Status::Rejected => Err(ConsentError::AlreadyDecided),
            Status::Pending | Status::Scanned => Ok(()),
        }
    }

    /// `pending -> scanned`; scanning again is harmless. Returns whether the
    /// status changed.
    pub fn scan(&mut self, now: i64) -> Result<bool, ConsentError> {
        self.check_open(now)?;
        if self.status == Status::Pending {
            self.status = Status::Scanned;
            self.scanned_at = Some(now);
            return Ok(true);
        }
        Ok(false)
    }

    /// Approves or rejects, exactly once.
    pub fn decide(
        &mut self,
        now: i64,
        decision: Decision,
        user: Option<UserRef>,
        device: Option<DeviceRef>,
    ) -> Result<(), ConsentError> {
        self.check_open(now)?;
        self.status = match decision {
            Decision::Approve => Status::Approved,
            Decision::Reject => Status::Rejected,
        };
        self.decided_at = Some(now);
        self.user = user;
        self.device = device;
        Ok(())
    }

    /// The public JSON form of `GET /consents/:id`.
    pub fn view(&self, now: i64) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), self.id.clone().into());
        v.insert("object".into(), "consent".into());
        v.insert("clientId".into(), self.client_id.clone().into());
        v.insert("recipient".into(), self.recipient.clone().into());
        v.insert("intent".into(), self.intent.as_str().into());
        v.insert(
            "message".into(),
            self.message.clone().map_or(Value::Null, Value::from),
        );
        v.insert(
            "metadata".into(),
            self.metadata.clone().map_or(Value::Null, Value::Object),
        );
        v.insert("status".into(), self.status_at(now).as_str().into());
        v.insert("livemode".into(), self.livemode.into());
        v.insert("createdAt".into(), rfc3339(self.created_at).into());
        v.insert("expiresAt".into(), rfc3339(self.expires_at).into());
        if let Some(t) = self.scanned_at {
            v.insert("scannedAt".into(), rfc3339(t).into());
        }
        if let Some(t) = self.decided_at {
            v.insert("decidedAt".into(), rfc3339(t).into());
        }
        if let Some(u) = &self.user {
            v.insert(
                "user".into(),
                serde_json::to_value(u).unwrap_or(Value::Null),
            );
        }
        if let Some(d) = &self.device {
            v.insert(
                "device".into(),
                serde_json::to_value(d).unwrap_or(Value::Null),
            );
        }
        Value::Object(v)
    }

    /// What the person's phone shows after scanning.
    pub fn phone_view(&self, now: i64) -> Value {
        serde_json::json!({
            "id": self.id,
            "clientName": self.client_name,
            "intent": self.intent.as_str(),
            "message": self.message,
            "recipientMasked": phone::mask(&self.recipient),
            "expiresAt": rfc3339(self.expires_at),
            "status": self.status_at(now).as_str(),
        })
    }
}

/// What a create call does to a consent object, given the digest of the
/// creation it already holds (`None`: empty; `Some("")`: a consent created
/// before digests were kept) and the digest of this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateStep {
    /// Empty: store the consent and emit `consent.created`.
    Store,
    /// The identical creation again (a resumed idempotent request): nothing
    /// to store and no second `consent.created`.
    Repeat,
    /// Another consent under an existing id.
    Conflict,
}

pub fn create_step(stored: Option<&str>, creation: &str) -> CreateStep {
    match stored {
        None => CreateStep::Store,
        Some(d) if !d.is_empty() && d == creation => CreateStep::Repeat,
        Some(_) => CreateStep::Conflict,
    }
}

/// Identifies one creation: the consent as created and its secrets (whose
/// random hashes make two different creations differ).
pub fn creation_digest(consent: &Consent, secrets: &impl Serialize) -> String {
    let text = serde_json::json!({ "consent": consent, "secrets": secrets }).to_string();
    super::crypto::sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    fn consent(expires_in: i64) -> Consent {
        let req = NewConsent::parse(
            format!(r#"{{"recipient":"08031234567","intent":"login","expiresIn":{expires_in}}}"#)
                .as_bytes(),
        )
        .unwrap();
        Consent::new(
            "cons_0123456789abcdef".into(),
            "mid_client_x".into(),
            "Shop".into(),
            false,
            req,
            T0,
        )
    }

    #[test]
    fn parses_and_normalises_a_request() {
        let c = consent(60);
        assert_eq!(c.recipient, "+2348031234567");
        assert_eq!(c.expires_at, T0 + 60_000);
        let d = NewConsent::parse(br#"{"recipient":"+2348031234567","intent":"payment"}"#).unwrap();
        assert_eq!(d.expires_in, 300);
    }

    #[test]
    fn every_validation_error_names_its_param() {
        let cases: [(&str, &str, &str); 12] = [
            (r#"{"intent":"login"}"#, "recipient", "invalid_request"),
            (
                r#"{"recipient":"12","intent":"login"}"#,
                "recipient",
                "invalid_phone",
            ),
            (
                r#"{"recipient":5,"intent":"login"}"#,
                "recipient",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567"}"#,
                "intent",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"pay"}"#,
                "intent",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","expiresIn":29}"#,
                "expiresIn",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","expiresIn":901}"#,
                "expiresIn",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","expiresIn":"60"}"#,
                "expiresIn",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","metadata":[1]}"#,
                "metadata",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","message":7}"#,
                "message",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","status":"approved"}"#,
                "status",
                "invalid_request",
            ),
            (
                r#"{"recipient":"+2348031234567","intent":"login","message":"a\u0007b"}"#,
                "message",
                "invalid_request",
            ),
        ];
        for (body, param, code) in cases {
            let err = NewConsent::parse(body.as_bytes()).unwrap_err();
            assert_eq!((err.param(), err.code()), (Some(param), code), "{body}");
        }
    }

    #[test]
    fn message_and_metadata_limits_are_exact() {
        let ok = format!(
            r#"{{"recipient":"+2348031234567","intent":"login","message":"{}"}}"#,
            "é".repeat(140)
        );
        assert!(NewConsent::parse(ok.as_bytes()).is_ok());
        let long = format!(
            r#"{{"recipient":"+2348031234567","intent":"login","message":"{}"}}"#,
            "é".repeat(141)
        );
        assert!(NewConsent::parse(long.as_bytes()).is_err());
        // {"k":"<2040 x>"} serialises to exactly 2048 bytes.
        let meta = |n: usize| {
            format!(
                r#"{{"recipient":"+2348031234567","intent":"login","metadata":{{"k":"{}"}}}}"#,
                "x".repeat(n)
            )
        };
        assert!(NewConsent::parse(meta(2040).as_bytes()).is_ok());
        assert!(NewConsent::parse(meta(2041).as_bytes()).is_err());
    }

    #[test]
    fn happy_path_pending_scanned_approved() {
        let mut c = consent(60);
        assert_eq!(c.scan(T0 + 1), Ok(true));
        assert_eq!(c.scan(T0 + 2), Ok(false), "scanning again is harmless");
        assert_eq!(c.scanned_at, Some(T0 + 1));
        let user = UserRef {
            id: "user_1".into(),
            mobile: c.recipient.clone(),
            verified: true,
        };
        c.decide(T0 + 3, Decision::Approve, Some(user.clone()), None)
            .unwrap();
        assert_eq!(c.status, Status::Approved);
        assert_eq!(c.user, Some(user));
        assert_eq!(
            c.decide(T0 + 4, Decision::Reject, None, None),
            Err(ConsentError::AlreadyDecided)
        );
        assert_eq!(c.scan(T0 + 4), Err(ConsentError::AlreadyDecided));
        assert!(
            !c.expire_if_due(T0 + 120_000),
            "terminal states never change"
        );
        assert_eq!(c.status_at(T0 + 120_000), Status::Approved);
    }

    #[test]
    fn pending_can_be_rejected_directly() {
        let mut c = consent(60);
        c.decide(T0, Decision::Reject, None, None).unwrap();
        assert_eq!(c.status, Status::Rejected);
        assert_eq!(
            c.decide(T0, Decision::Approve, None, None),
            Err(ConsentError::AlreadyDecided)
        );
    }

    #[test]
    fn expiry_holds_at_exactly_expires_at() {
        let mut c = consent(30);
        let at = c.expires_at;
        assert_eq!(c.status_at(at - 1), Status::Pending);
        assert_eq!(c.status_at(at), Status::Expired);
        assert_eq!(c.clone().scan(at), Err(ConsentError::Expired));
        assert_eq!(
            c.clone().decide(at, Decision::Approve, None, None),
            Err(ConsentError::Expired)
        );
        assert!(c
            .clone()
            .decide(at - 1, Decision::Approve, None, None)
            .is_ok());
        assert!(!c.expire_if_due(at - 1));
        assert!(c.expire_if_due(at));
        assert!(!c.expire_if_due(at + 1), "expired is emitted once");
        assert_eq!(c.view(at)["status"], "expired");
    }

    #[test]
    fn scanned_also_expires() {
        let mut c = consent(30);
        c.scan(T0).unwrap();
        assert_eq!(c.status_at(c.expires_at), Status::Expired);
        assert!(c.expire_if_due(c.expires_at));
    }

    #[test]
    fn views_carry_the_contract_fields() {
        let mut c = consent(60);
        let v = c.view(T0);
        assert_eq!(v["object"], "consent");
        assert_eq!(v["status"], "pending");
        assert_eq!(v["livemode"], false);
        assert!(v.get("user").is_none() && v.get("scannedAt").is_none());
        c.scan(T0 + 5).unwrap();
        let p = c.phone_view(T0 + 5);
        assert_eq!(p["recipientMasked"], "+234******4567");
        assert_eq!(p["status"], "scanned");
        assert_eq!(p["clientName"], "Shop");
    }

    #[test]
    fn an_identical_create_is_a_repeat_and_another_a_conflict() {
        let new = NewConsent::parse(br#"{"recipient":"+2348031234567","intent":"login"}"#).unwrap();
        let c = Consent::new(
            "cons_1".into(),
            "cl".into(),
            "Shop".into(),
            false,
            new,
            1_000,
        );
        let secrets = serde_json::json!({"tokenHash": "a", "clientSecretHash": "b"});
        let digest = creation_digest(&c, &secrets);
        assert_eq!(create_step(None, &digest), CreateStep::Store);
        assert_eq!(create_step(Some(&digest), &digest), CreateStep::Repeat);
        assert_eq!(
            creation_digest(&c.clone(), &secrets.clone()),
            digest,
            "stable"
        );
        // Other secrets (another attempt's random token) or another record: conflict.
        let other_secrets = serde_json::json!({"tokenHash": "c", "clientSecretHash": "b"});
        assert_eq!(
            create_step(Some(&digest), &creation_digest(&c, &other_secrets)),
            CreateStep::Conflict
        );
        let mut later = c.clone();
        later.created_at += 1;
        assert_eq!(
            create_step(Some(&digest), &creation_digest(&later, &secrets)),
            CreateStep::Conflict
        );
        // A consent stored before digests were kept is never taken for a repeat.
        assert_eq!(create_step(Some(""), &digest), CreateStep::Conflict);
    }
}
