//! Twilio Programmable Messaging: form-encoded `POST` to
//! `{base}/2010-04-01/Accounts/{sid}/Messages.json` with Basic auth.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{
    fallback_message, json_scalar_text, normalize_base_url, optional, parse_json_body,
    provider_message, required, HttpRequest, SentSms, SmsError, SmsMessage,
};

/// Twilio's public API host.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Twilio settings. `Debug` redacts the auth token.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    /// `AC...`; part of the URL path, so validated as alphanumeric.
    pub account_sid: String,
    pub auth_token: String,
    /// Sender number in E.164, or a Messaging Service SID (`MG...`).
    pub from: String,
    pub base_url: String,
}

impl core::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl TwilioConfig {
    /// Config with the default base URL.
    pub fn new(account_sid: &str, auth_token: &str, from: &str) -> Self {
        TwilioConfig {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: from.to_owned(),
            base_url: DEFAULT_BASE_URL.to_owned(),
        }
    }

    /// Reads `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM`
    /// (required) and `TWILIO_BASE_URL` (optional) via `lookup`.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SmsError> {
        let account_sid = required(&lookup, "TWILIO_ACCOUNT_SID")?;
        // The SID is spliced into the URL path: allow only what Twilio issues.
        if !account_sid.starts_with("AC") || !account_sid.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(SmsError::InvalidConfig {
                setting: "TWILIO_ACCOUNT_SID",
            });
        }
        let auth_token = required(&lookup, "TWILIO_AUTH_TOKEN")?;
        let from = required(&lookup, "TWILIO_FROM")?;
        if !uses_messaging_service(&from) && !super::is_e164(&from) {
            return Err(SmsError::InvalidConfig {
                setting: "TWILIO_FROM",
            });
        }
        let base_url = normalize_base_url(
            &optional(&lookup, "TWILIO_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            "TWILIO_BASE_URL",
        )?;
        Ok(TwilioConfig {
            account_sid,
            auth_token,
            from,
            base_url,
        })
    }
}

/// Twilio Messaging Service SIDs start with "MG".
fn uses_messaging_service(from: &str) -> bool {
    from.starts_with("MG")
}

/// The send request. The form encoder turns the E.164 '+' into `%2B`
/// (a bare '+' would decode as a space on Twilio's side).
pub fn build_request(cfg: &TwilioConfig, msg: &SmsMessage) -> HttpRequest {
    let sender_field = if uses_messaging_service(&cfg.from) {
        "MessagingServiceSid"
    } else {
        "From"
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("To", msg.to())
        .append_pair(sender_field, &cfg.from)
        .append_pair("Body", msg.body())
        .finish();
    // Encoded even though validation should prevent odd SIDs, so a bad
    // value can never change the path.
    let sid: String = form_urlencoded::byte_serialize(cfg.account_sid.as_bytes()).collect();
    let credentials = STANDARD.encode(format!("{}:{}", cfg.account_sid, cfg.auth_token));
    HttpRequest {
        method: "POST",
        url: format!(
            "{}/2010-04-01/Accounts/{sid}/Messages.json",
            cfg.base_url.trim_end_matches('/')
        ),
        headers: vec![
            ("Authorization".to_owned(), format!("Basic {credentials}")),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        body,
    }
}

/// Interprets Twilio's reply: 200/201 with a `sid` is success; errors
/// carry Twilio's numeric `code` and `message`. Never panics.
pub fn parse_response(status: u16, body: &[u8]) -> Result<SentSms, SmsError> {
    let success_status = status == 200 || status == 201;
    let json = parse_json_body(body);
    if success_status {
        let sid = json
            .as_ref()
            .and_then(|j| j.get("sid"))
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty());
        return match sid {
            Some(sid) => Ok(SentSms {
                provider_message_id: sid.to_owned(),
            }),
            None => Err(SmsError::MalformedResponse { status }),
        };
    }
    let code = json
        .as_ref()
        .and_then(|j| json_scalar_text(j.get("code")))
        .map(|c| provider_message(&c));
    let message = match json
        .as_ref()
        .and_then(|j| j.get("message"))
        .and_then(|m| m.as_str())
    {
        Some(message) => provider_message(message),
        None => fallback_message(body),
    };
    Err(SmsError::ProviderRejected {
        status,
        code,
        message,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::test_support::sms_server::{assert_arrived_intact, send, Reply, TestServer};

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "tok-super-secret-5a4b3c2d1e";

    fn config(base_url: &str, from: &str) -> TwilioConfig {
        TwilioConfig {
            base_url: base_url.to_owned(),
            ..TwilioConfig::new(SID, TOKEN, from)
        }
    }

    fn expected_auth() -> String {
        format!("Basic {}", STANDARD.encode(format!("{SID}:{TOKEN}")))
    }

    fn created_body() -> Vec<u8> {
        br#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+14155550100","error_code":null}"#.to_vec()
    }

    #[test]
    fn request_shape() {
        let msg = SmsMessage::new("+14155550100", "a&b=c\nd é+1").unwrap();
        let req = build_request(&TwilioConfig::new(SID, TOKEN, "+15005550006"), &msg);
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.url,
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json")
        );
        assert_eq!(
            req.headers,
            vec![
                ("Authorization".to_owned(), expected_auth()),
                (
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned()
                ),
            ]
        );
        assert_eq!(
            req.body,
            "To=%2B14155550100&From=%2B15005550006&Body=a%26b%3Dc%0Ad+%C3%A9%2B1"
        );
    }

    #[test]
    fn messaging_service_sender() {
        let msg = SmsMessage::new("+14155550100", "hi").unwrap();
        let req = build_request(
            &TwilioConfig::new(SID, TOKEN, "MG0123456789abcdef0123456789abcdef"),
            &msg,
        );
        assert_eq!(
            req.body,
            "To=%2B14155550100&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&Body=hi"
        );
    }

    #[test]
    fn sent_over_real_http_and_parsed() {
        let server = TestServer::start(vec![Reply {
            status: 201,
            body: created_body(),
        }]);
        let text = "Your Acme code is 123456.\n\n@mid.example #123456 & 你 = ok";
        let msg = SmsMessage::new("+14155550100", text).unwrap();
        let req = build_request(&config(&server.base_url, "+15005550006"), &msg);
        let server_url = server.base_url.clone();
        let (status, reply) = send(&req);
        let seen = server.finish();

        assert_eq!(seen.len(), 1);
        let got = &seen[0];
        assert_arrived_intact(got, &req, &server_url);
        assert_eq!(got.method, "POST");
        assert_eq!(
            got.path,
            format!("/2010-04-01/Accounts/{SID}/Messages.json")
        );
        assert_eq!(got.header("authorization"), Some(expected_auth().as_str()));
        assert_eq!(
            got.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(got.body, req.body.as_bytes());
        // Decoding what arrived gives back exactly what we meant to send.
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&got.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("To".to_owned(), "+14155550100".to_owned()),
                ("From".to_owned(), "+15005550006".to_owned()),
                ("Body".to_owned(), text.to_owned()),
            ]
        );

        assert_eq!(
            parse_response(status, &reply),
            Ok(SentSms {
                provider_message_id: "SM0123456789abcdef0123456789abcdef".into()
            })
        );
    }

    #[test]
    fn provider_errors_over_real_http() {
        let server = TestServer::start(vec![
            Reply {
                status: 400,
                body: br#"{"code":21211,"message":"The 'To' number +1415 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#.to_vec(),
            },
            Reply {
                status: 401,
                body: br#"{"code":20003,"message":"Authenticate","status":401}"#.to_vec(),
            },
            Reply {
                status: 201,
                body: b"{\"status\":\"queued\"}".to_vec(),
            },
            Reply {
                status: 200,
                body: b"<<garbage>>".to_vec(),
            },
            Reply {
                status: 503,
                body: Vec::new(),
            },
        ]);
        let msg = SmsMessage::new("+14155550100", "x").unwrap();
        let req = build_request(&config(&server.base_url, "+15005550006"), &msg);
        let results: Vec<_> = (0..5)
            .map(|_| {
                let (status, body) = send(&req);
                parse_response(status, &body)
            })
            .collect();
        assert_eq!(server.finish().len(), 5);

        assert_eq!(
            results[0],
            Err(SmsError::ProviderRejected {
                status: 400,
                code: Some("21211".into()),
                message: "The 'To' number +1415 is not a valid phone number.".into(),
            })
        );
        assert_eq!(
            results[1],
            Err(SmsError::ProviderRejected {
                status: 401,
                code: Some("20003".into()),
                message: "Authenticate".into(),
            })
        );
        assert_eq!(results[2], Err(SmsError::MalformedResponse { status: 201 }));
        assert_eq!(results[3], Err(SmsError::MalformedResponse { status: 200 }));
        assert_eq!(
            results[4],
            Err(SmsError::ProviderRejected {
                status: 503,
                code: None,
                message: "no message".into(),
            })
        );
    }

    #[test]
    fn parse_edge_cases() {
        assert_eq!(
            parse_response(201, b""),
            Err(SmsError::MalformedResponse { status: 201 })
        );
        assert_eq!(
            parse_response(201, br#"{"sid":""}"#),
            Err(SmsError::MalformedResponse { status: 201 })
        );
        assert_eq!(
            parse_response(202, br#"{"sid":"SM1"}"#),
            Err(SmsError::ProviderRejected {
                status: 202,
                code: None,
                message: r#"{"sid":"SM1"}"#.into()
            })
        );
        let huge = format!(r#"{{"code":1,"message":"{}"}}"#, "m".repeat(200_000));
        match parse_response(500, huge.as_bytes()) {
            Err(SmsError::ProviderRejected { message, .. }) => {
                assert_eq!(message.chars().count(), 200)
            }
            other => panic!("{other:?}"),
        }
        let big_message = format!(r#"{{"code":1,"message":"{}"}}"#, "m\\n".repeat(3_000));
        match parse_response(500, big_message.as_bytes()) {
            Err(SmsError::ProviderRejected { code, message, .. }) => {
                assert_eq!(code.as_deref(), Some("1"));
                assert!(message.chars().count() <= 200);
                assert!(!message.contains('\n'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_validation_and_redaction() {
        let good = |name: &str| match name {
            "TWILIO_ACCOUNT_SID" => Some(SID.to_owned()),
            "TWILIO_AUTH_TOKEN" => Some(TOKEN.to_owned()),
            "TWILIO_FROM" => Some("+15005550006".to_owned()),
            _ => None,
        };
        let cfg = TwilioConfig::from_settings(good).unwrap();
        assert_eq!(cfg, TwilioConfig::new(SID, TOKEN, "+15005550006"));
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains(TOKEN), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        let req = build_request(&cfg, &SmsMessage::new("+14155550100", "x").unwrap());
        let req_dbg = format!("{req:?}");
        assert!(!req_dbg.contains(TOKEN));
        assert!(!req_dbg.contains(&expected_auth()));

        let bad_sid = |name: &str| match name {
            "TWILIO_ACCOUNT_SID" => Some("AC123/../../x".to_owned()),
            other => good(other),
        };
        assert_eq!(
            TwilioConfig::from_settings(bad_sid),
            Err(SmsError::InvalidConfig {
                setting: "TWILIO_ACCOUNT_SID"
            })
        );
        let bad_from = |name: &str| match name {
            "TWILIO_FROM" => Some("5005550006".to_owned()),
            other => good(other),
        };
        assert_eq!(
            TwilioConfig::from_settings(bad_from),
            Err(SmsError::InvalidConfig {
                setting: "TWILIO_FROM"
            })
        );
        let no_token = |name: &str| match name {
            "TWILIO_AUTH_TOKEN" => None,
            other => good(other),
        };
        let err = TwilioConfig::from_settings(no_token).unwrap_err();
        assert_eq!(
            err,
            SmsError::InvalidConfig {
                setting: "TWILIO_AUTH_TOKEN"
            }
        );
        let bad_base = |name: &str| match name {
            "TWILIO_BASE_URL" => Some("javascript:alert(1)".to_owned()),
            other => good(other),
        };
        assert!(TwilioConfig::from_settings(bad_base).is_err());
        assert!(!format!("{err:?} {err}").contains(TOKEN));
    }
}
