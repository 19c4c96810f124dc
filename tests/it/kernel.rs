//! The kernel: (time, sequence) ordering and step / step_until semantics.

use crate::support::{load, seed_topology};
use evflow::engine::queue::EventQueue;
use evflow::engine::world::World;
use evflow::observer::{Observer, SimEvent};
use evflow::Simulation;

#[test]
fn equal_times_pop_in_insertion_order() {
    let mut queue = EventQueue::default();
    for (time, label) in [(5, "a"), (1, "b"), (5, "c"), (1, "d"), (3, "e")] {
        queue.schedule(time, label);
    }
    let order: Vec<&str> = std::iter::from_fn(|| queue.pop()).map(|(_, l)| l).collect();
    assert_eq!(order, ["b", "d", "e", "a", "c"]);
}

/// Records event times to check the clock never goes backwards.
struct Clock(Vec<u64>);
impl Observer for Clock {
    fn on_event(&mut self, now: u64, _: &SimEvent, _: &World) {
        self.0.push(now);
    }
}

#[test]
fn time_never_goes_backwards_and_step_until_stops_on_time() {
    let loaded = load(&seed_topology(""));
    let mut simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    let mut clock = Clock(Vec::new());
    simulation.step_until_with(5_000_000, &mut clock);
    assert_eq!(simulation.now(), 5_000_000);
    assert!(clock.0.iter().all(|&t| t <= 5_000_000));
    assert!(!simulation.is_finished());
    let before = clock.0.len();
    assert!(simulation.step_with(&mut clock));
    assert!(clock.0.len() >= before);
    simulation.step_until_with(u64::MAX, &mut clock);
    assert!(simulation.is_finished());
    assert_eq!(simulation.now(), simulation.end());
    assert!(clock.0.windows(2).all(|w| w[0] <= w[1]));
    // Stepping a finished simulation does nothing.
    assert!(!simulation.step_with(&mut clock));
}

#[test]
fn stepping_in_slices_equals_one_run() {
    let loaded = load(&seed_topology(""));
    let whole = evflow::run(&loaded.scenario, &Default::default()).unwrap();
    let mut simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    let mut recorder = evflow::report::Recorder::new(simulation.world(), 0, false);
    let mut t = 0;
    while !simulation.is_finished() {
        t += 777_777;
        simulation.step_until_with(t, &mut recorder);
    }
    let sliced = evflow::report::summarize("", &simulation, &recorder);
    assert_eq!(sliced.trace_hash, whole.report.trace_hash);
    assert_eq!(sliced.counters, whole.report.counters);
}
