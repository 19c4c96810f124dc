//! Kafka's producer-side partition selection, bit-for-bit where it matters.
//!
//! Two code paths of the Java producer (`org.apache.kafka.clients.producer.KafkaProducer#partition`)
//! are modelled:
//!
//! * **Keyed records** go to `toPositive(murmur2(serializedKey)) % numPartitions`
//!   (`BuiltInPartitioner.partitionForKey`, formerly `DefaultPartitioner`). The simulator must
//!   reproduce this exactly, because "which partition holds key `order-42`?" is something users
//!   check against a real cluster, and per-key ordering only holds if the same key always lands on
//!   the same partition. See [`murmur2`], [`to_positive`], [`partition_for_key`].
//! * **Keyless records** (and keyed records with `partitioner.ignore.keys=true`) use the built-in
//!   *sticky* partitioner of Kafka 3.3+ (KIP-794, class
//!   `org.apache.kafka.clients.producer.internals.BuiltInPartitioner`), see [`StickyPartitioner`].
//!
//! What is **not** modelled here: an explicit partition on the `ProducerRecord` (the caller simply
//! uses it), custom `partitioner.class` implementations, the legacy `DefaultPartitioner` /
//! `UniformStickyPartitioner` classes (deprecated since 3.3), and cluster metadata (leader
//! availability, partition-count changes). The key is assumed to be already serialized (e.g. the
//! UTF-8 bytes of a `String` key, which is what `StringSerializer` produces).
//!
//! Everything is pure `std`; randomness for the sticky partitioner is injected by the caller so
//! the engine keeps control of its seeded RNG streams.

use std::error::Error;
use std::fmt;

/// Seed of Kafka's murmur2 variant (`int seed = 0x9747b28c` in `Utils.murmur2`).
const MURMUR2_SEED: u32 = 0x9747_b28c;
/// Multiplicative mixing constant `m` of MurmurHash2.
const MURMUR2_M: u32 = 0x5bd1_e995;
/// Shift `r` used when mixing each 4-byte block.
const MURMUR2_R: u32 = 24;

/// Kafka's default `batch.size` (16384 bytes), which is also the sticky partitioner's switch
/// threshold: `RecordAccumulator` creates one `BuiltInPartitioner` per topic with
/// `stickyBatchSize = batchSize`.
pub const DEFAULT_BATCH_SIZE_BYTES: u32 = 16_384;

/// 32-bit MurmurHash2 exactly as `org.apache.kafka.common.utils.Utils.murmur2(byte[])`.
///
/// Why re-implement rather than use a generic murmur2 crate: Kafka's variant has a fixed seed
/// (`0x9747b28c`), reads blocks little-endian, and is specified by Java `int` semantics
/// (wrapping multiplication, `>>>` logical shifts). Any deviation changes which partition a key
/// maps to. All arithmetic here is done on `u32` with wrapping ops, which is bit-identical to
/// Java's two's-complement `int`; the result is reinterpreted as `i32` like the Java return
/// value.
pub fn murmur2(data: &[u8]) -> i32 {
    // Java: `int length = data.length; int h = seed ^ length;` (arrays are < 2^31 bytes, so
    // truncating to 32 bits is exactly Java's value).
    let length = data.len() as u32;
    let mut h = MURMUR2_SEED ^ length;

    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        // `(d0 & 0xff) + (d1 & 0xff) << 8 + ...`: the four bytes never overlap, so the sum is the
        // little-endian word.
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(MURMUR2_M);
        k ^= k >> MURMUR2_R; // `>>>` on int == `>>` on u32
        k = k.wrapping_mul(MURMUR2_M);
        h = h.wrapping_mul(MURMUR2_M);
        h ^= k;
    }

    // Tail: Java's `switch (length % 4)` with fall-through from case 3 to 2 to 1; the final
    // multiplication only happens when there is at least one trailing byte.
    let tail = blocks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(MURMUR2_M);
    }

    // Final avalanche.
    h ^= h >> 13;
    h = h.wrapping_mul(MURMUR2_M);
    h ^= h >> 15;

    h as i32
}

/// `org.apache.kafka.common.utils.Utils.toPositive(int)`: clears the sign bit (`n & 0x7fffffff`).
///
/// Note this is *not* an absolute value (`to_positive(-1) == i32::MAX`); Kafka's javadoc warns
/// that changing it would move existing keys to other partitions, which is why the simulator
/// copies it rather than using `i32::unsigned_abs` or `rem_euclid`.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a keyed record: `toPositive(murmur2(key)) % numPartitions`, as
/// `BuiltInPartitioner.partitionForKey(byte[], int)` (Kafka 3.3+) and the older
/// `DefaultPartitioner` compute it.
///
/// # Panics
///
/// If `num_partitions == 0` (Java would throw `ArithmeticException: / by zero`).
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    assert!(
        num_partitions > 0,
        "partition_for_key: a topic has at least one partition"
    );
    // to_positive yields 0..=i32::MAX, so the u32 conversion is lossless and the remainder equals
    // Java's `int % int` on the same non-negative operands (numPartitions is a positive int).
    (to_positive(murmur2(key)) as u32) % num_partitions
}

/// Why a [`StickyPartitioner`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StickyPartitionerError {
    /// The topic has zero partitions; there is nothing to stick to. (Kafka never reaches this:
    /// a topic always has at least one partition in its metadata.)
    NoPartitions,
    /// The sticky batch size is zero. Mirrors `BuiltInPartitioner`'s constructor, which throws
    /// `IllegalArgumentException("stickyBatchSize must be >= 1 but got 0")`.
    ZeroBatchSize,
}

impl fmt::Display for StickyPartitionerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StickyPartitionerError::NoPartitions => {
                f.write_str("a topic must have at least one partition")
            }
            StickyPartitionerError::ZeroBatchSize => {
                f.write_str("stickyBatchSize must be >= 1 but got 0")
            }
        }
    }
}

impl Error for StickyPartitionerError {}

/// The keyless-record ("sticky") partitioner of Kafka ≥ 3.3, one instance per topic per producer,
/// like `BuiltInPartitioner` inside `RecordAccumulator.TopicInfo`.
///
/// # What is modelled (from `BuiltInPartitioner`)
///
/// * The first keyless record of a topic picks a partition (`peekCurrentPartitionInfo` →
///   `nextPartition`). Subsequent records stay on it.
/// * After each append the record's size is added to the partition's produced bytes
///   (`updatePartitionInfo`); once `producedBytes >= stickyBatchSize` the partitioner switches
///   immediately, drawing the next partition *then* (not lazily on the next record). The record
///   that crosses the threshold therefore still goes to the old partition.
/// * The next partition is `random % numPartitions` with `random = toPositive(nextInt())`. It is
///   **not** "a partition other than the current one": the same partition may be picked again
///   (Kafka's `testStickyPartitioning` only asserts a change because its mocked random numbers are
///   sequential). With one partition, every switch returns partition 0.
///
/// # What is not modelled
///
/// * **Adaptive partitioning** (`partitioner.adaptive.partitioning.enable`, default `true`), which
///   weights the draw by the inverse of each partition's queued batches via a cumulative
///   frequency table. Kafka itself falls back to the uniform draw modelled here whenever all
///   queue sizes are equal (e.g. nothing is queued), so the two coincide for a producer whose
///   brokers keep up.
/// * **Availability**: Kafka draws among partitions that have a leader
///   (`availablePartitionsForTopic`) and, with `partitioner.availability.timeout.ms > 0`,
///   excludes slow brokers. Here every partition is assumed available.
/// * **Batch alignment**: `RecordAccumulator` passes `enableSwitch = allBatchesFull(deque)`, so a
///   switch can be postponed while the current batch is still open (high `linger.ms`), up to
///   `2 × stickyBatchSize` bytes. The simulator has no batches and always switches at the
///   threshold (equivalent to every batch being full).
/// * Sizes: Kafka counts `appendedBytes` as the record's estimated size inside the batch (record
///   overhead, headers, compression estimate). Here the caller decides what
///   `record_size_bytes` means; produced bytes are tracked in a `u64` instead of Java's `int`,
///   which only differs beyond 2 GiB per sticky period.
/// * Thread races between concurrent `send()` calls (the simulator is single-threaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StickyPartitioner {
    num_partitions: u32,
    batch_size_bytes: u32,
    /// `None` until the first keyless record, like the `null` `AtomicReference` in Kafka.
    current: Option<u32>,
    /// Bytes produced to `current` since it was chosen (`StickyPartitionInfo.producedBytes`).
    produced_bytes: u64,
}

impl StickyPartitioner {
    /// A sticky partitioner for a topic of `num_partitions` partitions that switches after
    /// `batch_size_bytes` bytes (use [`DEFAULT_BATCH_SIZE_BYTES`] for Kafka's default).
    ///
    /// # Panics
    ///
    /// If `num_partitions == 0` or `batch_size_bytes == 0`; use [`StickyPartitioner::try_new`]
    /// to get an error instead.
    pub fn new(num_partitions: u32, batch_size_bytes: u32) -> Self {
        match Self::try_new(num_partitions, batch_size_bytes) {
            Ok(partitioner) => partitioner,
            Err(error) => panic!("invalid sticky partitioner configuration: {error}"),
        }
    }

    /// Like [`StickyPartitioner::new`] but reports invalid configuration instead of panicking.
    ///
    /// # Errors
    ///
    /// [`StickyPartitionerError::NoPartitions`] for zero partitions,
    /// [`StickyPartitionerError::ZeroBatchSize`] for a zero batch size.
    pub fn try_new(
        num_partitions: u32,
        batch_size_bytes: u32,
    ) -> Result<Self, StickyPartitionerError> {
        if num_partitions == 0 {
            return Err(StickyPartitionerError::NoPartitions);
        }
        if batch_size_bytes == 0 {
            return Err(StickyPartitionerError::ZeroBatchSize);
        }
        Ok(StickyPartitioner {
            num_partitions,
            batch_size_bytes,
            current: None,
            produced_bytes: 0,
        })
    }

    /// Number of partitions of the topic.
    pub fn num_partitions(&self) -> u32 {
        self.num_partitions
    }

    /// The switch threshold in bytes (`stickyBatchSize`).
    pub fn batch_size_bytes(&self) -> u32 {
        self.batch_size_bytes
    }

    /// The partition the *next* keyless record would go to, if one has been chosen yet.
    pub fn current_partition(&self) -> Option<u32> {
        self.current
    }

    /// Bytes produced to the current sticky partition since it was chosen.
    pub fn produced_bytes(&self) -> u64 {
        self.produced_bytes
    }

    /// Chooses the partition of one keyless record of `record_size_bytes` bytes and accounts for
    /// it, mirroring `peekCurrentPartitionInfo` followed by `updatePartitionInfo(..., enableSwitch
    /// = true)`.
    ///
    /// `random_u32` stands for Java's `ThreadLocalRandom.nextInt()`: it is called once when the
    /// first partition is chosen and once at each switch, so 0, 1 or 2 times per call. Its value
    /// is reinterpreted as an `int`, passed through [`to_positive`], then reduced modulo the
    /// partition count, exactly like `BuiltInPartitioner.nextPartition`. (Kafka's tests inject
    /// small non-negative numbers through `BuiltInPartitioner.mockRandom`; those map to the same
    /// partitions here.)
    pub fn partition(
        &mut self,
        record_size_bytes: u32,
        mut random_u32: impl FnMut() -> u32,
    ) -> u32 {
        let chosen = match self.current {
            Some(partition) => partition,
            None => {
                let partition = self.next_partition(&mut random_u32);
                self.current = Some(partition);
                self.produced_bytes = 0;
                partition
            }
        };

        self.produced_bytes = self
            .produced_bytes
            .saturating_add(u64::from(record_size_bytes));
        if self.produced_bytes >= u64::from(self.batch_size_bytes) {
            // "We've produced enough to this partition, switch to next." A fresh
            // StickyPartitionInfo starts with producedBytes = 0.
            self.current = Some(self.next_partition(&mut random_u32));
            self.produced_bytes = 0;
        }
        chosen
    }

    /// `BuiltInPartitioner.nextPartition` without load stats: a uniform draw over all partitions.
    fn next_partition(&self, random_u32: &mut impl FnMut() -> u32) -> u32 {
        let random = to_positive(random_u32() as i32) as u32;
        random % self.num_partitions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- Ported from apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java

    /// UtilsTest#testMurmur2: the exact (input, expected int) table of the upstream test.
    #[test]
    fn utils_test_murmur2_vectors() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            // Upstream writes this one as `new byte[] {'a', 'b', 'c'}`; kept in that shape.
            #[allow(clippy::byte_char_slices)]
            (&[b'a', b'b', b'c'], 479_470_107),
        ];
        for (input, expected) in cases {
            assert_eq!(
                murmur2(input),
                expected,
                "murmur2({:?})",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// Kafka's UtilsTest has no `toPositive` test (its `testAbs` covers `Utils.abs`, a different
    /// function). These cases follow from the definition `number & 0x7fffffff` and the
    /// `Utils.toPositive` javadoc ("not its absolute value").
    #[test]
    fn to_positive_clears_only_the_sign_bit() {
        assert_eq!(to_positive(0), 0);
        assert_eq!(to_positive(1), 1);
        assert_eq!(to_positive(i32::MAX), i32::MAX);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-5), 2_147_483_643);
        // The UtilsTest murmur2 vectors, made positive: what partition_for_key reduces.
        assert_eq!(to_positive(-973_932_308), 1_173_551_340);
        assert_eq!(to_positive(479_470_107), 479_470_107);
    }

    // ---- Keyed partitioning

    /// apache/kafka DefaultPartitionerTest#testKeyPartitionIsStable ("Same key should yield same
    /// partition"). Upstream asserts stability only; neither DefaultPartitionerTest nor
    /// BuiltInPartitionerTest contains a concrete key → partition vector.
    #[test]
    fn default_partitioner_test_key_partition_is_stable() {
        let first = partition_for_key(b"key", 3);
        for _ in 0..10 {
            assert_eq!(partition_for_key(b"key", 3), first);
        }
        assert!(first < 3);
    }

    /// Derived from UtilsTest#testMurmur2 by applying the documented formula
    /// `toPositive(murmur2(key)) % numPartitions` by hand (not an upstream assertion itself).
    #[test]
    fn partition_for_key_applies_to_positive_then_modulo() {
        // murmur2("abc") = 479470107 (positive): 479470107 % 1000 = 107, % 12 = 3.
        assert_eq!(partition_for_key(b"abc", 1000), 107);
        assert_eq!(partition_for_key(b"abc", 12), 479_470_107 % 12);
        // murmur2("21") = -973932308 → toPositive = 1173551340 → % 12 = 0, % 10 = 0, % 7 = 6.
        assert_eq!(partition_for_key(b"21", 12), 1_173_551_340 % 12);
        assert_eq!(partition_for_key(b"21", 7), 1_173_551_340 % 7);
        // A single-partition topic always gets partition 0.
        assert_eq!(partition_for_key(b"anything", 1), 0);
    }

    /// Third-party cross-check, not an Apache Kafka test: dpkp/kafka-python
    /// test/test_partitioner.py#test_murmur2_java_compatibility, whose comment says the values
    /// were compared "with output from Kafka's org.apache.kafka.clients.producer.Partitioner"
    /// (1000 partitions). Includes the empty key and a tail-only key with a zero byte.
    #[test]
    fn kafka_python_java_compatibility_vectors() {
        let cases: [(&[u8], u32); 6] = [
            (b"", 681),
            (b"a", 524),
            (b"ab", 434),
            (b"abc", 107),
            (b"123456789", 566),
            (b"\x00 ", 742),
        ];
        for (key, expected) in cases {
            assert_eq!(partition_for_key(key, 1000), expected, "key {key:?}");
        }
    }

    /// SELF-COMPUTED regression values (produced by this implementation, not taken from any
    /// upstream test): String keys "order-1".."order-5" serialized as UTF-8 on a 12-partition
    /// topic. They pin the behaviour so a refactor cannot silently remap keys.
    #[test]
    fn self_computed_order_keys_on_12_partitions() {
        let expected: [(&str, i32, u32); 5] = [
            ("order-1", ORDER_1_HASH, ORDER_1_P12),
            ("order-2", ORDER_2_HASH, ORDER_2_P12),
            ("order-3", ORDER_3_HASH, ORDER_3_P12),
            ("order-4", ORDER_4_HASH, ORDER_4_P12),
            ("order-5", ORDER_5_HASH, ORDER_5_P12),
        ];
        for (key, hash, partition) in expected {
            assert_eq!(murmur2(key.as_bytes()), hash, "murmur2({key})");
            assert_eq!(
                partition_for_key(key.as_bytes(), 12),
                partition,
                "partition of {key}"
            );
        }
    }

    // Self-computed values for the test above (see its doc comment); cross-checked once against
    // an independent Python transcription of Utils.murmur2, not against a JVM.
    const ORDER_1_HASH: i32 = 1_221_710_326;
    const ORDER_1_P12: u32 = 10;
    const ORDER_2_HASH: i32 = -1_055_499_005;
    const ORDER_2_P12: u32 = 3;
    const ORDER_3_HASH: i32 = -849_583_649;
    const ORDER_3_P12: u32 = 3;
    const ORDER_4_HASH: i32 = 1_928_061_674;
    const ORDER_4_P12: u32 = 2;
    const ORDER_5_HASH: i32 = 847_857_254;
    const ORDER_5_P12: u32 = 2;

    /// Tail handling: lengths 0..=7 exercise every `length % 4` branch and the no-tail path.
    /// The expected values are whatever the (vector-verified) implementation yields; the point
    /// is that each prefix hashes differently, i.e. every tail byte is mixed in.
    #[test]
    fn every_tail_length_mixes_all_bytes() {
        let data = b"abcdefg";
        let hashes: Vec<i32> = (0..=data.len()).map(|n| murmur2(&data[..n])).collect();
        for i in 0..hashes.len() {
            for j in i + 1..hashes.len() {
                assert_ne!(hashes[i], hashes[j], "prefix {i} vs {j}");
            }
        }
    }

    // ---- Sticky partitioner, ported from apache/kafka
    // clients/src/test/java/org/apache/kafka/clients/producer/internals/BuiltInPartitionerTest.java

    /// A sequential fake random source, like `mockRandom = () -> mockRandom.getAndAdd(1)`.
    fn sequential() -> impl FnMut() -> u32 {
        let mut next = 0u32;
        move || {
            let value = next;
            next += 1;
            value
        }
    }

    /// BuiltInPartitionerTest#testStickyPartitioning: sticky batch size 3, 1-byte records,
    /// sequential mock random; the partition holds for 3 records then switches. Then: with a
    /// single partition (topic B, batch size 1) every record goes to partition 0.
    #[test]
    fn built_in_partitioner_test_sticky_partitioning() {
        let mut topic_a = StickyPartitioner::new(3, 3);
        let mut random = sequential();
        let part_a = topic_a.partition(1, &mut random);
        assert_eq!(topic_a.partition(1, &mut random), part_a);
        assert_eq!(topic_a.partition(1, &mut random), part_a);
        // After producing 3 records, the partition must have switched.
        assert_ne!(topic_a.current_partition(), Some(part_a));
        // With the sequential mock: first draw 0 → partition 0, switch draw 1 → partition 1.
        assert_eq!(part_a, 0);
        assert_eq!(topic_a.current_partition(), Some(1));

        let mut topic_b = StickyPartitioner::new(1, 1);
        let mut random = sequential();
        for _ in 0..10 {
            assert_eq!(topic_b.partition(1, &mut random), 0);
        }
    }

    /// BuiltInPartitionerTest#testStickyBatchSizeMoreThatZero: batch size 0 is rejected, 1 is fine.
    #[test]
    fn built_in_partitioner_test_sticky_batch_size_more_than_zero() {
        assert_eq!(
            StickyPartitioner::try_new(3, 0),
            Err(StickyPartitionerError::ZeroBatchSize)
        );
        assert!(StickyPartitioner::try_new(3, 1).is_ok());
        assert_eq!(
            StickyPartitioner::try_new(0, 1),
            Err(StickyPartitionerError::NoPartitions)
        );
        assert_eq!(
            StickyPartitionerError::ZeroBatchSize.to_string(),
            "stickyBatchSize must be >= 1 but got 0"
        );
    }

    #[test]
    #[should_panic(expected = "stickyBatchSize must be >= 1")]
    fn new_panics_on_zero_batch_size() {
        let _ = StickyPartitioner::new(3, 0);
    }

    // ---- Sticky partitioner: behaviour read from BuiltInPartitioner (not upstream tests)

    /// With the default 16384-byte batch size and 1000-byte records, 17 records go to the first
    /// partition (16 × 1000 < 16384 ≤ 17 × 1000), then it switches.
    #[test]
    fn switches_after_batch_size_bytes_including_the_crossing_record() {
        let mut sticky = StickyPartitioner::new(6, DEFAULT_BATCH_SIZE_BYTES);
        let draws = [2u32, 5, 4];
        let mut i = 0;
        let mut random = || {
            let value = draws[i];
            i += 1;
            value
        };
        let partitions: Vec<u32> = (0..35)
            .map(|_| sticky.partition(1000, &mut random))
            .collect();
        assert!(partitions[..17].iter().all(|&p| p == 2));
        assert!(partitions[17..34].iter().all(|&p| p == 5));
        assert_eq!(partitions[34], 4);
        assert_eq!(i, 3, "one draw at start, one per switch");
    }

    /// The next partition is a plain uniform draw: it may equal the current one.
    #[test]
    fn a_switch_may_land_on_the_same_partition() {
        let mut sticky = StickyPartitioner::new(4, 10);
        let mut random = || 7u32; // 7 % 4 = 3, every time
        for _ in 0..5 {
            assert_eq!(sticky.partition(10, &mut random), 3);
        }
    }

    /// A record larger than the batch size gets its own partition and triggers a switch at once.
    #[test]
    fn oversized_record_switches_immediately() {
        let mut sticky = StickyPartitioner::new(5, 100);
        let mut random = sequential();
        assert_eq!(sticky.partition(500, &mut random), 0);
        assert_eq!(sticky.partition(1, &mut random), 1);
        assert_eq!(sticky.produced_bytes(), 1);
    }

    /// Randomness is reinterpreted as a Java int and made positive before the modulo, so
    /// "negative" draws (high bit set) behave like Kafka's `toPositive(nextInt())`.
    #[test]
    fn random_values_go_through_to_positive() {
        // 0xFFFF_FFFF is int -1 → toPositive = 2147483647 → % 10 = 7.
        let mut sticky = StickyPartitioner::new(10, 1000);
        assert_eq!(sticky.partition(1, || u32::MAX), 7);
        // 0x8000_0003 is int MIN+3 → toPositive = 3.
        let mut sticky = StickyPartitioner::new(10, 1000);
        assert_eq!(sticky.partition(1, || 0x8000_0003), 3);
        // The draw at a switch is treated the same way.
        let mut sticky = StickyPartitioner::new(10, 1);
        let mut draws = [0x8000_0003u32, u32::MAX].into_iter();
        assert_eq!(sticky.partition(1, || draws.next().unwrap()), 3);
        assert_eq!(sticky.current_partition(), Some(7));
    }

    /// Each partition gets roughly its share under a simple deterministic generator.
    #[test]
    fn uniform_draws_cover_all_partitions() {
        let mut sticky = StickyPartitioner::new(4, 1);
        let mut state = 0x2545_f491_u32;
        let mut xorshift = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            counts[sticky.partition(1, &mut xorshift) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }
}
