//! `evflow sweep` (many seeds in parallel, percentiles of key metrics, pass rates of checks)
//! and `evflow bench` (median wall time and records/s of a scenario).

use super::{load_or_report, OutputFormat};
use anyhow::{bail, Context, Result};
use evflow::report::{run, Report, RunOptions};
use evflow::scenario::expect::{Check, Unit};
use evflow::time::human_micros;
use rayon::prelude::*;
use std::time::Instant;

/// Parses `A..B` (inclusive) or `a,b,c`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    if let Some((a, b)) = text.split_once("..") {
        let a: u64 = a.trim().parse().context("the start of --seeds")?;
        let b: u64 = b
            .trim()
            .trim_start_matches('=')
            .parse()
            .context("the end of --seeds")?;
        if b < a {
            bail!("--seeds {text}: the range ends before it starts");
        }
        if b - a >= 1_000_000 {
            bail!("--seeds {text}: at most 1000000 seeds");
        }
        return Ok((a..=b).collect());
    }
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .with_context(|| format!("seed \"{s}\""))
        })
        .collect()
}

/// One measured quantity across the runs.
#[derive(serde::Serialize)]
struct Distribution {
    metric: String,
    unit: &'static str,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    /// For [expect] checks: the share of runs in which it held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pass_rate: Option<f64>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The default metrics of a sweep: per group max lag and p99 latency, plus the run's counters.
fn default_checks(report: &Report) -> Vec<Check> {
    let groups: Vec<&str> = report.groups.iter().map(|g| g.name.as_str()).collect();
    let mut texts: Vec<String> = Vec::new();
    for g in &groups {
        texts.push(format!("max_lag({g}) >= 0"));
        texts.push(format!("p99_latency({g}) >= 0s"));
    }
    for metric in [
        "lost",
        "duplicates",
        "dead_lettered",
        "double_charges",
        "out_of_order",
        "rebalances",
    ] {
        texts.push(format!("{metric} >= 0"));
    }
    texts
        .iter()
        .filter_map(|t| Check::parse(t, &groups, &[], &[]).ok())
        .collect()
}

pub fn sweep_command(
    file: &str,
    seeds: &str,
    jobs: Option<usize>,
    format: OutputFormat,
) -> Result<i32> {
    let Some(loaded) = load_or_report(file) else {
        return Ok(2);
    };
    let seeds = parse_seeds(seeds)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let started = Instant::now();
    let reports: Vec<Report> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let options = RunOptions {
                    seed: Some(seed),
                    ..RunOptions::default()
                };
                run(&loaded.scenario, &options).map(|r| r.report)
            })
            .collect::<std::result::Result<Vec<_>, _>>()
    })?;
    let wall = started.elapsed().as_secs_f64();
    let Some(first) = reports.first() else {
        bail!("no seeds to run");
    };
    let mut rows = Vec::new();
    let mut measure = |check: &Check, is_expect: bool| {
        let mut values: Vec<f64> = reports.iter().map(|r| check.measure(r)).collect();
        values.sort_by(f64::total_cmp);
        let passes = reports.iter().filter(|r| check.evaluate(r).passed).count();
        rows.push(Distribution {
            metric: if is_expect {
                check.text.clone()
            } else {
                check_label(check)
            },
            unit: match check.unit {
                Unit::Count => "count",
                Unit::Duration => "us",
            },
            p50: percentile(&values, 0.5),
            p90: percentile(&values, 0.9),
            p99: percentile(&values, 0.99),
            max: values.last().copied().unwrap_or(f64::NAN),
            pass_rate: is_expect.then(|| passes as f64 / reports.len() as f64),
        });
    };
    for check in &loaded.checks {
        measure(check, true);
    }
    for check in default_checks(first) {
        measure(&check, false);
    }
    match format {
        OutputFormat::Json => {
            let out = serde_json::json!({
                "scenario": file,
                "runs": reports.len(),
                "wall_seconds": wall,
                "metrics": rows,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        OutputFormat::Table => {
            println!(
                "{} runs of {file} in {wall:.2}s wall clock ({} seeds from {})",
                reports.len(),
                seeds.len(),
                seeds[0]
            );
            println!();
            let show = |d: &Distribution, v: f64| {
                if d.unit == "us" {
                    human_micros(v.max(0.0) as u64)
                } else {
                    format!("{v}")
                }
            };
            let width = rows
                .iter()
                .map(|r| r.metric.len())
                .max()
                .unwrap_or(6)
                .max(6);
            println!(
                "{:width$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>9}",
                "METRIC", "P50", "P90", "P99", "MAX", "HOLDS"
            );
            for d in &rows {
                println!(
                    "{:width$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>9}",
                    d.metric,
                    show(d, d.p50),
                    show(d, d.p90),
                    show(d, d.p99),
                    show(d, d.max),
                    d.pass_rate
                        .map_or(String::new(), |r| format!("{:.1}%", r * 100.0))
                );
            }
        }
    }
    Ok(0)
}

fn check_label(check: &Check) -> String {
    match &check.argument {
        Some(arg) => format!("{}({arg})", check.metric),
        None => check.metric.clone(),
    }
}

pub fn bench_command(file: &str, repeat: usize, json: bool) -> Result<i32> {
    let Some(loaded) = load_or_report(file) else {
        return Ok(2);
    };
    let options = RunOptions::default();
    let warm = run(&loaded.scenario, &options)?;
    let mut walls = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let again = run(&loaded.scenario, &options)?;
        walls.push(started.elapsed().as_secs_f64());
        if again.report.trace_hash != warm.report.trace_hash {
            bail!("nondeterminism: two runs of {file} gave different trace hashes");
        }
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    let records = warm.report.counters.produced as f64;
    let events = warm.report.counters.kernel_events as f64;
    if json {
        let out = serde_json::json!({
            "scenario": file,
            "repeat": walls.len(),
            "median_seconds": median,
            "min_seconds": walls[0],
            "records": records,
            "records_per_second": records / median,
            "kernel_events_per_second": events / median,
            "trace_hash": warm.report.trace_hash,
        });
        println!("{out}");
    } else {
        println!(
            "{file}: {} records, {} kernel events; median {:.4}s (min {:.4}s) over {} runs => {:.0} records/s, {:.0} kernel events/s",
            records,
            events,
            median,
            walls[0],
            walls.len(),
            records / median,
            events / median
        );
    }
    Ok(0)
}
