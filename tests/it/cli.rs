//! The `evflow` binary: each subcommand's contract.

use std::io::Write;
use std::process::{Command, Stdio};

fn evflow(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evflow"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn partition_json_matches_kafka() {
    // Kafka UtilsTest#testMurmur2: murmur2("21") == -973932308.
    let (code, out, _) = evflow(&["partition", "--partitions", "12", "--json", "21"], None);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["key"], "21");
    assert_eq!(rows[0]["murmur2"], -973_932_308);
    assert_eq!(rows[0]["partition"], (-973_932_308i32 & 0x7fff_ffff) % 12);
    let (code, out, _) = evflow(
        &[
            "partition",
            "--partitions",
            "12",
            "--json",
            "--key-hex",
            "3231",
        ],
        None,
    );
    assert_eq!(code, 0);
    let hex: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hex[0]["murmur2"], -973_932_308);
}

#[test]
fn assign_reads_json_and_prints_the_assignment() {
    let input = r#"{"assignor":"range","partitions_per_topic":{"t1":6},"members":{"c1":{"topics":["t1"]},"c2":{"topics":["t1"]}}}"#;
    let (code, out, err) = evflow(&["assign"], Some(input));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        r#"{"c1":["t1-0","t1-1","t1-2"],"c2":["t1-3","t1-4","t1-5"]}"#
    );
    // Cooperative-sticky withholds a partition that changes owner in the first round.
    let input = r#"{"assignor":"cooperative-sticky","partitions_per_topic":{"t1":4},"members":{"c1":{"topics":["t1"],"owned":["t1-0","t1-1","t1-2","t1-3"],"generation":1},"c2":{"topics":["t1"]}}}"#;
    let (code, out, err) = evflow(&["assign"], Some(input));
    assert_eq!(code, 0, "{err}");
    let assignment: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(assignment["c1"].as_array().unwrap().len(), 2);
    assert_eq!(assignment["c2"].as_array().unwrap().len(), 0);
}

#[test]
fn backoff_json_follows_spring() {
    let (code, out, _) = evflow(
        &[
            "backoff",
            "--initial",
            "1s",
            "--multiplier",
            "2",
            "--max-interval",
            "10s",
            "--max-attempts",
            "6",
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"{"delays_ms":[1000,2000,4000,8000,10000,10000],"stops":true}"#
    );
    // Max elapsed time is checked before adding the next interval: 1+2+4+8 = 15s >= 10s stops.
    let (_, out, _) = evflow(
        &[
            "backoff",
            "--initial",
            "1s",
            "--multiplier",
            "2",
            "--max-elapsed",
            "10s",
            "--json",
        ],
        None,
    );
    assert_eq!(
        out.trim(),
        r#"{"delays_ms":[1000,2000,4000,8000],"stops":true}"#
    );
}

#[test]
fn run_prints_the_describe_table_and_check_reports_failures() {
    let (code, out, _) = evflow(
        &["run", "scenarios/seed-topology.toml", "--until", "5s"],
        None,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("GROUP              TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG"),
        "{out}"
    );
    assert!(out.contains("trace hash: "));
    let (code, out, _) = evflow(
        &["run", "scenarios/seed-topology.toml", "--format", "json"],
        None,
    );
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["describe"].as_array().unwrap().len(), 24);

    let dir = ScratchDir::new("evflow-cli");
    let dir = dir.path();
    let failing = dir.join("failing.toml");
    std::fs::write(&failing, "duration = \"1s\"\n[[topic]]\nname = \"t\"\npartitions = 1\n[expect]\nchecks = [\"produced > 5\"]\n").unwrap();
    let (code, out, _) = evflow(&["check", failing.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL produced > 5: measured 0, expected > 5"),
        "{out}"
    );
    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        "duration = \"1s\"\n[[topic]]\nname = \"t\"\npartitons = 1\n",
    )
    .unwrap();
    let (code, _, err) = evflow(&["run", broken.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.toml:4:1: error in `topic[0].partitons`"),
        "{err}"
    );
}

#[test]
fn schema_is_json_schema_of_the_format() {
    let (code, out, _) = evflow(&["schema"], None);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "Scenario");
    assert!(schema["properties"]["topic"].is_object());
    assert!(schema["required"]
        .as_array()
        .unwrap()
        .contains(&"duration".into()));
}

#[test]
fn the_shipped_schema_file_is_current() {
    let (_, out, _) = evflow(&["schema"], None);
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/evflow-scenario.schema.json"
    ))
    .unwrap();
    assert_eq!(
        out, shipped,
        "regenerate with: evflow schema > docs/evflow-scenario.schema.json"
    );
}

/// A directory under the system temp dir, removed when dropped (also when a test fails).
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
