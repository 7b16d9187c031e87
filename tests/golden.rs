//! Golden outputs: what the shipped scenarios and the documented results are, byte for byte.
//!
//! - Every shipped scenario, run at [`GOLDEN_REPS`] replicates, gives the CSV pinned in
//!   `tests/golden/STEM.csv`.
//! - Every documented output in `docs/` (CSV, SVG, PNG, sample-size CSV) is reproduced by the
//!   command its provenance sidecar records, run as recorded in a copy of the repository's
//!   layout.
//!
//! A change that moves a number fails here first. When the move is intended, rewrite the pinned
//! CSVs with `MGTRIAL_BLESS=1 cargo test --release --test golden` (and regenerate `docs/` with
//! the commands in their sidecars), and say why in the commit.

mod common;
use common::mgtrial;
use std::path::{Path, PathBuf};

/// Replicates of each pinned run: enough that every row has a power and an estimate, few
/// enough that all the shipped scenarios run in seconds.
const GOLDEN_REPS: &str = "300";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_scenarios_give_their_pinned_csvs() {
    let bless = std::env::var_os("MGTRIAL_BLESS").is_some();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(repository().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 11, "{scenarios:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for scenario in &scenarios {
        let stem = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        // Run from the repository, by the relative path, as the README does.
        let relative = Path::new("scenarios").join(scenario.file_name().unwrap());
        let out = dir.path().join(format!("{stem}.csv"));
        mgtrial()
            .current_dir(repository())
            .arg("run")
            .arg(&relative)
            .args(["--reps", GOLDEN_REPS, "-q", "--out"])
            .arg(&out)
            .assert()
            .success();
        let now = std::fs::read(&out).unwrap();
        let pinned = repository().join("tests/golden").join(format!("{stem}.csv"));
        if bless {
            std::fs::write(&pinned, &now).unwrap();
        } else if std::fs::read(&pinned).ok().as_deref() != Some(now.as_slice()) {
            differ.push(stem);
        }
    }
    assert!(differ.is_empty(), "CSVs differ from tests/golden: {differ:?}");
}

/// The command that produced a documented output, from its sidecar: the plot command for a
/// figure drawn by `mgtrial plot`, else the run's.
fn producing_command(sidecar: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(sidecar).unwrap();
    let record: toml::Table = toml::from_str(&text).unwrap();
    let words = |v: &toml::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
    };
    record.get("plot_command").map_or_else(|| words(&record["command"]), words)
}

#[test]
fn documented_outputs_are_reproduced_by_their_recorded_commands() {
    let docs = repository().join("docs");
    let mut sidecars: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".provenance.toml"))
        .collect();
    sidecars.sort();
    assert!(sidecars.len() >= 10, "{sidecars:?}");
    let mut commands: Vec<Vec<String>> = sidecars.iter().map(|s| producing_command(s)).collect();
    commands.dedup();
    // Runs before plots: a plot reads the CSV a run writes.
    commands.sort_by_key(|c| c.get(1).is_some_and(|w| w == "plot"));
    commands.dedup();
    // The repository's layout, with the scenarios, in a temporary directory: each command runs
    // there exactly as recorded (figures embed their command line).
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("docs")).unwrap();
    std::fs::create_dir(root.path().join("scenarios")).unwrap();
    for entry in std::fs::read_dir(repository().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, root.path().join("scenarios").join(path.file_name().unwrap())).unwrap();
    }
    for command in &commands {
        assert!(command[0].ends_with("mgtrial"), "{command:?}");
        mgtrial().current_dir(root.path()).args(&command[1..]).assert().success();
    }
    let mut differ = Vec::new();
    for sidecar in &sidecars {
        let name = sidecar.file_name().unwrap().to_string_lossy().replace(".provenance.toml", "");
        let now = std::fs::read(root.path().join("docs").join(&name)).unwrap();
        if now != std::fs::read(docs.join(&name)).unwrap() {
            differ.push(name.clone());
        }
        // The sidecar records the program as invoked (here the test's binary path), and its
        // seal follows: the record is compared with the program's name set aside.
        let record = |path: &Path| {
            let mut t: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for key in ["command", "plot_command"] {
                if let Some(toml::Value::Array(words)) = t.get_mut(key) {
                    words[0] = toml::Value::String("mgtrial".into());
                }
            }
            t
        };
        if record(&root.path().join("docs").join(sidecar.file_name().unwrap())) != record(sidecar) {
            differ.push(sidecar.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(differ.is_empty(), "documented outputs not reproduced: {differ:?}");
}
