//! The `evflow` binary (native only; the web app is a separate entry point).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// mimalloc rather than glibc's allocator. A run frees everything it allocated (logs, key
/// tables, histograms, series); glibc then hands the top of its heap back to the kernel, so
/// the next run of a sweep or a benchmark faults the same memory in again: with glibc,
/// `evflow bench benches/scenarios/simpy-topics.toml` took 706 minor page faults for one run
/// and 2,746 for 21 (about 100 more per run, `/usr/bin/time`); with mimalloc 178 and 179,
/// none per run. Alternating `evflow bench` rounds against the glibc build: 0.979× the time
/// in the SimPy retry-topic run, 0.986× in blocking mode, 0.983× for the 1M pipeline.
/// Only the binary sets it: the library, its tests and the criterion benches keep the
/// system allocator.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
