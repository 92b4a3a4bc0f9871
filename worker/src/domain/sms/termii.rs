//! Termii (Nigeria) SMS API: `POST {base}/api/sms/send` with a JSON body.

use serde_json::json;

use super::{
    fallback_message, json_scalar_text, normalize_base_url, optional, parse_json_body,
    provider_message, required, HttpRequest, SentSms, SmsError, SmsMessage,
};

/// Termii's public API host.
pub const DEFAULT_BASE_URL: &str = "https://api.ng.termii.com";

/// "dnd" routes to numbers on Do-Not-Disturb too; needed for OTPs.
pub const DEFAULT_CHANNEL: &str = "dnd";

/// Termii settings. `Debug` redacts the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct TermiiConfig {
    pub api_key: String,
    pub sender_id: String,
    pub base_url: String,
    pub channel: String,
}

impl core::fmt::Debug for TermiiConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TermiiConfig")
            .field("api_key", &"<redacted>")
            .field("sender_id", &self.sender_id)
            .field("base_url", &self.base_url)
            .field("channel", &self.channel)
            .finish()
    }
}

impl TermiiConfig {
    /// Config with the default base URL and channel.
    pub fn new(api_key: &str, sender_id: &str) -> Self {
        TermiiConfig {
            api_key: api_key.to_owned(),
            sender_id: sender_id.to_owned(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            channel: DEFAULT_CHANNEL.to_owned(),
        }
    }

    /// Reads `TERMII_API_KEY`, `TERMII_SENDER_ID` (required) and
    /// `TERMII_BASE_URL`, `TERMII_CHANNEL` (optional) via `lookup`, which
    /// the shell backs with Worker secrets/vars.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SmsError> {
        let api_key = required(&lookup, "TERMII_API_KEY")?;
        let sender_id = required(&lookup, "TERMII_SENDER_ID")?;
        let base_url = normalize_base_url(
            &optional(&lookup, "TERMII_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            "TERMII_BASE_URL",
        )?;
        let channel =
            optional(&lookup, "TERMII_CHANNEL").unwrap_or_else(|| DEFAULT_CHANNEL.to_owned());
        Ok(TermiiConfig {
            api_key,
            sender_id,
            base_url,
            channel,
        })
    }
}

/// The send request. Termii wants the number without '+'.
pub fn build_request(cfg: &TermiiConfig, msg: &SmsMessage) -> HttpRequest {
    let body = json!({
        "api_key": cfg.api_key,
        "to": msg.to_digits(),
        "from": cfg.sender_id,
        "sms": msg.body(),
        "type": "plain",
        "channel": cfg.channel,
    });
    HttpRequest {
        method: "POST",
        url: format!("{}/api/sms/send", cfg.base_url.trim_end_matches('/')),
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body: body.to_string(),
    }
}

/// Interprets Termii's reply. Success needs a 2xx status and either a
/// `message_id` (string or number) or `"code":"ok"`. Never panics.
pub fn parse_response(status: u16, body: &[u8]) -> Result<SentSms, SmsError> {
    let success_status = (200..300).contains(&status);
    let Some(json) = parse_json_body(body) else {
        return Err(if success_status {
            SmsError::MalformedResponse { status }
        } else {
            SmsError::ProviderRejected {
                status,
                code: None,
                message: fallback_message(body),
            }
        });
    };
    let message_id = json_scalar_text(json.get("message_id")).filter(|id| !id.is_empty());
    let code = json_scalar_text(json.get("code"));
    let code_ok = code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("ok"));
    if success_status && (message_id.is_some() || code_ok) {
        return Ok(SentSms {
            provider_message_id: message_id.unwrap_or_default(),
        });
    }
    match json.get("message").and_then(|m| m.as_str()) {
        Some(message) => Err(SmsError::ProviderRejected {
            status,
            code: code.map(|c| provider_message(&c)),
            message: provider_message(message),
        }),
        None if success_status => Err(SmsError::MalformedResponse { status }),
        None => Err(SmsError::ProviderRejected {
            status,
            code: code.map(|c| provider_message(&c)),
            message: fallback_message(body),
        }),
    }
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

    const API_KEY: &str = "TLtestKEY-do-not-leak-9f8e7d";

    fn config(base_url: &str) -> TermiiConfig {
        TermiiConfig {
            base_url: base_url.to_owned(),
            ..TermiiConfig::new(API_KEY, "MIDAuth")
        }
    }

    fn message() -> SmsMessage {
        SmsMessage::new(
            "+2348012345678",
            "Your Acme code is 123456.\n\n@mid.example #123456",
        )
        .unwrap()
    }

    fn success_body() -> Vec<u8> {
        br#"{"code":"ok","message_id":"3017544054459","message":"Successfully Sent","balance":"41.5","user":"MID Test"}"#.to_vec()
    }

    #[test]
    fn request_shape() {
        let req = build_request(&TermiiConfig::new(API_KEY, "MIDAuth"), &message());
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://api.ng.termii.com/api/sms/send");
        assert_eq!(
            req.headers,
            vec![("Content-Type".to_owned(), "application/json".to_owned())]
        );
        let body: serde_json::Value = serde_json::from_slice(req.body.as_bytes()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "api_key": API_KEY,
                "to": "2348012345678",
                "from": "MIDAuth",
                "sms": "Your Acme code is 123456.\n\n@mid.example #123456",
                "type": "plain",
                "channel": "dnd",
            })
        );
    }

    #[test]
    fn sent_over_real_http_and_parsed() {
        let server = TestServer::start(vec![Reply {
            status: 200,
            body: success_body(),
        }]);
        let awkward = "a&b=c\nd é 你 \"q\" + %";
        let msg = SmsMessage::new("+2348012345678", awkward).unwrap();
        let req = build_request(&config(&server.base_url), &msg);
        let server_url = server.base_url.clone();
        let (status, reply) = send(&req);
        let seen = server.finish();

        assert_eq!(seen.len(), 1);
        let got = &seen[0];
        assert_arrived_intact(got, &req, &server_url);
        assert_eq!(got.method, "POST");
        assert_eq!(got.path, "/api/sms/send");
        assert_eq!(got.header("content-type"), Some("application/json"));
        assert_eq!(got.body, req.body.as_bytes());
        let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body["sms"], awkward);
        assert_eq!(body["to"], "2348012345678");
        assert_eq!(body["api_key"], API_KEY);

        assert_eq!(
            parse_response(status, &reply),
            Ok(SentSms {
                provider_message_id: "3017544054459".into()
            })
        );
    }

    #[test]
    fn provider_errors_over_real_http() {
        let server = TestServer::start(vec![
            Reply {
                status: 400,
                body: br#"{"code":"400","message":"Invalid Sender Id\nplease register"}"#.to_vec(),
            },
            Reply {
                status: 401,
                body: br#"{"message":"Api Key Not found"}"#.to_vec(),
            },
            Reply {
                status: 502,
                body: b"<html><body>Bad Gateway</body></html>".to_vec(),
            },
            Reply {
                status: 200,
                body: b"{not json".to_vec(),
            },
            Reply {
                status: 200,
                body: Vec::new(),
            },
        ]);
        let req = build_request(&config(&server.base_url), &message());
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
                code: Some("400".into()),
                message: "Invalid Sender Id please register".into(),
            })
        );
        assert_eq!(
            results[1],
            Err(SmsError::ProviderRejected {
                status: 401,
                code: None,
                message: "Api Key Not found".into(),
            })
        );
        assert_eq!(
            results[2],
            Err(SmsError::ProviderRejected {
                status: 502,
                code: None,
                message: "<html><body>Bad Gateway</body></html>".into(),
            })
        );
        assert_eq!(results[3], Err(SmsError::MalformedResponse { status: 200 }));
        assert_eq!(results[4], Err(SmsError::MalformedResponse { status: 200 }));
    }

    #[test]
    fn parse_variants() {
        // Numeric id and a body without "code".
        assert_eq!(
            parse_response(
                200,
                br#"{"message_id":9122821270554876574,"message":"Successfully Sent"}"#
            ),
            Ok(SentSms {
                provider_message_id: "9122821270554876574".into()
            })
        );
        // code ok without an id is still accepted.
        assert_eq!(
            parse_response(200, br#"{"code":"ok","message":"Successfully Sent"}"#),
            Ok(SentSms {
                provider_message_id: String::new()
            })
        );
        // 2xx with an error message and no id is a rejection.
        assert_eq!(
            parse_response(200, br#"{"message":"Insufficient balance"}"#),
            Err(SmsError::ProviderRejected {
                status: 200,
                code: None,
                message: "Insufficient balance".into()
            })
        );
        // A message_id on an error status does not count as success.
        assert!(parse_response(500, br#"{"message_id":"1","message":"x"}"#).is_err());
        assert_eq!(
            parse_response(200, b"[]"),
            Err(SmsError::MalformedResponse { status: 200 })
        );
        assert_eq!(
            parse_response(204, b""),
            Err(SmsError::MalformedResponse { status: 204 })
        );
        assert_eq!(
            parse_response(500, b""),
            Err(SmsError::ProviderRejected {
                status: 500,
                code: None,
                message: "no message".into()
            })
        );
    }

    #[test]
    fn huge_bodies_are_capped() {
        let long = "x".repeat(100_000);
        let small_json = format!(r#"{{"message":"{}"}}"#, "y".repeat(5_000));
        match parse_response(400, small_json.as_bytes()) {
            Err(SmsError::ProviderRejected { message, .. }) => assert_eq!(message.len(), 200),
            other => panic!("{other:?}"),
        }
        let huge_json = format!(r#"{{"message":"{long}"}}"#);
        match parse_response(400, huge_json.as_bytes()) {
            Err(SmsError::ProviderRejected { message, .. }) => assert_eq!(message.len(), 200),
            other => panic!("{other:?}"),
        }
        let huge_ok = format!(r#"{{"message_id":"1","pad":"{long}"}}"#);
        assert_eq!(
            parse_response(200, huge_ok.as_bytes()),
            Err(SmsError::MalformedResponse { status: 200 })
        );
        // Invalid UTF-8 does not panic.
        assert!(parse_response(500, &[0xff, 0xfe, 0x00, 0x41]).is_err());
    }

    #[test]
    fn settings_and_redaction() {
        let vars = |name: &str| match name {
            "TERMII_API_KEY" => Some(API_KEY.to_owned()),
            "TERMII_SENDER_ID" => Some(" MIDAuth ".to_owned()),
            "TERMII_BASE_URL" => Some("https://api.ng.termii.com/".to_owned()),
            _ => None,
        };
        let cfg = TermiiConfig::from_settings(vars).unwrap();
        assert_eq!(cfg, TermiiConfig::new(API_KEY, "MIDAuth"));
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains(API_KEY), "{dbg}");
        assert!(dbg.contains("<redacted>"));

        assert_eq!(
            TermiiConfig::from_settings(|_| None),
            Err(SmsError::InvalidConfig {
                setting: "TERMII_API_KEY"
            })
        );
        let err =
            TermiiConfig::from_settings(|n| (n == "TERMII_API_KEY").then(|| API_KEY.to_owned()))
                .unwrap_err();
        assert_eq!(
            err,
            SmsError::InvalidConfig {
                setting: "TERMII_SENDER_ID"
            }
        );
        assert!(!format!("{err:?} {err}").contains(API_KEY));
        // Debug of the built request must not leak the key either.
        let req = build_request(&cfg, &message());
        assert!(!format!("{req:?}").contains(API_KEY));
    }
}
