//! The `evflow` command line: the edge where files, terminals and exit codes live. The library
//! does the work; this module parses arguments, reads files and prints.

mod output;
mod sweep;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use evflow::backoff::{delays, ExponentialBackOff, FixedBackOff, MAX_CLI_DELAYS, UNLIMITED};
use evflow::kafka::assignor::{self, AssignorKind, Subscription, TopicPartition};
use evflow::kafka::partitioner::{murmur2, partition_for_key};
use evflow::report::{run_with_progress, RunOptions};
use evflow::scenario::{self, Loaded};
use evflow::time::{parse_duration, SECONDS};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};

/// evflow: a deterministic simulator of Kafka-style event-driven systems.
#[derive(Parser, Debug)]
#[command(name = "evflow", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats of `run`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable tables.
    Table,
    /// One JSON document.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and print the consumer-groups table, counters, latencies and trace hash.
    #[command(
        after_help = "Example:\n  evflow run scenarios/seed-topology.toml --seed 7 --until 30s\n  evflow run scenarios/seed-topology.toml --format json > report.json"
    )]
    Run {
        /// The scenario file (TOML, or JSON if it ends in .json).
        file: String,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time instead of the scenario's duration (e.g. 30s).
        #[arg(long)]
        until: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Write the first N trace events as JSON lines to this file.
        #[arg(long)]
        trace: Option<String>,
        /// How many trace lines to keep with --trace.
        #[arg(long, default_value_t = 100_000)]
        trace_limit: usize,
        /// Check the model's invariants during the run (slower); exit 1 on a violation.
        #[arg(long)]
        check_invariants: bool,
        /// Print a CSV of the sampled series (lag per group/partition, throughput) to this file.
        #[arg(long)]
        series: Option<String>,
    },
    /// Validate and run scenarios, evaluate their [expect] checks; exit 1 if any fails.
    #[command(after_help = "Example:\n  evflow check scenarios/*.toml")]
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Override the scenarios' seeds.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Show which partition each key lands on (Kafka's murmur2 partitioner).
    #[command(
        after_help = "Example:\n  evflow partition --partitions 12 order-1 order-2 order-98765\n  evflow partition --partitions 12 --json --key-hex 00ff10"
    )]
    Partition {
        /// Number of partitions.
        #[arg(long)]
        partitions: u32,
        /// Print JSON: [{"key": .., "murmur2": <i32>, "partition": ..}].
        #[arg(long)]
        json: bool,
        /// A key given as hex bytes (repeatable).
        #[arg(long = "key-hex")]
        key_hex: Vec<String>,
        /// Keys (UTF-8).
        keys: Vec<String>,
    },
    /// Compute a consumer-group assignment; reads JSON on stdin.
    #[command(
        after_help = "Example:\n  echo '{\"assignor\":\"range\",\"partitions_per_topic\":{\"t1\":6},\"members\":{\"c1\":{\"topics\":[\"t1\"]},\"c2\":{\"topics\":[\"t1\"]}}}' | evflow assign\n  prints {\"c1\":[\"t1-0\",\"t1-1\",\"t1-2\"],\"c2\":[\"t1-3\",\"t1-4\",\"t1-5\"]}\n\nMembers may carry \"owned\":[\"t1-0\"] and \"generation\":1 (sticky assignors). For\ncooperative-sticky the first-round assignment is printed: partitions that change owner are\nwithheld until the owner has revoked them.\nWith --explain, each partition's reason is printed too."
    )]
    Assign {
        /// Also explain why each partition went to its owner.
        #[arg(long)]
        explain: bool,
    },
    /// Run a scenario over many seeds (in parallel) and print percentiles of its key metrics
    /// and how often each [expect] check holds.
    #[command(
        after_help = "Example:\n  evflow sweep scenarios/retries-dlq.toml --seeds 1..200\n  evflow sweep scenarios/seed-topology.toml --seeds 1..1000 --jobs 2 --format json"
    )]
    Sweep {
        /// The scenario file.
        file: String,
        /// Seeds as a range `A..B` (inclusive) or a comma list.
        #[arg(long, default_value = "1..100")]
        seeds: String,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Time a scenario: run it several times, print the median wall time and records/s.
    #[command(
        after_help = "Example:\n  evflow bench benches/scenarios/simpy-blocking.toml --repeat 5"
    )]
    Bench {
        /// The scenario file.
        file: String,
        /// How many timed runs (after one warm-up).
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the scenario format (for editor completion).
    #[command(after_help = "Example:\n  evflow schema > evflow-scenario.schema.json")]
    Schema,
    /// Print the delays of a Spring ExponentialBackOff (or FixedBackOff) policy.
    #[command(
        after_help = "Example:\n  evflow backoff --initial 1s --multiplier 2 --max-interval 10s --max-attempts 6\n  evflow backoff --initial 1s --multiplier 2 --max-elapsed 10s --json\n  evflow backoff --fixed 500ms --max-attempts 9"
    )]
    Backoff {
        /// The first interval (Spring's initialInterval; default 2s).
        #[arg(long)]
        initial: Option<String>,
        /// The growth factor (default 1.5).
        #[arg(long)]
        multiplier: Option<f64>,
        /// Cap of one interval (default 30s).
        #[arg(long)]
        max_interval: Option<String>,
        /// Stop once this much back-off time has accumulated (checked before adding the next).
        #[arg(long)]
        max_elapsed: Option<String>,
        /// Stop after this many retries.
        #[arg(long)]
        max_attempts: Option<u64>,
        /// A FixedBackOff of this interval instead.
        #[arg(long, conflicts_with_all = ["initial", "multiplier", "max_interval", "max_elapsed"])]
        fixed: Option<String>,
        /// Print {"delays_ms":[...],"stops":true|false}.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            2
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run {
            file,
            seed,
            until,
            format,
            trace,
            trace_limit,
            check_invariants,
            series,
        } => {
            let until = until
                .map(|u| parse_duration(&u).map(|d| d.micros()))
                .transpose()
                .context("--until")?;
            run_command(
                &file,
                seed,
                until,
                format,
                trace.as_deref(),
                trace_limit,
                check_invariants,
                series.as_deref(),
            )
        }
        Command::Check { files, seed } => check_command(&files, seed),
        Command::Partition {
            partitions,
            json,
            key_hex,
            keys,
        } => partition_command(partitions, json, &key_hex, &keys),
        Command::Assign { explain } => assign_command(explain),
        Command::Sweep {
            file,
            seeds,
            jobs,
            format,
        } => sweep::sweep_command(&file, &seeds, jobs, format),
        Command::Bench { file, repeat, json } => sweep::bench_command(&file, repeat, json),
        Command::Schema => {
            println!("{}", scenario::json_schema());
            Ok(0)
        }
        Command::Backoff {
            initial,
            multiplier,
            max_interval,
            max_elapsed,
            max_attempts,
            fixed,
            json,
        } => backoff_command(
            initial,
            multiplier,
            max_interval,
            max_elapsed,
            max_attempts,
            fixed,
            json,
        ),
    }
}

/// Reads and validates a scenario file; a scenario error is printed as is (it already names
/// the file, line and column).
pub(crate) fn load(file: &str) -> std::result::Result<Loaded, String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        scenario::ScenarioError::io(file, format!("cannot read the file: {e}")).to_string()
    })?;
    scenario::load_str(&text, file).map_err(|e| e.to_string())
}

/// [`load`] for commands that stop on a bad scenario: prints the error to stderr and gives
/// `None` (the command then exits with status 2).
pub(crate) fn load_or_report(file: &str) -> Option<Loaded> {
    load(file).map_err(|message| eprintln!("{message}")).ok()
}

#[allow(clippy::too_many_arguments)]
fn run_command(
    file: &str,
    seed: Option<u64>,
    until: Option<u64>,
    format: OutputFormat,
    trace: Option<&str>,
    trace_limit: usize,
    check_invariants: bool,
    series: Option<&str>,
) -> Result<i32> {
    let Some(loaded) = load_or_report(file) else {
        return Ok(2);
    };
    let options = RunOptions {
        seed,
        until,
        trace_lines: if trace.is_some() { trace_limit } else { 0 },
        check_invariants,
    };
    let started = std::time::Instant::now();
    let bar = progress_bar(loaded.scenario.duration.0.micros());
    let run = run_with_progress(&loaded.scenario, &options, |now, end| {
        if let Some(bar) = &bar {
            bar.set_length(end / SECONDS);
            bar.set_position(now / SECONDS);
        }
    })
    .with_context(|| format!("building {file}"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let wall = started.elapsed();
    if let Some(path) = trace {
        let mut text = run.recorder.trace.lines.join("\n");
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing the trace to {path}"))?;
    }
    if let Some(path) = series {
        std::fs::write(path, output::series_csv(&run.recorder.metrics.series))
            .with_context(|| format!("writing the series to {path}"))?;
    }
    match format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&run.report)?),
        OutputFormat::Table => {
            print!("{}", output::report_table(&run.report));
            let records = run.report.counters.produced;
            eprintln!(
                "ran in {:.3}s wall clock: {:.0} records/s, {:.0} kernel events/s",
                wall.as_secs_f64(),
                records as f64 / wall.as_secs_f64().max(1e-9),
                run.report.counters.kernel_events as f64 / wall.as_secs_f64().max(1e-9)
            );
        }
    }
    if !run.report.violations.is_empty() {
        eprintln!("invariant violations:");
        for violation in &run.report.violations {
            eprintln!("  {violation}");
        }
        return Ok(1);
    }
    Ok(0)
}

fn progress_bar(duration: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(duration / SECONDS);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {pos}/{len} s simulated ({elapsed})",
        )
        .ok()?
        .progress_chars("=> "),
    );
    // Only shown if the run lasts long enough to be worth it.
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    Some(bar)
}

fn check_command(files: &[String], seed: Option<u64>) -> Result<i32> {
    let mut failed_files = 0;
    for file in files {
        let loaded = match load(file) {
            Ok(loaded) => loaded,
            Err(message) => {
                println!("{message}");
                failed_files += 1;
                continue;
            }
        };
        let options = RunOptions {
            seed,
            check_invariants: true,
            ..RunOptions::default()
        };
        let run = evflow::report::run(&loaded.scenario, &options)
            .with_context(|| format!("building {file}"))?;
        let outcomes: Vec<_> = loaded
            .checks
            .iter()
            .map(|c| c.evaluate(&run.report))
            .collect();
        let failures = outcomes.iter().filter(|o| !o.passed).count() + run.report.violations.len();
        println!(
            "{} {file} ({} checks, seed {}, trace {})",
            if failures == 0 { "ok  " } else { "FAIL" },
            outcomes.len(),
            run.report.seed,
            run.report.trace_hash
        );
        for outcome in &outcomes {
            if !outcome.passed {
                println!("    {outcome}");
            }
        }
        for violation in &run.report.violations {
            println!("    invariant violated: {violation}");
        }
        if failures > 0 {
            failed_files += 1;
        }
    }
    println!(
        "{} passed, {} failed",
        files.len() - failed_files,
        failed_files
    );
    Ok(if failed_files == 0 { 0 } else { 1 })
}

fn partition_command(
    partitions: u32,
    json: bool,
    key_hex: &[String],
    keys: &[String],
) -> Result<i32> {
    if partitions == 0 {
        bail!("--partitions must be at least 1");
    }
    let mut entries: Vec<(String, Vec<u8>)> = keys
        .iter()
        .map(|k| (k.clone(), k.as_bytes().to_vec()))
        .collect();
    for hex in key_hex {
        let clean: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
        let clean = clean.strip_prefix("0x").unwrap_or(&clean);
        if clean.len() % 2 != 0 {
            bail!("--key-hex {hex}: an even number of hex digits is needed");
        }
        let bytes = (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .with_context(|| format!("--key-hex {hex} is not hex"))?;
        entries.push((format!("0x{}", clean.to_ascii_lowercase()), bytes));
    }
    if entries.is_empty() {
        bail!("give at least one KEY or --key-hex HEX");
    }
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|(key, bytes)| {
                serde_json::json!({"key": key, "murmur2": murmur2(bytes), "partition": partition_for_key(bytes, partitions)})
            })
            .collect();
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        let width = entries
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(3)
            .max(3);
        println!("{:width$}  {:>11}  PARTITION", "KEY", "MURMUR2");
        for (key, bytes) in &entries {
            println!(
                "{key:width$}  {:>11}  {}",
                murmur2(bytes),
                partition_for_key(bytes, partitions)
            );
        }
    }
    Ok(0)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignInput {
    assignor: String,
    partitions_per_topic: BTreeMap<String, u32>,
    members: BTreeMap<String, MemberInput>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberInput {
    topics: Vec<String>,
    #[serde(default)]
    owned: Vec<String>,
    #[serde(default)]
    generation: Option<i32>,
}

fn assign_command(explain: bool) -> Result<i32> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading stdin")?;
    let input: AssignInput =
        serde_json::from_str(&text).context("stdin is not a valid assignment request")?;
    let kind: AssignorKind = input.assignor.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut members = BTreeMap::new();
    for (id, member) in input.members {
        let owned = member
            .owned
            .iter()
            .map(|tp| {
                tp.parse::<TopicPartition>()
                    .map_err(|e| anyhow::anyhow!("member {id}: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        members.insert(
            id,
            Subscription {
                topics: member.topics,
                owned,
                generation: member.generation,
            },
        );
    }
    let assignment = assignor::assign(kind, &input.partitions_per_topic, &members)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let as_strings: BTreeMap<&String, Vec<String>> = assignment
        .iter()
        .map(|(member, tps)| (member, tps.iter().map(ToString::to_string).collect()))
        .collect();
    println!("{}", serde_json::to_string(&as_strings)?);
    if explain {
        for tps in assignment.values() {
            for tp in tps {
                eprintln!(
                    "{tp}: {}",
                    assignor::explain(kind, &input.partitions_per_topic, &members, &assignment, tp)
                );
            }
        }
    }
    Ok(0)
}

fn millis(flag: &str, text: Option<String>, default: u64) -> Result<u64> {
    match text {
        None => Ok(default),
        Some(t) => Ok(parse_duration(&t)
            .with_context(|| flag.to_string())?
            .micros()
            / 1_000),
    }
}

#[allow(clippy::too_many_arguments)]
fn backoff_command(
    initial: Option<String>,
    multiplier: Option<f64>,
    max_interval: Option<String>,
    max_elapsed: Option<String>,
    max_attempts: Option<u64>,
    fixed: Option<String>,
    json: bool,
) -> Result<i32> {
    let (list, stops, description) = if let Some(interval) = fixed {
        let policy = FixedBackOff::new(
            millis("--fixed", Some(interval), 0)?,
            max_attempts.unwrap_or(UNLIMITED),
        );
        let (list, stops) = delays(&policy, MAX_CLI_DELAYS);
        (list, stops, policy.to_string())
    } else {
        let defaults = ExponentialBackOff::default();
        let policy = ExponentialBackOff::new(
            millis("--initial", initial, defaults.initial_interval_ms)?,
            multiplier.unwrap_or(defaults.multiplier),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_max_interval_ms(millis(
            "--max-interval",
            max_interval,
            defaults.max_interval_ms,
        )?)
        .with_max_elapsed_time_ms(millis(
            "--max-elapsed",
            max_elapsed,
            defaults.max_elapsed_time_ms,
        )?)
        .with_max_attempts(max_attempts.unwrap_or(defaults.max_attempts));
        let (list, stops) = delays(&policy, MAX_CLI_DELAYS);
        (list, stops, policy.to_string())
    };
    if json {
        println!("{}", serde_json::json!({"delays_ms": list, "stops": stops}));
    } else {
        println!("{description}");
        let mut total = 0u64;
        for (n, delay) in list.iter().enumerate() {
            total = total.saturating_add(*delay);
            println!(
                "retry {:>3}: wait {:>8} ms  (total {:>9} ms)",
                n + 1,
                delay,
                total
            );
        }
        if stops {
            println!("then STOP: the record is recovered (e.g. sent to the dead-letter topic)");
        } else {
            println!("... (does not stop within {MAX_CLI_DELAYS} delays)");
        }
    }
    Ok(0)
}
