//! An observer that checks the model's invariants on every event. Tests attach it to every
//! simulation they run; `evflow run --check-invariants` attaches it too.
//!
//! Invariants (per consumer group and partition):
//! - **Conservation**: every offset below the group's high-water mark was processed or
//!   explicitly skipped (retention / `auto.offset.reset`); everything above it is still in
//!   the log or in an instance's hands. Nothing silently vanishes.
//! - **Monotonic commits**: committed offsets only grow.
//! - **Single owner**: outside a rebalance hand-over, a partition has at most one owner.
//! - **Order**: within one ownership, records are processed in increasing offset order, and
//!   no never-processed offset is passed over unless skipped explicitly (a gap).
//! - **Bounded commits**: no offset beyond the log end is committed.
//! - **Forwarding**: a record a handler sends to a retry topic or the dead-letter topic
//!   appears there (same event id) before its offset is done, so retries and dead letters
//!   are records too and fall under conservation.
//! - **Publishing**: every event a service created is published, still in its outbox or log
//!   backlog, or counted as lost by a dual write.
//! - **Running sums**: at every metrics sample, each group's running lag and DLQ depth (what
//!   the sampler reads) equal the same figures summed over the partitions.

use crate::engine::world::World;
use crate::observer::{Disposition, Observer, SimEvent};
use crate::time::SimTime;

#[derive(Clone, Debug, Default)]
struct PartitionState {
    owner: Option<u16>,
    /// Next offset the owner must process (order check).
    expected: Option<u64>,
    committed: u64,
    /// One past the highest processed or skipped offset.
    high_water: u64,
    /// Distinct offsets processed for the first time.
    first_processed: u64,
    skipped: u64,
}

/// Collects violations (it never panics; tests assert the list is empty).
#[derive(Clone, Debug, Default)]
pub struct InvariantChecker {
    /// `[group][slot]` states.
    groups: Vec<Vec<PartitionState>>,
    /// Group-table slot of (group, topic, partition).
    slot_base: Vec<Vec<u32>>,
    /// Human-readable violations, in order (capped at 100).
    pub violations: Vec<String>,
    /// Events checked.
    pub events: u64,
    /// The last appended (event id, topic): a forwarded record's append comes right before
    /// its `Processed` event.
    last_append: Option<(u64, u16)>,
}

impl InvariantChecker {
    /// A checker shaped for `world`.
    pub fn new(world: &World) -> Self {
        let groups = world
            .groups
            .iter()
            .map(|g| vec![PartitionState::default(); g.partitions.len()])
            .collect();
        let slot_base = world
            .groups
            .iter()
            .map(|g| {
                let mut base = vec![u32::MAX; world.topics.len()];
                for (slot, gp) in g.partitions.iter().enumerate() {
                    if gp.partition == 0 {
                        base[gp.topic as usize] = slot as u32;
                    }
                }
                base
            })
            .collect();
        InvariantChecker {
            groups,
            slot_base,
            violations: Vec::new(),
            events: 0,
            last_append: None,
        }
    }

    fn violation(&mut self, now: SimTime, text: String) {
        if self.violations.len() < 100 {
            self.violations.push(format!("t={now}us: {text}"));
        }
    }

    fn state(&mut self, group: u16, topic: u16, partition: u32) -> &mut PartitionState {
        let base = self.slot_base[group as usize][topic as usize];
        &mut self.groups[group as usize][(base + partition) as usize]
    }

    /// The running sums the metrics sampler reads (each group's lag, its DLQ depth) equal the
    /// same figures summed partition by partition.
    pub fn check_running_sums(&mut self, now: SimTime, world: &World) {
        for (g, group) in world.groups.iter().enumerate() {
            let walked = group.total_lag(&world.topics);
            if group.lag() != walked {
                let text = format!(
                    "group {}: running lag {} != {} summed over its partitions",
                    group.name,
                    group.lag(),
                    walked
                );
                self.violation(now, text);
            }
            let (depth, walked) = (
                world.dlq_depth(g as u16),
                world.dlq_depth_by_partition(g as u16),
            );
            if depth != walked {
                let text = format!(
                    "group {}: running DLQ depth {depth} != {walked} summed over its partitions",
                    group.name
                );
                self.violation(now, text);
            }
        }
    }

    /// Checks conservation against the world's logs (at the end of a run).
    pub fn check_conservation(&mut self, now: SimTime, world: &World) {
        for (index, producer) in world.producers.iter().enumerate() {
            let s = &producer.publish_stats;
            let waiting = world.never_published_backlog(index as u16);
            if s.created != s.published + s.lost + waiting {
                let text = format!(
                    "producer {}: created {} != published {} + lost {} + never-published backlog {}",
                    producer.name, s.created, s.published, s.lost, waiting
                );
                self.violation(now, text);
            }
        }
        for (g, group) in world.groups.iter().enumerate() {
            for (slot, gp) in group.partitions.iter().enumerate() {
                let state = self.groups[g][slot].clone();
                let end =
                    world.topics[gp.topic as usize].partitions[gp.partition as usize].end_offset();
                let accounted = state.first_processed + state.skipped;
                if accounted != state.high_water || state.high_water > end {
                    let text = format!(
                        "group {} partition {}-{}: {} processed + {} skipped != high-water {} (log end {})",
                        group.name,
                        world.topics[gp.topic as usize].name,
                        gp.partition,
                        state.first_processed,
                        state.skipped,
                        state.high_water,
                        end
                    );
                    self.violation(now, text);
                }
                if state.high_water != gp.high_water {
                    let text = format!(
                        "group {} slot {slot}: checker high-water {} != engine {}",
                        group.name, state.high_water, gp.high_water
                    );
                    self.violation(now, text);
                }
            }
        }
    }
}

impl Observer for InvariantChecker {
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        self.events += 1;
        match *event {
            SimEvent::Assigned {
                group,
                instance,
                topic,
                partition,
                position,
            } => {
                let state = self.state(group, topic, partition);
                let previous = state.owner.replace(instance);
                state.expected = Some(position);
                if let Some(other) = previous {
                    self.violation(now, format!("group {group}: partition {topic}/{partition} assigned to {instance} while owned by {other}"));
                }
            }
            SimEvent::Revoked {
                group,
                instance,
                topic,
                partition,
            } => {
                let state = self.state(group, topic, partition);
                let owner = state.owner.take();
                state.expected = None;
                if owner != Some(instance) {
                    self.violation(now, format!("group {group}: {instance} revoked {topic}/{partition} it did not own ({owner:?})"));
                }
            }
            SimEvent::Produced { topic, record, .. } => {
                self.last_append = Some((record.event_id, topic));
            }
            SimEvent::Processed {
                group,
                instance,
                topic,
                partition,
                offset,
                duplicate,
                disposition,
                record,
                ..
            } => {
                let forwarded = matches!(
                    disposition,
                    Disposition::Retried | Disposition::DeadLettered
                );
                let appended = self
                    .last_append
                    .take()
                    .is_some_and(|(id, t)| id == record.event_id && t != topic);
                if forwarded && !appended {
                    self.violation(now, format!("group {group}: event {} was {disposition:?} but never appended elsewhere", record.event_id));
                }
                let state = self.state(group, topic, partition);
                let owner = state.owner;
                let expected = state.expected.replace(offset + 1);
                let high_water = state.high_water;
                let first = offset >= high_water;
                if first {
                    state.high_water = offset + 1;
                    state.first_processed += 1;
                }
                if first && offset != high_water {
                    self.violation(now, format!("group {group}: gap in {topic}/{partition}: offsets {high_water}..{offset} vanished"));
                }
                if first == duplicate {
                    self.violation(now, format!("group {group}: offset {offset} of {topic}/{partition} duplicate flag is {duplicate}"));
                }
                if owner != Some(instance) {
                    self.violation(now, format!("group {group}: {instance} processed {topic}/{partition}@{offset} without owning it"));
                }
                // Within one ownership offsets never go backwards. (They may jump forward over
                // offsets processed before, e.g. when retention deleted a redelivery range;
                // jumps over never-processed offsets are caught as gaps above.)
                if expected.is_some_and(|e| offset < e) || expected.is_none() {
                    self.violation(now, format!("group {group}: out-of-order processing of {topic}/{partition}: expected {expected:?}, got {offset}"));
                }
            }
            SimEvent::Skipped {
                group,
                topic,
                partition,
                from,
                to,
                ..
            } => {
                let state = self.state(group, topic, partition);
                if from != state.high_water || to < from {
                    let hw = state.high_water;
                    self.violation(now, format!("group {group}: skip {from}..{to} of {topic}/{partition} does not start at high-water {hw}"));
                }
                let state = self.state(group, topic, partition);
                state.skipped += to.saturating_sub(from);
                state.high_water = state.high_water.max(to);
                // The owner (if any) continues after the skipped range.
                if state.expected.is_some_and(|e| e < to) {
                    state.expected = Some(to);
                }
            }
            SimEvent::Committed {
                group,
                topic,
                partition,
                offset,
            } => {
                let end = world.topics[topic as usize].partitions[partition as usize].end_offset();
                let state = self.state(group, topic, partition);
                let previous = state.committed;
                state.committed = offset;
                if offset < previous {
                    self.violation(now, format!("group {group}: commit of {topic}/{partition} went back from {previous} to {offset}"));
                }
                if offset > end {
                    self.violation(now, format!("group {group}: commit {offset} of {topic}/{partition} is past the log end {end}"));
                }
            }
            SimEvent::Sample => self.check_running_sums(now, world),
            _ => {}
        }
    }

    fn on_finish(&mut self, now: SimTime, world: &World) {
        self.check_running_sums(now, world);
        self.check_conservation(now, world);
    }
}
