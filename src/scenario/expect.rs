//! `[expect]` assertions: `metric[(argument)] op value`, evaluated on a run's [`Report`].
//!
//! Examples: `lost == 0`, `max_lag(payment-service) < 500`, `p99_latency < 2s`,
//! `duplicates(inventory-service) > 0`, `rebalances(payment-service) >= 1`,
//! `produced(orders) == 1000`.

use crate::report::{GroupReport, Latency, Report};
use crate::time::{human_micros, parse_duration};
use std::fmt;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
        }
    }
}

/// Whether a metric counts things or measures time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain number.
    Count,
    /// Microseconds, written with a unit (`2s`).
    Duration,
}

/// What a metric's argument names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Optional consumer group (without it: over all groups).
    Group,
    /// Optional topic (without it: all topics).
    Topic,
}

/// The metric vocabulary: name, unit, argument scope, description.
pub const METRICS: &[(&str, Unit, &str)] = &[
    ("produced", Unit::Count, "records produced (optionally to one topic)"),
    ("processed", Unit::Count, "records processed, redeliveries included (optionally by one group)"),
    ("duplicates", Unit::Count, "redelivered records processed again"),
    ("delivered", Unit::Count, "records handed out by polls"),
    ("lost", Unit::Count, "records a group never processed (retention, offset reset)"),
    ("rebalances", Unit::Count, "rebalances after the group formed"),
    ("crashes", Unit::Count, "instance crashes"),
    ("lag", Unit::Count, "final lag (sum over partitions)"),
    ("max_lag", Unit::Count, "largest sampled lag"),
    ("in_flight", Unit::Count, "records polled but not processed at the end"),
    ("p50_latency", Unit::Duration, "median produce-to-processed latency"),
    ("p90_latency", Unit::Duration, "90th percentile latency"),
    ("p99_latency", Unit::Duration, "99th percentile latency"),
    ("p999_latency", Unit::Duration, "99.9th percentile latency"),
    ("max_latency", Unit::Duration, "largest latency"),
    ("mean_latency", Unit::Duration, "mean latency"),
];

fn scope_of(metric: &str) -> Scope {
    if metric == "produced" {
        Scope::Topic
    } else {
        Scope::Group
    }
}

/// One parsed assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The text as written.
    pub text: String,
    /// Metric name.
    pub metric: String,
    /// Group or topic argument.
    pub argument: Option<String>,
    /// Operator.
    pub op: Op,
    /// Right-hand value (microseconds for durations).
    pub value: f64,
    /// The metric's unit.
    pub unit: Unit,
}

/// The outcome of one check on a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The check.
    pub check: Check,
    /// The measured value.
    pub actual: f64,
    /// Whether it held.
    pub passed: bool,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: f64| match self.check.unit {
            Unit::Count => format!("{v}"),
            Unit::Duration => human_micros(v.max(0.0) as u64),
        };
        write!(
            f,
            "{} {}: measured {}, expected {} {}",
            if self.passed { "PASS" } else { "FAIL" },
            self.check.text,
            show(self.actual),
            self.check.op.symbol(),
            show(self.check.value)
        )
    }
}

impl Check {
    /// Parses one assertion, checking names against the scenario. The error is a message
    /// and an optional hint.
    pub fn parse(text: &str, groups: &[&str], topics: &[&str]) -> Result<Check, (String, Option<String>)> {
        let ops = [("==", Op::Eq), ("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];
        let (position, symbol, op) = ops
            .iter()
            .filter_map(|&(symbol, op)| text.find(symbol).map(|p| (p, symbol, op)))
            .min_by_key(|&(p, symbol, _)| (p, std::cmp::Reverse(symbol.len())))
            .ok_or_else(|| {
                (
                    format!("\"{text}\" has no comparison"),
                    Some("write `metric op value`, e.g. \"lost == 0\" or \"max_lag(payment-service) < 500\"".into()),
                )
            })?;
        let left = text[..position].trim();
        let right = text[position + symbol.len()..].trim();
        let (metric, argument) = match left.split_once('(') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| {
                    (format!("\"{left}\" is missing a closing parenthesis"), None)
                })?;
                let inner = inner.trim().trim_matches(|c| c == '"' || c == '\'');
                (name.trim(), Some(inner.to_string()))
            }
            None => (left, None),
        };
        let Some(&(_, unit, _)) = METRICS.iter().find(|(name, _, _)| *name == metric) else {
            let names = METRICS.iter().map(|(n, _, _)| *n);
            let hint = crate::scenario::error::did_you_mean(metric, names)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!("known metrics: {}", METRICS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>().join(", "))
                });
            return Err((format!("unknown metric `{metric}`"), Some(hint)));
        };
        if let Some(argument) = &argument {
            let (kind, known) = match scope_of(metric) {
                Scope::Group => ("group", groups),
                Scope::Topic => ("topic", topics),
            };
            if !known.contains(&argument.as_str()) {
                let hint = crate::scenario::error::did_you_mean(argument, known.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"?"));
                return Err((format!("`{metric}` takes a {kind} name; there is no {kind} \"{argument}\""), hint));
            }
        }
        let value = match unit {
            Unit::Count => right.replace('_', "").parse::<f64>().map_err(|_| {
                let hint = parse_duration(right)
                    .ok()
                    .map(|_| format!("`{metric}` is a count, not a duration"));
                (format!("\"{right}\" is not a number"), hint)
            })?,
            Unit::Duration => parse_duration(right).map(|d| d.micros() as f64).map_err(|_| {
                (
                    format!("`{metric}` is a duration; \"{right}\" is not one"),
                    Some(format!("write a unit, e.g. \"{metric} < 2s\"")),
                )
            })?,
        };
        Ok(Check {
            text: text.trim().to_string(),
            metric: metric.to_string(),
            argument,
            op,
            value,
            unit,
        })
    }

    /// The metric's value in a report.
    pub fn measure(&self, report: &Report) -> f64 {
        let groups: Vec<&GroupReport> = report
            .groups
            .iter()
            .filter(|g| scope_of(&self.metric) != Scope::Group || self.argument.as_ref().is_none_or(|a| &g.name == a))
            .collect();
        let sum = |f: fn(&GroupReport) -> u64| groups.iter().map(|g| f(g)).sum::<u64>() as f64;
        let max = |f: fn(&GroupReport) -> u64| groups.iter().map(|g| f(g)).max().unwrap_or(0) as f64;
        let latency = |f: fn(&Latency) -> u64| match &self.argument {
            Some(_) => groups.first().map_or(0.0, |g| f(&g.latency) as f64),
            None => f(&report.latency) as f64,
        };
        match self.metric.as_str() {
            "produced" => match &self.argument {
                None => report.counters.produced as f64,
                Some(topic) => report
                    .topics
                    .iter()
                    .filter(|t| &t.name == topic)
                    .map(|t| t.produced as f64)
                    .sum(),
            },
            "processed" => sum(|g| g.processed),
            "duplicates" => sum(|g| g.duplicates),
            "delivered" => sum(|g| g.delivered),
            "lost" => sum(|g| g.lost),
            "rebalances" => sum(|g| g.rebalances),
            "crashes" => sum(|g| g.crashes),
            "lag" => sum(|g| g.lag),
            "max_lag" => max(|g| g.max_lag),
            "in_flight" => sum(|g| g.in_flight),
            "p50_latency" => latency(|l| l.p50_us),
            "p90_latency" => latency(|l| l.p90_us),
            "p99_latency" => latency(|l| l.p99_us),
            "p999_latency" => latency(|l| l.p999_us),
            "max_latency" => latency(|l| l.max_us),
            "mean_latency" => latency(|l| l.mean_us),
            _ => f64::NAN,
        }
    }

    /// Evaluates the check on a report.
    pub fn evaluate(&self, report: &Report) -> Outcome {
        let actual = self.measure(report);
        Outcome {
            check: self.clone(),
            actual,
            passed: self.op.holds(actual, self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_examples() {
        let c = Check::parse("lost == 0", &[], &[]).unwrap();
        assert_eq!((c.metric.as_str(), c.op, c.value), ("lost", Op::Eq, 0.0));
        let c = Check::parse("max_lag(\"payments\") < 500", &["payments"], &[]).unwrap();
        assert_eq!(c.argument.as_deref(), Some("payments"));
        assert_eq!(c.op, Op::Lt);
        let c = Check::parse("p99_latency < 2s", &[], &[]).unwrap();
        assert_eq!((c.unit, c.value), (Unit::Duration, 2e6));
        let c = Check::parse("rebalances(g) >= 1", &["g"], &[]).unwrap();
        assert_eq!(c.op, Op::Ge);
    }

    #[test]
    fn rejects_with_hints() {
        let (message, hint) = Check::parse("max_lagg(g) < 5", &["g"], &[]).unwrap_err();
        assert!(message.contains("unknown metric"));
        assert_eq!(hint.as_deref(), Some("did you mean `max_lag`?"));
        let (message, hint) = Check::parse("lag(paymnt) < 5", &["payment"], &[]).unwrap_err();
        assert!(message.contains("no group \"paymnt\""), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean \"payment\"?"));
        let (_, hint) = Check::parse("p99_latency < 2000", &[], &[]).unwrap_err();
        assert!(hint.unwrap().contains("write a unit"));
        let (_, hint) = Check::parse("lag < 2s", &[], &[]).unwrap_err();
        assert!(hint.unwrap().contains("is a count"));
        assert!(Check::parse("lost", &[], &[]).is_err());
    }
}
