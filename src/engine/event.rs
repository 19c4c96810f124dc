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

/// Declares [`Event`], its [`EventKind`] and both conversions with [`PackedEvent`] from one
/// list: each variant with its fields and the part of the packed word each one goes to
/// (`first`: bits 0–15, a `u16`; `second`: bits 16–31, a `u16`; `wide`: bits 32–63, a `u32`).
/// Written out by hand, the two conversions were 120 lines of matching arms to keep in step.
macro_rules! kernel_events {
    ($($variant:ident $({ $($field:ident: $part:ident),* })?,)*) => {
        /// What the kernel schedules.
        #[derive(Clone, Copy, Debug)]
        pub(crate) enum Event {
            $($variant $({ $($field: part_type!($part)),* })?,)*
        }

        /// Which [`Event`] variant a [`PackedEvent`] holds.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        enum EventKind {
            $($variant,)*
        }

        impl From<Event> for PackedEvent {
            #[inline(always)]
            fn from(event: Event) -> Self {
                match event {
                    $(Event::$variant $({ $($field),* })? => PackedEvent {
                        fields: 0 $($(| u64::from($field) << part_shift!($part))*)?,
                        kind: EventKind::$variant,
                    },)*
                }
            }
        }

        impl From<PackedEvent> for Event {
            #[inline(always)]
            fn from(packed: PackedEvent) -> Self {
                match packed.kind {
                    $(EventKind::$variant => Event::$variant $({ $($field: packed.$part()),* })?,)*
                }
            }
        }
    };
}

/// The Rust type of a part of the packed word.
macro_rules! part_type {
    (first) => {
        u16
    };
    (second) => {
        u16
    };
    (wide) => {
        u32
    };
}

/// Where a part of the packed word starts.
macro_rules! part_shift {
    (first) => {
        0
    };
    (second) => {
        16
    };
    (wide) => {
        32
    };
}

kernel_events! {
    Produce { producer: first, epoch: wide },
    Poll { group: first, instance: second, incarnation: wide },
    ProcessDone { group: first, instance: second, incarnation: wide },
    AutoCommit { group: first, instance: second, incarnation: wide },
    SessionTimeout { group: first, instance: second, incarnation: wide },
    RebalanceComplete { group: first },
    OutboxPoll { producer: first, worker: second, epoch: wide },
    OutboxPublished { producer: first, worker: second, epoch: wide },
    RelayRestart { producer: first, worker: second, epoch: wide },
    CdcCapture { producer: first, epoch: wide },
    CdcFlush { producer: first },
    ConnectorRestart { producer: first, epoch: wide },
    Action { index: wide },
    Narration { step: wide },
    Sample,
    Housekeeping,
    EmitDue { index: wide },
}

impl EventQueue<PackedEvent> {
    /// Schedules a world event at `time` in its packed form; returns its insertion sequence
    /// number (see [`EventQueue::schedule`]).
    #[inline(always)]
    pub(crate) fn schedule_event(&mut self, time: SimTime, event: Event) -> u64 {
        self.schedule(time, PackedEvent::from(event))
    }

    /// [`EventQueue::schedule_event`] out of line, for the timers scheduled on paths that run
    /// inside the step (the metrics tick, housekeeping, an idle consumer's retry wake-up and
    /// commit timer). Each inlined scheduling is a copy of the agenda's insertion code in the
    /// one function that holds the whole step; calling out for these four took 0.3-0.4% off the
    /// SimPy runs' instructions (callgrind).
    #[inline(never)]
    pub(crate) fn schedule_timer(&mut self, time: SimTime, event: Event) -> u64 {
        self.schedule_event(time, event)
    }
}

/// An [`Event`] as the agenda stores it. Every variant has at most a `u16`, a `u16` and a `u32`
/// of fields, so they fit one `u64` (`kernel_events!` lists which goes where). Convert
/// with `From` both ways; the two are inlined, so a variant built at a call site packs to
/// constants and shifts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackedEvent {
    fields: u64,
    kind: EventKind,
}

impl PackedEvent {
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
