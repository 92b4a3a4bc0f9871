//! From a failed browser call to one stable error code: partner pages branch
//! on the code, never on the browser's message text.

/// The stable codes a `MidError` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The person dismissed the prompt, or no authenticator could answer.
    UserCancelled,
    /// The browser or authenticator lacks what the ceremony asks for.
    NotSupported,
    /// The RP ID is not this page's domain (nor a parent of it).
    InvalidDomain,
    /// The authenticator already holds one of the excluded credentials.
    CredentialExists,
    /// The ceremony's timeout elapsed before the person answered.
    Timeout,
    /// Any other security refusal (for example an insecure context).
    SecurityError,
    /// The network failed (fetch or WebSocket could not reach MID).
    Network,
    /// Anything else; the original error is kept as `cause`.
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UserCancelled => "USER_CANCELLED",
            ErrorCode::NotSupported => "NOT_SUPPORTED",
            ErrorCode::InvalidDomain => "INVALID_DOMAIN",
            ErrorCode::CredentialExists => "CREDENTIAL_EXISTS",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::SecurityError => "SECURITY_ERROR",
            ErrorCode::Network => "NETWORK",
            ErrorCode::Unknown => "UNKNOWN",
        }
    }
}

/// Browsers use 300 s when the options give no timeout (WebAuthn L3 §5.1.3
/// leaves it to them; Chromium and Firefox both pick five minutes).
pub const DEFAULT_TIMEOUT_MS: f64 = 300_000.0;

/// Timers and the browser's own clock disagree by a few milliseconds.
const TIMEOUT_SLACK_MS: f64 = 250.0;

/// What was known when the ceremony failed.
pub struct Context<'a> {
    /// Milliseconds between the call and its failure.
    pub elapsed_ms: f64,
    /// The options' `timeout`, if they had one.
    pub timeout_ms: Option<f64>,
    /// The page's host name (`location.hostname`).
    pub host: &'a str,
    /// The options' RP ID (`rp.id` or `rpId`), if they named one.
    pub rp_id: Option<&'a str>,
}

/// Maps a DOMException (or JS error) name and its context to a code.
pub fn classify(name: &str, ctx: &Context) -> ErrorCode {
    match name {
        // The browser answers NotAllowedError for a dismissed prompt and a
        // timeout alike (to hide whether credentials exist); only the clock
        // tells them apart.
        "NotAllowedError" => {
            let limit = ctx.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
            if ctx.elapsed_ms + TIMEOUT_SLACK_MS >= limit {
                ErrorCode::Timeout
            } else {
                ErrorCode::UserCancelled
            }
        }
        "AbortError" => ErrorCode::UserCancelled,
        "NotSupportedError" => ErrorCode::NotSupported,
        "InvalidStateError" => ErrorCode::CredentialExists,
        "SecurityError" => match ctx.rp_id {
            Some(rp_id) if !rp_id_valid_for(ctx.host, rp_id) => ErrorCode::InvalidDomain,
            _ => ErrorCode::SecurityError,
        },
        // fetch rejects with TypeError when the network fails.
        "NetworkError" | "TypeError" => ErrorCode::Network,
        _ => ErrorCode::Unknown,
    }
}

/// WebAuthn §5.1.3/§5.1.4: the RP ID must equal the page's host or be a
/// registrable suffix of it (the public-suffix check is the browser's).
pub fn rp_id_valid_for(host: &str, rp_id: &str) -> bool {
    if rp_id.is_empty() || host.is_empty() {
        return false;
    }
    if host.eq_ignore_ascii_case(rp_id) {
        return true;
    }
    // An IP address has no parent domain.
    let is_ip = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if is_ip || host.len() <= rp_id.len() + 1 {
        return false;
    }
    let split = host.len() - rp_id.len();
    match (host.get(..split), host.get(split..)) {
        (Some(prefix), Some(suffix)) => prefix.ends_with('.') && suffix.eq_ignore_ascii_case(rp_id),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(elapsed_ms: f64, timeout_ms: Option<f64>, rp_id: Option<&str>) -> Context<'_> {
        Context {
            elapsed_ms,
            timeout_ms,
            host: "shop.example.com",
            rp_id,
        }
    }

    #[test]
    fn not_allowed_is_a_cancel_unless_the_timeout_elapsed() {
        let code = |elapsed, timeout| classify("NotAllowedError", &ctx(elapsed, timeout, None));
        assert_eq!(code(800.0, Some(60_000.0)), ErrorCode::UserCancelled);
        assert_eq!(code(60_010.0, Some(60_000.0)), ErrorCode::Timeout);
        assert_eq!(
            code(59_900.0, Some(60_000.0)),
            ErrorCode::Timeout,
            "within the clock slack"
        );
        assert_eq!(code(120_000.0, None), ErrorCode::UserCancelled);
        assert_eq!(code(300_000.0, None), ErrorCode::Timeout, "browser default");
    }

    #[test]
    fn security_error_is_a_domain_error_only_on_rp_mismatch() {
        let code = |rp| classify("SecurityError", &ctx(5.0, None, rp));
        assert_eq!(code(Some("other.com")), ErrorCode::InvalidDomain);
        assert_eq!(code(Some("example.com")), ErrorCode::SecurityError);
        assert_eq!(code(Some("shop.example.com")), ErrorCode::SecurityError);
        assert_eq!(code(None), ErrorCode::SecurityError);
    }

    #[test]
    fn names_map_to_stable_codes() {
        let code = |name| classify(name, &ctx(5.0, None, None)).as_str();
        assert_eq!(code("AbortError"), "USER_CANCELLED");
        assert_eq!(code("NotSupportedError"), "NOT_SUPPORTED");
        assert_eq!(code("InvalidStateError"), "CREDENTIAL_EXISTS");
        assert_eq!(code("NetworkError"), "NETWORK");
        assert_eq!(code("TypeError"), "NETWORK");
        assert_eq!(code("ConstraintError"), "UNKNOWN");
        assert_eq!(code(""), "UNKNOWN");
    }

    #[test]
    fn rp_id_must_be_the_host_or_a_parent_domain() {
        assert!(rp_id_valid_for("localhost", "localhost"));
        assert!(rp_id_valid_for("a.b.example.com", "example.com"));
        assert!(rp_id_valid_for("Login.Example.com", "example.COM"));
        assert!(
            !rp_id_valid_for("badexample.com", "example.com"),
            "label boundary"
        );
        assert!(
            !rp_id_valid_for("example.com", "shop.example.com"),
            "child of the host"
        );
        assert!(!rp_id_valid_for("example.com", ""));
        assert!(!rp_id_valid_for("127.0.0.1", "0.0.1"));
        assert!(
            !rp_id_valid_for(".example.com", "example.com"),
            "empty label"
        );
    }
}
