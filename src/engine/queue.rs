//! The discrete-event kernel's agenda: a priority queue ordered by `(time, insertion sequence)`.
//!
//! As in nexosim, events at the same simulated time come out in the order they were scheduled
//! (FIFO), so a run never depends on heap internals. Only each actor's *next* action sits in the
//! queue (a producer's next record, a consumer's next completion), never one entry per stored
//! record, which keeps the queue small and the engine fast.
//!
//! Small is the common case: the SimPy scenario holds about 7 pending events, its retry-topic
//! variant about 12. For so few, a binary heap's pop (down to the bottom and back up, moving
//! 32-byte entries at each level) cost more than anything else in a step: 16% of a run's
//! instructions (callgrind). So a short agenda is a sorted vector, latest first: popping takes
//! the last entry, and scheduling looks for its place from that end too, since a new event is
//! usually due soon (a fetch, a completion) while the far end holds the periodic timers; the
//! later entries move up one slot and the new one is written once, in place. Past
//! [`SORTED_MAX`] pending events (the 1M-record pipeline keeps about a thousand delayed emits
//! and completions) the queue becomes a binary heap, and goes back once it drains to
//! [`SORTED_MIN`]. Both are exact orders on the same key, so which one holds the
//! events never changes what comes out.

use crate::time::SimTime;

/// Above this many pending events the agenda is a binary heap.
const SORTED_MAX: usize = 32;
/// A heap that drains to this many events becomes a sorted vector again (well below
/// [`SORTED_MAX`], so a queue hovering around the limit does not convert at every step).
const SORTED_MIN: usize = 8;
/// Children per node of the long agenda's heap.
const HEAP_ARITY: usize = 4;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then insertion order.
    key: u128,
    event: E,
}

/// A time-ordered agenda of events of type `E`.
#[derive(Clone)]
pub struct EventQueue<E> {
    /// The agenda while short: sorted by key, latest first. Empty while `heap` is in use.
    sorted: Vec<Entry<E>>,
    /// The agenda while long. Empty while `sorted` is in use.
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            sorted: Vec::new(),
            heap: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<E: Copy> EventQueue<E> {
    /// Schedules `event` at `time`; returns its insertion sequence number.
    ///
    /// Inlined into every caller so that the event goes from registers straight into its slot.
    /// Out of line, the event arrives through the stack, written field by field and read back
    /// whole: a failed store-to-load forward that `perf annotate` showed stalling this function
    /// for most of its time. For the same reason the new entry is written once, into its final
    /// slot, after the later entries moved up: swapping it into place read it back each step.
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (u128::from(time) << 64) | u128::from(seq);
        if self.heap.is_empty() {
            let len = self.sorted.len();
            if len < SORTED_MAX {
                // Keys are unique; the new one goes after (nearer the end than) every later
                // key. It is usually due among the first, a step or two from the end.
                let mut at = len;
                while at > 0 && self.sorted[at - 1].key < key {
                    at -= 1;
                }
                if at == len {
                    self.sorted.push(Entry { key, event });
                } else {
                    self.sorted.push(self.sorted[len - 1]);
                    for slot in (at + 1..len).rev() {
                        self.sorted[slot] = self.sorted[slot - 1];
                    }
                    self.sorted[at] = Entry { key, event };
                }
                return seq;
            }
            self.switch_to_heap();
        }
        self.heap_push(Entry { key, event });
        seq
    }

    /// The sorted vector is full: the agenda becomes a heap.
    #[cold]
    #[inline(never)]
    fn switch_to_heap(&mut self) {
        // Earliest first: an ascending array is already a min-heap.
        self.heap = self.sorted.drain(..).rev().collect();
    }

    /// The heap drained: the agenda becomes a sorted vector again.
    #[cold]
    #[inline(never)]
    fn switch_to_sorted(&mut self) {
        let mut entries = std::mem::take(&mut self.heap);
        // Keys are unique, so an unstable sort is exact: latest first.
        entries.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.key));
        self.sorted = entries;
    }

    /// Adds `entry` to the heap. The new entry stays in registers while later parents move
    /// down into the hole, and is written once; `std`'s `BinaryHeap` writes it first and reads
    /// it back. Inlined into `schedule`'s callers as well: out of line, the wasm build passed
    /// the entry through memory (the 1M-record pipeline ran 2–7% slower in Chromium).
    #[inline(always)]
    fn heap_push(&mut self, entry: Entry<E>) {
        let hole = self.heap.len();
        match self.heap.first() {
            Some(&first) => self.heap.push(first), // a placeholder for the hole
            None => {
                self.heap.push(entry);
                return;
            }
        }
        rise(&mut self.heap, hole, entry);
    }

    /// Removes the heap's earliest entry. The hole left at the root goes down to a leaf along
    /// the earliest child of each node, the last entry fills it and rises (usually not at all:
    /// it is among the latest). Which child is earliest is a coin toss that a branch would
    /// mispredict half the time, so it is chosen by arithmetic; four children a node halve
    /// the levels, and so the chain of dependent loads, of a binary heap.
    #[inline]
    fn heap_pop(&mut self) -> Option<Entry<E>> {
        let last = self.heap.pop()?;
        let Some(&root) = self.heap.first() else {
            return Some(last);
        };
        let heap = &mut self.heap[..];
        let len = heap.len();
        let mut hole = 0;
        loop {
            let first = HEAP_ARITY * hole + 1;
            if let Some(children) = heap.get(first..first + HEAP_ARITY) {
                let left = usize::from(children[1].key < children[0].key);
                let right = 2 + usize::from(children[3].key < children[2].key);
                let pick_right = children[right].key < children[left].key;
                let earliest = first + if pick_right { right } else { left };
                heap[hole] = heap[earliest];
                hole = earliest;
            } else {
                // The one node with fewer children, or a leaf.
                if first < len {
                    let mut earliest = first;
                    for child in first + 1..len {
                        if heap[child].key < heap[earliest].key {
                            earliest = child;
                        }
                    }
                    heap[hole] = heap[earliest];
                    hole = earliest;
                }
                break;
            }
        }
        rise(heap, hole, last);
        Some(root)
    }

    /// Removes and returns the earliest event with its time (ties: the first scheduled).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = if let Some(entry) = self.sorted.pop() {
            entry
        } else {
            let entry = self.heap_pop()?;
            if self.heap.len() <= SORTED_MIN {
                self.switch_to_sorted();
            }
            entry
        };
        Some(((entry.key >> 64) as SimTime, entry.event))
    }

    /// Like [`EventQueue::pop`], but only an event due at or before `limit` (a run's loop then
    /// looks at the agenda once per event, not once to test and again to pop).
    #[inline]
    pub fn pop_due(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let last_due = (u128::from(limit) << 64) | u128::from(u64::MAX);
        if self.earliest_key()? <= last_due {
            self.pop()
        } else {
            None
        }
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.earliest_key().map(|key| (key >> 64) as SimTime)
    }

    /// The key of the earliest event, in whichever form the agenda is.
    #[inline]
    fn earliest_key(&self) -> Option<u128> {
        match self.sorted.last() {
            Some(entry) => Some(entry.key),
            None => self.heap.first().map(|entry| entry.key),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty() && self.heap.is_empty()
    }

    /// How many events were ever scheduled (the kernel's event counter).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

/// Fills the heap's `hole` with `entry`: later parents move down into the hole until its parent
/// is earlier, and `entry` is written once, where the hole stops.
#[inline(always)]
fn rise<E: Copy>(heap: &mut [Entry<E>], mut hole: usize, entry: Entry<E>) {
    while hole > 0 {
        let parent = (hole - 1) / HEAP_ARITY;
        if heap[parent].key < entry.key {
            break;
        }
        heap[hole] = heap[parent];
        hole = parent;
    }
    heap[hole] = entry;
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
    fn pop_due_stops_at_the_limit() {
        let mut queue = EventQueue::default();
        queue.schedule(10, "a");
        queue.schedule(10, "b");
        queue.schedule(20, "c");
        assert_eq!(queue.pop_due(9), None);
        assert_eq!(queue.pop_due(10), Some((10, "a")));
        assert_eq!(queue.pop_due(10), Some((10, "b")));
        assert_eq!(queue.pop_due(19), None);
        assert_eq!(queue.pop_due(u64::MAX), Some((20, "c")));
        assert_eq!(queue.pop_due(u64::MAX), None);
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
    /// A xorshift64 step: the tests' deterministic stream of times and choices.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The queue beside its definition (a list sorted by time, then id, on each pop), fed the
    /// same schedules; every pop and peek is compared.
    struct Checked {
        queue: EventQueue<u64>,
        reference: Vec<(SimTime, u64)>,
        next_id: u64,
        now: SimTime,
    }

    impl Checked {
        fn new() -> Self {
            Checked {
                queue: EventQueue::default(),
                reference: Vec::new(),
                next_id: 0,
                now: 0,
            }
        }

        fn schedule_in(&mut self, delay: SimTime) {
            let at = self.now + delay;
            self.queue.schedule(at, self.next_id);
            self.reference.push((at, self.next_id));
            self.next_id += 1;
        }

        fn pop(&mut self) {
            self.reference.sort_by_key(|&(at, id)| (at, id));
            let expected = self.reference.remove(0);
            assert_eq!(self.queue.peek_time(), Some(expected.0));
            assert_eq!(self.queue.pop(), Some(expected));
            self.now = expected.0;
            assert_eq!(self.queue.len(), self.reference.len());
        }
    }

    #[test]
    fn matches_a_stable_sort_under_interleaved_pushes_and_pops() {
        // A deterministic pseudo-random mix of schedules and pops, checked against the
        // definition: the earliest time first, ties in insertion order.
        let mut checked = Checked::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let draw = xorshift(&mut state);
            if draw % 5 < 3 || checked.reference.is_empty() {
                checked.schedule_in(draw % 50);
            } else {
                checked.pop();
            }
        }
        while !checked.reference.is_empty() {
            checked.pop();
        }
        assert!(checked.queue.is_empty());
        assert_eq!(checked.queue.pop(), None);
    }

    #[test]
    fn growing_past_the_sorted_limit_and_draining_back_keeps_the_order() {
        // Waves that grow the agenda well past SORTED_MAX (into the heap) and drain it below
        // SORTED_MIN (back to the sorted vector), with ties, checked against a stable sort.
        let mut checked = Checked::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for wave in 0..40usize {
            let peak = [3, SORTED_MAX, SORTED_MAX + 1, 5 * SORTED_MAX][wave % 4];
            while checked.reference.len() < peak {
                checked.schedule_in(xorshift(&mut state) % 16);
            }
            let floor = [0, SORTED_MIN, SORTED_MIN + 1, 1][wave % 4];
            while checked.reference.len() > floor {
                checked.pop();
            }
            let copy = checked.queue.clone();
            assert_eq!(copy.len(), checked.queue.len());
            assert_eq!(copy.peek_time(), checked.queue.peek_time());
        }
    }
}
