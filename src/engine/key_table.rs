//! Per-entity counters that are cheap to checkpoint and cheap to reach.
//!
//! The engine keeps sequence numbers per entity key: the producer stamps each record with its
//! key's next sequence, and every group remembers the highest sequence it processed per key to
//! count out-of-order deliveries. With a million order ids that is 4 MB per producer and per
//! group, and the web app clones the whole simulation for each of its seek checkpoints.
//!
//! Two choices follow from profiling the 1M-record pipeline (`perf record`, session bench):
//!
//! - **One row per entity.** All the counters of one key (the producer's, then one per group)
//!   sit side by side, so the handful of reads of one order id (produced, then processed by
//!   each service a few hundred simulated milliseconds later) hit one cache line instead of
//!   missing once per table. Separate tables per group spent about a fifth of the run waiting
//!   for memory.
//! - **Copy-on-write chunks with generation stamps.** Rows are stored in chunks of about 4 KB
//!   behind reference-counted pointers: a clone copies the pointer array only, and a write
//!   copies its chunk if a clone still shares it (like a persistent vector). Whether this table
//!   owns a chunk is read from a stamp next to the pointer, not from the chunk's reference
//!   count, so the hot path touches no memory but the pointer array and the counter itself.
//!   Chunks never written are not allocated, so a key space of a billion keys costs nothing
//!   until keys are used.
//!
//! `Rc`, not `Arc`: a simulation is single-threaded (`evflow sweep` builds one per worker).
//! Counters are `Cell`s so that a write to an owned chunk needs no `Rc::get_mut`, which would
//! read the reference count at the chunk's start: one more cache miss per write.

use std::cell::Cell;
use std::rc::Rc;

/// Counters per chunk (4 KB): large enough that a clone's pointer array stays small and
/// copying a chunk is one fast `memcpy`; small enough that a checkpoint interval that writes
/// a few keys copies little.
const CHUNK_COUNTERS: usize = 1024;

/// One chunk pointer and the generation of the table that last made it its own.
#[derive(Clone, Debug, Default)]
struct Slot {
    /// The owning generation: equal to the table's generation only if this table holds the
    /// only reference (see [`KeyTable`]'s invariant).
    stamp: u64,
    counters: Option<Rc<[Cell<u32>]>>,
}

/// A table of `u32` counters indexed by `(key, column)`, all starting at 0.
///
/// Invariant: a slot whose stamp equals `generation` holds a chunk no other table references.
/// Stamps are only set to the current generation right after `own_chunk` made the chunk
/// unique, and cloning moves *both* tables to a generation above every stamp they hold.
#[derive(Debug)]
pub struct KeyTable {
    columns: usize,
    /// log2 of the rows per chunk.
    rows_shift: u32,
    generation: Cell<u64>,
    slots: Vec<Slot>,
}

impl Clone for KeyTable {
    fn clone(&self) -> Self {
        // A u64 of clones never wraps.
        let next = self.generation.get() + 1;
        self.generation.set(next);
        KeyTable {
            columns: self.columns,
            rows_shift: self.rows_shift,
            generation: Cell::new(next),
            slots: self.slots.clone(),
        }
    }
}

impl KeyTable {
    /// A table for keys `0..keys` (it grows on demand beyond that) with `columns` counters
    /// per key.
    pub fn new(keys: usize, columns: usize) -> Self {
        let columns = columns.max(1);
        let rows = (CHUNK_COUNTERS / columns).max(1);
        // The largest power of two not above `rows`: the chunk index is a shift.
        let rows_shift = usize::BITS - 1 - rows.leading_zeros();
        KeyTable {
            columns,
            rows_shift,
            generation: Cell::new(1),
            slots: vec![Slot::default(); keys.div_ceil(1 << rows_shift)],
        }
    }

    /// Counters per key.
    pub fn columns(&self) -> usize {
        self.columns
    }

    #[inline(always)]
    fn position(&self, key: usize, column: usize) -> (usize, usize) {
        debug_assert!(column < self.columns);
        let chunk = key >> self.rows_shift;
        let row = key & ((1 << self.rows_shift) - 1);
        (chunk, row * self.columns + column)
    }

    /// The counter of `(key, column)` (0 if never set).
    #[inline]
    pub fn get(&self, key: usize, column: usize) -> u32 {
        let (chunk, at) = self.position(key, column);
        match self.slots.get(chunk) {
            Some(Slot {
                counters: Some(counters),
                ..
            }) => counters[at].get(),
            _ => 0,
        }
    }

    /// The counter of `(key, column)` for writing, copying its chunk first if a clone shares
    /// it. Inlined on the hot path (a chunk this table owns); the rest is out of line.
    #[inline(always)]
    pub fn slot_mut(&mut self, key: usize, column: usize) -> &Cell<u32> {
        let (chunk, at) = self.position(key, column);
        let generation = self.generation.get();
        let owned = matches!(
            self.slots.get(chunk),
            Some(Slot { stamp, counters: Some(_) }) if *stamp == generation
        );
        if !owned {
            self.own_chunk(chunk);
        }
        // Owned now (by the invariant: writing through the `Cell` changes no clone), and
        // `own_chunk` always leaves a chunk in the slot.
        &self.slots[chunk].counters.as_deref().unwrap_or_default()[at]
    }

    /// Makes chunk `index` exist and belong to this table alone (growing the table, creating
    /// the chunk, or copying it away from a clone that shares it), and stamps it.
    #[cold]
    #[inline(never)]
    fn own_chunk(&mut self, index: usize) {
        if index >= self.slots.len() {
            self.slots.resize(index + 1, Slot::default());
        }
        let len = self.columns << self.rows_shift;
        let slot = &mut self.slots[index];
        slot.stamp = self.generation.get();
        let counters = slot
            .counters
            .get_or_insert_with(|| (0..len).map(|_| Cell::new(0)).collect());
        if Rc::strong_count(counters) > 1 {
            *counters = counters.iter().map(|c| Cell::new(c.get())).collect();
        }
    }

    /// Sets the counter of `(key, column)`.
    #[inline]
    pub fn set(&mut self, key: usize, column: usize, value: u32) {
        self.slot_mut(key, column).set(value);
    }

    /// Adds one to the counter of `(key, column)` and returns the new value.
    #[inline]
    pub fn increment(&mut self, key: usize, column: usize) -> u32 {
        let slot = self.slot_mut(key, column);
        slot.set(slot.get().wrapping_add(1));
        slot.get()
    }

    /// Bytes this table holds on its own (the chunks it does not share with a clone), for
    /// memory accounting.
    pub fn unshared_bytes(&self) -> usize {
        let own: usize = self
            .slots
            .iter()
            .filter_map(|slot| slot.counters.as_ref())
            .filter(|counters| Rc::strong_count(counters) == 1)
            .map(|counters| counters.len() * 4)
            .sum();
        self.slots.len() * std::mem::size_of::<Slot>() + own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_keys_read_zero_and_the_table_grows() {
        let mut table = KeyTable::new(10, 3);
        assert_eq!(table.get(3, 2), 0);
        assert_eq!(table.get(1_000_000, 0), 0);
        table.set(1_000_000, 1, 7);
        assert_eq!(table.get(1_000_000, 1), 7);
        assert_eq!(table.get(1_000_000, 0), 0);
        assert_eq!(table.increment(3, 2), 1);
        assert_eq!(table.increment(3, 2), 2);
        assert_eq!(table.get(3, 2), 2);
        assert_eq!(table.get(3, 1), 0);
        assert_eq!(table.get(4, 2), 0);
    }

    #[test]
    fn columns_of_one_key_are_independent_and_adjacent_keys_do_not_overlap() {
        for columns in [1, 2, 3, 7, 1024, 1500] {
            let mut table = KeyTable::new(5_000, columns);
            for key in 0..5_000 {
                for column in 0..columns.min(4) {
                    table.set(key, column, (key * 10 + column) as u32);
                }
            }
            for key in 0..5_000 {
                for column in 0..columns.min(4) {
                    assert_eq!(table.get(key, column), (key * 10 + column) as u32);
                }
            }
        }
    }

    #[test]
    fn a_clone_is_a_snapshot() {
        let mut table = KeyTable::new(10_000, 2);
        for key in 0..10_000 {
            table.set(key, 1, key as u32);
        }
        let snapshot = table.clone();
        // The clone shares every chunk.
        assert_eq!(table.unshared_bytes(), snapshot.unshared_bytes());
        assert!(table.unshared_bytes() < 10_000 * 8 / 8);
        for key in (0..10_000).step_by(7) {
            table.increment(key, 1);
        }
        for key in 0..10_000 {
            assert_eq!(snapshot.get(key, 1), key as u32);
            let bump = u32::from(key % 7 == 0);
            assert_eq!(table.get(key, 1), key as u32 + bump);
        }
    }

    #[test]
    fn both_sides_of_a_clone_copy_before_writing() {
        let mut table = KeyTable::new(100, 1);
        table.set(5, 0, 1);
        let mut other = table.clone();
        other.set(5, 0, 2);
        table.set(5, 0, 3);
        assert_eq!(other.get(5, 0), 2);
        assert_eq!(table.get(5, 0), 3);
        // A clone of a clone, written on every side.
        let mut third = other.clone();
        third.set(5, 0, 4);
        other.set(5, 0, 5);
        assert_eq!(
            (table.get(5, 0), other.get(5, 0), third.get(5, 0)),
            (3, 5, 4)
        );
    }

    #[test]
    fn a_write_copies_only_its_chunk() {
        let mut table = KeyTable::new(CHUNK_COUNTERS * 100, 1);
        for key in 0..CHUNK_COUNTERS * 100 {
            table.set(key, 0, 1);
        }
        let snapshot = table.clone();
        table.set(5, 0, 9);
        let own = table.unshared_bytes() - table.slots.len() * std::mem::size_of::<Slot>();
        assert_eq!(own, CHUNK_COUNTERS * 4, "one chunk copied");
        assert_eq!(snapshot.get(5, 0), 1);
    }
}
