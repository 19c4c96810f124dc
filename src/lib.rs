//! evflow: a deterministic simulator of event-driven architectures.
//!
//! Scenario file → validated model ([`scenario`]) → deterministic discrete-event engine
//! ([`engine`], with the Kafka model in [`kafka`]) → metrics, trace and assertions
//! ([`metrics`], [`trace`], [`invariants`], [`report`]). The core has no I/O and no wall clock:
//! the same scenario and seed give the same trace everywhere. [`session`] is an interactive
//! run (checkpoints, seeking, timeline actions) with no DOM: the web app and the JS API drive
//! it, and native benchmarks and tests measure it directly.

pub mod backoff;
pub mod distribution;
pub mod engine;
pub mod invariants;
pub mod kafka;
pub mod metrics;
pub mod observer;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod session;
pub mod time;
pub mod trace;

pub use engine::Simulation;
pub use report::{run, Report, RunOptions};
pub use scenario::{load_str, Scenario, ScenarioError};
#[cfg(target_arch = "wasm32")]
pub mod web;
