//! Per-entity counters, with a journal of writes for cheap checkpoints.
//!
//! The engine keeps sequence numbers per entity key: the producer stamps each record with its
//! key's next sequence, and every group remembers the highest sequence it processed per key to
//! count out-of-order deliveries. With a million order ids that is 28 MB of counters for a
//! producer and five groups, a 4 MB map from key to row and a 128 KB bitmap of keys with rows.
//!
//! Four choices follow from profiling the 1M-record pipeline (`perf record` natively, a CDP
//! profile in Chromium):
//!
//! - **One row per entity.** All the counters of one key (the producer's, then one per group)
//!   sit side by side, so the reads of one order id (produced, then processed by each service
//!   a few hundred simulated milliseconds later) share a cache line instead of missing once
//!   per table.
//! - **Rows in order of first use.** A key's row is handed out when the key is first written,
//!   and records carry their row ([`crate::kafka::log::Record::row`]). The orders in flight
//!   were mostly created in the last second, so their rows sit together at the end of the
//!   table and stay in cache while each service processes them. Rows indexed by key id
//!   scattered a million random keys over 28 MB: the consumers' row read (`track_order`)
//!   waited on memory for 13% of the pipeline's run time. A key's first use is recognised
//!   in the bitmap (which stays in the L2 cache) and only writes the map; only a key used again
//!   reads the map (4 bytes per key, scattered) and may miss. Key spaces of at most
//!   `ROWS_IN_ORDER_ABOVE` keys skip all this: a key's row is the key.
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

/// The journal's column for a key-to-row assignment (`index` is then the key, `value` the row
/// plus one); any other column is a counter of row `index`.
const ROW_OF_KEY: u32 = u32::MAX;

/// One write to a [`KeyTable`], as journaled: a counter of a row, or a key's row assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityWrite {
    /// The row of a counter write; the key of a row assignment (column [`ROW_OF_KEY`]).
    index: u32,
    column: u32,
    /// The value before the write, so that a journal can be undone as well as replayed.
    old: u32,
    value: u32,
}

/// `u32` values in `columns` per index, all starting at 0, in chunks allocated on first write.
#[derive(Clone, Debug)]
struct Chunks {
    columns: usize,
    /// log2 of the indexes per chunk.
    index_shift: u32,
    chunks: Vec<Option<Box<[u32]>>>,
}

impl Chunks {
    /// Room for indexes `0..indexes` (it grows on demand beyond that).
    fn new(indexes: usize, columns: usize) -> Self {
        let columns = columns.max(1);
        let per_chunk = (CHUNK_COUNTERS / columns).max(1);
        // The largest power of two not above `per_chunk`: the chunk index is a shift.
        let index_shift = usize::BITS - 1 - per_chunk.leading_zeros();
        Chunks {
            columns,
            index_shift,
            chunks: vec![None; indexes.div_ceil(1 << index_shift)],
        }
    }

    /// No chunks, not even empty slots for them (they grow on demand): every checkpoint
    /// holds an empty table, so a billion-key space must not cost a slot per chunk there.
    fn empty_like(&self) -> Self {
        Chunks {
            columns: self.columns,
            index_shift: self.index_shift,
            chunks: Vec::new(),
        }
    }

    #[inline(always)]
    fn position(&self, index: u32, column: usize) -> (usize, usize) {
        debug_assert!(column < self.columns);
        let index = index as usize;
        let chunk = index >> self.index_shift;
        let within = index & ((1 << self.index_shift) - 1);
        (chunk, within * self.columns + column)
    }

    #[inline(always)]
    fn get(&self, index: u32, column: usize) -> u32 {
        let (chunk, at) = self.position(index, column);
        match self.chunks.get(chunk) {
            Some(Some(values)) => values[at],
            _ => 0,
        }
    }

    #[inline(always)]
    fn slot(&mut self, index: u32, column: usize) -> &mut u32 {
        let (chunk, at) = self.position(index, column);
        if chunk >= self.chunks.len() {
            self.grow(chunk);
        }
        let len = self.columns << self.index_shift;
        &mut self.chunks[chunk].get_or_insert_with(|| new_chunk(len))[at]
    }

    /// Makes room for chunk `index`.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, index: usize) {
        self.chunks.resize(index + 1, None);
    }

    fn allocated_bytes(&self) -> usize {
        let chunks = self.chunks.iter().flatten().count();
        chunks * (self.columns << self.index_shift) * 4
            + self.chunks.len() * std::mem::size_of::<Option<Box<[u32]>>>()
    }
}

/// The word of [`KeyTable::keys_with_rows`] holding `key`'s bit, and the bit.
#[inline(always)]
fn key_bit(key: u32) -> (u32, u32) {
    (key >> 5, 1 << (key & 31))
}

/// Key spaces up to this many keys index rows by key (a key's row is the key): the bitmap
/// and the map only pay off when scattered rows miss the cache, and they cost the SimPy
/// scenarios (10,000 keys, a 120 KB table that stays in cache) 2% more instructions.
const ROWS_IN_ORDER_ABOVE: usize = 1 << 16;

/// A chunk of `len` zeros (a chunk's first write).
#[cold]
#[inline(never)]
fn new_chunk(len: usize) -> Box<[u32]> {
    vec![0; len].into_boxed_slice()
}

/// Rows of `u32` counters, one row per entity key, all starting at 0. [`KeyTable::row`] gives
/// a key its row; the counters are then read and written by row.
#[derive(Clone, Debug)]
pub struct KeyTable {
    /// The counters, by row.
    rows: Chunks,
    /// Each key's row plus one (0: no row yet), by key. Unused (empty) when rows are not
    /// handed out in order.
    row_of_key: Chunks,
    /// One bit per key: whether it has a row. A new key (most of a large key space's
    /// records) is recognised here, in 1 bit instead of 4 bytes (128 KB for a million keys,
    /// which stays in cache), and its map entry is only written: the write does not hold up
    /// the producer as the read of a map entry scattered over 4 MB did (31% of the samples of
    /// `step_due`, which runs the producer, in the 1M-record pipeline: `perf annotate`).
    keys_with_rows: Chunks,
    /// Rows handed out: the next key used gets row `rows_used`.
    rows_used: u32,
    /// Whether rows are handed out in order of first use; if not, a key's row is the key
    /// itself (key spaces of at most [`ROWS_IN_ORDER_ABOVE`] keys).
    rows_in_order: bool,
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
    /// per key. Above `ROWS_IN_ORDER_ABOVE` keys, rows are handed out in order of first use;
    /// otherwise a key's row is the key.
    pub fn new(keys: usize, columns: usize) -> Self {
        let rows_in_order = keys > ROWS_IN_ORDER_ABOVE;
        // Rows grow with their chunk list; the map and the bitmap are indexed by key, so
        // they get a slot per chunk of the whole key space up front (when used at all).
        let mapped = if rows_in_order { keys } else { 0 };
        KeyTable {
            rows_in_order,
            rows: Chunks::new(0, columns),
            row_of_key: Chunks::new(mapped, 1),
            keys_with_rows: Chunks::new(mapped.div_ceil(32), 1),
            rows_used: 0,
            journal: None,
        }
    }

    /// An empty table of the same shape (no rows, no journal).
    pub fn empty_like(&self) -> Self {
        KeyTable {
            rows: self.rows.empty_like(),
            row_of_key: self.row_of_key.empty_like(),
            keys_with_rows: self.keys_with_rows.empty_like(),
            rows_used: 0,
            rows_in_order: self.rows_in_order,
            journal: None,
        }
    }

    /// Counters per row.
    pub fn columns(&self) -> usize {
        self.rows.columns
    }

    /// The row of `key`: handed out (and journaled) on its first use when rows are handed out
    /// in order, else the key itself.
    #[inline]
    pub fn row(&mut self, key: u32) -> u32 {
        if !self.rows_in_order {
            return key;
        }
        let (word, bit) = key_bit(key);
        let bits = self.keys_with_rows.slot(word, 0);
        if *bits & bit != 0 {
            return self.row_of_key.get(key, 0) - 1;
        }
        *bits |= bit;
        let row = self.rows_used;
        self.rows_used += 1;
        *self.row_of_key.slot(key, 0) = row + 1;
        if let Some(journal) = &mut self.journal {
            journal.push(EntityWrite {
                index: key,
                column: ROW_OF_KEY,
                old: 0,
                value: row + 1,
            });
        }
        row
    }

    /// The counter of `(row, column)` (0 if never set).
    #[inline]
    pub fn get(&self, row: u32, column: usize) -> u32 {
        self.rows.get(row, column)
    }

    /// Sets the counter of `(row, column)`.
    #[inline]
    pub fn set(&mut self, row: u32, column: usize, value: u32) {
        self.update(row, column, |_| value);
    }

    /// Adds one to the counter of `(row, column)` and returns the new value.
    #[inline]
    pub fn increment(&mut self, row: u32, column: usize) -> u32 {
        self.update(row, column, |v| v.wrapping_add(1))
            .wrapping_add(1)
    }

    /// Raises the counter of `(row, column)` to `value` if it is lower; returns its previous
    /// value (a group's "highest sequence processed" check and update in one access).
    #[inline]
    pub fn raise(&mut self, row: u32, column: usize, value: u32) -> u32 {
        self.update(row, column, |v| v.max(value))
    }

    /// Changes one counter in a single access and journals the change when recording;
    /// returns the previous value.
    #[inline(always)]
    fn update(&mut self, row: u32, column: usize, change: impl FnOnce(u32) -> u32) -> u32 {
        let slot = self.rows.slot(row, column);
        let old = *slot;
        let value = change(old);
        if value != old {
            *slot = value;
            if let Some(journal) = &mut self.journal {
                journal.push(EntityWrite {
                    index: row,
                    column: column as u32,
                    old,
                    value,
                });
            }
        }
        old
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
            if w.column == ROW_OF_KEY {
                // Rows are handed out in order, so the newest assignment is the last row.
                debug_assert!(self.rows_in_order, "a key-indexed table hands out no rows");
                debug_assert_eq!(w.value, self.rows_used + 1, "rows replayed out of order");
                self.set_row_of_key(w.index, w.value);
                self.rows_used = w.value;
            } else {
                *self.rows.slot(w.index, w.column as usize) = w.value;
            }
        }
    }

    /// Takes journaled writes back, newest first (not journaled): the table returns to its
    /// state before them.
    pub fn undo(&mut self, writes: &[EntityWrite]) {
        for w in writes.iter().rev() {
            if w.column == ROW_OF_KEY {
                // The row given back is the last one handed out; its counters were written
                // after it was handed out, so they are already undone to 0.
                debug_assert!(self.rows_in_order, "a key-indexed table hands out no rows");
                debug_assert_eq!(w.value, self.rows_used, "rows undone out of order");
                debug_assert_eq!(
                    self.row_of_key.get(w.index, 0),
                    w.value,
                    "the key holds the row being given back"
                );
                self.set_row_of_key(w.index, w.old);
                self.rows_used = w.value - 1;
            } else {
                *self.rows.slot(w.index, w.column as usize) = w.old;
            }
        }
    }

    /// Sets a key's map entry (its row plus one, 0 for none) and keeps its bit in step: the
    /// bitmap is the map's "non-zero" summary, for [`KeyTable::row`]'s fast path.
    fn set_row_of_key(&mut self, key: u32, value: u32) {
        *self.row_of_key.slot(key, 0) = value;
        let (word, bit) = key_bit(key);
        let bits = self.keys_with_rows.slot(word, 0);
        if value == 0 {
            *bits &= !bit;
        } else {
            *bits |= bit;
        }
    }

    /// Bytes of counters, of the key-to-row map and of its bitmap, for memory accounting.
    pub fn allocated_bytes(&self) -> usize {
        self.rows.allocated_bytes()
            + self.row_of_key.allocated_bytes()
            + self.keys_with_rows.allocated_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_counters_read_zero_and_the_table_grows() {
        // A key-indexed table (no key space given), grown by keys far apart; the tests below
        // grow tables that hand out rows in order.
        let mut table = KeyTable::new(0, 3);
        for key in 0..10_000 {
            let row = table.row(key * 7);
            assert_eq!(table.increment(row, 1), 1);
        }
        let last = table.row(9_999 * 7);
        assert_eq!(table.get(last, 1), 1);
        let row = table.row(1_000_000);
        assert_eq!(table.get(row, 2), 0);
        table.set(row, 1, 7);
        assert_eq!(table.get(row, 1), 7);
        assert_eq!(table.get(row, 0), 0);
        let other = table.row(3);
        assert_eq!(table.increment(other, 2), 1);
        assert_eq!(table.increment(other, 2), 2);
        assert_eq!(table.get(other, 2), 2);
        assert_eq!(table.get(other, 1), 0);
        assert_eq!(table.get(row, 2), 0);
        assert_eq!(table.raise(other, 0, 5), 0);
        assert_eq!(table.raise(other, 0, 4), 5, "raise never lowers");
        assert_eq!(table.get(other, 0), 5);
    }

    #[test]
    fn rows_are_handed_out_in_order_of_first_use_and_kept() {
        let mut table = KeyTable::new(100_000, 2);
        assert_eq!(table.row(900), 0);
        assert_eq!(table.row(5), 1);
        assert_eq!(table.row(900), 0);
        assert_eq!(
            table.row(170_000),
            2,
            "keys beyond the initial size get rows too"
        );
        assert_eq!(table.row(5), 1);
    }

    #[test]
    fn small_key_spaces_index_rows_by_key_without_journaling_rows() {
        let mut table = KeyTable::new(10_000, 2);
        table.record_writes(true);
        assert_eq!(table.row(900), 900);
        assert_eq!(table.row(5), 5);
        assert_eq!(table.increment(900, 1), 1);
        let writes = table.take_writes();
        assert_eq!(writes.len(), 1, "only the counter write: {writes:?}");
        let mut rebuilt = table.empty_like();
        rebuilt.apply(&writes);
        assert_eq!(rebuilt.row(900), 900);
        assert_eq!(rebuilt.get(900, 1), 1);
    }

    #[test]
    fn columns_of_one_key_are_independent_and_adjacent_rows_do_not_overlap() {
        for columns in [1, 2, 3, 7, 1024, 1500] {
            let mut table = KeyTable::new(100_000, columns);
            for key in (0..5_000u32).rev() {
                let row = table.row(key);
                for column in 0..columns.min(4) {
                    table.set(row, column, key * 10 + column as u32);
                }
            }
            for key in 0..5_000u32 {
                let row = table.row(key);
                assert_eq!(row, 4_999 - key);
                for column in 0..columns.min(4) {
                    assert_eq!(table.get(row, column), key * 10 + column as u32);
                }
            }
        }
    }

    #[test]
    fn only_written_chunks_are_allocated() {
        let mut table = KeyTable::new(1 << 24, 6);
        let before = table.allocated_bytes();
        let row = table.row(12_345_678);
        // One chunk of the key-to-row map (4096 keys) and one of the bitmap of keys with rows
        // (4096 words of 32 keys), then one of rows: 4096 / 6 rounds down to 512 rows of 6
        // counters.
        assert_eq!(table.allocated_bytes() - before, 4096 * 4 + 4096 * 4);
        table.set(row, 5, 1);
        // ... and the rows' chunk list, which starts empty, gets its first slot.
        let slot = std::mem::size_of::<Option<Box<[u32]>>>();
        assert_eq!(
            table.allocated_bytes() - before,
            4096 * 4 + 4096 * 4 + 512 * 6 * 4 + slot
        );
        assert_eq!(table.get(row, 5), 1);
    }

    #[test]
    fn replaying_the_journal_onto_an_empty_table_rebuilds_it() {
        let mut table = KeyTable::new(100_000, 3);
        let seven = table.row(7); // before recording: part of the base
        table.set(seven, 0, 99);
        let base = table.clone();
        table.record_writes(true);
        let mut state = 12345u32;
        let mut journals = Vec::new();
        for round in 0..5 {
            for _ in 0..2_000 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // Some beyond the initial size, and beyond the bitmap's first chunk.
                let row = table.row(state % 240_000);
                if round % 2 == 0 {
                    table.increment(row, 0);
                } else {
                    table.set(row, (state % 3) as usize, state);
                }
            }
            journals.push(table.take_writes());
        }
        let mut rebuilt = base.empty_like();
        rebuilt.apply(&[
            EntityWrite {
                index: 7,
                column: ROW_OF_KEY,
                old: 0,
                value: seven + 1,
            },
            EntityWrite {
                index: seven,
                column: 0,
                old: 0,
                value: 99,
            },
        ]);
        for journal in &journals {
            rebuilt.apply(journal);
        }
        assert_same(&rebuilt, &table, 240_000);
        assert!(table.take_writes().is_empty());
        // Undoing the journals, newest first, returns to the state before recording.
        for journal in journals.iter().rev() {
            table.undo(journal);
        }
        assert_same(&table, &base, 240_000);
        // Undone rows are handed out again, in the same order, with their counters at 0.
        let mut again = base.clone();
        for key in [239_999, 3, 7, 1_000_000] {
            let row = table.row(key);
            assert_eq!(row, again.row(key));
            for column in 0..3 {
                assert_eq!(table.get(row, column), again.get(row, column));
            }
        }
        // Redoing the journals after the undo reaches the end state again.
        let mut redone = base.clone();
        for journal in &journals {
            redone.apply(journal);
        }
        assert_same(&redone, &rebuilt, 240_000);
        // A key's second lookup is not journaled.
        let mut quiet = KeyTable::new(1 << 17, 1);
        quiet.record_writes(true);
        quiet.row(4);
        quiet.row(4);
        assert_eq!(quiet.take_writes().len(), 1);
    }

    /// Every key of `0..keys` has the same row and counters in `a` and `b`, and both have
    /// handed out as many rows.
    fn assert_same(a: &KeyTable, b: &KeyTable, keys: u32) {
        assert_eq!(a.rows_used, b.rows_used);
        for key in 0..keys {
            let row = a.row_of_key.get(key, 0);
            assert_eq!(row, b.row_of_key.get(key, 0), "row of key {key}");
            let (word, bit) = key_bit(key);
            for table in [a, b] {
                let has_row = table.keys_with_rows.get(word, 0) & bit != 0;
                assert_eq!(has_row, row != 0, "bit of key {key}");
            }
            if row == 0 {
                continue;
            }
            for column in 0..a.columns() {
                assert_eq!(
                    a.get(row - 1, column),
                    b.get(row - 1, column),
                    "{key}/{column}"
                );
            }
        }
    }
}
