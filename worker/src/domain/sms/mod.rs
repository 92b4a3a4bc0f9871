//! Outgoing SMS as plain data: build provider HTTP requests, parse their
//! replies. The Worker shell performs the actual `fetch`.

pub mod template;
pub mod termii;
pub mod twilio;

/// Longest provider message we keep in an error (characters).
const MAX_PROVIDER_MESSAGE_CHARS: usize = 200;

/// Response bodies above this are not parsed: a real provider reply is a
/// few hundred bytes, so anything larger is an upstream fault.
const MAX_PARSED_BODY_BYTES: usize = 64 * 1024;

/// A provider-neutral text message. Construct with [`SmsMessage::new`] so
/// the recipient is known to be E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    to: String,
    body: String,
}

impl SmsMessage {
    /// `to` must be E.164: '+', then 7..=15 digits, the first not 0.
    pub fn new(to: &str, body: &str) -> Result<Self, SmsError> {
        if !is_e164(to) {
            return Err(SmsError::InvalidRecipient);
        }
        Ok(SmsMessage {
            to: to.to_owned(),
            body: body.to_owned(),
        })
    }

    /// Recipient in E.164, including the leading '+'.
    pub fn to(&self) -> &str {
        &self.to
    }

    /// Message text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Recipient digits without the '+' (the form some providers want).
    pub fn to_digits(&self) -> &str {
        self.to.strip_prefix('+').unwrap_or(&self.to)
    }
}

/// True for '+' followed by 7..=15 ASCII digits with a non-zero first digit.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An HTTP request for the shell to send as-is.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl core::fmt::Debug for HttpRequest {
    // Bodies and headers carry provider credentials; never log them.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &"<redacted>")
            .field("body", &"<redacted>")
            .finish()
    }
}

/// A message the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// The provider's id for the message (for delivery lookups). Empty
    /// only if a provider reports success without giving one.
    pub provider_message_id: String,
}

/// Which SMS backend to use, from the `SMS_PROVIDER` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsProviderKind {
    /// Do not send; the shell records the message for tests/sandbox use.
    Sandbox,
    Termii,
    Twilio,
}

impl SmsProviderKind {
    /// Parses `SMS_PROVIDER`; unset or blank means `Sandbox`. Matching
    /// ignores ASCII case and surrounding spaces; anything else is an error
    /// rather than a silent fallback to sandbox in production.
    pub fn from_config(value: Option<&str>) -> Result<Self, SmsError> {
        let value = value.map(str::trim).unwrap_or("");
        if value.is_empty() || value.eq_ignore_ascii_case("sandbox") {
            Ok(SmsProviderKind::Sandbox)
        } else if value.eq_ignore_ascii_case("termii") {
            Ok(SmsProviderKind::Termii)
        } else if value.eq_ignore_ascii_case("twilio") {
            Ok(SmsProviderKind::Twilio)
        } else {
            Err(SmsError::UnknownProvider {
                name: sanitize_text(value, 40),
            })
        }
    }

    /// The config spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            SmsProviderKind::Sandbox => "sandbox",
            SmsProviderKind::Termii => "termii",
            SmsProviderKind::Twilio => "twilio",
        }
    }
}

/// The provider for one send: test keys always use the sandbox, whatever
/// `SMS_PROVIDER` says, so test traffic can never reach a real phone; live
/// keys use `SMS_PROVIDER`, and are refused when that is the sandbox (unset
/// included): a live code must reach the phone or fail, never be kept
/// somewhere else or pretend to have been sent.
pub fn provider_for(
    livemode: bool,
    sms_provider: Option<&str>,
) -> Result<SmsProviderKind, SmsError> {
    if !livemode {
        return Ok(SmsProviderKind::Sandbox);
    }
    match SmsProviderKind::from_config(sms_provider)? {
        SmsProviderKind::Sandbox => Err(SmsError::SandboxInLivemode),
        real => Ok(real),
    }
}

impl core::str::FromStr for SmsProviderKind {
    type Err = SmsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SmsProviderKind::from_config(Some(s))
    }
}

/// SMS failures. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsError {
    /// Recipient is not an E.164 number.
    InvalidRecipient,
    /// A provider setting is missing or unusable; names the setting.
    InvalidConfig { setting: &'static str },
    /// `SMS_PROVIDER` names no known provider (value sanitised, capped).
    UnknownProvider { name: String },
    /// A live key with `SMS_PROVIDER=sandbox`: live codes are never faked.
    SandboxInLivemode,
    /// The provider answered with a refusal; message sanitised and capped.
    ProviderRejected {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// A success status whose body we could not understand.
    MalformedResponse { status: u16 },
    /// The request never got an HTTP answer (set by the shell's fetch).
    Transport { message: String },
}

impl SmsError {
    /// Builds a transport error from a fetch failure, sanitised and capped.
    pub fn transport(message: &str) -> Self {
        SmsError::Transport {
            message: sanitize_text(message, MAX_PROVIDER_MESSAGE_CHARS),
        }
    }

    /// Stable snake_case code for logs and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            SmsError::InvalidRecipient => "invalid_recipient",
            SmsError::InvalidConfig { .. } => "sms_invalid_config",
            SmsError::UnknownProvider { .. } => "sms_unknown_provider",
            SmsError::SandboxInLivemode => "sms_sandbox_in_livemode",
            SmsError::ProviderRejected { .. } => "sms_provider_rejected",
            SmsError::MalformedResponse { .. } => "sms_malformed_response",
            SmsError::Transport { .. } => "sms_transport",
        }
    }

    /// Whether the message may have reached the provider (and so the phone)
    /// despite the error: then its send still counts against the limits.
    /// Only a refusal we are sure of (nothing sent, or the provider answered
    /// that it did not take it) gives the budget back; a lost answer (e.g. a
    /// timeout) or an unreadable success might hide a delivered message.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            SmsError::InvalidRecipient
            | SmsError::InvalidConfig { .. }
            | SmsError::UnknownProvider { .. }
            | SmsError::SandboxInLivemode
            | SmsError::ProviderRejected { .. } => false,
            SmsError::MalformedResponse { .. } | SmsError::Transport { .. } => true,
        }
    }
}

impl core::fmt::Display for SmsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SmsError::InvalidRecipient => f.write_str("recipient is not an E.164 number"),
            SmsError::InvalidConfig { setting } => write!(f, "invalid SMS setting {setting}"),
            SmsError::UnknownProvider { name } => write!(f, "unknown SMS provider {name:?}"),
            SmsError::SandboxInLivemode => f.write_str(
                "live key with SMS_PROVIDER=sandbox: refusing to send (set a real provider)",
            ),
            SmsError::ProviderRejected {
                status,
                code,
                message,
            } => match code {
                Some(code) => write!(f, "provider rejected (HTTP {status}, {code}): {message}"),
                None => write!(f, "provider rejected (HTTP {status}): {message}"),
            },
            SmsError::MalformedResponse { status } => {
                write!(f, "unreadable provider response (HTTP {status})")
            }
            SmsError::Transport { message } => write!(f, "SMS transport failed: {message}"),
        }
    }
}

impl std::error::Error for SmsError {}

/// Replaces control characters with spaces, collapses whitespace runs and
/// caps at `max_chars`, so provider text is safe for logs and JSON errors.
fn sanitize_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_control() || ch.is_whitespace() || is_invisible_format_char(ch) {
            pending_space = !out.is_empty();
            continue;
        }
        let needed = if pending_space { 2 } else { 1 };
        if count + needed > max_chars {
            break;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(ch);
        count += 1;
    }
    out
}

/// Bidi overrides, zero-width characters and BOM: invisible, and able to
/// make text display differently from what it is.
fn is_invisible_format_char(ch: char) -> bool {
    matches!(ch,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

/// Parses a provider body as JSON if it is small enough to be genuine.
fn parse_json_body(body: &[u8]) -> Option<serde_json::Value> {
    if body.len() > MAX_PARSED_BODY_BYTES {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// Error text for a non-JSON error body (e.g. an HTML gateway page).
fn fallback_message(body: &[u8]) -> String {
    let prefix = body.get(..body.len().min(1024)).unwrap_or(&[]);
    let text = sanitize_text(&String::from_utf8_lossy(prefix), MAX_PROVIDER_MESSAGE_CHARS);
    if text.is_empty() {
        "no message".to_owned()
    } else {
        text
    }
}

/// Provider-supplied message, sanitised and capped.
fn provider_message(text: &str) -> String {
    let text = sanitize_text(text, MAX_PROVIDER_MESSAGE_CHARS);
    if text.is_empty() {
        "no message".to_owned()
    } else {
        text
    }
}

/// A JSON string or number as text (ids and codes come as either).
fn json_scalar_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Validates a provider base URL and drops trailing slashes so paths
/// can be appended. http is allowed for local test servers.
fn normalize_base_url(raw: &str, setting: &'static str) -> Result<String, SmsError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.contains(|c: char| {
                    c.is_whitespace() || c.is_control() || c == '?' || c == '#'
                }) =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(SmsError::InvalidConfig { setting }),
    }
}

/// Reads a required, non-blank setting.
fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    setting: &'static str,
) -> Result<String, SmsError> {
    match lookup(setting) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(SmsError::InvalidConfig { setting }),
    }
}

/// Reads an optional setting, treating blank as unset.
fn optional(lookup: &impl Fn(&str) -> Option<String>, setting: &str) -> Option<String> {
    lookup(setting)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
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

    #[test]
    fn test_keys_always_use_the_sandbox() {
        for setting in [
            None,
            Some("sandbox"),
            Some("termii"),
            Some("twilio"),
            Some("bogus"),
        ] {
            assert_eq!(provider_for(false, setting), Ok(SmsProviderKind::Sandbox));
        }
        // Live keys never use the sandbox, configured or by default.
        for setting in [None, Some(""), Some("sandbox"), Some(" Sandbox ")] {
            assert_eq!(
                provider_for(true, setting),
                Err(SmsError::SandboxInLivemode),
                "{setting:?}"
            );
        }
        assert_eq!(
            provider_for(true, Some("Termii")),
            Ok(SmsProviderKind::Termii)
        );
        assert_eq!(
            provider_for(true, Some("twilio")),
            Ok(SmsProviderKind::Twilio)
        );
        assert!(matches!(
            provider_for(true, Some("bogus")),
            Err(SmsError::UnknownProvider { .. })
        ));
    }

    #[test]
    fn only_sure_refusals_give_the_send_back() {
        let refused = [
            SmsError::InvalidRecipient,
            SmsError::InvalidConfig { setting: "X" },
            SmsError::UnknownProvider { name: "x".into() },
            SmsError::SandboxInLivemode,
            SmsError::ProviderRejected {
                status: 400,
                code: None,
                message: "no".into(),
            },
        ];
        for e in &refused {
            assert!(!e.may_have_been_sent(), "{e}");
        }
        assert!(SmsError::MalformedResponse { status: 200 }.may_have_been_sent());
        assert!(SmsError::transport("timeout").may_have_been_sent());
        assert!(!SmsError::SandboxInLivemode.to_string().contains("code"));
    }

    #[test]
    fn e164_validation() {
        assert!(is_e164("+2348012345678"));
        assert!(is_e164("+14155550100"));
        assert!(is_e164("+6834001"));
        assert!(!is_e164("2348012345678"));
        assert!(!is_e164("+0348012345678"));
        assert!(!is_e164("+1234"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+1 415 555 0100"));
        assert!(!is_e164("+١٢٣٤٥٦٧٨"));
        assert!(!is_e164(""));
        assert_eq!(
            SmsMessage::new("0801", "x"),
            Err(SmsError::InvalidRecipient)
        );
        let m = SmsMessage::new("+2348012345678", "hi").unwrap();
        assert_eq!(m.to_digits(), "2348012345678");
        assert_eq!(m.to(), "+2348012345678");
        assert_eq!(m.body(), "hi");
    }

    #[test]
    fn provider_kind_parsing() {
        assert_eq!(
            SmsProviderKind::from_config(None),
            Ok(SmsProviderKind::Sandbox)
        );
        assert_eq!(
            SmsProviderKind::from_config(Some("  ")),
            Ok(SmsProviderKind::Sandbox)
        );
        assert_eq!(
            SmsProviderKind::from_config(Some("sandbox")),
            Ok(SmsProviderKind::Sandbox)
        );
        assert_eq!(
            SmsProviderKind::from_config(Some("termii")),
            Ok(SmsProviderKind::Termii)
        );
        assert_eq!(
            SmsProviderKind::from_config(Some(" Twilio ")),
            Ok(SmsProviderKind::Twilio)
        );
        assert_eq!(
            "twilio".parse::<SmsProviderKind>(),
            Ok(SmsProviderKind::Twilio)
        );
        assert_eq!(
            SmsProviderKind::from_config(Some("nexmo\n")),
            Err(SmsError::UnknownProvider {
                name: "nexmo".into()
            })
        );
        for kind in [
            SmsProviderKind::Sandbox,
            SmsProviderKind::Termii,
            SmsProviderKind::Twilio,
        ] {
            assert_eq!(kind.as_str().parse::<SmsProviderKind>(), Ok(kind));
        }
    }

    #[test]
    fn sanitize_strips_controls_and_caps() {
        assert_eq!(sanitize_text("a\r\nb\tc\u{0}d", 100), "a b c d");
        assert_eq!(sanitize_text("  lead  trail  ", 100), "lead trail");
        assert_eq!(sanitize_text("x\u{202E}y\u{200B}z", 100), "x y z");
        assert_eq!(sanitize_text("ééééé", 3), "ééé");
        assert_eq!(sanitize_text("ab cd", 3), "ab");
        assert_eq!(sanitize_text(&"x".repeat(10_000), 200).chars().count(), 200);
    }

    #[test]
    fn base_url_normalization() {
        assert_eq!(
            normalize_base_url("https://api.twilio.com/", "S").unwrap(),
            "https://api.twilio.com"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:9", "S").unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            normalize_base_url("ftp://x", "S"),
            Err(SmsError::InvalidConfig { setting: "S" })
        );
        assert_eq!(
            normalize_base_url("https://", "S"),
            Err(SmsError::InvalidConfig { setting: "S" })
        );
        assert_eq!(
            normalize_base_url("https://a b", "S"),
            Err(SmsError::InvalidConfig { setting: "S" })
        );
    }

    #[test]
    fn http_request_debug_redacts() {
        let req = HttpRequest {
            method: "POST",
            url: "https://example.test/x".into(),
            headers: vec![("Authorization".into(), "Basic c2VjcmV0".into())],
            body: "api_key=secret".into(),
        };
        let dbg = format!("{req:?}");
        assert!(!dbg.contains("c2VjcmV0"));
        assert!(!dbg.contains("secret"));
        assert!(dbg.contains("https://example.test/x"));
    }

    #[test]
    fn transport_error_is_sanitized() {
        let e = SmsError::transport("connect\nfailed");
        assert_eq!(
            e,
            SmsError::Transport {
                message: "connect failed".into()
            }
        );
        assert_eq!(e.code(), "sms_transport");
    }
}
