//! Counters, latency histograms and sampled time series, built by watching events.
//!
//! Latencies are counted in the buckets of an `hdrhistogram` (1 µs to 1 day, 2 significant
//! digits: within 1%, and small enough to stay in cache on the hot path) and read as one, so
//! percentiles are accurate without keeping every sample. Time series are sampled at a fixed
//! simulated interval into a bounded buffer that halves its resolution when full, so memory
//! stays flat however long the run is.

use crate::engine::world::World;
use crate::engine::world::{BitSet, Publisher};
use crate::observer::{Disposition, Observer, SimEvent, SkipReason};
use crate::time::SimTime;
use hdrhistogram::Histogram;
use std::rc::Rc;

/// The most samples a series keeps before thinning.
pub const SERIES_CAPACITY: usize = 2_048;

/// The largest latency the histograms must track (µs): a day. hdrhistogram counts values up
/// to the end of this value's bucket, and larger ones as this one (its saturating record).
const LATENCY_HIGHEST: u64 = 86_400 * 1_000_000;

/// A latency histogram in microseconds.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_HIGHEST, 2).expect("static histogram bounds are valid")
}

/// hdrhistogram's layout for [`latency_histogram`]'s bounds. Two significant digits need
/// 256 sub-buckets (the smallest power of two ≥ 2·10²): bucket 0 counts 0..256 one by one;
/// bucket `k ≥ 1` uses the upper half of its sub-buckets, 128 steps of `2^k` from `2^(k+7)`.
/// Counts are stored bucket after bucket, 128 per bucket (bucket 0 has 256).
const HALF_SUB_BUCKETS_LOG2: u32 = 7;
/// Values up to this mask fall in bucket 0.
const BUCKET_ZERO_MASK: u64 = (1 << (HALF_SUB_BUCKETS_LOG2 + 1)) - 1;

/// The count index of `value` in hdrhistogram's layout: its `index_for` with the bounds
/// above folded in (past the last count for values beyond [`LATENCY_HIGHEST`]'s bucket).
#[inline(always)]
fn tally_index(value: u64) -> usize {
    let bucket = (BUCKET_ZERO_MASK.leading_zeros()) - (value | BUCKET_ZERO_MASK).leading_zeros();
    let sub_bucket = value >> bucket;
    ((u64::from(bucket + 1) << HALF_SUB_BUCKETS_LOG2) + sub_bucket - (1 << HALF_SUB_BUCKETS_LOG2))
        as usize
}

/// The lowest value counted at `index` (hdrhistogram's `value_for`).
fn tally_value(index: usize) -> u64 {
    let half = 1usize << HALF_SUB_BUCKETS_LOG2;
    match (index >> HALF_SUB_BUCKETS_LOG2).checked_sub(1) {
        None | Some(0) => index as u64,
        Some(bucket) => (((index & (half - 1)) + half) as u64) << bucket,
    }
}

/// Latencies counted in hdrhistogram's buckets, without its bookkeeping on every record.
///
/// Why: `Histogram::saturating_record` (a bounds check, a resize check, the min/max and total
/// updates, out of line) was called for every processed record and cost 6% of the 1M-record
/// pipeline (callgrind, `benches/scenarios/pipeline-1m.toml`). Here a record is one index
/// computation and one increment; [`LatencyTally::histogram`] rebuilds the hdrhistogram when
/// it is read, by recording each bucket's count at the bucket's lowest value. That histogram
/// equals one built by recording the values themselves (`PartialEq`: the same counts, total,
/// and bucket-equivalent min and max), so every percentile, mean and max is unchanged.
#[derive(Clone, Debug)]
pub struct LatencyTally {
    counts: Vec<u64>,
    total: u64,
}

impl Default for LatencyTally {
    fn default() -> Self {
        // Up to the end of the highest value's bucket, as hdrhistogram allocates.
        let buckets = (tally_index(LATENCY_HIGHEST) >> HALF_SUB_BUCKETS_LOG2) + 1;
        LatencyTally {
            counts: vec![0; buckets << HALF_SUB_BUCKETS_LOG2],
            total: 0,
        }
    }
}

impl LatencyTally {
    /// Counts one latency (µs). A value past the last bucket counts as `LATENCY_HIGHEST`.
    /// Always inlined: at the wasm build's opt-level "s" a plain hint left it a call, 2.9% of
    /// the 1M-record pipeline in Chromium (`scripts/profile-browser`).
    #[inline(always)]
    pub fn record(&mut self, value: u64) {
        let mut index = tally_index(value);
        if index >= self.counts.len() {
            index = tally_index(LATENCY_HIGHEST);
        }
        if let Some(count) = self.counts.get_mut(index) {
            *count += 1;
            self.total += 1;
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        if self.total > 0 {
            self.counts.fill(0);
            self.total = 0;
        }
    }

    /// Adds these counts to `histogram` (one of [`latency_histogram`]'s bounds).
    pub fn add_to(&self, histogram: &mut Histogram<u64>) {
        if self.total == 0 {
            return;
        }
        for (index, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                histogram.saturating_record_n(tally_value(index), count);
            }
        }
    }

    /// The hdrhistogram of these latencies.
    pub fn histogram(&self) -> Histogram<u64> {
        let mut histogram = latency_histogram();
        self.add_to(&mut histogram);
        histogram
    }
}

/// Rows per storage chunk of a [`Series`].
const SERIES_CHUNK_ROWS: usize = 64;

/// Row `row` (the time, then the values) of a [`Series`]' chunks of rows `width` values wide.
fn row_in(chunks: &[Rc<Vec<u64>>], width: usize, row: usize) -> &[u64] {
    let at = (row % SERIES_CHUNK_ROWS) * width;
    &chunks[row / SERIES_CHUNK_ROWS][at..at + width]
}

/// Named columns sampled at common times; thinned by half when full.
///
/// Rows (the time, then one value per column) are stored in chunks shared between a series
/// and its clones: the web app clones the recorder at each seek checkpoint, and copying the
/// whole series (2,048 rows of up to a hundred columns) each time was a visible part of a run.
/// Appending copies only the last chunk, and only right after a clone.
#[derive(Clone, Debug)]
pub struct Series {
    /// Column names.
    pub names: Vec<String>,
    /// Row-major chunks of `SERIES_CHUNK_ROWS` rows of `1 + names.len()` values.
    chunks: Vec<Rc<Vec<u64>>>,
    rows: usize,
    /// Only every `stride`-th offered sample is kept.
    stride: u64,
    offered: u64,
}

/// No columns; keeps every sample (a derived default had a stride of 0, which `offer` would
/// divide by).
impl Default for Series {
    fn default() -> Self {
        Series::new(Vec::new())
    }
}

impl Series {
    /// An empty series with these columns.
    pub fn new(names: Vec<String>) -> Self {
        Series {
            names,
            chunks: Vec::new(),
            rows: 0,
            stride: 1,
            offered: 0,
        }
    }

    fn width(&self) -> usize {
        1 + self.names.len()
    }

    /// Tells the series how many samples it will be offered in all, before the first: it then
    /// keeps only those that would survive thinning, and never writes the others. Thinning
    /// keeps exactly the offered samples whose index is a multiple of the stride, and after
    /// `offers` samples the stride is the smallest power of two that fits the multiples below
    /// `offers` into [`SERIES_CAPACITY`] rows; starting at that stride keeps the same rows.
    ///
    /// Why: a default run offers 4,098 samples (4,097 periodic ones, the first at time 0, and
    /// the one at the end). Unplanned, the series wrote 3,073 rows and copied 2,048 in two
    /// thinnings to keep 1,025, and the sampler computed every partition's lag for the 3,073
    /// rows written. In the SimPy retry-topic run (65 columns) the series' writes were about
    /// 2.5% of its time: skipping them altogether ran 0.975× as long; this plan ran 0.984×.
    /// An offer count that turns out wrong changes which rows are kept, not their values;
    /// more offers than planned still thin as before.
    pub fn plan(&mut self, offers: u64) {
        if self.offered > 0 {
            return;
        }
        let capacity = SERIES_CAPACITY as u64;
        let mut stride = 1;
        while offers.div_ceil(stride) > capacity {
            stride *= 2;
        }
        self.stride = stride;
    }

    /// Whether the next offered sample will be kept (callers skip computing rows that would
    /// be dropped: on long runs most are).
    pub fn keeps_next(&self) -> bool {
        self.offered % self.stride == 0
    }

    /// Offers one sample row (one value per column); keeps it if it falls on the stride.
    pub fn offer(&mut self, time: SimTime, row: &[u64]) {
        let index = self.offered;
        self.offered += 1;
        if index % self.stride != 0 {
            return;
        }
        if self.rows == SERIES_CAPACITY {
            self.thin();
            if index % self.stride != 0 {
                return;
            }
        }
        self.push(time, row);
    }

    fn push(&mut self, time: SimTime, row: &[u64]) {
        let width = self.width();
        if self.rows % SERIES_CHUNK_ROWS == 0 {
            self.chunks
                .push(Rc::new(Vec::with_capacity(SERIES_CHUNK_ROWS * width)));
        }
        let Some(last) = self.chunks.last_mut() else {
            return;
        };
        if Rc::get_mut(last).is_none() {
            // Shared with a clone: copy, with room for the whole chunk.
            let mut copy = Vec::with_capacity(SERIES_CHUNK_ROWS * width);
            copy.extend_from_slice(last);
            *last = Rc::new(copy);
        }
        let chunk = Rc::make_mut(last);
        chunk.push(time);
        // One slice copy; the columns a short row lacks read 0.
        let values = &row[..row.len().min(width - 1)];
        chunk.extend_from_slice(values);
        chunk.resize(chunk.len() + (width - 1 - values.len()), 0);
        self.rows += 1;
    }

    /// Keeps every other row. The kept rows are copied from the old chunks into new ones
    /// (the old may be shared with clones): a copy of each row through a `Vec` of its own was
    /// one allocation per kept row, 0.3% of the SimPy runs' instructions (callgrind).
    fn thin(&mut self) {
        let old = std::mem::take(&mut self.chunks);
        let (rows, width) = (self.rows, self.width());
        self.rows = 0;
        for r in (0..rows).step_by(2) {
            // A row starts with the time: the values follow it.
            let row = row_in(&old, width, r);
            self.push(row[0], &row[1..]);
        }
        self.stride *= 2;
    }

    /// The values (time first) of row `row`.
    fn row(&self, row: usize) -> &[u64] {
        row_in(&self.chunks, self.width(), row)
    }

    /// Kept samples.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no sample was kept.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The time of sample `row`.
    pub fn time(&self, row: usize) -> SimTime {
        self.row(row)[0]
    }

    /// The value of column `column` (an index into `names`) at sample `row`.
    pub fn value(&self, row: usize, column: usize) -> u64 {
        self.row(row)[1 + column]
    }

    /// The index of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// All sample times (a copy).
    pub fn times(&self) -> Vec<SimTime> {
        (0..self.rows).map(|r| self.time(r)).collect()
    }

    /// The values of the column named `name` (a copy).
    pub fn column(&self, name: &str) -> Option<Vec<u64>> {
        let column = self.column_index(name)?;
        Some((0..self.rows).map(|r| self.value(r, column)).collect())
    }

    /// Every column's values, in `names` order (a copy).
    pub fn columns(&self) -> Vec<Vec<u64>> {
        (0..self.names.len())
            .map(|c| (0..self.rows).map(|r| self.value(r, c)).collect())
            .collect()
    }
}

/// Per-group measurements.
#[derive(Clone, Debug)]
pub struct GroupMetrics {
    /// Records processed (including redeliveries).
    pub processed: u64,
    /// Redelivered records processed again.
    pub duplicates: u64,
    /// Records handed out by polls.
    pub delivered: u64,
    /// Offsets skipped because retention deleted them first.
    pub skipped_expired: u64,
    /// Offsets skipped by `auto.offset.reset = latest`.
    pub skipped_reset: u64,
    /// Produce-to-processed latency of first deliveries that [`GroupMetrics::both`] does not
    /// hold.
    latency_only: LatencyTally,
    /// Values recorded for both latencies: a record processed successfully whose chain began
    /// when it was produced (most of them) has the same produce-to-processed and
    /// click-to-processed time. Recorded once here instead of twice, and added back when
    /// read (histograms of the same bounds add exactly): one histogram update fewer per
    /// record, which was 2.5% of a run.
    both: LatencyTally,
    /// Largest sampled total lag.
    pub max_lag: u64,
    /// Rebalances completed.
    pub rebalances: u64,
    /// Crashes of its instances.
    pub crashes: u64,
    /// Click-to-processed times that [`GroupMetrics::both`] does not hold.
    step_only: LatencyTally,
    /// Largest sampled dead-letter queue depth.
    pub max_dlq: u64,
}

impl GroupMetrics {
    /// Produce-to-processed latency of first deliveries.
    pub fn latency(&self) -> Histogram<u64> {
        self.with_both(&self.latency_only)
    }

    /// Time from the chain's first event (the click) to this group finishing a record
    /// successfully: where in a pipeline the group's work lands.
    pub fn step_latency(&self) -> Histogram<u64> {
        self.with_both(&self.step_only)
    }

    /// `only` plus the values recorded for both latencies.
    fn with_both(&self, only: &LatencyTally) -> Histogram<u64> {
        let mut sum = only.histogram();
        self.both.add_to(&mut sum);
        sum
    }
}

/// Everything measured during a run.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Distinct events published (as of the last sample).
    pub produced: u64,
    /// Per-group measurements.
    pub groups: Vec<GroupMetrics>,
    /// Per producer: business write to first appearance in Kafka (outbox / CDC delay; zero
    /// for direct producers, which are not recorded).
    pub publish_latency: Vec<LatencyTally>,
    /// Per outbox / CDC producer: event ids already published (a relay or connector may
    /// publish an event again; only the first time counts).
    published: Vec<Option<BitSet>>,
    /// Lag, throughput and progress over time.
    pub series: Series,
    /// Reused sample row.
    scratch: Vec<u64>,
    /// Reused per-partition lags of a kept sample row.
    partition_lags: Vec<u64>,
}

impl Metrics {
    /// Metrics shaped for `world` (its topics and groups).
    pub fn new(world: &World) -> Self {
        let mut names = vec!["produced".to_string()];
        for g in &world.groups {
            names.push(format!("lag:{}", g.name));
            names.push(format!("processed:{}", g.name));
        }
        for g in &world.groups {
            names.push(format!("dlq:{}", g.name));
        }
        for p in &world.producers {
            names.push(format!("backlog:{}", p.name));
        }
        for g in &world.groups {
            for gp in &g.partitions {
                names.push(format!(
                    "lag:{}:{}-{}",
                    g.name, world.topics[gp.topic as usize].name, gp.partition
                ));
            }
        }
        Metrics {
            produced: 0,
            groups: world
                .groups
                .iter()
                .map(|_| GroupMetrics {
                    processed: 0,
                    duplicates: 0,
                    delivered: 0,
                    skipped_expired: 0,
                    skipped_reset: 0,
                    latency_only: LatencyTally::default(),
                    both: LatencyTally::default(),
                    max_lag: 0,
                    rebalances: 0,
                    crashes: 0,
                    step_only: LatencyTally::default(),
                    max_dlq: 0,
                })
                .collect(),
            publish_latency: world
                .producers
                .iter()
                .map(|_| LatencyTally::default())
                .collect(),
            published: world
                .producers
                .iter()
                .map(|p| (!matches!(p.publisher, Publisher::Direct(_))).then(BitSet::default))
                .collect(),
            series: Series::new(names),
            scratch: Vec::new(),
            partition_lags: Vec::new(),
        }
    }

    fn sample(&mut self, now: SimTime, world: &World) {
        let keep = self.series.keeps_next();
        let mut row = std::mem::take(&mut self.scratch);
        row.clear();
        let mut partition_lags = std::mem::take(&mut self.partition_lags);
        partition_lags.clear();
        self.produced = distinct_published(world);
        row.push(self.produced);
        for (g, group) in world.groups.iter().enumerate() {
            let lag = if keep {
                let walked = group.total_and_partition_lags(&world.topics, &mut partition_lags);
                debug_assert_eq!(walked, group.lag(), "the running lag of {}", group.name);
                walked
            } else {
                group.lag()
            };
            self.groups[g].max_lag = self.groups[g].max_lag.max(lag);
            row.push(lag);
            row.push(self.groups[g].processed);
        }
        for g in 0..world.groups.len() {
            let depth = world.dlq_depth(g as u16);
            self.groups[g].max_dlq = self.groups[g].max_dlq.max(depth);
            row.push(depth);
        }
        for p in 0..world.producers.len() {
            row.push(world.publish_backlog(p as u16));
        }
        row.extend_from_slice(&partition_lags);
        self.series.offer(now, &row);
        self.scratch = row;
        self.partition_lags = partition_lags;
    }
}

impl Observer for Metrics {
    #[inline]
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        match *event {
            SimEvent::Produced {
                record, producer, ..
            } if record.causation_id == 0 && record.attempts == 0 => {
                if let Some(seen) = &mut self.published[producer as usize] {
                    if seen.insert(record.event_id) {
                        let delay = record.produced_at.saturating_sub(record.origin_at).max(1);
                        self.publish_latency[producer as usize].record(delay);
                    }
                }
            }
            SimEvent::Processed {
                group,
                record,
                duplicate,
                disposition,
                ..
            } => {
                let g = &mut self.groups[group as usize];
                g.processed += 1;
                if duplicate {
                    g.duplicates += 1;
                } else {
                    let latency = now.saturating_sub(record.produced_at).max(1);
                    if disposition == Disposition::Success {
                        let step = now.saturating_sub(record.origin_at).max(1);
                        if step == latency {
                            g.both.record(latency);
                        } else {
                            g.latency_only.record(latency);
                            g.step_only.record(step);
                        }
                    } else {
                        g.latency_only.record(latency);
                    }
                }
            }
            SimEvent::Fetched { group, count, .. } => {
                self.groups[group as usize].delivered += u64::from(count);
            }
            SimEvent::Skipped {
                group,
                from,
                to,
                reason,
                ..
            } => {
                let g = &mut self.groups[group as usize];
                match reason {
                    SkipReason::Expired => g.skipped_expired += to - from,
                    SkipReason::ResetToLatest => g.skipped_reset += to - from,
                }
            }
            SimEvent::RebalanceCompleted { group, .. } => {
                self.groups[group as usize].rebalances += 1
            }
            SimEvent::InstanceCrashed { group, .. } => self.groups[group as usize].crashes += 1,
            SimEvent::Sample => self.sample(now, world),
            _ => {}
        }
    }

    fn on_finish(&mut self, now: SimTime, world: &World) {
        self.sample(now, world);
    }
}

/// Distinct events in Kafka: what producers published plus what handlers emitted (retry,
/// dead-letter and replayed copies are not new events).
pub fn distinct_published(world: &World) -> u64 {
    world
        .producers
        .iter()
        .map(|p| p.publish_stats.published)
        .sum::<u64>()
        + world
            .groups
            .iter()
            .map(|g| g.handling.stats.emitted)
            .sum::<u64>()
}

/// Produce-to-processed latency over all groups (merged per-group histograms).
pub fn all_groups_latency(metrics: &Metrics) -> Histogram<u64> {
    let mut all = latency_histogram();
    for g in &metrics.groups {
        g.latency_only.add_to(&mut all);
        g.both.add_to(&mut all);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_thins_when_full_and_keeps_its_span() {
        let mut series = Series::new(vec!["x".into()]);
        for t in 0..(SERIES_CAPACITY as u64 * 4) {
            series.offer(t, &[t]);
        }
        let times = series.times();
        assert!(times.len() <= SERIES_CAPACITY);
        assert_eq!(times[0], 0);
        assert!(*times.last().unwrap() >= SERIES_CAPACITY as u64 * 4 - 4);
        // Kept samples are evenly spaced.
        let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == gaps[0]));
        assert_eq!(series.column("x").unwrap(), times);
    }

    /// Thinning keeps each kept row's values in their columns. It used to copy the row with
    /// its time in front, so every row after the first thinning was shifted by a column (the
    /// time in the first column, the last column lost): the web app's charts and `--series`
    /// CSV of runs over 2,048 samples showed wrong values. The older thinning tests sampled
    /// columns equal to the time and could not see it.
    #[test]
    fn a_thinned_series_keeps_every_column_of_its_rows() {
        let mut series = Series::new(vec!["a".into(), "b".into()]);
        for t in 0..(SERIES_CAPACITY as u64 * 2 + 10) {
            series.offer(t, &[t + 1, 2 * t + 7]);
        }
        assert!(series.len() < SERIES_CAPACITY, "the series thinned");
        for r in 0..series.len() {
            let t = series.time(r);
            assert_eq!(
                (series.value(r, 0), series.value(r, 1)),
                (t + 1, 2 * t + 7),
                "row {r}"
            );
        }
    }

    /// A series told how many samples are coming keeps the very rows (times and values) that
    /// offering them all and thinning would keep, around every capacity boundary.
    #[test]
    fn a_planned_series_keeps_the_rows_thinning_would_keep() {
        let capacity = SERIES_CAPACITY as u64;
        for offers in [
            0,
            1,
            2,
            capacity - 1,
            capacity,
            capacity + 1,
            2 * capacity - 1,
            2 * capacity,
            2 * capacity + 1,
            4 * capacity + 2,
            9 * capacity + 5,
        ] {
            let mut thinned = Series::new(vec!["a".into(), "b".into()]);
            let mut planned = Series::new(vec!["a".into(), "b".into()]);
            planned.plan(offers);
            for n in 0..offers {
                let t = 10 * n + 3;
                thinned.offer(t, &[n, 3 * n + 1]);
                planned.offer(t, &[n, 3 * n + 1]);
            }
            assert_eq!(planned.times(), thinned.times(), "{offers} offers");
            assert_eq!(planned.columns(), thinned.columns(), "{offers} offers");
            assert!(planned.len() <= SERIES_CAPACITY);
        }
    }

    /// A plan made after the first offer is ignored: the stride is already in use.
    #[test]
    fn a_plan_after_the_first_offer_changes_nothing() {
        let mut series = Series::new(vec!["a".into()]);
        series.offer(0, &[1]);
        series.plan(10 * SERIES_CAPACITY as u64);
        series.offer(1, &[2]);
        assert_eq!(series.times(), vec![0, 1]);
    }

    /// A row shorter than the columns reads 0 in the columns it lacks; a longer one is cut.
    #[test]
    fn short_and_long_rows_fit_the_columns() {
        let mut series = Series::new(vec!["a".into(), "b".into(), "c".into()]);
        series.offer(1, &[7]);
        series.offer(2, &[4, 5, 6, 99]);
        assert_eq!(series.columns(), vec![vec![7, 4], vec![0, 5], vec![0, 6]]);
    }

    /// Latencies spread over every bucket: log-uniform from 1 µs to 2^44 µs (past the last
    /// bucket), with some zeros and `u64::MAX`.
    fn latencies(count: usize) -> Vec<u64> {
        let mut stream = crate::rng::Stream::new(1, "latencies");
        (0..count)
            .map(|n| match n % 1_000 {
                0 => 0,
                1 => u64::MAX,
                _ => {
                    let bits = stream.below(45);
                    stream.below(1 << bits) + 1
                }
            })
            .collect()
    }

    #[test]
    fn tally_buckets_are_hdrhistograms_buckets() {
        let reference = latency_histogram();
        assert_eq!(
            LatencyTally::default().counts.len(),
            reference.distinct_values()
        );
        let mut values: Vec<u64> = (0..70_000).collect();
        for shift in 8..37 {
            values.extend([(1 << shift) - 1, 1 << shift, (1 << shift) + 1]);
        }
        values.extend(
            latencies(100_000)
                .into_iter()
                .filter(|&v| v <= LATENCY_HIGHEST),
        );
        for value in values {
            let index = tally_index(value);
            assert_eq!(
                tally_value(index),
                reference.lowest_equivalent(value),
                "value {value}, index {index}"
            );
        }
    }

    #[test]
    fn a_tally_reads_back_as_the_histogram_of_its_values() {
        let mut direct = latency_histogram();
        let mut tally = LatencyTally::default();
        assert!(tally.is_empty() && tally.histogram().is_empty());
        for value in latencies(50_000) {
            direct.saturating_record(value);
            tally.record(value);
        }
        let read = tally.histogram();
        assert_eq!(read, direct);
        assert_eq!(read.len(), 50_000);
        for quantile in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                read.value_at_quantile(quantile),
                direct.value_at_quantile(quantile)
            );
        }
        assert_eq!(read.mean(), direct.mean());
        assert_eq!((read.min(), read.max()), (direct.min(), direct.max()));
        // Added to a histogram that holds values already, as the group latencies are read.
        let mut sum = direct.clone();
        tally.add_to(&mut sum);
        let mut twice = direct.clone();
        twice.add(&direct).unwrap();
        assert_eq!(sum, twice);
        tally.reset();
        assert!(tally.is_empty() && tally.histogram().is_empty());
    }

    #[test]
    fn a_cloned_series_is_a_snapshot() {
        let mut series = Series::new(vec!["a".into(), "b".into()]);
        for t in 0..100u64 {
            series.offer(t, &[t, 2 * t]);
        }
        let snapshot = series.clone();
        for t in 100..(SERIES_CAPACITY as u64 + 300) {
            series.offer(t, &[t, 2 * t]);
        }
        assert_eq!(snapshot.len(), 100);
        assert_eq!(
            snapshot.column("b").unwrap(),
            (0..100).map(|t| 2 * t).collect::<Vec<_>>()
        );
        assert_eq!(snapshot.time(99), 99);
        assert!(series.len() <= SERIES_CAPACITY);
        assert_eq!(
            series.value(series.len() - 1, 0),
            series.time(series.len() - 1)
        );
        assert_eq!(series.columns().len(), 2);
    }
}
