//! Per-entity counters, with a journal of writes for cheap checkpoints.
//!
//! The engine keeps sequence numbers per entity key: the producer stamps each record with its
//! key's next sequence, and every group remembers the highest sequence it processed per key to
//! count out-of-order deliveries. With a million order ids that is 24 MB for a producer and
//! five groups.
//!
//! Three choices follow from profiling the 1M-record pipeline (`perf record` natively, a CDP
//! profile in Chromium):
//!
//! - **One row per entity.** All the counters of one key (the producer's, then one per group)
//!   sit side by side, so the reads of one order id (produced, then processed by each service
//!   a few hundred simulated milliseconds later) share a cache line instead of missing once
//!   per table.
//! - **Chunks allocated on first write.** A key space of a billion keys costs nothing until
//!   keys are used.
//! - **A journal instead of copy-on-write.** The web app checkpoints the simulation 64 times
//!   per run to seek. Random keys touch every part of the table between two checkpoints, so
//!   copy-on-write chunks copied the whole table at each one: 1.5 GB for the pipeline, and
//!   most of the run in the allocator. Instead a table can record its writes; a checkpoint
//!   keeps the writes since the previous one (16 bytes each, with the old value), and a
//!   restore either replays them onto an empty table ([`KeyTable::apply`]) or takes the live
//!   table and undoes or redoes the writes in between ([`KeyTable::undo`]), whichever touches
//!   fewer writes.

/// Counters per chunk (16 KB).
const CHUNK_COUNTERS: usize = 4096;

/// One write to a [`KeyTable`], as journaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityWrite {
    key: u32,
    column: u32,
    /// The value before the write, so that a journal can be undone as well as replayed.
    old: u32,
    value: u32,
}

/// A table of `u32` counters indexed by `(key, column)`, all starting at 0.
#[derive(Clone, Debug)]
pub struct KeyTable {
    columns: usize,
    /// log2 of the rows per chunk.
    rows_shift: u32,
    chunks: Vec<Option<Box<[u32]>>>,
    /// Every write since the journal was last taken, when recording.
    journal: Option<Vec<EntityWrite>>,
}

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable::new(0, 1)
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
            chunks: vec![None; keys.div_ceil(1 << rows_shift)],
            journal: None,
        }
    }

    /// An empty table of the same shape (no counters set, no journal).
    pub fn empty_like(&self) -> Self {
        KeyTable {
            columns: self.columns,
            rows_shift: self.rows_shift,
            chunks: vec![None; self.chunks.len()],
            journal: None,
        }
    }

    /// Counters per key.
    pub fn columns(&self) -> usize {
        self.columns
    }

    #[inline(always)]
    fn position(&self, key: u32, column: usize) -> (usize, usize) {
        debug_assert!(column < self.columns);
        let key = key as usize;
        let chunk = key >> self.rows_shift;
        let row = key & ((1 << self.rows_shift) - 1);
        (chunk, row * self.columns + column)
    }

    /// The counter of `(key, column)` (0 if never set).
    #[inline]
    pub fn get(&self, key: u32, column: usize) -> u32 {
        let (chunk, at) = self.position(key, column);
        match self.chunks.get(chunk) {
            Some(Some(counters)) => counters[at],
            _ => 0,
        }
    }

    /// Sets the counter of `(key, column)`.
    #[inline]
    pub fn set(&mut self, key: u32, column: usize, value: u32) {
        self.update(key, column, |_| value);
    }

    /// Adds one to the counter of `(key, column)` and returns the new value.
    #[inline]
    pub fn increment(&mut self, key: u32, column: usize) -> u32 {
        self.update(key, column, |v| v.wrapping_add(1))
            .wrapping_add(1)
    }

    /// Raises the counter of `(key, column)` to `value` if it is lower; returns its previous
    /// value (a group's "highest sequence processed" check and update in one access).
    #[inline]
    pub fn raise(&mut self, key: u32, column: usize, value: u32) -> u32 {
        self.update(key, column, |v| v.max(value))
    }

    /// Changes one counter in a single access and journals the change when recording;
    /// returns the previous value.
    #[inline(always)]
    fn update(&mut self, key: u32, column: usize, change: impl FnOnce(u32) -> u32) -> u32 {
        let (chunk, at) = self.position(key, column);
        let slot = match self.chunks.get_mut(chunk) {
            Some(Some(counters)) => &mut counters[at],
            _ => &mut self.allocate(chunk)[at],
        };
        let old = *slot;
        let value = change(old);
        if value != old {
            *slot = value;
            if let Some(journal) = &mut self.journal {
                journal.push(EntityWrite {
                    key,
                    column: column as u32,
                    old,
                    value,
                });
            }
        }
        old
    }

    /// Writes a counter without journaling (replaying or undoing a journal).
    #[inline(always)]
    fn write(&mut self, key: u32, column: usize, value: u32) {
        let (chunk, at) = self.position(key, column);
        match self.chunks.get_mut(chunk) {
            Some(Some(counters)) => counters[at] = value,
            _ => self.allocate(chunk)[at] = value,
        }
    }

    /// Creates chunk `index` (growing the table if the key lies beyond it).
    #[cold]
    #[inline(never)]
    fn allocate(&mut self, index: usize) -> &mut [u32] {
        if index >= self.chunks.len() {
            self.chunks.resize(index + 1, None);
        }
        let len = self.columns << self.rows_shift;
        self.chunks[index].get_or_insert_with(|| vec![0; len].into_boxed_slice())
    }

    /// Starts (or stops) journaling writes; starting empties the journal.
    pub fn record_writes(&mut self, on: bool) {
        self.journal = on.then(Vec::new);
    }

    /// The writes journaled since the last call (empty when not recording).
    pub fn take_writes(&mut self) -> Vec<EntityWrite> {
        self.journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Replays journaled writes, in order (not journaled again).
    pub fn apply(&mut self, writes: &[EntityWrite]) {
        for w in writes {
            self.write(w.key, w.column as usize, w.value);
        }
    }

    /// Takes journaled writes back, newest first (not journaled): the table returns to its
    /// state before them.
    pub fn undo(&mut self, writes: &[EntityWrite]) {
        for w in writes.iter().rev() {
            self.write(w.key, w.column as usize, w.old);
        }
    }

    /// Bytes of counters allocated, for memory accounting.
    pub fn allocated_bytes(&self) -> usize {
        let chunks = self.chunks.iter().flatten().count();
        chunks * (self.columns << self.rows_shift) * 4
            + self.chunks.len() * std::mem::size_of::<Option<Box<[u32]>>>()
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
            for key in 0..5_000u32 {
                for column in 0..columns.min(4) {
                    table.set(key, column, key * 10 + column as u32);
                }
            }
            for key in 0..5_000u32 {
                for column in 0..columns.min(4) {
                    assert_eq!(table.get(key, column), key * 10 + column as u32);
                }
            }
        }
    }

    #[test]
    fn only_written_chunks_are_allocated() {
        let mut table = KeyTable::new(1 << 24, 6);
        let before = table.allocated_bytes();
        table.set(12_345_678, 5, 1);
        // 4096 / 6 rounds down to 512 rows of 6 counters.
        assert_eq!(table.allocated_bytes() - before, 512 * 6 * 4);
        assert_eq!(table.get(12_345_678, 5), 1);
    }

    #[test]
    fn replaying_the_journal_onto_an_empty_table_rebuilds_it() {
        let mut table = KeyTable::new(50_000, 3);
        table.set(7, 0, 99); // before recording: part of the base
        let base = table.clone();
        table.record_writes(true);
        let mut state = 12345u32;
        let mut journals = Vec::new();
        for round in 0..5 {
            for _ in 0..2_000 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let key = state % 60_000; // some beyond the initial size
                if round % 2 == 0 {
                    table.increment(key, 0);
                } else {
                    table.set(key, (state % 3) as usize, state);
                }
            }
            journals.push(table.take_writes());
        }
        let mut rebuilt = base.empty_like();
        rebuilt.apply(&[EntityWrite {
            key: 7,
            column: 0,
            old: 0,
            value: 99,
        }]);
        for journal in &journals {
            rebuilt.apply(journal);
        }
        assert_same(&rebuilt, &table, 60_000);
        assert!(table.take_writes().is_empty());
        // Undoing the journals, newest first, returns to the state before recording.
        for journal in journals.iter().rev() {
            table.undo(journal);
        }
        assert_same(&table, &base, 60_000);
    }

    /// Every counter of keys `0..keys` is equal in `a` and `b`.
    fn assert_same(a: &KeyTable, b: &KeyTable, keys: u32) {
        for key in 0..keys {
            for column in 0..a.columns() {
                assert_eq!(a.get(key, column), b.get(key, column), "{key}/{column}");
            }
        }
    }
}
