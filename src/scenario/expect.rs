//! `[expect]` assertions: `metric[(argument)] op value`, evaluated on a run's [`Report`].
//!
//! Examples: `lost == 0`, `max_lag(payment-service) < 500`, `p99_latency < 2s`,
//! `duplicates(inventory-service) > 0`, `rebalances(payment-service) >= 1`,
//! `produced(orders) == 1000`.

use crate::report::{GroupReport, Latency, ProducerReport, Report};
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
pub enum Scope {
    /// Optional consumer group (without it: over all groups).
    Group,
    /// Optional topic (without it: all topics).
    Topic,
    /// Optional producer (without it: all producers).
    Producer,
}

use Scope::{Group, Producer, Topic};
use Unit::{Count, Duration};

/// The metric vocabulary: name, unit, argument scope, description.
pub const METRICS: &[(&str, Unit, Scope, &str)] = &[
    (
        "produced",
        Count,
        Topic,
        "distinct events published (optionally to one topic)",
    ),
    (
        "processed",
        Count,
        Group,
        "records finished, redeliveries included",
    ),
    (
        "duplicates",
        Count,
        Group,
        "redelivered records processed again",
    ),
    ("delivered", Count, Group, "records handed out by polls"),
    (
        "lost",
        Count,
        Group,
        "events lost: never published (dual write) or never processed (retention, offset reset)",
    ),
    (
        "rebalances",
        Count,
        Group,
        "rebalances after the group formed",
    ),
    ("crashes", Count, Group, "instance crashes"),
    ("lag", Count, Group, "final lag (sum over partitions)"),
    ("max_lag", Count, Group, "largest sampled lag"),
    (
        "in_flight",
        Count,
        Group,
        "records polled but not finished at the end",
    ),
    (
        "attempts",
        Count,
        Group,
        "handler attempts, retries included",
    ),
    ("failures", Count, Group, "failed attempts"),
    (
        "retries",
        Count,
        Group,
        "retries (in place or via retry topics)",
    ),
    (
        "dead_lettered",
        Count,
        Group,
        "records sent to the dead-letter topic",
    ),
    (
        "dropped",
        Count,
        Group,
        "failed records skipped without a dead-letter topic",
    ),
    (
        "dlq_depth",
        Count,
        Group,
        "dead-letter records not replayed, at the end",
    ),
    (
        "max_dlq_depth",
        Count,
        Group,
        "largest sampled dead-letter depth",
    ),
    (
        "replayed",
        Count,
        Group,
        "dead-letter records re-published by replay_dlq",
    ),
    (
        "side_effects",
        Count,
        Group,
        "side effects applied once per event",
    ),
    (
        "double_charges",
        Count,
        Group,
        "side effects repeated for an already-applied event",
    ),
    (
        "deduplicated",
        Count,
        Group,
        "deliveries the idempotency store suppressed",
    ),
    (
        "dedup_store",
        Count,
        Group,
        "largest size of the processed-event-id store",
    ),
    (
        "out_of_order",
        Count,
        Group,
        "records processed after a later record of the same entity",
    ),
    (
        "emitted",
        Count,
        Group,
        "events the handler published to other topics",
    ),
    (
        "filtered",
        Count,
        Group,
        "records of event types the handler ignores",
    ),
    (
        "phantom",
        Count,
        Producer,
        "phantom events (published, then the database write failed)",
    ),
    (
        "lost_writes",
        Count,
        Producer,
        "events a dual write lost (database committed, never published)",
    ),
    (
        "published",
        Count,
        Producer,
        "distinct events a service got into Kafka",
    ),
    (
        "republished",
        Count,
        Producer,
        "events a relay or connector published again after a crash",
    ),
    (
        "backlog",
        Count,
        Producer,
        "outbox rows / log rows not yet published, at the end",
    ),
    (
        "max_backlog",
        Count,
        Producer,
        "largest outbox / replication-slot backlog",
    ),
    (
        "p50_latency",
        Duration,
        Group,
        "median append-to-processed latency",
    ),
    ("p90_latency", Duration, Group, "90th percentile latency"),
    ("p99_latency", Duration, Group, "99th percentile latency"),
    ("p999_latency", Duration, Group, "99.9th percentile latency"),
    ("max_latency", Duration, Group, "largest latency"),
    ("mean_latency", Duration, Group, "mean latency"),
    (
        "p50_step_latency",
        Duration,
        Group,
        "median time from the chain's first event to this group's success",
    ),
    (
        "p99_step_latency",
        Duration,
        Group,
        "99th percentile of that",
    ),
    ("max_step_latency", Duration, Group, "largest of that"),
    (
        "p50_publish_latency",
        Duration,
        Producer,
        "median business-write-to-Kafka delay",
    ),
    (
        "p99_publish_latency",
        Duration,
        Producer,
        "99th percentile of that",
    ),
    ("max_publish_latency", Duration, Producer, "largest of that"),
];

fn scope_of(metric: &str) -> Scope {
    METRICS
        .iter()
        .find(|(name, ..)| *name == metric)
        .map_or(Group, |&(_, _, scope, _)| scope)
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
            Count => format!("{v}"),
            Duration => human_micros(v.max(0.0) as u64),
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
    pub fn parse(
        text: &str,
        groups: &[&str],
        topics: &[&str],
        producers: &[&str],
    ) -> Result<Check, (String, Option<String>)> {
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
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
        let Some(&(_, unit, _, _)) = METRICS.iter().find(|(name, ..)| *name == metric) else {
            let names = METRICS.iter().map(|(n, ..)| *n);
            let hint = crate::scenario::error::did_you_mean(metric, names)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "known metrics: {}",
                        METRICS
                            .iter()
                            .map(|(n, ..)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            return Err((format!("unknown metric `{metric}`"), Some(hint)));
        };
        if let Some(argument) = &argument {
            let (kind, known) = match scope_of(metric) {
                Group => ("group", groups),
                Topic => ("topic", topics),
                Producer => ("producer", producers),
            };
            if !known.contains(&argument.as_str()) {
                let hint = crate::scenario::error::did_you_mean(argument, known.iter().copied())
                    .map(|s| format!("did you mean \"{s}\"?"));
                return Err((
                    format!("`{metric}` takes a {kind} name; there is no {kind} \"{argument}\""),
                    hint,
                ));
            }
        }
        let value = match unit {
            Count => right.replace('_', "").parse::<f64>().map_err(|_| {
                let hint = parse_duration(right)
                    .ok()
                    .map(|_| format!("`{metric}` is a count, not a duration"));
                (format!("\"{right}\" is not a number"), hint)
            })?,
            Duration => parse_duration(right)
                .map(|d| d.micros() as f64)
                .map_err(|_| {
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
        let argument = self.argument.as_deref();
        let groups: Vec<&GroupReport> = report
            .groups
            .iter()
            .filter(|g| argument.is_none_or(|a| g.name == a))
            .collect();
        let producers: Vec<&ProducerReport> = report
            .producers
            .iter()
            .filter(|p| argument.is_none_or(|a| p.name == a))
            .collect();
        let sum = |f: fn(&GroupReport) -> u64| groups.iter().map(|g| f(g)).sum::<u64>() as f64;
        let max =
            |f: fn(&GroupReport) -> u64| groups.iter().map(|g| f(g)).max().unwrap_or(0) as f64;
        let by_producer =
            |f: fn(&ProducerReport) -> u64| producers.iter().map(|p| f(p)).sum::<u64>() as f64;
        let max_producer = |f: fn(&ProducerReport) -> u64| {
            producers.iter().map(|p| f(p)).max().unwrap_or(0) as f64
        };
        let latency = |f: fn(&Latency) -> u64| match argument {
            Some(_) => groups.first().map_or(0.0, |g| f(&g.latency) as f64),
            None => f(&report.latency) as f64,
        };
        let step = |f: fn(&Latency) -> u64| {
            groups.iter().map(|g| f(&g.step_latency)).max().unwrap_or(0) as f64
        };
        let publish = |f: fn(&Latency) -> u64| {
            producers
                .iter()
                .map(|p| f(&p.publish_latency))
                .max()
                .unwrap_or(0) as f64
        };
        match self.metric.as_str() {
            "produced" => match argument {
                None => report.counters.produced as f64,
                Some(topic) => report
                    .topics
                    .iter()
                    .filter(|t| t.name == topic)
                    .map(|t| t.produced as f64)
                    .sum(),
            },
            "processed" => sum(|g| g.processed),
            "duplicates" => sum(|g| g.duplicates),
            "delivered" => sum(|g| g.delivered),
            "lost" => match argument {
                None => report.counters.lost as f64,
                Some(_) => sum(|g| g.lost),
            },
            "rebalances" => sum(|g| g.rebalances),
            "crashes" => sum(|g| g.crashes),
            "lag" => sum(|g| g.lag),
            "max_lag" => max(|g| g.max_lag),
            "in_flight" => sum(|g| g.in_flight),
            "attempts" => sum(|g| g.handling.attempts),
            "failures" => sum(|g| g.handling.failures),
            "retries" => sum(|g| g.handling.retries),
            "dead_lettered" => sum(|g| g.handling.dead_lettered),
            "dropped" => sum(|g| g.handling.dropped),
            "dlq_depth" => sum(|g| g.dlq_depth),
            "max_dlq_depth" => max(|g| g.max_dlq_depth),
            "replayed" => sum(|g| g.handling.replayed),
            "side_effects" => sum(|g| g.handling.side_effects),
            "double_charges" => sum(|g| g.handling.repeated_side_effects),
            "deduplicated" => sum(|g| g.handling.deduplicated),
            "dedup_store" => max(|g| g.handling.dedup_store_peak),
            "out_of_order" => sum(|g| g.handling.out_of_order),
            "emitted" => sum(|g| g.handling.emitted),
            "filtered" => sum(|g| g.handling.filtered),
            "phantom" => by_producer(|p| p.stats.phantom),
            "lost_writes" => by_producer(|p| p.stats.lost),
            "published" => by_producer(|p| p.stats.published),
            "republished" => by_producer(|p| p.stats.republished),
            "backlog" => by_producer(|p| p.stats.backlog),
            "max_backlog" => max_producer(|p| p.stats.peak_backlog),
            "p50_latency" => latency(|l| l.p50_us),
            "p90_latency" => latency(|l| l.p90_us),
            "p99_latency" => latency(|l| l.p99_us),
            "p999_latency" => latency(|l| l.p999_us),
            "max_latency" => latency(|l| l.max_us),
            "mean_latency" => latency(|l| l.mean_us),
            "p50_step_latency" => step(|l| l.p50_us),
            "p99_step_latency" => step(|l| l.p99_us),
            "max_step_latency" => step(|l| l.max_us),
            "p50_publish_latency" => publish(|l| l.p50_us),
            "p99_publish_latency" => publish(|l| l.p99_us),
            "max_publish_latency" => publish(|l| l.max_us),
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
        let c = Check::parse("lost == 0", &[], &[], &[]).unwrap();
        assert_eq!((c.metric.as_str(), c.op, c.value), ("lost", Op::Eq, 0.0));
        let c = Check::parse("max_lag(\"payments\") < 500", &["payments"], &[], &[]).unwrap();
        assert_eq!(c.argument.as_deref(), Some("payments"));
        assert_eq!(c.op, Op::Lt);
        let c = Check::parse("p99_latency < 2s", &[], &[], &[]).unwrap();
        assert_eq!((c.unit, c.value), (Unit::Duration, 2e6));
        let c = Check::parse("rebalances(g) >= 1", &["g"], &[], &[]).unwrap();
        assert_eq!(c.op, Op::Ge);
    }

    #[test]
    fn rejects_with_hints() {
        let (message, hint) = Check::parse("max_lagg(g) < 5", &["g"], &[], &[]).unwrap_err();
        assert!(message.contains("unknown metric"));
        assert_eq!(hint.as_deref(), Some("did you mean `max_lag`?"));
        let (message, hint) = Check::parse("lag(paymnt) < 5", &["payment"], &[], &[]).unwrap_err();
        assert!(message.contains("no group \"paymnt\""), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean \"payment\"?"));
        let (_, hint) = Check::parse("p99_latency < 2000", &[], &[], &[]).unwrap_err();
        assert!(hint.unwrap().contains("write a unit"));
        let (_, hint) = Check::parse("lag < 2s", &[], &[], &[]).unwrap_err();
        assert!(hint.unwrap().contains("is a count"));
        assert!(Check::parse("lost", &[], &[], &[]).is_err());
    }
}
