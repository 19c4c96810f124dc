//! Golden tests: every bundled scenario validates, passes its own [expect] checks with the
//! invariant checker on, and keeps its pinned trace hash (set UPDATE_GOLDEN=1 to re-pin after
//! an intended behaviour change, and say why in the commit).

use std::collections::BTreeMap;
use std::path::Path;

fn scenario_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn bundled_scenarios_pass_their_checks_and_keep_their_hashes() {
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/trace-hashes.txt");
    let pinned: BTreeMap<String, String> = std::fs::read_to_string(&golden_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.trim().to_string()))
        })
        .collect();
    let mut actual = BTreeMap::new();
    let files = scenario_files();
    assert!(!files.is_empty());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = evflow::load_str(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        let options = evflow::RunOptions {
            check_invariants: true,
            ..Default::default()
        };
        let run = evflow::run(&loaded.scenario, &options).unwrap();
        assert!(
            run.report.violations.is_empty(),
            "{name}: {:?}",
            run.report.violations
        );
        for check in &loaded.checks {
            let outcome = check.evaluate(&run.report);
            assert!(outcome.passed, "{name}: {outcome}");
        }
        actual.insert(name, run.report.trace_hash.clone());
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let mut text = String::from(
            "# scenario trace-hash (default seed); re-pin with UPDATE_GOLDEN=1 cargo test golden\n",
        );
        for (name, hash) in &actual {
            text.push_str(&format!("{name} {hash}\n"));
        }
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(&golden_path, text).unwrap();
        return;
    }
    assert_eq!(
        actual, pinned,
        "trace hashes changed (UPDATE_GOLDEN=1 to re-pin if intended)"
    );
}
