//! The reliability patterns: retries with Spring back-off, retry topics, poison records,
//! dead letters and replay, idempotency, outbox / CDC / dual writes, pipelines.

use crate::support::{load, run_checked};
use evflow::engine::world::World;
use evflow::observer::{Disposition, Effect, Observer, SimEvent, SkipReason};
use evflow::report::Latency;
use evflow::Simulation;

const BASE: &str = r#"
duration = "40s"
seed = 2
[[topic]]
name = "orders"
partitions = 2
[[producer]]
name = "checkout"
topic = "orders"
rate = "20/s"
keys = "order-{1..1000}"
"#;

/// Collects every event with its time.
#[derive(Default)]
struct Log(Vec<(u64, SimEvent)>);
impl Observer for Log {
    fn on_event(&mut self, now: u64, event: &SimEvent, _: &World) {
        if *event != SimEvent::Sample {
            self.0.push((now, *event));
        }
    }
}

fn events(text: &str) -> Vec<(u64, SimEvent)> {
    crate::support::observe(text, Log::default()).0
}

/// One group "payments" with per-record commits and the given handler settings.
fn group(handler: &str) -> String {
    group_with("commit = \"record\"\n", handler)
}

/// One group "payments" with extra group settings and the given handler settings.
fn group_with(settings: &str, handler: &str) -> String {
    format!("{BASE}[[group]]\nname = \"payments\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n{settings}[group.handler]\n{handler}")
}

#[test]
fn blocking_retries_wait_the_spring_back_off_then_dead_letter() {
    // Every attempt fails: 1 + 3 retries with ExponentialBackOff(1000, 2.0): 1s, 2s, 4s.
    let log = events(&group(
        "transient_failure = 1.0\nretry = { mode = \"blocking\", initial = \"1s\", multiplier = 2.0, max_attempts = 3 }\n",
    ));
    let first: Vec<_> = log
        .iter()
        .filter_map(|(t, e)| match e {
            SimEvent::AttemptFailed {
                event_id: 1,
                retry_in,
                ..
            } => Some((*t, *retry_in)),
            _ => None,
        })
        .collect();
    assert_eq!(first.len(), 4, "{first:?}");
    assert_eq!(
        first.iter().map(|f| f.1).collect::<Vec<_>>(),
        vec![Some(1_000_000), Some(2_000_000), Some(4_000_000), None]
    );
    // Each retry starts after its back-off (+1ms processing).
    assert_eq!(first[1].0 - first[0].0, 1_000_000 + 1_000);
    assert_eq!(first[2].0 - first[1].0, 2_000_000 + 1_000);
    let dead = log.iter().find_map(|(_, e)| match e {
        SimEvent::Processed {
            record,
            disposition: Disposition::DeadLettered,
            ..
        } if record.event_id == 1 => Some(*record),
        _ => None,
    });
    assert!(dead.is_some(), "event 1 is dead-lettered after its retries");
    let run = run_checked(&group("transient_failure = 1.0\nretry = { mode = \"blocking\", initial = \"1s\", multiplier = 2.0, max_attempts = 3 }\n"), None);
    let payments = &run.report.groups[0];
    // Each dead-lettered record took exactly 4 attempts; the one in flight at the end fewer.
    let finished_attempts = 4 * payments.handling.dead_lettered;
    assert!(
        payments.handling.attempts >= finished_attempts
            && payments.handling.attempts <= finished_attempts + 4
    );
    assert!(payments.dlq_depth > 0);
    assert_eq!(payments.handling.out_of_order, 0);
}

#[test]
fn poison_records_are_not_retried() {
    let log = events(&group(&format!(
        "poison_keys = [{}]\nretry = {{ mode = \"blocking\", initial = \"1s\" }}\n",
        (1..=100)
            .map(|k| format!("\"order-{k}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )));
    let poison: Vec<_> = log
        .iter()
        .filter_map(|(_, e)| match e {
            SimEvent::AttemptFailed {
                retryable,
                retry_in,
                ..
            } => Some((*retryable, *retry_in)),
            _ => None,
        })
        .collect();
    assert!(!poison.is_empty());
    assert!(poison
        .iter()
        .all(|&(retryable, retry_in)| !retryable && retry_in.is_none()));
}

#[test]
fn retry_topics_hold_records_until_due_and_keep_the_main_partition_flowing() {
    let text = group(
        "transient_failure = 0.3\nretry = { mode = \"topics\", initial = \"1s\", multiplier = 2.0, max_attempts = 2 }\n",
    );
    let loaded = load(&text);
    let simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    let names: Vec<&str> = simulation
        .world()
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "orders",
            "orders-retry-1000",
            "orders-retry-2000",
            "orders.DLT"
        ]
    );
    let log = events(&text);
    let retry_1000 = 1u16;
    // Every record processed from orders-retry-1000 was appended there at least 1s before.
    let mut appended = std::collections::BTreeMap::new();
    let mut checked = 0;
    for (t, e) in &log {
        match e {
            SimEvent::Produced {
                topic,
                offset,
                partition,
                ..
            } if *topic == retry_1000 => {
                appended.insert((*partition, *offset), *t);
            }
            SimEvent::Processed {
                topic,
                offset,
                partition,
                ..
            } if *topic == retry_1000 => {
                assert!(*t >= appended[&(*partition, *offset)] + 1_000_000);
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 10);
    let run = run_checked(&text, None);
    assert!(
        run.report.groups[0].handling.out_of_order > 0,
        "retry topics break per-key order"
    );
    assert!(run.report.groups[0].max_lag < 100);
}

#[test]
fn retry_records_that_expire_before_they_are_due_are_skipped_not_processed() {
    // Retention 1.5s, and every attempt fails: each record waits 1s in orders-retry-1000 (it
    // is read in time) and then 2s in orders-retry-2000, where retention deletes it first.
    // The consumer remembers when a waiting record is due; this checks that it still notices
    // the deletion, and skips the records rather than processing them.
    let text = BASE.replace("partitions = 2\n", "partitions = 2\nretention = \"1500ms\"\n")
        + "[[group]]\nname = \"payments\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n\
           [group.handler]\ntransient_failure = 1.0\n\
           retry = { mode = \"topics\", initial = \"1s\", multiplier = 2.0, max_attempts = 2 }\n";
    let (retry_1000, retry_2000) = (1u16, 2u16);
    let mut appended = std::collections::BTreeMap::new();
    let (mut waited, mut expired) = (0, 0);
    for (t, e) in events(&text) {
        match e {
            SimEvent::Produced {
                topic,
                partition,
                offset,
                ..
            } => {
                appended.insert((topic, partition, offset), t);
            }
            SimEvent::Processed {
                topic,
                partition,
                offset,
                ..
            } => {
                assert_ne!(topic, retry_2000, "an expired record was processed at {t}");
                if topic == retry_1000 {
                    assert!(t >= appended[&(topic, partition, offset)] + 1_000_000);
                    waited += 1;
                }
            }
            SimEvent::Skipped {
                topic,
                from,
                to,
                reason,
                ..
            } => {
                assert_eq!((topic, reason), (retry_2000, SkipReason::Expired));
                expired += to - from;
            }
            _ => {}
        }
    }
    let retried_twice = appended.keys().filter(|k| k.0 == retry_2000).count() as u64;
    assert!(waited > 500, "{waited} records waited in orders-retry-1000");
    // All but the last few seconds' records (not yet due when the run ends) are skipped.
    assert!(
        expired > retried_twice - 100 && expired <= retried_twice,
        "{expired} of {retried_twice} expired"
    );
    run_checked(&text, None);
}

#[test]
fn replay_dlq_republishes_dead_letters_to_the_original_topic() {
    let text = format!(
        "{}[[timeline]]\nat = \"30s\"\naction = \"replay_dlq\"\ngroup = \"payments\"\n",
        group("poison = 0.1\ndead_letter = true\n")
    );
    let run = run_checked(&text, None);
    let g = &run.report.groups[0];
    assert!(g.handling.dead_lettered > 10);
    assert!(g.handling.replayed > 10);
    // Poison stays poison: the replayed records come back to the DLT.
    assert!(g.handling.dead_lettered > g.handling.replayed);
}

#[test]
fn idempotent_handlers_never_repeat_side_effects() {
    let crash = "[[timeline]]\nat = \"10s\"\naction = \"crash\"\ngroup = \"payments\"\ninstance = 0\n[[timeline]]\nat = \"11s\"\naction = \"restart\"\ngroup = \"payments\"\ninstance = 0\n";
    let auto = "session_timeout = \"2s\"\n";
    let naive = run_checked(
        &format!("{}{crash}", group_with(auto, "idempotency = \"none\"\n")),
        None,
    );
    let g = &naive.report.groups[0];
    assert!(g.duplicates > 0);
    assert_eq!(g.handling.repeated_side_effects, g.duplicates);
    let text = format!(
        "{}{crash}",
        group_with(auto, "idempotency = \"event-id\"\n")
    );
    let idempotent = run_checked(&text, None);
    let g = &idempotent.report.groups[0];
    assert!(g.duplicates > 0);
    assert_eq!(g.handling.repeated_side_effects, 0);
    assert_eq!(g.handling.deduplicated, g.duplicates);
    let log = events(&text);
    assert!(log.iter().any(|(_, e)| matches!(
        e,
        SimEvent::Processed {
            effect: Effect::Deduplicated,
            ..
        }
    )));
}

#[test]
fn outbox_relay_crashes_duplicate_but_never_lose() {
    let text = BASE.replace(
        "keys = \"order-{1..1000}\"",
        "keys = \"order-{1..1000}\"\npublish = \"outbox\"\noutbox = { poll_interval = \"500ms\", batch_size = 10, workers = 2, crash = 0.2, restart_after = \"1s\" }",
    );
    let run = run_checked(&text, None);
    let p = &run.report.producers[0];
    assert_eq!(p.publish, "outbox");
    assert_eq!(p.stats.lost, 0);
    assert!(p.stats.republished > 0);
    assert!(
        p.publish_latency.p50_us >= 100_000,
        "polling delays publication"
    );
}

#[test]
fn dual_writes_lose_or_invent_events() {
    let lose = run_checked(
        &BASE.replace(
            "keys = \"order-{1..1000}\"",
            "keys = \"order-{1..1000}\"\ndual_write = { crash = 0.2 }",
        ),
        None,
    );
    assert!(lose.report.producers[0].stats.lost > 50);
    assert_eq!(
        lose.report.counters.lost,
        lose.report.producers[0].stats.lost
    );
    let phantom = run_checked(
        &BASE.replace(
            "keys = \"order-{1..1000}\"",
            "keys = \"order-{1..1000}\"\ndual_write = { crash = 0.2, order = \"publish-first\" }",
        ),
        None,
    );
    assert!(phantom.report.counters.phantom > 50);
    assert_eq!(phantom.report.counters.lost, 0);
}

#[test]
fn cdc_is_near_real_time_and_resumes_from_its_flushed_position() {
    let text = format!(
        "{}[[timeline]]\nat = \"20s\"\naction = \"crash_connector\"\nproducer = \"checkout\"\n",
        BASE.replace(
            "keys = \"order-{1..1000}\"",
            "keys = \"order-{1..1000}\"\npublish = \"cdc\""
        )
    );
    let run = run_checked(&text, None);
    let p = &run.report.producers[0];
    assert!(
        (80_000..130_000).contains(&p.publish_latency.p50_us),
        "{:?}",
        p.publish_latency
    );
    assert!(p.stats.republished > 0);
    assert_eq!(p.stats.lost, 0);
}

#[test]
fn emitted_events_carry_correlation_and_causation() {
    let text = format!(
        "{BASE}[[topic]]\nname = \"payments\"\npartitions = 2\n[[group]]\nname = \"payment-service\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n[group.handler]\nemit = [{{ topic = \"payments\", event = \"PaymentAuthorized\" }}]\n[[group]]\nname = \"ledger\"\ntopic = \"payments\"\ninstances = 1\nprocessing = \"1ms\"\n"
    );
    let log = events(&text);
    let child = log
        .iter()
        .find_map(|(_, e)| match e {
            SimEvent::Produced {
                topic: 1, record, ..
            } => Some(*record),
            _ => None,
        })
        .expect("a PaymentAuthorized event");
    assert_ne!(child.causation_id, 0);
    assert_eq!(
        child.correlation_id, child.causation_id,
        "a first-level child's parent is the root"
    );
    assert_eq!(
        child.key,
        log.iter()
            .find_map(|(_, e)| match e {
                SimEvent::Produced { record, .. } if record.event_id == child.causation_id =>
                    Some(record.key),
                _ => None,
            })
            .unwrap()
    );
    let run = run_checked(&text, None);
    let ledger = run.report.group("ledger").unwrap();
    assert!(ledger.step_latency.p50_us >= ledger.latency.p50_us + 1_000);
}

/// The report's latencies against a recount from the processed events: produce-to-processed
/// for every first delivery, click-to-processed for successful ones. The metrics record a
/// value shared by both once, and add it back when read; here they are counted apart.
#[test]
fn latencies_count_every_first_delivery_and_steps_only_successes() {
    let text = format!(
        "{BASE}[[topic]]\nname = \"payments\"\npartitions = 2\n[[group]]\nname = \"payment-service\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n[group.handler]\ntransient_failure = 0.2\nretry = {{ mode = \"topics\", initial = \"100ms\", max_attempts = 2 }}\nemit = [{{ topic = \"payments\", event = \"PaymentAuthorized\", delay = \"3ms\" }}]\n[[group]]\nname = \"ledger\"\ntopic = \"payments\"\ninstances = 1\nprocessing = \"2ms\"\n"
    );
    let log = events(&text);
    let report = run_checked(&text, None).report;
    for (index, name) in ["payment-service", "ledger"].into_iter().enumerate() {
        let mut latency = evflow::metrics::latency_histogram();
        let mut step = evflow::metrics::latency_histogram();
        for (now, event) in &log {
            if let SimEvent::Processed {
                group,
                record,
                duplicate: false,
                disposition,
                ..
            } = *event
            {
                if group as usize != index {
                    continue;
                }
                latency.saturating_record(now.saturating_sub(record.produced_at).max(1));
                if disposition == Disposition::Success {
                    step.saturating_record(now.saturating_sub(record.origin_at).max(1));
                }
            }
        }
        let group = report.group(name).unwrap();
        if name == "payment-service" {
            assert!(
                group.latency.count > group.step_latency.count,
                "some attempts failed"
            );
        } else {
            assert!(
                group.step_latency.p50_us > group.latency.p50_us,
                "the chain began earlier"
            );
        }
        assert_eq!(group.latency, Latency::of(&latency), "{name}");
        assert_eq!(group.step_latency, Latency::of(&step), "{name}");
    }
}

#[test]
fn an_outage_fails_calls_only_inside_its_window() {
    let text = format!(
        "{BASE}[[dependency]]\nname = \"gateway\"\nlatency = \"5ms\"\noutages = [{{ from = \"10s\", to = \"12s\" }}]\n[[group]]\nname = \"payments\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n[group.handler]\ncalls = \"gateway\"\n"
    );
    let log = events(&text);
    let failures: Vec<u64> = log
        .iter()
        .filter_map(|(t, e)| matches!(e, SimEvent::AttemptFailed { .. }).then_some(*t))
        .collect();
    assert!(!failures.is_empty());
    assert!(
        failures
            .iter()
            .all(|&t| (10_000_000..12_100_000).contains(&t)),
        "{failures:?}"
    );
}

#[test]
fn dead_letters_carry_springs_headers_and_the_attempt_history() {
    let text = group("transient_failure = 1.0\nretry = { mode = \"blocking\", initial = \"1s\", multiplier = 2.0, max_attempts = 3 }\n");
    let loaded = load(&text);
    let mut simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    simulation.run_to_end();
    let world = simulation.world();
    let first = &world.dead_letters[0];
    assert_eq!(first.event_id, 1);
    assert_eq!(world.topics[first.original_topic as usize].name, "orders");
    assert_eq!(
        first.exception,
        "org.springframework.dao.TransientDataAccessResourceException"
    );
    // Four failed attempts, 1s, 2s and 4s apart (+1ms processing each).
    let gaps: Vec<u64> = first.failures.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, vec![1_001_000, 2_001_000, 4_001_000]);
    let poison = group("poison = 1.0\ndead_letter = true\n");
    let loaded = load(&poison);
    let mut simulation = Simulation::from_scenario(&loaded.scenario, None).unwrap();
    simulation.run_to_end();
    let letter = &simulation.world().dead_letters[0];
    assert_eq!(
        letter.exception,
        "org.springframework.kafka.support.serializer.DeserializationException"
    );
    assert_eq!(letter.failures.len(), 1);
}

#[test]
fn emitted_events_can_take_the_services_own_publishing_hop() {
    let text = format!(
        "{BASE}[[topic]]\nname = \"payments\"\npartitions = 2\n[[group]]\nname = \"payment-service\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"1ms\"\n[group.handler]\nemit = [{{ topic = \"payments\", event = \"PaymentAuthorized\", delay = \"100ms\" }}]\n"
    );
    let log = events(&text);
    let processed_at = log
        .iter()
        .find_map(|(t, e)| {
            matches!(e, SimEvent::Processed { record, .. } if record.event_id == 1).then_some(*t)
        })
        .unwrap();
    let child_at = log
        .iter()
        .find_map(|(t, e)| match e {
            SimEvent::Produced {
                topic: 1, record, ..
            } if record.causation_id == 1 => Some(*t),
            _ => None,
        })
        .unwrap();
    assert_eq!(child_at, processed_at + 100_000);
}

/// Spring's `DeadLetterPublishingRecoverer` forwards a failed record to the same partition
/// number of the retry or dead-letter topic. When that topic has fewer partitions (a group
/// reading topics of different sizes into one `<topic>.DLT`, a declared smaller dead-letter
/// topic, a declared retry topic), its `checkPartition` leaves the partition unset and the
/// producer's partitioner picks one from the key. Records keep flowing, none is lost.
#[test]
fn failed_records_reach_retry_and_dead_letter_topics_with_fewer_partitions() {
    let text = r#"
duration = "30s"
seed = 5
[[topic]]
name = "small"
partitions = 2
[[topic]]
name = "large"
partitions = 8
[[topic]]
name = "audit"
partitions = 1
[[topic]]
name = "large-retry-1000"
partitions = 3
[[producer]]
name = "a"
topic = "small"
rate = "50/s"
keys = "k{1..500}"
[[producer]]
name = "b"
topic = "large"
rate = "50/s"
keys = "k{1..500}"
[[group]]
name = "both"
topics = ["small", "large"]
instances = 2
processing = "1ms"
[group.handler]
poison = 0.2
dead_letter = true
[[group]]
name = "declared"
topic = "large"
instances = 1
processing = "1ms"
[group.handler]
poison = 0.1
transient_failure = 0.2
retry = { mode = "topics", initial = "1s", multiplier = 1.0, max_attempts = 1 }
dead_letter_topic = "audit"
"#;
    let run = run_checked(text, None);
    let report = &run.report;
    let topic = |name: &str| report.topics.iter().find(|t| t.name == name).unwrap();
    // `small.DLT` takes its size from the group's first topic (2 partitions), and records from
    // every partition of `large` still reach it.
    let dlt = topic("small.DLT");
    assert_eq!(dlt.partitions, 2);
    let from_large = report
        .dead_letters
        .iter()
        .filter(|d| d.group == "both" && d.original_topic == "large" && d.original_partition >= 2)
        .count();
    assert!(
        from_large > 0,
        "dead letters from partitions 2..8 of `large`"
    );
    assert!(topic("audit").produced > 0);
    assert!(topic("large-retry-1000").produced > 0);
    // Every dead-lettered record reached its dead-letter topic.
    let group = |name: &str| report.groups.iter().find(|g| g.name == name).unwrap();
    assert_eq!(group("both").handling.dead_lettered, dlt.produced);
    assert_eq!(
        group("declared").handling.dead_lettered,
        topic("audit").produced
    );
    assert_eq!(
        group("declared").handling.retries,
        topic("large-retry-1000").produced
    );
}
