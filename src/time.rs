//! Simulated time and the humane duration / rate strings of scenario files.
//!
//! Simulated time is an integer count of microseconds since the start of the run. Integers (not
//! floats) keep the engine bit-identical on every platform: there is no rounding that could
//! differ between native code and wasm, and equal times compare equal.

use std::fmt;

/// A point in simulated time, in microseconds since the run started.
pub type SimTime = u64;

/// Microseconds in one millisecond.
pub const MILLIS: u64 = 1_000;
/// Microseconds in one second.
pub const SECONDS: u64 = 1_000_000;

/// A span of simulated time in microseconds, written in scenario files as a humane string such
/// as `"250ms"`, `"1.5s"`, `"2m30s"` or `"7d"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * MILLIS)
    }
    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * SECONDS)
    }
    /// The length in microseconds.
    pub const fn micros(self) -> u64 {
        self.0
    }
}

/// Why a duration or rate string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    /// The string was empty.
    #[error("empty duration: write a number followed by a unit, e.g. \"250ms\"")]
    Empty,
    /// A number was not followed by one of the known units.
    #[error("bad duration \"{0}\": expected a number followed by a unit (us, ms, s, m, h, d), e.g. \"250ms\" or \"1m30s\"")]
    BadDuration(String),
    /// The value does not fit in 64-bit microseconds (about 584,000 years).
    #[error("duration \"{0}\" is too long")]
    Overflow(String),
    /// A rate was not of the form `<count>/<unit>`.
    #[error("bad rate \"{0}\": expected a count per unit of time, e.g. \"200/s\", \"1.5/ms\" or \"3000/min\"")]
    BadRate(String),
}

/// The microseconds in one of the unit suffixes accepted in scenario files.
fn unit_micros(unit: &str) -> Option<f64> {
    Some(match unit {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" | "sec" => 1e6,
        "m" | "min" => 60e6,
        "h" => 3_600e6,
        "d" => 86_400e6,
        _ => return None,
    })
}

/// Parses a humane duration: one or more `<number><unit>` parts (`"1m30s"`), decimals allowed
/// (`"1.5s"`); a bare `"0"` is zero. Sub-microsecond remainders are rounded to the nearest
/// microsecond.
pub fn parse_duration(text: &str) -> Result<Duration, TimeParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TimeParseError::Empty);
    }
    if trimmed == "0" {
        return Ok(Duration(0));
    }
    let bad = || TimeParseError::BadDuration(text.to_string());
    let mut rest = trimmed;
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if number_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(rest.len());
        let micros = unit_micros(&rest[..unit_len]).ok_or_else(bad)?;
        total += number * micros;
        rest = rest[unit_len..].trim_start();
    }
    if !total.is_finite() || total >= u64::MAX as f64 {
        return Err(TimeParseError::Overflow(text.to_string()));
    }
    Ok(Duration(total.round() as u64))
}

impl fmt::Display for Duration {
    /// Prints the largest exact unit, so values round-trip through [`parse_duration`]:
    /// `250ms`, `2s`, `1.5s`, `7d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return write!(f, "0s");
        }
        for (unit, size) in [
            ("d", 86_400 * SECONDS),
            ("h", 3_600 * SECONDS),
            ("m", 60 * SECONDS),
        ] {
            if us % size == 0 {
                return write!(f, "{}{unit}", us / size);
            }
        }
        if us % MILLIS != 0 {
            if us < MILLIS {
                return write!(f, "{us}us");
            }
            return write!(f, "{}ms", format_decimal(us, MILLIS));
        }
        if us < SECONDS {
            return write!(f, "{}ms", us / MILLIS);
        }
        write!(f, "{}s", format_decimal(us, SECONDS))
    }
}

/// `value / unit` as a short decimal without trailing zeros (`1500, 1000` → `"1.5"`).
fn format_decimal(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let frac = value % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = unit.ilog10() as usize;
    let text = format!("{whole}.{frac:0digits$}");
    text.trim_end_matches('0').to_string()
}

/// Formats a simulated duration in microseconds for people: `850us`, `12.3ms`, `4.21s`.
pub fn human_micros(us: u64) -> String {
    if us < MILLIS {
        format!("{us}us")
    } else if us < SECONDS {
        format!("{:.1}ms", us as f64 / 1e3)
    } else if us < 600 * SECONDS {
        format!("{:.2}s", us as f64 / 1e6)
    } else {
        format!("{:.1}m", us as f64 / 60e6)
    }
}

/// An event rate written `"<count>/<unit>"`, e.g. `"200/s"`; stored as events per second.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Rate(pub f64);

impl Rate {
    /// Events per second.
    pub fn per_second(self) -> f64 {
        self.0
    }
    /// The mean gap between two events in microseconds (`None` for a zero rate).
    pub fn mean_gap_micros(self) -> Option<f64> {
        (self.0 > 0.0).then(|| 1e6 / self.0)
    }
}

/// Parses `"200/s"`, `"1.5/ms"`, `"3000/min"` or `"10/h"` into events per second.
pub fn parse_rate(text: &str) -> Result<Rate, TimeParseError> {
    let bad = || TimeParseError::BadRate(text.to_string());
    let (count, unit) = text.trim().split_once('/').ok_or_else(bad)?;
    let count: f64 = count.trim().parse().map_err(|_| bad())?;
    let unit = unit.trim();
    let unit = if unit.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(unit).map_err(|_| bad())?.0 as f64
    } else {
        unit_micros(unit).ok_or_else(bad)?
    };
    if !count.is_finite() || count < 0.0 || unit <= 0.0 {
        return Err(bad());
    }
    Ok(Rate(count * 1e6 / unit))
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_compound_forms() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration(250_000));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration(1_500_000));
        assert_eq!(parse_duration("2m30s").unwrap(), Duration(150 * SECONDS));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration(7 * 86_400 * SECONDS)
        );
        assert_eq!(parse_duration("15us").unwrap(), Duration(15));
        assert_eq!(
            parse_duration("1h 2m").unwrap(),
            Duration(62 * 60 * SECONDS)
        );
        assert_eq!(parse_duration("0").unwrap(), Duration(0));
    }

    #[test]
    fn rejects_bad_durations_with_a_hint() {
        for bad in ["", "5", "ms", "5 parsecs", "1.2.3s", "-3s", "s5"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(!err.to_string().is_empty(), "{bad}");
        }
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .to_string()
            .contains("250ms"));
        assert!(matches!(
            parse_duration("99999999999999999999d"),
            Err(TimeParseError::Overflow(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in ["250ms", "1.5s", "7d", "2m", "15us", "1.25ms", "3h", "0s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parse_duration(&parsed.to_string()).unwrap(), parsed);
        }
    }

    #[test]
    fn parses_rates() {
        assert_eq!(parse_rate("200/s").unwrap(), Rate(200.0));
        assert_eq!(parse_rate("3000/min").unwrap(), Rate(50.0));
        assert_eq!(parse_rate("1.5/ms").unwrap(), Rate(1500.0));
        assert_eq!(parse_rate("10/100ms").unwrap(), Rate(100.0));
        for bad in ["200", "x/s", "5/parsec", "-1/s", "1/0s"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
