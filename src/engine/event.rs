//! What the kernel schedules, and the compact form the agenda stores it in.
//!
//! [`Event`] is what the world's handlers match on. The agenda ([`super::queue::EventQueue`])
//! stores each one as a [`PackedEvent`]: its fields in one `u64`, its variant in a byte, both
//! computed in registers. The enum itself was assembled on the stack, field by field (a 2-byte
//! store for a `u16`), and then copied into the agenda with 16-byte loads, which have to wait
//! for such narrow stores to land (a failed store-to-load forward). Together with
//! [`super::queue::EventQueue::schedule`] building its entry only at the store, this took the
//! stall that had 27% of `append`'s samples in the SimPy retry-topic run (the wake-up that
//! `wake_readers` schedules) off the profile: `append` fell from 15.7% to 10.9% of the run's
//! samples (`perf record`), and the run took 0.95× the time.

use super::queue::EventQueue;
use crate::time::SimTime;

/// What the kernel schedules.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Produce {
        producer: u16,
        epoch: u32,
    },
    Poll {
        group: u16,
        instance: u16,
        incarnation: u32,
    },
    ProcessDone {
        group: u16,
        instance: u16,
        incarnation: u32,
    },
    AutoCommit {
        group: u16,
        instance: u16,
        incarnation: u32,
    },
    SessionTimeout {
        group: u16,
        instance: u16,
        incarnation: u32,
    },
    RebalanceComplete {
        group: u16,
    },
    OutboxPoll {
        producer: u16,
        worker: u16,
        epoch: u32,
    },
    OutboxPublished {
        producer: u16,
        worker: u16,
        epoch: u32,
    },
    RelayRestart {
        producer: u16,
        worker: u16,
        epoch: u32,
    },
    CdcCapture {
        producer: u16,
        epoch: u32,
    },
    CdcFlush {
        producer: u16,
    },
    ConnectorRestart {
        producer: u16,
        epoch: u32,
    },
    Action {
        index: u32,
    },
    Narration {
        step: u32,
    },
    Sample,
    Housekeeping,
    EmitDue {
        index: u32,
    },
}

impl EventQueue<PackedEvent> {
    /// Schedules a world event at `time` in its packed form; returns its insertion sequence
    /// number (see [`EventQueue::schedule`]).
    #[inline(always)]
    pub(crate) fn schedule_event(&mut self, time: SimTime, event: Event) -> u64 {
        self.schedule(time, PackedEvent::from(event))
    }
}

/// Which [`Event`] variant a [`PackedEvent`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum EventKind {
    Produce,
    Poll,
    ProcessDone,
    AutoCommit,
    SessionTimeout,
    RebalanceComplete,
    OutboxPoll,
    OutboxPublished,
    RelayRestart,
    CdcCapture,
    CdcFlush,
    ConnectorRestart,
    Action,
    Narration,
    Sample,
    Housekeeping,
    EmitDue,
}

/// An [`Event`] as the agenda stores it. Every variant has at most a `u16`, a `u16` and a `u32`
/// of fields, so they fit one `u64`: the first `u16` in bits 0–15, the second in bits 16–31,
/// the `u32` in bits 32–63. Convert with `From` both ways; the two are inlined, so a variant
/// built at a call site packs to constants and shifts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackedEvent {
    fields: u64,
    kind: EventKind,
}

impl PackedEvent {
    #[inline(always)]
    fn new(kind: EventKind, first: u16, second: u16, wide: u32) -> Self {
        PackedEvent {
            fields: u64::from(first) | u64::from(second) << 16 | u64::from(wide) << 32,
            kind,
        }
    }

    #[inline(always)]
    fn first(self) -> u16 {
        self.fields as u16
    }

    #[inline(always)]
    fn second(self) -> u16 {
        (self.fields >> 16) as u16
    }

    #[inline(always)]
    fn wide(self) -> u32 {
        (self.fields >> 32) as u32
    }
}

impl From<Event> for PackedEvent {
    #[inline(always)]
    fn from(event: Event) -> Self {
        use EventKind as K;
        match event {
            Event::Produce { producer, epoch } => Self::new(K::Produce, producer, 0, epoch),
            Event::Poll {
                group,
                instance,
                incarnation,
            } => Self::new(K::Poll, group, instance, incarnation),
            Event::ProcessDone {
                group,
                instance,
                incarnation,
            } => Self::new(K::ProcessDone, group, instance, incarnation),
            Event::AutoCommit {
                group,
                instance,
                incarnation,
            } => Self::new(K::AutoCommit, group, instance, incarnation),
            Event::SessionTimeout {
                group,
                instance,
                incarnation,
            } => Self::new(K::SessionTimeout, group, instance, incarnation),
            Event::RebalanceComplete { group } => Self::new(K::RebalanceComplete, group, 0, 0),
            Event::OutboxPoll {
                producer,
                worker,
                epoch,
            } => Self::new(K::OutboxPoll, producer, worker, epoch),
            Event::OutboxPublished {
                producer,
                worker,
                epoch,
            } => Self::new(K::OutboxPublished, producer, worker, epoch),
            Event::RelayRestart {
                producer,
                worker,
                epoch,
            } => Self::new(K::RelayRestart, producer, worker, epoch),
            Event::CdcCapture { producer, epoch } => Self::new(K::CdcCapture, producer, 0, epoch),
            Event::CdcFlush { producer } => Self::new(K::CdcFlush, producer, 0, 0),
            Event::ConnectorRestart { producer, epoch } => {
                Self::new(K::ConnectorRestart, producer, 0, epoch)
            }
            Event::Action { index } => Self::new(K::Action, 0, 0, index),
            Event::Narration { step } => Self::new(K::Narration, 0, 0, step),
            Event::Sample => Self::new(K::Sample, 0, 0, 0),
            Event::Housekeeping => Self::new(K::Housekeeping, 0, 0, 0),
            Event::EmitDue { index } => Self::new(K::EmitDue, 0, 0, index),
        }
    }
}

impl From<PackedEvent> for Event {
    #[inline(always)]
    fn from(packed: PackedEvent) -> Self {
        let (first, second, wide) = (packed.first(), packed.second(), packed.wide());
        match packed.kind {
            EventKind::Produce => Event::Produce {
                producer: first,
                epoch: wide,
            },
            EventKind::Poll => Event::Poll {
                group: first,
                instance: second,
                incarnation: wide,
            },
            EventKind::ProcessDone => Event::ProcessDone {
                group: first,
                instance: second,
                incarnation: wide,
            },
            EventKind::AutoCommit => Event::AutoCommit {
                group: first,
                instance: second,
                incarnation: wide,
            },
            EventKind::SessionTimeout => Event::SessionTimeout {
                group: first,
                instance: second,
                incarnation: wide,
            },
            EventKind::RebalanceComplete => Event::RebalanceComplete { group: first },
            EventKind::OutboxPoll => Event::OutboxPoll {
                producer: first,
                worker: second,
                epoch: wide,
            },
            EventKind::OutboxPublished => Event::OutboxPublished {
                producer: first,
                worker: second,
                epoch: wide,
            },
            EventKind::RelayRestart => Event::RelayRestart {
                producer: first,
                worker: second,
                epoch: wide,
            },
            EventKind::CdcCapture => Event::CdcCapture {
                producer: first,
                epoch: wide,
            },
            EventKind::CdcFlush => Event::CdcFlush { producer: first },
            EventKind::ConnectorRestart => Event::ConnectorRestart {
                producer: first,
                epoch: wide,
            },
            EventKind::Action => Event::Action { index: wide },
            EventKind::Narration => Event::Narration { step: wide },
            EventKind::Sample => Event::Sample,
            EventKind::Housekeeping => Event::Housekeeping,
            EventKind::EmitDue => Event::EmitDue { index: wide },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant, with its fields at their extremes, comes back from the agenda as it went
    /// in (a field packed into the wrong bits would change another).
    #[test]
    fn every_event_survives_packing_with_its_fields_at_their_extremes() {
        for (a, b, w) in [
            (0, 0, 0),
            (u16::MAX, 0, 0),
            (0, u16::MAX, 0),
            (0, 0, u32::MAX),
        ]
        .into_iter()
        .chain([
            (u16::MAX, u16::MAX, u32::MAX),
            (1, 2, 3),
            (0x1234, 0xabcd, 0xdead_beef),
        ]) {
            let events = [
                Event::Produce {
                    producer: a,
                    epoch: w,
                },
                Event::Poll {
                    group: a,
                    instance: b,
                    incarnation: w,
                },
                Event::ProcessDone {
                    group: a,
                    instance: b,
                    incarnation: w,
                },
                Event::AutoCommit {
                    group: a,
                    instance: b,
                    incarnation: w,
                },
                Event::SessionTimeout {
                    group: a,
                    instance: b,
                    incarnation: w,
                },
                Event::RebalanceComplete { group: a },
                Event::OutboxPoll {
                    producer: a,
                    worker: b,
                    epoch: w,
                },
                Event::OutboxPublished {
                    producer: a,
                    worker: b,
                    epoch: w,
                },
                Event::RelayRestart {
                    producer: a,
                    worker: b,
                    epoch: w,
                },
                Event::CdcCapture {
                    producer: a,
                    epoch: w,
                },
                Event::CdcFlush { producer: a },
                Event::ConnectorRestart {
                    producer: a,
                    epoch: w,
                },
                Event::Action { index: w },
                Event::Narration { step: w },
                Event::Sample,
                Event::Housekeeping,
                Event::EmitDue { index: w },
            ];
            let mut kinds = Vec::new();
            for event in events {
                let packed = PackedEvent::from(event);
                assert_eq!(format!("{:?}", Event::from(packed)), format!("{event:?}"));
                kinds.push(packed.kind as u8);
            }
            kinds.sort_unstable();
            kinds.dedup();
            assert_eq!(kinds.len(), events.len(), "each variant has its own kind");
        }
    }
}
