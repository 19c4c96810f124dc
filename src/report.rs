//! Running a scenario to its end and summarising the result: the consumer-groups table as
//! `kafka-consumer-groups.sh --describe` prints it, counters, latency percentiles, the trace
//! hash. Shared by the CLI, the web app and the tests.

use crate::engine::world::{HandlingStats, InstanceState, PublishStats, World};
use crate::engine::{BuildError, Simulation};
use crate::invariants::InvariantChecker;
use crate::metrics::Metrics;
use crate::observer::{Observer, SimEvent};
use crate::scenario::model::Scenario;
use crate::time::SimTime;
use crate::trace::TraceRecorder;
use hdrhistogram::Histogram;
use serde::Serialize;

/// The standard observers of a run: metrics, trace hash (and lines), and optionally the
/// invariant checker. `Clone`, so the UI can checkpoint it together with the simulation.
#[derive(Clone)]
pub struct Recorder {
    /// Counters, histograms, series.
    pub metrics: Metrics,
    /// Trace hash and kept lines.
    pub trace: TraceRecorder,
    /// Invariant checker, if enabled.
    pub invariants: Option<InvariantChecker>,
}

impl Recorder {
    /// Observers shaped for `world`.
    pub fn new(world: &World, trace_lines: usize, check_invariants: bool) -> Self {
        Recorder {
            metrics: Metrics::new(world),
            trace: TraceRecorder {
                limit: trace_lines,
                ..TraceRecorder::default()
            },
            invariants: check_invariants.then(|| InvariantChecker::new(world)),
        }
    }
}

impl Observer for Recorder {
    #[inline]
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        self.metrics.on_event(now, event, world);
        self.trace.on_event(now, event, world);
        if let Some(checker) = &mut self.invariants {
            check_event(checker, now, event, world);
        }
    }

    fn on_finish(&mut self, now: SimTime, world: &World) {
        self.metrics.on_finish(now, world);
        if let Some(checker) = &mut self.invariants {
            checker.on_finish(now, world);
        }
    }
}

/// The invariant checker's look at one event, out of line: only `--check-invariants` runs and
/// tests have a checker, and inlined into [`Recorder::on_event`] its code made every call save and
/// restore more registers (that function's entry and exit were 2.8% of the instructions of the
/// SimPy retry-topic run, callgrind).
#[cold]
#[inline(never)]
fn check_event(checker: &mut InvariantChecker, now: SimTime, event: &SimEvent, world: &World) {
    checker.on_event(now, event, world);
}

/// Options of [`run`].
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Override the scenario's seed.
    pub seed: Option<u64>,
    /// Stop at this time instead of the scenario's duration.
    pub until: Option<SimTime>,
    /// Keep this many trace lines.
    pub trace_lines: usize,
    /// Attach the invariant checker.
    pub check_invariants: bool,
}

/// One row of the consumer-groups table.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DescribeRow {
    /// GROUP
    pub group: String,
    /// TOPIC
    pub topic: String,
    /// PARTITION
    pub partition: u32,
    /// CURRENT-OFFSET (`None` prints `-`)
    pub current_offset: Option<u64>,
    /// LOG-END-OFFSET
    pub log_end_offset: u64,
    /// LAG (`None` prints `-`)
    pub lag: Option<u64>,
    /// CONSUMER-ID (`None` prints `-`)
    pub consumer_id: Option<String>,
    /// HOST
    pub host: Option<String>,
    /// CLIENT-ID
    pub client_id: Option<String>,
}

/// Latency percentiles in microseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean_us: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Maximum.
    pub max_us: u64,
}

impl Latency {
    /// The percentiles of a histogram of microseconds.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Latency::default();
        }
        Latency {
            count: histogram.len(),
            mean_us: histogram.mean().round() as u64,
            p50_us: histogram.value_at_quantile(0.5),
            p90_us: histogram.value_at_quantile(0.9),
            p99_us: histogram.value_at_quantile(0.99),
            p999_us: histogram.value_at_quantile(0.999),
            max_us: histogram.max(),
        }
    }
}

/// Per-group summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GroupReport {
    /// Group id.
    pub name: String,
    /// Assignor name.
    pub assignor: String,
    /// Final generation.
    pub generation: u32,
    /// Instances running at the end.
    pub running_instances: usize,
    /// Records processed (with redeliveries).
    pub processed: u64,
    /// Redelivered records processed again.
    pub duplicates: u64,
    /// Records handed out by polls.
    pub delivered: u64,
    /// Records never processed: deleted by retention first, or skipped by offset reset.
    pub lost: u64,
    /// Rebalances after the group formed.
    pub rebalances: u64,
    /// Crashes.
    pub crashes: u64,
    /// Final total lag.
    pub lag: u64,
    /// Largest sampled total lag.
    pub max_lag: u64,
    /// Records polled but not processed at the end.
    pub in_flight: u64,
    /// Produce-to-processed latency.
    pub latency: Latency,
    /// From the chain's first event (the click) to this group's successful processing.
    pub step_latency: Latency,
    /// Handler counters (attempts, retries, dead letters, side effects, order).
    pub handling: HandlingStats,
    /// Records in the dead-letter topic not replayed yet, at the end.
    pub dlq_depth: u64,
    /// Largest sampled DLQ depth.
    pub max_dlq_depth: u64,
}

/// Per-producer (publishing service) summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProducerReport {
    /// Producer name.
    pub name: String,
    /// Its topic.
    pub topic: String,
    /// `direct`, `dual-write`, `outbox` or `cdc`.
    pub publish: String,
    /// Dual-write / outbox / CDC counters.
    pub stats: PublishStats,
    /// Business write to first appearance in Kafka.
    pub publish_latency: Latency,
}

/// A dead-letter record with Spring's `kafka_dlt-*` headers and its failed attempts.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DeadLetterReport {
    /// The group that gave up.
    pub group: String,
    /// The event.
    pub event_id: u64,
    /// `kafka_dlt-original-topic`
    pub original_topic: String,
    /// `kafka_dlt-original-partition`
    pub original_partition: u32,
    /// `kafka_dlt-original-offset`
    pub original_offset: u64,
    /// `kafka_dlt-exception-fqcn`
    pub exception: String,
    /// Times of the failed attempts (µs).
    pub failures_us: Vec<u64>,
    /// When it was dead-lettered (µs).
    pub at_us: u64,
}

/// Whole-run counters.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counters {
    /// Records produced.
    pub produced: u64,
    /// Records processed over all groups (with redeliveries).
    pub processed: u64,
    /// Redeliveries over all groups.
    pub duplicates: u64,
    /// Events lost: never published (dual write), or never processed by some group
    /// (retention, offset reset).
    pub lost: u64,
    /// Phantom events (published for a write that failed).
    pub phantom: u64,
    /// Records sent to dead-letter topics.
    pub dead_lettered: u64,
    /// Side effects repeated for an already-applied event (double charges).
    pub double_charges: u64,
    /// Records processed after a later record of the same entity.
    pub out_of_order: u64,
    /// Rebalances over all groups.
    pub rebalances: u64,
    /// Instance crashes.
    pub crashes: u64,
    /// Kernel events processed.
    pub kernel_events: u64,
}

/// Per-topic summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TopicReport {
    /// Topic name.
    pub name: String,
    /// Partition count.
    pub partitions: u32,
    /// Records produced to it.
    pub produced: u64,
}

/// The summary of a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Simulated time reached, in microseconds.
    pub end_us: u64,
    /// Counters.
    pub counters: Counters,
    /// Per-topic summaries.
    pub topics: Vec<TopicReport>,
    /// Per-group summaries.
    pub groups: Vec<GroupReport>,
    /// Per-producer summaries.
    pub producers: Vec<ProducerReport>,
    /// The first dead-letter records (at most 100).
    pub dead_letters: Vec<DeadLetterReport>,
    /// Produce-to-processed latency over all groups.
    pub latency: Latency,
    /// The consumer-groups table.
    pub describe: Vec<DescribeRow>,
    /// Stable hash of the trace.
    pub trace_hash: String,
    /// Events in the trace.
    pub trace_events: u64,
    /// Invariant violations (empty when unchecked or clean).
    pub violations: Vec<String>,
}

impl Report {
    /// The summary of the group named `name`.
    pub fn group(&self, name: &str) -> Option<&GroupReport> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// The `kafka-consumer-groups.sh --describe` rows of every group, sorted by group, topic and
/// partition. A partition without an owner shows `-` for CONSUMER-ID / HOST / CLIENT-ID, and
/// one without a committed offset `-` for CURRENT-OFFSET and LAG, as Kafka prints them.
pub fn describe(world: &World) -> Vec<DescribeRow> {
    let mut rows = Vec::new();
    for group in &world.groups {
        for (slot, gp) in group.partitions.iter().enumerate() {
            let log = &world.topics[gp.topic as usize].partitions[gp.partition as usize];
            let owner = gp.owner.filter(|o| {
                let i = &group.instances[o.instance as usize];
                i.state == InstanceState::Running && i.incarnation == o.incarnation
            });
            let (consumer_id, host, client_id) = match owner {
                Some(o) => {
                    let name = &group.instances[o.instance as usize].name;
                    (
                        Some(format!(
                            "{name}-{:08x}",
                            crate::rng::stable_hash(&format!("{name}/{}", o.incarnation)) as u32
                        )),
                        Some(format!(
                            "/10.0.{}.{}",
                            o.instance / 250,
                            o.instance % 250 + 1
                        )),
                        Some(name.clone()),
                    )
                }
                None => (None, None, None),
            };
            rows.push(DescribeRow {
                group: group.name.clone(),
                topic: world.topics[gp.topic as usize].name.clone(),
                partition: gp.partition,
                current_offset: gp.committed,
                log_end_offset: log.end_offset(),
                lag: group.partition_lag(slot, &world.topics),
                consumer_id,
                host,
                client_id,
            });
        }
    }
    rows.sort_by(|a, b| (&a.group, &a.topic, a.partition).cmp(&(&b.group, &b.topic, b.partition)));
    rows
}

/// Builds the report of a finished (or stopped) simulation.
pub fn summarize(scenario_name: &str, simulation: &Simulation, recorder: &Recorder) -> Report {
    let world = simulation.world();
    let metrics = &recorder.metrics;
    let groups: Vec<GroupReport> = world
        .groups
        .iter()
        .zip(&metrics.groups)
        .enumerate()
        .map(|(index, (group, m))| GroupReport {
            name: group.name.clone(),
            assignor: group.config.assignor.name().to_string(),
            generation: group.generation,
            running_instances: group
                .instances
                .iter()
                .filter(|i| i.state == InstanceState::Running)
                .count(),
            processed: m.processed,
            duplicates: m.duplicates,
            delivered: m.delivered,
            lost: m.skipped_expired + m.skipped_reset,
            rebalances: m.rebalances.saturating_sub(1),
            crashes: m.crashes,
            lag: group.total_lag(&world.topics),
            max_lag: m.max_lag,
            in_flight: group
                .instances
                .iter()
                .map(|i| i.records_in_hand() as u64)
                .sum(),
            latency: Latency::of(&m.latency()),
            step_latency: Latency::of(&m.step_latency()),
            handling: group.handling.stats.clone(),
            dlq_depth: world.dlq_depth(index as u16),
            max_dlq_depth: m.max_dlq,
        })
        .collect();
    let producers: Vec<ProducerReport> = world
        .producers
        .iter()
        .zip(&metrics.publish_latency)
        .map(|(p, latency)| ProducerReport {
            name: p.name.clone(),
            topic: world.topics[p.topic as usize].name.clone(),
            publish: match &p.publisher {
                crate::engine::world::Publisher::Direct(None) => "direct",
                crate::engine::world::Publisher::Direct(Some(_)) => "dual-write",
                crate::engine::world::Publisher::Outbox(_) => "outbox",
                crate::engine::world::Publisher::Cdc(_) => "cdc",
            }
            .to_string(),
            stats: p.publish_stats.clone(),
            publish_latency: Latency::of(&latency.histogram()),
        })
        .collect();
    let counters = Counters {
        produced: crate::metrics::distinct_published(world),
        processed: groups.iter().map(|g| g.processed).sum(),
        duplicates: groups.iter().map(|g| g.duplicates).sum(),
        lost: groups.iter().map(|g| g.lost).sum::<u64>()
            + producers.iter().map(|p| p.stats.lost).sum::<u64>(),
        phantom: producers.iter().map(|p| p.stats.phantom).sum(),
        dead_lettered: groups.iter().map(|g| g.handling.dead_lettered).sum(),
        double_charges: groups
            .iter()
            .map(|g| g.handling.repeated_side_effects)
            .sum(),
        out_of_order: groups.iter().map(|g| g.handling.out_of_order).sum(),
        rebalances: groups.iter().map(|g| g.rebalances).sum(),
        crashes: groups.iter().map(|g| g.crashes).sum(),
        kernel_events: world.kernel_events(),
    };
    Report {
        scenario: scenario_name.to_string(),
        seed: world.seed,
        end_us: simulation.now(),
        counters,
        topics: world
            .topics
            .iter()
            .map(|topic| TopicReport {
                name: topic.name.clone(),
                partitions: topic.partitions.len() as u32,
                produced: topic.appended(),
            })
            .collect(),
        groups,
        producers,
        dead_letters: world
            .dead_letters
            .iter()
            .take(100)
            .map(|d| DeadLetterReport {
                group: world.groups[d.group as usize].name.clone(),
                event_id: d.event_id,
                original_topic: world.topics[d.original_topic as usize].name.clone(),
                original_partition: d.original_partition,
                original_offset: d.original_offset,
                exception: d.exception.to_string(),
                failures_us: d.failures.clone(),
                at_us: d.at,
            })
            .collect(),
        latency: Latency::of(&crate::metrics::all_groups_latency(metrics)),
        describe: describe(world),
        trace_hash: recorder.trace.hash.hex(),
        trace_events: recorder.trace.hash.events(),
        violations: recorder
            .invariants
            .as_ref()
            .map(|c| c.violations.clone())
            .unwrap_or_default(),
    }
}

/// A finished run: its report and the recorder (series, trace lines) for further output.
pub struct Run {
    /// The summary.
    pub report: Report,
    /// Metrics and trace.
    pub recorder: Recorder,
}

/// Builds and runs a scenario to its end (or `options.until`).
pub fn run(scenario: &Scenario, options: &RunOptions) -> Result<Run, BuildError> {
    run_with_progress(scenario, options, |_, _| {})
}

/// Like [`run`], calling `progress(now, end)` every few thousand events (for progress bars).
pub fn run_with_progress(
    scenario: &Scenario,
    options: &RunOptions,
    mut progress: impl FnMut(SimTime, SimTime),
) -> Result<Run, BuildError> {
    let mut simulation = Simulation::from_scenario(scenario, options.seed)?;
    let mut recorder = Recorder::new(
        simulation.world(),
        options.trace_lines,
        options.check_invariants,
    );
    let end = options
        .until
        .unwrap_or(simulation.end())
        .min(simulation.end());
    // The run samples up to `end`, then once more at the finish: the series can keep only
    // the samples that thinning would leave (see `Series::plan`).
    recorder
        .metrics
        .series
        .plan(simulation.samples_until(end) + 1);
    // Steps in chunks, with progress between them.
    while simulation.steps_due_with(end, 16_384, &mut recorder) == 16_384 {
        progress(simulation.now(), end);
    }
    simulation.step_until_with(end, &mut recorder);
    if end < simulation.end() {
        // Stopped early (`--until`): still close the books at that time.
        recorder.on_finish(end, simulation.world());
    }
    progress(end, end);
    let name = scenario.name.clone().unwrap_or_default();
    let report = summarize(&name, &simulation, &recorder);
    Ok(Run { report, recorder })
}
