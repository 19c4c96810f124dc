//! A partition's append-only log: offsets, log-end offset, time-based retention.
//!
//! Kafka stores a partition as segments of records with consecutive offsets. The log-start
//! offset moves forward when retention deletes old segments; the log-end offset (LEO) is the
//! offset the next record will get. Lag is computed against the LEO.
//!
//! Memory: a record is only kept in memory while some consumer group may still read it
//! (offset ≥ the smallest committed offset over all groups). Older records are summarised as
//! "segments" (last offset, largest timestamp), which is exactly what Kafka's time retention
//! looks at (`LogSegment.largestTimestamp` against `retention.ms`), so a ten-million-record run
//! uses memory proportional to the consumers' backlog, not to the run length.

use crate::time::SimTime;
use std::collections::VecDeque;
use std::rc::Rc;

/// A key id meaning "no key" (the record is partitioned by the sticky partitioner).
pub const NO_KEY: u32 = u32::MAX;

/// One record in a partition log. Small and `Copy`: the engine moves records by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// When it was appended to this log.
    pub produced_at: SimTime,
    /// When the chain of events began: the business write of the root event (earlier than
    /// `produced_at` when an outbox relay or CDC connector published it); events emitted by
    /// handlers inherit it, so `now - origin_at` is the time since the customer's click.
    pub origin_at: SimTime,
    /// Globally unique event id (also the idempotency key of handlers). Kept across retries,
    /// dead-lettering and replays; a relay that publishes twice publishes the same id twice.
    pub event_id: u64,
    /// The event id of the first event of the chain (the saga), for end-to-end latency.
    pub correlation_id: u64,
    /// The event id of the event whose handling produced this one (0 for a root event).
    pub causation_id: u64,
    /// Index into the producer's key space, or [`NO_KEY`] for records without an entity key.
    pub key: u32,
    /// The per-key sequence number (1-based), to check per-key ordering downstream.
    pub key_seq: u32,
    /// The key's row in its producer's entity table ([`crate::engine::key_table::KeyTable`]),
    /// or [`NO_KEY`]. Carried so that each consumer reaches the row directly: in key spaces
    /// over 65,536 keys rows are handed out in order of first use, so the rows of the records
    /// in flight sit together, where a lookup by key would first read a map scattered over
    /// the key space (in smaller ones the row is the key). Engine bookkeeping, not part of
    /// the trace.
    pub row: u32,
    /// Which producer (key space) the entity key belongs to.
    pub producer: u16,
    /// Event type (index into the world's event type names).
    pub event_type: u16,
    /// Failed attempts so far (retry topics and the DLT carry the count along).
    pub attempts: u16,
    /// Whether the Kafka record has a key (entity key as record key); keyless records are
    /// spread by the sticky partitioner even when their payload names an entity.
    pub keyed: bool,
}

// Records are copied at every hand-over (log, batch, in flight, observers): keep them one
// cache line.
const _: () = assert!(std::mem::size_of::<Record>() == 64);

impl Record {
    /// A fresh root record.
    pub fn root(
        at: SimTime,
        event_id: u64,
        key: u32,
        row: u32,
        key_seq: u32,
        producer: u16,
        event_type: u16,
    ) -> Self {
        Record {
            produced_at: at,
            origin_at: at,
            event_id,
            correlation_id: event_id,
            causation_id: 0,
            key,
            key_seq,
            row,
            producer,
            event_type,
            attempts: 0,
            keyed: key != NO_KEY,
        }
    }
}

/// Records per in-memory chunk.
const CHUNK_RECORDS: usize = 256;

/// How many records leave memory together, summarised as one dropped segment: one chunk.
///
/// Why not more: records stay in memory until a whole segment is behind every group, and
/// until then every new chunk is fresh memory, so each append waits for its cache line
/// (20% of `append`'s samples in the SimPy blocking run, `perf annotate`). With segments of
/// 4,096 records a SimPy partition (about 2 records/s) freed nothing for its first half hour
/// and kept up to 8,191 records; freed a chunk at a time, the allocator hands back chunks
/// still in cache. The SimPy runs took 3.8% (blocking) and 3.7% (retry topics) less time
/// (`evflow bench`, 10 alternating rounds; a first trial gave 2.1% and 4.9%), the 1M
/// pipeline 3.0% less. Retention summaries are finer too, closer to the per-record deletion
/// of records still in memory: the log-start offset of records every group has read moves in
/// steps of 256 records, not 4,096. Reports and traces do not show it (no group reads below
/// its committed offset); the web app's partition card and its lanes of unread topics do.
/// Once retention has deleted part of a chunk still in memory, later segments straddle two
/// chunks and [`PartitionLog::largest_timestamp`] reads their records one by one.
const SEGMENT_RECORDS: u64 = CHUNK_RECORDS as u64;

// A segment leaves memory as whole chunks.
const _: () = assert!(SEGMENT_RECORDS % CHUNK_RECORDS as u64 == 0);

/// A full chunk of `CHUNK_RECORDS` records and the largest timestamp among them, noted as they
/// were appended. Immutable, so a log and its clones share it.
///
/// Why: releasing a segment from memory summarises it by its largest timestamp (what time
/// retention compares). Read from the records, that was one cold cache line per record, long
/// evicted since it was consumed, for a figure the appends had in registers: 2.1% of the
/// retry-topic SimPy run's samples (`perf record`), though its wall time did not change; the
/// 1M pipeline took 2-4% less (`evflow bench`, two runs of 6 alternating rounds).
#[derive(Clone, Debug)]
struct SealedChunk {
    records: Rc<Vec<Record>>,
    largest: SimTime,
}

/// An append-only partition log.
///
/// Records in memory sit in chunks of `CHUNK_RECORDS` shared between a log and its clones
/// (the web app's seek checkpoints clone the whole simulation): cloning a log copies chunk
/// pointers, not records. Before this, a checkpoint of the SimPy scenario copied every record
/// still in memory (up to 8,191 per partition with the segments of 4,096 records of the
/// time), about a fifth of a browser run.
///
/// The chunk being filled is the log's own: a clone copies it (at most `CHUNK_RECORDS - 1`
/// records). It had been shared too, each log knowing how many of its records were its own,
/// so that the live run never copied after a checkpoint. But every append and every read of
/// the tail then went through an `Rc` and a `RefCell` borrow, a chain of dependent loads that
/// `perf annotate` showed stalling `append`; owned, the tail is one load away. The SimPy runs
/// took 3.1% (blocking) and 3.8% (retry topics) less time. A checkpoint of the 1M pipeline
/// takes 36.8 µs instead of 27.5 µs, yet a web session's run to the end, checkpoints
/// included, is no slower: 458 and 474 ms in two runs, against 476 ms before (`cargo bench
/// --profile perf --bench engine`).
#[derive(Clone, Debug, Default)]
pub struct PartitionLog {
    /// Full chunks; `chunks[0]`'s first record has offset `chunk_base`.
    chunks: VecDeque<SealedChunk>,
    /// The chunk being filled, after the full ones (fewer than `CHUNK_RECORDS` records).
    tail: Vec<Record>,
    /// The largest timestamp among the records in the tail (0 when it has none).
    tail_largest: SimTime,
    /// Offset of the first record of `chunks` (a multiple of `CHUNK_RECORDS`).
    chunk_base: u64,
    /// Records below this offset have left memory (released or deleted); the chunk holding it
    /// may still be allocated, shared with the records after it.
    memory_base: u64,
    /// The log-end offset: the offset of the next appended record.
    end_offset: u64,
    /// The log-start offset: the first offset retention has not deleted. The world's
    /// housekeeping watches it move (consumers' paused retry partitions depend on it): a new way
    /// to move it must do the same.
    start_offset: u64,
    /// Dropped-from-memory segments `(end offset exclusive, largest timestamp)` not yet deleted
    /// by retention.
    dropped_segments: VecDeque<(u64, SimTime)>,
}

impl PartitionLog {
    /// Appends a record; returns its offset.
    #[inline]
    pub fn append(&mut self, record: Record) -> u64 {
        let offset = self.end_offset;
        if self.tail.len() == self.tail.capacity() {
            // A new tail, or a clone's (cloned to its length): room for the whole chunk.
            self.tail.reserve_exact(CHUNK_RECORDS - self.tail.len());
        }
        self.tail.push(record);
        self.tail_largest = self.tail_largest.max(record.produced_at);
        if self.tail.len() == CHUNK_RECORDS {
            self.seal();
        }
        self.end_offset += 1;
        offset
    }

    /// Moves the full tail to the full chunks. The next append allocates the new tail: an
    /// empty `Vec` costs nothing until then.
    #[cold]
    fn seal(&mut self) {
        let full = std::mem::take(&mut self.tail);
        self.chunks.push_back(SealedChunk {
            records: Rc::new(full),
            largest: self.tail_largest,
        });
        self.tail_largest = 0;
    }

    /// The log-end offset (LEO).
    #[inline]
    pub fn end_offset(&self) -> u64 {
        self.end_offset
    }

    /// The log-start offset.
    #[inline]
    pub fn start_offset(&self) -> u64 {
        self.start_offset
    }

    /// The record at `offset`, if it is still readable (not deleted by retention; `None` too for
    /// offsets at or beyond the end). A reference, so that the fetch copies the record once,
    /// from the log into the batch: returned by value it went through the stack first
    /// (the SimPy runs executed 1.0-1.2% more instructions).
    #[inline]
    pub fn get(&self, offset: u64) -> Option<&Record> {
        if offset < self.start_offset || offset < self.memory_base {
            return None;
        }
        self.stored(offset)
    }

    /// The record at `offset` if its chunk is allocated.
    #[inline]
    fn stored(&self, offset: u64) -> Option<&Record> {
        let index = offset.checked_sub(self.chunk_base)? as usize;
        self.chunk(index / CHUNK_RECORDS)?
            .get(index % CHUNK_RECORDS)
    }

    /// The records of chunk number `chunk` (counted from `chunk_base`): a full one, or the
    /// tail. `None` past the tail.
    #[inline]
    fn chunk(&self, chunk: usize) -> Option<&[Record]> {
        match self.chunks.get(chunk) {
            Some(sealed) => Some(&sealed.records),
            None if chunk == self.chunks.len() => Some(&self.tail),
            None => None,
        }
    }

    /// Frees the chunks whose records have all left memory.
    fn free_chunks(&mut self) {
        while !self.chunks.is_empty() && self.chunk_base + CHUNK_RECORDS as u64 <= self.memory_base
        {
            self.chunks.pop_front();
            self.chunk_base += CHUNK_RECORDS as u64;
        }
    }

    /// Deletes what time retention removes at `now`: every record whose timestamp is older than
    /// `now - retention`. Returns the new log-start offset.
    pub fn apply_retention(&mut self, now: SimTime, retention: u64) -> u64 {
        let Some(cutoff) = now.checked_sub(retention) else {
            return self.start_offset;
        };
        while let Some(&(end, largest)) = self.dropped_segments.front() {
            if largest >= cutoff {
                return self.start_offset;
            }
            self.start_offset = self.start_offset.max(end);
            self.dropped_segments.pop_front();
        }
        while let Some(front) = self.stored(self.memory_base) {
            if front.produced_at >= cutoff {
                break;
            }
            self.memory_base += 1;
            self.start_offset = self.start_offset.max(self.memory_base);
        }
        self.free_chunks();
        self.start_offset
    }

    /// Whether a whole segment of records is still in memory, the least that
    /// [`PartitionLog::release_below`] frees: without one it has nothing to do.
    #[inline]
    pub fn holds_a_full_segment(&self) -> bool {
        self.end_offset >= self.memory_base + SEGMENT_RECORDS
    }

    /// Forgets records below `offset` from memory (no group will read them again), keeping
    /// segment summaries so retention still moves the log-start offset correctly.
    #[inline]
    pub fn release_below(&mut self, offset: u64) {
        // Called every housekeeping tick for every partition: most calls have nothing to do.
        if offset.min(self.end_offset) >= self.memory_base + SEGMENT_RECORDS {
            self.release_segments(offset);
        }
    }

    #[inline(never)]
    fn release_segments(&mut self, offset: u64) {
        let offset = offset.min(self.end_offset);
        while self.memory_base + SEGMENT_RECORDS <= offset {
            let largest =
                self.largest_timestamp(self.memory_base, self.memory_base + SEGMENT_RECORDS);
            self.memory_base += SEGMENT_RECORDS;
            if self.memory_base > self.start_offset {
                self.dropped_segments.push_back((self.memory_base, largest));
            }
        }
        self.free_chunks();
    }

    /// The largest timestamp among the stored records of offsets `from..to` (0 if none), a
    /// chunk at a time: a range that covers a whole chunk takes the largest noted at append
    /// (see [`SealedChunk`]), and only the part of a chunk at either end of the range is read
    /// record by record. Looking up each offset on its own (its chunk, then the record) had
    /// cost about 30 instructions per record, 1.5% of the SimPy runs (callgrind).
    fn largest_timestamp(&self, from: u64, to: u64) -> SimTime {
        let mut largest = 0;
        let mut offset = from.max(self.chunk_base);
        while offset < to {
            let index = (offset - self.chunk_base) as usize;
            let (chunk, at) = (index / CHUNK_RECORDS, index % CHUNK_RECORDS);
            let span = (to - offset).min((CHUNK_RECORDS - at) as u64) as usize;
            let whole = match self.chunks.get(chunk) {
                Some(sealed) => (at == 0 && span == CHUNK_RECORDS).then_some(sealed.largest),
                None if chunk == self.chunks.len() => {
                    (at == 0 && span >= self.tail.len()).then_some(self.tail_largest)
                }
                None => None,
            };
            if let Some(whole) = whole {
                largest = largest.max(whole);
                offset += span as u64;
                continue;
            }
            let Some(records) = self.chunk(chunk) else {
                break;
            };
            let end = (at + span).min(records.len());
            if let Some(stored) = records.get(at..end) {
                largest = stored
                    .iter()
                    .map(|r| r.produced_at)
                    .fold(largest, SimTime::max);
            }
            offset += span as u64;
        }
        largest
    }

    /// Records in the chunk being filled: a clone's own copy of them (for memory accounting).
    pub fn tail_records(&self) -> usize {
        self.tail.len()
    }

    /// Records held in memory (for memory accounting and tests).
    pub fn in_memory(&self) -> usize {
        (self.end_offset - self.memory_base) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(at: SimTime) -> Record {
        Record::root(at, at, NO_KEY, NO_KEY, 0, 0, 0)
    }

    /// A log holding `n` records, the one at offset `t` produced at time `t`.
    fn filled(n: u64) -> PartitionLog {
        let mut log = PartitionLog::default();
        for t in 0..n {
            log.append(record(t));
        }
        log
    }

    #[test]
    fn offsets_are_consecutive_from_zero() {
        let mut log = PartitionLog::default();
        assert_eq!(log.append(record(1)), 0);
        assert_eq!(log.append(record(2)), 1);
        assert_eq!(log.end_offset(), 2);
        assert_eq!(log.get(1).unwrap().produced_at, 2);
        assert!(log.get(2).is_none());
    }

    #[test]
    fn retention_deletes_old_records_and_moves_the_start() {
        let mut log = PartitionLog::default();
        for t in 0..10 {
            log.append(record(t * 100));
        }
        assert_eq!(log.apply_retention(1_000, 550), 5);
        assert!(log.get(4).is_none());
        assert!(log.get(5).is_some());
        assert_eq!(log.end_offset(), 10);
    }

    #[test]
    fn released_records_still_expire_by_segment() {
        let n = SEGMENT_RECORDS * 3;
        let mut log = filled(n);
        log.release_below(SEGMENT_RECORDS * 2 + 7);
        assert_eq!(log.in_memory() as u64, n - SEGMENT_RECORDS * 2);
        assert_eq!(log.start_offset(), 0);
        // Retention at a time where the first segment is entirely old:
        assert_eq!(
            log.apply_retention(SEGMENT_RECORDS + 10, 10),
            SEGMENT_RECORDS
        );
        assert_eq!(log.apply_retention(n + 10, 10), n);
    }

    #[test]
    fn the_largest_timestamp_of_a_range_is_read_chunk_by_chunk() {
        // Timestamps out of order (a relay or a replay may publish older events later),
        // ranges that start below the first chunk still allocated or inside a chunk, and a
        // clone that appended to its own copy of the tail.
        let mut stream = crate::rng::Stream::new(5, "log");
        let mut log = PartitionLog::default();
        for _ in 0..CHUNK_RECORDS as u64 * 5 + 37 {
            log.append(record(stream.below(1_000_000)));
        }
        let mut clone = log.clone();
        clone.append(record(u64::MAX));
        log.memory_base = CHUNK_RECORDS as u64 * 2 + 11;
        log.free_chunks();
        let end = log.end_offset();
        let reference = |from: u64, to: u64| {
            (from..to)
                .filter_map(|o| log.stored(o))
                .map(|r| r.produced_at)
                .max()
                .unwrap_or(0)
        };
        for (from, to) in [
            (0, end),
            (0, 5),
            (log.memory_base, log.memory_base + SEGMENT_RECORDS),
            (CHUNK_RECORDS as u64 * 2, CHUNK_RECORDS as u64 * 3),
            (CHUNK_RECORDS as u64 * 3 - 1, CHUNK_RECORDS as u64 * 3 + 1),
            (end - 3, end + 10),
            (end, end + 1),
            // Whole chunks, whose largest was noted at append, and the whole tail.
            (CHUNK_RECORDS as u64 * 3, CHUNK_RECORDS as u64 * 5),
            (CHUNK_RECORDS as u64 * 5, end),
            (CHUNK_RECORDS as u64 * 4, end + 1),
        ] {
            assert_eq!(
                log.largest_timestamp(from, to),
                reference(from, to),
                "{from}..{to}"
            );
        }
        // The clone's own record counts in its tail, not in the log's.
        assert_eq!(
            clone.largest_timestamp(CHUNK_RECORDS as u64 * 5, clone.end_offset()),
            u64::MAX
        );
    }

    #[test]
    fn a_clone_is_a_snapshot_that_shares_full_chunks() {
        let n = CHUNK_RECORDS as u64 * 3 + 10;
        let mut log = filled(n);
        let snapshot = log.clone();
        assert!(Rc::ptr_eq(
            &log.chunks[0].records,
            &snapshot.chunks[0].records
        ));
        for t in n..n + CHUNK_RECORDS as u64 {
            log.append(record(t));
        }
        // The live log frees its first three chunks; the snapshot still holds them.
        log.release_below(n);
        assert_eq!(log.chunks.len(), 1);
        assert_eq!(snapshot.chunks.len(), 3);
        assert_eq!(snapshot.end_offset(), n);
        assert!(snapshot.get(n).is_none());
        for offset in 0..n {
            assert_eq!(snapshot.get(offset).unwrap().produced_at, offset);
        }
        let released = CHUNK_RECORDS as u64 * 3;
        for offset in 0..n + CHUNK_RECORDS as u64 {
            let expected = (offset >= released).then_some(offset);
            assert_eq!(log.get(offset).map(|r| r.produced_at), expected);
        }
    }

    #[test]
    fn retention_inside_a_chunk_hides_records_and_frees_whole_chunks() {
        let n = CHUNK_RECORDS as u64 * 2 + 5;
        let mut log = filled(n);
        // Deletes offsets 0..=CHUNK_RECORDS+2: the first chunk is freed, the second is kept.
        let start = log.apply_retention(CHUNK_RECORDS as u64 + 3 + 100, 100);
        assert_eq!(start, CHUNK_RECORDS as u64 + 3);
        assert!(log.get(start - 1).is_none());
        assert_eq!(log.get(start).unwrap().produced_at, start);
        assert_eq!(log.chunks.len(), 1);
        assert_eq!(log.in_memory() as u64, n - start);
    }

    #[test]
    fn clones_that_both_append_keep_their_own_records() {
        let mut log = filled(10);
        let mut snapshot = log.clone();
        // The live log appends: the snapshot still sees only its ten records.
        log.append(record(100));
        assert!(snapshot.get(10).is_none());
        // The snapshot appends too, to its own tail.
        snapshot.append(record(200));
        assert_eq!(log.get(10).unwrap().produced_at, 100);
        assert_eq!(snapshot.get(10).unwrap().produced_at, 200);
        // A clone of the snapshot, then both go on past a chunk boundary.
        let mut third = snapshot.clone();
        for t in 0..CHUNK_RECORDS as u64 {
            snapshot.append(record(1_000 + t));
            third.append(record(5_000 + t));
        }
        for offset in 0..10 {
            for l in [&log, &snapshot, &third] {
                assert_eq!(l.get(offset).unwrap().produced_at, offset);
            }
        }
        assert_eq!(snapshot.get(11).unwrap().produced_at, 1_000);
        assert_eq!(third.get(11).unwrap().produced_at, 5_000);
        assert_eq!(third.get(10).unwrap().produced_at, 200);
        assert_eq!(log.end_offset(), 11);
        assert_eq!(third.end_offset(), 11 + CHUNK_RECORDS as u64);
    }
}
