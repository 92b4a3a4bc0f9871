//! Phone numbers: everything stored is E.164 (`+` then 8–15 digits).
//! Nigerian local forms (`0803…`, `234803…`, `+234 0803…`) are normalised;
//! anything ambiguous is refused rather than guessed.

/// Why a phone number was refused (all map to `invalid_phone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Contains something other than ASCII digits, `+`, spaces, dashes, dots or parentheses.
    InvalidCharacter,
    /// No country code and not a recognisable Nigerian local number.
    NoCountryCode,
    /// Fewer than 8 or more than 15 digits (short codes and over-long input).
    BadLength,
    /// Country codes never start with 0.
    BadCountryCode,
    /// A Nigerian number that is not a mobile number (SMS and passkeys need one).
    NotMobile,
    /// A premium-rate number.
    PremiumRate,
}

const NIGERIA: &str = "234";
/// Leading digits of Nigerian mobile numbers (national significant number).
const NG_MOBILE_PREFIXES: [&str; 5] = ["70", "80", "81", "90", "91"];

/// Normalises `input` to E.164 or says why it cannot.
pub fn normalize(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(PhoneError::InvalidCharacter),
        }
    }
    if digits.len() > 16 {
        return Err(PhoneError::BadLength);
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if digits.len() == 11 && digits.starts_with('0') {
        // Nigerian national format: 0 + 10-digit significant number.
        format!("{NIGERIA}{}", &digits[1..])
    } else if digits.len() == 13 && digits.starts_with(NIGERIA) {
        digits
    } else {
        return Err(PhoneError::NoCountryCode);
    };
    let international = strip_nigerian_trunk_zero(international);
    if international.starts_with('0') {
        return Err(PhoneError::BadCountryCode);
    }
    if !(8..=15).contains(&international.len()) {
        return Err(PhoneError::BadLength);
    }
    check_number_plan(&international)?;
    Ok(format!("+{international}"))
}

/// `+234 (0) 803…` is common in Nigeria: the trunk 0 is dropped.
fn strip_nigerian_trunk_zero(number: String) -> String {
    match number.strip_prefix("2340") {
        Some(rest) if rest.len() == 10 => format!("{NIGERIA}{rest}"),
        _ => number,
    }
}

fn check_number_plan(number: &str) -> Result<(), PhoneError> {
    if let Some(national) = number.strip_prefix(NIGERIA) {
        if national.len() != 10 {
            return Err(PhoneError::BadLength);
        }
        if !NG_MOBILE_PREFIXES.iter().any(|p| national.starts_with(p)) {
            return Err(PhoneError::NotMobile);
        }
    }
    // North American premium-rate area codes, and UK 09 premium numbers.
    if ["1900", "1976"].iter().any(|p| number.starts_with(p)) || number.starts_with("449") {
        return Err(PhoneError::PremiumRate);
    }
    Ok(())
}

/// `+234******5678`: keeps the country code and the last four digits.
pub fn mask(e164: &str) -> String {
    let digits = e164.trim_start_matches('+');
    let cc_len = country_code_len(digits);
    let keep_tail = 4.min(digits.len().saturating_sub(cc_len));
    let mut out = String::from("+");
    for (i, c) in digits.chars().enumerate() {
        if i < cc_len || i >= digits.len() - keep_tail {
            out.push(c);
        } else {
            out.push('*');
        }
    }
    out
}

/// Length of the ITU country code: 1 for NANP (+1) and Russia/Kazakhstan (+7),
/// 2 for the zones whose codes are two digits, 3 otherwise.
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: [&str; 43] = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.iter().any(|p| digits.starts_with(p)) || digits.starts_with("98") {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let ok = [
            ("+2348031234567", "+2348031234567"),
            ("08031234567", "+2348031234567"),
            ("0803 123 4567", "+2348031234567"),
            ("0803-123-4567", "+2348031234567"),
            ("2348031234567", "+2348031234567"),
            ("+234 (0) 803 123 4567", "+2348031234567"),
            ("002348031234567", "+2348031234567"),
            ("  +234 703 123 4567 ", "+2347031234567"),
            ("+2349131234567", "+2349131234567"),
            ("+14155550123", "+14155550123"),
            ("+44 7700 900123", "+447700900123"),
            ("+491711234567", "+491711234567"),
        ];
        for (input, want) in ok {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input}");
        }
        let bad = [
            ("", PhoneError::NoCountryCode),
            ("8031234567", PhoneError::NoCountryCode),
            ("+", PhoneError::BadLength),
            ("+1234567", PhoneError::BadLength),
            ("+1234567890123456", PhoneError::BadLength),
            ("12345678901234567", PhoneError::BadLength),
            ("+0123456789", PhoneError::BadCountryCode),
            ("+234803123456", PhoneError::BadLength),
            ("+2341234567890", PhoneError::NotMobile),
            ("+19005550123", PhoneError::PremiumRate),
            ("+449012345678", PhoneError::PremiumRate),
            ("+234803123456a", PhoneError::InvalidCharacter),
            ("+٢٣٤٨٠٣١٢٣٤٥٦٧", PhoneError::InvalidCharacter),
            ("+２３４８０３１２３４５６７", PhoneError::InvalidCharacter),
            ("+234803\u{0}1234567", PhoneError::InvalidCharacter),
            ("++2348031234567", PhoneError::InvalidCharacter),
            ("tel:+2348031234567", PhoneError::InvalidCharacter),
        ];
        for (input, want) in bad {
            assert_eq!(normalize(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn masks_all_but_country_code_and_last_four() {
        assert_eq!(mask("+2348031235678"), "+234******5678");
        assert_eq!(mask("+14155550123"), "+1******0123");
        assert_eq!(mask("+447700900123"), "+44******0123");
    }
}
