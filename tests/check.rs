//! `mgtrial check`: regression checks of promised power against a baseline CSV.

mod common;
use common::{run_in, shipped};
use std::path::Path;

/// Writes the textbook scenario (optionally with another effect) into `dir` and a baseline of
/// a three-point sweep over n per arm with 2000 replicates.
fn setup(dir: &Path) {
    std::fs::write(dir.join("textbook.toml"), shipped("textbook.toml")).unwrap();
    run_in(
        dir,
        &["run", "textbook.toml", "--sweep", "design.n_per_arm=20,40,64", "--reps", "2000", "-q", "--out", "base.csv"],
        0,
    );
}

fn change_effect(dir: &Path, delta: &str) {
    let text = shipped("textbook.toml");
    assert!(text.contains("delta = 0.5 "), "the textbook scenario's effect line");
    std::fs::write(dir.join("textbook.toml"), text.replace("delta = 0.5 ", &format!("delta = {delta} "))).unwrap();
}

#[test]
fn an_unchanged_scenario_passes_and_reproduces_exactly() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (out, _) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 0);
    assert!(out.contains("3 rows checked: 3 hold, 0 drifted"), "{out}");
    assert!(out.contains("0 not reproduced exactly"), "{out}");
    // Fresh replicates (another seed) agree within Monte Carlo error.
    let (out, _) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv", "--seed", "7"], 0);
    assert!(out.contains("3 hold"), "{out}");
}

/// A real change of effect size (d 0.5 -> 0.4) fails with exit 1 and names the points; the
/// JUnit report parses and counts the failures; `--update` rewrites the baseline, after which
/// the check passes.
#[test]
fn a_changed_effect_fails_names_the_point_and_can_be_accepted() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    change_effect(dir.path(), "0.4");
    let (out, _) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv", "--junit", "r.xml"], 1);
    assert!(out.contains("design.n_per_arm=40 | active | welch | all") && out.contains("drifted"), "{out}");
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 3);
    let failures = doc.descendants().filter(|n| n.has_tag_name("failure")).count();
    assert_eq!(doc.root_element().attribute("failures"), Some(failures.to_string().as_str()));
    assert!(failures >= 2, "{xml}");
    // A change below the minimum relevant change is accepted.
    change_effect(dir.path(), "0.49");
    run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv", "--seed", "3", "--min-change", "0.1"], 0);
    change_effect(dir.path(), "0.4");
    run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv", "--update"], 0);
    let (out, _) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 0);
    assert!(out.contains("3 hold"), "{out}");
}

/// With the same seed, replicates, version and scenario, any differing cell is a mismatch,
/// however small.
#[test]
fn an_exact_rerun_that_differs_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let path = dir.path().join("base.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = header.iter().position(|c| c == "mean_estimate").unwrap();
    let first = rows.records().next().unwrap().unwrap();
    let edited = text.replacen(&first[column], "0.123456", 1);
    std::fs::write(&path, &edited).unwrap();
    // An edited CSV no longer matches its provenance's SHA-256: refused as bad input.
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 2);
    assert!(e.contains("edited since it was written"), "{e}");
    // A baseline whose provenance agrees (as from another build) but whose cells differ.
    use sha2::{Digest, Sha256};
    let sha: String = Sha256::digest(edited.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let sidecar = dir.path().join("base.csv.provenance.toml");
    let record = std::fs::read_to_string(&sidecar).unwrap();
    let line = record.lines().find(|l| l.starts_with("output_sha256 = ")).unwrap().to_string();
    let edited_record = record.replace(&line, &format!("output_sha256 = \"{sha}\""));
    // Edited without its seal recomputed, the provenance itself is refused.
    std::fs::write(&sidecar, &edited_record).unwrap();
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 2);
    assert!(e.contains("not an intact provenance record"), "{e}");
    std::fs::write(&sidecar, common::reseal(&edited_record)).unwrap();
    let (out, _) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 1);
    assert!(out.contains("not reproduced exactly: mean_estimate"), "{out}");
}

/// A provenance whose seed, replicates or `--set` were edited is refused (exit 2) by its
/// content checksum, as an edited CSV is: before, `check` noted the difference, compared
/// within Monte Carlo error and passed.
#[test]
fn a_provenance_edited_in_its_seed_reps_or_set_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let sidecar = dir.path().join("base.csv.provenance.toml");
    let record = std::fs::read_to_string(&sidecar).unwrap();
    for (from, to) in
        [("\nseed = ", "\nseed = 1"), ("\nreps = ", "\nreps = 1"), ("set = [", "set = [\"design.n_per_arm=9\", ")]
    {
        assert!(record.contains(from), "{from} in {record}");
        std::fs::write(&sidecar, record.replacen(from, to, 1)).unwrap();
        let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 2);
        assert!(e.contains("its content does not match its checksum"), "{to}: {e}");
    }
    std::fs::write(&sidecar, &record).unwrap();
    run_in(dir.path(), &["check", "textbook.toml", "--baseline", "base.csv"], 0);
}

/// Over many checks with fresh replicates and no change, false alarms (exit 1) are at most
/// nominal: Holm keeps the family-wise rate of each check at or below alpha = 0.05, so of 60
/// checks of 5 points each at most 8 may fail (P(Binomial(60, 0.05) >= 9) = 0.0006).
#[test]
fn false_alarms_are_at_most_nominal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("textbook.toml"), shipped("textbook.toml")).unwrap();
    let sweep = "design.n_per_arm=10:50:10";
    run_in(dir.path(), &["run", "textbook.toml", "--sweep", sweep, "--reps", "500", "-q", "--out", "base.csv"], 0);
    let mut alarms = 0;
    for seed in 100..160 {
        let out = common::mgtrial()
            .current_dir(dir.path())
            .args(["check", "textbook.toml", "--baseline", "base.csv", "--seed", &seed.to_string()])
            .output()
            .unwrap();
        match out.status.code() {
            Some(0) => {}
            Some(1) => alarms += 1,
            other => panic!("seed {seed}: exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
    assert!(alarms <= 8, "{alarms} false alarms in 60 checks");
}

#[test]
fn bad_baselines_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("textbook.toml"), shipped("textbook.toml")).unwrap();
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "none.csv"], 2);
    assert!(e.contains("baseline none.csv") && e.contains("mgtrial run textbook.toml --out none.csv"), "{e}");
    std::fs::write(dir.path().join("plain.csv"), "a,b\n1,2\n").unwrap();
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "plain.csv"], 2);
    assert!(e.contains("provenance"), "{e}");
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "textbook.toml", "--baseline", "plain.csv"], 2);
    assert!(e.contains("give a directory"), "{e}");
    let (_, e) = run_in(dir.path(), &["check", "textbook.toml", "--baseline", "plain.csv", "--alpha", "0"], 2);
    assert!(e.contains("--alpha 0"), "{e}");
}
