//! Timestamps as audit logs and CloudTrail write them, turned into Unix milliseconds.
//!
//! Audit events carry RFC 3339 with microseconds (`2024-08-24T14:27:07.461683Z`); re-exported logs
//! (Panther, CloudWatch Logs Insights) write `2022-11-29 00:09:04.38` with a space and no zone, which
//! means UTC. A hand-written parser is used because it sits on the ingest hot path and these are
//! the only shapes that occur.

/// Milliseconds in one day; days are UTC calendar days.
pub const MS_PER_DAY: i64 = 86_400_000;

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]` into Unix milliseconds. No zone means UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None; // 2026-02-30 is no day, not 2026-03-02
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // Keep milliseconds; finer digits are truncated, as the store's unit is ms.
        let mut scale = 100;
        for &d in &fraction[..len.min(3)] {
            millis += i64::from(d - b'0') * scale;
            scale /= 10;
        }
        rest = &fraction[len..];
    }
    let offset_minutes = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None; // +99:99 would shift the event by four days
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// The UTC day number (days since 1970-01-01) holding `ms`.
/// Seconds from `then_ms` to `now_ms`, never negative: how far behind the newest event is.
pub fn lag_seconds(then_ms: i64, now_ms: i64) -> f64 {
    (now_ms - then_ms).max(0) as f64 / 1000.0
}

pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

/// The UTC day number of a `YYYY-MM-DD` date (exactly that form: no time, no zone).
pub fn parse_day(s: &str) -> Option<i64> {
    (s.len() == 10).then(|| parse_timestamp(&format!("{s}T00:00:00Z")).map(day_of)).flatten()
}

/// `YYYY-MM-DD` for a UTC day number.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// RFC 3339 with milliseconds, UTC: `2024-08-24T14:27:07.461Z`.
pub fn format_rfc3339(ms: i64) -> String {
    let day = day_of(ms);
    let in_day = ms - day * MS_PER_DAY;
    let (h, rem) = (in_day / 3_600_000, in_day % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1_000, rem % 1_000);
    format!("{}T{h:02}:{m:02}:{s:02}.{milli:03}Z", format_day(day))
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, exact for all years).
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A time of day in UTC, to the minute: when a daily job runs (`[reports] daily_at = "06:00"`).
/// Written `HH:MM` (an hour of one digit is read too); parsed once, where it is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    /// Minutes after midnight, below 24 * 60.
    minute: u32,
}

impl TimeOfDay {
    pub fn new(hour: u32, minute: u32) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then_some(TimeOfDay { minute: hour * 60 + minute })
    }

    /// Milliseconds after midnight UTC.
    pub fn ms_after_midnight(self) -> i64 {
        i64::from(self.minute) * 60_000
    }
}

impl std::str::FromStr for TimeOfDay {
    type Err = String;

    fn from_str(s: &str) -> Result<TimeOfDay, String> {
        // One or two digits: no sign, no space.
        let number = |d: &str| -> Option<u32> {
            let digits = (1..=2).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| d.parse().ok()).flatten()
        };
        s.split_once(':')
            .and_then(|(h, m)| TimeOfDay::new(number(h)?, number(m)?))
            .ok_or_else(|| format!("`{s}` is not a UTC time of day: expected HH:MM, like 06:00"))
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minute / 60, self.minute % 60)
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TimeOfDay, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_of_day_is_hours_and_minutes_within_a_day() {
        let cases = [
            ("six in the morning", "06:00", Some((6, 0))),
            ("an hour of one digit", "6:30", Some((6, 30))),
            ("the last minute", "23:59", Some((23, 59))),
            ("midnight", "00:00", Some((0, 0))),
            ("no such hour", "25:00", None),
            ("no such minute", "06:60", None),
            ("no minutes", "06", None),
            ("seconds are not asked for", "06:00:00", None),
            ("a sign is no digit", "+6:00", None),
            ("empty", "", None),
        ];
        for (name, text, want) in cases {
            let got = text.parse::<TimeOfDay>();
            assert_eq!(got.as_ref().ok(), want.and_then(|(h, m)| TimeOfDay::new(h, m)).as_ref(), "{name}");
            match got {
                Ok(t) => assert_eq!(t.ms_after_midnight(), i64::from(want.unwrap().0 * 60 + want.unwrap().1) * 60_000),
                Err(e) => assert!(e.contains(&format!("`{text}`")) && e.contains("HH:MM"), "{name}: {e}"),
            }
        }
    }

    #[test]
    fn a_time_of_day_is_written_as_it_is_configured() {
        let t: TimeOfDay = serde_json::from_str("\"6:05\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"06:05\"");
        let err = serde_json::from_str::<TimeOfDay>("\"noon\"").unwrap_err().to_string();
        assert!(err.contains("`noon` is not a UTC time of day"), "{err}");
    }

    struct Case {
        name: &'static str,
        input: &'static str,
        want: Option<i64>,
    }

    #[test]
    fn parse_timestamp_accepts_the_shapes_audit_logs_use() {
        let cases = [
            Case {
                name: "RFC 3339 with microseconds and Z",
                input: "2024-08-24T14:27:07.461683Z",
                want: Some(1_724_509_627_461),
            },
            Case { name: "RFC 3339 without fraction", input: "2024-08-24T14:27:07Z", want: Some(1_724_509_627_000) },
            Case {
                name: "positive offset is subtracted",
                input: "2024-08-24T16:27:07.461+02:00",
                want: Some(1_724_509_627_461),
            },
            Case {
                name: "negative offset is added",
                input: "2024-08-24T09:27:07.461-05:00",
                want: Some(1_724_509_627_461),
            },
            Case { name: "an offset past 23:59 is not one", input: "2026-11-01T00:00:00+99:99", want: None },
            Case { name: "offset minutes past 59 are refused", input: "2026-11-01T00:00:00+01:60", want: None },
            Case { name: "February 30 is no day", input: "2026-02-30T00:00:00Z", want: None },
            Case { name: "April 31 is no day", input: "2026-04-31T00:00:00Z", want: None },
            Case {
                name: "February 29 of a leap year is a day",
                input: "2024-02-29T00:00:00Z",
                want: Some(1_709_164_800_000),
            },
            Case { name: "February 29 of 1900 is not", input: "1900-02-29T00:00:00Z", want: None },
            Case {
                name: "Panther style: space, no zone, centiseconds",
                input: "2022-11-29 00:09:04.38",
                want: Some(1_669_680_544_380),
            },
            Case {
                name: "Panther style: nanoseconds are truncated to ms",
                input: "2024-11-13 18:34:10.595141000",
                want: Some(1_731_522_850_595),
            },
            Case { name: "epoch", input: "1970-01-01T00:00:00Z", want: Some(0) },
            Case { name: "leap day", input: "2024-02-29T00:00:00Z", want: Some(1_709_164_800_000) },
            Case { name: "empty string is rejected", input: "", want: None },
            Case { name: "date only is rejected", input: "2024-08-24", want: None },
            Case { name: "month 13 is rejected", input: "2024-13-01T00:00:00Z", want: None },
            Case { name: "trailing garbage is rejected", input: "2024-08-24T14:27:07Zjunk", want: None },
            Case { name: "dot without digits is rejected", input: "2024-08-24T14:27:07.Z", want: None },
            Case { name: "letters in the year are rejected", input: "2O24-08-24T14:27:07Z", want: None },
        ];
        for c in cases {
            assert_eq!(parse_timestamp(c.input), c.want, "{}", c.name);
        }
    }

    #[test]
    fn day_and_formatting_round_trip() {
        let ms = parse_timestamp("2026-11-25T23:59:59.999Z").unwrap();
        assert_eq!(format_day(day_of(ms)), "2026-11-25");
        assert_eq!(format_rfc3339(ms), "2026-11-25T23:59:59.999Z");
        assert_eq!(format_day(day_of(-1)), "1969-12-31", "days before the epoch floor, not truncate");
    }
}
