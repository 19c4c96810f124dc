//! Text output of the CLI: the consumer-groups table in `kafka-consumer-groups.sh --describe`
//! layout, counters, latency percentiles, and the sampled series as CSV.

use evflow::metrics::Series;
use evflow::report::Report;
use evflow::time::human_micros;
use std::fmt::Write;

/// Left-aligned columns separated by two spaces, widths fitted to the content (as Kafka's
/// tool prints them).
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:w$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

fn dash(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The full table report of `evflow run`.
pub fn report_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario: {}  seed: {}  simulated: {}",
        if report.scenario.is_empty() {
            "(unnamed)"
        } else {
            &report.scenario
        },
        report.seed,
        human_micros(report.end_us)
    );
    out.push('\n');
    let rows: Vec<Vec<String>> = report
        .describe
        .iter()
        .map(|r| {
            vec![
                r.group.clone(),
                r.topic.clone(),
                r.partition.to_string(),
                dash(r.current_offset),
                r.log_end_offset.to_string(),
                dash(r.lag),
                r.consumer_id.clone().unwrap_or_else(|| "-".into()),
                r.host.clone().unwrap_or_else(|| "-".into()),
                r.client_id.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ],
        &rows,
    ));
    out.push('\n');
    let c = &report.counters;
    let _ = writeln!(
        out,
        "produced {}  processed {}  duplicates {}  lost {}  phantom {}  dead-lettered {}  double charges {}  out-of-order {}  rebalances {}  crashes {}  kernel events {}",
        c.produced, c.processed, c.duplicates, c.lost, c.phantom, c.dead_lettered, c.double_charges, c.out_of_order, c.rebalances, c.crashes, c.kernel_events
    );
    out.push('\n');
    let mut rows: Vec<Vec<String>> = report
        .groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.assignor.clone(),
                g.processed.to_string(),
                g.duplicates.to_string(),
                g.lag.to_string(),
                g.max_lag.to_string(),
                g.rebalances.to_string(),
                human_micros(g.latency.p50_us),
                human_micros(g.latency.p90_us),
                human_micros(g.latency.p99_us),
                human_micros(g.latency.max_us),
            ]
        })
        .collect();
    let l = &report.latency;
    rows.push(vec![
        "(all groups)".into(),
        String::new(),
        c.processed.to_string(),
        c.duplicates.to_string(),
        report.groups.iter().map(|g| g.lag).sum::<u64>().to_string(),
        String::new(),
        c.rebalances.to_string(),
        human_micros(l.p50_us),
        human_micros(l.p90_us),
        human_micros(l.p99_us),
        human_micros(l.max_us),
    ]);
    out.push_str(&table(
        &[
            "GROUP",
            "ASSIGNOR",
            "PROCESSED",
            "DUPLICATES",
            "LAG",
            "MAX-LAG",
            "REBALANCES",
            "P50",
            "P90",
            "P99",
            "MAX",
        ],
        &rows,
    ));
    if report
        .groups
        .iter()
        .any(|g| g.handling != Default::default())
    {
        out.push('\n');
        let rows: Vec<Vec<String>> = report
            .groups
            .iter()
            .map(|g| {
                let h = &g.handling;
                vec![
                    g.name.clone(),
                    h.attempts.to_string(),
                    h.failures.to_string(),
                    h.retries.to_string(),
                    h.dead_lettered.to_string(),
                    g.dlq_depth.to_string(),
                    h.dropped.to_string(),
                    h.side_effects.to_string(),
                    h.repeated_side_effects.to_string(),
                    h.deduplicated.to_string(),
                    h.out_of_order.to_string(),
                    human_micros(g.step_latency.p50_us),
                    human_micros(g.step_latency.p99_us),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "GROUP",
                "ATTEMPTS",
                "FAILURES",
                "RETRIES",
                "DEAD-LETTERED",
                "DLQ",
                "DROPPED",
                "SIDE-EFFECTS",
                "DOUBLE-CHARGES",
                "DEDUPLICATED",
                "OUT-OF-ORDER",
                "STEP-P50",
                "STEP-P99",
            ],
            &rows,
        ));
    }
    if report.producers.iter().any(|p| p.publish != "direct") {
        out.push('\n');
        let rows: Vec<Vec<String>> = report
            .producers
            .iter()
            .map(|p| {
                let s = &p.stats;
                vec![
                    p.name.clone(),
                    p.publish.clone(),
                    s.created.to_string(),
                    s.published.to_string(),
                    s.lost.to_string(),
                    s.phantom.to_string(),
                    s.republished.to_string(),
                    s.backlog.to_string(),
                    s.peak_backlog.to_string(),
                    human_micros(p.publish_latency.p50_us),
                    human_micros(p.publish_latency.p99_us),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "PRODUCER",
                "PUBLISH",
                "CREATED",
                "PUBLISHED",
                "LOST",
                "PHANTOM",
                "REPUBLISHED",
                "BACKLOG",
                "MAX-BACKLOG",
                "PUBLISH-P50",
                "PUBLISH-P99",
            ],
            &rows,
        ));
    }
    let _ = writeln!(
        out,
        "\ntrace hash: {} ({} events)",
        report.trace_hash, report.trace_events
    );
    out
}

/// A CSV header field (RFC 4180): column names hold group, topic and producer names, which are
/// free text, so one with a comma, quote or line break is quoted, its quotes doubled.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// The sampled series as CSV: `t_us` then one column per series.
pub fn series_csv(series: &Series) -> String {
    let mut out = String::from("t_us");
    for name in &series.names {
        let _ = write!(out, ",{}", csv_field(name));
    }
    out.push('\n');
    for row in 0..series.len() {
        let _ = write!(out, "{}", series.time(row));
        for column in 0..series.names.len() {
            let _ = write!(out, ",{}", series.value(row, column));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_csv_quotes_names_with_commas_quotes_and_line_breaks() {
        let mut series = Series::new(vec![
            "lag:plain".into(),
            "lag:a,b".into(),
            "lag:say \"hi\"".into(),
            "lag:two\nlines".into(),
        ]);
        series.offer(5, &[1, 2, 3, 4]);
        assert_eq!(
            series_csv(&series),
            "t_us,lag:plain,\"lag:a,b\",\"lag:say \"\"hi\"\"\",\"lag:two\nlines\"\n5,1,2,3,4\n"
        );
    }
}
