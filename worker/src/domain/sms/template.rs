//! SMS text for the enrollment code.
//!
//! Shape (two lines of text, a blank line, then the WebOTP line):
//!
//! ```text
//! Your Acme Bank code is 123456. Don't share it.
//!
//! @mid.example #123456
//! ```
//!
//! The last line follows the WebOTP origin-bound code format
//! (`@<host> #<code>`) so Android/Chrome can offer autofill.
//!
//! Length budget (GSM-7, one segment = 160 septets): the fixed text is 48
//! characters, the partner name is capped at 40, leaving 72 for the RP
//! host. Real hosts are far shorter. A partner name with characters outside
//! GSM-7 (e.g. emoji, most non-Latin scripts) switches the whole message to
//! UCS-2, where one segment is 70 UTF-16 units; such messages may take two
//! segments, which we accept rather than mangle the partner's name. Use
//! [`fits_single_segment`] to check.

use super::is_invisible_format_char;

/// Longest partner name kept in the message (characters).
pub const MAX_PARTNER_NAME_CHARS: usize = 40;

/// Longest host kept in the WebOTP line (a DNS name is at most 253).
const MAX_HOST_CHARS: usize = 253;

/// Builds the OTP SMS body. `partner_name` is sanitised (controls and
/// line breaks removed, whitespace collapsed, capped at 40 chars) so it
/// cannot add lines or spoof the WebOTP line; `rp_host` is reduced to a
/// bare lower-case host (scheme, port and path dropped).
pub fn otp_message(partner_name: &str, code: &str, rp_host: &str) -> String {
    let partner = sanitize_partner_name(partner_name);
    let code: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    let host = sanitize_host(rp_host);
    let subject = if partner.is_empty() {
        "Your code".to_owned()
    } else {
        format!("Your {partner} code")
    };
    format!("{subject} is {code}. Don't share it.\n\n@{host} #{code}")
}

/// Partner display name made safe for a single SMS line.
pub fn sanitize_partner_name(name: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    for ch in name.chars() {
        // '@' and '#' could make the line look like a WebOTP line.
        if ch.is_whitespace()
            || ch.is_control()
            || is_invisible_format_char(ch)
            || ch == '@'
            || ch == '#'
        {
            pending_space = !out.is_empty();
            continue;
        }
        let needed = if pending_space { 2 } else { 1 };
        if count + needed > MAX_PARTNER_NAME_CHARS {
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

/// Bare lower-case host: drops scheme, userinfo, port, path and any
/// character that cannot appear in a DNS name.
fn sanitize_host(raw: &str) -> String {
    let raw = raw.trim();
    let without_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = host_port.split(':').next().unwrap_or_default();
    host.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .take(MAX_HOST_CHARS)
        .collect()
}

/// GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// GSM 03.38 extension table (escape + char: two septets each).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{0C}";

/// True if `text` goes out as a single SMS segment: at most 160 septets
/// when every character is GSM-7, otherwise at most 70 UTF-16 units.
pub fn fits_single_segment(text: &str) -> bool {
    let mut septets = 0usize;
    for ch in text.chars() {
        if GSM7_BASIC.contains(ch) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(ch) {
            septets += 2;
        } else {
            return text.encode_utf16().count() <= 70;
        }
    }
    septets <= 160
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
    fn exact_message() {
        assert_eq!(
            otp_message("Acme Bank", "123456", "mid.example"),
            "Your Acme Bank code is 123456. Don't share it.\n\n@mid.example #123456"
        );
    }

    #[test]
    fn webotp_line_is_last_and_alone() {
        let msg = otp_message("Acme", "042917", "id.mid.example");
        let last = msg.lines().last().unwrap();
        assert_eq!(last, "@id.mid.example #042917");
        assert!(!msg.ends_with('\n'));
    }

    #[test]
    fn partner_cannot_inject_lines() {
        let evil = "Acme\n\n@evil.example #999999\r\u{2028}x\u{202E}";
        let msg = otp_message(evil, "123456", "mid.example");
        assert_eq!(msg.lines().count(), 3, "{msg:?}");
        assert_eq!(msg.lines().last().unwrap(), "@mid.example #123456");
        assert!(!msg.contains("@evil"));
        assert!(!msg.contains('\u{202E}'));
        assert!(!msg.contains('\u{2028}'));
    }

    #[test]
    fn partner_name_is_capped() {
        let long = "A".repeat(100);
        let name = sanitize_partner_name(&long);
        assert_eq!(name.chars().count(), MAX_PARTNER_NAME_CHARS);
        // Multi-byte characters are counted as characters, never split.
        let wide = sanitize_partner_name(&"é".repeat(100));
        assert_eq!(wide.chars().count(), MAX_PARTNER_NAME_CHARS);
        // No trailing space when the cap falls at a word boundary.
        let words = sanitize_partner_name(&format!("{} tail", "b".repeat(39)));
        assert_eq!(words, "b".repeat(39));
    }

    #[test]
    fn empty_partner_falls_back() {
        assert_eq!(
            otp_message(" \n\t", "123456", "mid.example"),
            "Your code is 123456. Don't share it.\n\n@mid.example #123456"
        );
    }

    #[test]
    fn host_is_reduced_to_bare_host() {
        assert_eq!(
            sanitize_host("https://User@MID.Example:8443/path?q#f"),
            "mid.example"
        );
        assert_eq!(sanitize_host("mid.example\n#1"), "mid.example");
        assert_eq!(sanitize_host("mid.exa\nmple"), "mid.example");
        assert_eq!(sanitize_host(" id.mid.example "), "id.mid.example");
    }

    #[test]
    fn worst_case_ascii_fits_one_segment() {
        let partner = "P".repeat(80);
        let host = "h".repeat(72);
        let msg = otp_message(&partner, "123456", &host);
        assert_eq!(msg.chars().count(), 160);
        assert!(fits_single_segment(&msg));
        let typical = otp_message("Acme Bank Nigeria Plc", "123456", "id.mid.example");
        assert!(fits_single_segment(&typical));
    }

    #[test]
    fn segment_rules() {
        assert!(fits_single_segment(&"a".repeat(160)));
        assert!(!fits_single_segment(&"a".repeat(161)));
        assert!(!fits_single_segment(&"€".repeat(81))); // extension chars count 2
        assert!(fits_single_segment(&"€".repeat(80)));
        assert!(fits_single_segment(&"你".repeat(70)));
        assert!(!fits_single_segment(&"你".repeat(71)));
        // An emoji partner name flips the message to UCS-2.
        let msg = otp_message("Acme Bank Nigeria Plc 🚀", "123456", "mid.example");
        assert!(!fits_single_segment(&msg));
    }
}
