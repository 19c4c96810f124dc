//! Lag = log-end offset − committed offset, as `kafka-consumer-groups --describe` prints it.

use crate::support::{owners, run_checked, seed_topology};

#[test]
fn seed_topology_is_range_assigned_as_in_the_article() {
    let run = run_checked(&seed_topology(""), None);
    let payment = owners(&run, "payment-service");
    assert_eq!(payment["payment-service-0"], vec![0, 1, 2, 3]);
    assert_eq!(payment["payment-service-1"], vec![4, 5, 6, 7]);
    assert_eq!(payment["payment-service-2"], vec![8, 9, 10, 11]);
    let inventory = owners(&run, "inventory-service");
    assert_eq!(inventory["inventory-service-0"], vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(inventory["inventory-service-1"], vec![6, 7, 8, 9, 10, 11]);
}

#[test]
fn lag_column_is_log_end_minus_committed() {
    let run = run_checked(&seed_topology(""), None);
    assert_eq!(run.report.describe.len(), 24);
    for row in &run.report.describe {
        match row.current_offset {
            Some(current) => assert_eq!(row.lag, Some(row.log_end_offset - current)),
            None => assert_eq!(row.lag, None),
        }
    }
    // Both groups see the same log-end offsets: each group gets every record.
    let ends = |group: &str| -> Vec<u64> {
        run.report
            .describe
            .iter()
            .filter(|r| r.group == group)
            .map(|r| r.log_end_offset)
            .collect()
    };
    assert_eq!(ends("payment-service"), ends("inventory-service"));
    assert_eq!(
        ends("payment-service").iter().sum::<u64>(),
        run.report.counters.produced
    );
}

#[test]
fn nothing_committed_shows_a_dash() {
    // Commits every 100s: by 3s nothing is committed yet.
    let run = run_checked(
        &seed_topology("").replace(
            "session_timeout = \"10s\"",
            "auto_commit_interval = \"100s\"",
        ),
        None,
    );
    let payment: Vec<_> = run
        .report
        .describe
        .iter()
        .filter(|r| r.group == "payment-service")
        .collect();
    assert!(payment
        .iter()
        .all(|r| r.current_offset.is_none() && r.lag.is_none()));
}

#[test]
fn a_consumer_slower_than_the_producer_builds_lag_that_keeps_growing() {
    let text = r#"
duration = "20s"
[[topic]]
name = "t"
partitions = 2
[[producer]]
name = "p"
topic = "t"
rate = "100/s"
keys = "k{1..100}"
[[group]]
name = "slow"
topic = "t"
instances = 1
processing = "20ms"
commit = "record"
"#;
    let run = run_checked(text, None);
    let group = &run.report.groups[0];
    // Capacity 50/s against 100/s: about 1000 records behind after 20s.
    assert!((800..=1_200).contains(&group.lag), "lag {}", group.lag);
    let series = &run.recorder.metrics.series;
    let lag = series.column("lag:slow").unwrap();
    assert!(
        lag.windows(50).all(|w| w[49] >= w[0]),
        "lag should keep growing"
    );
}

#[test]
fn a_fast_consumer_with_per_record_commits_has_almost_no_lag() {
    let text = seed_topology("").replace(
        "instances = 2\nprocessing = \"exp(3ms)\"",
        "instances = 2\nprocessing = \"exp(3ms)\"\ncommit = \"record\"",
    );
    let run = run_checked(&text, None);
    let inventory = run.report.group("inventory-service").unwrap();
    assert!(inventory.lag < 20, "lag {}", inventory.lag);
}
