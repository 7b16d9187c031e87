//! `mgtrial validate`: passes on a clean build, fails when a known bias is injected.

mod common;
use common::run;

#[test]
fn validation_passes_on_this_build() {
    let (out, _) = run(&["validate"], 0);
    assert!(out.contains("40 checks: 40 passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// Multiplying every p-value by 0.7 (deciding at alpha / 0.7 = 0.071) inflates type I error
/// and power: the validation must fail, and name the checks it fails.
#[test]
fn validation_fails_under_an_injected_bias() {
    let (out, _) = run(&["validate", "--inject-bias", "0.3"], 1);
    assert!(out.contains("FAIL") && out.contains("negbin_wald (attacks, 250 per arm)"), "{out}");
    let failed = out.lines().filter(|l| l.ends_with("FAIL")).count();
    assert!(failed >= 5, "{out}");
}
