//! Seeking in the web app's session (`evflow::session`): restoring checkpoints, whose
//! per-entity tables are rebuilt from journaled writes, must give exactly the run a straight
//! pass gives, backwards and forwards, through thinning.

use evflow::session::Session;
use evflow::time::SECONDS;

fn scenario(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn straight(text: &str, to: u64) -> Session {
    let mut session = Session::load(text, "scenario.toml", None).expect("loads");
    session.run_to(to);
    session
}

/// Runs to the end, seeks to each of the times `stops` gives for the scenario's end (in that
/// order), comparing the state there with a straight run, and finally runs to the end again.
fn seek_around(name: &str, stops: impl FnOnce(u64) -> Vec<u64>, capacity: Option<usize>) {
    let text = scenario(name);
    let mut session = Session::load(&text, "scenario.toml", None).expect("loads");
    if let Some(capacity) = capacity {
        session.set_checkpoint_capacity(capacity);
    }
    let end = session.end();
    session.run_to(end);
    let whole = straight(&text, end);
    assert_eq!(session.trace_hash(), whole.trace_hash(), "{name}: full run");
    for t in stops(end) {
        session.seek(t, u64::MAX);
        let reference = straight(&text, t);
        assert_eq!(session.now(), t, "{name}: seek to {t}");
        assert_eq!(
            session.trace_hash(),
            reference.trace_hash(),
            "{name}: at {t}"
        );
        assert_eq!(
            session.report(),
            reference.report(),
            "{name}: report at {t}"
        );
    }
    session.run_to(end);
    assert_eq!(
        session.trace_hash(),
        whole.trace_hash(),
        "{name}: end again"
    );
    assert_eq!(session.report(), whole.report(), "{name}: final report");
}

#[test]
fn seeking_in_the_retry_scenario_keeps_sequences_and_order_counts() {
    // Retry topics break per-key order: the out-of-order counters and the per-key sequence
    // numbers stamped on records both come from the rebuilt entity tables.
    seek_around(
        "retries-dlq",
        |end| vec![end / 3, end / 10, end * 9 / 10, end / 2 + 12_345, 0, end],
        None,
    );
}

#[test]
fn small_seeks_near_the_current_time_undo_and_redo_the_journal() {
    // From the end, short steps back (the live tables are taken over and the journaled
    // writes since each checkpoint undone), then forward again (redone).
    let back_and_forth = |end: u64| {
        let back: Vec<u64> = (1..=4).map(|k| end - k * end / 40).collect();
        let forth: Vec<u64> = back.iter().rev().map(|t| t + end / 80).collect();
        [back, forth].concat()
    };
    seek_around("ecommerce-pipeline", back_and_forth, None);
}

#[test]
fn seeking_through_thinned_checkpoints_replays_identically() {
    // Four checkpoints at most: the list is thinned many times, carrying the entity writes of
    // every dropped checkpoint to the next one kept.
    seek_around(
        "ecommerce-pipeline",
        |end| vec![end / 2, end / 7, end - 1, 3 * SECONDS, end / 2 + 1],
        Some(4),
    );
}

#[test]
fn checkpoints_stay_few_and_small_with_a_large_key_space() {
    // 20,000 records over a million keys: each checkpoint keeps the writes of its stretch
    // (a few per record), not a copy of the tables.
    let text = r#"
name = "many keys"
seed = 5
duration = "40s"
[[topic]]
name = "orders"
partitions = 6
[[producer]]
name = "shop"
topic = "orders"
rate = "500/s"
keys = "order-{1..1000000}"
records = 20000
[[group]]
name = "billing"
topic = "orders"
instances = 3
processing = "exp(1ms)"
[[group]]
name = "shipping"
topic = "orders"
instances = 2
processing = "exp(1ms)"
"#;
    let mut session = Session::load(text, "scenario.toml", None).expect("loads");
    session.run_to(session.end());
    let (count, bytes) = session.checkpoint_footprint();
    assert!(count <= 64, "{count} checkpoints");
    // The estimate counts 1 MB per checkpoint for the fixed part, the log chunks each adds
    // (20,000 records of 64 bytes in all: full chunks are shared, not copied; each
    // checkpoint copies the partly filled chunk of each of the 6 partitions, at most 255
    // records) and the writes (20,000 records × 5 writes of 16 bytes: the key's row, handed
    // out on its first use; the key's sequence, its cached partition hash, each group's
    // highest sequence).
    let shared = 20_000 * 64 + 20_000 * 5 * 16;
    let tails = count * 6 * 255 * 64;
    assert!(
        bytes <= count * (1 << 20) + shared + tails + (1 << 16),
        "{count} checkpoints, {bytes} bytes"
    );
    // Back to the middle, further back, then forward: the keys' rows (handed out in order of
    // first use) and their counters are undone and replayed with the rest.
    let end = session.end();
    for stop in [end / 2, end / 5, end * 3 / 4, end] {
        session.seek(stop, u64::MAX);
        let expected = straight(text, stop);
        assert_eq!(session.trace_hash(), expected.trace_hash(), "at {stop}");
        assert_eq!(session.report(), expected.report(), "at {stop}");
    }
}

/// The JS API's one-call `runScenario` runs without checkpoints (`session::run_text`): it
/// must report what a session reports at the end, and what `evflow run --until` reports
/// part-way, and locate its errors like `Session::load`.
#[test]
fn a_one_shot_run_reports_what_a_session_and_the_cli_report() {
    use evflow::report::{run, RunOptions};
    use evflow::session::run_text;
    let text = scenario("retries-dlq");
    let whole = straight(&text, u64::MAX);
    let once = run_text(&text, "scenario.toml", None, None).expect("runs");
    assert_eq!(once.trace_hash, whole.trace_hash());
    assert_eq!(once, whole.report());

    let loaded = evflow::load_str(&text, "scenario.toml").expect("parses");
    let until = 7 * SECONDS;
    let options = RunOptions {
        seed: Some(11),
        until: Some(until),
        ..RunOptions::default()
    };
    let cli = run(&loaded.scenario, &options).expect("runs").report;
    let part = run_text(&text, "scenario.toml", Some(11), Some(until)).expect("runs");
    assert_eq!(part, cli);

    let error = run_text("duration = 5", "scenario.toml", None, None).expect_err("rejects");
    assert_eq!(error.position().map(|(line, _)| line), Some(1));
}
