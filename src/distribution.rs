//! Distributions of durations (processing times, arrival gaps) and of keys (uniform or Zipf).
//!
//! Written on top of [`crate::rng::Stream`] with `libm` for every transcendental function
//! (`ln`, `exp`, `cos`, `pow`): `libm` is the same pure-Rust code on every target, whereas
//! `f64::ln` calls the platform's C library natively and a different implementation in wasm,
//! which could differ in the last bit and break the "same seed, same trace" promise.
//! (`rand_distr` would switch to `std` math as soon as any dependency enables `num-traits/std`,
//! which `hdrhistogram` does, so it is not used here.)
//!
//! In scenario files a duration distribution is a string: `"5ms"` (constant),
//! `"uniform(1ms, 5ms)"`, `"exp(5ms)"` (mean), `"normal(10ms, 2ms)"` (mean, standard deviation),
//! `"lognormal(10ms, 0.5)"` (median, sigma of the underlying normal).

use crate::rng::Stream;
use crate::time::{parse_duration, Duration};
use std::fmt;

/// A distribution of non-negative durations in microseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DurationDist {
    /// Always the same value.
    Constant(u64),
    /// Uniform over `[low, high]`.
    Uniform { low: u64, high: u64 },
    /// Exponential with the given mean (memoryless service or inter-arrival times).
    Exponential { mean: f64 },
    /// Normal, truncated at zero.
    Normal { mean: f64, std_dev: f64 },
    /// Log-normal: `median * exp(sigma * Z)`; the long right tail of real service latencies.
    LogNormal { median: f64, sigma: f64 },
}

/// Why a distribution string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistParseError {
    /// Not one of the known forms.
    #[error("bad distribution \"{0}\": expected a duration (\"5ms\") or one of uniform(1ms, 5ms), exp(5ms), normal(10ms, 2ms), lognormal(10ms, 0.5)")]
    Unknown(String),
    /// The right function with the wrong arguments.
    #[error("bad distribution \"{text}\": {reason}")]
    BadArguments { text: String, reason: String },
}

impl DurationDist {
    /// Parses the scenario-file string form (see the module docs).
    pub fn parse(text: &str) -> Result<Self, DistParseError> {
        let trimmed = text.trim();
        let Some(open) = trimmed.find('(') else {
            return parse_duration(trimmed)
                .map(|d| DurationDist::Constant(d.micros()))
                .map_err(|_| DistParseError::Unknown(text.to_string()));
        };
        let bad_args = |reason: &str| DistParseError::BadArguments {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let name = trimmed[..open].trim();
        let inner = trimmed[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| bad_args("missing closing parenthesis"))?;
        let args: Vec<&str> = inner.split(',').map(str::trim).collect();
        let duration = |i: usize| -> Result<u64, DistParseError> {
            let arg = args.get(i).ok_or_else(|| bad_args("too few arguments"))?;
            parse_duration(arg)
                .map(Duration::micros)
                .map_err(|e| bad_args(&e.to_string()))
        };
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(bad_args(&format!("{name} takes {n} argument(s)")))
            }
        };
        match name {
            "const" | "constant" => {
                arity(1)?;
                Ok(DurationDist::Constant(duration(0)?))
            }
            "uniform" => {
                arity(2)?;
                let (low, high) = (duration(0)?, duration(1)?);
                if low > high {
                    return Err(bad_args("the low bound is above the high bound"));
                }
                Ok(DurationDist::Uniform { low, high })
            }
            "exp" | "exponential" => {
                arity(1)?;
                Ok(DurationDist::Exponential {
                    mean: duration(0)? as f64,
                })
            }
            "normal" => {
                arity(2)?;
                Ok(DurationDist::Normal {
                    mean: duration(0)? as f64,
                    std_dev: duration(1)? as f64,
                })
            }
            "lognormal" => {
                arity(2)?;
                let sigma: f64 = args[1]
                    .parse()
                    .map_err(|_| bad_args("sigma must be a plain number such as 0.5"))?;
                if !(0.0..=10.0).contains(&sigma) {
                    return Err(bad_args("sigma must be between 0 and 10"));
                }
                Ok(DurationDist::LogNormal {
                    median: duration(0)? as f64,
                    sigma,
                })
            }
            _ => Err(DistParseError::Unknown(text.to_string())),
        }
    }

    /// Draws one duration in microseconds.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Stream) -> u64 {
        match *self {
            DurationDist::Constant(value) => value,
            DurationDist::Uniform { low, high } => low + rng.below(high - low + 1),
            DurationDist::Exponential { mean } => exponential(rng, mean),
            DurationDist::Normal { mean, std_dev } => {
                to_micros(mean + std_dev * standard_normal(rng))
            }
            DurationDist::LogNormal { median, sigma } => {
                to_micros(median * libm::exp(sigma * standard_normal(rng)))
            }
        }
    }

    /// The mean of the distribution in microseconds (before truncation at zero).
    pub fn mean(&self) -> f64 {
        match *self {
            DurationDist::Constant(value) => value as f64,
            DurationDist::Uniform { low, high } => (low + high) as f64 / 2.0,
            DurationDist::Exponential { mean } | DurationDist::Normal { mean, .. } => mean,
            DurationDist::LogNormal { median, sigma } => median * libm::exp(sigma * sigma / 2.0),
        }
    }
}

impl fmt::Display for DurationDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |us: f64| Duration(us.round() as u64);
        match *self {
            DurationDist::Constant(v) => write!(f, "{}", Duration(v)),
            DurationDist::Uniform { low, high } => {
                write!(f, "uniform({}, {})", Duration(low), Duration(high))
            }
            DurationDist::Exponential { mean } => write!(f, "exp({})", d(mean)),
            DurationDist::Normal { mean, std_dev } => {
                write!(f, "normal({}, {})", d(mean), d(std_dev))
            }
            DurationDist::LogNormal { median, sigma } => {
                write!(f, "lognormal({}, {sigma})", d(median))
            }
        }
    }
}

/// Rounds a non-negative sample to whole microseconds (half up). Truncating `value + 0.5`
/// costs a conversion where `f64::round` would be a libm call on baseline x86-64. Below
/// 2^63 it converts through `i64`, the conversion x86-64 has an instruction for: Rust's
/// saturating `as u64` takes about twice the instructions to handle the upper half of the
/// range, and every record draws two durations. Larger values go through `as u64` as before
/// (saturating at `u64::MAX` from 2^64), and NaN gives 0.
#[inline(always)]
fn to_micros(value: f64) -> u64 {
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    let rounded = value + 0.5;
    if value <= 0.0 {
        0
    } else if rounded < TWO_TO_63 {
        rounded as i64 as u64
    } else {
        rounded as u64
    }
}

/// An exponential draw with the given mean, in microseconds.
#[inline(always)]
pub fn exponential(rng: &mut Stream, mean: f64) -> u64 {
    to_micros(mean * standard_exponential(rng))
}

/// Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating Random Variables",
/// 2000) with 256 layers under a decreasing density `f` on `[0, ∞)`: one 64-bit draw, a
/// multiply and a compare in about 99% of cases; `ln`/`exp` (libm, so identical on every
/// platform) only in the rare wedge and tail cases. Exact, like inversion, but several times
/// cheaper than `-ln(U)` or Box–Muller on the engine's hot path.
struct Ziggurat {
    /// Layer widths: `x[0]` is the base strip's virtual width, `x[1] = R`, `x[256] = 0`.
    x: [f64; 257],
    /// `f(x[i])`.
    f: [f64; 257],
}

impl Ziggurat {
    /// The layers for tail start `r` and layer area `v`: each layer's top edge is where the
    /// next has area `v` (`inverse` is `f⁻¹`).
    fn build(r: f64, v: f64, density: fn(f64) -> f64, inverse: fn(f64) -> f64) -> Ziggurat {
        let mut x = [0.0; 257];
        let mut f = [0.0; 257];
        x[0] = v / density(r);
        x[1] = r;
        for i in 1..255 {
            x[i + 1] = inverse(v / x[i] + density(x[i]));
        }
        x[256] = 0.0;
        for i in 0..257 {
            f[i] = density(x[i]);
        }
        Ziggurat { x, f }
    }

    /// One draw: its 64 random bits, the layer their low byte picks, and the point `x` in the
    /// layer that their top 53 bits give.
    #[inline(always)]
    fn draw(&self, rng: &mut Stream) -> (u64, usize, f64) {
        let bits = rng.next_u64();
        let layer = (bits & 0xff) as usize;
        let unit = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        (bits, layer, unit * self.x[layer])
    }

    /// Whether `x` lies inside its layer's rectangle (accepted at once; about 99% of draws).
    #[inline(always)]
    fn inside(&self, layer: usize, x: f64) -> bool {
        x < self.x[layer + 1]
    }
}

/// The tail start and layer area of the 256-layer exponential ziggurat (Marsaglia & Tsang).
const ZIG_EXP_R: f64 = 7.697_117_470_131_05;
const ZIG_EXP_V: f64 = 0.003_949_659_822_581_557;

/// The exponential's ziggurat, on `f(x) = exp(-x)`.
fn exp_ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES
        .get_or_init(|| Ziggurat::build(ZIG_EXP_R, ZIG_EXP_V, |x| libm::exp(-x), |y| -libm::log(y)))
}

/// A draw of the standard exponential distribution (mean 1).
///
/// Only the common case is here: a point inside its layer's rectangle, accepted at once. The
/// rest is out of line (`exponential_outside_rectangle`), so that this path needs no saved
/// registers and inlines into its callers: the whole loop in one function spent about 15 of
/// its 50 instructions per draw saving and restoring registers for the rare `exp`/`ln` calls
/// (callgrind, `benches/scenarios/simpy-topics.toml`).
#[inline(always)]
pub fn standard_exponential(rng: &mut Stream) -> f64 {
    let table = exp_ziggurat();
    let (_, layer, x) = table.draw(rng);
    if table.inside(layer, x) {
        return x;
    }
    exponential_outside_rectangle(rng, table, layer, x)
}

/// [`standard_exponential`] for a point `x` of `layer` outside the layer's rectangle: the
/// tail beyond `R`, or the wedge test, then fresh draws until one is accepted. The same draws
/// in the same order as one loop over the whole algorithm.
#[cold]
#[inline(never)]
fn exponential_outside_rectangle(
    rng: &mut Stream,
    table: &Ziggurat,
    mut layer: usize,
    mut x: f64,
) -> f64 {
    loop {
        if layer == 0 {
            // The tail beyond R is again exponential.
            return ZIG_EXP_R - libm::log(1.0 - rng.unit());
        }
        let y = table.f[layer] + (table.f[layer + 1] - table.f[layer]) * rng.unit();
        if y < libm::exp(-x) {
            return x;
        }
        (_, layer, x) = table.draw(rng);
        if table.inside(layer, x) {
            return x;
        }
    }
}

/// The tail start and layer area of the 256-layer normal ziggurat (Marsaglia & Tsang).
const ZIG_NORM_R: f64 = 3.654_152_885_361_009;
const ZIG_NORM_V: f64 = 0.004_928_673_233_99;

/// The ziggurat of the standard normal's right half, on `f(x) = exp(-x²/2)`.
fn normal_ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        Ziggurat::build(
            ZIG_NORM_R,
            ZIG_NORM_V,
            |x| libm::exp(-0.5 * x * x),
            |y| libm::sqrt(-2.0 * libm::log(y)),
        )
    })
}

/// A standard normal draw by Marsaglia and Tsang's ziggurat: one 64-bit draw (layer, sign and
/// position from disjoint bits) and a compare in about 99% of cases; libm's `exp`/`ln` only
/// in the wedges and Marsaglia's tail method beyond `R`. Replaces Box–Muller, whose `ln`,
/// `sqrt` and `cos` per draw were 4% of the 1M-record pipeline (callgrind).
///
/// As in [`standard_exponential`], the rare cases are out of line
/// ([`normal_outside_rectangle`]).
#[inline]
fn standard_normal(rng: &mut Stream) -> f64 {
    let table = normal_ziggurat();
    let (bits, layer, x) = table.draw(rng);
    let sign = normal_sign(bits);
    if table.inside(layer, x) {
        return sign * x;
    }
    normal_outside_rectangle(rng, table, layer, sign, x)
}

/// The sign of a normal draw: bit 8, just above the layer's byte.
#[inline(always)]
fn normal_sign(bits: u64) -> f64 {
    if bits & 0x100 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// [`standard_normal`] for a point `x` of `layer` outside the layer's rectangle: Marsaglia's
/// tail, or the wedge test, then fresh draws until one is accepted.
#[cold]
#[inline(never)]
fn normal_outside_rectangle(
    rng: &mut Stream,
    table: &Ziggurat,
    mut layer: usize,
    mut sign: f64,
    mut x: f64,
) -> f64 {
    loop {
        if layer == 0 {
            // Marsaglia's tail: x = -ln(U1)/R, accepted when -2 ln(U2) > x².
            loop {
                let x = -libm::log(1.0 - rng.unit()) / ZIG_NORM_R;
                let y = -libm::log(1.0 - rng.unit());
                if 2.0 * y > x * x {
                    return sign * (ZIG_NORM_R + x);
                }
            }
        }
        let y = table.f[layer] + (table.f[layer + 1] - table.f[layer]) * rng.unit();
        if y < libm::exp(-0.5 * x * x) {
            return sign * x;
        }
        let bits;
        (bits, layer, x) = table.draw(rng);
        sign = normal_sign(bits);
        if table.inside(layer, x) {
            return sign * x;
        }
    }
}

/// How keys are drawn from a key space of `n` keys.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyChooser {
    /// Every key equally likely.
    Uniform { keys: u32 },
    /// Zipf with exponent `s`: key `k` (1-based rank) has weight `1/k^s`; the hot-key case.
    /// Sampled by binary search in a precomputed cumulative table.
    Zipf { cumulative: Vec<f64>, exponent: f64 },
}

impl KeyChooser {
    /// A Zipf chooser over `keys` keys with exponent `exponent` (> 0).
    pub fn zipf(keys: u32, exponent: f64) -> Self {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(keys as usize);
        for rank in 1..=keys {
            total += 1.0 / libm::pow(f64::from(rank), exponent);
            cumulative.push(total);
        }
        for value in &mut cumulative {
            *value /= total;
        }
        KeyChooser::Zipf {
            cumulative,
            exponent,
        }
    }

    /// Draws a key index in `[0, keys)`; index 0 is the hottest key under Zipf.
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> u32 {
        match self {
            KeyChooser::Uniform { keys } => rng.below(u64::from(*keys)) as u32,
            KeyChooser::Zipf { cumulative, .. } => {
                let u = rng.unit();
                let index = cumulative.partition_point(|&c| c <= u);
                index.min(cumulative.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_of(dist: DurationDist, n: usize) -> f64 {
        let mut rng = Stream::new(1, "dist");
        (0..n).map(|_| dist.sample(&mut rng) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            DurationDist::parse("5ms").unwrap(),
            DurationDist::Constant(5_000)
        );
        assert_eq!(
            DurationDist::parse("uniform(1ms, 5ms)").unwrap(),
            DurationDist::Uniform {
                low: 1_000,
                high: 5_000
            }
        );
        assert_eq!(
            DurationDist::parse("exp(20ms)").unwrap(),
            DurationDist::Exponential { mean: 20_000.0 }
        );
        assert!(matches!(
            DurationDist::parse("lognormal(10ms, 0.5)").unwrap(),
            DurationDist::LogNormal { sigma, .. } if sigma == 0.5
        ));
        for bad in [
            "gauss(1ms)",
            "uniform(5ms, 1ms)",
            "exp(5ms",
            "exp(1ms, 2ms)",
            "normal(x, 1ms)",
            "5 parsecs",
        ] {
            assert!(DurationDist::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "5ms",
            "uniform(1ms, 5ms)",
            "exp(20ms)",
            "normal(10ms, 2ms)",
            "lognormal(10ms, 0.5)",
        ] {
            assert_eq!(DurationDist::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn sample_means_match_the_parameters() {
        let n = 200_000;
        let exp = mean_of(DurationDist::Exponential { mean: 20_000.0 }, n);
        assert!((exp - 20_000.0).abs() < 300.0, "{exp}");
        let uni = mean_of(
            DurationDist::Uniform {
                low: 1_000,
                high: 5_000,
            },
            n,
        );
        assert!((uni - 3_000.0).abs() < 30.0, "{uni}");
        let normal = mean_of(
            DurationDist::Normal {
                mean: 10_000.0,
                std_dev: 1_000.0,
            },
            n,
        );
        assert!((normal - 10_000.0).abs() < 30.0, "{normal}");
        let ln = DurationDist::LogNormal {
            median: 10_000.0,
            sigma: 0.5,
        };
        let measured = mean_of(ln, n);
        assert!(
            (measured - ln.mean()).abs() / ln.mean() < 0.02,
            "{measured}"
        );
    }

    /// The ziggurat's tables close (the last layer ends at 0) and its draws have the
    /// exponential's mean, variance and tail.
    #[test]
    fn ziggurat_exponential_matches_the_distribution() {
        let table = exp_ziggurat();
        assert!(table.x[255] > 0.0 && table.x[255] < 0.1, "{}", table.x[255]);
        let mut rng = Stream::new(5, "zig");
        let n = 400_000;
        let draws: Vec<f64> = (0..n).map(|_| standard_exponential(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        // P(X > 3) = e^-3 ≈ 0.0498; P(X > 8) = e^-8 ≈ 0.000335 (beyond R: the tail case).
        let over = |t: f64| draws.iter().filter(|&&d| d > t).count() as f64 / n as f64;
        assert!((over(3.0) - 0.0498).abs() < 0.002, "{}", over(3.0));
        assert!((over(8.0) - 0.000335).abs() < 0.0001, "{}", over(8.0));
        assert!(draws.iter().all(|&d| d >= 0.0 && d.is_finite()));
    }

    /// The normal ziggurat's tables close and its draws have the standard normal's moments,
    /// symmetry and tail (beyond R = 3.65 the tail method runs).
    #[test]
    fn ziggurat_normal_matches_the_distribution() {
        let table = normal_ziggurat();
        assert!(
            table.x[255] > 0.2 && table.x[255] < 0.25,
            "{}",
            table.x[255]
        );
        let closure = ZIG_NORM_V / table.x[255] + table.f[255];
        assert!((closure - 1.0).abs() < 1e-9, "{closure}");
        let mut rng = Stream::new(6, "zig-normal");
        let n = 400_000;
        let draws: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        let share =
            |p: &dyn Fn(f64) -> bool| draws.iter().filter(|&&d| p(d)).count() as f64 / n as f64;
        // P(X > 1) = 0.15866, P(|X| > 2) = 0.04550, P(X > 3.8) = 7.23e-5 (the tail case).
        assert!((share(&|d| d > 1.0) - 0.15866).abs() < 0.002);
        assert!((share(&|d| d.abs() > 2.0) - 0.04550).abs() < 0.0015);
        assert!((share(&|d| d < -1.0) - 0.15866).abs() < 0.002);
        assert!((share(&|d| d > 3.8) - 7.23e-5).abs() < 4e-5);
        assert!(draws.iter().all(|d| d.is_finite()));
    }

    /// The conversion through `i64` gives what `(value + 0.5) as u64` gives, on both sides of
    /// 2^63 and at the edges (negative, NaN, infinite, halves).
    #[test]
    fn to_micros_rounds_half_up_and_saturates() {
        let plain = |v: f64| if v <= 0.0 { 0 } else { (v + 0.5) as u64 };
        let two_to_63 = 9_223_372_036_854_775_808.0_f64;
        let values = [
            -1.0,
            -0.0,
            0.0,
            0.49,
            0.5,
            1.5,
            2.4999,
            1e6,
            4_503_599_627_370_495.5,
            two_to_63 - 2048.0,
            two_to_63 - 1024.0,
            two_to_63,
            two_to_63 * 1.5,
            1.8e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for value in values {
            assert_eq!(to_micros(value), plain(value), "{value}");
        }
        assert_eq!(to_micros(1.5), 2);
        assert_eq!(to_micros(1e300), u64::MAX);
        assert_eq!(to_micros(f64::NAN), 0);
    }

    #[test]
    fn zipf_makes_the_first_key_hottest() {
        let chooser = KeyChooser::zipf(1_000, 1.1);
        let mut rng = Stream::new(9, "keys");
        let mut counts = vec![0u32; 1_000];
        for _ in 0..100_000 {
            counts[chooser.sample(&mut rng) as usize] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[500]);
        // Under s = 1.1 over 1000 keys the top key takes about 16% of draws.
        let share = f64::from(counts[0]) / 100_000.0;
        assert!((0.13..0.20).contains(&share), "{share}");
    }
}
