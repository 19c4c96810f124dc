//! Per-key counters that are cheap to checkpoint.
//!
//! The engine keeps one sequence number per entity key: the producer stamps each record with its
//! key's next sequence, and every group remembers the highest sequence it processed per key to
//! count out-of-order deliveries. With a million order ids that is a 4 MB array per producer
//! and per group, and the web app clones the whole simulation for each of its 64 seek
//! checkpoints: dense arrays made every clone of the 1M-record pipeline copy about 25 MB.
//!
//! A [`KeyTable`] stores the counters in small chunks behind reference-counted pointers. A clone
//! copies only the pointer array; a write copies the one chunk it touches if a checkpoint still
//! shares it (copy on write, like a persistent vector). Chunks never written are not allocated
//! at all, so a key space of a billion keys costs nothing until keys are used.
//!
//! `Rc`, not `Arc`: a simulation is single-threaded (`evflow sweep` builds one per worker), and
//! `Rc::make_mut` checks the count without an atomic instruction on every write.

use std::rc::Rc;

/// Counters per chunk: 64 × 4 bytes. Small enough that the chunks a checkpoint interval
/// writes to (random keys) are a minority of the table, large enough that the pointer array
/// stays a sixteenth of the dense size.
const CHUNK: usize = 64;

/// A table of `u32` counters indexed by key, all starting at 0.
#[derive(Clone, Debug, Default)]
pub struct KeyTable {
    chunks: Vec<Option<Rc<[u32; CHUNK]>>>,
}

impl KeyTable {
    /// A table for keys `0..keys` (it grows on demand beyond that).
    pub fn with_keys(keys: usize) -> Self {
        KeyTable {
            chunks: vec![None; keys.div_ceil(CHUNK)],
        }
    }

    /// The counter of `key` (0 if never set).
    #[inline]
    pub fn get(&self, key: usize) -> u32 {
        match self.chunks.get(key / CHUNK) {
            Some(Some(chunk)) => chunk[key % CHUNK],
            _ => 0,
        }
    }

    /// The counter of `key` for writing, copying its chunk first if a clone shares it.
    /// Inlined on the hot path (a chunk this table already owns); the rest is out of line.
    #[inline(always)]
    pub fn slot_mut(&mut self, key: usize) -> &mut u32 {
        let index = key / CHUNK;
        let owned =
            matches!(self.chunks.get(index), Some(Some(chunk)) if Rc::strong_count(chunk) == 1);
        let counters = if owned {
            unique(&mut self.chunks[index])
        } else {
            self.own_chunk(index)
        };
        &mut counters[key % CHUNK]
    }

    /// Makes chunk `index` exist and belong to this table alone (growing the table, creating
    /// the chunk, or copying it away from a checkpoint that shares it).
    #[cold]
    #[inline(never)]
    fn own_chunk(&mut self, index: usize) -> &mut [u32; CHUNK] {
        if index >= self.chunks.len() {
            self.chunks.resize(index + 1, None);
        }
        unique(&mut self.chunks[index])
    }

    /// Sets the counter of `key`.
    #[inline]
    pub fn set(&mut self, key: usize, value: u32) {
        *self.slot_mut(key) = value;
    }

    /// Adds one to the counter of `key` and returns the new value.
    #[inline]
    pub fn increment(&mut self, key: usize) -> u32 {
        let slot = self.slot_mut(key);
        *slot = slot.wrapping_add(1);
        *slot
    }

    /// Bytes this table holds on its own (the chunks it does not share with a clone), for
    /// memory accounting.
    pub fn unshared_bytes(&self) -> usize {
        let own = self
            .chunks
            .iter()
            .flatten()
            .filter(|chunk| Rc::strong_count(chunk) == 1)
            .count();
        self.chunks.len() * std::mem::size_of::<Option<Rc<[u32; CHUNK]>>>()
            + own * std::mem::size_of::<[u32; CHUNK]>()
    }
}

/// The chunk in `slot`, created if missing and copied if shared (no copy when this table is its
/// only owner: the table never hands out weak references).
#[inline(always)]
fn unique(slot: &mut Option<Rc<[u32; CHUNK]>>) -> &mut [u32; CHUNK] {
    Rc::make_mut(slot.get_or_insert_with(|| Rc::new([0; CHUNK])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_keys_read_zero_and_the_table_grows() {
        let mut table = KeyTable::with_keys(10);
        assert_eq!(table.get(3), 0);
        assert_eq!(table.get(1_000_000), 0);
        table.set(1_000_000, 7);
        assert_eq!(table.get(1_000_000), 7);
        assert_eq!(table.increment(3), 1);
        assert_eq!(table.increment(3), 2);
        assert_eq!(table.get(3), 2);
    }

    #[test]
    fn a_clone_is_a_snapshot() {
        let mut table = KeyTable::with_keys(10_000);
        for key in 0..10_000 {
            table.set(key, key as u32);
        }
        let snapshot = table.clone();
        // The clone shares every chunk.
        assert_eq!(table.unshared_bytes(), snapshot.unshared_bytes());
        assert!(table.unshared_bytes() < 10_000 * 4 / 8);
        for key in (0..10_000).step_by(7) {
            table.increment(key);
        }
        for key in 0..10_000 {
            assert_eq!(snapshot.get(key), key as u32);
            let bump = u32::from(key % 7 == 0);
            assert_eq!(table.get(key), key as u32 + bump);
        }
    }

    #[test]
    fn a_write_copies_only_its_chunk() {
        let mut table = KeyTable::with_keys(CHUNK * 100);
        for key in 0..CHUNK * 100 {
            table.set(key, 1);
        }
        let snapshot = table.clone();
        table.set(5, 9);
        let own = table.unshared_bytes() - table.chunks.len() * 8;
        assert_eq!(own, CHUNK * 4, "one chunk copied");
        assert_eq!(snapshot.get(5), 1);
    }
}
