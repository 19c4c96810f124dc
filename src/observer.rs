//! The one interface between the engine and everything that watches it.
//!
//! As ripgrep's `Sink` separates searching from printing, [`Observer`] separates simulating from
//! measuring: metrics, the trace recorder, the invariant checker and the web UI all implement
//! it, and the engine never knows who listens. Events are small `Copy` values describing one
//! state change each; observers also get read access to the world to sample state (lag).

use crate::engine::world::World;
use crate::kafka::log::Record;
use crate::time::SimTime;

/// Why records were skipped by a consumer group without being processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Retention deleted them before the group got to them.
    Expired,
    /// No committed offset and `auto.offset.reset = latest` moved the position to the end.
    ResetToLatest,
}

/// How a consumer finished with a record (its offset is done either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Handled successfully.
    Success,
    /// Not an event type the handler handles: acknowledged without work.
    Filtered,
    /// Failed and forwarded to a retry topic (non-blocking retries).
    Retried,
    /// Failed for good and published to the dead-letter topic.
    DeadLettered,
    /// Failed for good and skipped (logged) without a dead-letter topic.
    Dropped,
}

/// What happened to the handler's side effect (e.g. charging a card).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// No side effect (failed, filtered).
    None,
    /// Applied for the first time for this event.
    Applied,
    /// Applied again for an event already applied: a double charge.
    Repeated,
    /// Skipped because the idempotency store knew the event.
    Deduplicated,
}

/// One state change of the simulated world.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SimEvent {
    /// A producer appended a record.
    Produced {
        producer: u16,
        topic: u16,
        partition: u32,
        offset: u64,
        record: Record,
    },
    /// A consumer instance's poll returned `count` records of a partition starting at `from`.
    Fetched {
        group: u16,
        instance: u16,
        topic: u16,
        partition: u32,
        from: u64,
        count: u32,
    },
    /// A consumer instance finished processing a record.
    Processed {
        group: u16,
        instance: u16,
        topic: u16,
        partition: u32,
        offset: u64,
        record: Record,
        /// The group had processed this offset before (at-least-once redelivery).
        duplicate: bool,
        /// How the consumer finished with it.
        disposition: Disposition,
        /// What happened to the side effect.
        effect: Effect,
        /// An earlier event of the same entity key was processed after a later one.
        out_of_order: bool,
    },
    /// A handler attempt failed.
    AttemptFailed {
        group: u16,
        instance: u16,
        topic: u16,
        partition: u32,
        offset: u64,
        event_id: u64,
        /// Transient (retryable) or not (poison).
        retryable: bool,
        /// The blocking back-off before the next attempt in place, if one follows.
        retry_in: Option<u64>,
    },
    /// A dependency went down (`down = true`) or recovered.
    OutageChanged { dependency: u16, down: bool },
    /// A service committed a business write carrying an event (outbox / CDC / dual write).
    RowCommitted { producer: u16, event_id: u64 },
    /// A dual write lost its event (the service failed between the database and Kafka).
    EventLost { producer: u16, event_id: u64 },
    /// A dual write published an event whose database write then failed (a phantom event).
    PhantomPublished { producer: u16, event_id: u64 },
    /// An outbox relay worker crashed (`worker`) or a CDC connector crashed (`worker = u16::MAX`).
    RelayCrashed { producer: u16, worker: u16 },
    /// A group's dead-letter records were re-published to the original topic.
    DlqReplayed { group: u16, count: u64 },
    /// A group committed `offset` (the next offset to read) for a partition.
    Committed {
        group: u16,
        topic: u16,
        partition: u32,
        offset: u64,
    },
    /// A group skipped offsets `from..to` of a partition.
    Skipped {
        group: u16,
        topic: u16,
        partition: u32,
        from: u64,
        to: u64,
        reason: SkipReason,
    },
    /// An instance became the owner of a partition and will read from `position`.
    Assigned {
        group: u16,
        instance: u16,
        topic: u16,
        partition: u32,
        position: u64,
    },
    /// An instance gave up (or lost, after a crash) a partition.
    Revoked {
        group: u16,
        instance: u16,
        topic: u16,
        partition: u32,
    },
    /// A rebalance began (a member joined, left or was timed out).
    RebalanceStarted { group: u16, generation: u32 },
    /// A rebalance finished: the group has a new generation.
    RebalanceCompleted { group: u16, generation: u32 },
    /// An instance crashed (no goodbye: its partitions stall until the session times out).
    InstanceCrashed { group: u16, instance: u16 },
    /// The coordinator noticed a crashed instance after `session.timeout.ms`.
    CrashDetected { group: u16, instance: u16 },
    /// An instance started and joined the group.
    InstanceStarted { group: u16, instance: u16 },
    /// An instance stopped cleanly and left the group.
    InstanceStopped { group: u16, instance: u16 },
    /// A producer was paused (`paused = true`) or resumed.
    ProducerPaused { producer: u16, paused: bool },
    /// A producer's rate changed (records per second, as bits of an `f64`).
    RateChanged { producer: u16, per_second_bits: u64 },
    /// A narration step of the scenario was reached.
    Narration { step: u32 },
    /// A periodic sampling tick (observers read lag from the world).
    Sample,
}

/// Something that watches a simulation.
pub trait Observer {
    /// Called after each kernel step for every event the step produced, in order.
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World);
    /// Called once when the run ends (at `now`).
    fn on_finish(&mut self, _now: SimTime, _world: &World) {}
}
