//! Criterion benchmarks of the kernel and the model.
//!
//! `cargo bench --bench engine` (add `--profile perf` for the LTO build used in the figures).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use evflow::engine::queue::EventQueue;
use evflow::engine::Simulation;
use evflow::report::{run, RunOptions};
use evflow::session::Session;

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

/// The text of `benches/scenarios/pipeline-1m.toml` and a fresh simulation of it.
fn pipeline_1m() -> (String, Simulation) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/scenarios/pipeline-1m.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = evflow::load_str(&text, path).unwrap();
    let simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    (text, simulation)
}

/// Seeking in the 1M-record pipeline as the web app does: the session restores the nearest
/// of its 64 checkpoints (a clone of the simulation and its recorder, with the per-entity
/// tables rebuilt from the journaled writes up to it) and replays to the target. The benchmark
/// seeks to just before the next checkpoint, the longest replay there is.
fn seek(c: &mut Criterion) {
    let (text, _) = pipeline_1m();
    let mut session = Session::load(&text, "pipeline-1m.toml", None).unwrap();
    let end = session.end();
    session.run_to(end);
    let span = end / 64;
    let mut group = c.benchmark_group("seek");
    group.sample_size(20);
    let mut k = 0;
    group.bench_function("pipeline_1m_worst_case", |b| {
        b.iter(|| {
            k = (k + 17) % 64;
            session.seek(k * span + span - 1, u64::MAX);
            session.now()
        })
    });
    group.finish();
}

/// What a seek checkpoint costs (a clone of the simulation, without its per-entity tables,
/// in the middle of the 1M-record pipeline), and a whole run through the web app's session (the engine plus the session's
/// checkpoints, what the JS API's `runToEnd` does in the browser).
fn session(c: &mut Criterion) {
    let (text, mut simulation) = pipeline_1m();
    simulation.step_until(simulation.end() / 2);
    let mut group = c.benchmark_group("session");
    group.sample_size(10);
    group.bench_function("checkpoint_clone_pipeline_1m_midrun", |b| {
        b.iter(|| simulation.clone_without_entities())
    });
    group.bench_function("pipeline_1m_run_to_end", |b| {
        b.iter(|| {
            let mut session = Session::load(&text, "pipeline-1m.toml", None).unwrap();
            session.run_to(session.end());
            session.now()
        })
    });
    group.finish();
}

criterion_group!(benches, kernel_queue, model, seek, session);
criterion_main!(benches);
