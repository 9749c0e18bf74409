//! Simulated time: integer nanoseconds.
//!
//! Every instant and every duration in the simulator is a `u64` count of
//! nanoseconds (`Nanos`). Integer time makes event ordering exact and
//! reproducible on every machine; `u64` nanoseconds cover about 584 years.
//!
//! Durations in configuration files are strings with an explicit unit
//! (`"10ms"`, `"1.5s"`, `"70s"`, `"10min"`, `"2h"`, `"500us"`, `"100ns"`);
//! [`parse_duration`] converts them, rejecting missing units, negative values
//! and values longer than [`MAX_DURATION`].
//!
//! Invariant: no time arithmetic wraps. Every duration dofleet reads (a
//! configured value, a distribution parameter, a sample, a trace
//! timestamp) is at most [`MAX_DURATION`], 1000 days; distributions whose
//! one-in-a-billion quantile exceeds it are refused by the config loader,
//! and samplers clamp at it. An instant of a run is its start plus a chain
//! of such durations, so u64 nanoseconds (about 584 years, 213 times
//! [`MAX_DURATION`]) hold any chain of fewer than 212 of them; the
//! resource estimate refuses runs whose total expected work could exceed
//! half the range (docs/reliability.md).

/// Simulated time or a duration, in nanoseconds.
pub type Nanos = u64;

/// Nanoseconds in one microsecond.
pub const MICROSECOND: Nanos = 1_000;
/// Nanoseconds in one millisecond.
pub const MILLISECOND: Nanos = 1_000_000;
/// Nanoseconds in one second.
pub const SECOND: Nanos = 1_000_000_000;

/// The longest duration accepted anywhere: 1000 days.
pub const MAX_DURATION: Nanos = 1_000 * 86_400 * SECOND;

/// [`MAX_DURATION`] as written in messages.
pub const MAX_DURATION_TEXT: &str = "1000d";

/// The units accepted in duration strings, with their length in nanoseconds.
pub const UNITS: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("min", 60e9),
    ("h", 3600e9),
    ("d", 86400e9),
];

/// Converts nanoseconds to milliseconds as a float (for reports).
pub fn to_ms(ns: Nanos) -> f64 {
    ns as f64 / MILLISECOND as f64
}

/// Converts nanoseconds to seconds as a float.
pub fn to_secs(ns: Nanos) -> f64 {
    ns as f64 / SECOND as f64
}

/// Converts a non-negative, finite number of seconds to nanoseconds, rounding
/// to the nearest nanosecond and saturating at `u64::MAX`.
pub fn from_secs_f64(secs: f64) -> Nanos {
    let ns = (secs * SECOND as f64).round();
    if ns <= 0.0 || ns.is_nan() {
        0
    } else if ns >= u64::MAX as f64 {
        u64::MAX
    } else {
        ns as u64
    }
}

/// Parses a duration with an explicit unit, such as `"10ms"` or `"1.5 s"`.
///
/// The error is a sentence saying what was expected.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let t = text.trim();
    let found = shown_text(text);
    let split = t
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')
        })
        .unwrap_or(t.len());
    // An exponent marker directly followed by a unit letter is part of the unit.
    let (mut num, mut unit) = t.split_at(split);
    if num.ends_with(['e', 'E']) {
        num = &num[..num.len() - 1];
        unit = &t[num.len()..];
    }
    let unit = unit.trim();
    let expected = "a duration with a unit, such as \"10ms\", \"1.5s\", \"70s\", \"10min\" (units: ns, us, ms, s, min, h, d)";
    if num.is_empty() {
        return Err(format!("expected {expected}, found {found}"));
    }
    if unit.is_empty() {
        return Err(format!("{found} has no unit: expected {expected}"));
    }
    let value: f64 = num
        .parse()
        .map_err(|_| format!("expected {expected}, found {found}"))?;
    let scale = UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            format!(
                "unknown unit {} in {found}: expected {expected}",
                shown_text(unit)
            )
        })?;
    if !value.is_finite() {
        return Err(format!("expected a finite duration, found {found}"));
    }
    if value < 0.0 {
        return Err(format!("durations cannot be negative, found {found}"));
    }
    let ns = value * scale;
    if ns > MAX_DURATION as f64 {
        return Err(format!(
            "{found} is too long: a duration is at most {MAX_DURATION_TEXT} (about 2.7 years), \
             so that the sums of times in a run stay within the 584 years of u64 nanoseconds"
        ));
    }
    Ok(ns.round() as Nanos)
}

/// `text` cut to its first `limit` characters: the part kept, and the
/// whole length in characters when it was cut.
pub fn shortened(text: &str, limit: usize) -> (&str, Option<usize>) {
    match text.char_indices().nth(limit) {
        None => (text, None),
        Some((cut, _)) => (&text[..cut], Some(text.chars().count())),
    }
}

/// `text` quoted for a message, cut to its first 40 characters when longer
/// (a number of 100,000 digits is not echoed in full).
pub fn shown_text(text: &str) -> String {
    match shortened(text, 40) {
        (whole, None) => format!("{whole:?}"),
        (kept, Some(length)) => format!("{kept:?}... ({length} characters)"),
    }
}

/// Formats nanoseconds as a short human-readable duration (`"1.5s"`, `"12ms"`).
pub fn format_duration(ns: Nanos) -> String {
    let pick = |scale: f64, unit: &str| {
        let v = ns as f64 / scale;
        if (v - v.round()).abs() < 1e-9 {
            format!("{}{unit}", v.round() as u64)
        } else {
            format!("{}{unit}", trim_float(v))
        }
    };
    if ns == 0 {
        "0s".to_string()
    } else if ns.is_multiple_of(3_600_000_000_000) {
        pick(3600e9, "h")
    } else if ns.is_multiple_of(60_000_000_000) {
        pick(60e9, "min")
    } else if ns >= SECOND {
        pick(1e9, "s")
    } else if ns >= MILLISECOND {
        pick(1e6, "ms")
    } else if ns >= MICROSECOND {
        pick(1e3, "us")
    } else {
        pick(1.0, "ns")
    }
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("100ns"), Ok(100));
        assert_eq!(parse_duration("5us"), Ok(5_000));
        assert_eq!(parse_duration("10ms"), Ok(10 * MILLISECOND));
        assert_eq!(parse_duration("1.5s"), Ok(1_500 * MILLISECOND));
        assert_eq!(parse_duration("70 s"), Ok(70 * SECOND));
        assert_eq!(parse_duration("10min"), Ok(600 * SECOND));
        assert_eq!(parse_duration("2h"), Ok(7_200 * SECOND));
        assert_eq!(parse_duration("1d"), Ok(86_400 * SECOND));
        assert_eq!(parse_duration("1e3ms"), Ok(SECOND));
    }

    #[test]
    fn rejects_bad_durations_with_a_reason() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration("3 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("1e400s").is_err());
        assert!(parse_duration("1000000000d")
            .unwrap_err()
            .contains("too long"));
        assert_eq!(parse_duration("1000d"), Ok(MAX_DURATION));
        assert!(parse_duration("1000.001d")
            .unwrap_err()
            .contains("at most 1000d"));
        assert!(parse_duration("150000d")
            .unwrap_err()
            .contains("at most 1000d"));
        let huge = format!("{}s", "9".repeat(100_000));
        let message = parse_duration(&huge).unwrap_err();
        assert!(message.len() < 300, "{message}");
        assert!(message.contains("100001 characters"), "{message}");
    }

    #[test]
    fn formats_round_trip() {
        for ns in [
            0,
            1,
            1_500,
            12 * MILLISECOND,
            1_500 * MILLISECOND,
            70 * SECOND,
            600 * SECOND,
            7_200 * SECOND,
        ] {
            assert_eq!(parse_duration(&format_duration(ns)), Ok(ns), "{ns}");
        }
    }
}
