//! RFC 3339 timestamps from unix milliseconds, without a date library.

/// `2026-11-28T11:51:23.123Z` for the given unix time in milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Unix milliseconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// the HTTP-date form senders must use); `None` for anything else,
/// including impossible dates. The weekday name is not cross-checked.
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.split(' ');
    let weekday = parts.next()?;
    let (day, month, year, clock, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || weekday.len() != 4 || !weekday.ends_with(',') || zone != "GMT" {
        return None;
    }
    let num = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let d = num(day, 2)?;
    let m = i64::try_from(MONTHS.iter().position(|n| *n == month)?).ok()? + 1;
    let y = num(year, 4)?;
    let mut hms = clock.split(':');
    let (h, min, s) = (
        num(hms.next()?, 2)?,
        num(hms.next()?, 2)?,
        num(hms.next()?, 2)?,
    );
    if hms.next().is_some() || h > 23 || min > 59 || s > 60 || d < 1 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Rejects 31 Nov and 29 Feb of common years: the date must round-trip.
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some((days * 86_400 + h * 3600 + min * 60 + s) * 1000)
}

/// Unix milliseconds of a UTC RFC 3339 time as Google APIs write it
/// (`2025-01-01T00:00:00Z`, optional fraction of 1 to 9 digits); `None` for
/// anything else (offsets other than `Z` included).
pub fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let body = text.strip_suffix('Z')?;
    let (date, clock) = body.split_once('T')?;
    let num = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut ymd = date.split('-');
    let (y, m, d) = (
        num(ymd.next()?, 4)?,
        num(ymd.next()?, 2)?,
        num(ymd.next()?, 2)?,
    );
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, f)) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            (hms, f)
        }
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut parts = hms.split(':');
    let (h, min, s) = (
        num(parts.next()?, 2)?,
        num(parts.next()?, 2)?,
        num(parts.next()?, 2)?,
    );
    if ymd.next().is_some() || parts.next().is_some() || h > 23 || min > 59 || s > 60 {
        return None;
    }
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    let millis = format!("{frac:0<3}").get(..3)?.parse::<i64>().ok()?;
    Some((days * 86_400 + h * 3600 + min * 60 + s) * 1000 + millis)
}

/// Howard Hinnant's civil-to-days algorithm, the inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{parse_http_date, parse_rfc3339_utc, rfc3339};

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (leap day) 12:34:56.789 UTC = 951827696789 ms.
        assert_eq!(rfc3339(951_827_696_789), "2000-02-29T12:34:56.789Z");
        // 2026-11-28T00:00:00Z = 20785 days after the epoch (Python's datetime agrees).
        assert_eq!(rfc3339(20_785 * 86_400_000), "2026-11-28T00:00:00.000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn reads_imf_fixdates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        let leap = parse_http_date("Tue, 29 Feb 2000 12:34:56 GMT").unwrap();
        assert_eq!(rfc3339(leap), "2000-02-29T12:34:56.000Z");
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, +6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_utc_parses_google_times() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_utc("2026-05-28T20:26:40.123456Z"),
            Some(1_780_000_000_123)
        );
        assert_eq!(
            parse_rfc3339_utc("2026-05-28T20:26:40.5Z"),
            Some(1_780_000_000_500)
        );
        assert_eq!(
            parse_rfc3339_utc(&rfc3339(1_780_000_000_123)),
            Some(1_780_000_000_123)
        );
        for bad in [
            "",
            "2026-05-28T20:26:40",
            "2026-05-28T20:26:40+01:00",
            "2026-02-30T00:00:00Z",
            "2026-05-28T24:00:00Z",
            "2026-05-28T20:26:40.Z",
            "2026-5-28T20:26:40Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
    }
}
