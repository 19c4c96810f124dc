//! The web app's model of one simulation run, with no DOM in it: the scenario text (the single
//! source of truth), the engine (`Simulation` + `Recorder`), checkpoints for seeking, and the
//! events the flow view animates.
//!
//! Everything the UI shows is read from here; nothing here simulates. Time only moves through
//! `Simulation::step_due_with` / `step_until_with`, so a run in the page is the run `evflow
//! run` makes for the same text and seed (the same trace hash).
//!
//! Interactive actions (crash, restart, add an instance) are appended to the scenario text as
//! `[[timeline]]` tables at the current time; the simulation is rebuilt from that text and
//! replayed to the same moment. The exported file therefore replays the session exactly.

use crate::engine::world::{InstanceState, World};
use crate::engine::{EntityWrites, Simulation};
use crate::metrics::{LatencyTally, Series};
use crate::observer::{Observer, SimEvent};
use crate::report::{run, summarize, Recorder, Report, RunOptions};
use crate::scenario::model::ActionKind;
use crate::scenario::{load_str, Scenario, ScenarioError};
use crate::time::{SimTime, MILLIS};

/// The file name scenario text typed in the page is reported under (`scenario.toml:3:7: ...`).
pub const FILE_NAME: &str = "scenario.toml";

/// Sizes the page accepts (the CLI has no such limits: it does not draw).
pub mod limits {
    /// Scenario text size in bytes.
    pub const TEXT_BYTES: usize = 512 * 1024;
    /// Partitions over all topics (each is a lane on the canvas and rows in the table).
    pub const PARTITIONS: u32 = 2_000;
    /// Consumer instances over all groups.
    pub const INSTANCES: u32 = 500;
    /// Checkpoints kept for seeking (thinned by half when full). One is taken every
    /// 1/`CHECKPOINTS` of the simulated duration, so a run that is not thinned clones the
    /// simulation this many times and a seek replays at most 1/64 of the run.
    pub const CHECKPOINTS: usize = 64;
    /// Kernel steps after which a checkpoint is taken even before its time has come: a
    /// stretch of simulated time much busier than the average (a burst) still gets its
    /// checkpoints. Twice the average steps per checkpoint so far, at least this.
    pub const CHECKPOINT_STEPS: u64 = 20_000;
    /// Estimated memory all checkpoints together may hold (a run whose consumers fall far
    /// behind keeps many records in memory; its checkpoints are thinned sooner).
    pub const CHECKPOINT_BYTES: usize = 256 << 20;
    /// Flow events buffered for the animation between two frames.
    pub const FLOW_EVENTS: usize = 20_000;
}

/// Why a scenario was not loaded. The page shows it and keeps the last good scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// Parse or validation error, located in the text.
    Scenario(Box<ScenarioError>),
    /// Valid, but the engine could not build it.
    Build(String),
    /// Valid, but too large to show in a page.
    TooLarge(String),
}

impl LoadError {
    /// The one-paragraph message (`scenario.toml:12:5: error in ...`), with hint.
    pub fn message(&self) -> String {
        match self {
            LoadError::Scenario(e) => {
                let mut text = e.short();
                if let Some(hint) = &e.hint {
                    text.push_str(&format!("\nhint: {hint}"));
                }
                text
            }
            LoadError::Build(m) => format!("cannot build the simulation: {m}"),
            LoadError::TooLarge(m) => m.clone(),
        }
    }

    /// The 1-based `(line, column)` the error points at, if it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            LoadError::Scenario(e) if e.line > 0 => Some((e.line, e.column)),
            _ => None,
        }
    }
}

/// An action a person takes in the page; recorded as a `[[timeline]]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    /// Crash an instance (no goodbye).
    Crash { group: u16, instance: u16 },
    /// Restart a crashed or stopped instance.
    Restart { group: u16, instance: u16 },
    /// Stop an instance cleanly.
    Stop { group: u16, instance: u16 },
    /// Add an instance to a group.
    AddInstance { group: u16 },
    /// Re-publish a group's dead-letter records to their original topic.
    ReplayDlq { group: u16 },
    /// Pause a producer.
    PauseProducer { producer: u16 },
    /// Resume a paused producer.
    ResumeProducer { producer: u16 },
    /// Crash a producer's outbox relay.
    CrashRelay { producer: u16 },
    /// Crash a producer's CDC connector.
    CrashConnector { producer: u16 },
    /// A downstream dependency goes down.
    OutageStart { dependency: u16 },
    /// The dependency comes back.
    OutageEnd { dependency: u16 },
}

/// A value of a recorded `[[timeline]]` field.
enum Field {
    Text(String),
    Number(u16),
}

impl UserAction {
    fn kind(self) -> ActionKind {
        match self {
            UserAction::Crash { .. } => ActionKind::Crash,
            UserAction::Restart { .. } => ActionKind::Restart,
            UserAction::Stop { .. } => ActionKind::Stop,
            UserAction::AddInstance { .. } => ActionKind::AddInstance,
            UserAction::ReplayDlq { .. } => ActionKind::ReplayDlq,
            UserAction::PauseProducer { .. } => ActionKind::PauseProducer,
            UserAction::ResumeProducer { .. } => ActionKind::ResumeProducer,
            UserAction::CrashRelay { .. } => ActionKind::CrashRelay,
            UserAction::CrashConnector { .. } => ActionKind::CrashConnector,
            UserAction::OutageStart { .. } => ActionKind::OutageStart,
            UserAction::OutageEnd { .. } => ActionKind::OutageEnd,
        }
    }

    /// The action's fields after `at` and `action`, by scenario names.
    fn fields(self, scenario: &Scenario) -> Option<Vec<(&'static str, Field)>> {
        let group = |g: u16| {
            scenario
                .groups
                .get(g as usize)
                .map(|g| ("group", Field::Text(g.name.clone())))
        };
        let producer = |p: u16| {
            scenario
                .producers
                .get(p as usize)
                .map(|p| ("producer", Field::Text(p.name.clone())))
        };
        Some(match self {
            UserAction::Crash { group: g, instance }
            | UserAction::Restart { group: g, instance }
            | UserAction::Stop { group: g, instance } => {
                vec![group(g)?, ("instance", Field::Number(instance))]
            }
            UserAction::AddInstance { group: g } | UserAction::ReplayDlq { group: g } => {
                vec![group(g)?]
            }
            UserAction::PauseProducer { producer: p }
            | UserAction::ResumeProducer { producer: p }
            | UserAction::CrashRelay { producer: p }
            | UserAction::CrashConnector { producer: p } => vec![producer(p)?],
            UserAction::OutageStart { dependency } | UserAction::OutageEnd { dependency } => {
                vec![(
                    "dependency",
                    Field::Text(scenario.dependencies.get(dependency as usize)?.name.clone()),
                )]
            }
        })
    }

    /// A short description for notices ("crash payment-service-1").
    pub fn describe(self, world: &World) -> String {
        let instance = |g: u16, i: u16| {
            world
                .groups
                .get(g as usize)
                .and_then(|g| g.instances.get(i as usize))
                .map_or("?".into(), |i| i.name.clone())
        };
        let group = |g: u16| name_at(&world.groups, g, |g| &g.name);
        let producer = |p: u16| name_at(&world.producers, p, |p| &p.name);
        let dependency = |d: u16| name_at(&world.dependencies, d, |d| &d.name);
        match self {
            UserAction::Crash { group, instance: i } => format!("crash {}", instance(group, i)),
            UserAction::Restart { group, instance: i } => format!("restart {}", instance(group, i)),
            UserAction::Stop { group, instance: i } => format!("stop {}", instance(group, i)),
            UserAction::AddInstance { group: g } => format!("add an instance to {}", group(g)),
            UserAction::ReplayDlq { group: g } => format!("replay {}'s dead letters", group(g)),
            UserAction::PauseProducer { producer: p } => format!("pause {}", producer(p)),
            UserAction::ResumeProducer { producer: p } => format!("resume {}", producer(p)),
            UserAction::CrashRelay { producer: p } => {
                format!("crash {}'s outbox relay", producer(p))
            }
            UserAction::CrashConnector { producer: p } => {
                format!("crash {}'s CDC connector", producer(p))
            }
            UserAction::OutageStart { dependency: d } => format!("take {} down", dependency(d)),
            UserAction::OutageEnd { dependency: d } => format!("bring {} back", dependency(d)),
        }
    }
}

/// Measurements the engine's metrics do not keep as a time series yet: end-to-end latency
/// percentiles per window of simulated time. (Measured from observed events only.)
#[derive(Clone, Debug)]
pub struct UiMetrics {
    window: LatencyTally,
    window_start: SimTime,
    window_len: SimTime,
    /// `p50`, `p90`, `p99` latency (µs) per window.
    pub latency: Series,
}

impl UiMetrics {
    fn new(scenario: &Scenario) -> Self {
        let sample = scenario
            .sample_interval
            .map_or(100 * MILLIS, |d| d.0.micros().max(MILLIS));
        let window_len = sample
            .max(scenario.duration.0.micros() / 300)
            .max(250 * MILLIS);
        UiMetrics {
            window: LatencyTally::default(),
            window_start: 0,
            window_len,
            latency: Series::new(vec!["p50".into(), "p90".into(), "p99".into()]),
        }
    }

    fn close_window(&mut self, now: SimTime) {
        let row = if self.window.is_empty() {
            [0, 0, 0]
        } else {
            let h = self.window.histogram();
            [
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.9),
                h.value_at_quantile(0.99),
            ]
        };
        self.latency.offer(now, &row);
        self.window.reset();
        self.window_start = now;
    }
}

impl Observer for UiMetrics {
    fn on_event(&mut self, now: SimTime, event: &SimEvent, _: &World) {
        match *event {
            SimEvent::Processed {
                record,
                duplicate: false,
                ..
            } => {
                self.window
                    .record(now.saturating_sub(record.produced_at).max(1));
            }
            SimEvent::Sample if now >= self.window_start + self.window_len => {
                self.close_window(now)
            }
            _ => {}
        }
    }
}

/// What the flow view gets: the events worth animating, with their time.
pub type FlowEvent = (SimTime, SimEvent);

/// The observer the page attaches: the standard recorder (metrics, trace hash), the page's own
/// measurements, and optionally the animation buffer.
struct Tap<'a> {
    recorder: &'a mut Recorder,
    ui: &'a mut UiMetrics,
    flow: Option<&'a mut Vec<FlowEvent>>,
    dropped: &'a mut u64,
    visible: &'a mut u64,
    step_hit: &'a mut Option<u32>,
}

impl Observer for Tap<'_> {
    #[inline]
    fn on_event(&mut self, now: SimTime, event: &SimEvent, world: &World) {
        self.recorder.on_event(now, event, world);
        self.ui.on_event(now, event, world);
        if !matches!(event, SimEvent::Sample) {
            *self.visible += 1;
        }
        if let SimEvent::Narration { step } = *event {
            *self.step_hit = Some(step);
        }
        if let Some(flow) = self.flow.as_deref_mut() {
            if !matches!(event, SimEvent::Sample | SimEvent::Committed { .. }) {
                if flow.len() < limits::FLOW_EVENTS {
                    flow.push((now, *event));
                } else {
                    *self.dropped += 1;
                }
            }
        }
    }

    fn on_finish(&mut self, now: SimTime, world: &World) {
        self.recorder.on_finish(now, world);
        self.ui.on_finish(now, world);
    }
}

#[derive(Clone)]
///
/// The simulation is stored without its per-entity tables (they can be tens of megabytes and
/// random keys rewrite all of them between two checkpoints); `writes` holds what was written
/// to them since the previous checkpoint. A restore replays the writes of every checkpoint up
/// to it, or undoes or redoes those between the live run and it, whichever is fewer (see
/// `Session::move_entities_to` and `engine::key_table`).
struct Checkpoint {
    steps: u64,
    /// Estimated bytes (records held by the partition logs dominate).
    bytes: usize,
    sim: Simulation,
    recorder: Recorder,
    ui: UiMetrics,
    /// Per-entity writes (counters, keys' rows) since the previous checkpoint.
    writes: EntityWrites,
}

/// How an [`Session::advance`] call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The target time was reached.
    Reached,
    /// The step budget ran out first (call again next frame).
    Budget,
    /// A `[[step]]` with `pause = true` was reached (its index).
    PausedAtStep(u32),
}

/// One loaded scenario and its run.
pub struct Session {
    /// The scenario text (with the actions recorded in the page appended).
    pub text: String,
    /// The name the text is parsed under (`scenario.toml`, or an imported `*.json`).
    pub file: String,
    /// The parsed scenario.
    pub scenario: Scenario,
    /// The seed given instead of the scenario's, if any.
    pub seed_override: Option<u64>,
    /// The engine.
    pub sim: Simulation,
    /// Metrics and trace hash.
    pub recorder: Recorder,
    /// The page's extra series.
    pub ui: UiMetrics,
    checkpoints: Vec<Checkpoint>,
    /// How many checkpoints are kept before thinning ([`limits::CHECKPOINTS`]).
    checkpoint_capacity: usize,
    /// The checkpoint the live simulation's entity journal starts from (its writes since
    /// then are journaled; replaying past a later checkpoint drops what it already holds).
    journal_from: usize,
    /// Simulated time between two checkpoints (doubles when the list is thinned).
    checkpoint_every: SimTime,
    steps: u64,
    /// Events for the animation since the view last took them.
    pub flow: Vec<FlowEvent>,
    /// Whether `advance` collects flow events.
    pub collect_flow: bool,
    /// Flow events dropped because the buffer was full.
    pub flow_dropped: u64,
    step_hit: Option<u32>,
    visible: u64,
    /// How many actions were recorded in the page.
    pub recorded_actions: usize,
}

/// Parses and validates scenario text typed or passed in a page (up to
/// [`limits::TEXT_BYTES`]).
fn parse_text(text: &str, file: &str) -> Result<Scenario, LoadError> {
    if text.len() > limits::TEXT_BYTES {
        return Err(LoadError::TooLarge(format!(
            "The scenario is {} KB; the web app accepts up to {} KB. Run it with the CLI: evflow run {file}",
            text.len() / 1024,
            limits::TEXT_BYTES / 1024
        )));
    }
    load_str(text, file)
        .map(|loaded| loaded.scenario)
        .map_err(|e| LoadError::Scenario(Box::new(e)))
}

/// Runs scenario text once, to `until` (default: its end), and returns the report: what the
/// JS API's one-call `runScenario` needs. Unlike a [`Session`] it keeps no checkpoints and
/// journals no entity writes (nothing can seek back in it) and draws nothing, so it is the
/// plain run `evflow run --until` makes: the same report and trace hash, at the same cost,
/// and without the page's drawing limits.
pub fn run_text(
    text: &str,
    file: &str,
    seed: Option<u64>,
    until: Option<SimTime>,
) -> Result<Report, LoadError> {
    let scenario = parse_text(text, file)?;
    let options = RunOptions {
        seed,
        until,
        ..RunOptions::default()
    };
    run(&scenario, &options)
        .map(|done| done.report)
        .map_err(|e| LoadError::Build(e.to_string()))
}

impl Session {
    /// Parses, validates and builds `text` (named `file`), checking the page's size limits.
    pub fn load(text: &str, file: &str, seed: Option<u64>) -> Result<Session, LoadError> {
        let scenario = parse_text(text, file)?;
        let partitions: u32 = scenario.topics.iter().map(|t| t.partitions).sum();
        if partitions > limits::PARTITIONS {
            return Err(LoadError::TooLarge(format!(
                "The scenario has {partitions} partitions; the web app draws up to {}. Run it with the CLI: evflow run {file}",
                limits::PARTITIONS
            )));
        }
        let instances: u32 = scenario.groups.iter().map(|g| g.instances).sum();
        if instances > limits::INSTANCES {
            return Err(LoadError::TooLarge(format!(
                "The scenario has {instances} consumer instances; the web app draws up to {}. Run it with the CLI: evflow run {file}",
                limits::INSTANCES
            )));
        }
        let mut sim = Simulation::from_scenario(&scenario, seed)
            .map_err(|e| LoadError::Build(e.to_string()))?;
        sim.record_entity_writes();
        let recorder = Recorder::new(sim.world(), 0, false);
        let ui = UiMetrics::new(&scenario);
        let checkpoint_every = (sim.end() / limits::CHECKPOINTS as u64).max(1);
        let first = Checkpoint {
            steps: 0,
            bytes: CHECKPOINT_FIXED_BYTES,
            sim: sim.clone_without_entities(),
            recorder: recorder.clone(),
            ui: ui.clone(),
            writes: sim.take_entity_writes(),
        };
        Ok(Session {
            text: text.to_string(),
            file: file.to_string(),
            scenario,
            seed_override: seed,
            sim,
            recorder,
            ui,
            checkpoints: vec![first],
            checkpoint_capacity: limits::CHECKPOINTS,
            journal_from: 0,
            checkpoint_every,
            steps: 0,
            flow: Vec::new(),
            collect_flow: false,
            flow_dropped: 0,
            step_hit: None,
            visible: 0,
            recorded_actions: 0,
        })
    }

    /// The scenario's title (or a fallback).
    pub fn title(&self) -> String {
        self.scenario
            .name
            .clone()
            .unwrap_or_else(|| "Untitled scenario".into())
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.sim.world().seed
    }

    /// The world (read-only).
    pub fn world(&self) -> &World {
        self.sim.world()
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// The scenario's end.
    pub fn end(&self) -> SimTime {
        self.sim.end()
    }

    /// Whether the run reached its end.
    pub fn finished(&self) -> bool {
        self.sim.is_finished()
    }

    /// Kernel steps processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The trace hash so far (equal to `evflow run`'s once the run is at its end).
    pub fn trace_hash(&self) -> String {
        self.recorder.trace.hash.hex()
    }

    /// The report of the run so far (describe table, counters, latencies).
    pub fn report(&self) -> Report {
        summarize(
            &self.scenario.name.clone().unwrap_or_default(),
            &self.sim,
            &self.recorder,
        )
    }

    /// The narration step shown at time `t`: the last one at or before it.
    pub fn narration_at(&self, t: SimTime) -> Option<usize> {
        self.scenario
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.at.0.micros() <= t)
            .max_by_key(|(i, s)| (s.at.0.micros(), *i))
            .map(|(i, _)| i)
    }

    /// Advances the run towards `target` (capped at the end), processing at most `max_steps`
    /// kernel events. With `pause_at_steps`, stops right after a `[[step]]` that asks to pause.
    pub fn advance(&mut self, target: SimTime, max_steps: u64, pause_at_steps: bool) -> Advance {
        let target = target.min(self.sim.end());
        let mut taken = 0u64;
        loop {
            let mut tap = Tap {
                recorder: &mut self.recorder,
                ui: &mut self.ui,
                flow: if self.collect_flow {
                    Some(&mut self.flow)
                } else {
                    None
                },
                dropped: &mut self.flow_dropped,
                visible: &mut self.visible,
                step_hit: &mut self.step_hit,
            };
            let stepped = if taken < max_steps {
                self.sim.step_due_with(target, &mut tap)
            } else if matches!(self.sim.world().next_time(), Some(t) if t <= target) {
                return Advance::Budget;
            } else {
                false
            };
            if !stepped {
                if target > self.sim.now() || (target >= self.sim.end() && !self.sim.is_finished())
                {
                    self.sim.step_until_with(target, &mut tap);
                }
                return Advance::Reached;
            }
            taken += 1;
            self.steps += 1;
            self.pass_checkpoint();
            if let Some(step) = self.step_hit.take() {
                let pauses = self
                    .scenario
                    .steps
                    .get(step as usize)
                    .is_some_and(|s| s.pause);
                if pause_at_steps && pauses {
                    return Advance::PausedAtStep(step);
                }
            }
        }
    }

    /// Runs to `target` at once (no budget; for the JS API and tests).
    pub fn run_to(&mut self, target: SimTime) {
        self.restore_before(target.min(self.end()));
        while self.advance(target, u64::MAX, false) != Advance::Reached {}
    }

    /// Processes kernel events until one visible change happened (or the end).
    pub fn step_event(&mut self) {
        let before = self.visible;
        loop {
            match self.sim.world().next_time() {
                Some(next) if next <= self.end() => {
                    self.advance(next, 1, false);
                    if self.visible > before {
                        break;
                    }
                }
                _ => {
                    let end = self.end();
                    self.advance(end, 0, false);
                    break;
                }
            }
        }
    }

    /// Keeps at most `capacity` checkpoints (at least 3) before thinning them by half: tests
    /// use a small capacity to exercise thinning on short runs.
    pub fn set_checkpoint_capacity(&mut self, capacity: usize) {
        self.checkpoint_capacity = capacity.max(3);
    }

    /// How many checkpoints are held and their estimated bytes (records kept by the logs and
    /// the per-entity writes).
    pub fn checkpoint_footprint(&self) -> (usize, usize) {
        (
            self.checkpoints.len(),
            self.checkpoints.iter().map(|c| c.bytes).sum(),
        )
    }

    /// After a step: replaying through a stretch already checkpointed, drops the entity
    /// writes the next checkpoint already holds; at the frontier, takes a checkpoint when due.
    fn pass_checkpoint(&mut self) {
        match self.checkpoints.get(self.journal_from + 1) {
            Some(next) => {
                if self.steps >= next.steps {
                    self.sim.take_entity_writes();
                    self.journal_from += 1;
                }
            }
            None => self.maybe_checkpoint(),
        }
    }

    fn maybe_checkpoint(&mut self) {
        let (frontier_steps, frontier_time) = self
            .checkpoints
            .last()
            .map_or((0, 0), |c| (c.steps, c.sim.now()));
        // Average steps per interval so far (none yet: the floor alone applies).
        let average_steps =
            frontier_steps / (self.checkpoints.len() as u64).saturating_sub(1).max(1);
        let due_by_time = self.sim.now() >= frontier_time.saturating_add(self.checkpoint_every);
        let due_by_steps = self.steps
            >= frontier_steps + limits::CHECKPOINT_STEPS.max(average_steps.saturating_mul(2));
        if !due_by_time && !due_by_steps {
            return;
        }
        let writes = self.sim.take_entity_writes();
        let bytes = footprint(
            self.sim.world(),
            self.checkpoints.last().map(|c| c.sim.world()),
            &writes,
        );
        self.checkpoints.push(Checkpoint {
            steps: self.steps,
            bytes,
            sim: self.sim.clone_without_entities(),
            recorder: self.recorder.clone(),
            ui: self.ui.clone(),
            writes,
        });
        // Thin by half (keeping the first) when there are too many or they hold too much. The
        // writes of a dropped checkpoint go to the next one kept.
        while self.checkpoints.len() > 2
            && (self.checkpoints.len() >= self.checkpoint_capacity
                || self.checkpoints.iter().map(|c| c.bytes).sum::<usize>()
                    > limits::CHECKPOINT_BYTES)
        {
            let old = std::mem::take(&mut self.checkpoints);
            let last = old.len() - 1;
            let mut carried: Option<(EntityWrites, usize)> = None;
            for (i, mut checkpoint) in old.into_iter().enumerate() {
                if let Some((earlier, bytes)) = carried.take() {
                    checkpoint.writes = concat_writes(earlier, checkpoint.writes);
                    checkpoint.bytes += bytes.saturating_sub(CHECKPOINT_FIXED_BYTES);
                }
                // Keep even indexes and always the newest (the journal continues from it).
                if i % 2 == 0 || i == last {
                    self.checkpoints.push(checkpoint);
                } else {
                    carried = Some((checkpoint.writes, checkpoint.bytes));
                }
            }
            self.checkpoint_every = self.checkpoint_every.saturating_mul(2);
        }
        self.journal_from = self.checkpoints.len() - 1;
    }

    /// Restores the latest checkpoint at or before `t` (used to seek backwards, or forwards
    /// over an already-computed stretch).
    fn restore_before(&mut self, t: SimTime) {
        let Some(index) = self
            .checkpoints
            .iter()
            .rposition(|c| c.sim.now() <= t && !(c.sim.is_finished() && c.sim.now() > t))
        else {
            return;
        };
        let cp = &self.checkpoints[index];
        if t < self.now() || cp.steps > self.steps {
            let mut sim = cp.sim.clone();
            self.move_entities_to(&mut sim, index);
            self.sim = sim;
            let cp = &self.checkpoints[index];
            self.recorder = cp.recorder.clone();
            self.ui = cp.ui.clone();
            self.steps = cp.steps;
            self.step_hit = None;
            self.journal_from = index;
        }
    }

    /// Gives `restored` (a clone of checkpoint `index`, without entity tables) the tables as
    /// they were at that checkpoint, the cheaper way: either take the live tables and undo or
    /// redo the journaled writes between the live run and the checkpoint (a seek near the
    /// current time costs little), or rebuild them from every write up to the checkpoint.
    fn move_entities_to(&mut self, restored: &mut Simulation, index: usize) {
        let live = self.sim.take_entity_writes();
        let from = self.journal_from;
        let count = |stretches: &[Checkpoint]| -> usize {
            stretches.iter().map(|c| write_count(&c.writes)).sum()
        };
        let between = if index < from {
            &self.checkpoints[index + 1..=from]
        } else {
            &self.checkpoints[from + 1..=index]
        };
        let incremental = write_count(&live) + count(between);
        if incremental <= count(&self.checkpoints[..=index]) {
            restored.put_entity_tables(self.sim.take_entity_tables());
            restored.undo_entity_writes(std::iter::once(&live));
            if index < from {
                restored.undo_entity_writes(between.iter().rev().map(|c| &c.writes));
            } else {
                restored.apply_entity_writes(between.iter().map(|c| &c.writes));
            }
        } else {
            restored.rebuild_entities(self.checkpoints[..=index].iter().map(|c| &c.writes));
        }
        restored.record_entity_writes();
    }

    /// Moves to time `t`: restores a checkpoint when useful, then replays with a budget.
    /// Returns `Reached` when there; otherwise call [`Session::advance`] again next frame.
    pub fn seek(&mut self, t: SimTime, max_steps: u64) -> Advance {
        let t = t.min(self.end());
        self.restore_before(t);
        self.flow.clear();
        let collect = std::mem::replace(&mut self.collect_flow, false);
        let result = self.advance(t, max_steps, false);
        self.collect_flow = collect;
        result
    }

    /// Rebuilds the run from the current text (time 0), e.g. after a seed change.
    pub fn restart(&mut self, seed: Option<u64>) -> Result<(), LoadError> {
        let mut fresh = Session::load(&self.text, &self.file, seed)?;
        fresh.collect_flow = self.collect_flow;
        fresh.recorded_actions = self.recorded_actions;
        *self = fresh;
        Ok(())
    }

    /// Whether `action` makes sense now (e.g. only a running instance can crash).
    pub fn can(&self, action: UserAction) -> bool {
        use crate::engine::world::Publisher;
        let world = self.world();
        let instance = |g: u16, i: u16| {
            world
                .groups
                .get(g as usize)
                .and_then(|g| g.instances.get(i as usize))
        };
        let producer = |p: u16| world.producers.get(p as usize);
        match action {
            UserAction::AddInstance { group } => world
                .groups
                .get(group as usize)
                .is_some_and(|g| g.instances.len() < limits::INSTANCES as usize),
            UserAction::Crash { group, instance: i } | UserAction::Stop { group, instance: i } => {
                instance(group, i).is_some_and(|i| i.state == InstanceState::Running)
            }
            UserAction::Restart { group, instance: i } => {
                instance(group, i).is_some_and(|i| i.state != InstanceState::Running)
            }
            UserAction::ReplayDlq { group } => self.has_dead_letters(group),
            UserAction::PauseProducer { producer: p } => producer(p).is_some_and(|p| !p.paused),
            UserAction::ResumeProducer { producer: p } => producer(p).is_some_and(|p| p.paused),
            UserAction::CrashRelay { producer: p } => {
                producer(p).is_some_and(|p| matches!(p.publisher, Publisher::Outbox(_)))
            }
            UserAction::CrashConnector { producer: p } => {
                producer(p).is_some_and(|p| matches!(p.publisher, Publisher::Cdc(_)))
            }
            UserAction::OutageStart { dependency } => world
                .dependencies
                .get(dependency as usize)
                .is_some_and(|d| !d.down),
            UserAction::OutageEnd { dependency } => world
                .dependencies
                .get(dependency as usize)
                .is_some_and(|d| d.down),
        }
    }

    /// Whether group `group` sends failed records to a dead-letter topic.
    pub fn has_dead_letters(&self, group: u16) -> bool {
        self.scenario
            .groups
            .get(group as usize)
            .and_then(|g| g.handler.as_ref())
            .is_some_and(|h| {
                h.dead_letter.unwrap_or(h.retry.is_some()) || h.dead_letter_topic.is_some()
            })
    }

    /// Records `action` at the current time (rounded down to the millisecond) as a
    /// `[[timeline]]` table in the text, rebuilds, and starts replaying to that moment.
    /// Returns the time of the action; the caller keeps calling [`Session::seek`] until reached.
    pub fn record(&mut self, action: UserAction) -> Result<SimTime, LoadError> {
        if !self.can(action) {
            return Err(LoadError::Build("that action does not apply now".into()));
        }
        let at = self.now() / MILLIS * MILLIS;
        let fields = action
            .fields(&self.scenario)
            .ok_or_else(|| LoadError::Build("that action names nothing in the scenario".into()))?;
        let text = if crate::scenario::Format::from_file_name(&self.file)
            == crate::scenario::Format::Json
        {
            let mut doc: serde_json::Value =
                serde_json::from_str(&self.text).map_err(|e| LoadError::Build(e.to_string()))?;
            let mut entry = serde_json::json!({
                "at": crate::time::Duration(at).to_string(),
                "action": action.kind().name(),
            });
            for (key, value) in fields {
                entry[key] = match value {
                    Field::Text(t) => t.into(),
                    Field::Number(n) => n.into(),
                };
            }
            match doc.get_mut("timeline").and_then(|t| t.as_array_mut()) {
                Some(list) => list.push(entry),
                None => doc["timeline"] = serde_json::Value::Array(vec![entry]),
            }
            serde_json::to_string_pretty(&doc).map_err(|e| LoadError::Build(e.to_string()))?
        } else {
            let mut text = self.text.clone();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!(
                "\n[[timeline]]  # recorded in the web app\nat = \"{}\"\naction = \"{}\"\n",
                crate::time::Duration(at),
                action.kind().name()
            ));
            for (key, value) in fields {
                match value {
                    Field::Text(t) => {
                        text.push_str(&format!("{key} = {}\n", toml::Value::String(t)))
                    }
                    Field::Number(n) => text.push_str(&format!("{key} = {n}\n")),
                }
            }
            text
        };
        let mut fresh = Session::load(&text, &self.file, self.seed_override)?;
        fresh.collect_flow = self.collect_flow;
        fresh.recorded_actions = self.recorded_actions + 1;
        *self = fresh;
        Ok(at)
    }
}

/// The name of entity `index` in `items`, or "?" for an index the world does not have.
fn name_at<T>(items: &[T], index: u16, name: fn(&T) -> &String) -> String {
    items
        .get(index as usize)
        .map_or_else(|| "?".into(), |item| name(item).clone())
}

/// How many entity writes a stretch holds.
fn write_count(writes: &EntityWrites) -> usize {
    writes.iter().map(Vec::len).sum()
}

/// Bytes a checkpoint's entity writes hold.
fn writes_bytes(writes: &EntityWrites) -> usize {
    write_count(writes) * std::mem::size_of::<crate::engine::key_table::EntityWrite>()
}

/// The writes of two consecutive stretches, in order.
fn concat_writes(mut earlier: EntityWrites, later: EntityWrites) -> EntityWrites {
    for (first, second) in earlier.iter_mut().zip(later) {
        first.extend(second);
    }
    earlier
}

/// The fixed part of a checkpoint's estimated size: groups, histograms, id sets, the queue.
const CHECKPOINT_FIXED_BYTES: usize = 1 << 20;

/// A rough size of what a checkpoint of `world` adds: the log records it keeps alive that the
/// previous checkpoint (`before`) does not share (per partition, records appended since then
/// and still in memory, and at least its own copy of the chunk being filled), its entity
/// writes, and a fixed part for the rest.
fn footprint(world: &World, before: Option<&World>, writes: &EntityWrites) -> usize {
    let logs = |w: &World| {
        w.topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .map(|p| p.end_offset())
            .collect::<Vec<_>>()
    };
    let previous_ends = before.map(logs).unwrap_or_default();
    let records: u64 = world
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter())
        .enumerate()
        .map(|(i, log)| {
            let previous_end = previous_ends.get(i).copied().unwrap_or(0);
            (log.in_memory() as u64)
                .min(log.end_offset().saturating_sub(previous_end))
                .max(log.tail_records() as u64)
        })
        .sum();
    records as usize * std::mem::size_of::<crate::kafka::log::Record>()
        + writes_bytes(writes)
        + CHECKPOINT_FIXED_BYTES
}
