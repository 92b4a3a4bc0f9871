//! X.509 validity times (RFC 5280 §4.1.2.5) to Unix seconds. Only the `Z` forms DER allows.

use super::der;

/// UTCTime tag number.
const UTC_TIME: u32 = 23;
/// GeneralizedTime tag number.
const GENERALIZED_TIME: u32 = 24;

/// Converts a UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) to Unix seconds.
pub fn parse(tag: der::Tag, content: &[u8]) -> Option<i64> {
    let (year, rest) = match (tag.class, tag.number) {
        (der::UNIVERSAL, UTC_TIME) => {
            let yy = digits(content.get(..2)?)?;
            // RFC 5280: YY >= 50 means 19YY, otherwise 20YY.
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                content.get(2..)?,
            )
        }
        (der::UNIVERSAL, GENERALIZED_TIME) => (digits(content.get(..4)?)?, content.get(4..)?),
        _ => return None,
    };
    if rest.len() != 11 || rest.get(10) != Some(&b'Z') {
        return None;
    }
    let month = digits(rest.get(0..2)?)?;
    let day = digits(rest.get(2..4)?)?;
    let hour = digits(rest.get(4..6)?)?;
    let minute = digits(rest.get(6..8)?)?;
    let second = digits(rest.get(8..10)?)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm); inputs are
/// bounded by four decimal digits, so the arithmetic cannot overflow.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
