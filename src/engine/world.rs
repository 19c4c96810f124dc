//! The simulated world: topics, producers and consumer groups, and how they react to events.
//!
//! This is the Kafka model. Each behaviour cites the part of Kafka (or of its Java consumer) it
//! follows; where it simplifies, the doc comment says so.
//!
//! Consumers follow the shape of the Java consumer's poll loop: `poll()` returns up to
//! `max.poll.records` records of the instance's partitions; the application processes them one
//! by one; the next `poll()` auto-commits (when due) and fetches again. Group membership
//! changes are noticed at poll boundaries, as in Kafka, so a rebalance waits for members to
//! finish their current batch.

mod handling;
mod publishing;

use handling::PendingEmit;
pub use handling::{
    AttemptOutcome, BackoffPolicy, BackoffRun, BitSet, DeadLetter, Dependency, Emit, FailureCause,
    Handler, HandlingState, HandlingStats, Retry, DEAD_LETTER_LIMIT, HISTORY_LIMIT,
};
pub use publishing::{
    CdcConnector, ConnectorState, OutboxRelay, PublishStats, Publisher, WorkerState,
};

use super::event::{Event, PackedEvent};
use super::key_table::KeyTable;
use super::queue::EventQueue;
use super::table::{EntityNumber, Table};
use crate::distribution::{exponential, DurationDist, KeyChooser};
use crate::kafka::assignor::{self, AssignorKind, Subscription, TopicPartition};
use crate::kafka::log::{PartitionLog, Record, NO_KEY};
use crate::kafka::partitioner::StickyPartitioner;
use crate::kafka::partitioner::{murmur2, partition_for_key, to_positive};
use crate::observer::{SimEvent, SkipReason};
use crate::rng::Stream;
use crate::scenario::model::{ActionKind, Arrival, CommitPolicy, OffsetReset};
use crate::time::SimTime;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// A topic and its partition logs.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Topic name.
    pub name: String,
    /// One log per partition.
    pub partitions: Table<PartitionLog>,
    /// `retention.ms` in microseconds.
    pub retention: u64,
    /// Groups subscribed to this topic, with the index of this topic's first partition in the
    /// group's flat partition table.
    pub subscribers: Vec<(u16, u32)>,
    /// For a retry topic: how long after being appended a record becomes due (Spring pauses
    /// the partition until then).
    pub due_delay: u64,
    /// Keep every record in memory (dead-letter topics: they can be replayed).
    pub retained: bool,
    /// Records ever appended: the sum of the partitions' log-end offsets, kept as records
    /// arrive so that the metrics sampler reads a DLQ's depth without visiting its partitions
    /// (and the report its topics' record counts, which the metrics counted a second time).
    appended: u64,
    /// Partition of each key of a producer's key space in this topic (murmur2, computed on
    /// first use).
    key_partitions: BTreeMap<u16, PartitionTable>,
}

/// The partition of each key of a key space in one topic, computed once with Kafka's murmur2
/// partitioner: a byte per key where the topic has at most 256 partitions.
///
/// Why bytes: the producer looks up a random key's partition for every record. As four
/// bytes per key, the table of the SimPy runs' 10,000 keys (40 KB) did not fit the 32 KB
/// first-level cache beside everything else: 92k of the retry-topic run's 433k first-level
/// read misses were on it (`valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64`).
/// As bytes (10 KB) the SimPy runs took 0.985× (retry topics) and 0.984× (blocking) the
/// time (alternating `evflow bench` rounds).
#[derive(Clone, Debug)]
pub enum PartitionTable {
    /// Topics of up to 256 partitions.
    Bytes(Rc<[u8]>),
    /// Larger topics.
    Words(Rc<[u32]>),
}

impl PartitionTable {
    /// A table of no keys.
    pub fn empty() -> Self {
        PartitionTable::Bytes(Rc::from([]))
    }

    /// The table of these partitions (each below `partitions`).
    pub fn new(partition_of: Vec<u32>, partitions: u32) -> Self {
        if partitions <= 256 {
            PartitionTable::Bytes(partition_of.into_iter().map(|p| p as u8).collect())
        } else {
            PartitionTable::Words(partition_of.into())
        }
    }

    /// The partition of key `index`, if the table covers it.
    #[inline(always)]
    pub fn get(&self, index: usize) -> Option<u32> {
        match self {
            PartitionTable::Bytes(table) => table.get(index).map(|&p| u32::from(p)),
            PartitionTable::Words(table) => table.get(index).copied(),
        }
    }

    /// How many keys the table covers.
    pub fn len(&self) -> usize {
        match self {
            PartitionTable::Bytes(table) => table.len(),
            PartitionTable::Words(table) => table.len(),
        }
    }

    /// Whether the table covers no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key's partition, in key order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }
}

impl Topic {
    /// Records ever appended to the topic (all partitions).
    pub fn appended(&self) -> u64 {
        self.appended
    }
}

/// A producer's key space from a pattern such as `order-{1..10000}`.
#[derive(Clone, Debug)]
pub struct KeySpace {
    /// Text before the number.
    pub prefix: String,
    /// First number of the range.
    pub first: u64,
    /// Text after the number.
    pub suffix: String,
    /// How many keys (1 for a fixed key, which is then `prefix` alone).
    pub count: u32,
    /// Whether the pattern had a `{a..b}` range.
    pub ranged: bool,
    /// The partition of each key in the producer's topic (empty for key spaces over
    /// [`KeySpace::TABLE_LIMIT`] keys, whose partitions are computed when drawn).
    pub partition_of: PartitionTable,
}

impl KeySpace {
    /// Largest key space whose partitions are precomputed.
    pub const TABLE_LIMIT: u32 = 1 << 16;

    /// The partition of key `index` among `partitions` (Kafka's murmur2 partitioner).
    /// Computed per record for key spaces too large to tabulate, so it builds the key's bytes
    /// on the stack rather than in a `String`.
    pub fn partition(&self, index: u32, partitions: u32) -> u32 {
        self.with_key(index, |key| partition_for_key(key, partitions))
    }

    /// Kafka's `toPositive(murmur2(key))` of key `index`: its partition among `n` partitions
    /// is this modulo `n` (as in [`partition_for_key`]).
    pub fn key_hash(&self, index: u32) -> u32 {
        self.with_key(index, |key| to_positive(murmur2(key)) as u32)
    }

    /// The partitions of every key, in key order.
    ///
    /// The keys of a range are consecutive numbers, so the key's bytes are written once and
    /// then counted up in place, digit by digit, between two hashes. Built afresh for each
    /// key (the decimal conversion and three copies), the table cost 214 instructions per key,
    /// 1% of a SimPy run's instructions for its 10,000 keys (callgrind).
    pub fn all_partitions(&self, partitions: u32) -> Vec<u32> {
        if !self.ranged {
            return (0..self.count)
                .map(|k| self.partition(k, partitions))
                .collect();
        }
        // Room for the 20 digits of the largest number and one more for the carry past it.
        let mut key = Vec::with_capacity(self.prefix.len() + 21 + self.suffix.len());
        key.extend_from_slice(self.prefix.as_bytes());
        key.extend_from_slice(self.first.to_string().as_bytes());
        key.extend_from_slice(self.suffix.as_bytes());
        let digits_start = self.prefix.len();
        let mut digits_end = key.len() - self.suffix.len();
        let mut table = Vec::with_capacity(self.count as usize);
        for _ in 0..self.count {
            table.push(partition_for_key(&key, partitions));
            // Add one to the number: trailing nines become zeros, and a number of nines
            // only (9, 99, ...) grows a leading one.
            let mut at = digits_end;
            loop {
                if at == digits_start {
                    key.insert(digits_start, b'1');
                    digits_end += 1;
                    break;
                }
                at -= 1;
                if key[at] == b'9' {
                    key[at] = b'0';
                } else {
                    key[at] += 1;
                    break;
                }
            }
        }
        table
    }

    /// The text of key `index`.
    pub fn key_text(&self, index: u32) -> String {
        self.with_key(index, |key| String::from_utf8_lossy(key).into_owned())
    }

    /// Calls `f` with the UTF-8 bytes of key `index`: the prefix, the decimal number, the
    /// suffix (a stack buffer unless the prefix and suffix are unusually long).
    fn with_key<R>(&self, index: u32, f: impl FnOnce(&[u8]) -> R) -> R {
        let (prefix, suffix) = (self.prefix.as_bytes(), self.suffix.as_bytes());
        if !self.ranged {
            return f(prefix);
        }
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut number = self.first + u64::from(index);
        loop {
            start -= 1;
            digits[start] = b'0' + (number % 10) as u8;
            number /= 10;
            if number == 0 {
                break;
            }
        }
        let digits = &digits[start..];
        let len = prefix.len() + digits.len() + suffix.len();
        let mut stack = [0u8; 96];
        let mut heap = Vec::new();
        let buffer = if len <= stack.len() {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap[..]
        };
        buffer[..prefix.len()].copy_from_slice(prefix);
        buffer[prefix.len()..prefix.len() + digits.len()].copy_from_slice(digits);
        buffer[prefix.len() + digits.len()..].copy_from_slice(suffix);
        f(buffer)
    }
}

/// Where a producer's records go.
#[derive(Clone, Debug)]
pub enum Keys {
    /// Keyed records: partition = murmur2(key) mod partitions.
    Keyed {
        space: KeySpace,
        chooser: KeyChooser,
    },
    /// Keyless records: Kafka ≥ 3.3's sticky partitioning.
    Keyless(StickyPartitioner),
    /// The entity key travels only in the payload: records are keyless (sticky partitioning),
    /// so events of one entity spread over partitions.
    Payload {
        /// The entity key space.
        space: KeySpace,
        /// How entity keys are drawn.
        chooser: KeyChooser,
        /// The partitioner of the keyless records.
        sticky: StickyPartitioner,
    },
}

impl Keys {
    /// The entity key space, if records carry entity keys.
    pub fn space(&self) -> Option<&KeySpace> {
        match self {
            Keys::Keyed { space, .. } | Keys::Payload { space, .. } => Some(space),
            Keys::Keyless(_) => None,
        }
    }
}

/// A producer of records.
#[derive(Clone, Debug)]
pub struct Producer {
    /// Producer name.
    pub name: String,
    /// Target topic index.
    pub topic: u16,
    /// Records per second (read it with [`Producer::rate`]; set it with `set_rate`, which
    /// keeps `mean_gap` in step).
    rate: f64,
    /// The mean gap between records in µs, `None` when the rate is not above 0 (or NaN), or so
    /// small that `1e6 / rate` is not finite: worked out when the rate is set rather than
    /// divided out again for every record.
    mean_gap: Option<f64>,
    /// Spacing of records.
    pub arrival: Arrival,
    /// `(size, every)` for bursts.
    pub burst: Option<(u32, u64)>,
    /// Key model.
    pub keys: Keys,
    /// One row per entity key of this producer (columns: [`ENTITY_SEQ`], the cached key
    /// hash, then [`ENTITY_GROUPS`]` + g` per group; see [`KeyTable`] for why they share a
    /// row).
    pub(crate) entities: KeyTable,
    /// Maximum number of records, if any.
    pub limit: Option<u64>,
    /// Records produced so far.
    pub produced: u64,
    /// Paused by the timeline.
    pub paused: bool,
    /// Serialized record size in bytes.
    pub record_size: u32,
    /// Event type of its records.
    pub event_type: u16,
    /// How its events reach Kafka.
    pub publisher: Publisher,
    /// Dual-write / outbox / CDC counters.
    pub publish_stats: PublishStats,
    /// Invalidates scheduled emissions after a pause or a rate change.
    epoch: u32,
    rng: Stream,
}

impl Producer {
    /// Records per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    fn set_rate(&mut self, rate: f64) {
        self.rate = rate;
        self.mean_gap = Producer::mean_gap_of(rate);
    }

    /// The mean gap in µs at `rate` records per second, if the rate allows records at all.
    fn mean_gap_of(rate: f64) -> Option<f64> {
        let mean = 1e6 / rate;
        (rate > 0.0 && mean.is_finite()).then_some(mean)
    }
}

/// The consumer settings of a group.
#[derive(Clone, Debug)]
pub struct GroupConfig {
    /// The partition assignor.
    pub assignor: AssignorKind,
    /// Processing time per record.
    pub processing: DurationDist,
    /// `max.poll.records`.
    pub max_poll_records: u32,
    /// Commit policy.
    pub commit: CommitPolicy,
    /// `auto.commit.interval.ms` in microseconds.
    pub auto_commit_interval: u64,
    /// `session.timeout.ms` in microseconds.
    pub session_timeout: u64,
    /// Join + sync time of a rebalance, in microseconds.
    pub rebalance_time: u64,
    /// Delay between an append and the fetch of an idle consumer.
    pub fetch_latency: u64,
    /// `auto.offset.reset`.
    pub offset_reset: OffsetReset,
}

/// The owner of a partition: an instance in one of its incarnations (a restarted instance is
/// a new member, as with Kafka's dynamic membership).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    /// Instance index in the group.
    pub instance: u16,
    /// Which life of the instance.
    pub incarnation: u32,
}

/// A group's view of one partition it consumes.
#[derive(Clone, Debug)]
pub struct GroupPartition {
    /// Topic index.
    pub topic: u16,
    /// Partition number.
    pub partition: u32,
    /// The committed offset (next offset to read), `None` before the first commit.
    pub committed: Option<u64>,
    /// The member that owns it, if any. Code that changes it, `position` or `head_due`, or
    /// adds to an instance's `ready`, must clear that instance's `Instance::paused_until`.
    pub owner: Option<Owner>,
    /// The owner's fetch position.
    pub position: u64,
    /// The owner's next unprocessed offset.
    pub processed: u64,
    /// The partition is in its owner's ready list (it may have records to fetch).
    queued: bool,
    /// One past the highest offset this group ever processed: lower offsets are redeliveries.
    pub high_water: u64,
    /// `(offset, due)`: the record at `offset` of this retry topic was not due when last
    /// looked at and becomes due at `due`. Records never change once appended, so while the
    /// position stays there, `poll()` skips the partition and the idle wake-up is planned
    /// without reading the record again (the SimPy retry-topic run read one not-due record
    /// twice per poll: in the fetch and for the wake-up).
    head_due: (u64, SimTime),
}

/// Life cycle of a consumer instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceState {
    /// Running its poll loop.
    Running,
    /// Crashed (no goodbye).
    Crashed,
    /// Stopped cleanly.
    Stopped,
}

/// A record handed to an instance by `poll()`.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// Index into the group's partition table.
    pub slot: u32,
    /// The record's offset.
    pub offset: u64,
    /// The record.
    pub record: Record,
}

/// The records of one `poll()`, taken in order. Filled only when empty (an instance polls
/// again once its batch is done), so a vector read from a cursor serves: no ring-buffer index
/// arithmetic on each push, look and pop, as a `VecDeque` has. That was 1.2% of the SimPy
/// blocking run's instructions and 1.1% of the 1M-record pipeline's (callgrind).
///
/// Rule: `next < deliveries.len()`, unless both are 0 (the last pop clears the batch), so the
/// batch is empty exactly when `deliveries` is.
#[derive(Debug, Default)]
struct Batch {
    deliveries: Vec<Delivery>,
    /// The first record not yet processed.
    next: usize,
}

/// A clone (a seek checkpoint) keeps only the records not yet processed.
impl Clone for Batch {
    fn clone(&self) -> Self {
        Batch {
            deliveries: self.deliveries[self.next..].to_vec(),
            next: 0,
        }
    }
}

impl Batch {
    #[inline]
    fn push(&mut self, delivery: Delivery) {
        self.deliveries.push(delivery);
    }

    #[inline]
    fn front(&self) -> Option<&Delivery> {
        self.deliveries.get(self.next)
    }

    /// Done with the first record.
    #[inline]
    fn pop_front(&mut self) {
        self.next += 1;
        if self.next >= self.deliveries.len() {
            self.clear();
        }
    }

    #[inline]
    fn len(&self) -> usize {
        debug_assert!(
            self.next < self.deliveries.len() || self.deliveries.is_empty() && self.next == 0
        );
        self.deliveries.len() - self.next
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }

    #[inline]
    fn clear(&mut self) {
        self.deliveries.clear();
        self.next = 0;
    }
}

/// One consumer instance (a member of the group while running).
#[derive(Clone, Debug)]
pub struct Instance {
    /// Client id, e.g. `payment-service-0`.
    pub name: String,
    /// Life cycle state.
    pub state: InstanceState,
    /// Bumped on every crash / stop / restart; events of older lives are ignored.
    pub incarnation: u32,
    /// Partition slots owned now.
    pub assigned: Vec<u32>,
    /// What the sticky assignors remember as this member's previous assignment.
    previous_assignment: Vec<u32>,
    /// Records of the current poll not processed yet; the first is the one being processed
    /// (`poll` starts on a batch as soon as it fetched it, and the pop that ends an attempt
    /// starts the next, so between events a non-empty batch always has its head in flight).
    /// It stays in place rather than moving to a field of its own: that move copied the
    /// 80-byte delivery through the stack, and the mismatched stores and loads (a
    /// store-to-load forward that fails) took 13% of `process_next`'s samples in the SimPy
    /// retry-topic run (`perf annotate`).
    batch: Batch,
    /// Idle and waiting to be woken by new records.
    waiting: bool,
    /// Joined the current rebalance.
    joined: bool,
    /// An assignment to take at the next poll.
    pending_assignment: Option<Vec<u32>>,
    /// When auto-commit is next due.
    next_auto_commit: SimTime,
    /// An auto-commit timer is scheduled.
    commit_timer: bool,
    /// Owned partitions that may have records to fetch, in turn (a partition partly drained
    /// by a poll goes to the back, as the Java fetcher rotates the partitions it returns).
    ready: VecDeque<u32>,
    /// Processed records not yet committed (auto-commit).
    uncommitted: bool,
    /// The planned outcome of the attempt in flight.
    pub attempt: AttemptOutcome,
    /// The back-off of a record being retried in place.
    pub backoff: Option<BackoffRun>,
    /// A wake-up is scheduled for when a retry-topic record becomes due.
    due_wake: Option<SimTime>,
    /// Before this time every partition in `ready` is a paused retry-topic partition whose
    /// first record is not due yet (0: not known). A poll then finds nothing to fetch and
    /// `ready` comes back in the same order, so `fetch` returns at once; and `go_idle` plans
    /// its wake-up for this time. Set by every fetch that left only such partitions (so always
    /// after a fetch that found nothing, unless `ready` is empty); cleared by whatever could
    /// change that: a partition joining `ready`, a partition changing owner, retention moving
    /// a log's start. So it is 0 whenever `ready` is empty (`ready` only empties by a `clear`,
    /// which clears it too, or in a fetch, which clears it first).
    paused_until: SimTime,
    rng: Stream,
}

impl Instance {
    /// Records polled and not yet processed, including the one in flight.
    pub fn records_in_hand(&self) -> usize {
        self.batch.len()
    }

    /// The record being processed: the head of the batch.
    pub fn in_flight(&self) -> Option<&Delivery> {
        self.batch.front()
    }
}

/// A rebalance in progress.
#[derive(Clone, Debug, Default)]
struct Rebalance {
    /// The completion event is scheduled.
    completing: bool,
}

/// A consumer group.
#[derive(Clone, Debug)]
pub struct Group {
    /// Group id.
    pub name: String,
    /// Subscribed topic indexes.
    pub topics: Vec<u16>,
    /// Flat table of the partitions of all subscribed topics: each topic of `topics` in turn,
    /// its partitions in order (a topic's slots start at its `Topic::subscribers` base). Built
    /// once by `World::add_group`; the lag walk and housekeeping rely on this layout.
    pub partitions: Table<GroupPartition>,
    /// The instances.
    pub instances: Table<Instance>,
    /// Consumer settings.
    pub config: GroupConfig,
    /// The group generation (bumped by every completed rebalance).
    pub generation: u32,
    /// Completed rebalances (not counting the initial formation of the group).
    pub rebalances: u32,
    /// Crashed members the coordinator has not noticed yet.
    pub ghosts: Vec<Owner>,
    rebalance: Option<Rebalance>,
    /// After a cooperative first round revoked partitions, the follow-up round is due.
    second_round_due: bool,
    /// What the handler does (None: every record succeeds with no side effect).
    pub handler: Option<Handler>,
    /// Handler state and counters.
    pub handling: HandlingState,
    /// [`Group::total_lag`], kept up to date as records arrive (`World::wake_readers`), offsets
    /// are committed (`commit_partition`) and retention moves the log-start offset of a
    /// partition nothing was committed in (`World::housekeeping`). The metrics sampler reads
    /// it for `max_lag` at the samples that keep no row of the series (3,073 of 4,098 in a
    /// default run): walking the 48 partitions of the SimPy retry-topic run for them cost
    /// about 1% of its time (0.989× with this sum). The invariant checker compares it with
    /// the walk at every sample.
    lag: u64,
}

impl Group {
    /// [`Group::total_lag`] without walking the partitions (see the field).
    pub fn lag(&self) -> u64 {
        self.lag
    }

    /// Whether a rebalance is in progress.
    pub fn rebalancing(&self) -> bool {
        self.rebalance.is_some()
    }

    /// Whether the assignor is cooperative (incremental rebalancing).
    pub fn cooperative(&self) -> bool {
        self.config.assignor.is_cooperative()
    }

    /// Lag of one partition (`log-end offset − committed offset`), `None` when nothing is
    /// committed (Kafka's describe prints `-`).
    pub fn partition_lag(&self, slot: usize, topics: &Table<Topic>) -> Option<u64> {
        let gp = &self.partitions[slot];
        let end = topics[gp.topic as usize].partitions[gp.partition as usize].end_offset();
        gp.committed.map(|c| end.saturating_sub(c))
    }

    /// Calls `visit(share, lag)` for each partition in slot order: its share of
    /// [`Group::total_lag`] and its [`Group::partition_lag`]. The flat table lists each
    /// subscribed topic's partitions in order (see `World::add_group`), so it is walked one
    /// topic at a time beside that topic's logs, rather than looking up each slot's log by its
    /// topic and partition. The metrics sampler does this for every partition at every sample;
    /// the walk took 5% off the sampler in the SimPy retry-topic run (48 partitions a sample,
    /// callgrind).
    #[inline]
    fn for_each_lag(&self, topics: &Table<Topic>, mut visit: impl FnMut(u64, Option<u64>)) {
        debug_assert_eq!(
            self.topics
                .iter()
                .map(|&topic| topics[topic as usize].partitions.len())
                .sum::<usize>(),
            self.partitions.len(),
            "the flat table holds every partition of every subscribed topic"
        );
        let mut slots: &[GroupPartition] = &self.partitions;
        for &topic in &self.topics {
            let logs = &topics[topic as usize].partitions;
            let (these, rest) = slots.split_at(logs.len().min(slots.len()));
            slots = rest;
            for (partition, (gp, log)) in these.iter().zip(logs).enumerate() {
                debug_assert_eq!((gp.topic, gp.partition as usize), (topic, partition));
                let end = log.end_offset();
                let from = gp.committed.unwrap_or(log.start_offset());
                visit(
                    end.saturating_sub(from),
                    gp.committed.map(|c| end.saturating_sub(c)),
                );
            }
        }
    }

    /// Total lag over the group's partitions, counting an uncommitted partition from its
    /// log-start offset (everything in it is still to be confirmed).
    pub fn total_lag(&self, topics: &Table<Topic>) -> u64 {
        let mut total = 0;
        self.for_each_lag(topics, |share, _| total += share);
        total
    }

    /// [`Group::total_lag`], also appending each partition's lag (0 when nothing is
    /// committed) to `each`: the metrics sampler's one pass over the partitions.
    pub fn total_and_partition_lags(&self, topics: &Table<Topic>, each: &mut Vec<u64>) -> u64 {
        let mut total = 0;
        each.reserve(self.partitions.len());
        self.for_each_lag(topics, |share, lag| {
            total += share;
            each.push(lag.unwrap_or(0));
        });
        total
    }
}

/// A timeline action resolved to indexes.
#[derive(Clone, Debug)]
pub struct Action {
    /// When.
    pub at: SimTime,
    /// What.
    pub kind: ActionKind,
    /// Group index for instance actions.
    pub group: Option<u16>,
    /// Instance index.
    pub instance: Option<u16>,
    /// Producer index.
    pub producer: Option<u16>,
    /// New rate for `set_rate`.
    pub rate: Option<f64>,
    /// Dependency index for outage actions.
    pub dependency: Option<u16>,
}

/// The whole simulated state plus its agenda.
#[derive(Clone)]
pub struct World {
    /// Current simulated time.
    pub now: SimTime,
    /// The world seed.
    pub seed: u64,
    /// Topics.
    pub topics: Table<Topic>,
    /// Producers.
    pub producers: Table<Producer>,
    /// Consumer groups.
    pub groups: Table<Group>,
    /// Systems handlers call synchronously.
    pub dependencies: Vec<Dependency>,
    /// Event type names (records carry an index).
    pub event_types: Vec<String>,
    /// Dead-letter records with their headers and attempt history (the first
    /// [`DEAD_LETTER_LIMIT`]).
    pub dead_letters: Vec<DeadLetter>,
    /// The timeline.
    pub actions: Vec<Action>,
    /// Narration step times.
    pub narration: Vec<SimTime>,
    /// The sampling interval.
    pub sample_interval: u64,
    /// Next event id to hand out.
    next_event_id: u64,
    /// Emitted events waiting for their publishing delay.
    pending_emits: Vec<Option<PendingEmit>>,
    /// Free slots of `pending_emits`.
    free_emits: Vec<u32>,
    pub(super) queue: EventQueue<PackedEvent>,
    pub(super) emitted: Vec<SimEvent>,
}

/// Builders used by [`crate::engine::build`].
impl World {
    pub(super) fn empty(seed: u64, sample_interval: u64) -> Self {
        World {
            now: 0,
            seed,
            topics: Table::default(),
            producers: Table::default(),
            groups: Table::default(),
            dependencies: Vec::new(),
            event_types: Vec::new(),
            dead_letters: Vec::new(),
            actions: Vec::new(),
            narration: Vec::new(),
            sample_interval,
            next_event_id: 1,
            pending_emits: Vec::new(),
            free_emits: Vec::new(),
            queue: EventQueue::default(),
            emitted: Vec::new(),
        }
    }

    /// Adds a topic and returns its number, or an error once topic numbers (`u16`) run out:
    /// validation allows enough groups and retry topics to get there.
    pub(super) fn add_topic(
        &mut self,
        name: &str,
        partitions: u32,
        retention: u64,
    ) -> Result<u16, super::BuildError> {
        let index = u16::try_from(self.topics.len()).map_err(|_| {
            super::BuildError::Invalid(format!(
                "more than {} topics, counting the retry and dead-letter topics of the handlers",
                usize::from(u16::MAX) + 1
            ))
        })?;
        self.topics.push(Topic {
            name: name.to_string(),
            partitions: vec![PartitionLog::default(); partitions as usize].into(),
            retention,
            subscribers: Vec::new(),
            due_delay: 0,
            retained: false,
            appended: 0,
            key_partitions: BTreeMap::new(),
        });
        Ok(index)
    }

    /// The index of an event type name, registering it on first use.
    pub(super) fn event_type(&mut self, name: &str) -> u16 {
        match self.event_types.iter().position(|n| n == name) {
            Some(index) => index as u16,
            None => {
                self.event_types.push(name.to_string());
                (self.event_types.len() - 1) as u16
            }
        }
    }

    /// Hands out the next event id.
    pub(super) fn next_event_id(&mut self) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        id
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_producer(
        &mut self,
        name: &str,
        topic: u16,
        rate: f64,
        arrival: Arrival,
        burst: Option<(u32, u64)>,
        keys: Keys,
        limit: Option<u64>,
        record_size: u32,
        start: SimTime,
        event_type: u16,
        publisher: Publisher,
    ) {
        let key_count = keys.space().map_or(0, |space| space.count as usize);
        let index = self.producers.len() as u16;
        self.producers.push(Producer {
            name: name.to_string(),
            topic,
            rate,
            mean_gap: Producer::mean_gap_of(rate),
            arrival,
            burst,
            keys,
            // Groups are added first (`Simulation::from_scenario`), so every group has a column.
            entities: KeyTable::new(key_count, ENTITY_GROUPS + self.groups.len()),
            limit,
            produced: 0,
            paused: false,
            record_size,
            event_type,
            publisher,
            publish_stats: PublishStats::default(),
            epoch: 0,
            rng: Stream::new(self.seed, &format!("producer:{name}")),
        });
        self.schedule_first_emission(index, start);
        self.start_publisher(index);
    }

    pub(super) fn add_group(
        &mut self,
        name: &str,
        topics: Vec<u16>,
        instances: u32,
        config: GroupConfig,
        handler: Option<Handler>,
    ) {
        let index = self.groups.len() as u16;
        let mut partitions = Vec::new();
        for &topic in &topics {
            let base = partitions.len() as u32;
            self.topics[topic.ix()].subscribers.push((index, base));
            for partition in 0..self.topics[topic.ix()].partitions.len() as u32 {
                partitions.push(GroupPartition {
                    topic,
                    partition,
                    committed: None,
                    owner: None,
                    position: 0,
                    processed: 0,
                    high_water: 0,
                    queued: false,
                    head_due: (u64::MAX, 0),
                });
            }
        }
        self.groups.push(Group {
            name: name.to_string(),
            topics,
            partitions: partitions.into(),
            instances: Table::default(),
            config,
            generation: 0,
            rebalances: 0,
            ghosts: Vec::new(),
            rebalance: None,
            second_round_due: false,
            handler,
            handling: HandlingState::default(),
            lag: 0,
        });
        for _ in 0..instances {
            self.new_instance(index);
        }
        // The group starts formed (as if it had been running): generation 1 at time 0, with
        // no rebalance delay.
        let group = &mut self.groups[index as usize];
        for instance in &mut group.instances {
            instance.joined = true;
        }
        group.rebalance = Some(Rebalance { completing: true });
        self.complete_rebalance(index);
        self.groups[index as usize].rebalances = 0;
    }

    fn new_instance(&mut self, group: u16) -> u16 {
        let g = &mut self.groups[group.ix()];
        let index = g.instances.len() as u16;
        let name = format!("{}-{}", g.name, index);
        let rng = Stream::new(self.seed, &format!("consumer:{name}"));
        g.instances.push(Instance {
            name,
            state: InstanceState::Running,
            incarnation: 0,
            assigned: Vec::new(),
            previous_assignment: Vec::new(),
            batch: Batch::default(),
            waiting: true,
            joined: false,
            pending_assignment: None,
            next_auto_commit: self.now + g.config.auto_commit_interval,
            commit_timer: false,
            ready: VecDeque::new(),
            uncommitted: false,
            attempt: AttemptOutcome::Success,
            backoff: None,
            due_wake: None,
            paused_until: 0,
            rng,
        });
        index
    }

    pub(super) fn schedule_bookkeeping(&mut self, end: SimTime) {
        for (index, action) in self.actions.iter().enumerate() {
            if action.at <= end {
                self.queue.schedule_event(
                    action.at,
                    Event::Action {
                        index: index as u32,
                    },
                );
            }
        }
        for (step, &at) in self.narration.iter().enumerate() {
            if at <= end {
                self.queue
                    .schedule_event(at, Event::Narration { step: step as u32 });
            }
        }
        if self.sample_interval > 0 {
            self.queue.schedule_event(0, Event::Sample);
        }
        if !self.topics.is_empty() {
            self.queue
                .schedule_event(HOUSEKEEPING_INTERVAL, Event::Housekeeping);
        }
    }
}

/// Event handling.
impl World {
    #[inline]
    fn emit(&mut self, event: SimEvent) {
        self.emitted.push(event);
    }

    /// Runs the next scheduled event if it is due at or before `limit`. Returns its time, or
    /// `None` when nothing is due by then. Inlined into its one caller, the run loop of
    /// `Simulation::steps_due_with` (see there why).
    #[inline(always)]
    pub(super) fn step_due(&mut self, limit: SimTime) -> Option<SimTime> {
        let (time, event) = self.queue.pop_due(limit)?;
        self.now = time;
        match Event::from(event) {
            Event::Produce { producer, epoch } => self.on_produce(producer, epoch),
            Event::Poll {
                group,
                instance,
                incarnation,
            } => {
                if self.is_current(group, instance, incarnation) {
                    self.poll(group, instance);
                }
            }
            Event::ProcessDone {
                group,
                instance,
                incarnation,
            } => {
                if self.is_current(group, instance, incarnation) {
                    self.on_process_done(group, instance);
                }
            }
            Event::AutoCommit {
                group,
                instance,
                incarnation,
            } => {
                if self.is_current(group, instance, incarnation) {
                    self.on_auto_commit_timer(group, instance);
                }
            }
            Event::SessionTimeout {
                group,
                instance,
                incarnation,
            } => {
                self.on_session_timeout(
                    group,
                    Owner {
                        instance,
                        incarnation,
                    },
                );
            }
            Event::RebalanceComplete { group } => self.complete_rebalance(group),
            Event::OutboxPoll {
                producer,
                worker,
                epoch,
            } => self.on_outbox_poll(producer, worker, epoch),
            Event::OutboxPublished {
                producer,
                worker,
                epoch,
            } => self.on_outbox_published(producer, worker, epoch),
            Event::RelayRestart {
                producer,
                worker,
                epoch,
            } => self.on_relay_restart(producer, worker, epoch),
            Event::CdcCapture { producer, epoch } => self.on_cdc_capture(producer, epoch),
            Event::CdcFlush { producer } => self.on_cdc_flush(producer),
            Event::EmitDue { index } => self.on_emit_due(index),
            Event::ConnectorRestart { producer, epoch } => {
                self.on_connector_restart(producer, epoch)
            }
            Event::Action { index } => self.on_action(index as usize),
            Event::Narration { step } => self.emit(SimEvent::Narration { step }),
            Event::Sample => {
                self.emit(SimEvent::Sample);
                self.queue
                    .schedule_timer(time + self.sample_interval, Event::Sample);
            }
            Event::Housekeeping => {
                self.housekeeping();
                self.queue
                    .schedule_timer(time + HOUSEKEEPING_INTERVAL, Event::Housekeeping);
            }
        }
        Some(time)
    }

    /// The time of the next scheduled event.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// How many kernel events were scheduled so far.
    pub fn kernel_events(&self) -> u64 {
        self.queue.scheduled()
    }

    fn is_current(&self, group: u16, instance: u16, incarnation: u32) -> bool {
        let i = &self.groups[group.ix()].instances[instance.ix()];
        i.state == InstanceState::Running && i.incarnation == incarnation
    }

    // ----- producers -------------------------------------------------------------------

    #[inline(always)]
    fn gap(&mut self, producer: u16) -> Option<u64> {
        let p = &mut self.producers[producer.ix()];
        let mean = p.mean_gap?;
        let gap = match p.arrival {
            Arrival::Poisson => exponential(&mut p.rng, mean),
            Arrival::Constant => mean.round() as u64,
            Arrival::Burst => p.burst.map_or(mean.round() as u64, |(_, every)| every),
        };
        Some(gap.max(1))
    }

    fn schedule_first_emission(&mut self, producer: u16, start: SimTime) {
        let epoch = self.producers[producer.ix()].epoch;
        let first = match self.producers[producer.ix()].arrival {
            Arrival::Burst => Some(0),
            _ => self.gap(producer),
        };
        if let Some(gap) = first {
            self.queue
                .schedule_event(start + gap, Event::Produce { producer, epoch });
        }
    }

    fn on_produce(&mut self, producer: u16, epoch: u32) {
        let p = &self.producers[producer.ix()];
        if p.epoch != epoch || p.paused {
            return;
        }
        let count = match p.arrival {
            Arrival::Burst => p.burst.map_or(1, |(size, _)| size),
            _ => 1,
        };
        for _ in 0..count {
            let p = &self.producers[producer.ix()];
            if p.limit.is_some_and(|limit| p.produced >= limit) {
                return;
            }
            self.produce_one(producer);
        }
        if let Some(gap) = self.gap(producer) {
            self.queue
                .schedule_event(self.now + gap, Event::Produce { producer, epoch });
        }
    }

    fn produce_one(&mut self, producer: u16) {
        let event_id = self.next_event_id();
        let now = self.now;
        let p = &mut self.producers[producer.ix()];
        let (key, keyed) = match &p.keys {
            Keys::Keyed { chooser, .. } => (chooser.sample(&mut p.rng), true),
            Keys::Payload { chooser, .. } => (chooser.sample(&mut p.rng), false),
            Keys::Keyless(_) => (NO_KEY, false),
        };
        let (row, key_seq) = if key == NO_KEY {
            (NO_KEY, 0)
        } else {
            let row = p.entities.row(key);
            (row, p.entities.increment(row, ENTITY_SEQ))
        };
        p.produced += 1;
        let mut record = Record::root(now, event_id, key, row, key_seq, producer, p.event_type);
        record.keyed = keyed;
        self.publish(producer, record);
    }

    /// Appends a record to a topic (to `partition`, or the one the producer's partitioner
    /// picks), tells the observers and wakes idle readers. Returns the partition and offset.
    pub(super) fn append(
        &mut self,
        topic: u16,
        record: Record,
        partition: Option<u32>,
    ) -> (u32, u64) {
        let partition = match partition {
            Some(p) => p,
            None => self.choose_partition(topic, &record),
        };
        let topic_log = &mut self.topics[topic.ix()];
        topic_log.appended += 1;
        // A checked lookup, unlike the engine's others (see `table`): partition numbers chosen
        // for another topic arrive here, with records forwarded to a retry or dead-letter topic
        // (`forward_partition` keeps them in range) and replayed dead letters (modulo the
        // topic's count).
        let offset = topic_log.partitions[partition as usize].append(record);
        self.emit(SimEvent::Produced {
            producer: record.producer,
            topic,
            partition,
            offset,
            record,
        });
        self.wake_readers(topic, partition);
        (partition, offset)
    }

    /// Kafka's default partitioner: murmur2 of the key for keyed records; the producer's
    /// sticky partitioner for keyless records to its own topic; event ids spread other keyless
    /// records.
    fn choose_partition(&mut self, topic: u16, record: &Record) -> u32 {
        if let Some(partition) = self.key_partition(topic, record) {
            return partition;
        }
        let partitions = self.topics[topic.ix()].partitions.len() as u32;
        let producer = &mut self.producers[record.producer.ix()];
        if producer.topic == topic {
            let size = producer.record_size;
            let rng = &mut producer.rng;
            match &mut producer.keys {
                Keys::Keyless(sticky) | Keys::Payload { sticky, .. } => {
                    return sticky.partition(size, || rng.next_u32());
                }
                Keys::Keyed { .. } => {}
            }
        }
        (record.event_id % u64::from(partitions)) as u32
    }

    /// The partition of a keyed record in `topic` (murmur2 of its key), or `None` for a
    /// record without a Kafka key. It depends only on the key and the topic, never on when
    /// it is asked, so code that holds a record back (a delayed emit, a CDC capture) asks when
    /// the key's entity row was just used and is still in cache: asked at append time instead,
    /// the row of one of a million keys was a cache miss that took 14% of the 1M-record
    /// pipeline (`perf annotate`).
    #[inline(always)]
    pub(super) fn key_partition(&mut self, topic: u16, record: &Record) -> Option<u32> {
        if !record.keyed || record.key == NO_KEY {
            return None;
        }
        let producer = &self.producers[record.producer.ix()];
        if producer.topic == topic {
            let tabulated = producer.keys.space().map(|space| &space.partition_of);
            if let Some(p) = tabulated.and_then(|table| table.get(record.key as usize)) {
                return Some(p);
            }
        }
        Some(self.untabulated_key_partition(topic, record))
    }

    /// [`World::key_partition`] for a key without a precomputed partition: another topic
    /// than its producer's, or a key space too large to tabulate.
    #[inline(never)]
    fn untabulated_key_partition(&mut self, topic: u16, record: &Record) -> u32 {
        let partitions = self.topics[topic.ix()].partitions.len() as u32;
        let producer = &mut self.producers[record.producer.ix()];
        let Some(space) = producer.keys.space() else {
            return 0;
        };
        if space.count > KeySpace::TABLE_LIMIT {
            // Too many keys to tabulate per topic: the key's murmur2 hash is kept in its
            // entity row (topic-independent), computed on first use.
            let row = record.row;
            let cached = producer.entities.get(row, ENTITY_HASH);
            let hash = if cached & KNOWN_HASH != 0 {
                cached & !KNOWN_HASH
            } else {
                let hash = space.key_hash(record.key);
                producer.entities.set(row, ENTITY_HASH, hash | KNOWN_HASH);
                hash
            };
            return hash % partitions;
        }
        let cache = self.topics[topic.ix()]
            .key_partitions
            .entry(record.producer)
            .or_insert_with(|| PartitionTable::new(space.all_partitions(partitions), partitions));
        cache.get(record.key as usize).unwrap_or(0)
    }

    /// Wakes the idle owner of `topic`/`partition` in every subscribed group (a long-poll fetch
    /// returning as soon as data arrives, `fetch.min.bytes = 1`).
    fn wake_readers(&mut self, topic: u16, partition: u32) {
        let now = self.now;
        for &(group, base) in &self.topics[topic.ix()].subscribers {
            let g = &mut self.groups[group.ix()];
            g.lag += 1; // the log-end offset moved on for every subscribed group
            let slot = base + partition;
            let gp = &mut g.partitions[slot.ix()];
            let Some(owner) = gp.owner else {
                continue;
            };
            let instance = &mut g.instances[owner.instance.ix()];
            if instance.state != InstanceState::Running || instance.incarnation != owner.incarnation
            {
                continue;
            }
            if !gp.queued {
                gp.queued = true;
                instance.ready.push_back(slot);
                instance.paused_until = 0;
            }
            if instance.waiting {
                instance.waiting = false;
                let at = now + g.config.fetch_latency;
                self.queue.schedule_event(
                    at,
                    Event::Poll {
                        group,
                        instance: owner.instance,
                        incarnation: owner.incarnation,
                    },
                );
            }
        }
    }

    // ----- consumers -------------------------------------------------------------------

    /// One `poll()` of an instance whose previous batch is fully processed.
    fn poll(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let i = &mut g.instances[instance.ix()];
        if !i.batch.is_empty() {
            return; // a stale wake-up: the instance is busy and will poll after its batch
        }
        i.waiting = false;
        if (g.rebalance.is_some() || i.pending_assignment.is_some())
            && !self.poll_membership(group, instance)
        {
            return;
        }
        self.maybe_auto_commit(group, instance);
        if self.fetch(group, instance) {
            self.start_attempt(group, instance);
        } else {
            self.go_idle(group, instance);
        }
    }

    /// The membership part of `poll()` while the group rebalances or a new assignment waits:
    /// join, take the assignment. Returns whether the member may fetch now. Out of line: most
    /// polls see a stable group and skip it.
    #[inline(never)]
    fn poll_membership(&mut self, group: u16, instance: u16) -> bool {
        let g = &mut self.groups[group.ix()];
        if g.rebalance.is_some() && !g.instances[instance.ix()].joined {
            self.join(group, instance);
        }
        let g = &mut self.groups[group.ix()];
        if g.instances[instance.ix()].pending_assignment.is_some() {
            self.apply_assignment(group, instance);
        }
        let g = &mut self.groups[group.ix()];
        if g.rebalance.is_some() && !g.cooperative() {
            // Eager protocol: a joined member holds no partitions until the new assignment.
            g.instances[instance.ix()].waiting = true;
            return false;
        }
        true
    }

    fn go_idle(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let auto = g.config.commit == CommitPolicy::Auto;
        let i = &mut g.instances[instance.ix()];
        i.waiting = true;
        // Retry-topic records not due yet: Spring pauses the partition and resumes it when
        // the first record is due. The poll that found nothing left only such partitions in
        // `ready` and noted when the first is due; an empty `ready` is the usual idle spell.
        let due = (self.now < i.paused_until).then_some(i.paused_until);
        debug_assert_eq!(
            due.is_none(),
            i.ready.is_empty(),
            "an idle instance's ready list holds only paused partitions"
        );
        if let Some(due) = due {
            // One wake-up per due time: one not yet run for an earlier or equal time already
            // covers `due`; one for a later time is not enough, so an earlier one is added (the
            // later one still runs, as a harmless extra poll). Before, every idle spell
            // scheduled its own, up to one per record processed while a retry waited.
            if i.due_wake.is_none_or(|at| at > due || at <= self.now) {
                i.due_wake = Some(due);
                let incarnation = i.incarnation;
                self.queue.schedule_timer(
                    due,
                    Event::Poll {
                        group,
                        instance,
                        incarnation,
                    },
                );
            }
        }
        // A real consumer keeps calling poll() while idle, so auto-commit still happens on
        // time; model that with a timer instead of busy polling.
        if !auto || i.commit_timer {
            return;
        }
        if i.uncommitted {
            i.commit_timer = true;
            let at = i.next_auto_commit.max(self.now);
            let incarnation = i.incarnation;
            self.queue.schedule_timer(
                at,
                Event::AutoCommit {
                    group,
                    instance,
                    incarnation,
                },
            );
        }
    }

    fn on_auto_commit_timer(&mut self, group: u16, instance: u16) {
        let i = &mut self.groups[group.ix()].instances[instance.ix()];
        i.commit_timer = false;
        if i.batch.is_empty() {
            self.maybe_auto_commit(group, instance);
        }
    }

    /// Kafka's auto-commit: inside `poll()`, once `auto.commit.interval.ms` has passed, commit
    /// the positions of everything returned by earlier polls (all processed by now).
    fn maybe_auto_commit(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let i = &mut g.instances[instance.ix()];
        if g.config.commit != CommitPolicy::Auto || self.now < i.next_auto_commit {
            return;
        }
        i.next_auto_commit = self.now + g.config.auto_commit_interval;
        self.commit_owned(group, instance);
    }

    /// Commits the processed position of every partition the instance owns.
    fn commit_owned(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        g.instances[instance.ix()].uncommitted = false;
        for n in 0..g.instances[instance.ix()].assigned.len() {
            let slot = g.instances[instance.ix()].assigned[n];
            let offset = g.partitions[slot.ix()].processed;
            commit_partition(g, slot, &self.topics, group, offset, &mut self.emitted);
        }
    }

    fn commit(&mut self, group: u16, slot: u32, offset: u64) {
        let g = &mut self.groups[group.ix()];
        commit_partition(g, slot, &self.topics, group, offset, &mut self.emitted);
    }

    /// Fills the instance's batch with up to `max.poll.records` records from its ready
    /// partitions, in turn (the Java fetcher also rotates the partitions it drains). Only
    /// partitions that received records since they were last drained are visited. Returns
    /// whether the batch has records.
    fn fetch(&mut self, group: u16, instance: u16) -> bool {
        let now = self.now;
        let g = &mut self.groups[group.ix()];
        let reset = g.config.offset_reset;
        let mut budget = g.config.max_poll_records as usize;
        let i = &mut g.instances[instance.ix()];
        let me = Owner {
            instance,
            incarnation: i.incarnation,
        };
        if i.ready.is_empty() {
            // Nothing to fetch: the usual poll after a record in a quiet run. Returns before
            // setting up the loop; an empty `ready` has no pause (see `paused_until`).
            debug_assert_eq!(i.paused_until, 0, "an empty ready list has no pause");
            return !i.batch.is_empty();
        }
        if now < i.paused_until {
            debug_assert!(
                i.ready.iter().all(|&slot| {
                    let gp = &g.partitions[slot.ix()];
                    let log = &self.topics[gp.topic.ix()].partitions[gp.partition.ix()];
                    gp.owner == Some(me)
                        && gp.head_due.0 == gp.position
                        && gp.head_due.1 >= i.paused_until
                        && (log.start_offset()..log.end_offset()).contains(&gp.position)
                }),
                "paused_until outlived the state it summarised"
            );
            return false; // every ready partition is paused until then (see `paused_until`)
        }
        i.paused_until = 0;
        // The paused partitions pushed back by this poll, and the earliest due among them.
        let (mut paused, mut first_due) = (0, SimTime::MAX);
        let mut visits = i.ready.len();
        while visits > 0 && budget > 0 {
            visits -= 1;
            let Some(slot) = i.ready.pop_front() else {
                break;
            };
            let gp = &mut g.partitions[slot.ix()];
            if gp.owner != Some(me) {
                continue; // a stale entry: the partition moved on
            }
            let topic = &self.topics[gp.topic.ix()];
            let log = &topic.partitions[gp.partition.ix()];
            if gp.position >= log.end_offset() {
                gp.queued = false;
                continue;
            }
            if gp.position < log.start_offset() {
                reset_expired_position(gp, group, log, reset, &mut self.emitted);
            }
            if gp.head_due.0 == gp.position && gp.head_due.1 > now {
                i.ready.push_back(slot); // its first record is still not due
                paused += 1;
                first_due = first_due.min(gp.head_due.1);
                continue;
            }
            let from = gp.position;
            let available = log.end_offset().saturating_sub(from) as usize;
            let mut take = available.min(budget);
            for n in 0..take as u64 {
                let offset = from + n;
                if let Some(record) = log.get(offset) {
                    if topic.due_delay > 0 && record.produced_at + topic.due_delay > now {
                        take = n as usize; // the rest of this retry topic is not due yet
                        gp.head_due = (offset, record.produced_at + topic.due_delay);
                        break;
                    }
                    i.batch.push(Delivery {
                        slot,
                        offset,
                        record: *record,
                    });
                }
            }
            if take > 0 {
                gp.position += take as u64;
                budget -= take;
                self.emitted.push(SimEvent::Fetched {
                    group,
                    instance,
                    topic: gp.topic,
                    partition: gp.partition,
                    from,
                    count: take as u32,
                });
            }
            if gp.position < log.end_offset() {
                i.ready.push_back(slot);
                if gp.head_due.0 == gp.position && gp.head_due.1 > now {
                    // Its first record left is not due: found just now, in the loop above.
                    paused += 1;
                    first_due = first_due.min(gp.head_due.1);
                }
            } else {
                gp.queued = false;
            }
        }
        // After a poll that found nothing, every partition left is paused, so this is set
        // whenever `ready` is not empty (what `go_idle` relies on).
        if paused > 0 && paused == i.ready.len() {
            i.paused_until = first_due;
        }
        !i.batch.is_empty()
    }

    /// Starts on the next record of the batch, or polls once the batch is done.
    fn process_next(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let commit = g.config.commit;
        if g.instances[instance.ix()].batch.is_empty() {
            if commit == CommitPolicy::Batch {
                self.commit_owned(group, instance);
            }
            self.poll(group, instance);
            return;
        }
        self.start_attempt(group, instance);
    }

    /// Begins an attempt at the first record of the (non-empty) batch and schedules its end.
    ///
    /// A poll that fetched records comes here directly, not through `process_next`: with the
    /// two calling each other, neither could be inlined into the other, and a record's way
    /// through a quiet consumer (a poll that fetches it, its end, the poll that finds nothing)
    /// paid four calls' register saves and restores.
    #[inline(always)]
    fn start_attempt(&mut self, group: u16, instance: u16) {
        let incarnation = self.groups[group.ix()].instances[instance.ix()].incarnation;
        let took = self.begin_attempt(group, instance);
        self.queue.schedule_event(
            self.now + took,
            Event::ProcessDone {
                group,
                instance,
                incarnation,
            },
        );
    }

    fn on_process_done(&mut self, group: u16, instance: u16) {
        let g = &self.groups[group.ix()];
        let Some(&delivery) = g.instances[instance.ix()].in_flight() else {
            return;
        };
        let duplicate = delivery.offset < g.partitions[delivery.slot.ix()].high_water;
        let Some((disposition, effect, out_of_order)) =
            self.finish_attempt(group, instance, &delivery, duplicate)
        else {
            return; // retried in place: the record stays in flight
        };
        let g = &mut self.groups[group.ix()];
        let i = &mut g.instances[instance.ix()];
        i.batch.pop_front();
        let gp = &mut g.partitions[delivery.slot.ix()];
        gp.high_water = gp.high_water.max(delivery.offset + 1);
        gp.processed = delivery.offset + 1;
        let (topic, partition) = (gp.topic, gp.partition);
        let commit = g.config.commit;
        g.instances[instance.ix()].uncommitted = true;
        self.emit(SimEvent::Processed {
            group,
            instance,
            topic,
            partition,
            offset: delivery.offset,
            record: delivery.record,
            duplicate,
            disposition,
            effect,
            out_of_order,
        });
        if commit == CommitPolicy::Record {
            self.commit(group, delivery.slot, delivery.offset + 1);
        }
        self.process_next(group, instance);
    }

    // ----- membership and rebalancing ------------------------------------------------

    /// Starts a rebalance (a member joined, left, or was timed out). Members notice it at
    /// their next poll; idle members join at once.
    fn start_rebalance(&mut self, group: u16) {
        let g = &mut self.groups[group.ix()];
        if g.rebalance.is_some() {
            // Already rebalancing: the change is folded into the rebalance under way (the
            // assignment is computed from the members present when it completes).
            self.check_join_complete(group);
            return;
        }
        g.rebalance = Some(Rebalance::default());
        let generation = g.generation + 1;
        for i in &mut g.instances {
            i.joined = false;
        }
        self.emit(SimEvent::RebalanceStarted { group, generation });
        let count = self.groups[group.ix()].instances.len();
        for instance in 0..count as u16 {
            let i = &self.groups[group.ix()].instances[instance.ix()];
            if i.state == InstanceState::Running && i.batch.is_empty() {
                self.join(group, instance);
            }
        }
        self.check_join_complete(group);
    }

    /// A member (re)joins at a poll boundary. Under the eager protocol it first commits and
    /// revokes everything it owns (Kafka's `onJoinPrepare`); cooperative members keep their
    /// partitions and go on consuming.
    fn join(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        g.instances[instance.ix()].joined = true;
        if !g.cooperative() {
            if g.config.commit == CommitPolicy::Auto {
                self.commit_owned(group, instance);
            }
            let owned =
                std::mem::take(&mut self.groups[group.ix()].instances[instance.ix()].assigned);
            for slot in owned {
                self.release(group, instance, slot);
            }
        }
        self.check_join_complete(group);
    }

    fn release(&mut self, group: u16, instance: u16, slot: u32) {
        let g = &mut self.groups[group.ix()];
        g.instances[instance.ix()].paused_until = 0;
        let gp = &mut g.partitions[slot.ix()];
        gp.owner = None;
        let (topic, partition) = (gp.topic, gp.partition);
        self.emit(SimEvent::Revoked {
            group,
            instance,
            topic,
            partition,
        });
    }

    /// Once every running member has joined and no crashed member is still registered, the
    /// leader computes the assignment (`rebalance_time` later).
    fn check_join_complete(&mut self, group: u16) {
        let g = &mut self.groups[group.ix()];
        let Some(rebalance) = &mut g.rebalance else {
            return;
        };
        if rebalance.completing || !g.ghosts.is_empty() {
            return;
        }
        let all_joined = g
            .instances
            .iter()
            .all(|i| i.state != InstanceState::Running || i.joined);
        if all_joined {
            rebalance.completing = true;
            let at = self.now + g.config.rebalance_time;
            self.queue
                .schedule_event(at, Event::RebalanceComplete { group });
        }
    }

    /// The leader's assignment (via the group's assignor) is handed to every member; members
    /// take it at their next poll.
    fn complete_rebalance(&mut self, group: u16) {
        let g = &mut self.groups[group.ix()];
        if !g.ghosts.is_empty() {
            // A member crashed during the sync: wait for the coordinator to notice it.
            if let Some(rebalance) = &mut g.rebalance {
                rebalance.completing = false;
            }
            return;
        }
        let members: Vec<u16> = (0..g.instances.len() as u16)
            .filter(|&i| g.instances[i as usize].state == InstanceState::Running)
            .collect();
        let topic_names: Vec<String> = g
            .topics
            .iter()
            .map(|&t| self.topics[t as usize].name.clone())
            .collect();
        let partitions_per_topic: BTreeMap<String, u32> = g
            .topics
            .iter()
            .map(|&t| {
                let topic = &self.topics[t as usize];
                (topic.name.clone(), topic.partitions.len() as u32)
            })
            .collect();
        let slot_of = |tp: &TopicPartition| -> Option<u32> {
            g.partitions
                .iter()
                .position(|gp| {
                    self.topics[gp.topic.ix()].name == tp.topic && gp.partition == tp.partition
                })
                .map(|p| p as u32)
        };
        let to_tp = |slot: u32| {
            let gp = &g.partitions[slot.ix()];
            TopicPartition::new(self.topics[gp.topic.ix()].name.clone(), gp.partition)
        };
        let subscriptions: BTreeMap<String, Subscription> = members
            .iter()
            .map(|&m| {
                let i = &g.instances[m as usize];
                let owned_slots = if g.config.assignor.is_cooperative() {
                    &i.assigned
                } else {
                    &i.previous_assignment
                };
                let owned = match g.config.assignor {
                    AssignorKind::Sticky | AssignorKind::CooperativeSticky => {
                        owned_slots.iter().map(|&s| to_tp(s)).collect()
                    }
                    _ => Vec::new(),
                };
                (
                    member_key(m),
                    Subscription {
                        topics: topic_names.clone(),
                        owned,
                        generation: Some(g.generation as i32),
                    },
                )
            })
            .collect();
        let assignment = assignor::assign(g.config.assignor, &partitions_per_topic, &subscriptions)
            .unwrap_or_default();
        let mut plans: Vec<(u16, Vec<u32>)> = Vec::new();
        let mut revokes = false;
        for &m in &members {
            let mut slots: Vec<u32> = assignment
                .get(&member_key(m))
                .map(|tps| tps.iter().filter_map(&slot_of).collect())
                .unwrap_or_default();
            slots.sort_unstable();
            let current = &g.instances[m as usize].assigned;
            if current.iter().any(|s| !slots.contains(s)) {
                revokes = true;
            }
            plans.push((m, slots));
        }
        g.generation += 1;
        g.rebalances += 1;
        g.rebalance = None;
        g.second_round_due = revokes && g.cooperative();
        let generation = g.generation;
        for (m, slots) in plans {
            g.instances[m as usize].pending_assignment = Some(slots);
        }
        self.emit(SimEvent::RebalanceCompleted { group, generation });
        // Idle members take their assignment now; busy ones at their next poll.
        for m in members {
            let i = &self.groups[group.ix()].instances[m as usize];
            if i.batch.is_empty() {
                let incarnation = i.incarnation;
                self.groups[group.ix()].instances[m as usize].waiting = false;
                self.queue.schedule_event(
                    self.now,
                    Event::Poll {
                        group,
                        instance: m,
                        incarnation,
                    },
                );
            }
        }
    }

    /// A member takes its new assignment: revoked partitions are committed and released;
    /// new ones start from the committed offset (or `auto.offset.reset`).
    fn apply_assignment(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let Some(target) = g.instances[instance.ix()].pending_assignment.take() else {
            return;
        };
        let current = g.instances[instance.ix()].assigned.clone();
        let auto = g.config.commit == CommitPolicy::Auto;
        for &slot in current.iter().filter(|s| !target.contains(s)) {
            if auto {
                let offset = self.groups[group.ix()].partitions[slot.ix()].processed;
                self.commit(group, slot, offset);
            }
            self.release(group, instance, slot);
        }
        let g = &mut self.groups[group.ix()];
        let incarnation = g.instances[instance.ix()].incarnation;
        let mut kept = Vec::with_capacity(target.len());
        for &slot in &target {
            if current.contains(&slot) {
                kept.push(slot);
                continue;
            }
            let gp = &g.partitions[slot.ix()];
            if gp.owner.is_some() {
                continue; // still held by its previous owner (cannot happen with a correct assignor)
            }
            kept.push(slot);
            let log = &self.topics[gp.topic.ix()].partitions[gp.partition.ix()];
            let (start, end) = (log.start_offset(), log.end_offset());
            let position = match gp.committed {
                Some(c) if c >= start => c,
                Some(_) | None => match g.config.offset_reset {
                    OffsetReset::Earliest => start,
                    OffsetReset::Latest => end,
                },
            };
            let gp = &mut g.partitions[slot.ix()];
            let skipped_from = gp.high_water.max(gp.committed.unwrap_or(0));
            if position > skipped_from {
                let reason = if gp.committed.is_some_and(|c| c < start) {
                    SkipReason::Expired
                } else {
                    SkipReason::ResetToLatest
                };
                self.emitted.push(SimEvent::Skipped {
                    group,
                    topic: gp.topic,
                    partition: gp.partition,
                    from: skipped_from,
                    to: position,
                    reason,
                });
                gp.high_water = position;
            }
            gp.owner = Some(Owner {
                instance,
                incarnation,
            });
            gp.position = position;
            gp.processed = position;
            let (topic, partition) = (gp.topic, gp.partition);
            self.emitted.push(SimEvent::Assigned {
                group,
                instance,
                topic,
                partition,
                position,
            });
        }
        let i = &mut g.instances[instance.ix()];
        for &slot in kept.iter().filter(|s| !current.contains(s)) {
            g.partitions[slot.ix()].queued = true;
            i.ready.push_back(slot);
            i.paused_until = 0;
        }
        i.assigned = kept.clone();
        i.previous_assignment = kept;
        if g.second_round_due && g.instances.iter().all(|i| i.pending_assignment.is_none()) {
            // Kafka's cooperative protocol: members that revoked partitions rejoin at once,
            // and a second round hands the freed partitions to their new owners.
            g.second_round_due = false;
            self.start_rebalance(group);
        }
    }

    fn on_session_timeout(&mut self, group: u16, ghost: Owner) {
        let g = &mut self.groups[group.ix()];
        let Some(index) = g.ghosts.iter().position(|&o| o == ghost) else {
            return;
        };
        g.ghosts.remove(index);
        let slots: Vec<u32> = (0..g.partitions.len() as u32)
            .filter(|&s| g.partitions[s as usize].owner == Some(ghost))
            .collect();
        for slot in slots {
            self.release(group, ghost.instance, slot);
        }
        let g = &mut self.groups[group.ix()];
        let i = &mut g.instances[ghost.instance.ix()];
        if i.incarnation == ghost.incarnation {
            i.assigned.clear();
        }
        self.emit(SimEvent::CrashDetected {
            group,
            instance: ghost.instance,
        });
        self.start_rebalance(group);
    }

    // ----- the timeline ----------------------------------------------------------------

    fn on_action(&mut self, index: usize) {
        let action = self.actions[index].clone();
        if !self.action_targets_exist(&action) {
            return;
        }
        match action.kind {
            ActionKind::Crash => {
                self.crash(action.group.unwrap_or(0), action.instance.unwrap_or(0))
            }
            ActionKind::Restart => {
                self.restart(action.group.unwrap_or(0), action.instance.unwrap_or(0))
            }
            ActionKind::Stop => self.stop(action.group.unwrap_or(0), action.instance.unwrap_or(0)),
            ActionKind::AddInstance => {
                let group = action.group.unwrap_or(0);
                let instance = self.new_instance(group);
                self.emit(SimEvent::InstanceStarted { group, instance });
                self.start_rebalance(group);
                self.join_if_idle(group, instance);
            }
            ActionKind::PauseProducer | ActionKind::ResumeProducer => {
                let producer = action.producer.unwrap_or(0);
                let paused = action.kind == ActionKind::PauseProducer;
                let p = &mut self.producers[producer.ix()];
                if p.paused == paused {
                    return;
                }
                p.paused = paused;
                p.epoch += 1;
                self.emit(SimEvent::ProducerPaused { producer, paused });
                if !paused {
                    self.schedule_first_emission(producer, self.now);
                }
            }
            ActionKind::OutageStart | ActionKind::OutageEnd => {
                let Some(dependency) = action.dependency else {
                    return;
                };
                let down = action.kind == ActionKind::OutageStart;
                let d = &mut self.dependencies[dependency as usize];
                if d.down != down {
                    d.down = down;
                    self.emit(SimEvent::OutageChanged { dependency, down });
                }
            }
            ActionKind::ReplayDlq => self.replay_dead_letters(action.group.unwrap_or(0)),
            ActionKind::CrashRelay => self.crash_relay(action.producer.unwrap_or(0)),
            ActionKind::PauseConnector => {
                self.control_connector(action.producer.unwrap_or(0), Some(true))
            }
            ActionKind::ResumeConnector => {
                self.control_connector(action.producer.unwrap_or(0), Some(false))
            }
            ActionKind::CrashConnector => {
                self.control_connector(action.producer.unwrap_or(0), None)
            }
            ActionKind::SetRate => {
                let producer = action.producer.unwrap_or(0);
                let p = &mut self.producers[producer.ix()];
                p.set_rate(action.rate.unwrap_or(p.rate));
                p.epoch += 1;
                let per_second_bits = p.rate.to_bits();
                let paused = p.paused;
                self.emit(SimEvent::RateChanged {
                    producer,
                    per_second_bits,
                });
                if !paused {
                    self.schedule_first_emission(producer, self.now);
                }
            }
        }
    }

    fn join_if_idle(&mut self, group: u16, instance: u16) {
        let g = &self.groups[group.ix()];
        let i = &g.instances[instance.ix()];
        if g.rebalance.is_some() && !i.joined && i.batch.is_empty() {
            self.join(group, instance);
        }
    }

    /// Whether the group, instance or producer an action names exists (in the engine's
    /// unchecked tables: see `engine::table`). Validation makes sure of it for a scenario read
    /// from a file; this covers a `Scenario` built in code, whose bad actions are ignored.
    fn action_targets_exist(&self, action: &Action) -> bool {
        let group = || action.group.and_then(|g| self.groups.get(usize::from(g)));
        let producer_exists = || {
            action
                .producer
                .is_some_and(|p| usize::from(p) < self.producers.len())
        };
        match action.kind {
            ActionKind::Crash | ActionKind::Restart | ActionKind::Stop => action
                .group
                .zip(action.instance)
                .is_some_and(|(group, instance)| self.has_instance(group, instance)),
            // Room for one more instance number (loops over members count in a `u16`).
            ActionKind::AddInstance => {
                group().is_some_and(|g| g.instances.len() < usize::from(u16::MAX))
            }
            ActionKind::ReplayDlq => group().is_some(),
            ActionKind::PauseProducer
            | ActionKind::ResumeProducer
            | ActionKind::CrashRelay
            | ActionKind::PauseConnector
            | ActionKind::ResumeConnector
            | ActionKind::CrashConnector
            | ActionKind::SetRate => producer_exists(),
            // Dependencies are a checked `Vec`, and `on_action` skips a missing one.
            ActionKind::OutageStart | ActionKind::OutageEnd => true,
        }
    }

    /// Whether `group` has an instance numbered `instance`: the check before a number from
    /// outside the engine (the web app's crash and restart buttons) reaches its unchecked
    /// lookups (see `engine::table`).
    pub fn has_instance(&self, group: u16, instance: u16) -> bool {
        self.groups
            .get(usize::from(group))
            .is_some_and(|g| usize::from(instance) < g.instances.len())
    }

    /// Kills an instance: what it was processing is lost, its partitions stay assigned to the
    /// dead member until `session.timeout.ms` passes without a heartbeat.
    pub(super) fn crash(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let session_timeout = g.config.session_timeout;
        let i = &mut g.instances[instance.ix()];
        if i.state != InstanceState::Running {
            return;
        }
        i.state = InstanceState::Crashed;
        i.ready.clear();
        i.paused_until = 0;
        i.backoff = None;
        i.due_wake = None;
        i.batch.clear();
        i.waiting = false;
        i.joined = false;
        i.pending_assignment = None;
        let ghost = Owner {
            instance,
            incarnation: i.incarnation,
        };
        g.ghosts.push(ghost);
        self.queue.schedule_event(
            self.now + session_timeout,
            Event::SessionTimeout {
                group,
                instance,
                incarnation: ghost.incarnation,
            },
        );
        self.emit(SimEvent::InstanceCrashed { group, instance });
        if self.groups[group.ix()].second_round_due {
            self.groups[group.ix()].second_round_due = false;
            self.start_rebalance(group);
        }
        self.check_join_complete(group);
    }

    /// Starts a crashed or stopped instance as a new member (dynamic membership: a new member
    /// id), which triggers a rebalance.
    pub(super) fn restart(&mut self, group: u16, instance: u16) {
        let now = self.now;
        let g = &mut self.groups[group.ix()];
        let interval = g.config.auto_commit_interval;
        let i = &mut g.instances[instance.ix()];
        if i.state == InstanceState::Running {
            return;
        }
        i.state = InstanceState::Running;
        i.incarnation += 1;
        i.ready.clear();
        i.paused_until = 0;
        i.assigned.clear();
        i.previous_assignment.clear();
        i.waiting = true;
        i.joined = false;
        i.commit_timer = false;
        i.next_auto_commit = now + interval;
        self.emit(SimEvent::InstanceStarted { group, instance });
        self.start_rebalance(group);
        self.join_if_idle(group, instance);
    }

    /// Stops an instance cleanly: `close()` commits (with auto-commit) and leaves the group,
    /// so the rebalance starts at once instead of after the session timeout.
    pub(super) fn stop(&mut self, group: u16, instance: u16) {
        let g = &mut self.groups[group.ix()];
        let i = &mut g.instances[instance.ix()];
        if i.state != InstanceState::Running {
            return;
        }
        i.backoff = None;
        i.due_wake = None;
        i.ready.clear();
        i.paused_until = 0;
        i.batch.clear();
        if g.config.commit == CommitPolicy::Auto {
            self.commit_owned(group, instance);
        }
        let owned = std::mem::take(&mut self.groups[group.ix()].instances[instance.ix()].assigned);
        for slot in owned {
            self.release(group, instance, slot);
        }
        let i = &mut self.groups[group.ix()].instances[instance.ix()];
        i.state = InstanceState::Stopped;
        i.incarnation += 1;
        i.pending_assignment = None;
        i.joined = false;
        self.emit(SimEvent::InstanceStopped { group, instance });
        if self.groups[group.ix()].second_round_due {
            self.groups[group.ix()].second_round_due = false;
        }
        self.start_rebalance(group);
    }

    // ----- housekeeping ----------------------------------------------------------------

    /// Periodic: applies retention (Kafka checks every `log.retention.check.interval.ms`;
    /// here every second) and frees records no group can read again.
    fn housekeeping(&mut self) {
        let now = self.now;
        let mut moved_start = false;
        for t in 0..self.topics.len() {
            let retention = self.topics[t].retention;
            // Before `retention` has passed nothing can expire, and a log without a whole
            // segment in memory has nothing to free: most ticks skip most partitions without
            // looking at their groups (this loop was 2.7% of the SimPy retry-topics run).
            let expiring = now >= retention;
            let retained = self.topics[t].retained;
            // The smallest offset any subscribed group may still read, per partition.
            let partitions = self.topics[t].partitions.len();
            for p in 0..partitions {
                if !expiring && (retained || !self.topics[t].partitions[p].holds_a_full_segment()) {
                    continue;
                }
                let mut keep_from = u64::MAX;
                for &(group, base) in &self.topics[t].subscribers {
                    let gp = &self.groups[group.ix()].partitions[(base + p as u32) as usize];
                    keep_from = keep_from.min(gp.committed.unwrap_or(0));
                }
                let log = &mut self.topics[t].partitions[p];
                let start = log.start_offset();
                let new_start = log.apply_retention(now, retention);
                if new_start != start {
                    moved_start = true;
                    // A group that committed nothing here counts its lag from the log start.
                    for &(group, base) in &self.topics[t].subscribers {
                        let g = &mut self.groups[group.ix()];
                        if g.partitions[(base + p as u32) as usize].committed.is_none() {
                            g.lag -= new_start - start;
                        }
                    }
                }
                let log = &mut self.topics[t].partitions[p];
                if keep_from == u64::MAX {
                    keep_from = log.end_offset();
                }
                if !retained {
                    log.release_below(keep_from);
                }
            }
        }
        if moved_start {
            // A paused partition's first record may be gone: the next poll looks again.
            for i in self.groups.iter_mut().flat_map(|g| g.instances.iter_mut()) {
                i.paused_until = 0;
            }
        }
    }
}

/// Columns of a producer's entity rows ([`Producer::entities`]): the last sequence number
/// stamped on the key, its cached murmur2 hash (with [`KNOWN_HASH`] set), then one column per
/// group (`ENTITY_GROUPS + g`: the highest sequence group `g` processed).
pub(crate) const ENTITY_SEQ: usize = 0;
const ENTITY_HASH: usize = 1;
pub(crate) const ENTITY_GROUPS: usize = 2;
/// Marks a cached hash (a positive murmur2 hash never has the top bit set).
const KNOWN_HASH: u32 = 1 << 31;

/// How often retention is applied and unreadable records are freed.
const HOUSEKEEPING_INTERVAL: SimTime = crate::time::SECONDS;

/// Offsets deleted by retention: Kafka answers the fetch with OFFSET_OUT_OF_RANGE and the
/// consumer applies `auto.offset.reset`, skipping what it never processed. Out of line
/// (`#[cold]`): only runs with short retention get here, and out of the fetch loop the SimPy
/// runs take 0.2-0.3% fewer instructions (callgrind).
#[cold]
#[inline(never)]
fn reset_expired_position(
    gp: &mut GroupPartition,
    group: u16,
    log: &PartitionLog,
    reset: OffsetReset,
    emitted: &mut Vec<SimEvent>,
) {
    let to = match reset {
        OffsetReset::Earliest => log.start_offset(),
        OffsetReset::Latest => log.end_offset(),
    };
    let from = gp.position.max(gp.high_water);
    if to > from {
        emitted.push(SimEvent::Skipped {
            group,
            topic: gp.topic,
            partition: gp.partition,
            from,
            to,
            reason: SkipReason::Expired,
        });
        gp.high_water = to;
    }
    gp.position = to;
    gp.processed = to;
}

/// Commits `offset` for a group's partition unless it would not move the committed offset
/// forward (or would commit 0 where nothing was committed yet); tells the observers.
fn commit_partition(
    g: &mut Group,
    slot: u32,
    topics: &Table<Topic>,
    group: u16,
    offset: u64,
    emitted: &mut Vec<SimEvent>,
) {
    let gp = &mut g.partitions[slot.ix()];
    if gp.committed.is_some_and(|c| c >= offset) {
        return;
    }
    if gp.committed.is_none() && offset == 0 {
        return;
    }
    // The partition's share of the group's lag now counts from `offset`, not from the old
    // commit (or the log start). Moving forward, the share was at least `offset - from`, as
    // `offset` is at most the log-end offset, so the sum cannot underflow; a first commit
    // below the log start (retention deleted records before they were committed) makes the
    // share, and the sum, grow.
    let from = gp
        .committed
        .unwrap_or_else(|| topics[gp.topic.ix()].partitions[gp.partition.ix()].start_offset());
    g.lag = g.lag + from - offset;
    gp.committed = Some(offset);
    emitted.push(SimEvent::Committed {
        group,
        topic: gp.topic,
        partition: gp.partition,
        offset,
    });
}

/// The member id the assignor sees for instance `index` (zero-padded so that sorting by member
/// id, as the range assignor does, follows instance order).
pub fn member_key(index: u16) -> String {
    format!("member-{index:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(offset: u64) -> Delivery {
        Delivery {
            slot: 0,
            offset,
            record: Record::root(offset, offset, NO_KEY, NO_KEY, 0, 0, 0),
        }
    }

    fn offsets(batch: &Batch) -> Vec<u64> {
        let mut copy = batch.clone();
        let mut out = Vec::new();
        while let Some(d) = copy.front() {
            out.push(d.offset);
            copy.pop_front();
        }
        out
    }

    /// A batch hands out its records in order; the last pop empties it (cursor back to 0), and
    /// a clone keeps just what is left.
    #[test]
    fn a_batch_is_read_in_order_and_empties_on_its_last_pop() {
        let mut batch = Batch::default();
        assert_eq!(
            (batch.is_empty(), batch.len(), batch.front().is_none()),
            (true, 0, true)
        );
        for offset in 10..13 {
            batch.push(delivery(offset));
        }
        assert_eq!(
            (batch.len(), batch.front().map(|d| d.offset)),
            (3, Some(10))
        );
        batch.pop_front();
        assert_eq!(
            (batch.len(), batch.front().map(|d| d.offset)),
            (2, Some(11))
        );
        let clone = batch.clone();
        assert_eq!(
            (clone.next, clone.deliveries.len()),
            (0, 2),
            "a clone drops the processed"
        );
        assert_eq!(offsets(&clone), [11, 12]);
        batch.pop_front();
        batch.pop_front();
        assert_eq!(
            (batch.is_empty(), batch.len(), batch.front().is_none()),
            (true, 0, true)
        );
        assert_eq!(batch.next, 0);
        batch.push(delivery(20));
        assert_eq!(offsets(&batch), [20]);
        batch.clear();
        assert!(batch.is_empty() && batch.next == 0);
    }

    fn space(prefix: &str, first: u64, suffix: &str, count: u32, ranged: bool) -> KeySpace {
        KeySpace {
            prefix: prefix.into(),
            first,
            suffix: suffix.into(),
            count,
            ranged,
            partition_of: PartitionTable::empty(),
        }
    }

    #[test]
    fn key_text_is_prefix_number_suffix() {
        let keys = space("order-", 0, "-eu", 12, true);
        let long = space(&"p".repeat(100), 5, "", 1, true);
        assert_eq!(long.key_text(0), format!("{}5", "p".repeat(100)));
        assert_eq!(keys.key_text(0), "order-0-eu");
        assert_eq!(keys.key_text(11), "order-11-eu");
        let far = space("k", u64::MAX - 1, "", 2, true);
        assert_eq!(far.key_text(1), format!("k{}", u64::MAX));
        let fixed = space("singleton", 0, "", 1, false);
        assert_eq!(fixed.key_text(0), "singleton");
    }

    /// A byte per key up to 256 partitions, four above; both read back every partition.
    #[test]
    fn a_partition_table_reads_back_what_it_was_built_from() {
        let keys = space("order-", 1, "", 3_000, true);
        for partitions in [1, 12, 255, 256, 257, 10_000] {
            let partition_of = keys.all_partitions(partitions);
            let table = PartitionTable::new(partition_of.clone(), partitions);
            assert_eq!(
                matches!(table, PartitionTable::Bytes(_)),
                partitions <= 256,
                "{partitions} partitions"
            );
            assert_eq!(table.len(), 3_000);
            assert_eq!(table.iter().collect::<Vec<_>>(), partition_of);
            assert_eq!(table.get(2_999), Some(partition_of[2_999]));
            assert_eq!(table.get(3_000), None);
            if partitions > 12 {
                assert!(
                    partition_of.iter().any(|&p| p > 11),
                    "{partitions}: high partitions used"
                );
            }
        }
        assert!(PartitionTable::empty().is_empty());
    }

    #[test]
    fn precomputed_partitions_match_murmur2_of_each_key() {
        let keys = space("customer-", 7, "", 500, true);
        let table = keys.all_partitions(12);
        assert_eq!(table.len(), 500);
        for (k, &p) in table.iter().enumerate() {
            let text = format!("customer-{}", 7 + k);
            assert_eq!(p, partition_for_key(text.as_bytes(), 12));
            assert_eq!(p, keys.partition(k as u32, 12));
        }
        // Counting up across carries (…9 to …0, 99 to 100), with a suffix after the number
        // and from 0; a fixed key.
        for keys in [
            space("k", 0, "", 1_200, true),
            space("order-", 95, "-eu", 1_010, true),
            space("", 9_990, "x", 30, true),
            // From 19 digits to 20, up to the largest number.
            space("id-", 9_999_999_999_999_999_998, "", 4, true),
            space("k", u64::MAX - 3, "", 4, true),
            space("singleton", 0, "", 1, false),
        ] {
            let table = keys.all_partitions(7);
            assert_eq!(table.len(), keys.count as usize);
            for (k, &p) in table.iter().enumerate() {
                assert_eq!(
                    p,
                    keys.partition(k as u32, 7),
                    "{}",
                    keys.key_text(k as u32)
                );
            }
        }
    }
}
