//! Number and time formatting for people.

use crate::time::SimTime;

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A short number: `200`, `2.5`, `0.1`, `12.3k`.
pub fn short_float(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 || (x.fract() == 0.0) {
        format!("{x:.0}")
    } else if a >= 1.0 {
        let s = format!("{x:.1}");
        s.trim_end_matches(".0").to_string()
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Compact counts for axes: `950`, `1.2k`, `3.4M`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", short_float(x / 1e6))
    } else if a >= 1e3 {
        format!("{}k", short_float(x / 1e3))
    } else {
        short_float(x)
    }
}

/// A clock for the controls: `12.345 s`, `2:05.300` past a minute, `1:02:03` past an hour.
pub fn clock(t: SimTime) -> String {
    let ms = t / 1_000;
    let s = ms / 1_000;
    if s >= 3_600 {
        format!("{}:{:02}:{:02}", s / 3_600, (s / 60) % 60, s % 60)
    } else if s >= 60 {
        format!("{}:{:02}.{:01}", s / 60, s % 60, (ms % 1_000) / 100)
    } else {
        format!("{}.{:03} s", s, ms % 1_000)
    }
}

/// A duration for tables: `850 µs`, `12.3 ms`, `4.21 s`.
pub fn micros(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{} ms", short_float(us as f64 / 1e3))
    } else {
        format!("{} s", short_float(us as f64 / 1e6))
    }
}

/// A speed factor: `0.1×`, `1×`, `250×`.
pub fn speed(x: f64) -> String {
    format!("{}×", short_float(x))
}

/// `x` rounded to the nearest of 1, 2, 5 × 10^k (for readable speeds and chart ticks).
pub fn round_1_2_5(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    let n = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    n * p
}
