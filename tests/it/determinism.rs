//! Same scenario + seed ⇒ same trace; another seed ⇒ another trace; per-entity RNG streams.

use crate::support::{run_checked, seed_topology};
use evflow::engine::world::World;
use evflow::observer::{Observer, SimEvent};

#[test]
fn same_seed_same_hash_other_seed_other_hash() {
    let text = seed_topology("");
    let a = run_checked(&text, Some(11));
    let b = run_checked(&text, Some(11));
    let c = run_checked(&text, Some(12));
    assert_eq!(a.report.trace_hash, b.report.trace_hash);
    assert_eq!(a.report, b.report);
    assert_ne!(a.report.trace_hash, c.report.trace_hash);
}

/// Every produced record (time, partition, key).
#[derive(Default)]
struct Produced(Vec<(u64, u32, u32)>);
impl Observer for Produced {
    fn on_event(&mut self, now: u64, event: &SimEvent, _: &World) {
        if let SimEvent::Produced {
            partition, record, ..
        } = event
        {
            self.0.push((now, *partition, record.key));
        }
    }
}

fn produced(text: &str) -> Vec<(u64, u32, u32)> {
    crate::support::observe(text, Produced::default()).0
}

/// turmoil-style streams: adding a consumer group (and its instances' streams) must not
/// change a single draw of the producer.
#[test]
fn adding_a_group_does_not_change_the_producers_draws() {
    let base = produced(&seed_topology(""));
    let more = produced(&seed_topology(
        r#"
[[group]]
name = "analytics"
topic = "orders"
instances = 4
processing = "exp(20ms)"
"#,
    ));
    assert!(base.len() > 5_000);
    assert_eq!(base, more);
}

#[test]
fn the_trace_hash_is_pinned_for_a_small_scenario() {
    // If this changes, every golden hash changes too: a behaviour change of the engine.
    let text = r#"
duration = "2s"
seed = 3
[[topic]]
name = "t"
partitions = 3
[[producer]]
name = "p"
topic = "t"
rate = "50/s"
arrival = "constant"
keys = "k{1..10}"
[[group]]
name = "g"
topic = "t"
instances = 2
processing = "2ms"
"#;
    let a = run_checked(text, None);
    let b = run_checked(text, None);
    assert_eq!(a.report.trace_hash, b.report.trace_hash);
    assert_eq!(a.report.counters.produced, 100);
    // The last record arrives at exactly 2s; the idle consumer would fetch it 1ms later,
    // after the end of the run.
    assert_eq!(a.report.groups[0].processed, 99);
    assert_eq!(a.report.counters.produced - a.report.groups[0].processed, 1);
}

/// `run` tells the series how many samples are coming (`Series::plan`), so that it never
/// writes the rows thinning would drop. Its series must equal that of a recorder stepped
/// without the plan, as the web app's sessions step: the same times and values, for a run to
/// the end and for runs stopped early (`--until`), here over more than 2,048 samples.
#[test]
fn a_planned_run_keeps_the_series_of_an_unplanned_one() {
    use evflow::report::{run, Recorder, RunOptions};
    // 4,501 samples at 20 ms: the series thins twice.
    let text = seed_topology("").replace(
        "duration = \"30s\"",
        "duration = \"90s\"\nsample_interval = \"20ms\"",
    );
    let loaded = crate::support::load(&text);
    for until in [None, Some(7_000_000), Some(45_000_123), Some(1)] {
        let planned = run(
            &loaded.scenario,
            &RunOptions {
                until,
                ..RunOptions::default()
            },
        )
        .expect("the scenario builds");
        let mut simulation =
            evflow::Simulation::from_scenario(&loaded.scenario, None).expect("the scenario builds");
        let mut recorder = Recorder::new(simulation.world(), 0, false);
        let end = until.unwrap_or(simulation.end());
        simulation.step_until_with(end, &mut recorder);
        if end < simulation.end() {
            recorder.on_finish(end, simulation.world());
        }
        let (a, b) = (&planned.recorder.metrics.series, &recorder.metrics.series);
        assert!(
            b.len() > 1 || until == Some(1),
            "{until:?}: {} rows",
            b.len()
        );
        if until.is_none() {
            assert_eq!(b.len(), 1_126, "4,502 samples thinned to a stride of 4");
        }
        assert_eq!(a.times(), b.times(), "{until:?}");
        assert_eq!(a.columns(), b.columns(), "{until:?}");
        assert_eq!(
            planned.report.trace_hash,
            recorder.trace.hash.hex(),
            "{until:?}"
        );
    }
}
