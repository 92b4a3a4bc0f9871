//! SSRF rules for partner `webhookUrl`s: https only, no credentials, and no
//! host that names loopback, private, link-local or metadata addresses.
//! Hosts are checked as written: numeric forms a resolver might read as an
//! address (`2130706433`, `0x7f.1`, `127.1`) are refused outright. Workers
//! cannot resolve DNS before fetching; Cloudflare's egress itself never
//! reaches private ranges, which covers names that resolve inward.

use std::net::{Ipv4Addr, Ipv6Addr};

pub const MAX_URL_LEN: usize = 2048;

/// Why a webhook URL was refused (all `invalid_request` on `webhookUrl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookUrlError {
    /// Not `https://` (or `http://` when private URLs are allowed).
    BadScheme,
    /// Longer than [`MAX_URL_LEN`].
    TooLong,
    /// Not a URL we can read unambiguously.
    Malformed,
    /// Userinfo (`user:pass@`) in the URL.
    Credentials,
    /// Names a loopback, private, link-local, metadata or otherwise internal host.
    PrivateHost,
}

impl WebhookUrlError {
    pub fn reason(self) -> &'static str {
        match self {
            Self::BadScheme => "must be an https:// URL",
            Self::TooLong => "is too long",
            Self::Malformed => "is not a valid URL",
            Self::Credentials => "must not contain credentials",
            Self::PrivateHost => {
                "must not point to a loopback, private, link-local or metadata address"
            }
        }
    }
}

/// Checks `url`; `allow_private` (local development only) also admits `http://`.
pub fn validate(url: &str, allow_private: bool) -> Result<(), WebhookUrlError> {
    if url.len() > MAX_URL_LEN {
        return Err(WebhookUrlError::TooLong);
    }
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(WebhookUrlError::Malformed);
    }
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let (true, Some(rest)) = (allow_private, url.strip_prefix("http://")) {
        rest
    } else {
        return Err(WebhookUrlError::BadScheme);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if rest[authority_end..].contains('#') {
        return Err(WebhookUrlError::Malformed);
    }
    if authority.contains('@') {
        return Err(WebhookUrlError::Credentials);
    }
    let host = split_host(authority)?;
    if allow_private {
        return Ok(());
    }
    match host {
        Host::V6(ip) if is_internal_v6(&ip) => Err(WebhookUrlError::PrivateHost),
        Host::V6(_) => Ok(()),
        Host::Name(name) => check_name(&name),
    }
}

enum Host {
    Name(String),
    V6(Ipv6Addr),
}

fn split_host(authority: &str) -> Result<Host, WebhookUrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or(WebhookUrlError::Malformed)?;
        let ip: Ipv6Addr = addr.parse().map_err(|_| WebhookUrlError::Malformed)?;
        (Host::V6(ip), after.strip_prefix(':'))
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (authority, None),
        };
        (Host::Name(name.to_ascii_lowercase()), port)
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !ok {
            return Err(WebhookUrlError::Malformed);
        }
    }
    if let Host::Name(name) = &host {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        // A single trailing dot is the DNS root, not an empty label.
        let valid = valid
            || name
                .strip_suffix('.')
                .is_some_and(|n| !n.ends_with('.') && !n.is_empty());
        if !valid {
            return Err(WebhookUrlError::Malformed);
        }
    }
    Ok(host)
}

fn check_name(name: &str) -> Result<(), WebhookUrlError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    const INTERNAL_SUFFIXES: [&str; 6] = [
        ".localhost",
        ".local",
        ".internal",
        ".home.arpa",
        ".lan",
        ".localdomain",
    ];
    if name == "localhost" || INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Err(WebhookUrlError::PrivateHost);
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    let numeric_tld = last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x");
    if !numeric_tld {
        return Ok(());
    }
    // Only canonical dotted-quad IPv4 is read as an address; other numeric
    // spellings are ambiguous between resolvers and are refused.
    let ip: Ipv4Addr = name.parse().map_err(|_| WebhookUrlError::Malformed)?;
    if is_internal_v4(ip) {
        return Err(WebhookUrlError::PrivateHost);
    }
    Ok(())
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 224
}

fn is_internal_v6(ip: &Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 embeds IPv4
        || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_public_https_urls() {
        for url in [
            "https://partner.example.com/hooks/mid",
            "https://partner.example.com:8443/h?x=1",
            "https://8.8.8.8/hook",
            "https://[2606:4700::1111]/hook",
            "https://example.com.",
        ] {
            assert_eq!(validate(url, false), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_internal_and_ambiguous_targets() {
        use WebhookUrlError::*;
        let cases = [
            ("http://partner.example.com/h", BadScheme),
            ("ftp://partner.example.com/h", BadScheme),
            ("https://localhost/h", PrivateHost),
            ("https://LOCALHOST:443/h", PrivateHost),
            ("https://app.localhost/h", PrivateHost),
            ("https://127.0.0.1/h", PrivateHost),
            ("https://10.1.2.3/h", PrivateHost),
            ("https://172.16.0.1/h", PrivateHost),
            ("https://172.31.255.255/h", PrivateHost),
            ("https://192.168.1.1/h", PrivateHost),
            ("https://169.254.169.254/latest/meta-data", PrivateHost),
            ("https://100.64.0.1/h", PrivateHost),
            ("https://0.0.0.0/h", PrivateHost),
            ("https://metadata.google.internal/h", PrivateHost),
            ("https://[::1]/h", PrivateHost),
            ("https://[::ffff:127.0.0.1]/h", PrivateHost),
            ("https://[fd00::1]/h", PrivateHost),
            ("https://[fe80::1]/h", PrivateHost),
            ("https://2130706433/h", Malformed),
            ("https://0x7f.0.0.1/h", Malformed),
            ("https://0177.0.0.1/h", Malformed),
            ("https://127.1/h", Malformed),
            ("https://user:pw@example.com/h", Credentials),
            ("https://example.com@127.0.0.1/h", Credentials),
            ("https://exa mple.com/h", Malformed),
            ("https://example.com:0/h", Malformed),
            ("https://example.com:99999/h", Malformed),
            ("https://ex%41mple.com/h", Malformed),
            ("https://bücher.example/h", Malformed),
            ("https:///h", Malformed),
            ("https://example.com/h#frag", Malformed),
        ];
        for (url, want) in cases {
            assert_eq!(validate(url, false), Err(want), "{url}");
        }
        assert_eq!(
            validate(&format!("https://a.com/{}", "x".repeat(2048)), false),
            Err(TooLong)
        );
    }

    #[test]
    fn private_mode_allows_local_http_for_development() {
        assert_eq!(validate("http://127.0.0.1:9000/hook", true), Ok(()));
        assert_eq!(validate("http://localhost:9000/hook", true), Ok(()));
        assert_eq!(
            validate("ftp://127.0.0.1/hook", true),
            Err(WebhookUrlError::BadScheme)
        );
    }
}
