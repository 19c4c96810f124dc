//! Spring's back-off policies (`org.springframework.util.backoff`), reproduced exactly.
//!
//! Spring for Apache Kafka drives its retries with these classes: `DefaultErrorHandler` asks a
//! `BackOffExecution` for the pause before each redelivery and gives up (recovers, e.g. to a
//! dead-letter topic) when it answers `STOP`. For the simulator to show the same number of
//! attempts and the same delays as a real Spring application, the sequences must match to the
//! millisecond, including Spring's integer truncation (`(long) (currentInterval * multiplier)`)
//! and the order of its stop checks.
//!
//! The model follows the spring-framework 6.1+/7.x sources of `ExponentialBackOff` and
//! `FixedBackOff` (ExponentialBackOff gained `maxAttempts` in 6.1 and `jitter` in 7.0):
//!
//! * [`ExponentialBackOff`] / [`ExponentialBackOffExecution`]: intervals grow by `multiplier`,
//!   truncated to whole milliseconds and capped at `max_interval_ms`; the execution stops once the
//!   **accumulated** back-off time has reached `max_elapsed_time_ms` (checked *before* the next
//!   interval is added, so the total may overshoot the limit by one interval) or once
//!   `max_attempts` intervals have been handed out.
//! * [`FixedBackOff`] / [`FixedBackOffExecution`]: the same interval `max_attempts` times.
//!
//! Deliberate differences from Spring, all documented where they apply:
//!
//! * **No jitter.** Spring 7.0's `ExponentialBackOff.setJitter` randomises each interval with
//!   `Math.random()`; that is not modelled (the default jitter, 0, is).
//! * **Executions snapshot their policy.** Spring's executions are inner classes that read the
//!   policy's *current* settings on every call (see `FixedBackOffTests#liveUpdate`); here
//!   `start()` copies the policy, which is what a deterministic engine wants.
//! * **Unsigned, non-wrapping arithmetic.** Spring uses `long`/`int` and would wrap after 2^63 ms
//!   of elapsed time or 2^31 attempts; here counters saturate instead. Spring's "unlimited" is
//!   `Long.MAX_VALUE`, reproduced as [`UNLIMITED`]; any larger `u64` also behaves as unlimited.
//!
//! `None` from [`BackOffExecution::next_back_off`] plays the role of Spring's
//! `BackOffExecution.STOP` (`-1L`).

use std::error::Error;
use std::fmt;

/// Spring's "no limit" value for max elapsed time and max attempts: `Long.MAX_VALUE`
/// (`ExponentialBackOff.DEFAULT_MAX_ELAPSED_TIME`, `DEFAULT_MAX_ATTEMPTS`,
/// `FixedBackOff.UNLIMITED_ATTEMPTS`). Kept at Java's value (not `u64::MAX`) so that policies
/// print exactly like Spring's `toString()`.
pub const UNLIMITED: u64 = i64::MAX as u64;

/// Upper bound on the number of delays the CLI prints (`evflow backoff ... --json`).
pub const MAX_CLI_DELAYS: usize = 100;

/// A back-off policy: a recipe from which independent executions are started, like
/// `org.springframework.util.backoff.BackOff`.
pub trait BackOff {
    /// The per-operation state machine this policy produces.
    type Execution: BackOffExecution;

    /// Starts a fresh execution; each call returns independent state
    /// (`ExponentialBackOffTests#startReturnsDifferentInstances`).
    fn start(&self) -> Self::Execution;
}

/// One running back-off, like `org.springframework.util.backoff.BackOffExecution`.
pub trait BackOffExecution {
    /// The milliseconds to wait before the next attempt, or `None` when no further attempt
    /// should be made (Spring's `STOP`).
    fn next_back_off(&mut self) -> Option<u64>;
}

/// Collects up to `limit` delays of a fresh execution of `policy`, and whether the policy stops.
///
/// `stops` is `true` exactly when the execution returned STOP within its first `limit + 1`
/// calls, i.e. when the returned delays are the policy's *complete* sequence; `false` means
/// the policy would keep producing delays beyond `limit` (possibly forever). The extra probing
/// call is why `FixedBackOff { interval_ms: 0, max_attempts: 9 }` with `limit = 9` reports nine
/// zeros and `stops: true`.
///
/// Intended for the CLI (`{"delays_ms":[...],"stops":true|false}`, at most [`MAX_CLI_DELAYS`]).
pub fn delays<B: BackOff + ?Sized>(policy: &B, limit: usize) -> (Vec<u64>, bool) {
    let mut execution = policy.start();
    let mut collected = Vec::with_capacity(limit.min(MAX_CLI_DELAYS));
    while collected.len() < limit {
        match execution.next_back_off() {
            Some(delay) => collected.push(delay),
            None => return (collected, true),
        }
    }
    let stops = execution.next_back_off().is_none();
    (collected, stops)
}

/// Why a back-off policy's settings were rejected.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum BackOffError {
    /// The multiplier is below 1 (or NaN). Spring's `ExponentialBackOff.checkMultiplier` throws
    /// `IllegalArgumentException` for it, from both the `(initialInterval, multiplier)`
    /// constructor and `setMultiplier` (`ExponentialBackOffTests#invalidInterval`). A multiplier
    /// of exactly 1 is allowed and gives a fixed interval.
    InvalidMultiplier(f64),
}

impl fmt::Display for BackOffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Same wording as Spring's assertion message.
            BackOffError::InvalidMultiplier(multiplier) => write!(
                f,
                "Invalid multiplier '{}': Should be greater than or equal to 1. \
                 A multiplier of 1 is equivalent to a fixed interval.",
                java_double(*multiplier)
            ),
        }
    }
}

impl Error for BackOffError {}

/// Renders an `f64` the way Java's `String.valueOf(double)` does for ordinary values
/// (`2.0`, `1.5`, `0.9`). Rust's shortest round-trip `Debug` output agrees with Java's for
/// magnitudes in `[1e-3, 1e7)`; outside that range Java switches to `1.0E7` notation, which is
/// not reproduced (no sensible multiplier lives there).
fn java_double(value: f64) -> String {
    format!("{value:?}")
}

/// `org.springframework.util.backoff.ExponentialBackOff`: each interval is the previous one times
/// `multiplier`, capped at `max_interval_ms`; stops after `max_elapsed_time_ms` of accumulated
/// back-off or `max_attempts` intervals, whichever comes first.
///
/// With the defaults the sequence is 2000, 3000, 4500, 6750, 10125, 15187, 22780, 30000, 30000, …
/// (the table in Spring's class javadoc).
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialBackOff {
    /// First interval (`initialInterval`, default 2000 ms). Not capped on its own: if it exceeds
    /// `max_interval_ms`, the first delay is `max_interval_ms`.
    pub initial_interval_ms: u64,
    /// Growth factor (`multiplier`, default 1.5); must be ≥ 1, see [`ExponentialBackOff::validate`].
    pub multiplier: f64,
    /// Cap on each interval (`maxInterval`, default 30000 ms).
    pub max_interval_ms: u64,
    /// Stop once the sum of the delays handed out so far is ≥ this (`maxElapsedTime`, default
    /// [`UNLIMITED`]). This counts back-off time only, not time spent in the attempts themselves.
    pub max_elapsed_time_ms: u64,
    /// Stop after this many delays (`maxAttempts`, since Spring 6.1, default [`UNLIMITED`]). In a
    /// retry scenario this is the number of retries, excluding the original invocation.
    pub max_attempts: u64,
}

impl ExponentialBackOff {
    /// `ExponentialBackOff.DEFAULT_INITIAL_INTERVAL`.
    pub const DEFAULT_INITIAL_INTERVAL_MS: u64 = 2000;
    /// `ExponentialBackOff.DEFAULT_MULTIPLIER` (increases the interval by 50 %).
    pub const DEFAULT_MULTIPLIER: f64 = 1.5;
    /// `ExponentialBackOff.DEFAULT_MAX_INTERVAL`.
    pub const DEFAULT_MAX_INTERVAL_MS: u64 = 30_000;
    /// `ExponentialBackOff.DEFAULT_MAX_ELAPSED_TIME` (unlimited).
    pub const DEFAULT_MAX_ELAPSED_TIME_MS: u64 = UNLIMITED;
    /// `ExponentialBackOff.DEFAULT_MAX_ATTEMPTS` (unlimited; `Long.MAX_VALUE` in the Spring
    /// source read, although its class javadoc still mentions `Integer.MAX_VALUE`).
    pub const DEFAULT_MAX_ATTEMPTS: u64 = UNLIMITED;

    /// Spring's `new ExponentialBackOff(initialInterval, multiplier)`: the given initial interval
    /// and multiplier, every other setting at its default.
    ///
    /// # Errors
    ///
    /// [`BackOffError::InvalidMultiplier`] when `multiplier < 1` or NaN, where Spring throws
    /// `IllegalArgumentException`.
    pub fn new(initial_interval_ms: u64, multiplier: f64) -> Result<Self, BackOffError> {
        let policy = ExponentialBackOff {
            initial_interval_ms,
            multiplier,
            ..Self::default()
        };
        policy.validate()?;
        Ok(policy)
    }

    /// Checks the invariant Spring enforces in `checkMultiplier` (`multiplier >= 1`; NaN fails
    /// too). Spring validates in its setters; since these fields are public, call this after
    /// editing them. [`ExponentialBackOff::start`] does not re-check: an invalid multiplier just
    /// makes the intervals shrink instead of grow.
    ///
    /// # Errors
    ///
    /// [`BackOffError::InvalidMultiplier`] when `multiplier < 1` or NaN.
    pub fn validate(&self) -> Result<(), BackOffError> {
        // Java's `multiplier >= 1` is false for NaN, so NaN is rejected as well.
        if self.multiplier.is_nan() || self.multiplier < 1.0 {
            return Err(BackOffError::InvalidMultiplier(self.multiplier));
        }
        Ok(())
    }

    /// Returns the policy with `max_interval_ms` replaced (`setMaxInterval`).
    pub fn with_max_interval_ms(mut self, max_interval_ms: u64) -> Self {
        self.max_interval_ms = max_interval_ms;
        self
    }

    /// Returns the policy with `max_elapsed_time_ms` replaced (`setMaxElapsedTime`).
    pub fn with_max_elapsed_time_ms(mut self, max_elapsed_time_ms: u64) -> Self {
        self.max_elapsed_time_ms = max_elapsed_time_ms;
        self
    }

    /// Returns the policy with `max_attempts` replaced (`setMaxAttempts`).
    pub fn with_max_attempts(mut self, max_attempts: u64) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Starts an execution over a snapshot of this policy (Spring's `start()`).
    pub fn start(&self) -> ExponentialBackOffExecution {
        ExponentialBackOffExecution {
            policy: self.clone(),
            current_interval_ms: None,
            current_elapsed_time_ms: 0,
            attempts: 0,
        }
    }
}

impl Default for ExponentialBackOff {
    /// Spring's `new ExponentialBackOff()`: 2000 ms, ×1.5, capped at 30000 ms, no limits.
    fn default() -> Self {
        ExponentialBackOff {
            initial_interval_ms: Self::DEFAULT_INITIAL_INTERVAL_MS,
            multiplier: Self::DEFAULT_MULTIPLIER,
            max_interval_ms: Self::DEFAULT_MAX_INTERVAL_MS,
            max_elapsed_time_ms: Self::DEFAULT_MAX_ELAPSED_TIME_MS,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl BackOff for ExponentialBackOff {
    type Execution = ExponentialBackOffExecution;

    fn start(&self) -> ExponentialBackOffExecution {
        ExponentialBackOff::start(self)
    }
}

impl fmt::Display for ExponentialBackOff {
    /// Spring 7's `ExponentialBackOff.toString()`, jitter always 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ExponentialBackOff[initialInterval={}, jitter=0, multiplier={}, maxInterval={}, \
             maxElapsedTime={}, maxAttempts={}]",
            self.initial_interval_ms,
            java_double(self.multiplier),
            self.max_interval_ms,
            self.max_elapsed_time_ms,
            self.max_attempts
        )
    }
}

/// A running [`ExponentialBackOff`] (Spring's private `ExponentialBackOffExecution`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialBackOffExecution {
    policy: ExponentialBackOff,
    /// Spring's `currentInterval`, with `-1` ("not started") as `None`.
    current_interval_ms: Option<u64>,
    /// Sum of the delays handed out so far (`currentElapsedTime`).
    current_elapsed_time_ms: u64,
    /// Number of delays handed out so far (`attempts`).
    attempts: u64,
}

impl ExponentialBackOffExecution {
    /// The policy snapshot this execution runs.
    pub fn policy(&self) -> &ExponentialBackOff {
        &self.policy
    }

    /// The last computed interval before the `max_interval_ms` cap is applied to the returned
    /// value (Spring's `currentInterval`), `None` before the first call.
    pub fn current_interval_ms(&self) -> Option<u64> {
        self.current_interval_ms
    }

    /// Total back-off handed out so far.
    pub fn elapsed_ms(&self) -> u64 {
        self.current_elapsed_time_ms
    }

    /// Number of delays handed out so far.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Spring's `computeNextInterval` (jitter 0): initial interval first; once the current
    /// interval has reached the cap, the cap; otherwise `min((long) (current * multiplier), cap)`.
    fn compute_next_interval(&mut self) -> u64 {
        let max_interval = self.policy.max_interval_ms;
        let next = match self.current_interval_ms {
            None => self.policy.initial_interval_ms,
            Some(current) if current >= max_interval => max_interval,
            // Java: `(long) (this.currentInterval * getMultiplier())`: the long is widened to
            // double, multiplied, then truncated toward zero. `as u64` truncates identically
            // (and saturates, as Java's cast does, instead of wrapping).
            Some(current) => ((current as f64 * self.policy.multiplier) as u64).min(max_interval),
        };
        self.current_interval_ms = Some(next);
        next.min(max_interval)
    }
}

impl BackOffExecution for ExponentialBackOffExecution {
    /// Spring's `nextBackOff()`: both limits are checked *before* computing and adding the next
    /// interval, so the delay that crosses `max_elapsed_time_ms` is still returned.
    fn next_back_off(&mut self) -> Option<u64> {
        if self.current_elapsed_time_ms >= self.policy.max_elapsed_time_ms
            || self.attempts >= self.policy.max_attempts
        {
            return None;
        }
        let next = self.compute_next_interval();
        self.current_elapsed_time_ms = self.current_elapsed_time_ms.saturating_add(next);
        self.attempts = self.attempts.saturating_add(1);
        Some(next)
    }
}

impl fmt::Display for ExponentialBackOffExecution {
    /// Spring 7's `ExponentialBackOffExecution.toString()`, e.g.
    /// `ExponentialBackOffExecution[currentInterval=2000ms, multiplier=2.0, attempts=1]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExponentialBackOffExecution[currentInterval=")?;
        match self.current_interval_ms {
            None => f.write_str("n/a")?,
            Some(interval) => write!(f, "{interval}ms")?,
        }
        write!(
            f,
            ", multiplier={}, attempts={}]",
            java_double(self.policy.multiplier),
            self.attempts
        )
    }
}

/// `org.springframework.util.backoff.FixedBackOff`: the same interval between attempts, at most
/// `max_attempts` times.
///
/// Spring for Apache Kafka's `DefaultErrorHandler` uses `FixedBackOff(0, 9)` by default
/// (`SeekUtils.DEFAULT_BACK_OFF`): nine immediate retries, ten deliveries in total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedBackOff {
    /// Pause between two attempts (`interval`, default 5000 ms).
    pub interval_ms: u64,
    /// Number of delays handed out before STOP (`maxAttempts`, default [`UNLIMITED`]), i.e. the
    /// number of retries excluding the original attempt.
    pub max_attempts: u64,
}

impl FixedBackOff {
    /// `FixedBackOff.DEFAULT_INTERVAL`.
    pub const DEFAULT_INTERVAL_MS: u64 = 5000;
    /// `FixedBackOff.UNLIMITED_ATTEMPTS`.
    pub const UNLIMITED_ATTEMPTS: u64 = UNLIMITED;

    /// Spring's `new FixedBackOff(interval, maxAttempts)`. Spring validates nothing here, and
    /// neither does this.
    pub fn new(interval_ms: u64, max_attempts: u64) -> Self {
        FixedBackOff {
            interval_ms,
            max_attempts,
        }
    }

    /// Starts an execution over a snapshot of this policy (Spring's `start()`).
    pub fn start(&self) -> FixedBackOffExecution {
        FixedBackOffExecution {
            policy: *self,
            current_attempts: 0,
        }
    }
}

impl Default for FixedBackOff {
    /// Spring's `new FixedBackOff()`: 5000 ms, unlimited attempts.
    fn default() -> Self {
        FixedBackOff {
            interval_ms: Self::DEFAULT_INTERVAL_MS,
            max_attempts: Self::UNLIMITED_ATTEMPTS,
        }
    }
}

impl BackOff for FixedBackOff {
    type Execution = FixedBackOffExecution;

    fn start(&self) -> FixedBackOffExecution {
        FixedBackOff::start(self)
    }
}

/// Spring prints `unlimited` for `Long.MAX_VALUE` attempts.
fn attempts_text(max_attempts: u64) -> String {
    if max_attempts >= UNLIMITED {
        "unlimited".to_owned()
    } else {
        max_attempts.to_string()
    }
}

impl fmt::Display for FixedBackOff {
    /// Spring 7's `FixedBackOff.toString()`, e.g. `FixedBackOff[interval=200, maxAttempts=10]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FixedBackOff[interval={}, maxAttempts={}]",
            self.interval_ms,
            attempts_text(self.max_attempts)
        )
    }
}

/// A running [`FixedBackOff`] (Spring's private `FixedBackOffExecution`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedBackOffExecution {
    policy: FixedBackOff,
    /// Number of `next_back_off` calls so far, including the one that returned STOP and any
    /// after it (Spring increments before checking).
    current_attempts: u64,
}

impl FixedBackOffExecution {
    /// The policy snapshot this execution runs.
    pub fn policy(&self) -> &FixedBackOff {
        &self.policy
    }

    /// Spring's `currentAttempts`: calls made so far, so it reads `max_attempts + 1` once the
    /// execution is exhausted (hence Spring Kafka's log line
    /// `Backoff FixedBackOffExecution[interval=0, currentAttempts=10, maxAttempts=9] exhausted`).
    pub fn current_attempts(&self) -> u64 {
        self.current_attempts
    }
}

impl BackOffExecution for FixedBackOffExecution {
    /// Spring's `nextBackOff()`: count the call, then hand out the interval while the count is
    /// within `max_attempts`.
    fn next_back_off(&mut self) -> Option<u64> {
        self.current_attempts = self.current_attempts.saturating_add(1);
        if self.current_attempts <= self.policy.max_attempts {
            Some(self.policy.interval_ms)
        } else {
            None
        }
    }
}

impl fmt::Display for FixedBackOffExecution {
    /// Spring 7's `FixedBackOffExecution.toString()`, e.g.
    /// `FixedBackOffExecution[interval=200, currentAttempts=1, maxAttempts=10]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FixedBackOffExecution[interval={}, currentAttempts={}, maxAttempts={}]",
            self.policy.interval_ms,
            self.current_attempts,
            attempts_text(self.policy.max_attempts)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take<E: BackOffExecution>(execution: &mut E, n: usize) -> Vec<Option<u64>> {
        (0..n).map(|_| execution.next_back_off()).collect()
    }

    // ---- Ported from spring-projects/spring-framework
    // spring-core/src/test/java/org/springframework/util/backoff/ExponentialBackOffTests.java

    /// ExponentialBackOffTests#defaultInstance.
    #[test]
    fn exponential_default_instance() {
        let mut execution = ExponentialBackOff::default().start();
        assert_eq!(
            take(&mut execution, 3),
            [Some(2000), Some(3000), Some(4500)]
        );
    }

    /// ExponentialBackOffTests#simpleIncrease.
    #[test]
    fn exponential_simple_increase() {
        let mut execution = ExponentialBackOff::new(100, 2.0).unwrap().start();
        assert_eq!(
            take(&mut execution, 4),
            [Some(100), Some(200), Some(400), Some(800)]
        );
    }

    /// ExponentialBackOffTests#fixedIncrease: multiplier 1, max elapsed 300 → three 100s, STOP.
    #[test]
    fn exponential_fixed_increase() {
        let policy = ExponentialBackOff::new(100, 1.0)
            .unwrap()
            .with_max_elapsed_time_ms(300);
        let mut execution = policy.start();
        assert_eq!(
            take(&mut execution, 4),
            [Some(100), Some(100), Some(100), None]
        );
    }

    /// ExponentialBackOffTests#maxIntervalReached.
    #[test]
    fn exponential_max_interval_reached() {
        let policy = ExponentialBackOff::new(2000, 2.0)
            .unwrap()
            .with_max_interval_ms(4000);
        let mut execution = policy.start();
        assert_eq!(
            take(&mut execution, 4),
            [Some(2000), Some(4000), Some(4000), Some(4000)]
        );
    }

    /// ExponentialBackOffTests#maxIntervalReachedImmediately: an initial interval above the cap
    /// is capped from the first delay on.
    #[test]
    fn exponential_max_interval_reached_immediately() {
        let policy = ExponentialBackOff::new(1000, 2.0)
            .unwrap()
            .with_max_interval_ms(50);
        let mut execution = policy.start();
        assert_eq!(take(&mut execution, 2), [Some(50), Some(50)]);
    }

    /// ExponentialBackOffTests#maxElapsedTimeReached: the limit is checked before adding, so
    /// 2000 + 4000 = 6000 ms is handed out against a 4000 ms limit ("> 4 sec wait in total").
    #[test]
    fn exponential_max_elapsed_time_reached() {
        let policy = ExponentialBackOff::new(2000, 2.0)
            .unwrap()
            .with_max_elapsed_time_ms(4000);
        let mut execution = policy.start();
        assert_eq!(take(&mut execution, 3), [Some(2000), Some(4000), None]);
        assert_eq!(execution.elapsed_ms(), 6000);
    }

    /// ExponentialBackOffTests#maxAttempts (Spring 6.1+), which is also the
    /// `ExponentialBackOff(1000, 2.0)` / max interval 10 s case: 1000, 2000, 4000, 8000, 10000,
    /// 10000, STOP.
    #[test]
    fn exponential_max_attempts() {
        let policy = ExponentialBackOff {
            initial_interval_ms: 1000,
            multiplier: 2.0,
            max_interval_ms: 10_000,
            max_attempts: 6,
            ..ExponentialBackOff::default()
        };
        let mut execution = policy.start();
        assert_eq!(
            take(&mut execution, 7),
            [
                Some(1000),
                Some(2000),
                Some(4000),
                Some(8000),
                Some(10_000),
                Some(10_000),
                None
            ]
        );
    }

    /// ExponentialBackOffTests#startReturnsDifferentInstances.
    #[test]
    fn exponential_start_returns_different_instances() {
        let policy = ExponentialBackOff {
            initial_interval_ms: 2000,
            multiplier: 2.0,
            max_elapsed_time_ms: 4000,
            ..ExponentialBackOff::default()
        };
        let mut execution1 = policy.start();
        let mut execution2 = policy.start();
        assert_eq!(execution1.next_back_off(), Some(2000));
        assert_eq!(execution2.next_back_off(), Some(2000));
        assert_eq!(execution1.next_back_off(), Some(4000));
        assert_eq!(execution2.next_back_off(), Some(4000));
        assert_eq!(execution1.next_back_off(), None);
        assert_eq!(execution2.next_back_off(), None);
    }

    /// ExponentialBackOffTests#invalidInterval: `setMultiplier(0.9)` throws
    /// IllegalArgumentException. Here: the constructor and `validate()` report it.
    #[test]
    fn exponential_invalid_interval() {
        assert_eq!(
            ExponentialBackOff::new(2000, 0.9),
            Err(BackOffError::InvalidMultiplier(0.9))
        );
        let edited = ExponentialBackOff {
            multiplier: 0.9,
            ..ExponentialBackOff::default()
        };
        assert_eq!(edited.validate(), Err(BackOffError::InvalidMultiplier(0.9)));
        assert!(ExponentialBackOff::new(2000, f64::NAN).is_err());
        assert!(ExponentialBackOff::new(2000, 1.0).is_ok());
        assert_eq!(
            BackOffError::InvalidMultiplier(0.9).to_string(),
            "Invalid multiplier '0.9': Should be greater than or equal to 1. \
             A multiplier of 1 is equivalent to a fixed interval."
        );
    }

    /// ExponentialBackOffTests#toStringContent.
    #[test]
    fn exponential_to_string_content() {
        let policy = ExponentialBackOff::new(2000, 2.0).unwrap();
        assert_eq!(
            policy.to_string(),
            format!(
                "ExponentialBackOff[initialInterval=2000, jitter=0, multiplier=2.0, maxInterval=30000, \
                 maxElapsedTime={}, maxAttempts={}]",
                i64::MAX,
                i64::MAX
            )
        );
        let mut execution = policy.start();
        assert_eq!(
            execution.to_string(),
            "ExponentialBackOffExecution[currentInterval=n/a, multiplier=2.0, attempts=0]"
        );
        execution.next_back_off();
        assert_eq!(
            execution.to_string(),
            "ExponentialBackOffExecution[currentInterval=2000ms, multiplier=2.0, attempts=1]"
        );
        execution.next_back_off();
        assert_eq!(
            execution.to_string(),
            "ExponentialBackOffExecution[currentInterval=4000ms, multiplier=2.0, attempts=2]"
        );
    }

    // Not ported: ExponentialBackOffTests#jitterWithZeroInitialInterval and
    // #jitterScalesProportionallyWithInterval (Spring 7 jitter is not modelled).

    /// The sequence table in ExponentialBackOff's class javadoc (defaults, 10 requests). It pins
    /// the truncating cast: 10125 × 1.5 = 15187.5 → 15187 and 15187 × 1.5 = 22780.5 → 22780.
    #[test]
    fn exponential_javadoc_sequence() {
        let (delays, stops) = delays(&ExponentialBackOff::default(), 10);
        assert_eq!(
            delays,
            [2000, 3000, 4500, 6750, 10_125, 15_187, 22_780, 30_000, 30_000, 30_000]
        );
        assert!(!stops);
    }

    /// The brief's case: `ExponentialBackOff(1000, 2.0)` with a 10 s cap and no attempt limit
    /// keeps returning the cap.
    #[test]
    fn exponential_1000_x2_capped_at_10s() {
        let policy = ExponentialBackOff::new(1000, 2.0)
            .unwrap()
            .with_max_interval_ms(10_000);
        let (delays, stops) = delays(&policy, 8);
        assert_eq!(
            delays,
            [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]
        );
        assert!(!stops);
    }

    /// Whichever limit is hit first wins; attempts count delays, not calls after STOP.
    #[test]
    fn exponential_elapsed_and_attempt_limits_combine() {
        let policy = ExponentialBackOff::new(1000, 2.0)
            .unwrap()
            .with_max_elapsed_time_ms(5000)
            .with_max_attempts(10);
        assert_eq!(delays(&policy, 100), (vec![1000, 2000, 4000], true));
        let policy = ExponentialBackOff::new(1000, 2.0)
            .unwrap()
            .with_max_attempts(2);
        let mut execution = policy.start();
        assert_eq!(
            take(&mut execution, 4),
            [Some(1000), Some(2000), None, None]
        );
        assert_eq!(execution.attempts(), 2);
        assert_eq!(
            ExponentialBackOff::default()
                .with_max_attempts(0)
                .start()
                .next_back_off(),
            None
        );
        assert_eq!(
            ExponentialBackOff::default()
                .with_max_elapsed_time_ms(0)
                .start()
                .next_back_off(),
            None
        );
    }

    /// A zero initial interval never grows (0 × m = 0), exactly as in Spring.
    #[test]
    fn exponential_zero_initial_interval_stays_zero() {
        assert_eq!(
            delays(&ExponentialBackOff::new(0, 2.0).unwrap(), 5),
            (vec![0; 5], false)
        );
    }

    /// Huge caps do not overflow: the product saturates like Java's `(long)` cast would clamp.
    #[test]
    fn exponential_large_values_saturate() {
        let policy = ExponentialBackOff {
            initial_interval_ms: 1 << 62,
            multiplier: 4.0,
            max_interval_ms: u64::MAX,
            max_elapsed_time_ms: u64::MAX,
            ..ExponentialBackOff::default()
        };
        let mut execution = policy.start();
        assert_eq!(execution.next_back_off(), Some(1 << 62));
        // 2^62 × 4 = 2^64 does not fit: the cast saturates at u64::MAX (the cap).
        assert_eq!(execution.next_back_off(), Some(u64::MAX));
        // Elapsed time saturated at u64::MAX, which reaches even a u64::MAX limit: stop.
        assert_eq!(execution.elapsed_ms(), u64::MAX);
        assert_eq!(execution.next_back_off(), None);
        // With Spring's own limit (Long.MAX_VALUE), a single Long.MAX_VALUE delay exhausts it.
        let mut execution = ExponentialBackOff {
            initial_interval_ms: UNLIMITED,
            max_interval_ms: UNLIMITED,
            ..ExponentialBackOff::default()
        }
        .start();
        assert_eq!(execution.next_back_off(), Some(UNLIMITED));
        assert_eq!(execution.next_back_off(), None);
    }

    // ---- Ported from spring-projects/spring-framework
    // spring-core/src/test/java/org/springframework/util/backoff/FixedBackOffTests.java

    /// FixedBackOffTests#defaultInstance: 100 × DEFAULT_INTERVAL.
    #[test]
    fn fixed_default_instance() {
        let mut execution = FixedBackOff::default().start();
        for _ in 0..100 {
            assert_eq!(
                execution.next_back_off(),
                Some(FixedBackOff::DEFAULT_INTERVAL_MS)
            );
        }
    }

    /// FixedBackOffTests#noAttemptAtAll.
    #[test]
    fn fixed_no_attempt_at_all() {
        assert_eq!(FixedBackOff::new(100, 0).start().next_back_off(), None);
    }

    /// FixedBackOffTests#maxAttemptsReached.
    #[test]
    fn fixed_max_attempts_reached() {
        let mut execution = FixedBackOff::new(200, 2).start();
        assert_eq!(take(&mut execution, 3), [Some(200), Some(200), None]);
    }

    /// FixedBackOffTests#startReturnsDifferentInstances.
    #[test]
    fn fixed_start_returns_different_instances() {
        let policy = FixedBackOff::new(100, 1);
        let mut execution1 = policy.start();
        let mut execution2 = policy.start();
        assert_eq!(execution1.next_back_off(), Some(100));
        assert_eq!(execution2.next_back_off(), Some(100));
        assert_eq!(execution1.next_back_off(), None);
        assert_eq!(execution2.next_back_off(), None);
    }

    /// FixedBackOffTests#liveUpdate, ADAPTED: in Spring, changing the policy after `start()`
    /// affects the running execution (100, then 200, then STOP). Executions here snapshot the
    /// policy, so the running one keeps its settings and a new `start()` sees the change.
    #[test]
    fn fixed_live_update_is_a_snapshot_here() {
        let mut policy = FixedBackOff::new(100, 1);
        let mut execution = policy.start();
        assert_eq!(execution.next_back_off(), Some(100));
        policy.interval_ms = 200;
        policy.max_attempts = 2;
        assert_eq!(execution.next_back_off(), None, "old settings: 1 attempt");
        assert_eq!(delays(&policy, 10), (vec![200, 200], true));
    }

    /// FixedBackOffTests#toStringContent.
    #[test]
    fn fixed_to_string_content() {
        let policy = FixedBackOff::new(200, 10);
        assert_eq!(
            policy.to_string(),
            "FixedBackOff[interval=200, maxAttempts=10]"
        );
        let mut execution = policy.start();
        assert_eq!(
            execution.to_string(),
            "FixedBackOffExecution[interval=200, currentAttempts=0, maxAttempts=10]"
        );
        execution.next_back_off();
        assert_eq!(
            execution.to_string(),
            "FixedBackOffExecution[interval=200, currentAttempts=1, maxAttempts=10]"
        );
        execution.next_back_off();
        assert_eq!(
            execution.to_string(),
            "FixedBackOffExecution[interval=200, currentAttempts=2, maxAttempts=10]"
        );
        assert_eq!(
            FixedBackOff::default().to_string(),
            "FixedBackOff[interval=5000, maxAttempts=unlimited]"
        );
    }

    /// Spring for Apache Kafka's default (`SeekUtils.DEFAULT_BACK_OFF = new FixedBackOff(0,
    /// DEFAULT_MAX_FAILURES - 1)`, DEFAULT_MAX_FAILURES = 10): nine zero delays, then STOP, and
    /// the execution then prints exactly as in DefaultErrorHandler's "exhausted" log line.
    #[test]
    fn spring_kafka_default_error_handler_back_off() {
        let policy = FixedBackOff::new(0, 9);
        assert_eq!(delays(&policy, MAX_CLI_DELAYS), (vec![0; 9], true));
        let mut execution = policy.start();
        while execution.next_back_off().is_some() {}
        assert_eq!(execution.current_attempts(), 10);
        assert_eq!(
            execution.to_string(),
            "FixedBackOffExecution[interval=0, currentAttempts=10, maxAttempts=9]"
        );
    }

    // ---- delays()

    #[test]
    fn delays_reports_whether_the_sequence_is_complete() {
        // Exactly `limit` delays and then STOP: complete.
        assert_eq!(delays(&FixedBackOff::new(0, 9), 9), (vec![0; 9], true));
        // More delays exist beyond the limit: not complete.
        assert_eq!(delays(&FixedBackOff::new(0, 9), 8), (vec![0; 8], false));
        // Limit 0 still probes once.
        assert_eq!(delays(&FixedBackOff::new(100, 0), 0), (vec![], true));
        assert_eq!(delays(&FixedBackOff::default(), 0), (vec![], false));
        // Unlimited policies never stop.
        let (all, stops) = delays(&FixedBackOff::default(), MAX_CLI_DELAYS);
        assert_eq!(all.len(), MAX_CLI_DELAYS);
        assert!(!stops);
    }

    /// `delays` works through the trait, including on unsized/dyn-free generic callers.
    #[test]
    fn delays_is_generic_over_back_off() {
        fn first_two<B: BackOff>(policy: &B) -> Vec<u64> {
            delays(policy, 2).0
        }
        assert_eq!(first_two(&FixedBackOff::new(7, 5)), [7, 7]);
        assert_eq!(first_two(&ExponentialBackOff::default()), [2000, 3000]);
    }
}
