//! At-least-once: after a crash the new owner resumes from the last committed offset, so
//! records processed but not committed are processed again and counted as duplicates.

use crate::support::{run_checked, seed_topology};

const CRASH: &str = r#"
[[timeline]]
at = "12s"
action = "crash"
group = "payment-service"
instance = 0
"#;

fn payment_duplicates(commit: &str) -> u64 {
    let text = seed_topology(CRASH).replace(
        "instances = 3\nprocessing = \"exp(5ms)\"",
        &format!("instances = 3\nprocessing = \"exp(5ms)\"\ncommit = \"{commit}\""),
    );
    let run = run_checked(&text, None);
    let group = run.report.group("payment-service").unwrap();
    assert_eq!(group.lost, 0);
    group.duplicates
}

#[test]
fn auto_commit_redelivers_up_to_an_interval_of_records() {
    // Partitions 0-3 get ~66 records/s; auto-commit every 5s: up to ~330 redelivered.
    let duplicates = payment_duplicates("auto");
    assert!((20..=400).contains(&duplicates), "{duplicates}");
}

#[test]
fn committing_each_record_redelivers_nothing() {
    // The record in flight at the crash was never completed, so it is not a duplicate.
    assert_eq!(payment_duplicates("record"), 0);
}

#[test]
fn batch_commits_redeliver_at_most_a_batch() {
    let duplicates = payment_duplicates("batch");
    assert!(duplicates <= 500, "{duplicates}");
}

#[test]
fn groups_without_a_crash_see_no_duplicates() {
    let run = run_checked(&seed_topology(CRASH), None);
    let inventory = run.report.group("inventory-service").unwrap();
    assert_eq!(inventory.duplicates, 0);
    assert_eq!(inventory.lost, 0);
    assert!(inventory.processed + 50 >= run.report.counters.produced);
}

#[test]
fn retention_shorter_than_the_backlog_loses_records() {
    let text = r#"
duration = "30s"
[[topic]]
name = "t"
partitions = 1
retention = "2s"
[[producer]]
name = "p"
topic = "t"
rate = "100/s"
[[group]]
name = "slow"
topic = "t"
instances = 1
processing = "20ms"
offset_reset = "earliest"
"#;
    let run = run_checked(text, None);
    let group = &run.report.groups[0];
    assert!(group.lost > 500, "lost {}", group.lost);
    assert_eq!(run.report.counters.lost, group.lost);
}
