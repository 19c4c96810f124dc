//! The deterministic discrete-event engine.
//!
//! Like nexosim, a builder ([`Simulation::from_scenario`]) yields a [`Simulation`] that is
//! driven by [`Simulation::step`], [`Simulation::step_until`] and [`Simulation::run_to_end`].
//! The kernel is the [`queue::EventQueue`] ordered by `(time, insertion sequence)`, holding the
//! world's events in a packed form (`event.rs`: handlers match on the `Event` enum, the agenda
//! stores a `u64` and a kind byte); the model is the [`world::World`]; observers (metrics,
//! traces, checkers, the UI) watch through [`crate::observer::Observer`].

pub(crate) mod event;
pub mod key_table;
use key_table::KeyTable;
pub mod queue;
pub mod table;
pub mod world;

use crate::backoff::{ExponentialBackOff, FixedBackOff};
use crate::distribution::{DurationDist, KeyChooser};
use crate::kafka::partitioner::{StickyPartitioner, DEFAULT_BATCH_SIZE_BYTES};
use crate::observer::Observer;
use crate::scenario::model::{ActionKind, Arrival, Scenario};
use crate::scenario::model::{HandlerSpec, ProducerSpec, PublishMode, RetryMode};
use crate::scenario::validate::{
    parse_key_distribution, parse_key_pattern, KeyDistribution, KeyPattern,
};
use crate::time::{SimTime, MILLIS};
use world::{
    Action, BackoffPolicy, CdcConnector, GroupConfig, Handler, KeySpace, Keys, OutboxRelay,
    PartitionTable, Publisher, Retry, World,
};

/// Defaults that Kafka (or a sensible simulation) uses when a scenario leaves a field out.
pub mod defaults {
    use crate::time::{MILLIS, SECONDS};
    /// Kafka's `log.retention.hours = 168` (7 days).
    pub const RETENTION: u64 = 7 * 24 * 3_600 * SECONDS;
    /// Kafka's `max.poll.records`.
    pub const MAX_POLL_RECORDS: u32 = 500;
    /// Kafka's `auto.commit.interval.ms`.
    pub const AUTO_COMMIT_INTERVAL: u64 = 5 * SECONDS;
    /// Kafka's `session.timeout.ms` since 3.0 (KIP-735).
    pub const SESSION_TIMEOUT: u64 = 45 * SECONDS;
    /// Join + sync round trips of a rebalance.
    pub const REBALANCE_TIME: u64 = SECONDS;
    /// Fetch latency of an idle consumer.
    pub const FETCH_LATENCY: u64 = MILLIS;
    /// Per-record processing time.
    pub const PROCESSING: u64 = MILLIS;
    /// Chart sampling interval.
    pub const SAMPLE_INTERVAL: u64 = 100 * MILLIS;
    /// Serialized record size in bytes.
    pub const RECORD_SIZE: u32 = 200;
    /// Latency of a dependency call.
    pub const DEPENDENCY_LATENCY: u64 = 10 * MILLIS;
    /// Spring's ExponentialBackOff as commonly configured for Kafka retries.
    pub const RETRY_INITIAL: u64 = SECONDS;
    /// Back-off multiplier.
    pub const RETRY_MULTIPLIER: f64 = 2.0;
    /// Cap of one back-off interval (Spring's default max interval).
    pub const RETRY_MAX_INTERVAL: u64 = 30 * SECONDS;
    /// Retries after the first attempt (Spring's retry-topic default of 3 attempts in all is
    /// 2 retries; 3 retries is the common `ExponentialBackOffWithMaxRetries(3)`).
    pub const RETRY_MAX_ATTEMPTS: u64 = 3;
    /// Outbox relay poll interval.
    pub const OUTBOX_POLL_INTERVAL: u64 = SECONDS;
    /// Outbox relay batch size (the seed's LIMIT 100).
    pub const OUTBOX_BATCH: u32 = 100;
    /// Time to publish and mark one batch.
    pub const OUTBOX_PUBLISH_TIME: u64 = 20 * MILLIS;
    /// Downtime of a crashed relay worker or connector.
    pub const RESTART_AFTER: u64 = 5 * SECONDS;
    /// Published outbox rows are kept this long (the seed's 7-day cleanup).
    pub const OUTBOX_CLEANUP: u64 = 7 * 24 * 3_600 * SECONDS;
    /// CDC commit-to-publish lag (mean of a normal with a 20% standard deviation: the seed's
    /// "near real-time (~100ms)").
    pub const CDC_LAG: u64 = 100 * MILLIS;
    /// CDC offset flush interval.
    pub const CDC_FLUSH: u64 = SECONDS;
}

/// A runnable simulation: the world and its end time. It is `Clone`: a clone is a checkpoint
/// from which the run continues identically (the UI seeks by restoring one and replaying).
#[derive(Clone)]
pub struct Simulation {
    world: World,
    end: SimTime,
    finished: bool,
}

/// The per-entity counters written (and rows handed out) during a stretch of a run: one
/// journal per producer (see [`key_table`]). A seek checkpoint stores these instead of a copy
/// of the tables.
pub type EntityWrites = Vec<Vec<key_table::EntityWrite>>;

impl Simulation {
    /// Starts journaling per-entity writes (see [`Simulation::take_entity_writes`]).
    pub fn record_entity_writes(&mut self) {
        for producer in &mut self.world.producers {
            producer.entities.record_writes(true);
        }
    }

    /// The per-entity writes since the last call (or since recording started).
    pub fn take_entity_writes(&mut self) -> EntityWrites {
        self.world
            .producers
            .iter_mut()
            .map(|p| p.entities.take_writes())
            .collect()
    }

    /// A clone whose per-entity tables are empty: a checkpoint that stores the entity writes
    /// separately. Restore it with [`Simulation::rebuild_entities`].
    pub fn clone_without_entities(&mut self) -> Simulation {
        let tables = self.take_entity_tables();
        let copy = self.clone();
        self.put_entity_tables(tables);
        copy
    }

    /// Rebuilds the per-entity tables of a [`Simulation::clone_without_entities`] clone by
    /// replaying every write from the start of the run up to its checkpoint, in order. The
    /// journals stay off; call [`Simulation::record_entity_writes`] to go on recording.
    pub fn rebuild_entities<'a>(&mut self, writes: impl IntoIterator<Item = &'a EntityWrites>) {
        for producer in &mut self.world.producers {
            producer.entities = producer.entities.empty_like();
        }
        self.apply_entity_writes(writes);
    }

    /// Replays stretches of entity writes onto the tables, oldest first.
    pub fn apply_entity_writes<'a>(&mut self, writes: impl IntoIterator<Item = &'a EntityWrites>) {
        for stretch in writes {
            for (producer, journal) in self.world.producers.iter_mut().zip(stretch) {
                producer.entities.apply(journal);
            }
        }
    }

    /// Takes stretches of entity writes back, given newest first: the tables return to their
    /// state before the oldest of them.
    pub fn undo_entity_writes<'a>(&mut self, writes: impl IntoIterator<Item = &'a EntityWrites>) {
        for stretch in writes {
            for (producer, journal) in self.world.producers.iter_mut().zip(stretch) {
                producer.entities.undo(journal);
            }
        }
    }

    /// Moves the per-entity tables out, leaving empty ones of the same shape (to hand them to
    /// a restored checkpoint of the same run with [`Simulation::put_entity_tables`]).
    pub fn take_entity_tables(&mut self) -> Vec<KeyTable> {
        self.world
            .producers
            .iter_mut()
            .map(|p| {
                let empty = p.entities.empty_like();
                std::mem::replace(&mut p.entities, empty)
            })
            .collect()
    }

    /// Installs per-entity tables taken from a simulation of the same scenario.
    pub fn put_entity_tables(&mut self, tables: Vec<KeyTable>) {
        for (producer, table) in self.world.producers.iter_mut().zip(tables) {
            producer.entities = table;
        }
    }
}

/// Why a validated scenario could still not be built (should not happen: validation catches
/// these first, but the engine never panics on input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A name refers to nothing.
    #[error("unknown {kind} \"{name}\"")]
    UnknownName {
        /// What kind of thing ("topic", "group", ...).
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A field has a value the engine cannot use.
    #[error("{0}")]
    Invalid(String),
}

impl Simulation {
    /// Builds the simulation of a (validated) scenario. `seed` overrides the scenario's seed.
    pub fn from_scenario(scenario: &Scenario, seed: Option<u64>) -> Result<Self, BuildError> {
        let seed = seed.unwrap_or(scenario.seed);
        // Long runs sample more coarsely by default, about 4,096 samples a run: every sample
        // counts towards the largest lag and DLQ depth (`max_lag`, `max_dlq_depth`), and the
        // series keeps at most `metrics::SERIES_CAPACITY` (2,048) of them, thinning by half.
        let sample = scenario.sample_interval.map_or(
            defaults::SAMPLE_INTERVAL.max(scenario.duration.0.micros() / 4_096),
            |d| d.0.micros(),
        );
        // Groups, producers and instances are numbered with `u16`s (topics are checked as they
        // are added, in `World::add_topic`; instances added later, in `World::on_action`): a
        // number that wrapped would name another entity, and the engine's lookups trust its own
        // numbers (see `table`).
        for (count, what) in [
            (scenario.groups.len(), "groups"),
            (scenario.producers.len(), "producers"),
        ] {
            if count > usize::from(u16::MAX) + 1 {
                return Err(BuildError::Invalid(format!(
                    "{count} {what}: at most {} can be numbered",
                    usize::from(u16::MAX) + 1
                )));
            }
        }
        // One fewer instance: loops over a group's members count them in a `u16`.
        if let Some(group) = scenario
            .groups
            .iter()
            .find(|g| g.instances > u32::from(u16::MAX))
        {
            return Err(BuildError::Invalid(format!(
                "group {} has {} instances: at most {}",
                group.name,
                group.instances,
                u16::MAX
            )));
        }
        let mut world = World::empty(seed, sample.max(MILLIS));
        let topic_index =
            |name: &str| index_of("topic", name, scenario.topics.iter().map(|t| &t.name));
        for topic in &scenario.topics {
            if topic.partitions == 0 {
                return Err(BuildError::Invalid(format!(
                    "topic {} has no partitions",
                    topic.name
                )));
            }
            let retention = topic
                .retention
                .map_or(defaults::RETENTION, |d| d.0.micros());
            world.add_topic(&topic.name, topic.partitions, retention)?;
        }
        for dependency in &scenario.dependencies {
            world.dependencies.push(world::Dependency {
                name: dependency.name.clone(),
                latency: dependency
                    .latency
                    .map_or(DurationDist::Constant(defaults::DEPENDENCY_LATENCY), |d| {
                        d.0
                    }),
                slow: dependency
                    .slow
                    .iter()
                    .map(|w| (w.from.0.micros(), w.to.0.micros(), w.latency.0))
                    .collect(),
                down: false,
            });
        }
        for producer in &scenario.producers {
            let name = producer
                .event
                .clone()
                .unwrap_or_else(|| producer.name.clone());
            world.event_type(&name);
        }
        for group in &scenario.groups {
            let mut topics = group
                .subscribed_topics()
                .iter()
                .map(|t| topic_index(t))
                .collect::<Result<Vec<_>, _>>()?;
            let handler = match &group.handler {
                Some(spec) => Some(build_handler(&mut world, scenario, spec, &mut topics)?),
                None => None,
            };
            let config = GroupConfig {
                assignor: group.assignor.0,
                processing: group
                    .processing
                    .map_or(DurationDist::Constant(defaults::PROCESSING), |d| d.0),
                max_poll_records: group
                    .max_poll_records
                    .unwrap_or(defaults::MAX_POLL_RECORDS)
                    .max(1),
                commit: group.commit,
                auto_commit_interval: group
                    .auto_commit_interval
                    .map_or(defaults::AUTO_COMMIT_INTERVAL, |d| d.0.micros()),
                session_timeout: group
                    .session_timeout
                    .map_or(defaults::SESSION_TIMEOUT, |d| d.0.micros()),
                rebalance_time: group
                    .rebalance_time
                    .map_or(defaults::REBALANCE_TIME, |d| d.0.micros()),
                fetch_latency: group
                    .fetch_latency
                    .map_or(defaults::FETCH_LATENCY, |d| d.0.micros()),
                offset_reset: group.offset_reset,
            };
            world.add_group(&group.name, topics, group.instances, config, handler);
        }
        for producer in &scenario.producers {
            let topic = topic_index(&producer.topic)?;
            let partitions = scenario.topics[topic as usize].partitions;
            let sticky = || StickyPartitioner::new(partitions, DEFAULT_BATCH_SIZE_BYTES);
            let keys = match &producer.keys {
                None => Keys::Keyless(sticky()),
                Some(pattern) => {
                    let pattern = parse_key_pattern(pattern).map_err(BuildError::Invalid)?;
                    let chooser = match producer
                        .key_distribution
                        .as_deref()
                        .map(parse_key_distribution)
                    {
                        None | Some(Ok(KeyDistribution::Uniform)) => KeyChooser::Uniform {
                            keys: pattern.count,
                        },
                        Some(Ok(KeyDistribution::Zipf(s))) => KeyChooser::zipf(pattern.count, s),
                        Some(Err(e)) => return Err(BuildError::Invalid(e)),
                    };
                    let space = key_space(&pattern, partitions);
                    if producer.keyed.unwrap_or(true) {
                        Keys::Keyed { space, chooser }
                    } else {
                        Keys::Payload {
                            space,
                            chooser,
                            sticky: sticky(),
                        }
                    }
                }
            };
            let burst = match (producer.arrival, &producer.burst) {
                (Arrival::Burst, Some(b)) => Some((b.size, b.every.0.micros().max(1))),
                _ => None,
            };
            let event_name = producer
                .event
                .clone()
                .unwrap_or_else(|| producer.name.clone());
            let event_type = world.event_type(&event_name);
            world.add_producer(
                &producer.name,
                topic,
                producer.rate.0.per_second(),
                producer.arrival,
                burst,
                keys,
                producer.records,
                producer.record_size.unwrap_or(defaults::RECORD_SIZE),
                producer.start.map_or(0, |d| d.0.micros()),
                event_type,
                build_publisher(producer),
            );
        }
        // Timeline actions, plus producers' rate schedules as `set_rate` actions.
        let mut actions: Vec<Action> = scenario
            .timeline
            .iter()
            .map(|a| {
                Ok(Action {
                    at: a.at.0.micros(),
                    kind: a.action,
                    group: a
                        .group
                        .as_deref()
                        .map(|n| index_of("group", n, scenario.groups.iter().map(|g| &g.name)))
                        .transpose()?,
                    instance: a
                        .instance
                        .map(|i| {
                            u16::try_from(i).map_err(|_| {
                                BuildError::Invalid(format!("no instance numbered {i}"))
                            })
                        })
                        .transpose()?,
                    producer: a
                        .producer
                        .as_deref()
                        .map(|n| {
                            index_of("producer", n, scenario.producers.iter().map(|p| &p.name))
                        })
                        .transpose()?,
                    rate: a.rate.map(|r| r.0.per_second()),
                    dependency: a
                        .dependency
                        .as_deref()
                        .map(|n| {
                            index_of(
                                "dependency",
                                n,
                                scenario.dependencies.iter().map(|d| &d.name),
                            )
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<_, BuildError>>()?;
        for (index, producer) in scenario.producers.iter().enumerate() {
            for change in &producer.schedule {
                actions.push(Action {
                    at: change.at.0.micros(),
                    kind: ActionKind::SetRate,
                    group: None,
                    instance: None,
                    producer: Some(index as u16),
                    rate: Some(change.rate.0.per_second()),
                    dependency: None,
                });
            }
        }
        // Dependency outage windows become outage_start / outage_end actions.
        for (index, dependency) in scenario.dependencies.iter().enumerate() {
            for window in &dependency.outages {
                for (at, kind) in [
                    (window.from, ActionKind::OutageStart),
                    (window.to, ActionKind::OutageEnd),
                ] {
                    actions.push(Action {
                        at: at.0.micros(),
                        kind,
                        group: None,
                        instance: None,
                        producer: None,
                        rate: None,
                        dependency: Some(index as u16),
                    });
                }
            }
        }
        // Stable sort: same-time actions keep file order.
        actions.sort_by_key(|a| a.at);
        world.actions = actions;
        world.narration = scenario.steps.iter().map(|s| s.at.0.micros()).collect();
        let end = scenario.duration.0.micros();
        world.schedule_bookkeeping(end);
        Ok(Simulation {
            world,
            end,
            finished: false,
        })
    }

    /// The world (read-only).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// The scenario's end time.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// How many metric samples a run from the start fires up to `limit`: one at time 0 and
    /// one every sample interval after it (the observers' `on_finish` adds its own).
    pub fn samples_until(&self, limit: SimTime) -> u64 {
        match self.world.sample_interval {
            0 => 0,
            interval => limit / interval + 1,
        }
    }

    /// Whether the run reached its end.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Processes the next event if it is not past the end; returns `false` when the run is
    /// over. (Unobserved: use [`Simulation::step_with`] to watch.)
    pub fn step(&mut self) -> bool {
        self.step_with(&mut NoObserver)
    }

    /// Processes every event up to and including `t` (capped at the end), then sets the
    /// clock to `t`. (Unobserved.)
    pub fn step_until(&mut self, t: SimTime) {
        self.step_until_with(t, &mut NoObserver);
    }

    /// Runs to the scenario's end. (Unobserved.)
    pub fn run_to_end(&mut self) {
        self.step_until(self.end);
    }

    /// [`Simulation::step`] with an observer, statically dispatched: one event at a time (whole
    /// runs go through [`Simulation::step_until_with`] or [`Simulation::steps_due_with`]).
    pub fn step_with<O: Observer + ?Sized>(&mut self, observer: &mut O) -> bool {
        if self.step_due_with(self.end, observer) {
            true
        } else {
            self.finish_with(observer);
            false
        }
    }

    /// Processes the next event if it is due at or before `limit` (and the end); returns
    /// whether it did. Never finishes the run: the loop of a caller that watches each step
    /// (budgets, checkpoints) and then calls [`Simulation::step_until_with`].
    #[inline]
    pub fn step_due_with<O: Observer + ?Sized>(
        &mut self,
        limit: SimTime,
        observer: &mut O,
    ) -> bool {
        self.steps_due_with(limit, 1, observer) == 1
    }

    /// Processes up to `max_steps` events due at or before `limit` (and the end), handing the
    /// events of each to `observer`; returns how many it processed. Never finishes the run.
    ///
    /// Every run loop goes through here, and this is the only place the world's step is
    /// inlined into: one copy per observer type, with the loop, so a run saves and restores
    /// the registers of that large function once per call here rather than once per event
    /// (that was 2.3-2.6% of the instructions of the SimPy runs, callgrind). Callers that
    /// watch each step ask for one at a time; a plain run asks for thousands.
    #[inline(never)]
    pub fn steps_due_with<O: Observer + ?Sized>(
        &mut self,
        limit: SimTime,
        max_steps: u64,
        observer: &mut O,
    ) -> u64 {
        let limit = limit.min(self.end);
        let mut taken = 0;
        while taken < max_steps && self.world.step_due(limit).is_some() {
            self.dispatch(observer);
            taken += 1;
        }
        taken
    }

    /// [`Simulation::step_until`] with an observer.
    pub fn step_until_with<O: Observer + ?Sized>(&mut self, t: SimTime, observer: &mut O) {
        let limit = t.min(self.end);
        self.steps_due_with(limit, u64::MAX, observer);
        self.world.now = self.world.now.max(limit);
        if limit >= self.end {
            self.finish_with(observer);
        }
    }

    /// Hands the events of the last step to `observer`. The check is inlined into the run loop
    /// (`steps_due_with`), so a step that changed nothing observable (a stale wake-up, an idle
    /// poll, a housekeeping tick) costs no call.
    #[inline(always)]
    fn dispatch<O: Observer + ?Sized>(&mut self, observer: &mut O) {
        if !self.world.emitted.is_empty() {
            self.dispatch_emitted(observer);
        }
    }

    fn dispatch_emitted<O: Observer + ?Sized>(&mut self, observer: &mut O) {
        let world = &self.world;
        for event in &world.emitted {
            observer.on_event(world.now, event, world);
        }
        self.world.emitted.clear();
    }

    /// Ends the run (once): the clock moves to the end and observers get `on_finish`.
    pub fn finish_with<O: Observer + ?Sized>(&mut self, observer: &mut O) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.world.now = self.end.max(self.world.now);
        observer.on_finish(self.world.now, &self.world);
    }

    /// Applies a crash to an instance now (interactive use, e.g. the UI). Numbers that name no
    /// instance are ignored.
    pub fn crash<O: Observer + ?Sized>(&mut self, group: u16, instance: u16, observer: &mut O) {
        if self.world.has_instance(group, instance) {
            self.world.crash(group, instance);
            self.dispatch(observer);
        }
    }

    /// Restarts an instance now (interactive use). Numbers that name no instance are ignored.
    pub fn restart<O: Observer + ?Sized>(&mut self, group: u16, instance: u16, observer: &mut O) {
        if self.world.has_instance(group, instance) {
            self.world.restart(group, instance);
            self.dispatch(observer);
        }
    }
}

/// An observer that ignores everything.
pub struct NoObserver;

impl Observer for NoObserver {
    fn on_event(&mut self, _: SimTime, _: &crate::observer::SimEvent, _: &World) {}
}

impl Observer for Vec<Box<dyn Observer>> {
    fn on_event(&mut self, now: SimTime, event: &crate::observer::SimEvent, world: &World) {
        for observer in self.iter_mut() {
            observer.on_event(now, event, world);
        }
    }

    fn on_finish(&mut self, now: SimTime, world: &World) {
        for observer in self.iter_mut() {
            observer.on_finish(now, world);
        }
    }
}

/// The publisher of a producer: direct (maybe a faulty dual write), outbox relay or CDC.
fn build_publisher(producer: &ProducerSpec) -> Publisher {
    match producer.publish {
        PublishMode::Direct => {
            Publisher::Direct(producer.dual_write.as_ref().map(|d| (d.crash, d.order)))
        }
        PublishMode::Outbox => {
            let spec = producer.outbox.clone().unwrap_or_default();
            Publisher::Outbox(OutboxRelay::new(
                spec.poll_interval
                    .map_or(defaults::OUTBOX_POLL_INTERVAL, |d| d.0.micros()),
                spec.batch_size.unwrap_or(defaults::OUTBOX_BATCH),
                spec.workers.unwrap_or(1),
                spec.publish_time
                    .map_or(DurationDist::Constant(defaults::OUTBOX_PUBLISH_TIME), |d| {
                        d.0
                    }),
                spec.crash.unwrap_or(0.0),
                spec.restart_after
                    .map_or(defaults::RESTART_AFTER, |d| d.0.micros()),
                spec.cleanup_after
                    .map_or(defaults::OUTBOX_CLEANUP, |d| d.0.micros()),
            ))
        }
        PublishMode::Cdc => {
            let spec = producer.cdc.clone().unwrap_or_default();
            Publisher::Cdc(CdcConnector::new(
                spec.lag.map_or(
                    DurationDist::Normal {
                        mean: defaults::CDC_LAG as f64,
                        std_dev: defaults::CDC_LAG as f64 / 5.0,
                    },
                    |d| d.0,
                ),
                spec.flush_interval
                    .map_or(defaults::CDC_FLUSH, |d| d.0.micros()),
                spec.restart_after
                    .map_or(defaults::RESTART_AFTER, |d| d.0.micros()),
            ))
        }
    }
}

/// The number of the entity called `name` among `names` (in file order), or an error naming
/// it. For a scenario read from a file, validation has already checked every name; a
/// `Scenario` built in code has not been validated, so an unknown name fails the build here
/// rather than falling back to entity 0.
fn index_of<'a>(
    kind: &'static str,
    name: &str,
    mut names: impl Iterator<Item = &'a String>,
) -> Result<u16, BuildError> {
    names
        .position(|candidate| candidate == name)
        // Below the counts `Simulation::from_scenario` checks (and `World::add_topic` keeps).
        .map(|index| index as u16)
        .ok_or_else(|| BuildError::UnknownName {
            kind,
            name: name.to_string(),
        })
}

/// The back-off policy of a retry spec (Spring's ExponentialBackOff or FixedBackOff).
pub fn backoff_policy(
    spec: &crate::scenario::model::RetrySpec,
) -> Result<BackoffPolicy, BuildError> {
    let attempts = spec.max_attempts.unwrap_or(defaults::RETRY_MAX_ATTEMPTS);
    Ok(match spec.fixed {
        Some(interval) => {
            BackoffPolicy::Fixed(FixedBackOff::new(interval.0.micros() / MILLIS, attempts))
        }
        None => {
            let mut policy = ExponentialBackOff::new(
                spec.initial
                    .map_or(defaults::RETRY_INITIAL, |d| d.0.micros())
                    / MILLIS,
                spec.multiplier.unwrap_or(defaults::RETRY_MULTIPLIER),
            )
            .map_err(|e| BuildError::Invalid(e.to_string()))?
            .with_max_interval_ms(
                spec.max_interval
                    .map_or(defaults::RETRY_MAX_INTERVAL, |d| d.0.micros())
                    / MILLIS,
            )
            .with_max_attempts(attempts);
            if let Some(elapsed) = spec.max_elapsed {
                policy = policy.with_max_elapsed_time_ms(elapsed.0.micros() / MILLIS);
            }
            BackoffPolicy::Exponential(policy)
        }
    })
}

/// Builds a group's handler, creating its retry topics and dead-letter topic (auto-created
/// like Spring's `RetryTopicConfiguration` does) and subscribing the group to the retry topics.
fn build_handler(
    world: &mut World,
    scenario: &Scenario,
    spec: &HandlerSpec,
    topics: &mut Vec<u16>,
) -> Result<Handler, BuildError> {
    let main = *topics
        .first()
        .ok_or(BuildError::Invalid("a group without topics".into()))?;
    let main_name = world.topics[main as usize].name.clone();
    let partitions = world.topics[main as usize].partitions.len() as u32;
    let retention = world.topics[main as usize].retention;
    let find_or_add = |world: &mut World, name: &str| -> Result<u16, BuildError> {
        match world.topics.iter().position(|t| t.name == name) {
            // Below the count, which `add_topic` keeps within `u16`.
            Some(index) => Ok(index as u16),
            None => world.add_topic(name, partitions, retention),
        }
    };
    let mut retry = None;
    if let Some(retry_spec) = &spec.retry {
        let policy = backoff_policy(retry_spec)?;
        let mut retry_topics = Vec::new();
        if retry_spec.mode == RetryMode::Topics {
            let (delays, _) = policy.delays(crate::backoff::MAX_CLI_DELAYS);
            let fixed = retry_spec.fixed.is_some();
            for delay_ms in delays {
                // Spring's naming: `-retry-<delay ms>` per distinct delay (one topic reused for
                // a repeated maximum delay), or a single `-retry` topic for a fixed back-off.
                let name = if fixed {
                    format!("{main_name}-retry")
                } else {
                    format!("{main_name}-retry-{delay_ms}")
                };
                let topic = find_or_add(world, &name)?;
                world.topics[topic as usize].due_delay = delay_ms * MILLIS;
                if !topics.contains(&topic) {
                    topics.push(topic);
                }
                retry_topics.push((topic, delay_ms * MILLIS));
            }
        }
        retry = Some(Retry {
            mode: retry_spec.mode,
            policy,
            topics: retry_topics,
        });
    }
    let dead_letter = if spec.dead_letter.unwrap_or(spec.retry.is_some()) {
        let name = spec
            .dead_letter_topic
            .clone()
            .unwrap_or_else(|| format!("{main_name}.DLT"));
        let topic = find_or_add(world, &name)?;
        world.topics[topic as usize].retained = true;
        Some(topic)
    } else {
        None
    };
    let mut poison_keys = Vec::new();
    for key in &spec.poison_keys {
        for (p, producer) in scenario.producers.iter().enumerate() {
            let Some(pattern) = producer
                .keys
                .as_deref()
                .and_then(|k| parse_key_pattern(k).ok())
            else {
                continue;
            };
            let index = if pattern.ranged {
                key.strip_prefix(pattern.prefix.as_str())
                    .and_then(|rest| rest.strip_suffix(pattern.suffix.as_str()))
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|n| {
                        (pattern.first..pattern.first + u64::from(pattern.count)).contains(n)
                    })
                    .map(|n| (n - pattern.first) as u32)
            } else {
                (key == &pattern.prefix).then_some(0)
            };
            if let Some(index) = index {
                poison_keys.push((p as u16, index));
            }
        }
    }
    poison_keys.sort_unstable();
    let dependency = spec
        .calls
        .as_ref()
        .map(|name| {
            index_of(
                "dependency",
                name,
                world.dependencies.iter().map(|d| &d.name),
            )
        })
        .transpose()?;
    let events = spec.events.iter().map(|e| world.event_type(e)).collect();
    let mut emits = Vec::new();
    for emit in &spec.emit {
        let topic = index_of("topic", &emit.topic, world.topics.iter().map(|t| &t.name))?;
        let event_type = world.event_type(emit.event.as_deref().unwrap_or(&emit.topic));
        let on = emit.on.as_ref().map(|e| world.event_type(e));
        emits.push(world::Emit {
            topic,
            event_type,
            on,
            delay: emit.delay.map(|d| d.0),
        });
    }
    Ok(Handler {
        events,
        transient_failure: spec.transient_failure,
        poison: spec.poison,
        poison_keys,
        dependency,
        retry,
        dead_letter,
        idempotency: spec.idempotency,
        dedup_ttl: spec.dedup_ttl.map(|d| d.0.micros()),
        emits,
    })
}

/// The key space of a pattern with every key's partition precomputed.
fn key_space(pattern: &KeyPattern, partitions: u32) -> KeySpace {
    let mut space = KeySpace {
        prefix: pattern.prefix.clone(),
        first: pattern.first,
        suffix: pattern.suffix.clone(),
        count: pattern.count,
        ranged: pattern.ranged,
        partition_of: PartitionTable::empty(),
    };
    if pattern.count <= KeySpace::TABLE_LIMIT {
        space.partition_of = PartitionTable::new(space.all_partitions(partitions), partitions);
    }
    space
}
