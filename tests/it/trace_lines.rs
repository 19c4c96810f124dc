//! The `--trace` output: one valid JSON object per line, each key once, names escaped.
//!
//! Readers parse these lines with `jq` or a JSON library. Two past defects broke that: a
//! `processed` line carried `"event"` twice (the trace kind, then the record's event type, which
//! parsers keep, so the line read as an event of kind "checkout"), and names were written
//! between quotes unescaped, so a topic named `a"b` made the line invalid JSON.

use evflow::report::{run, RunOptions};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// A trace line's keys in order, duplicates kept (`serde_json::Value` keeps only the last).
fn keys_of(line: &str) -> Vec<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                keys.push(key);
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_str(line);
    de.deserialize_map(Keys)
        .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"))
}

/// The first `limit` trace lines of `text` run to its end.
fn trace_lines(text: &str, limit: usize) -> Vec<String> {
    let loaded = crate::support::load(text);
    let options = RunOptions {
        trace_lines: limit,
        ..RunOptions::default()
    };
    run(&loaded.scenario, &options)
        .expect("the scenario builds")
        .recorder
        .trace
        .lines
}

/// Checks one line: a JSON object, no key twice, `t_us` a number and `event` a string first.
/// Returns the parsed object.
fn checked(line: &str) -> serde_json::Map<String, serde_json::Value> {
    let keys = keys_of(line);
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a key appears twice: {line}");
    assert_eq!(
        keys.get(..2),
        Some(&["t_us".to_string(), "event".to_string()][..]),
        "{line}"
    );
    let serde_json::Value::Object(object) = serde_json::from_str(line).unwrap() else {
        unreachable!("keys_of accepted only objects");
    };
    assert!(object["t_us"].is_u64(), "{line}");
    assert!(object["event"].is_string(), "{line}");
    object
}

#[test]
fn every_line_of_the_bundled_scenarios_is_a_json_object_with_unique_keys() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut kinds = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in trace_lines(&text, 20_000) {
            let object = checked(&line);
            let kind = object["event"].as_str().unwrap().to_string();
            if kind == "processed" {
                assert!(object["event_type"].is_string(), "{line}");
            }
            kinds.insert(kind);
        }
    }
    // The bundled scenarios between them reach these kinds of line (so each format was checked).
    for kind in [
        "produced",
        "fetched",
        "processed",
        "committed",
        "attempt_failed",
        "assigned",
        "revoked",
        "rebalance_started",
        "rebalance_completed",
        "crashed",
        "row_committed",
    ] {
        assert!(
            kinds.contains(kind),
            "no `{kind}` line in the bundled scenarios: {kinds:?}"
        );
    }
}

#[test]
fn names_with_quotes_backslashes_and_newlines_stay_valid_json() {
    let topic = "or\"ders\\x";
    let group = "pay \"ments\"\nsvc";
    let producer = "check\\out→";
    let text = format!(
        r#"
duration = "3s"
seed = 3
[[topic]]
name = {topic:?}
partitions = 2
[[producer]]
name = {producer:?}
event = {producer:?}
topic = {topic:?}
rate = "50/s"
keys = "k{{1..5}}"
[[group]]
name = {group:?}
topic = {topic:?}
instances = 2
[group.handler]
transient_failure = 0.2
retry = {{ mode = "blocking", initial = "10ms", max_attempts = 2 }}
[[timeline]]
at = "1s"
action = "crash"
group = {group:?}
instance = 0
"#
    );
    let lines = trace_lines(&text, 100_000);
    let mut kinds = BTreeSet::new();
    for line in &lines {
        let object = checked(line);
        for (key, name) in [("topic", topic), ("group", group), ("producer", producer)] {
            if let Some(value) = object.get(key) {
                assert_eq!(value.as_str(), Some(name), "{line}");
            }
        }
        if object["event"] == "processed" {
            assert_eq!(object["event_type"].as_str(), Some(producer), "{line}");
        }
        kinds.insert(object["event"].as_str().unwrap().to_string());
    }
    for kind in [
        "produced",
        "fetched",
        "processed",
        "attempt_failed",
        "crashed",
    ] {
        assert!(kinds.contains(kind), "no `{kind}` line: {kinds:?}");
    }
}
