//! The enrollment API's request bodies and the public view of an enrollment.

use serde_json::{Map, Value};

use super::enrollment::{Enrollment, EnrollmentStatus};
use crate::domain::input::{InputError, JsonObject};
use crate::domain::phone;
use crate::domain::time::rfc3339;

impl EnrollmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            // Partners see a verification in progress as still pending: it is
            // not done until the user and token exist (a retry finishes it).
            EnrollmentStatus::Pending | EnrollmentStatus::Verifying => "pending",
            EnrollmentStatus::Verified => "verified",
            EnrollmentStatus::Locked => "locked",
            EnrollmentStatus::Expired => "expired",
        }
    }
}

/// `POST /enrollments {mobile}`: the mobile in E.164, via the same
/// normaliser as consent recipients.
pub fn parse_new(body: &[u8]) -> Result<String, InputError> {
    let o = JsonObject::parse(body, &["mobile"])?;
    phone::normalize(o.required_str("mobile")?)
        .map_err(|_| InputError::InvalidPhone("mobile".into()))
}

/// `POST /enrollments/:id/verify {code}`: any string; a malformed code is a
/// wrong code (it costs an attempt), so only the JSON shape is checked here.
pub fn parse_verify(body: &[u8]) -> Result<String, InputError> {
    let o = JsonObject::parse(body, &["code"])?;
    let code = o.required_str("code")?;
    // Longer input cannot be a code; refusing it keeps junk out of the hash.
    if code.len() > 64 {
        return Err(InputError::invalid("code", "must be the 6-digit code"));
    }
    Ok(code.to_owned())
}

impl Enrollment {
    /// The enrollment as partners see it: never the code hash or a token.
    pub fn view(&self, now: i64) -> Value {
        let status = self.effective_status(now);
        let mut v = Map::new();
        v.insert("id".into(), self.id.clone().into());
        v.insert("object".into(), "enrollment".into());
        v.insert("status".into(), status.as_str().into());
        v.insert("mobile".into(), self.mobile.clone().into());
        v.insert("livemode".into(), self.livemode.into());
        v.insert("attemptsRemaining".into(), self.attempts_remaining.into());
        v.insert("createdAt".into(), rfc3339(self.created_at).into());
        v.insert("expiresAt".into(), rfc3339(self.expires_at).into());
        if let Some(t) = self.verified_at {
            v.insert("verifiedAt".into(), rfc3339(t).into());
        }
        if let Some(u) = &self.user_id {
            v.insert("userId".into(), u.clone().into());
        }
        Value::Object(v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::domain::otp::{NewEnrollment, MAX_ATTEMPTS, OTP_TTL_MS};

    const KEY: &[u8] = b"test-key";

    fn token() -> crate::domain::otp::PendingToken {
        crate::domain::otp::PendingToken {
            sealed: "sealed-token".into(),
            issued_at: 0,
        }
    }

    fn enrollment(now: i64) -> Enrollment {
        Enrollment::start(
            NewEnrollment {
                id: "enr_0123456789abcdef",
                mobile: "+2348031234567",
                client_id: "mid_client_0123456789abcdef",
                livemode: false,
                code: "123456",
            },
            KEY,
            now,
        )
        .unwrap()
    }

    #[test]
    fn mobile_is_normalised_or_invalid_phone() {
        assert_eq!(
            parse_new(br#"{"mobile":"0803 123 4567"}"#).unwrap(),
            "+2348031234567"
        );
        assert_eq!(
            parse_new(br#"{"mobile":"+234-803-123-4567"}"#).unwrap(),
            "+2348031234567"
        );
        for bad in [
            r#"{"mobile":"12"}"#,
            r#"{"mobile":"+2340123"}"#,
            r#"{"mobile":"phone"}"#,
        ] {
            let e = parse_new(bad.as_bytes()).unwrap_err();
            assert_eq!(
                (e.code(), e.param()),
                ("invalid_phone", Some("mobile")),
                "{bad}"
            );
        }
        assert_eq!(parse_new(b"{}").unwrap_err().code(), "invalid_request");
        assert_eq!(
            parse_new(br#"{"mobile":5}"#).unwrap_err().code(),
            "invalid_request"
        );
        let unknown = parse_new(br#"{"mobile":"+2348031234567","userId":"x"}"#).unwrap_err();
        assert_eq!(unknown.param(), Some("userId"));
    }

    #[test]
    fn verify_body_takes_only_a_code_string() {
        assert_eq!(parse_verify(br#"{"code":"123456"}"#).unwrap(), "123456");
        assert_eq!(parse_verify(br#"{"code":"12"}"#).unwrap(), "12");
        assert_eq!(
            parse_verify(br#"{"code":123456}"#).unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(parse_verify(b"{}").unwrap_err().param(), Some("code"));
        assert!(parse_verify(br#"{"code":"1","extra":1}"#).is_err());
        assert!(parse_verify(format!(r#"{{"code":"{}"}}"#, "1".repeat(65)).as_bytes()).is_err());
    }

    #[test]
    fn view_has_the_contract_fields_and_no_secrets() {
        let now = 1_780_000_000_000;
        let e = enrollment(now);
        let v = e.view(now);
        assert_eq!(v["id"], "enr_0123456789abcdef");
        assert_eq!(v["status"], "pending");
        assert_eq!(v["mobile"], "+2348031234567");
        assert_eq!(v["attemptsRemaining"], u64::from(MAX_ATTEMPTS));
        assert_eq!(v["expiresAt"], rfc3339(now + OTP_TTL_MS));
        let text = v.to_string();
        assert!(
            !text.contains("codeHash") && !text.contains("clientId"),
            "{text}"
        );
        assert!(v.get("userId").is_none());
        assert_eq!(e.view(now + OTP_TTL_MS)["status"], "expired");
    }

    #[test]
    fn view_after_verification_names_the_user() {
        let now = 1_780_000_000_000;
        let mut e = enrollment(now);
        e.verify(now + 1, "123456", KEY, token()).unwrap();
        let v = e.view(now + 2);
        assert_eq!(v["status"], "pending", "verifying is not done yet");
        assert!(!v.to_string().contains("sealed-token"), "{v}");
        e.finish("user_0123456789abcdef");
        let v = e.view(now + OTP_TTL_MS * 2);
        assert_eq!(
            v["status"], "verified",
            "a verified enrollment never expires"
        );
        assert_eq!(v["userId"], "user_0123456789abcdef");
        assert!(v["verifiedAt"].as_str().unwrap().ends_with('Z'));
        let mut locked = enrollment(now);
        for _ in 0..MAX_ATTEMPTS {
            let _ = locked.verify(now + 1, "000000", KEY, token());
        }
        assert_eq!(locked.view(now + 2)["status"], "locked");
        assert_eq!(locked.view(now + 2)["attemptsRemaining"], 0);
    }
}
