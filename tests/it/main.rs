//! evflow's integration tests: one binary, one module per behaviour.

mod support;

mod cli;
mod determinism;
mod errors;
mod golden;
mod kernel;
mod lag;
mod patterns;
mod properties;
mod rebalance;
mod redelivery;
mod seeking;
mod trace_lines;
