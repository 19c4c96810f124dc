//! Group membership: crashes detected after the session timeout, clean leaves, scaling out,
//! eager versus cooperative rebalancing.

use crate::support::{owners, run_checked, seed_topology};
use evflow::engine::world::World;
use evflow::observer::{Observer, SimEvent};

const CRASH_AT_10S: &str = r#"
[[timeline]]
at = "10s"
action = "crash"
group = "payment-service"
instance = 1
"#;

/// Records (time, event) of rebalance-related events of group 0.
#[derive(Default)]
struct Membership(Vec<(u64, String)>);
impl Observer for Membership {
    fn on_event(&mut self, now: u64, event: &SimEvent, _: &World) {
        let text = match event {
            SimEvent::InstanceCrashed { group: 0, instance } => format!("crash {instance}"),
            SimEvent::CrashDetected { group: 0, instance } => format!("detected {instance}"),
            SimEvent::RebalanceStarted { group: 0, .. } => "started".into(),
            SimEvent::RebalanceCompleted {
                group: 0,
                generation,
            } => format!("completed {generation}"),
            _ => return,
        };
        self.0.push((now, text));
    }
}

fn membership(text: &str) -> Vec<(u64, String)> {
    let mut log = crate::support::observe(text, Membership::default());
    // Drop the formation of the group (generation 1 at time 0).
    log.0.retain(|(t, text)| *t > 0 || text != "completed 1");
    log.0
}

#[test]
fn a_crash_is_noticed_after_the_session_timeout_then_the_group_rebalances() {
    let log = membership(&seed_topology(CRASH_AT_10S));
    assert_eq!(log[0], (10_000_000, "crash 1".to_string()));
    assert_eq!(log[1], (20_000_000, "detected 1".to_string()));
    assert_eq!(log[2], (20_000_000, "started".to_string()));
    let (completed_at, text) = &log[3];
    assert_eq!(text, "completed 2");
    // The survivors join at their next poll boundary, then rebalance_time (1s) passes.
    assert!(
        (21_000_000..21_500_000).contains(completed_at),
        "{completed_at}"
    );
}

#[test]
fn the_survivors_split_the_partitions_with_the_range_assignor() {
    let run = run_checked(&seed_topology(CRASH_AT_10S), None);
    let payment = owners(&run, "payment-service");
    assert_eq!(payment.len(), 2);
    assert_eq!(payment["payment-service-0"], vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(payment["payment-service-2"], vec![6, 7, 8, 9, 10, 11]);
    let group = run.report.group("payment-service").unwrap();
    assert_eq!(group.rebalances, 1);
    assert_eq!(group.generation, 2);
    // The other group is untouched.
    let inventory = run.report.group("inventory-service").unwrap();
    assert_eq!(inventory.rebalances, 0);
}

#[test]
fn the_crashed_instances_partitions_stall_until_detection() {
    let run = run_checked(&seed_topology(CRASH_AT_10S), None);
    let series = &run.recorder.metrics.series;
    let lag = series.column("lag:payment-service:orders-5").unwrap();
    let times = series.times();
    let at = |t: u64| times.iter().position(|&x| x >= t).unwrap();
    // Stalled for 10s at ~16 records/s per partition: well over 100 behind just before 20s.
    assert!(lag[at(19_900_000)] > 100, "{}", lag[at(19_900_000)]);
    // Drained again by the end: only the auto-commit sawtooth (up to 5s of this partition's
    // ~16 records/s) remains.
    let last = *lag.last().unwrap();
    assert!(last < 200 && last * 2 < lag[at(19_900_000)], "{last}");
}

#[test]
fn a_clean_stop_rebalances_at_once() {
    let log = membership(&seed_topology(
        r#"
[[timeline]]
at = "10s"
action = "stop"
group = "payment-service"
instance = 2
"#,
    ));
    assert_eq!(log[0], (10_000_000, "started".to_string()));
    assert!(
        log[1].0 < 11_500_000 && log[1].1 == "completed 2",
        "{log:?}"
    );
}

#[test]
fn adding_an_instance_spreads_the_partitions() {
    let run = run_checked(
        &seed_topology(
            r#"
[[timeline]]
at = "5s"
action = "add_instance"
group = "inventory-service"
"#,
        ),
        None,
    );
    let inventory = owners(&run, "inventory-service");
    assert_eq!(inventory.len(), 3);
    assert!(inventory.values().all(|p| p.len() == 4));
}

#[test]
fn restart_rejoins_as_a_new_member() {
    let run = run_checked(
        &seed_topology(&format!(
            "{CRASH_AT_10S}\n[[timeline]]\nat = \"25s\"\naction = \"restart\"\ngroup = \"payment-service\"\ninstance = 1\n"
        )),
        None,
    );
    let payment = owners(&run, "payment-service");
    assert_eq!(payment["payment-service-1"], vec![4, 5, 6, 7]);
    let group = run.report.group("payment-service").unwrap();
    assert_eq!(group.rebalances, 2);
}

fn processed_during(text: &str, group: u16, from: u64, to: u64) -> Vec<u16> {
    struct Busy {
        group: u16,
        window: (u64, u64),
        instances: Vec<u16>,
    }
    impl Observer for Busy {
        fn on_event(&mut self, now: u64, event: &SimEvent, _: &World) {
            if let SimEvent::Processed {
                group, instance, ..
            } = event
            {
                if *group == self.group
                    && now >= self.window.0
                    && now < self.window.1
                    && !self.instances.contains(instance)
                {
                    self.instances.push(*instance);
                }
            }
        }
    }
    let mut busy = crate::support::observe(
        text,
        Busy {
            group,
            window: (from, to),
            instances: Vec::new(),
        },
    );
    busy.instances.sort_unstable();
    busy.instances
}

/// Eager rebalancing stops the whole group; cooperative only moves what must move, and the
/// other members keep consuming during the rebalance.
#[test]
fn eager_stops_everyone_cooperative_keeps_consuming() {
    let scale_out = |assignor: &str| {
        seed_topology(
            r#"
[[timeline]]
at = "10s"
action = "add_instance"
group = "payment-service"
"#,
        )
        .replace(
            "instances = 3\nprocessing = \"exp(5ms)\"",
            &format!("instances = 3\nprocessing = \"exp(5ms)\"\nassignor = \"{assignor}\"\nrebalance_time = \"3s\""),
        )
    };
    // Window inside the rebalance (join at ~10s, completion ~13s).
    let eager = processed_during(&scale_out("sticky"), 0, 10_500_000, 12_500_000);
    assert!(
        eager.is_empty(),
        "eager members processed during the rebalance: {eager:?}"
    );
    let cooperative = processed_during(&scale_out("cooperative-sticky"), 0, 10_500_000, 12_500_000);
    assert_eq!(
        cooperative,
        vec![0, 1, 2],
        "cooperative members keep consuming"
    );
    for assignor in ["sticky", "cooperative-sticky", "roundrobin"] {
        let run = run_checked(&scale_out(assignor), None);
        let payment = owners(&run, "payment-service");
        assert_eq!(payment.len(), 4, "{assignor}");
        assert!(
            payment.values().all(|p| p.len() == 3),
            "{assignor}: {payment:?}"
        );
    }
    // Cooperative takes two rounds (revoke, then assign the freed partitions).
    let coop = run_checked(&scale_out("cooperative-sticky"), None);
    let group = coop.report.group("payment-service").unwrap();
    assert_eq!(group.rebalances, 2);
}

/// The web app's crash and restart buttons pass instance numbers from outside the engine, which
/// looks instances up without bounds checks (`engine::table`): numbers that name no instance
/// change nothing, where a real one does.
#[test]
fn crash_and_restart_ignore_instances_that_do_not_exist() {
    struct Collect(Vec<SimEvent>);
    impl Observer for Collect {
        fn on_event(&mut self, _: u64, event: &SimEvent, _: &World) {
            self.0.push(*event);
        }
    }
    let loaded = crate::support::load(&seed_topology(""));
    let mut simulation =
        evflow::Simulation::from_scenario(&loaded.scenario, None).expect("the scenario builds");
    simulation.step_until(5_000_000);
    let mut events = Collect(Vec::new());
    // Group 0 has instances 0..3; groups are 0 and 1.
    for (group, instance) in [(0, 3), (0, u16::MAX), (2, 0), (u16::MAX, 0)] {
        simulation.crash(group, instance, &mut events);
        simulation.restart(group, instance, &mut events);
    }
    assert!(events.0.is_empty(), "{:?}", events.0);
    simulation.crash(0, 1, &mut events);
    simulation.restart(0, 1, &mut events);
    // The restart rejoins at once, which starts a rebalance.
    assert_eq!(
        events.0[..2],
        [
            SimEvent::InstanceCrashed {
                group: 0,
                instance: 1
            },
            SimEvent::InstanceStarted {
                group: 0,
                instance: 1
            }
        ]
    );
}
