//! The discrete-event kernel's agenda: a priority queue ordered by `(time, insertion sequence)`.
//!
//! As in nexosim, events at the same simulated time come out in the order they were scheduled
//! (FIFO), so a run never depends on the queue's internals. Only each actor's *next* action sits
//! in the queue (a producer's next record, a consumer's next completion), never one entry per
//! stored record, which keeps the queue small and the engine fast.
//!
//! Small is the common case: the SimPy scenario holds about 7 pending events, its retry-topic
//! variant about 12. For so few, a binary heap's pop (down to the bottom and back up, moving
//! 32-byte entries at each level) cost more than anything else in a step: 16% of a run's
//! instructions (callgrind). So a short agenda is a sorted vector, latest first: popping takes
//! the last entry, and scheduling looks for its place from that end too, since a new event is
//! usually due soon (a fetch, a completion) while the far end holds the periodic timers; the
//! later entries move up one slot and the new one is written once, in place.
//!
//! Past `SORTED_MAX` pending events (the 1M-record pipeline keeps about 1,400: delayed emits,
//! CDC captures, completions) the agenda becomes a *calendar* (Brown's calendar queue, 1988,
//! in its timing-wheel form): `BUCKETS` buckets of `BUCKET_WIDTH` µs each cover the next
//! quarter second or so. The sorted vector then holds only the current bucket; a new event
//! further ahead is pushed, unsorted, onto its own bucket, and events beyond the wheel wait in
//! a 4-ary heap. When the current bucket runs dry, the next occupied one (found in a bitmap)
//! is sorted and becomes current, and heap events that the advancing wheel now reaches move
//! into it. In the pipeline the 4-ary heap this replaced spent about 4.5 levels of dependent
//! loads and compares per pop: 11% of the run's instructions and 16% of its time (`perf
//! annotate`). The calendar goes back to the sorted vector once the agenda drains to
//! `SORTED_MIN`. Every form is an exact order on the same key, so which one holds the events
//! never changes what comes out.

use crate::time::SimTime;

/// Above this many pending events the agenda is a calendar.
const SORTED_MAX: usize = 32;
/// A calendar that drains to this many events becomes a sorted vector again (well below
/// [`SORTED_MAX`], so a queue hovering around the limit does not convert at every step).
const SORTED_MIN: usize = 8;
/// Simulated µs per calendar bucket (a power of two): in the 1M-record pipeline (about 30
/// events per ms) the current bucket holds a few dozen events, cheap to sort and to insert
/// into.
const BUCKET_WIDTH: SimTime = 1024;
/// log2 of [`BUCKET_WIDTH`].
const BUCKET_SHIFT: u32 = BUCKET_WIDTH.trailing_zeros();
/// Buckets in the calendar's wheel: with [`BUCKET_WIDTH`], 262 ms ahead, which covers the
/// usual delays (emits, CDC lag, fetches, processing); periodic timers sit in the far heap.
const BUCKETS: usize = 256;
/// Children per node of the far heap.
const HEAP_ARITY: usize = 4;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time, then insertion order.
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    /// The entry's time.
    #[inline(always)]
    fn time(&self) -> SimTime {
        (self.key >> 64) as SimTime
    }

    /// The calendar bucket number of the entry's time.
    #[inline(always)]
    fn bucket(&self) -> u64 {
        self.time() >> BUCKET_SHIFT
    }
}

/// A time-ordered agenda of events of type `E`.
#[derive(Clone)]
pub struct EventQueue<E> {
    /// Sorted by key, latest first. The whole agenda while it is short; the current bucket
    /// (every event up to the end of bucket `calendar.cursor`) while it is a calendar, and
    /// then never empty unless the agenda is.
    sorted: Vec<Entry<E>>,
    /// The events beyond the current bucket while the agenda is long.
    calendar: Calendar<E>,
    /// Whether the agenda is a calendar.
    long: bool,
    next_seq: u64,
}

/// The long agenda's wheel and far heap (see the module documentation).
#[derive(Clone)]
struct Calendar<E> {
    /// The bucket number of the current bucket (held in [`EventQueue::sorted`]).
    cursor: u64,
    /// Bucket `b` for `cursor < b < cursor + BUCKETS` is `wheel[b % BUCKETS]`, unsorted.
    wheel: Vec<Vec<Entry<E>>>,
    /// Bit `s` set when `wheel[s]` is not empty.
    occupied: [u64; BUCKETS / 64],
    /// Events in the wheel.
    in_wheel: usize,
    /// Events at bucket `cursor + BUCKETS` or later: a 4-ary min-heap.
    far: Vec<Entry<E>>,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Calendar {
            cursor: 0,
            wheel: Vec::new(),
            occupied: [0; BUCKETS / 64],
            in_wheel: 0,
            far: Vec::new(),
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            sorted: Vec::new(),
            calendar: Calendar::default(),
            long: false,
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
    /// The short agenda's path gets the key and the event apart and builds the entry only at
    /// the store: an entry built first lived on the stack (the other paths take its address),
    /// and the 16-byte loads that copied it into the vector waited on the narrower stores
    /// that wrote it (27% of `append`'s samples in the SimPy retry-topic run, where
    /// `wake_readers` schedules the consumer's wake-up; `perf annotate`).
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (u128::from(time) << 64) | u128::from(seq);
        if !self.long {
            if self.sorted.len() < SORTED_MAX {
                insert_sorted(&mut self.sorted, key, event, true);
                return seq;
            }
            self.switch_to_calendar();
        }
        self.place(Entry { key, event }, true);
        seq
    }

    /// Files an entry of the long agenda: into the current bucket (sorted), onto its wheel
    /// bucket (unsorted), or into the far heap. `newest`: see [`insert_sorted`].
    #[inline(always)]
    fn place(&mut self, entry: Entry<E>, newest: bool) {
        let calendar = &mut self.calendar;
        let bucket = entry.bucket();
        if bucket <= calendar.cursor {
            insert_sorted(&mut self.sorted, entry.key, entry.event, newest);
        } else if bucket - calendar.cursor < BUCKETS as u64 {
            calendar.push_to_wheel(entry);
        } else {
            heap_push(&mut calendar.far, entry);
        }
    }

    /// The sorted vector is full: the agenda becomes a calendar whose current bucket is the
    /// earliest event's.
    #[cold]
    #[inline(never)]
    fn switch_to_calendar(&mut self) {
        self.long = true;
        if self.calendar.wheel.is_empty() {
            self.calendar.wheel = (0..BUCKETS).map(|_| Vec::new()).collect();
        }
        let entries = std::mem::take(&mut self.sorted);
        self.calendar.cursor = entries.last().map_or(0, Entry::bucket);
        // Latest first, so the entries kept in the current bucket stay sorted.
        for &entry in &entries {
            self.place(entry, false);
        }
    }

    /// The current bucket ran dry: the next occupied bucket becomes current, heap events the
    /// wheel now reaches join it, and an agenda drained to [`SORTED_MIN`] becomes a sorted
    /// vector again.
    #[inline(never)]
    fn advance(&mut self) {
        let calendar = &mut self.calendar;
        if calendar.in_wheel + calendar.far.len() <= SORTED_MIN {
            self.switch_to_sorted();
            return;
        }
        let next = match calendar.next_occupied() {
            Some(next) => next,
            None => calendar.far[0].bucket(), // the wheel is empty: jump to the far heap
        };
        calendar.cursor = next;
        let slot = (next % BUCKETS as u64) as usize;
        if calendar.occupied[slot / 64] & (1 << (slot % 64)) != 0 {
            calendar.occupied[slot / 64] &= !(1 << (slot % 64));
            // `sorted` is empty: it takes the bucket's entries and lends it its allocation.
            std::mem::swap(&mut self.sorted, &mut calendar.wheel[slot]);
            calendar.in_wheel -= self.sorted.len();
        }
        // The wheel now reaches `next + BUCKETS - 1`: move the heap events it covers.
        while let Some(first) = calendar.far.first() {
            if first.bucket() - next >= BUCKETS as u64 {
                break;
            }
            let entry = heap_pop(&mut calendar.far).expect("a first entry");
            if entry.bucket() == next {
                self.sorted.push(entry);
            } else {
                calendar.push_to_wheel(entry);
            }
        }
        sort_latest_first(&mut self.sorted);
    }

    /// The calendar drained: the agenda becomes a sorted vector again (the wheel keeps its
    /// buckets' allocations for the next time).
    #[cold]
    fn switch_to_sorted(&mut self) {
        let calendar = &mut self.calendar;
        for bucket in &mut calendar.wheel {
            self.sorted.append(bucket);
        }
        self.sorted.append(&mut calendar.far);
        calendar.occupied = [0; BUCKETS / 64];
        calendar.in_wheel = 0;
        self.long = false;
        sort_latest_first(&mut self.sorted);
    }

    /// Removes and returns the earliest event with its time (ties: the first scheduled).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.sorted.pop()?;
        if self.long && self.sorted.is_empty() {
            self.advance();
        }
        Some((entry.time(), entry.event))
    }

    /// Like [`EventQueue::pop`], but only an event due at or before `limit` (a run's loop then
    /// looks at the agenda once per event, not once to test and again to pop).
    #[inline]
    pub fn pop_due(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        if self.sorted.last()?.time() <= limit {
            self.pop()
        } else {
            None
        }
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.sorted.last().map(Entry::time)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        let calendar = &self.calendar;
        self.sorted.len() + calendar.in_wheel + calendar.far.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        // The current bucket is empty only when the whole agenda is.
        self.sorted.is_empty()
    }

    /// How many events were ever scheduled (the kernel's event counter).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

impl<E> Calendar<E> {
    /// Puts an entry of a bucket the wheel covers (after the cursor, less than [`BUCKETS`]
    /// ahead) onto that bucket, unsorted.
    #[inline(always)]
    fn push_to_wheel(&mut self, entry: Entry<E>) {
        let slot = (entry.bucket() % BUCKETS as u64) as usize;
        self.wheel[slot].push(entry);
        self.occupied[slot / 64] |= 1 << (slot % 64);
        self.in_wheel += 1;
    }

    /// The first occupied wheel bucket after the cursor, as a bucket number.
    fn next_occupied(&self) -> Option<u64> {
        if self.in_wheel == 0 {
            return None;
        }
        let start = ((self.cursor + 1) % BUCKETS as u64) as usize;
        // Walk the bitmap's words from `start`, wrapping once around the wheel.
        let words = BUCKETS / 64;
        for step in 0..=words {
            let word = (start / 64 + step) % words;
            let mut bits = self.occupied[word];
            if step == 0 {
                bits &= u64::MAX << (start % 64);
            } else if step == words {
                bits &= !(u64::MAX << (start % 64));
            }
            if bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                let ahead = (slot + BUCKETS - start) % BUCKETS;
                return Some(self.cursor + 1 + ahead as u64);
            }
        }
        None
    }
}

/// Sorts entries latest first, the order of [`EventQueue::sorted`]. Keys are unique, so an
/// unstable sort is exact.
fn sort_latest_first<E>(entries: &mut [Entry<E>]) {
    entries.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.key));
}

/// Puts the entry of `key` and `event` into a vector sorted latest first. Keys are unique; the
/// new one goes after (nearer the end than) every later key. It is usually due among the
/// first, a step or two from the end, so the search starts there.
///
/// `newest`: `key` was just scheduled, so its sequence number is larger than any in the
/// vector and an entry at the same time is earlier than it: the search compares times alone,
/// one 64-bit comparison per entry instead of a 128-bit one. This search was the costliest
/// line of the SimPy runs (2.5-2.8% of their instructions, callgrind; 1.6% since).
#[inline(always)]
fn insert_sorted<E: Copy>(sorted: &mut Vec<Entry<E>>, key: u128, event: E, newest: bool) {
    let len = sorted.len();
    let time = (key >> 64) as SimTime;
    let mut at = len;
    if newest {
        while at > 0 && sorted[at - 1].time() <= time {
            at -= 1;
        }
    } else {
        while at > 0 && sorted[at - 1].key < key {
            at -= 1;
        }
    }
    if at == len {
        sorted.push(Entry { key, event });
    } else {
        // Copied field by field: the last entry was often written a moment ago, one field at a
        // time (the wake-up the same step scheduled), and copied whole its 16-byte loads waited
        // on those stores (3.5-14% of `step_due`'s samples in the SimPy retry-topic run,
        // `perf annotate`).
        let last = &sorted[len - 1];
        let (last_key, last_event) = (last.key, last.event);
        sorted.push(Entry {
            key: last_key,
            event: last_event,
        });
        for slot in (at + 1..len).rev() {
            sorted[slot] = sorted[slot - 1];
        }
        sorted[at] = Entry { key, event };
    }
}

/// Adds `entry` to a 4-ary min-heap. The new entry stays in registers while later parents
/// move down into the hole, and is written once; `std`'s `BinaryHeap` writes it first and
/// reads it back.
#[inline]
fn heap_push<E: Copy>(heap: &mut Vec<Entry<E>>, entry: Entry<E>) {
    let hole = heap.len();
    match heap.first() {
        Some(&first) => heap.push(first), // a placeholder for the hole
        None => {
            heap.push(entry);
            return;
        }
    }
    rise(heap, hole, entry);
}

/// Removes a 4-ary min-heap's earliest entry. The hole left at the root goes down to a leaf
/// along the earliest child of each node, the last entry fills it and rises (usually not at
/// all: it is among the latest). Which child is earliest is a coin toss that a branch would
/// mispredict half the time, so it is chosen by arithmetic.
fn heap_pop<E: Copy>(heap: &mut Vec<Entry<E>>) -> Option<Entry<E>> {
    let last = heap.pop()?;
    let Some(&root) = heap.first() else {
        return Some(last);
    };
    let heap = &mut heap[..];
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

    /// The world's packed events keep an agenda entry at 32 bytes, as it was with the enum.
    #[test]
    fn an_agenda_entry_of_a_packed_world_event_is_32_bytes() {
        assert_eq!(
            std::mem::size_of::<Entry<crate::engine::event::PackedEvent>>(),
            32
        );
    }

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

    /// A delay from every range the calendar treats differently: inside the current bucket,
    /// on the wheel, just past it (the far heap), and far beyond.
    fn calendar_delay(state: &mut u64) -> SimTime {
        let draw = xorshift(state);
        let wheel = BUCKET_WIDTH * BUCKETS as SimTime;
        match draw % 8 {
            0 => 0,
            1 => draw % BUCKET_WIDTH,
            2..=4 => draw % wheel,
            5 => wheel - 1 + draw % (2 * BUCKET_WIDTH),
            6 => wheel + draw % (20 * wheel),
            _ => draw % (3 * BUCKET_WIDTH),
        }
    }

    #[test]
    fn the_calendar_matches_a_stable_sort_over_delays_of_every_range() {
        // Thousands pending (as in the 1M-record pipeline), with delays that land in the
        // current bucket, on the wheel, in the far heap, and ties; then a drain back to the
        // sorted vector and a second fill, checked against the definition at every pop.
        let mut checked = Checked::new();
        let mut state = 0x0123_4567_89ab_cdefu64;
        for round in 0..2 {
            for _ in 0..3_000 {
                checked.schedule_in(calendar_delay(&mut state));
            }
            for _ in 0..40_000 {
                if xorshift(&mut state) % 2 == 0 {
                    checked.schedule_in(calendar_delay(&mut state));
                } else {
                    checked.pop();
                }
            }
            let floor = [0, SORTED_MIN / 2][round];
            while checked.reference.len() > floor {
                checked.pop();
            }
        }
    }

    #[test]
    fn ties_on_the_wheel_in_the_far_heap_and_at_the_switch_keep_insertion_order() {
        // Delays from a few fixed values make thousands of ties: in the current bucket, on
        // wheel buckets, in far-heap buckets (moved onto the wheel by a later advance, or
        // jumped to when the wheel is empty), and among the entries that the switch from the
        // sorted vector files, in waves that convert back and forth. The other tests' delays
        // rarely tie outside the current bucket.
        let wheel = BUCKET_WIDTH * BUCKETS as SimTime;
        let delays = [
            0,
            7,
            BUCKET_WIDTH * 3,
            BUCKET_WIDTH * 40 + 5,
            wheel + 9,
            3 * wheel,
        ];
        let pick = |state: &mut u64| delays[(xorshift(state) % delays.len() as u64) as usize];
        let mut checked = Checked::new();
        let mut state = 0x7a11_7e57_0bad_5eedu64;
        for wave in 0..12usize {
            let peak = [SORTED_MAX, SORTED_MAX + 1, 400, 3_000][wave % 4];
            while checked.reference.len() < peak {
                checked.schedule_in(pick(&mut state));
            }
            for _ in 0..2_000 {
                if xorshift(&mut state) % 2 == 0 {
                    checked.schedule_in(pick(&mut state));
                } else if !checked.reference.is_empty() {
                    checked.pop();
                }
            }
            let floor = [0, 1, SORTED_MIN, SORTED_MIN + 1][wave % 4];
            while checked.reference.len() > floor {
                checked.pop();
            }
        }
    }

    #[test]
    fn the_calendar_jumps_over_empty_stretches_to_the_far_heap() {
        // Twenty events hours apart among many near ones: once the near ones are gone the
        // wheel is empty and each next pop jumps to the far heap, until few enough are left
        // for the sorted vector.
        let mut checked = Checked::new();
        let mut state = 0xdead_beef_cafe_f00du64;
        for k in 0..200u64 {
            checked.schedule_in(xorshift(&mut state) % (4 * BUCKET_WIDTH));
            if k % 10 == 0 {
                checked.schedule_in(3_600_000_000 * (k + 1));
            }
        }
        let mut near_again = true;
        while !checked.reference.is_empty() {
            checked.pop();
            if checked.reference.len() == 3 && near_again {
                // Scheduling near `now` again after the wheel ran empty.
                checked.schedule_in(BUCKET_WIDTH / 2);
                checked.schedule_in(0);
                near_again = false;
            }
        }
        assert!(checked.queue.is_empty());
    }

    #[test]
    fn a_clone_of_a_calendar_continues_identically() {
        let mut state = 0x5555_aaaa_1234_9876u64;
        let mut queue = EventQueue::default();
        for id in 0..2_000u64 {
            queue.schedule(calendar_delay(&mut state), id);
        }
        for _ in 0..500 {
            queue.pop();
        }
        let mut copy = queue.clone();
        for id in 2_000..2_500u64 {
            let at = queue.peek_time().unwrap() + calendar_delay(&mut state);
            queue.schedule(at, id);
            copy.schedule(at, id);
        }
        let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        let rest_of_copy: Vec<_> = std::iter::from_fn(|| copy.pop()).collect();
        assert_eq!(rest.len(), 2_000);
        assert_eq!(rest, rest_of_copy);
    }
}
