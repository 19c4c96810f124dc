//! The `evflow` binary (native only; the web app is a separate entry point).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// mimalloc rather than glibc's allocator. A run frees everything it allocated (logs, key
/// tables, histograms, series); glibc then hands the top of its heap back to the kernel, so
/// the next run of a sweep or a benchmark faults the same memory in again, about 100 pages
/// per run of the SimPy retry-topic scenario (`/usr/bin/time`: 2,746 minor faults for 21
/// runs, 706 for one). mimalloc keeps its pages: 164 faults for the 21 runs, and the run
/// took 0.975× the time (0.990× in blocking mode; alternating `evflow bench` rounds).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
