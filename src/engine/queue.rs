//! The discrete-event kernel's agenda: a priority queue ordered by `(time, insertion sequence)`.
//!
//! As in nexosim, events at the same simulated time come out in the order they were scheduled
//! (FIFO), so a run never depends on heap internals. Only each actor's *next* action sits in the
//! queue (a producer's next record, a consumer's next completion), never one entry per stored
//! record, which keeps the heap small and the engine fast.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then insertion order.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the std max-heap pops the earliest key first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A time-ordered agenda of events of type `E`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time`; returns its insertion sequence number.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: (u128::from(time) << 64) | u128::from(seq),
            event,
        });
        seq
    }

    /// Removes and returns the earliest event with its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap
            .pop()
            .map(|entry| ((entry.key >> 64) as SimTime, entry.event))
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|entry| (entry.key >> 64) as SimTime)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// How many events were ever scheduled (the kernel's event counter).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

impl<E: Clone> Clone for EventQueue<E> {
    fn clone(&self) -> Self {
        EventQueue {
            heap: self
                .heap
                .iter()
                .map(|entry| Entry {
                    key: entry.key,
                    event: entry.event.clone(),
                })
                .collect(),
            next_seq: self.next_seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut queue = EventQueue::default();
        queue.schedule(30, "c");
        queue.schedule(10, "a");
        queue.schedule(20, "b");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, vec![(10, "a"), (20, "b"), (30, "c")]);
    }

    #[test]
    fn equal_times_come_out_in_insertion_order() {
        let mut queue = EventQueue::default();
        for i in 0..100 {
            queue.schedule(5, i);
        }
        queue.schedule(1, -1);
        assert_eq!(queue.pop(), Some((1, -1)));
        for i in 0..100 {
            assert_eq!(queue.pop(), Some((5, i)));
        }
        assert!(queue.is_empty());
        assert_eq!(queue.scheduled(), 101);
    }

    #[test]
    fn extreme_times_do_not_collide_with_the_sequence() {
        let mut queue = EventQueue::default();
        queue.schedule(u64::MAX, "late");
        queue.schedule(0, "early");
        assert_eq!(queue.peek_time(), Some(0));
        assert_eq!(queue.pop(), Some((0, "early")));
        assert_eq!(queue.pop(), Some((u64::MAX, "late")));
    }
    #[test]
    fn matches_a_stable_sort_under_interleaved_pushes_and_pops() {
        // A deterministic pseudo-random mix of schedules and pops, checked against the
        // definition: the earliest time first, ties in insertion order.
        let mut queue = EventQueue::default();
        let mut reference: Vec<(SimTime, u64)> = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut now = 0;
        for n in 0..20_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state % 5 < 3 || reference.is_empty() {
                let at = now + state % 50;
                queue.schedule(at, n);
                reference.push((at, n));
            } else {
                reference.sort_by_key(|&(at, id)| (at, id));
                let expected = reference.remove(0);
                assert_eq!(queue.pop(), Some(expected));
                now = expected.0;
            }
            assert_eq!(queue.len(), reference.len());
        }
        reference.sort_by_key(|&(at, id)| (at, id));
        for expected in reference {
            assert_eq!(queue.pop(), Some(expected));
        }
        assert!(queue.is_empty());
    }
}
