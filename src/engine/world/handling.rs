//! What a consumer's handler does with a record: failures (transient, poison, downstream
//! outages), retries in place or through retry topics with Spring's back-off semantics, dead
//! letters, side effects with or without idempotency, per-key order, and events it publishes.
//!
//! Models Spring for Apache Kafka: `DefaultErrorHandler` (blocking retries: the consumer
//! re-attempts the record after each `BackOff` interval, stalling its partitions) and the
//! non-blocking `RetryTopicConfiguration` (failed records go to `<topic>-retry-<delay>` topics
//! consumed once due, then to the DLT), with `DeadLetterPublishingRecoverer` publishing to
//! the dead-letter topic on the same partition.

use super::{Delivery, Event, World};
use crate::backoff::{
    BackOff, BackOffExecution, ExponentialBackOff, ExponentialBackOffExecution, FixedBackOff,
    FixedBackOffExecution,
};
use crate::distribution::DurationDist;
use crate::engine::table::EntityNumber;
use crate::kafka::log::{Record, NO_KEY};
use crate::observer::{Disposition, Effect, SimEvent};
use crate::scenario::model::{Idempotency, RetryMode};
use crate::time::SimTime;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// A back-off policy of a retry configuration.
#[derive(Clone, Debug)]
pub enum BackoffPolicy {
    /// Spring's `ExponentialBackOff`.
    Exponential(ExponentialBackOff),
    /// Spring's `FixedBackOff`.
    Fixed(FixedBackOff),
}

/// A running back-off (one per record being retried in place).
#[derive(Clone, Debug)]
pub enum BackoffRun {
    /// Running `ExponentialBackOff`.
    Exponential(ExponentialBackOffExecution),
    /// Running `FixedBackOff`.
    Fixed(FixedBackOffExecution),
}

impl BackoffPolicy {
    /// Starts an execution.
    pub fn start(&self) -> BackoffRun {
        match self {
            BackoffPolicy::Exponential(p) => BackoffRun::Exponential(p.start()),
            BackoffPolicy::Fixed(p) => BackoffRun::Fixed(BackOff::start(p)),
        }
    }

    /// The whole delay sequence in milliseconds (at most `limit`) and whether it stops.
    pub fn delays(&self, limit: usize) -> (Vec<u64>, bool) {
        match self {
            BackoffPolicy::Exponential(p) => crate::backoff::delays(p, limit),
            BackoffPolicy::Fixed(p) => crate::backoff::delays(p, limit),
        }
    }
}

impl BackoffRun {
    /// The next delay in milliseconds, `None` for Spring's STOP.
    pub fn next_ms(&mut self) -> Option<u64> {
        match self {
            BackoffRun::Exponential(e) => e.next_back_off(),
            BackoffRun::Fixed(e) => e.next_back_off(),
        }
    }
}

/// Retry settings of a handler.
#[derive(Clone, Debug)]
pub struct Retry {
    /// Blocking or retry topics.
    pub mode: RetryMode,
    /// The back-off.
    pub policy: BackoffPolicy,
    /// For retry topics: the topic (and its delay in µs) of retry number `n` (0-based); its
    /// length is the number of retries.
    pub topics: Vec<(u16, u64)>,
}

/// An emitted event waiting for its publishing delay (`Emit::delay`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingEmit {
    /// The group whose handler emitted it.
    pub group: u16,
    /// Where it goes.
    pub topic: u16,
    /// The event.
    pub record: Record,
    /// Its partition when keyed, chosen when it was emitted ([`World::key_partition`]).
    pub partition: Option<u32>,
}

/// An event type published after a successful attempt.
#[derive(Clone, Debug)]
pub struct Emit {
    /// Target topic.
    pub topic: u16,
    /// Its event type.
    pub event_type: u16,
    /// Only for incoming records of this type.
    pub on: Option<u16>,
    /// Delay before the event reaches Kafka (the service's own publishing hop).
    pub delay: Option<DurationDist>,
}

/// A handler's configuration.
#[derive(Clone, Debug, Default)]
pub struct Handler {
    /// Handled event types (empty: all).
    pub events: Vec<u16>,
    /// Transient failure probability per attempt.
    pub transient_failure: f64,
    /// Poison probability per record.
    pub poison: f64,
    /// `(producer, key)` pairs that are always poison, sorted.
    pub poison_keys: Vec<(u16, u32)>,
    /// Called dependency.
    pub dependency: Option<u16>,
    /// Retries, if any.
    pub retry: Option<Retry>,
    /// The dead-letter topic, if any.
    pub dead_letter: Option<u16>,
    /// Idempotency strategy.
    pub idempotency: Idempotency,
    /// TTL of the processed-event-id store, in µs.
    pub dedup_ttl: Option<u64>,
    /// Events to publish after success.
    pub emits: Vec<Emit>,
}

/// A downstream system called synchronously.
#[derive(Clone, Debug)]
pub struct Dependency {
    /// Name.
    pub name: String,
    /// Normal call latency.
    pub latency: DurationDist,
    /// Windows `(from, to, latency)` of slow answers.
    pub slow: Vec<(SimTime, SimTime, DurationDist)>,
    /// Currently failing every call.
    pub down: bool,
}

impl Dependency {
    fn latency_at(&self, now: SimTime) -> DurationDist {
        self.slow
            .iter()
            .find(|(from, to, _)| (*from..*to).contains(&now))
            .map_or(self.latency, |(_, _, d)| *d)
    }
}

/// A growable bitset over event ids.
#[derive(Clone, Debug, Default)]
pub struct BitSet(Vec<u64>);

/// `insert` runs for every record a handler applies: inline, with the growth (once per 64 ids)
/// out of line, since the web build (opt-level "s") otherwise called it for each record.
impl BitSet {
    /// Whether `index` is set.
    #[inline]
    pub fn contains(&self, index: u64) -> bool {
        self.0
            .get((index / 64) as usize)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }
    /// Sets `index`; returns whether it was newly set.
    #[inline]
    pub fn insert(&mut self, index: u64) -> bool {
        let word = (index / 64) as usize;
        if word >= self.0.len() {
            self.grow_to(word);
        }
        let fresh = self.0[word] & (1 << (index % 64)) == 0;
        self.0[word] |= 1 << (index % 64);
        fresh
    }
    /// Makes room for word `word` (new words are empty).
    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, word: usize) {
        self.0.resize(word + 1, 0);
    }
    /// Clears `index`.
    pub fn remove(&mut self, index: u64) {
        if let Some(word) = self.0.get_mut((index / 64) as usize) {
            *word &= !(1 << (index % 64));
        }
    }
}

/// Counters of a group's handler (engine state, shown in reports and the UI).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct HandlingStats {
    /// Handler attempts (first tries and retries).
    pub attempts: u64,
    /// Failed attempts.
    pub failures: u64,
    /// Retries (in place or through a retry topic).
    pub retries: u64,
    /// Records sent to the dead-letter topic.
    pub dead_lettered: u64,
    /// Records that failed for good without a dead-letter topic (logged and skipped).
    pub dropped: u64,
    /// Records not of a handled type.
    pub filtered: u64,
    /// Side effects applied (first time per event).
    pub side_effects: u64,
    /// Side effects applied again for an already-applied event (double charges).
    pub repeated_side_effects: u64,
    /// Deliveries whose side effect the idempotency store suppressed.
    pub deduplicated: u64,
    /// Records of an entity processed after a later record of the same entity.
    pub out_of_order: u64,
    /// Entries in the processed-event-id store now.
    pub dedup_store_size: u64,
    /// Largest size of that store.
    pub dedup_store_peak: u64,
    /// Dead-letter records re-published by `replay_dlq`.
    pub replayed: u64,
    /// Events published to other topics.
    pub emitted: u64,
}

/// A group's handler state.
#[derive(Clone, Debug, Default)]
pub struct HandlingState {
    /// Counters.
    pub stats: HandlingStats,
    /// Event ids whose side effect was applied (to count double charges).
    applied: BitSet,
    /// The processed-event-id store.
    seen: BitSet,
    /// Entries in `seen`.
    seen_size: u64,
    /// Insertion order of `seen`, kept only when entries expire (a TTL).
    seen_order: VecDeque<(SimTime, u64)>,
    /// The natural-key store: (producer, key, key sequence).
    natural: BTreeSet<(u16, u32, u32)>,
    /// Next DLT offset to replay, per DLT partition.
    replay_cursor: Vec<u64>,
    /// The sum of `replay_cursor`: the DLT records replayed or passed over, all partitions.
    replayed_through: u64,
    /// Failure times of records still being retried, by event id.
    failures: FailureLog,
}

/// The failure times of the records a group is still retrying, by event id, for the attempt
/// history a dead letter carries (`DeadLetter::failures`).
///
/// A hash table of fixed-size histories. It was a `BTreeMap<u64, Vec<SimTime>>`: a heap
/// allocation per failed record, and a tree walk to insert and again to remove. One attempt in
/// twenty fails in the SimPy retry-topic run, and skipping this bookkeeping altogether ran
/// 0.974x the time there (12 rounds), far more than its 0.8% of the instructions.
///
/// Never iterated, so its order cannot reach a run's output; its hasher is fixed, so even its
/// memory layout is the same in every run.
#[derive(Clone, Debug, Default)]
struct FailureLog {
    by_event: HashMap<u64, FailureHistory, BuildHasherDefault<EventIdHasher>>,
}

impl FailureLog {
    /// Notes a failure of `event_id` at `at`.
    fn record(&mut self, event_id: u64, at: SimTime) {
        self.by_event.entry(event_id).or_default().push(at);
    }

    /// Forgets `event_id`, returning its failure times, oldest first (empty if none).
    fn take(&mut self, event_id: u64) -> Vec<SimTime> {
        self.by_event
            .remove(&event_id)
            .map_or_else(Vec::new, |history| history.times())
    }

    /// Forgets `event_id`.
    fn forget(&mut self, event_id: u64) {
        self.by_event.remove(&event_id);
    }
}

/// The last [`HISTORY_LIMIT`] failure times of one record, in a ring.
#[derive(Clone, Copy, Debug, Default)]
struct FailureHistory {
    /// Failure `n` (counting from 0) is at `ring[n % HISTORY_LIMIT]` while it is kept.
    ring: [SimTime; HISTORY_LIMIT],
    /// Failures so far.
    count: u32,
}

impl FailureHistory {
    fn push(&mut self, at: SimTime) {
        self.ring[self.count as usize % HISTORY_LIMIT] = at;
        self.count += 1;
    }

    /// The kept times, oldest first.
    fn times(&self) -> Vec<SimTime> {
        let count = self.count as usize;
        if count <= HISTORY_LIMIT {
            return self.ring[..count].to_vec();
        }
        let oldest = count % HISTORY_LIMIT;
        let (newer, older) = self.ring.split_at(oldest);
        older.iter().chain(newer).copied().collect()
    }
}

/// Hashes an event id with one multiply (Fibonacci hashing). Event ids are handed out in
/// sequence, so the product's bits are already well spread, and there is no adversary to
/// defend against: SipHash, `std`'s default, would be wasted work.
#[derive(Clone, Copy, Debug, Default)]
struct EventIdHasher(u64);

impl Hasher for EventIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Why an attempt failed, named after the exception a Spring application would see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCause {
    /// A transient error (retryable).
    Transient,
    /// The called dependency is down (retryable).
    DependencyDown,
    /// A poison record (not retryable): it can never be processed.
    Poison,
}

impl FailureCause {
    /// The exception class name, as `DeadLetterPublishingRecoverer` puts it in the
    /// `kafka_dlt-exception-fqcn` header.
    pub fn exception(self) -> &'static str {
        match self {
            FailureCause::Transient => {
                "org.springframework.dao.TransientDataAccessResourceException"
            }
            FailureCause::DependencyDown => "java.net.ConnectException",
            FailureCause::Poison => {
                "org.springframework.kafka.support.serializer.DeserializationException"
            }
        }
    }

    /// Whether Spring's default classification retries it.
    pub fn retryable(self) -> bool {
        self != FailureCause::Poison
    }
}

/// A dead-letter record's headers, as Spring's `DeadLetterPublishingRecoverer` writes them
/// (`kafka_dlt-original-topic`, `-original-partition`, `-original-offset`,
/// `-exception-fqcn`), plus the attempt history the UI shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The group whose handler gave up.
    pub group: u16,
    /// The event.
    pub event_id: u64,
    /// The topic the record was consumed from when it failed for good.
    pub original_topic: u16,
    /// Its partition.
    pub original_partition: u32,
    /// Its offset.
    pub original_offset: u64,
    /// The last exception.
    pub exception: &'static str,
    /// Times of the failed attempts (the last ones, at most [`HISTORY_LIMIT`]).
    pub failures: Vec<SimTime>,
    /// When it was dead-lettered.
    pub at: SimTime,
}

/// Failed attempts remembered per record.
pub const HISTORY_LIMIT: usize = 16;

/// Dead-letter records kept with their headers (the count goes on beyond).
pub const DEAD_LETTER_LIMIT: usize = 10_000;

/// The planned outcome of the attempt in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Not handled (event type filter).
    Filtered,
    /// Succeeds.
    Success,
    /// Fails.
    Fail(FailureCause),
}

/// What the consumer does after an attempt.
enum AfterAttempt {
    /// Try again in place after `delay` µs.
    RetryInPlace(u64),
    /// The record is done.
    Done(Disposition),
}

/// A stable per-record draw in [0, 1) (poison must be a property of the record, identical on
/// every redelivery and retry, not a fresh coin flip per attempt).
fn record_draw(seed: u64, group: u16, event_id: u64) -> f64 {
    let mut x = seed ^ (u64::from(group) << 48) ^ event_id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl World {
    /// Plans the attempt for the record in flight and returns how long it takes.
    #[inline(always)]
    pub(super) fn begin_attempt(&mut self, group: u16, instance: u16) -> u64 {
        let now = self.now;
        let seed = self.seed;
        let g = &mut self.groups[group.ix()];
        let processing = g.config.processing;
        let i = &mut g.instances[instance.ix()];
        let Some(record) = i.in_flight().map(|delivery| delivery.record) else {
            return 0;
        };
        let Some(handler) = &g.handler else {
            i.attempt = AttemptOutcome::Success;
            return processing.sample(&mut i.rng);
        };
        if !handler.events.is_empty() && !handler.events.contains(&record.event_type) {
            i.attempt = AttemptOutcome::Filtered;
            g.handling.stats.filtered += 1;
            return 0;
        }
        g.handling.stats.attempts += 1;
        let mut duration = processing.sample(&mut i.rng);
        let mut outcome = AttemptOutcome::Success;
        if let Some(dependency) = handler.dependency {
            let dependency = &self.dependencies[dependency as usize];
            duration += dependency.latency_at(now).sample(&mut i.rng);
            if dependency.down {
                outcome = AttemptOutcome::Fail(FailureCause::DependencyDown);
            }
        }
        let poison = handler
            .poison_keys
            .binary_search(&(record.producer, record.key))
            .is_ok()
            || (handler.poison > 0.0 && record_draw(seed, group, record.event_id) < handler.poison);
        if poison {
            outcome = AttemptOutcome::Fail(FailureCause::Poison);
        } else if handler.transient_failure > 0.0 && i.rng.chance(handler.transient_failure) {
            outcome = AttemptOutcome::Fail(FailureCause::Transient);
        }
        i.attempt = outcome;
        duration
    }

    /// Handles the end of an attempt. Returns `None` when the record is retried in place
    /// (the instance stays busy), else how the record finished and its side effect.
    pub(super) fn finish_attempt(
        &mut self,
        group: u16,
        instance: u16,
        delivery: &Delivery,
        duplicate: bool,
    ) -> Option<(Disposition, Effect, bool)> {
        let outcome = self.groups[group.ix()].instances[instance.ix()].attempt;
        let disposition = match outcome {
            AttemptOutcome::Filtered => Disposition::Filtered,
            AttemptOutcome::Success => Disposition::Success,
            AttemptOutcome::Fail(cause) => {
                match self.after_failure(group, instance, delivery, cause) {
                    AfterAttempt::RetryInPlace(delay) => {
                        let took = self.begin_attempt(group, instance);
                        let incarnation =
                            self.groups[group.ix()].instances[instance.ix()].incarnation;
                        self.queue.schedule_event(
                            self.now + delay + took,
                            Event::ProcessDone {
                                group,
                                instance,
                                incarnation,
                            },
                        );
                        return None;
                    }
                    AfterAttempt::Done(disposition) => disposition,
                }
            }
        };
        // A record failed before if it was retried in place (a back-off is running) or
        // came through retry topics (it carries attempts).
        let retried_in_place = self.groups[group.ix()].instances[instance.ix()]
            .backoff
            .take()
            .is_some();
        let record = &delivery.record;
        let failed_before =
            retried_in_place || record.attempts > 0 || matches!(outcome, AttemptOutcome::Fail(_));
        if failed_before && disposition != Disposition::Retried {
            // Done with this record for good: forget its failure history.
            self.groups[group.ix()]
                .handling
                .failures
                .forget(record.event_id);
        }
        let out_of_order =
            !duplicate && disposition != Disposition::Filtered && self.track_order(group, record);
        let effect = if disposition == Disposition::Success {
            let effect = self.side_effect(group, record);
            self.publish_emits(group, instance, record);
            effect
        } else {
            Effect::None
        };
        Some((disposition, effect, out_of_order))
    }

    /// Out of line: one attempt in twenty fails in the SimPy runs, and inlined into
    /// `finish_attempt` its retry and dead-letter paths made every attempt's end save and
    /// restore more registers (out of line, the runs take 2.1-2.6% fewer instructions,
    /// callgrind).
    #[inline(never)]
    fn after_failure(
        &mut self,
        group: u16,
        instance: u16,
        delivery: &Delivery,
        cause: FailureCause,
    ) -> AfterAttempt {
        let retryable = cause.retryable();
        let now = self.now;
        let g = &mut self.groups[group.ix()];
        let Some(handler) = g.handler.as_ref() else {
            return AfterAttempt::Done(Disposition::Dropped);
        };
        g.handling.stats.failures += 1;
        g.handling.failures.record(delivery.record.event_id, now);
        let (topic, partition) = {
            let gp = &g.partitions[delivery.slot.ix()];
            (gp.topic, gp.partition)
        };
        let mut retry_in = None;
        let mut forward_to = None;
        if retryable {
            if let Some(retry) = &handler.retry {
                match retry.mode {
                    RetryMode::Blocking => {
                        let i = &mut g.instances[instance.ix()];
                        let run = i.backoff.get_or_insert_with(|| retry.policy.start());
                        retry_in = run.next_ms().map(|ms| ms * 1_000);
                    }
                    RetryMode::Topics => {
                        forward_to = retry
                            .topics
                            .get(delivery.record.attempts as usize)
                            .map(|&(t, _)| t);
                    }
                }
            }
        }
        let dead_letter = handler.dead_letter;
        if retry_in.is_some() || forward_to.is_some() {
            g.handling.stats.retries += 1;
        }
        self.emit(SimEvent::AttemptFailed {
            group,
            instance,
            topic,
            partition,
            offset: delivery.offset,
            event_id: delivery.record.event_id,
            retryable,
            retry_in,
        });
        if let Some(delay) = retry_in {
            return AfterAttempt::RetryInPlace(delay);
        }
        let mut record = delivery.record;
        record.attempts = record.attempts.saturating_add(1);
        record.produced_at = self.now;
        if let Some(retry_topic) = forward_to {
            let partition = self.forward_partition(retry_topic, partition);
            self.append(retry_topic, record, partition);
            return AfterAttempt::Done(Disposition::Retried);
        }
        match dead_letter {
            Some(dlt) => {
                let g = &mut self.groups[group.ix()];
                g.handling.stats.dead_lettered += 1;
                let failures = g.handling.failures.take(record.event_id);
                if self.dead_letters.len() < DEAD_LETTER_LIMIT {
                    self.dead_letters.push(DeadLetter {
                        group,
                        event_id: record.event_id,
                        original_topic: topic,
                        original_partition: partition,
                        original_offset: delivery.offset,
                        exception: cause.exception(),
                        failures,
                        at: now,
                    });
                }
                // DeadLetterPublishingRecoverer: same partition of `<topic>.DLT`.
                let partition = self.forward_partition(dlt, partition);
                self.append(dlt, record, partition);
                AfterAttempt::Done(Disposition::DeadLettered)
            }
            None => {
                self.groups[group.ix()].handling.stats.dropped += 1;
                AfterAttempt::Done(Disposition::Dropped)
            }
        }
    }

    /// Counts per-entity order: `true` if a later event of the same key was already processed.
    fn track_order(&mut self, group: u16, record: &Record) -> bool {
        if record.key == NO_KEY || record.key_seq == 0 {
            return false;
        }
        let column = super::ENTITY_GROUPS + group as usize;
        let Some(producer) = self.producers.get_mut(record.producer as usize) else {
            return false;
        };
        if column >= producer.entities.columns() {
            return false;
        }
        debug_assert_ne!(record.row, NO_KEY, "a record with a key carries its row");
        let last = producer.entities.raise(record.row, column, record.key_seq);
        if record.key_seq < last {
            self.groups[group.ix()].handling.stats.out_of_order += 1;
        }
        record.key_seq < last
    }

    /// Applies (or suppresses) the side effect of a successful attempt.
    fn side_effect(&mut self, group: u16, record: &Record) -> Effect {
        let now = self.now;
        let g = &mut self.groups[group.ix()];
        let Some(handler) = &g.handler else {
            return Effect::None;
        };
        let state = &mut g.handling;
        let known = match handler.idempotency {
            Idempotency::None => false,
            Idempotency::EventId => {
                if let Some(ttl) = handler.dedup_ttl {
                    while let Some(&(at, id)) = state.seen_order.front() {
                        if at + ttl > now {
                            break;
                        }
                        state.seen_order.pop_front();
                        state.seen.remove(id);
                        state.seen_size -= 1;
                    }
                }
                let fresh = state.seen.insert(record.event_id);
                if fresh {
                    state.seen_size += 1;
                    // Insertion order is only needed to expire entries; without a TTL it
                    // would be a copy of the store that every checkpoint clones.
                    if handler.dedup_ttl.is_some() {
                        state.seen_order.push_back((now, record.event_id));
                    }
                }
                state.stats.dedup_store_size = state.seen_size;
                !fresh
            }
            Idempotency::NaturalKey => {
                let fresh = state
                    .natural
                    .insert((record.producer, record.key, record.key_seq));
                state.stats.dedup_store_size = state.natural.len() as u64;
                !fresh
            }
        };
        state.stats.dedup_store_peak = state
            .stats
            .dedup_store_peak
            .max(state.stats.dedup_store_size);
        if known {
            state.stats.deduplicated += 1;
            return Effect::Deduplicated;
        }
        if state.applied.insert(record.event_id) {
            state.stats.side_effects += 1;
            Effect::Applied
        } else {
            state.stats.repeated_side_effects += 1;
            Effect::Repeated
        }
    }

    /// The partition a failed record goes to in a retry or dead-letter topic: the same number
    /// as where it failed, as Spring's `DeadLetterPublishingRecoverer` resolves it, if the topic
    /// has that partition. If not (a group reading topics of different sizes into one
    /// `<topic>.DLT`, or a declared, smaller dead-letter topic), `None`: the recoverer's
    /// `checkPartition` (Spring Kafka 2.7 on) then leaves the partition unset, and the
    /// producer's partitioner chooses one.
    fn forward_partition(&self, topic: u16, partition: u32) -> Option<u32> {
        ((partition as usize) < self.topics[topic.ix()].partitions.len()).then_some(partition)
    }

    /// Publishes the handler's follow-up events (consume → work → publish), carrying the
    /// correlation id and setting the causation id.
    fn publish_emits(&mut self, group: u16, instance: u16, record: &Record) {
        let count = self.groups[group.ix()]
            .handler
            .as_ref()
            .map_or(0, |h| h.emits.len());
        for k in 0..count {
            let emit = self.groups[group.ix()]
                .handler
                .as_ref()
                .map(|h| h.emits[k].clone());
            let Some(emit) = emit else { continue };
            if emit.on.is_some_and(|on| on != record.event_type) {
                continue;
            }
            let event_id = self.next_event_id();
            let child = Record {
                produced_at: self.now,
                origin_at: record.origin_at,
                event_id,
                correlation_id: record.correlation_id,
                causation_id: record.event_id,
                event_type: emit.event_type,
                attempts: 0,
                ..*record
            };
            let partition = self.key_partition(emit.topic, &child);
            match emit.delay {
                None => self.append_emitted(group, emit.topic, child, partition),
                Some(delay) => {
                    let rng = &mut self.groups[group.ix()].instances[instance.ix()].rng;
                    let at = self.now + delay.sample(rng);
                    let entry = Some(PendingEmit {
                        group,
                        topic: emit.topic,
                        record: child,
                        partition,
                    });
                    let index = match self.free_emits.pop() {
                        Some(index) => {
                            self.pending_emits[index as usize] = entry;
                            index
                        }
                        None => {
                            self.pending_emits.push(entry);
                            (self.pending_emits.len() - 1) as u32
                        }
                    };
                    self.queue.schedule_event(at, Event::EmitDue { index });
                }
            }
        }
    }

    /// A delayed emitted event reaches Kafka.
    pub(super) fn on_emit_due(&mut self, index: u32) {
        let Some(PendingEmit {
            group,
            topic,
            mut record,
            partition,
        }) = self
            .pending_emits
            .get_mut(index as usize)
            .and_then(Option::take)
        else {
            return;
        };
        self.free_emits.push(index);
        record.produced_at = self.now;
        self.append_emitted(group, topic, record, partition);
    }

    fn append_emitted(&mut self, group: u16, topic: u16, record: Record, partition: Option<u32>) {
        self.groups[group.ix()].handling.stats.emitted += 1;
        self.append(topic, record, partition);
    }

    /// `replay_dlq`: re-publishes the group's dead-letter records (not yet replayed) to the
    /// group's main topic (its first, the one its dead-letter topic is named after), to the
    /// same partition number modulo that topic's count, attempts reset. A group reading several
    /// topics gets records from the others back on the main one.
    pub(super) fn replay_dead_letters(&mut self, group: u16) {
        let g = &self.groups[group.ix()];
        let (Some(dlt), Some(&origin)) = (
            g.handler.as_ref().and_then(|h| h.dead_letter),
            g.topics.first(),
        ) else {
            return;
        };
        let partitions = self.topics[dlt.ix()].partitions.len();
        let mut cursor = std::mem::take(&mut self.groups[group.ix()].handling.replay_cursor);
        cursor.resize(partitions, 0);
        let mut replayed = 0;
        for (p, next) in cursor.iter_mut().enumerate() {
            let end = self.topics[dlt.ix()].partitions[p].end_offset();
            while *next < end {
                let record = self.topics[dlt.ix()].partitions[p].get(*next).copied();
                *next += 1;
                if let Some(mut record) = record {
                    record.attempts = 0;
                    record.produced_at = self.now;
                    let target = (p as u32) % self.topics[origin.ix()].partitions.len() as u32;
                    self.append(origin, record, Some(target));
                    replayed += 1;
                }
            }
        }
        let g = &mut self.groups[group.ix()];
        g.handling.replayed_through = cursor.iter().sum();
        g.handling.replay_cursor = cursor;
        g.handling.stats.replayed += replayed;
        self.emit(SimEvent::DlqReplayed {
            group,
            count: replayed,
        });
    }

    /// Records in the group's dead-letter topic not replayed yet (the DLQ depth).
    pub fn dlq_depth(&self, group: u16) -> u64 {
        let g = &self.groups[group as usize];
        let Some(dlt) = g.handler.as_ref().and_then(|h| h.dead_letter) else {
            return 0;
        };
        self.topics[dlt as usize].appended - g.handling.replayed_through
    }

    /// [`World::dlq_depth`] partition by partition, from the logs' end offsets (what the
    /// invariant checker compares the running sums with).
    pub fn dlq_depth_by_partition(&self, group: u16) -> u64 {
        let g = &self.groups[group as usize];
        let Some(dlt) = g.handler.as_ref().and_then(|h| h.dead_letter) else {
            return 0;
        };
        self.topics[dlt as usize]
            .partitions
            .iter()
            .enumerate()
            .map(|(p, log)| {
                log.end_offset() - g.handling.replay_cursor.get(p).copied().unwrap_or(0)
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_insert_contains_remove() {
        let mut set = BitSet::default();
        assert!(set.insert(5));
        assert!(!set.insert(5));
        assert!(set.contains(5) && !set.contains(6) && !set.contains(10_000));
        assert!(set.insert(10_000));
        set.remove(5);
        assert!(!set.contains(5));
    }

    #[test]
    fn failure_log_keeps_the_last_times_of_each_event_oldest_first() {
        let mut log = FailureLog::default();
        for n in 0..3 {
            log.record(7, 100 + n);
        }
        // More failures than the history keeps: the oldest ones go, as `remove(0)` did.
        for n in 0..HISTORY_LIMIT as u64 + 5 {
            log.record(8, 1_000 + n);
        }
        for n in 0..HISTORY_LIMIT as u64 {
            log.record(9, 5_000 + n);
        }
        assert_eq!(log.take(7), vec![100, 101, 102]);
        assert_eq!(log.take(7), Vec::<SimTime>::new(), "taken once");
        let kept: Vec<SimTime> = (5..HISTORY_LIMIT as u64 + 5).map(|n| 1_000 + n).collect();
        assert_eq!(log.take(8), kept);
        let full: Vec<SimTime> = (0..HISTORY_LIMIT as u64).map(|n| 5_000 + n).collect();
        assert_eq!(log.take(9), full, "exactly full: no wrap yet");
        log.record(10, 1);
        log.forget(10);
        assert_eq!(log.take(10), Vec::<SimTime>::new());
        assert_eq!(log.take(11), Vec::<SimTime>::new(), "never failed");
    }

    #[test]
    fn record_draw_is_stable_and_uniform() {
        assert_eq!(record_draw(1, 2, 3), record_draw(1, 2, 3));
        let mean = (0..10_000).map(|id| record_draw(7, 0, id)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
