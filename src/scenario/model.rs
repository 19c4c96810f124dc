//! The scenario file format: one serde model shared by TOML and JSON, with a JSON Schema
//! generated from the same types (`evflow schema`).
//!
//! Every struct denies unknown fields, so a typo (`partitons = 12`) is an error that names the
//! field, its line and column, and the closest known name.

use crate::distribution::DurationDist;
use crate::kafka::assignor::AssignorKind;
use crate::time::{parse_duration, parse_rate, Duration, Rate};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole scenario: the topology, what happens when, and what must hold at the end.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short title shown in the UI and reports.
    #[serde(default)]
    pub name: Option<String>,
    /// What the scenario demonstrates (free text).
    #[serde(default)]
    pub description: Option<String>,
    /// The world seed; every entity derives its own random stream from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How much simulated time to run, e.g. "60s".
    pub duration: DurationText,
    /// How often lag and throughput are sampled for charts (default 100ms; the series is
    /// thinned automatically so memory stays flat on long runs).
    #[serde(default)]
    pub sample_interval: Option<DurationText>,
    /// Topics (`[[topic]]` tables).
    #[serde(default, rename = "topic")]
    pub topics: Vec<TopicSpec>,
    /// Producers (`[[producer]]` tables).
    #[serde(default, rename = "producer")]
    pub producers: Vec<ProducerSpec>,
    /// Consumer groups (`[[group]]` tables).
    #[serde(default, rename = "group")]
    pub groups: Vec<GroupSpec>,
    /// Downstream systems handlers call synchronously (`[[dependency]]` tables): a payment
    /// gateway, or the source service an event-notification consumer calls back.
    #[serde(default, rename = "dependency")]
    pub dependencies: Vec<DependencySpec>,
    /// Timed actions: crashes, restarts, scaling, producer changes (`[[timeline]]` tables).
    #[serde(default, rename = "timeline")]
    pub timeline: Vec<ActionSpec>,
    /// Narration captions the UI shows as a lesson (`[[step]]` tables).
    #[serde(default, rename = "step")]
    pub steps: Vec<StepSpec>,
    /// Assertions on the final metrics, checked by `evflow check`.
    #[serde(default)]
    pub expect: ExpectSpec,
}

fn default_seed() -> u64 {
    1
}

/// A Kafka topic.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Topic name, e.g. "orders".
    pub name: String,
    /// Number of partitions (1 to 10000).
    pub partitions: u32,
    /// Time-based retention (`retention.ms`); Kafka's default is 7 days.
    #[serde(default)]
    pub retention: Option<DurationText>,
}

/// How a producer spaces its records in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// Exponential gaps (a Poisson process): independent arrivals, like real user traffic.
    #[default]
    Poisson,
    /// Evenly spaced records.
    Constant,
    /// `burst.size` records at once every `burst.every`.
    Burst,
}

/// Bursty production: `size` records at once every `every`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    /// Records per burst.
    pub size: u32,
    /// Time between bursts.
    pub every: DurationText,
}

/// A change of a producer's rate at a moment (a piecewise-constant schedule).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateChange {
    /// When the new rate starts.
    pub at: DurationText,
    /// The new rate.
    pub rate: RateText,
}

/// A service that publishes keyed (or keyless) records to a topic.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    /// Producer name, e.g. "checkout".
    pub name: String,
    /// The topic it publishes to.
    pub topic: String,
    /// Records per unit of time, e.g. "200/s".
    pub rate: RateText,
    /// Spacing of records: poisson (default), constant or burst.
    #[serde(default)]
    pub arrival: Arrival,
    /// Required with `arrival = "burst"`.
    #[serde(default)]
    pub burst: Option<BurstSpec>,
    /// Key pattern: `"order-{1..10000}"` draws one of 10000 keys; a plain string is one fixed
    /// key; leave it out for keyless records (sticky partitioning).
    #[serde(default)]
    pub keys: Option<String>,
    /// `"uniform"` (default) or `"zipf(1.1)"` for a few hot keys.
    #[serde(default)]
    pub key_distribution: Option<String>,
    /// Stop after this many records.
    #[serde(default)]
    pub records: Option<u64>,
    /// When the producer starts (default at once).
    #[serde(default)]
    pub start: Option<DurationText>,
    /// Rate changes over time.
    #[serde(default)]
    pub schedule: Vec<RateChange>,
    /// Serialized record size in bytes (default 200); drives the sticky partitioner's batches.
    #[serde(default)]
    pub record_size: Option<u32>,
    /// Event type name of its records (default: the producer's name), e.g. "OrderPlaced".
    #[serde(default)]
    pub event: Option<String>,
    /// Whether the entity key is the Kafka record key (default true). With `false` the key
    /// only travels in the payload: records are keyless and spread by the sticky
    /// partitioner, so per-entity order is not kept.
    #[serde(default)]
    pub keyed: Option<bool>,
    /// How the service gets its events to Kafka: `direct` (default), `outbox` (polling
    /// relay) or `cdc` (log-tailing connector).
    #[serde(default)]
    pub publish: PublishMode,
    /// Dual-write faults for `publish = "direct"`.
    #[serde(default)]
    pub dual_write: Option<DualWriteSpec>,
    /// Polling-relay settings for `publish = "outbox"`.
    #[serde(default)]
    pub outbox: Option<OutboxSpec>,
    /// Connector settings for `publish = "cdc"`.
    #[serde(default)]
    pub cdc: Option<CdcSpec>,
}

/// How a service publishes the events of its database writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublishMode {
    /// Write the database, then (or before) send to Kafka: two steps that can be split by a
    /// crash.
    #[default]
    Direct,
    /// Write the event to an outbox table in the same transaction; a relay polls and
    /// publishes it.
    Outbox,
    /// Write the event to the outbox; a CDC connector (Debezium-style) tails the database log.
    Cdc,
}

/// Which write comes first in a dual write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DualWriteOrder {
    /// Commit the database, then publish: a crash in between loses the event.
    #[default]
    DbFirst,
    /// Publish, then commit: a failed commit leaves a phantom event.
    PublishFirst,
}

/// Faults of the dual write.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DualWriteSpec {
    /// Probability per event that the service fails between the two writes.
    pub crash: f64,
    /// Which write comes first.
    #[serde(default)]
    pub order: DualWriteOrder,
}

/// A polling outbox relay (`SELECT ... FOR UPDATE SKIP LOCKED LIMIT batch`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboxSpec {
    /// How often each relay worker polls (default 1s).
    #[serde(default)]
    pub poll_interval: Option<DurationText>,
    /// Rows per poll (default 100).
    #[serde(default)]
    pub batch_size: Option<u32>,
    /// Relay workers; SKIP LOCKED gives each a disjoint batch (default 1).
    #[serde(default)]
    pub workers: Option<u32>,
    /// Time to publish one batch and mark it published (default 20ms).
    #[serde(default)]
    pub publish_time: Option<DistText>,
    /// Probability per batch that the worker crashes after publishing, before marking the
    /// rows published (they are published again: duplicates, never loss).
    #[serde(default)]
    pub crash: Option<f64>,
    /// How long a crashed worker stays down (default 5s).
    #[serde(default)]
    pub restart_after: Option<DurationText>,
    /// Delete published rows after this long (default 7d).
    #[serde(default)]
    pub cleanup_after: Option<DurationText>,
}

/// A CDC connector reading the database log (Debezium-style).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdcSpec {
    /// Delay from commit to publish (default "normal(100ms, 20ms)"); rows are still published
    /// in log order.
    #[serde(default)]
    pub lag: Option<DistText>,
    /// How often the connector records its log position (default 1s); after a crash it
    /// resumes from there, republishing what came after.
    #[serde(default)]
    pub flush_interval: Option<DurationText>,
    /// How long a crashed connector stays down (default 5s).
    #[serde(default)]
    pub restart_after: Option<DurationText>,
}

/// A time window.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start (inclusive).
    pub from: DurationText,
    /// End (exclusive).
    pub to: DurationText,
}

/// A window in which a dependency answers slowly.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowWindow {
    /// Start (inclusive).
    pub from: DurationText,
    /// End (exclusive).
    pub to: DurationText,
    /// Call latency in the window.
    pub latency: DistText,
}

/// A system called synchronously by handlers.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DependencySpec {
    /// Name, e.g. "payment-gateway".
    pub name: String,
    /// Call latency (default 10ms).
    #[serde(default)]
    pub latency: Option<DistText>,
    /// Windows in which every call fails (e.g. `[{ from = "10s", to = "20s" }]`).
    #[serde(default)]
    pub outages: Vec<Window>,
    /// Windows with another latency.
    #[serde(default)]
    pub slow: Vec<SlowWindow>,
}

/// How a handler avoids repeating side effects on redelivery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Idempotency {
    /// Naive: every delivery repeats the side effect (double charges on redelivery).
    #[default]
    None,
    /// A processed-event-id store (the seed's `processed_events` table), optionally with a TTL.
    EventId,
    /// A natural unique key (entity key + per-key sequence, e.g. a unique constraint).
    NaturalKey,
}

/// Where failed records are retried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    /// Retry in place (Spring's DefaultErrorHandler): partition order kept, the consumer
    /// stalls, lag grows behind it.
    #[default]
    Blocking,
    /// Non-blocking retry topics (`orders-retry-1000`, `orders-retry-2000`, ... then the DLT):
    /// the partition keeps flowing, per-key order can break.
    Topics,
}

/// A retry policy with Spring's back-off semantics.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// blocking (default) or topics.
    #[serde(default)]
    pub mode: RetryMode,
    /// ExponentialBackOff initial interval (default 1s).
    #[serde(default)]
    pub initial: Option<DurationText>,
    /// ExponentialBackOff multiplier (default 2.0).
    #[serde(default)]
    pub multiplier: Option<f64>,
    /// Cap of one interval (default 30s).
    #[serde(default)]
    pub max_interval: Option<DurationText>,
    /// Stop once this much back-off has accumulated (checked before adding the next).
    #[serde(default)]
    pub max_elapsed: Option<DurationText>,
    /// Retries after the first attempt (default 3).
    #[serde(default)]
    pub max_attempts: Option<u64>,
    /// A FixedBackOff of this interval instead of the exponential one.
    #[serde(default)]
    pub fixed: Option<DurationText>,
}

/// An event a handler publishes after processing (a pipeline step).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmitSpec {
    /// Target topic.
    pub topic: String,
    /// Event type name (default: the target topic's name).
    #[serde(default)]
    pub event: Option<String>,
    /// Only for incoming events of this type (default: every handled event).
    #[serde(default)]
    pub on: Option<String>,
    /// How long the service takes to get the event into Kafka after processing, e.g. its own
    /// outbox + CDC hop ("normal(150ms, 30ms)"); default: at once.
    #[serde(default)]
    pub delay: Option<DistText>,
}

/// What a group's handler does with each record.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlerSpec {
    /// Only these event types are handled; others are acknowledged without work.
    #[serde(default)]
    pub events: Vec<String>,
    /// Probability that an attempt fails transiently (retryable).
    #[serde(default)]
    pub transient_failure: f64,
    /// Probability that a record is poison (non-retryable, e.g. a deserialization error).
    #[serde(default)]
    pub poison: f64,
    /// Keys whose records are always poison.
    #[serde(default)]
    pub poison_keys: Vec<String>,
    /// A dependency called on every attempt (fails during its outages, adds its latency).
    #[serde(default)]
    pub calls: Option<String>,
    /// Retry policy (default: no retries).
    #[serde(default)]
    pub retry: Option<RetrySpec>,
    /// Send records whose retries are exhausted (or that are poison) to a dead-letter topic
    /// (default true when `retry` is set; otherwise failed records are logged and skipped).
    #[serde(default)]
    pub dead_letter: Option<bool>,
    /// The dead-letter topic's name (default `<topic>.DLT`, same partition, as
    /// `DeadLetterPublishingRecoverer` does).
    #[serde(default)]
    pub dead_letter_topic: Option<String>,
    /// none (default), event-id or natural-key.
    #[serde(default)]
    pub idempotency: Idempotency,
    /// How long the processed-event-id store keeps an id (default: forever).
    #[serde(default)]
    pub dedup_ttl: Option<DurationText>,
    /// Events published after a successful attempt.
    #[serde(default)]
    pub emit: Vec<EmitSpec>,
}

/// When a consumer commits its offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommitPolicy {
    /// `enable.auto.commit=true`: commit in `poll()` every `auto_commit_interval` and before a
    /// rebalance (Kafka's default).
    #[default]
    Auto,
    /// Commit after each processed record.
    Record,
    /// Commit after each polled batch.
    Batch,
}

/// Where a consumer starts on a partition with no committed offset (`auto.offset.reset`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    /// Kafka's default: start at the log end, skipping what is already there.
    #[default]
    Latest,
    /// Start at the log start.
    Earliest,
}

/// A consumer group: instances sharing a subscription and its partitions.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Group id, e.g. "payment-service".
    pub name: String,
    /// The topic it consumes (or use `topics`).
    #[serde(default)]
    pub topic: Option<String>,
    /// Several subscribed topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Number of consumer instances at the start.
    pub instances: u32,
    /// Partition assignor: range (Kafka's default), roundrobin, sticky, cooperative-sticky.
    #[serde(default)]
    pub assignor: AssignorName,
    /// Per-record processing time, e.g. "5ms" or "exp(5ms)".
    #[serde(default)]
    pub processing: Option<DistText>,
    /// `max.poll.records` (Kafka default 500).
    #[serde(default)]
    pub max_poll_records: Option<u32>,
    /// Offset commit policy: auto (default), record, batch.
    #[serde(default)]
    pub commit: CommitPolicy,
    /// `auto.commit.interval.ms` (Kafka default 5s).
    #[serde(default)]
    pub auto_commit_interval: Option<DurationText>,
    /// `session.timeout.ms`: how long a crashed instance keeps its partitions (default 45s).
    #[serde(default)]
    pub session_timeout: Option<DurationText>,
    /// Time from the last member joining to the new assignment (JoinGroup + SyncGroup round
    /// trips and callbacks); default 1s.
    #[serde(default)]
    pub rebalance_time: Option<DurationText>,
    /// Delay between a record being appended and an idle consumer fetching it (default 1ms).
    #[serde(default)]
    pub fetch_latency: Option<DurationText>,
    /// `auto.offset.reset`: latest (Kafka's default) or earliest.
    #[serde(default)]
    pub offset_reset: OffsetReset,
    /// What the handler does: failures, retries, dead letters, idempotency, emitted events.
    #[serde(default)]
    pub handler: Option<HandlerSpec>,
}

impl GroupSpec {
    /// The subscribed topics, whichever of `topic` / `topics` was used.
    pub fn subscribed_topics(&self) -> Vec<String> {
        let mut all: Vec<String> = self.topic.iter().cloned().collect();
        all.extend(self.topics.iter().cloned());
        all
    }
}

/// A timed action of the timeline.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// When it happens, e.g. "20s".
    pub at: DurationText,
    /// What happens.
    pub action: ActionKind,
    /// The consumer group (for instance actions).
    #[serde(default)]
    pub group: Option<String>,
    /// The instance number within the group, from 0 (for crash / restart / stop).
    #[serde(default)]
    pub instance: Option<u32>,
    /// The producer (for producer actions).
    #[serde(default)]
    pub producer: Option<String>,
    /// The new rate (for `set_rate`).
    #[serde(default)]
    pub rate: Option<RateText>,
    /// The dependency (for `outage_start` / `outage_end`).
    #[serde(default)]
    pub dependency: Option<String>,
}

/// The kinds of timeline action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Kill an instance without a goodbye: its partitions stall until `session_timeout`.
    Crash,
    /// Start a crashed or stopped instance again (it joins as a new member).
    Restart,
    /// Stop an instance cleanly: it commits, leaves the group, a rebalance follows at once.
    Stop,
    /// Scale a group out by one instance.
    AddInstance,
    /// Pause a producer.
    PauseProducer,
    /// Resume a paused producer.
    ResumeProducer,
    /// Change a producer's rate.
    SetRate,
    /// A dependency starts failing every call.
    OutageStart,
    /// A dependency recovers.
    OutageEnd,
    /// Re-publish a group's dead-letter records to the original topic.
    ReplayDlq,
    /// Crash a producer's outbox relay workers.
    CrashRelay,
    /// Pause a producer's CDC connector.
    PauseConnector,
    /// Resume a paused CDC connector.
    ResumeConnector,
    /// Crash a producer's CDC connector (it resumes from its last flushed position).
    CrashConnector,
}

impl ActionKind {
    /// The snake_case name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Crash => "crash",
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::AddInstance => "add_instance",
            ActionKind::PauseProducer => "pause_producer",
            ActionKind::ResumeProducer => "resume_producer",
            ActionKind::SetRate => "set_rate",
            ActionKind::OutageStart => "outage_start",
            ActionKind::OutageEnd => "outage_end",
            ActionKind::ReplayDlq => "replay_dlq",
            ActionKind::CrashRelay => "crash_relay",
            ActionKind::PauseConnector => "pause_connector",
            ActionKind::ResumeConnector => "resume_connector",
            ActionKind::CrashConnector => "crash_connector",
        }
    }
}

/// A narration caption shown at a moment of the run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// When the caption appears.
    pub at: DurationText,
    /// The caption.
    pub say: String,
    /// Whether the UI pauses the animation here.
    #[serde(default)]
    pub pause: bool,
}

/// Assertions on the final metrics.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// Each check is `metric op value`, e.g. `"lost == 0"`,
    /// `"max_lag(payment-service) < 500"`, `"p99_latency(payment-service) < 2s"`.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// Declares a newtype that is written as a validated string in scenario files.
macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty), $parse:expr, $fmt:expr, $pattern:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name(pub $inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $parse(&text).map($name).map_err(serde::de::Error::custom)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&$fmt(&self.0))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_string()
            }
            fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                let mut schema = schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    ..Default::default()
                };
                schema.string().pattern = Some($pattern.to_string());
                schema.metadata().description = Some(stringify!($name).to_string());
                schema.into()
            }
        }
    };
}

text_newtype!(
    /// A duration such as "250ms", "1.5s", "2m30s", "7d".
    DurationText(Duration),
    parse_duration,
    |d: &Duration| d.to_string(),
    r"^\s*(0|([0-9]+(\.[0-9]+)?\s*(us|µs|ms|s|sec|m|min|h|d)\s*)+)$"
);
text_newtype!(
    /// A rate such as "200/s" or "3000/min".
    RateText(Rate),
    parse_rate,
    |r: &Rate| r.to_string(),
    r"^\s*[0-9]+(\.[0-9]+)?\s*/\s*([0-9.]*\s*(us|µs|ms|s|sec|m|min|h|d))\s*$"
);
text_newtype!(
    /// A duration distribution: "5ms", "uniform(1ms, 5ms)", "exp(5ms)", "normal(10ms, 2ms)",
    /// "lognormal(10ms, 0.5)".
    DistText(DurationDist),
    DurationDist::parse,
    |d: &DurationDist| d.to_string(),
    r"^\s*([a-z]+\(.*\)|[0-9].*)\s*$"
);

/// The name of a partition assignor, as in `partition.assignment.strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssignorName(pub AssignorKind);

impl Default for AssignorName {
    /// Kafka's consumer uses the RangeAssignor first by default.
    fn default() -> Self {
        AssignorName(AssignorKind::Range)
    }
}

impl<'de> Deserialize<'de> for AssignorName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<AssignorKind>().map(AssignorName).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown assignor \"{text}\"{}, expected one of range, roundrobin, sticky, cooperative-sticky",
                crate::scenario::error::did_you_mean(
                    &text,
                    AssignorKind::ALL.iter().map(|kind| kind.name())
                )
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default()
            ))
        })
    }
}

impl Serialize for AssignorName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

impl JsonSchema for AssignorName {
    fn schema_name() -> String {
        "AssignorName".to_string()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let schema = schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            enum_values: Some(
                AssignorKind::ALL
                    .iter()
                    .map(|kind| serde_json::Value::String(kind.name().to_string()))
                    .collect(),
            ),
            ..Default::default()
        };
        schema.into()
    }
}
