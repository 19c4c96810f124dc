//! Semantic checks of a parsed scenario: names that must exist, sizes that must be sane.
//! Each problem becomes a [`ScenarioError`] located at the offending field.

use super::error::{did_you_mean, ErrorKind, ScenarioError};
use super::expect::Check;
use super::json_locate::PathSegment;
use super::model::{ActionKind, Arrival, PublishMode, RetryMode, Scenario};
use super::parse::Source;
use std::collections::BTreeSet;

/// Limits that keep a scenario within what a browser tab can simulate.
pub mod limits {
    /// Partitions per topic.
    pub const PARTITIONS: u32 = 10_000;
    /// Instances per group.
    pub const INSTANCES: u32 = 1_000;
    /// Keys per producer.
    pub const KEYS: u64 = 10_000_000;
    /// Records per second per producer.
    pub const RATE: f64 = 10_000_000.0;
    /// Entities of each kind.
    pub const ENTITIES: usize = 1_000;
    /// `max.poll.records`.
    pub const MAX_POLL_RECORDS: u32 = 1_000_000;
    /// Run length: ten years of simulated time.
    pub const DURATION: u64 = 10 * 365 * 24 * 3_600 * 1_000_000;
    /// Records in one burst.
    pub const BURST: u32 = 1_000_000;
}

/// A parsed key pattern such as `order-{1..10000}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    /// Text before the range.
    pub prefix: String,
    /// First number.
    pub first: u64,
    /// Text after the range.
    pub suffix: String,
    /// Number of keys.
    pub count: u32,
    /// Whether a `{a..b}` range is present (else the pattern is one fixed key).
    pub ranged: bool,
}

/// Parses `prefix{a..b}suffix` (inclusive range) or a fixed key.
pub fn parse_key_pattern(text: &str) -> Result<KeyPattern, String> {
    let Some(open) = text.find('{') else {
        if text.is_empty() {
            return Err("an empty key pattern; leave `keys` out for keyless records".into());
        }
        return Ok(KeyPattern {
            prefix: text.to_string(),
            first: 0,
            suffix: String::new(),
            count: 1,
            ranged: false,
        });
    };
    let close = text[open..].find('}').map(|c| c + open).ok_or_else(|| {
        format!("key pattern \"{text}\" has `{{` without `}}`; write e.g. \"order-{{1..10000}}\"")
    })?;
    let range = &text[open + 1..close];
    let (a, b) = range.split_once("..").ok_or_else(|| {
        format!("key pattern \"{text}\": the braces must hold a range like {{1..10000}}")
    })?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("key pattern \"{text}\": \"{s}\" is not a whole number"))
    };
    let (first, last) = (parse(a)?, parse(b)?);
    if last < first {
        return Err(format!(
            "key pattern \"{text}\": the range ends before it starts"
        ));
    }
    let count = last - first + 1;
    if count > limits::KEYS {
        return Err(format!(
            "key pattern \"{text}\" has {count} keys; the limit is {}",
            limits::KEYS
        ));
    }
    let suffix = &text[close + 1..];
    if suffix.contains('{') {
        return Err(format!(
            "key pattern \"{text}\": only one {{a..b}} range is supported"
        ));
    }
    Ok(KeyPattern {
        prefix: text[..open].to_string(),
        first,
        suffix: suffix.to_string(),
        count: count as u32,
        ranged: true,
    })
}

/// How keys are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDistribution {
    /// All keys equally likely.
    Uniform,
    /// Zipf with the given exponent.
    Zipf(f64),
}

/// Parses `"uniform"` or `"zipf(1.1)"`.
pub fn parse_key_distribution(text: &str) -> Result<KeyDistribution, String> {
    let text = text.trim();
    if text == "uniform" {
        return Ok(KeyDistribution::Uniform);
    }
    if let Some(inner) = text.strip_prefix("zipf(").and_then(|r| r.strip_suffix(')')) {
        let s: f64 = inner.trim().parse().map_err(|_| {
            format!("\"{text}\": the Zipf exponent must be a number, e.g. zipf(1.1)")
        })?;
        if !(s > 0.0 && s <= 10.0) {
            return Err(format!("\"{text}\": the Zipf exponent must be in (0, 10]"));
        }
        return Ok(KeyDistribution::Zipf(s));
    }
    Err(format!(
        "unknown key distribution \"{text}\"; use \"uniform\" or \"zipf(1.1)\""
    ))
}

/// Collects the first problem found (the user fixes one thing at a time, and one clear
/// message beats a cascade).
struct Checker<'a, 'b> {
    source: &'a Source<'b>,
    error: Option<ScenarioError>,
}

impl Checker<'_, '_> {
    fn fail(&mut self, path: &[PathSegment], message: impl Into<String>, hint: Option<String>) {
        if self.error.is_none() {
            self.error =
                Some(
                    self.source
                        .error_at_path(ErrorKind::Invalid, path, false, message, hint),
                );
        }
    }

    fn check(
        &mut self,
        ok: bool,
        path: &[PathSegment],
        message: impl FnOnce() -> String,
        hint: Option<&str>,
    ) {
        if !ok {
            self.fail(path, message(), hint.map(str::to_string));
        }
    }

    /// A timeline action's reference field (`group`, `producer`, `dependency`): required and
    /// known when the action needs it, absent otherwise.
    fn action_reference(
        &mut self,
        index: usize,
        action: ActionKind,
        field: &str,
        value: Option<&str>,
        needed: bool,
        known: &[&str],
    ) {
        match (value, needed) {
            (Some(name), true) => self.reference(&at("timeline", index, field), field, name, known),
            (None, true) => self.fail(
                &[key("timeline"), PathSegment::Index(index)],
                format!("action \"{}\" needs `{field}`", action.name()),
                None,
            ),
            (Some(_), false) => self.fail(
                &at("timeline", index, field),
                format!("action \"{}\" does not take `{field}`", action.name()),
                None,
            ),
            (None, false) => {}
        }
    }

    /// An optional value that must lie in `range` when present.
    fn within<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        value: Option<T>,
        range: std::ops::RangeInclusive<T>,
        path: &[PathSegment],
        what: &str,
    ) {
        if let Some(value) = value {
            if !range.contains(&value) {
                let message = format!(
                    "{what} must be between {} and {}, not {value}",
                    range.start(),
                    range.end()
                );
                self.fail(path, message, None);
            }
        }
    }

    /// A reference to a named entity: unknown names get a did-you-mean.
    fn reference(&mut self, path: &[PathSegment], kind: &str, name: &str, known: &[&str]) {
        if known.contains(&name) {
            return;
        }
        let hint = match did_you_mean(name, known.iter().copied()) {
            Some(close) => Some(format!("did you mean \"{close}\"?")),
            None if known.is_empty() => Some(format!("declare a [[{kind}]] first")),
            None => Some(format!("known {kind}s: {}", known.join(", "))),
        };
        self.fail(path, format!("unknown {kind} \"{name}\""), hint);
    }
}

/// The message for a rate over [`limits::RATE`]; a huge one (`1e300/s`) in scientific
/// notation rather than its 301 digits.
fn rate_above_limit(per_second: f64) -> String {
    let rate = if per_second < 1e12 {
        per_second.to_string()
    } else {
        format!("{per_second:e}")
    };
    format!(
        "a rate of {rate}/s is above the limit of {}/s",
        limits::RATE
    )
}

fn key(name: &str) -> PathSegment {
    PathSegment::Key(name.to_string())
}

fn at(table: &str, index: usize, field: &str) -> Vec<PathSegment> {
    vec![key(table), PathSegment::Index(index), key(field)]
}

/// Checks names, references and sizes. Returns the parsed `[expect]` checks on success.
pub fn validate(scenario: &Scenario, source: &Source) -> Result<Vec<Check>, ScenarioError> {
    let mut c = Checker {
        source,
        error: None,
    };
    let duration = scenario.duration.0.micros();
    c.check(
        duration > 0,
        &[key("duration")],
        || "the run must last longer than 0s".into(),
        Some("e.g. duration = \"60s\""),
    );
    c.check(
        duration <= limits::DURATION,
        &[key("duration")],
        || "the run is longer than ten years of simulated time".into(),
        None,
    );
    if let Some(interval) = scenario.sample_interval {
        c.check(
            interval.0.micros() >= 1_000,
            &[key("sample_interval")],
            || "sample_interval must be at least 1ms".into(),
            None,
        );
    }
    for (kind, count) in [
        ("topic", scenario.topics.len()),
        ("producer", scenario.producers.len()),
        ("group", scenario.groups.len()),
        ("timeline", scenario.timeline.len()),
    ] {
        c.check(
            count <= limits::ENTITIES,
            &[key(kind)],
            || {
                format!(
                    "{count} [[{kind}]] entries; the limit is {}",
                    limits::ENTITIES
                )
            },
            None,
        );
    }

    // Topics.
    let mut seen = BTreeSet::new();
    for (i, topic) in scenario.topics.iter().enumerate() {
        c.check(
            !topic.name.is_empty(),
            &at("topic", i, "name"),
            || "a topic needs a name".into(),
            None,
        );
        c.check(
            seen.insert(topic.name.as_str()),
            &at("topic", i, "name"),
            || format!("topic \"{}\" is declared twice", topic.name),
            None,
        );
        c.check(
            topic.partitions >= 1,
            &at("topic", i, "partitions"),
            || "a topic needs at least 1 partition".into(),
            Some("Kafka topics have 1 or more partitions, e.g. partitions = 12"),
        );
        c.check(
            topic.partitions <= limits::PARTITIONS,
            &at("topic", i, "partitions"),
            || {
                format!(
                    "{} partitions is more than the limit of {}",
                    topic.partitions,
                    limits::PARTITIONS
                )
            },
            None,
        );
        if let Some(retention) = topic.retention {
            c.check(
                retention.0.micros() > 0,
                &at("topic", i, "retention"),
                || "retention must be longer than 0s".into(),
                Some("Kafka's default is 7d"),
            );
        }
    }
    let topic_names: Vec<&str> = scenario.topics.iter().map(|t| t.name.as_str()).collect();

    // Producers.
    let mut seen = BTreeSet::new();
    for (i, producer) in scenario.producers.iter().enumerate() {
        c.check(
            seen.insert(producer.name.as_str()),
            &at("producer", i, "name"),
            || format!("producer \"{}\" is declared twice", producer.name),
            None,
        );
        c.reference(
            &at("producer", i, "topic"),
            "topic",
            &producer.topic,
            &topic_names,
        );
        let rate = producer.rate.0.per_second();
        c.check(
            rate <= limits::RATE,
            &at("producer", i, "rate"),
            || rate_above_limit(rate),
            None,
        );
        if let Some(pattern) = &producer.keys {
            if let Err(message) = parse_key_pattern(pattern) {
                c.fail(&at("producer", i, "keys"), message, None);
            }
        }
        if let Some(dist) = &producer.key_distribution {
            if let Err(message) = parse_key_distribution(dist) {
                c.fail(&at("producer", i, "key_distribution"), message, None);
            }
            c.check(
                producer.keys.is_some(),
                &at("producer", i, "key_distribution"),
                || "key_distribution needs `keys`".into(),
                Some("add keys = \"order-{1..10000}\""),
            );
        }
        match (producer.arrival, &producer.burst) {
            (Arrival::Burst, None) => c.fail(
                &at("producer", i, "arrival"),
                "arrival = \"burst\" needs a `burst` table",
                Some("add burst = { size = 100, every = \"5s\" }".into()),
            ),
            (Arrival::Burst, Some(burst)) => {
                c.check(
                    (1..=limits::BURST).contains(&burst.size),
                    &[
                        key("producer"),
                        PathSegment::Index(i),
                        key("burst"),
                        key("size"),
                    ],
                    || format!("a burst must hold 1 to {} records", limits::BURST),
                    None,
                );
                c.check(
                    burst.every.0.micros() > 0,
                    &[
                        key("producer"),
                        PathSegment::Index(i),
                        key("burst"),
                        key("every"),
                    ],
                    || "bursts need a gap longer than 0s".into(),
                    None,
                );
            }
            (_, Some(_)) => c.fail(
                &at("producer", i, "burst"),
                "`burst` only applies with arrival = \"burst\"",
                Some("set arrival = \"burst\" or remove the burst table".into()),
            ),
            _ => {}
        }
        if let Some(size) = producer.record_size {
            c.check(
                (1..=16 << 20).contains(&size),
                &at("producer", i, "record_size"),
                || "record_size must be between 1 byte and 16 MiB".into(),
                None,
            );
        }
        for (k, change) in producer.schedule.iter().enumerate() {
            let rate = change.rate.0.per_second();
            c.check(
                rate <= limits::RATE,
                &[
                    key("producer"),
                    PathSegment::Index(i),
                    key("schedule"),
                    PathSegment::Index(k),
                    key("rate"),
                ],
                || rate_above_limit(rate),
                None,
            );
        }
    }
    let producer_names: Vec<&str> = scenario.producers.iter().map(|p| p.name.as_str()).collect();
    for (i, producer) in scenario.producers.iter().enumerate() {
        let mode = producer.publish;
        for (field, present, wanted) in [
            (
                "dual_write",
                producer.dual_write.is_some(),
                PublishMode::Direct,
            ),
            ("outbox", producer.outbox.is_some(), PublishMode::Outbox),
            ("cdc", producer.cdc.is_some(), PublishMode::Cdc),
        ] {
            if present && mode != wanted {
                let wanted_name = match wanted {
                    PublishMode::Direct => "direct",
                    PublishMode::Outbox => "outbox",
                    PublishMode::Cdc => "cdc",
                };
                c.fail(
                    &at("producer", i, field),
                    format!("`{field}` only applies with publish = \"{wanted_name}\""),
                    Some(format!(
                        "set publish = \"{wanted_name}\" or remove `{field}`"
                    )),
                );
            }
        }
        if let Some(dual) = &producer.dual_write {
            c.check(
                (0.0..=1.0).contains(&dual.crash),
                &[
                    key("producer"),
                    PathSegment::Index(i),
                    key("dual_write"),
                    key("crash"),
                ],
                || "a probability must be between 0 and 1".into(),
                None,
            );
        }
        if let Some(outbox) = &producer.outbox {
            let path = |f: &str| {
                vec![
                    key("producer"),
                    PathSegment::Index(i),
                    key("outbox"),
                    key(f),
                ]
            };
            c.within(outbox.crash, 0.0..=1.0, &path("crash"), "a probability");
            c.within(
                outbox.batch_size,
                1..=100_000,
                &path("batch_size"),
                "batch_size",
            );
            c.within(outbox.workers, 1..=64, &path("workers"), "workers");
            if let Some(interval) = outbox.poll_interval {
                c.check(
                    interval.0.micros() > 0,
                    &path("poll_interval"),
                    || "poll_interval must be longer than 0s".into(),
                    None,
                );
            }
        }
        if let Some(cdc) = &producer.cdc {
            if let Some(flush) = cdc.flush_interval {
                c.check(
                    flush.0.micros() > 0,
                    &[
                        key("producer"),
                        PathSegment::Index(i),
                        key("cdc"),
                        key("flush_interval"),
                    ],
                    || "flush_interval must be longer than 0s".into(),
                    None,
                );
            }
        }
    }

    // Dependencies.
    let mut seen = BTreeSet::new();
    for (i, dependency) in scenario.dependencies.iter().enumerate() {
        c.check(
            seen.insert(dependency.name.as_str()),
            &at("dependency", i, "name"),
            || format!("dependency \"{}\" is declared twice", dependency.name),
            None,
        );
        let outages = dependency.outages.iter().map(|w| ("outages", w.from, w.to));
        let slow = dependency.slow.iter().map(|w| ("slow", w.from, w.to));
        let mut index = [0usize, 0];
        for (field, from, to) in outages.chain(slow) {
            let k = &mut index[usize::from(field == "slow")];
            c.check(
                from.0 < to.0,
                &[
                    key("dependency"),
                    PathSegment::Index(i),
                    key(field),
                    PathSegment::Index(*k),
                ],
                || format!("a window of `{field}` must end after it starts"),
                None,
            );
            *k += 1;
        }
    }
    let dependency_names: Vec<&str> = scenario
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let mut event_names: Vec<String> = scenario
        .producers
        .iter()
        .map(|p| p.event.clone().unwrap_or_else(|| p.name.clone()))
        .collect();
    for group in &scenario.groups {
        for emit in group.handler.iter().flat_map(|h| &h.emit) {
            event_names.push(emit.event.clone().unwrap_or_else(|| emit.topic.clone()));
        }
    }
    let event_names: Vec<&str> = event_names.iter().map(String::as_str).collect();

    // Groups.
    let mut seen = BTreeSet::new();
    for (i, group) in scenario.groups.iter().enumerate() {
        c.check(
            seen.insert(group.name.as_str()),
            &at("group", i, "name"),
            || format!("group \"{}\" is declared twice", group.name),
            None,
        );
        let topics = group.subscribed_topics();
        c.check(
            !topics.is_empty(),
            &[key("group"), PathSegment::Index(i)],
            || format!("group \"{}\" subscribes to no topic", group.name),
            Some("add topic = \"orders\""),
        );
        if let Some(topic) = &group.topic {
            c.reference(&at("group", i, "topic"), "topic", topic, &topic_names);
        }
        for (k, topic) in group.topics.iter().enumerate() {
            c.reference(
                &[
                    key("group"),
                    PathSegment::Index(i),
                    key("topics"),
                    PathSegment::Index(k),
                ],
                "topic",
                topic,
                &topic_names,
            );
        }
        let unique: BTreeSet<&String> = topics.iter().collect();
        c.check(
            unique.len() == topics.len(),
            &at("group", i, "topics"),
            || "a topic is subscribed twice".into(),
            None,
        );
        c.check(
            group.instances <= limits::INSTANCES,
            &at("group", i, "instances"),
            || {
                format!(
                    "{} instances is more than the limit of {}",
                    group.instances,
                    limits::INSTANCES
                )
            },
            None,
        );
        if let Some(max) = group.max_poll_records {
            c.check(
                (1..=limits::MAX_POLL_RECORDS).contains(&max),
                &at("group", i, "max_poll_records"),
                || {
                    format!(
                        "max_poll_records must be between 1 and {}",
                        limits::MAX_POLL_RECORDS
                    )
                },
                Some("Kafka's default is 500"),
            );
        }
        for (field, value) in [
            ("auto_commit_interval", group.auto_commit_interval),
            ("session_timeout", group.session_timeout),
        ] {
            if let Some(value) = value {
                c.check(
                    value.0.micros() > 0,
                    &at("group", i, field),
                    || format!("{field} must be longer than 0s"),
                    None,
                );
            }
        }
    }
    for (i, group) in scenario.groups.iter().enumerate() {
        let Some(handler) = &group.handler else {
            continue;
        };
        let path = |f: &str| vec![key("group"), PathSegment::Index(i), key("handler"), key(f)];
        for (field, p) in [
            ("transient_failure", handler.transient_failure),
            ("poison", handler.poison),
        ] {
            c.check(
                (0.0..=1.0).contains(&p),
                &path(field),
                || "a probability must be between 0 and 1".into(),
                None,
            );
        }
        if let Some(dependency) = &handler.calls {
            c.reference(&path("calls"), "dependency", dependency, &dependency_names);
        }
        for (k, event) in handler.events.iter().enumerate() {
            let mut p = path("events");
            p.push(PathSegment::Index(k));
            c.reference(&p, "event type", event, &event_names);
        }
        for (k, emit) in handler.emit.iter().enumerate() {
            let emit_path = |field: &str| {
                let mut p = path("emit");
                p.extend([PathSegment::Index(k), key(field)]);
                p
            };
            c.reference(&emit_path("topic"), "topic", &emit.topic, &topic_names);
            if let Some(on) = &emit.on {
                c.reference(&emit_path("on"), "event type", on, &event_names);
            }
        }
        if let Some(retry) = &handler.retry {
            let rpath = |f: &str| {
                vec![
                    key("group"),
                    PathSegment::Index(i),
                    key("handler"),
                    key("retry"),
                    key(f),
                ]
            };
            if let Some(m) = retry.multiplier {
                c.check(
                    (1.0..=100.0).contains(&m),
                    &rpath("multiplier"),
                    || "the multiplier must be between 1 and 100".into(),
                    Some("Spring's ExponentialBackOff rejects multipliers below 1"),
                );
            }
            let attempts = retry
                .max_attempts
                .unwrap_or(crate::engine::defaults::RETRY_MAX_ATTEMPTS);
            c.check(
                attempts <= 100,
                &rpath("max_attempts"),
                || "at most 100 retries".into(),
                None,
            );
            if retry.mode == RetryMode::Topics {
                c.check(
                    attempts >= 1,
                    &rpath("max_attempts"),
                    || "retry topics need at least one retry".into(),
                    None,
                );
            }
            if retry.fixed.is_some() {
                for field in ["initial", "multiplier", "max_interval", "max_elapsed"] {
                    let present = match field {
                        "initial" => retry.initial.is_some(),
                        "multiplier" => retry.multiplier.is_some(),
                        "max_interval" => retry.max_interval.is_some(),
                        _ => retry.max_elapsed.is_some(),
                    };
                    if present {
                        c.fail(
                            &rpath(field),
                            format!(
                                "`{field}` belongs to the exponential back-off; `fixed` is set"
                            ),
                            None,
                        );
                    }
                }
            }
        }
        if handler.dedup_ttl.is_some() && handler.idempotency != super::model::Idempotency::EventId
        {
            c.fail(
                &path("dedup_ttl"),
                "dedup_ttl applies to idempotency = \"event-id\"",
                None,
            );
        }
    }
    // Spring names dead-letter and retry topics after the consumed topic only, so two groups
    // with handlers on the same topic would share them (and replay or consume each other's
    // records). Make that an explicit choice.
    let mut dead_letter_owner: Vec<(String, usize)> = Vec::new();
    let mut retry_owner: Vec<(String, usize)> = Vec::new();
    for (i, group) in scenario.groups.iter().enumerate() {
        let (Some(handler), Some(main)) =
            (&group.handler, group.subscribed_topics().first().cloned())
        else {
            continue;
        };
        if handler.dead_letter.unwrap_or(handler.retry.is_some()) {
            let name = handler
                .dead_letter_topic
                .clone()
                .unwrap_or_else(|| format!("{main}.DLT"));
            if let Some((_, other)) = dead_letter_owner.iter().find(|(n, _)| *n == name) {
                c.fail(
                    &[key("group"), PathSegment::Index(i), key("handler")],
                    format!(
                        "groups \"{}\" and \"{}\" would share the dead-letter topic \"{name}\" (Spring's default name has no group)",
                        scenario.groups[*other].name, group.name
                    ),
                    Some(format!("set dead_letter_topic = \"{main}.{}.DLT\"", group.name)),
                );
            }
            dead_letter_owner.push((name, i));
        }
        if handler
            .retry
            .as_ref()
            .is_some_and(|r| r.mode == RetryMode::Topics)
        {
            if let Some((_, other)) = retry_owner.iter().find(|(n, _)| *n == main) {
                c.fail(
                    &[key("group"), PathSegment::Index(i), key("handler"), key("retry")],
                    format!(
                        "groups \"{}\" and \"{}\" would share the retry topics of \"{main}\" and consume each other's retries",
                        scenario.groups[*other].name, group.name
                    ),
                    Some("use retry topics in one of them".into()),
                );
            }
            retry_owner.push((main, i));
        }
    }
    let group_names: Vec<&str> = scenario.groups.iter().map(|g| g.name.as_str()).collect();

    // Timeline.
    for (i, action) in scenario.timeline.iter().enumerate() {
        c.check(
            action.at.0.micros() <= duration,
            &at("timeline", i, "at"),
            || {
                format!(
                    "this action at {} comes after the end of the run ({})",
                    action.at.0, scenario.duration.0
                )
            },
            Some("move it earlier or lengthen `duration`"),
        );
        let needs_group = matches!(
            action.action,
            ActionKind::Crash
                | ActionKind::Restart
                | ActionKind::Stop
                | ActionKind::AddInstance
                | ActionKind::ReplayDlq
        );
        let needs_instance = matches!(
            action.action,
            ActionKind::Crash | ActionKind::Restart | ActionKind::Stop
        );
        let needs_dependency = matches!(
            action.action,
            ActionKind::OutageStart | ActionKind::OutageEnd
        );
        let needs_producer = !needs_group && !needs_dependency;
        c.action_reference(
            i,
            action.action,
            "dependency",
            action.dependency.as_deref(),
            needs_dependency,
            &dependency_names,
        );
        if action.action == ActionKind::ReplayDlq {
            if let Some(group) = scenario
                .groups
                .iter()
                .find(|g| Some(&g.name) == action.group.as_ref())
            {
                let has_dlt = group
                    .handler
                    .as_ref()
                    .is_some_and(|h| h.dead_letter.unwrap_or(h.retry.is_some()));
                c.check(
                    has_dlt,
                    &at("timeline", i, "group"),
                    || {
                        format!(
                            "group \"{}\" has no dead-letter topic to replay",
                            group.name
                        )
                    },
                    Some("give its handler a retry policy or dead_letter = true"),
                );
            }
        }
        let producer_mode = |name: &Option<String>| {
            scenario
                .producers
                .iter()
                .find(|p| Some(&p.name) == name.as_ref())
                .map(|p| p.publish)
        };
        match action.action {
            ActionKind::CrashRelay
                if producer_mode(&action.producer).is_some_and(|m| m != PublishMode::Outbox) =>
            {
                c.fail(
                    &at("timeline", i, "producer"),
                    "crash_relay needs a producer with publish = \"outbox\"",
                    None,
                );
            }
            ActionKind::PauseConnector
            | ActionKind::ResumeConnector
            | ActionKind::CrashConnector
                if producer_mode(&action.producer).is_some_and(|m| m != PublishMode::Cdc) =>
            {
                c.fail(
                    &at("timeline", i, "producer"),
                    format!(
                        "{} needs a producer with publish = \"cdc\"",
                        action.action.name()
                    ),
                    None,
                );
            }
            _ => {}
        }
        c.action_reference(
            i,
            action.action,
            "group",
            action.group.as_deref(),
            needs_group,
            &group_names,
        );
        if needs_instance {
            match (action.instance, &action.group) {
                (None, _) => c.fail(
                    &[key("timeline"), PathSegment::Index(i)],
                    format!(
                        "action \"{}\" needs `instance` (numbered from 0)",
                        action.action.name()
                    ),
                    None,
                ),
                (Some(instance), Some(group)) => {
                    // Instances that exist by then: the initial ones plus earlier add_instance.
                    let added = scenario.timeline[..i]
                        .iter()
                        .filter(|a| {
                            a.action == ActionKind::AddInstance && a.group.as_ref() == Some(group)
                        })
                        .count() as u32;
                    if let Some(g) = scenario.groups.iter().find(|g| &g.name == group) {
                        let count = g.instances + added;
                        c.check(
                            instance < count,
                            &at("timeline", i, "instance"),
                            || format!("group \"{group}\" has instances 0..{} at this point, not {instance}", count.saturating_sub(1)),
                            Some("instances are numbered from 0"),
                        );
                    }
                }
                _ => {}
            }
        } else if action.instance.is_some() {
            c.fail(
                &at("timeline", i, "instance"),
                format!(
                    "action \"{}\" does not take `instance`",
                    action.action.name()
                ),
                None,
            );
        }
        c.action_reference(
            i,
            action.action,
            "producer",
            action.producer.as_deref(),
            needs_producer,
            &producer_names,
        );
        match (action.rate, action.action == ActionKind::SetRate) {
            (None, true) => c.fail(
                &[key("timeline"), PathSegment::Index(i)],
                "action \"set_rate\" needs `rate`",
                Some("e.g. rate = \"500/s\"".into()),
            ),
            (Some(_), false) => c.fail(
                &at("timeline", i, "rate"),
                format!("action \"{}\" does not take `rate`", action.action.name()),
                None,
            ),
            (Some(rate), true) => c.check(
                rate.0.per_second() <= limits::RATE,
                &at("timeline", i, "rate"),
                || format!("a rate above the limit of {}/s", limits::RATE),
                None,
            ),
            (None, false) => {}
        }
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        c.check(
            step.at.0.micros() <= duration,
            &at("step", i, "at"),
            || "this step comes after the end of the run".into(),
            None,
        );
    }
    if let Some(error) = c.error {
        return Err(error);
    }

    // Assertions.
    let mut checks = Vec::new();
    for (i, text) in scenario.expect.checks.iter().enumerate() {
        let path = [key("expect"), key("checks"), PathSegment::Index(i)];
        match Check::parse(text, &group_names, &topic_names, &producer_names) {
            Ok(check) => checks.push(check),
            Err((message, hint)) => {
                return Err(source.error_at_path(ErrorKind::Invalid, &path, false, message, hint))
            }
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_patterns() {
        let p = parse_key_pattern("order-{1..10000}").unwrap();
        assert_eq!(
            (p.prefix.as_str(), p.first, p.count, p.ranged),
            ("order-", 1, 10_000, true)
        );
        let fixed = parse_key_pattern("the-key").unwrap();
        assert_eq!((fixed.count, fixed.ranged), (1, false));
        for bad in [
            "",
            "k{1..}",
            "k{5..1}",
            "k{1-5}",
            "k{1..5",
            "k{1..2}{3..4}",
            "k{0..99999999999}",
        ] {
            assert!(parse_key_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_distributions() {
        assert_eq!(
            parse_key_distribution("uniform").unwrap(),
            KeyDistribution::Uniform
        );
        assert_eq!(
            parse_key_distribution("zipf(1.1)").unwrap(),
            KeyDistribution::Zipf(1.1)
        );
        for bad in ["zipf", "zipf(x)", "zipf(-1)", "pareto(2)"] {
            assert!(parse_key_distribution(bad).is_err(), "{bad}");
        }
    }
}
