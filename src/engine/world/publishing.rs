//! How a service's database writes become Kafka events: the dual write, the transactional
//! outbox with a polling relay, and change data capture.
//!
//! - **Dual write**: commit the database, then send (or the reverse). A crash between the two
//!   loses the event (or, publish-first, leaves a phantom event for a write that never
//!   happened).
//! - **Outbox + polling relay**: the event row is written in the business transaction; relay
//!   workers poll `SELECT ... WHERE published = false ORDER BY created_at LIMIT n FOR UPDATE
//!   SKIP LOCKED`, publish, then mark the rows published. A crash after publishing and before
//!   marking publishes the rows again: duplicates, never loss.
//! - **CDC** (Debezium-style): a connector tails the database log and publishes each committed
//!   row after a small lag; it records its log position every `flush_interval` and, after a
//!   crash, resumes from there, publishing again what came after.

use super::{Event, World};
use crate::distribution::DurationDist;
use crate::engine::table::EntityNumber;
use crate::kafka::log::Record;
use crate::observer::SimEvent;
use crate::scenario::model::DualWriteOrder;
use crate::time::SimTime;
use std::collections::VecDeque;

/// Counters of a publishing service.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishStats {
    /// Business writes that carried an event.
    pub created: u64,
    /// Distinct events that reached Kafka.
    pub published: u64,
    /// Events lost by a dual write.
    pub lost: u64,
    /// Phantom events published for writes that failed.
    pub phantom: u64,
    /// Rows published more than once (relay or connector crash).
    pub republished: u64,
    /// Outbox rows not yet published / log rows not yet captured (now).
    pub backlog: u64,
    /// Largest backlog.
    pub peak_backlog: u64,
    /// Rows in the outbox table (unpublished plus published but not yet cleaned up).
    pub table_rows: u64,
    /// Relay workers' or connector's crashes.
    pub crashes: u64,
}

/// State of an outbox relay worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerState {
    /// Waiting for its next poll.
    Idle,
    /// Publishing its locked batch.
    Publishing,
    /// Crashed, restarting.
    Down,
}

/// One relay worker.
#[derive(Clone, Debug)]
pub struct RelayWorker {
    /// State.
    pub state: WorkerState,
    /// Rows locked by its current batch.
    locked: Vec<Record>,
    /// Invalidates scheduled events after a crash.
    epoch: u32,
}

/// A transactional outbox with its polling relay.
#[derive(Clone, Debug)]
pub struct OutboxRelay {
    /// Poll interval of each worker.
    pub poll_interval: u64,
    /// Rows per batch.
    pub batch_size: u32,
    /// Time to publish and mark a batch.
    pub publish_time: DurationDist,
    /// Crash probability per batch (after publishing, before marking).
    pub crash: f64,
    /// Downtime after a crash.
    pub restart_after: u64,
    /// Published rows are deleted after this long.
    pub cleanup_after: u64,
    /// Unpublished, unlocked rows in creation order.
    unpublished: VecDeque<Record>,
    /// The workers.
    pub workers: Vec<RelayWorker>,
    /// Published rows awaiting cleanup: (published at, count).
    published: VecDeque<(SimTime, u64)>,
    /// Event ids ever published (to count republishing).
    published_ids: super::handling::BitSet,
}

/// State of a CDC connector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectorState {
    /// Tailing the log.
    Running,
    /// Paused by an operator.
    Paused,
    /// Crashed, restarting.
    Down,
}

/// A log-tailing connector.
#[derive(Clone, Debug)]
pub struct CdcConnector {
    /// Commit-to-publish lag.
    pub lag: DurationDist,
    /// Offset flush interval.
    pub flush_interval: u64,
    /// Downtime after a crash.
    pub restart_after: u64,
    /// State.
    pub state: ConnectorState,
    /// Committed rows not captured yet, with the time each becomes capturable and, when keyed,
    /// its partition (chosen at commit: [`World::key_partition`]).
    wal: VecDeque<(Record, SimTime, Option<u32>)>,
    /// Rows captured since the last offset flush.
    unflushed: Vec<Record>,
    /// A capture event is scheduled.
    capture_scheduled: bool,
    /// The latest capture time handed out (log order is kept).
    last_capture_at: SimTime,
    /// Invalidates scheduled events after pause / crash.
    epoch: u32,
    published_ids: super::handling::BitSet,
}

/// How a producer's events reach Kafka.
#[derive(Clone, Debug)]
pub enum Publisher {
    /// Straight to Kafka, optionally as a faulty dual write `(crash probability, order)`.
    Direct(Option<(f64, DualWriteOrder)>),
    /// Through an outbox and relay.
    Outbox(OutboxRelay),
    /// Through the outbox and a CDC connector.
    Cdc(CdcConnector),
}

impl OutboxRelay {
    /// A relay with `workers` idle workers.
    pub fn new(
        poll_interval: u64,
        batch_size: u32,
        workers: u32,
        publish_time: DurationDist,
        crash: f64,
        restart_after: u64,
        cleanup_after: u64,
    ) -> Self {
        OutboxRelay {
            poll_interval: poll_interval.max(1),
            batch_size: batch_size.max(1),
            publish_time,
            crash,
            restart_after,
            cleanup_after,
            unpublished: VecDeque::new(),
            workers: (0..workers.max(1))
                .map(|_| RelayWorker {
                    state: WorkerState::Idle,
                    locked: Vec::new(),
                    epoch: 0,
                })
                .collect(),
            published: VecDeque::new(),
            published_ids: Default::default(),
        }
    }

    /// Rows waiting to be published (including locked ones).
    pub fn backlog(&self) -> u64 {
        self.unpublished.len() as u64
            + self
                .workers
                .iter()
                .map(|w| w.locked.len() as u64)
                .sum::<u64>()
    }
}

impl CdcConnector {
    /// A running connector.
    pub fn new(lag: DurationDist, flush_interval: u64, restart_after: u64) -> Self {
        CdcConnector {
            lag,
            flush_interval: flush_interval.max(1),
            restart_after,
            state: ConnectorState::Running,
            wal: VecDeque::new(),
            unflushed: Vec::new(),
            capture_scheduled: false,
            last_capture_at: 0,
            epoch: 0,
            published_ids: Default::default(),
        }
    }

    /// Committed rows the connector has not published yet (replication-slot lag).
    pub fn backlog(&self) -> u64 {
        self.wal.len() as u64
    }
}

impl World {
    /// Schedules the relay's or connector's recurring events at the start.
    pub(super) fn start_publisher(&mut self, producer: u16) {
        match &self.producers[producer.ix()].publisher {
            Publisher::Outbox(relay) => {
                let workers = relay.workers.len() as u64;
                let interval = relay.poll_interval;
                for worker in 0..workers {
                    // Workers start phase-shifted, as independently started pods would be.
                    let at = self.now + interval * (worker + 1) / workers;
                    self.queue.schedule_event(
                        at,
                        Event::OutboxPoll {
                            producer,
                            worker: worker as u16,
                            epoch: 0,
                        },
                    );
                }
            }
            Publisher::Cdc(connector) => {
                let at = self.now + connector.flush_interval;
                self.queue.schedule_event(at, Event::CdcFlush { producer });
            }
            Publisher::Direct(_) => {}
        }
    }

    /// A service produced an event: get it to Kafka the way the producer is configured to.
    pub(super) fn publish(&mut self, producer: u16, record: Record) {
        let topic = self.producers[producer.ix()].topic;
        let now = self.now;
        match &mut self.producers[producer.ix()].publisher {
            Publisher::Direct(None) => {
                let stats = &mut self.producers[producer.ix()].publish_stats;
                stats.created += 1;
                stats.published += 1;
                self.append(topic, record, None);
            }
            Publisher::Direct(Some((crash, order))) => {
                let (crash, order) = (*crash, *order);
                let failed = self.producers[producer.ix()].rng.chance(crash);
                let stats = &mut self.producers[producer.ix()].publish_stats;
                stats.created += 1;
                match (failed, order) {
                    (false, _) => {
                        stats.published += 1;
                        self.append(topic, record, None);
                    }
                    (true, DualWriteOrder::DbFirst) => {
                        stats.lost += 1;
                        self.emit(SimEvent::EventLost {
                            producer,
                            event_id: record.event_id,
                        });
                    }
                    (true, DualWriteOrder::PublishFirst) => {
                        stats.phantom += 1;
                        stats.published += 1;
                        self.append(topic, record, None);
                        self.emit(SimEvent::PhantomPublished {
                            producer,
                            event_id: record.event_id,
                        });
                    }
                }
            }
            Publisher::Outbox(relay) => {
                relay.unpublished.push_back(record);
                let backlog = relay.backlog();
                let p = &mut self.producers[producer.ix()];
                p.publish_stats.created += 1;
                p.publish_stats.table_rows += 1;
                p.publish_stats.backlog = backlog;
                p.publish_stats.peak_backlog = p.publish_stats.peak_backlog.max(backlog);
                self.emit(SimEvent::RowCommitted {
                    producer,
                    event_id: record.event_id,
                });
            }
            Publisher::Cdc(_) => {
                let partition = self.key_partition(topic, &record);
                let p = &mut self.producers[producer.ix()];
                let Publisher::Cdc(connector) = &mut p.publisher else {
                    return;
                };
                let lag = connector.lag.sample(&mut p.rng);
                // The log is read in order: a row is never captured before an earlier one.
                let at = (now + lag).max(connector.last_capture_at);
                connector.last_capture_at = at;
                connector.wal.push_back((record, at, partition));
                let backlog = connector.backlog();
                let p = &mut self.producers[producer.ix()];
                p.publish_stats.created += 1;
                p.publish_stats.backlog = backlog;
                p.publish_stats.peak_backlog = p.publish_stats.peak_backlog.max(backlog);
                self.emit(SimEvent::RowCommitted {
                    producer,
                    event_id: record.event_id,
                });
                self.schedule_capture(producer);
            }
        }
    }

    // ----- outbox relay ------------------------------------------------------------------

    pub(super) fn on_outbox_poll(&mut self, producer: u16, worker: u16, epoch: u32) {
        let now = self.now;
        let p = &mut self.producers[producer.ix()];
        let Publisher::Outbox(relay) = &mut p.publisher else {
            return;
        };
        let w = &mut relay.workers[worker as usize];
        if w.epoch != epoch || w.state != WorkerState::Idle {
            return;
        }
        // Cleanup of old published rows (the seed's DELETE ... published_at < now - 7 days).
        let mut cleaned = 0;
        while let Some(&(at, count)) = relay.published.front() {
            if at + relay.cleanup_after > now {
                break;
            }
            relay.published.pop_front();
            cleaned += count;
        }
        // FOR UPDATE SKIP LOCKED: take the oldest unlocked rows.
        let take = (relay.batch_size as usize).min(relay.unpublished.len());
        if take == 0 {
            let at = now + relay.poll_interval;
            self.queue.schedule_event(
                at,
                Event::OutboxPoll {
                    producer,
                    worker,
                    epoch,
                },
            );
        } else {
            let w = &mut relay.workers[worker as usize];
            w.locked.extend(relay.unpublished.drain(..take));
            w.state = WorkerState::Publishing;
            let took = relay.publish_time.sample(&mut p.rng);
            self.queue.schedule_event(
                now + took,
                Event::OutboxPublished {
                    producer,
                    worker,
                    epoch,
                },
            );
        }
        p.publish_stats.table_rows = p.publish_stats.table_rows.saturating_sub(cleaned);
    }

    pub(super) fn on_outbox_published(&mut self, producer: u16, worker: u16, epoch: u32) {
        let now = self.now;
        let crashed = {
            let p = &mut self.producers[producer.ix()];
            let Publisher::Outbox(relay) = &mut p.publisher else {
                return;
            };
            let w = &relay.workers[worker as usize];
            if w.epoch != epoch || w.state != WorkerState::Publishing {
                return;
            }
            let crash = relay.crash;
            p.rng.chance(crash)
        };
        self.relay_send_locked(producer, worker);
        if crashed {
            self.crash_relay_worker(producer, worker);
            return;
        }
        let Publisher::Outbox(relay) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        let w = &mut relay.workers[worker as usize];
        let count = w.locked.len() as u64;
        let full = count >= u64::from(relay.batch_size);
        w.locked.clear();
        w.state = WorkerState::Idle;
        relay.published.push_back((now, count));
        let backlog = relay.backlog();
        // A full batch means more may be waiting: poll again at once.
        let next = if full { now } else { now + relay.poll_interval };
        self.producers[producer.ix()].publish_stats.backlog = backlog;
        self.queue.schedule_event(
            next,
            Event::OutboxPoll {
                producer,
                worker,
                epoch,
            },
        );
    }

    /// Sends the worker's locked rows to Kafka.
    fn relay_send_locked(&mut self, producer: u16, worker: u16) {
        let topic = self.producers[producer.ix()].topic;
        let rows = match &self.producers[producer.ix()].publisher {
            Publisher::Outbox(relay) => relay.workers[worker as usize].locked.clone(),
            _ => return,
        };
        for mut record in rows {
            record.produced_at = self.now;
            let p = &mut self.producers[producer.ix()];
            let Publisher::Outbox(relay) = &mut p.publisher else {
                return;
            };
            let stats = &mut p.publish_stats;
            if relay.published_ids.insert(record.event_id) {
                stats.published += 1;
            } else {
                stats.republished += 1;
            }
            self.append(topic, record, None);
        }
    }

    /// A relay worker dies after publishing and before marking: its rows are unlocked (the
    /// transaction rolls back) and will be published again.
    fn crash_relay_worker(&mut self, producer: u16, worker: u16) {
        let now = self.now;
        let Publisher::Outbox(relay) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        let restart = relay.restart_after;
        let w = &mut relay.workers[worker as usize];
        if w.state == WorkerState::Down {
            return;
        }
        w.state = WorkerState::Down;
        w.epoch += 1;
        let epoch = w.epoch;
        let rows = std::mem::take(&mut w.locked);
        for record in rows.into_iter().rev() {
            relay.unpublished.push_front(record);
        }
        self.producers[producer.ix()].publish_stats.crashes += 1;
        self.emit(SimEvent::RelayCrashed { producer, worker });
        self.queue.schedule_event(
            now + restart,
            Event::RelayRestart {
                producer,
                worker,
                epoch,
            },
        );
    }

    /// `crash_relay`: every worker crashes; one that was publishing had already sent its batch.
    pub(super) fn crash_relay(&mut self, producer: u16) {
        let workers = match &self.producers[producer.ix()].publisher {
            Publisher::Outbox(relay) => relay.workers.len() as u16,
            _ => return,
        };
        for worker in 0..workers {
            let publishing = matches!(
                &self.producers[producer.ix()].publisher,
                Publisher::Outbox(relay) if relay.workers[worker as usize].state == WorkerState::Publishing
            );
            if publishing {
                self.relay_send_locked(producer, worker);
            }
            self.crash_relay_worker(producer, worker);
        }
    }

    pub(super) fn on_relay_restart(&mut self, producer: u16, worker: u16, epoch: u32) {
        let Publisher::Outbox(relay) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        let w = &mut relay.workers[worker as usize];
        if w.epoch != epoch || w.state != WorkerState::Down {
            return;
        }
        w.state = WorkerState::Idle;
        self.queue.schedule_event(
            self.now,
            Event::OutboxPoll {
                producer,
                worker,
                epoch,
            },
        );
    }

    // ----- CDC -------------------------------------------------------------------------

    fn schedule_capture(&mut self, producer: u16) {
        let now = self.now;
        let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        if connector.state != ConnectorState::Running || connector.capture_scheduled {
            return;
        }
        if let Some(&(_, at, _)) = connector.wal.front() {
            connector.capture_scheduled = true;
            let epoch = connector.epoch;
            self.queue
                .schedule_event(at.max(now), Event::CdcCapture { producer, epoch });
        }
    }

    pub(super) fn on_cdc_capture(&mut self, producer: u16, epoch: u32) {
        let now = self.now;
        let topic = self.producers[producer.ix()].topic;
        loop {
            let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher else {
                return;
            };
            if connector.epoch != epoch || connector.state != ConnectorState::Running {
                return;
            }
            match connector.wal.front() {
                Some(&(_, at, _)) if at <= now => {}
                _ => break,
            }
            let Some((mut record, _, partition)) = connector.wal.pop_front() else {
                break;
            };
            record.produced_at = now;
            connector.unflushed.push(record);
            let fresh = connector.published_ids.insert(record.event_id);
            let backlog = connector.backlog();
            let stats = &mut self.producers[producer.ix()].publish_stats;
            stats.backlog = backlog;
            if fresh {
                stats.published += 1;
            } else {
                stats.republished += 1;
            }
            self.append(topic, record, partition);
        }
        if let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher {
            connector.capture_scheduled = false;
        }
        self.schedule_capture(producer);
    }

    pub(super) fn on_cdc_flush(&mut self, producer: u16) {
        let now = self.now;
        let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        if connector.state == ConnectorState::Running {
            connector.unflushed.clear();
        }
        let at = now + connector.flush_interval;
        self.queue.schedule_event(at, Event::CdcFlush { producer });
    }

    /// Pauses (`Some(true)`), resumes (`Some(false)`) or crashes (`None`) the connector.
    pub(super) fn control_connector(&mut self, producer: u16, pause: Option<bool>) {
        let now = self.now;
        let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        match pause {
            Some(true) if connector.state == ConnectorState::Running => {
                connector.state = ConnectorState::Paused;
                connector.epoch += 1;
                connector.capture_scheduled = false;
            }
            Some(false) if connector.state == ConnectorState::Paused => {
                connector.state = ConnectorState::Running;
                connector.epoch += 1;
                self.schedule_capture(producer);
            }
            None if connector.state != ConnectorState::Down => {
                connector.state = ConnectorState::Down;
                connector.epoch += 1;
                connector.capture_scheduled = false;
                // What was published after the last flushed position is read again.
                let rewind = std::mem::take(&mut connector.unflushed);
                for record in rewind.into_iter().rev() {
                    connector.wal.push_front((record, now, None));
                }
                let at = now + connector.restart_after;
                let epoch = connector.epoch;
                self.producers[producer.ix()].publish_stats.crashes += 1;
                self.emit(SimEvent::RelayCrashed {
                    producer,
                    worker: u16::MAX,
                });
                self.queue
                    .schedule_event(at, Event::ConnectorRestart { producer, epoch });
            }
            _ => {}
        }
    }

    pub(super) fn on_connector_restart(&mut self, producer: u16, epoch: u32) {
        let now = self.now;
        let Publisher::Cdc(connector) = &mut self.producers[producer.ix()].publisher else {
            return;
        };
        if connector.epoch != epoch || connector.state != ConnectorState::Down {
            return;
        }
        connector.state = ConnectorState::Running;
        for entry in connector.wal.iter_mut() {
            entry.1 = entry.1.max(now);
        }
        connector.last_capture_at = connector.last_capture_at.max(now);
        self.schedule_capture(producer);
    }

    /// Backlog rows that never reached Kafka (after a relay or connector crash, the backlog
    /// also holds rows that were published but not marked, which will be published again).
    pub fn never_published_backlog(&self, producer: u16) -> u64 {
        match &self.producers[producer as usize].publisher {
            Publisher::Outbox(relay) => relay
                .unpublished
                .iter()
                .chain(relay.workers.iter().flat_map(|w| w.locked.iter()))
                .filter(|r| !relay.published_ids.contains(r.event_id))
                .count() as u64,
            Publisher::Cdc(connector) => connector
                .wal
                .iter()
                .filter(|(r, _, _)| !connector.published_ids.contains(r.event_id))
                .count() as u64,
            Publisher::Direct(_) => 0,
        }
    }

    /// The publishing backlog of a producer (outbox rows / log rows not yet in Kafka).
    pub fn publish_backlog(&self, producer: u16) -> u64 {
        match &self.producers[producer as usize].publisher {
            Publisher::Outbox(relay) => relay.backlog(),
            Publisher::Cdc(connector) => connector.backlog(),
            Publisher::Direct(_) => 0,
        }
    }
}
