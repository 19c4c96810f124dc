//! Property tests: the invariants hold over random scenarios, and the scenario parser never
//! panics on arbitrary input (this doubles as the parser fuzz target run in CI).

use proptest::prelude::*;
use std::fmt::Write;

const ASSIGNORS: [&str; 4] = ["range", "roundrobin", "sticky", "cooperative-sticky"];
const COMMITS: [&str; 3] = ["auto", "record", "batch"];
const PROCESSING: [&str; 4] = [
    "2ms",
    "exp(5ms)",
    "uniform(1ms, 9ms)",
    "lognormal(3ms, 0.6)",
];

#[derive(Debug, Clone)]
struct GroupSpec {
    topic: usize,
    instances: u32,
    assignor: usize,
    commit: usize,
    processing: usize,
    max_poll: u32,
    reset_earliest: bool,
    handler: u8,
    /// Reads both topics, the smaller first (its retry and dead-letter topics get its partition
    /// count, so records from the larger topic's last partitions go where the partitioner sends
    /// them), when there are two.
    both: bool,
}

/// A handler configuration picked by index (0: none).
fn handler_toml(kind: u8, group: usize) -> String {
    let dlt = format!("dead_letter_topic = \"g{group}.DLT\"\n");
    match kind % 6 {
        0 => String::new(),
        1 => format!("[group.handler]\ntransient_failure = 0.1\npoison = 0.02\n{dlt}retry = {{ mode = \"blocking\", initial = \"100ms\", multiplier = 2.0, max_attempts = 3 }}\n"),
        2 => format!("[group.handler]\ntransient_failure = 0.1\npoison = 0.02\ncalls = \"dep\"\n{dlt}retry = {{ mode = \"topics\", initial = \"100ms\", multiplier = 2.0, max_attempts = 3 }}\n"),
        3 => "[group.handler]\nidempotency = \"event-id\"\ndedup_ttl = \"1s\"\ntransient_failure = 0.05\n".to_string(),
        4 => "[group.handler]\nidempotency = \"natural-key\"\ncalls = \"dep\"\n".to_string(),
        _ => format!("[group.handler]\npoison = 0.05\n{dlt}retry = {{ mode = \"blocking\", fixed = \"50ms\", max_attempts = 2 }}\n"),
    }
}

#[derive(Debug, Clone)]
struct ActionSpec {
    at_ms: u64,
    kind: usize,
    group: usize,
    instance: u32,
}

fn group_spec(topics: usize) -> impl Strategy<Value = GroupSpec> {
    (
        0..topics,
        0u32..5,
        0..4usize,
        0..3usize,
        0..4usize,
        prop::sample::select(vec![1u32, 5, 50, 500]),
        any::<bool>(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                topic,
                instances,
                assignor,
                commit,
                processing,
                max_poll,
                reset_earliest,
                handler,
                both,
            )| GroupSpec {
                topic,
                instances,
                assignor,
                commit,
                processing,
                max_poll,
                reset_earliest,
                handler,
                both,
            },
        )
}

fn scenario_text() -> impl Strategy<Value = String> {
    (1usize..3, 1u32..9, 5u64..15)
        .prop_flat_map(|(topics, partitions, seconds)| {
            (
                Just((topics, partitions, seconds)),
                prop::collection::vec((0..topics, 5u32..400, any::<bool>(), any::<bool>(), 0u8..5), 1..3),
                prop::collection::vec(group_spec(topics), 1..4),
                prop::collection::vec((0..seconds * 1000, 0..11usize, 0..3usize, 0u32..5).prop_map(|(at_ms, kind, group, instance)| ActionSpec { at_ms, kind, group, instance }), 0..8),
                0u64..(i64::MAX as u64),
            )
        })
        .prop_map(|((topics, partitions, seconds), producers, groups, actions, seed)| {
            let mut text = format!("duration = \"{seconds}s\"\nseed = {seed}\nsample_interval = \"50ms\"\n");
            for t in 0..topics {
                let _ = write!(text, "[[topic]]\nname = \"t{t}\"\npartitions = {}\nretention = \"3s\"\n", partitions + t as u32);
            }
            text.push_str("[[dependency]]\nname = \"dep\"\nlatency = \"exp(2ms)\"\noutages = [{ from = \"2s\", to = \"3s\" }]\n");
            for (p, (topic, rate, keyed, zipf, publish)) in producers.iter().enumerate() {
                let _ = write!(text, "[[producer]]\nname = \"p{p}\"\ntopic = \"t{topic}\"\nrate = \"{rate}/s\"\n");
                match publish {
                    1 => text.push_str("dual_write = { crash = 0.05 }\n"),
                    2 => text.push_str("dual_write = { crash = 0.05, order = \"publish-first\" }\n"),
                    3 => text.push_str("publish = \"outbox\"\noutbox = { poll_interval = \"300ms\", batch_size = 20, workers = 2, crash = 0.1, restart_after = \"1s\" }\n"),
                    4 => text.push_str("publish = \"cdc\"\ncdc = { flush_interval = \"500ms\", restart_after = \"1s\" }\n"),
                    _ => {}
                }
                if *keyed {
                    text.push_str("keys = \"k-{1..500}\"\n");
                    if *zipf {
                        text.push_str("key_distribution = \"zipf(1.2)\"\n");
                    }
                }
            }
            // Spring names retry topics after the consumed topic only: one retry-topic group
            // per topic (validation rejects two).
            let mut groups = groups;
            let mut retry_topics_used = vec![false; topics];
            for spec in &mut groups {
                spec.both &= topics == 2;
                if spec.both {
                    spec.topic = 0; // the main topic, which names the retry topics
                }
                if spec.handler % 6 == 2 {
                    if retry_topics_used[spec.topic] {
                        spec.handler = 1;
                    }
                    retry_topics_used[spec.topic] = true;
                }
            }
            for (g, spec) in groups.iter().enumerate() {
                let _ = write!(
                    text,
                    "[[group]]\nname = \"g{g}\"\n{}\ninstances = {}\nassignor = \"{}\"\ncommit = \"{}\"\nprocessing = \"{}\"\nmax_poll_records = {}\nsession_timeout = \"2s\"\nrebalance_time = \"300ms\"\nauto_commit_interval = \"1s\"\noffset_reset = \"{}\"\n",
                    if spec.both {
                        "topics = [\"t0\", \"t1\"]".to_string()
                    } else {
                        format!("topic = \"t{}\"", spec.topic)
                    },
                    spec.instances,
                    ASSIGNORS[spec.assignor],
                    COMMITS[spec.commit],
                    PROCESSING[spec.processing],
                    spec.max_poll,
                    if spec.reset_earliest { "earliest" } else { "latest" }
                );
                text.push_str(&handler_toml(spec.handler, g));
            }
            // Instances that exist so far per group (initial + add_instance).
            let mut counts: Vec<u32> = groups.iter().map(|g| g.instances).collect();
            let mut sorted = actions;
            sorted.sort_by_key(|a| a.at_ms);
            for action in sorted {
                let g = action.group % groups.len();
                let at = format!("{}ms", action.at_ms);
                match action.kind {
                    0..=2 if counts[g] > 0 => {
                        let kind = ["crash", "restart", "stop"][action.kind];
                        let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"{kind}\"\ngroup = \"g{g}\"\ninstance = {}\n", action.instance % counts[g]);
                    }
                    3 => {
                        counts[g] += 1;
                        let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"add_instance\"\ngroup = \"g{g}\"\n");
                    }
                    4 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"pause_producer\"\nproducer = \"p0\"\n"); }
                    7 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"outage_start\"\ndependency = \"dep\"\n"); }
                    8 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"outage_end\"\ndependency = \"dep\"\n"); }
                    9 if groups[g].handler % 6 == 1 || groups[g].handler % 6 == 2 || groups[g].handler % 6 == 5 => {
                        let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"replay_dlq\"\ngroup = \"g{g}\"\n");
                    }
                    10 if producers[0].4 == 3 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"crash_relay\"\nproducer = \"p0\"\n"); }
                    10 if producers[0].4 == 4 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"crash_connector\"\nproducer = \"p0\"\n"); }
                    5 => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"resume_producer\"\nproducer = \"p0\"\n"); }
                    _ => { let _ = write!(text, "[[timeline]]\nat = \"{at}\"\naction = \"set_rate\"\nproducer = \"p0\"\nrate = \"{}/s\"\n", 10 + action.instance * 50); }
                }
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Conservation, monotonic commits, single ownership and per-partition order hold in
    /// every random scenario (the checker runs on every event).
    #[test]
    fn invariants_hold_over_random_scenarios(text in scenario_text()) {
        let loaded = evflow::load_str(&text, "random.toml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let options = evflow::RunOptions { check_invariants: true, ..Default::default() };
        let run = evflow::run(&loaded.scenario, &options).unwrap();
        prop_assert!(run.report.violations.is_empty(), "{:#?}\n{}", run.report.violations, text);
        // Same seed, same trace.
        let again = evflow::run(&loaded.scenario, &Default::default()).unwrap();
        prop_assert_eq!(&again.report.trace_hash, &run.report.trace_hash);
    }

    /// Arbitrary text never panics the parser (it is an error or a scenario).
    #[test]
    fn the_parser_never_panics_on_arbitrary_text(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = evflow::load_str(&text, "fuzz.toml");
        let _ = evflow::load_str(&text, "fuzz.json");
    }

    /// Mutations of a valid scenario either load or give a located error, never a panic.
    #[test]
    fn the_parser_never_panics_on_mutated_scenarios(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = include_bytes!("../../scenarios/seed-topology.toml").to_vec();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        for file in ["m.toml", "m.json"] {
            if let Err(e) = evflow::load_str(&text, file) {
                prop_assert!(e.line >= 1 && e.column >= 1, "{}", e);
            }
        }
    }
}
