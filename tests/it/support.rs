//! Helpers shared by the integration tests.

use evflow::report::{run, Run, RunOptions};
use evflow::scenario::{load_str, Loaded};

/// Runs a TOML scenario to its end with `observer` watching; returns the observer.
pub fn observe<O: evflow::observer::Observer>(text: &str, mut observer: O) -> O {
    let loaded = load(text);
    let mut simulation =
        evflow::Simulation::from_scenario(&loaded.scenario, None).expect("the scenario builds");
    simulation.step_until_with(u64::MAX, &mut observer);
    observer
}

/// Parses and validates a TOML scenario, panicking with the located error if it is invalid.
pub fn load(text: &str) -> Loaded {
    load_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario with the invariant checker and asserts it found nothing.
pub fn run_checked(text: &str, seed: Option<u64>) -> Run {
    let loaded = load(text);
    let run = run(
        &loaded.scenario,
        &RunOptions {
            seed,
            check_invariants: true,
            ..RunOptions::default()
        },
    )
    .expect("the scenario builds");
    assert!(
        run.report.violations.is_empty(),
        "invariant violations: {:#?}",
        run.report.violations
    );
    run
}

/// The seed article's topology with knobs for the tests.
pub fn seed_topology(extra: &str) -> String {
    format!(
        r#"
duration = "30s"
seed = 7
[[topic]]
name = "orders"
partitions = 12
[[producer]]
name = "checkout"
topic = "orders"
rate = "200/s"
keys = "order-{{1..10000}}"
[[group]]
name = "payment-service"
topic = "orders"
instances = 3
processing = "exp(5ms)"
session_timeout = "10s"
[[group]]
name = "inventory-service"
topic = "orders"
instances = 2
processing = "exp(3ms)"
{extra}
"#
    )
}

/// The partitions (numbers) each client id owns at the end, from the describe table.
pub fn owners(run: &Run, group: &str) -> std::collections::BTreeMap<String, Vec<u32>> {
    let mut owners = std::collections::BTreeMap::new();
    for row in run.report.describe.iter().filter(|r| r.group == group) {
        if let Some(client) = &row.client_id {
            owners
                .entry(client.clone())
                .or_insert_with(Vec::new)
                .push(row.partition);
        }
    }
    owners
}
