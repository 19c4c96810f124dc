//! Criterion benchmarks of the kernel and the model.
//!
//! `cargo bench --bench engine` (add `--profile perf` for the LTO build used in the figures).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use evflow::engine::queue::EventQueue;
use evflow::report::{run, RunOptions};

/// Push/pop through a queue holding ~64 pending events, as the engine's agenda does.
fn kernel_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("queue_schedule_pop_100k", |b| {
        b.iter_batched(
            || {
                let mut queue = EventQueue::default();
                for i in 0..64u64 {
                    queue.schedule(i * 7, i);
                }
                queue
            },
            |mut queue| {
                let mut x = 1u64;
                for _ in 0..100_000 {
                    let (t, e) = queue.pop().unwrap();
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    queue.schedule(t + (x >> 54), e);
                }
                queue
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn scenario(c: &mut Criterion, name: &str, path: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = evflow::load_str(&text, path).unwrap();
    let records = run(&loaded.scenario, &RunOptions::default())
        .unwrap()
        .report
        .counters
        .produced;
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    group.throughput(Throughput::Elements(records));
    group.bench_function(name, |b| {
        b.iter(|| run(&loaded.scenario, &RunOptions::default()).unwrap())
    });
    group.finish();
}

fn model(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    scenario(
        c,
        "simpy_blocking_100k",
        &format!("{root}/benches/scenarios/simpy-blocking.toml"),
    );
    scenario(
        c,
        "simpy_retry_topics_100k",
        &format!("{root}/benches/scenarios/simpy-topics.toml"),
    );
    scenario(
        c,
        "ecommerce_pipeline",
        &format!("{root}/scenarios/ecommerce-pipeline.toml"),
    );
}

criterion_group!(benches, kernel_queue, model);
criterion_main!(benches);
