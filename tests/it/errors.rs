//! Every class of bad input gets one clear error with file:line:column and the field path,
//! never a panic.

use evflow::scenario::{load_str, ErrorKind, ScenarioError};

fn error(file: &str, text: &str) -> ScenarioError {
    match load_str(text, file) {
        Ok(_) => panic!("{file} should be rejected"),
        Err(e) => e,
    }
}

fn assert_at(e: &ScenarioError, kind: ErrorKind, line: usize, column: usize, path: &str) {
    assert_eq!(
        (e.kind, e.line, e.column, e.path.as_str()),
        (kind, line, column, path),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}:{line}:{column}: error", e.file)),
        "{text}"
    );
}

const TOPIC: &str = "duration = \"60s\"\n[[topic]]\nname = \"orders\"\npartitions = 12\n";

#[test]
fn unknown_field_suggests_the_closest_name() {
    let e = error(
        "a.toml",
        "duration = \"60s\"\n[[topic]]\nname = \"orders\"\npartitons = 12\n",
    );
    assert_at(&e, ErrorKind::UnknownField, 4, 1, "topic[0].partitons");
    assert_eq!(e.hint.as_deref(), Some("did you mean `partitions`?"));
    assert!(e.to_string().contains(" 4 | partitons = 12"));
}

#[test]
fn unknown_top_level_field() {
    let e = error("a.toml", "duraton = \"60s\"\n");
    assert_eq!(e.kind, ErrorKind::UnknownField);
    assert_eq!((e.line, e.column), (1, 1));
    assert_eq!(e.hint.as_deref(), Some("did you mean `duration`?"));
}

#[test]
fn wrong_type() {
    let e = error(
        "a.toml",
        "duration = \"60s\"\n[[topic]]\nname = \"orders\"\npartitions = \"twelve\"\n",
    );
    assert_at(&e, ErrorKind::BadValue, 4, 14, "topic[0].partitions");
    assert!(e.hint.unwrap().contains("without quotes"));
}

#[test]
fn bad_duration() {
    let e = error("a.toml", "duration = \"60 parsecs\"\n");
    assert_at(&e, ErrorKind::BadValue, 1, 12, "duration");
    assert!(e.message.contains("250ms"));
}

#[test]
fn bad_rate_and_distribution() {
    let e = error(
        "a.toml",
        &format!("{TOPIC}[[producer]]\nname = \"p\"\ntopic = \"orders\"\nrate = \"fast\"\n"),
    );
    assert_at(&e, ErrorKind::BadValue, 8, 8, "producer[0].rate");
    let e = error(
        "a.toml",
        &format!("{TOPIC}[[group]]\nname = \"g\"\ntopic = \"orders\"\ninstances = 1\nprocessing = \"gauss(5ms)\"\n"),
    );
    assert_at(&e, ErrorKind::BadValue, 9, 14, "group[0].processing");
}

#[test]
fn zero_partitions() {
    let e = error(
        "a.toml",
        "duration = \"60s\"\n[[topic]]\nname = \"orders\"\npartitions = 0\n",
    );
    assert_at(&e, ErrorKind::Invalid, 4, 14, "topic[0].partitions");
}

#[test]
fn absurd_sizes() {
    let e = error(
        "a.toml",
        "duration = \"60s\"\n[[topic]]\nname = \"orders\"\npartitions = 1000000\n",
    );
    assert_at(&e, ErrorKind::Invalid, 4, 14, "topic[0].partitions");
    let e = error("a.toml", &format!("{TOPIC}[[producer]]\nname = \"p\"\ntopic = \"orders\"\nrate = \"1/s\"\nkeys = \"k{{1..99999999999}}\"\n"));
    assert_at(&e, ErrorKind::Invalid, 9, 8, "producer[0].keys");
    let e = error("a.toml", "duration = \"100000d\"\n");
    assert_at(&e, ErrorKind::Invalid, 1, 12, "duration");
}

#[test]
fn group_on_a_missing_topic() {
    let e = error(
        "a.toml",
        &format!("{TOPIC}[[group]]\nname = \"g\"\ntopic = \"order\"\ninstances = 2\n"),
    );
    assert_at(&e, ErrorKind::Invalid, 7, 9, "group[0].topic");
    assert_eq!(e.hint.as_deref(), Some("did you mean \"orders\"?"));
}

#[test]
fn unknown_assignor_and_action() {
    let e = error("a.toml", &format!("{TOPIC}[[group]]\nname = \"g\"\ntopic = \"orders\"\ninstances = 2\nassignor = \"rnage\"\n"));
    assert_at(&e, ErrorKind::BadValue, 9, 12, "group[0].assignor");
    assert!(e.message.contains("did you mean \"range\""));
    let e = error(
        "a.toml",
        "duration = \"60s\"\n[[timeline]]\nat = \"5s\"\naction = \"crsh\"\n",
    );
    assert_eq!(e.kind, ErrorKind::BadValue);
    assert_eq!(e.line, 4, "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `crash`?"));
}

#[test]
fn timeline_references_are_checked() {
    let base = format!("{TOPIC}[[group]]\nname = \"g\"\ntopic = \"orders\"\ninstances = 2\n");
    let e = error(
        "a.toml",
        &format!(
            "{base}[[timeline]]\nat = \"5s\"\naction = \"crash\"\ngroup = \"g\"\ninstance = 2\n"
        ),
    );
    assert_at(&e, ErrorKind::Invalid, 13, 12, "timeline[0].instance");
    let e = error(
        "a.toml",
        &format!(
            "{base}[[timeline]]\nat = \"90s\"\naction = \"crash\"\ngroup = \"g\"\ninstance = 0\n"
        ),
    );
    assert_at(&e, ErrorKind::Invalid, 10, 6, "timeline[0].at");
    let e = error("a.toml", &format!("{base}[[timeline]]\nat = \"5s\"\naction = \"set_rate\"\nproducer = \"nobody\"\nrate = \"5/s\"\n"));
    assert_at(&e, ErrorKind::Invalid, 12, 12, "timeline[0].producer");
}

#[test]
fn bad_assertions() {
    let e = error(
        "a.toml",
        &format!("{TOPIC}[expect]\nchecks = [\"lost == 0\", \"max_lagg < 5\"]\n"),
    );
    assert_at(&e, ErrorKind::Invalid, 6, 24, "expect.checks[1]");
    assert_eq!(e.hint.as_deref(), Some("did you mean `max_lag`?"));
}

#[test]
fn syntax_errors() {
    let e = error("a.toml", "duration = \"60s\n");
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, 1));
    let e = error("a.toml", "[[topic]\nname = 1\n");
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, 1));
    let e = error("a.json", "{\"duration\": \"60s\",\n \"topic\": [}\n");
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, 2));
}

#[test]
fn missing_field() {
    let e = error("a.toml", "[[topic]]\nname = \"orders\"\npartitions = 1\n");
    assert_eq!(e.kind, ErrorKind::MissingField);
    assert!(e.message.contains("duration"), "{e}");
    let e = error(
        "a.toml",
        "duration = \"1s\"\n[[topic]]\nname = \"orders\"\n",
    );
    assert_eq!(e.kind, ErrorKind::MissingField);
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn json_scenarios_get_the_same_errors() {
    let e = error(
        "a.json",
        "{\"duration\": \"60s\",\n \"topic\": [{\"name\": \"orders\", \"partitons\": 3}]}",
    );
    assert_at(&e, ErrorKind::UnknownField, 2, 31, "topic[0].partitons");
    let e = error(
        "a.json",
        "{\"duration\": \"60s\",\n \"topic\": [{\"name\": \"orders\", \"partitions\": 3}],\n \"group\": [{\"name\": \"g\", \"topic\": \"ordrs\", \"instances\": 1}]}",
    );
    assert_at(&e, ErrorKind::Invalid, 3, 35, "group[0].topic");
    let e = error(
        "a.json",
        "{\"duration\": \"60s\", \"topic\": [{\"name\": \"o\", \"partitions\": \"x\"}]}",
    );
    assert_eq!((e.kind, e.line), (ErrorKind::BadValue, 1));
    // A key given twice is rejected (JSON parsers usually keep the last one silently).
    let e = error(
        "a.json",
        "{\"duration\": \"60s\",\n \"topic\": [{\"name\": \"o\", \"partitions\": 3, \"partitions\": 4}]}",
    );
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("duplicate field `partitions`"), "{e}");
}

#[test]
fn the_same_scenario_in_toml_and_json_is_the_same() {
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/seed-topology.toml"
    ))
    .unwrap();
    let loaded = load_str(&toml, "seed.toml").unwrap();
    let json = serde_json::to_string(&loaded.scenario).unwrap();
    let again = load_str(&json, "seed.json").unwrap();
    let a = evflow::run(&loaded.scenario, &Default::default()).unwrap();
    let b = evflow::run(&again.scenario, &Default::default()).unwrap();
    assert_eq!(a.report.trace_hash, b.report.trace_hash);
}

#[test]
fn a_huge_rate_is_named_in_scientific_notation() {
    let text =
        format!("{TOPIC}[[producer]]\nname = \"p\"\ntopic = \"orders\"\nrate = \"1e300/s\"\n");
    let e = error("a.toml", &text);
    assert_at(&e, ErrorKind::Invalid, 8, 8, "producer[0].rate");
    assert_eq!(
        e.message,
        "a rate of 1e300/s is above the limit of 10000000/s"
    );
    let text = format!("{TOPIC}[[producer]]\nname = \"p\"\ntopic = \"orders\"\nrate = \"2e7/s\"\n");
    assert_eq!(
        error("a.toml", &text).message,
        "a rate of 20000000/s is above the limit of 10000000/s"
    );
}

/// Entities are numbered with `u16`s, and the engine trusts its own numbers: a `Scenario` built
/// in code (which skips validation) with more topics than that fails to build rather than
/// wrapping a number round to another topic.
#[test]
fn more_topics_than_can_be_numbered_fail_to_build() {
    let mut loaded = load_str(
        "duration = \"1s\"\n[[topic]]\nname = \"t\"\npartitions = 1\n",
        "many.toml",
    )
    .unwrap();
    let template = loaded.scenario.topics[0].clone();
    loaded.scenario.topics = (0..=u32::from(u16::MAX) + 1)
        .map(|n| {
            let mut topic = template.clone();
            topic.name = format!("t{n}");
            topic
        })
        .collect();
    let error = evflow::Simulation::from_scenario(&loaded.scenario, None)
        .err()
        .expect("65,537 topics do not build");
    assert!(error.to_string().contains("65536 topics"), "{error}");
    loaded.scenario.topics.pop();
    assert!(evflow::Simulation::from_scenario(&loaded.scenario, None).is_ok());
}

/// A `Scenario` built in code skips validation: an action naming a group that does not exist,
/// or an instance number past `u16`, fails the build instead of falling back to entity 0; a
/// crash of an instance the group does not have is ignored when its time comes.
#[test]
fn actions_of_a_scenario_built_in_code_are_checked() {
    let text = "duration = \"2s\"\n[[topic]]\nname = \"t\"\npartitions = 2\n[[group]]\nname = \"g\"\ntopic = \"t\"\ninstances = 2\n[[timeline]]\nat = \"1s\"\naction = \"crash\"\ngroup = \"g\"\ninstance = 1\n";
    let loaded = load_str(text, "actions.toml").unwrap();
    let build = |edit: &dyn Fn(&mut evflow::scenario::model::Scenario)| {
        let mut scenario = loaded.scenario.clone();
        edit(&mut scenario);
        evflow::Simulation::from_scenario(&scenario, None).map(|mut simulation| {
            simulation.run_to_end();
            simulation
        })
    };
    let unknown = build(&|s| s.timeline[0].group = Some("nope".into()));
    assert_eq!(
        unknown.err().map(|e| e.to_string()),
        Some("unknown group \"nope\"".to_string())
    );
    let too_large = build(&|s| s.timeline[0].instance = Some(70_000));
    assert!(too_large.is_err());
    let missing = build(&|s| s.timeline[0].instance = Some(5)).expect("builds");
    assert_eq!(missing.world().groups[0].instances.len(), 2);
    let crashed = build(&|_| {}).expect("builds");
    assert_ne!(
        crashed.world().groups[0].instances[1].state,
        missing.world().groups[0].instances[1].state,
        "the valid crash happened, the missing instance's did not"
    );
}
