//! Output: the CSV of result rows (written atomically) and the on-screen table.

use crate::summary::ComparisonSummary;
use std::io::Write;
use std::path::Path;

/// CSV header, in column order.
pub const COLUMNS: [&str; 26] = [
    "scenario",
    "comparison",
    "analysis",
    "sided",
    "alpha",
    "n_per_arm",
    "reps",
    "seed",
    "power",
    "power_ci_low",
    "power_ci_high",
    "mean_estimate",
    "sd_estimate",
    "true_effect",
    "bias",
    "ci_coverage",
    "mean_screened",
    "mean_enrolled",
    "screened_per_enrolled",
    "ppv_deficient",
    "selection_sensitivity",
    "dropout_rate",
    "normal_at_end_placebo",
    "normal_at_end_active",
    "reps_not_analysable",
    "power_mc_se",
];

fn fixed(v: f64) -> String {
    // Six decimals, and never "-0.000000".
    let s = format!("{v:.6}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

fn optional(v: Option<f64>) -> String {
    v.map(fixed).unwrap_or_default()
}

/// The row's cells, in [`COLUMNS`] order.
pub fn record(r: &ComparisonSummary) -> Vec<String> {
    vec![
        r.scenario.clone(),
        r.comparison.clone(),
        r.analysis.clone(),
        r.sided.clone(),
        fixed(r.alpha),
        r.n_per_arm.to_string(),
        r.reps.to_string(),
        r.seed.to_string(),
        fixed(r.power),
        fixed(r.power_ci_low),
        fixed(r.power_ci_high),
        fixed(r.mean_estimate),
        fixed(r.sd_estimate),
        fixed(r.true_effect),
        fixed(r.bias),
        fixed(r.ci_coverage),
        fixed(r.mean_screened),
        fixed(r.mean_enrolled),
        fixed(r.screened_per_enrolled),
        optional(r.ppv_deficient),
        optional(r.selection_sensitivity),
        fixed(r.dropout_rate),
        optional(r.normal_at_end_placebo),
        optional(r.normal_at_end_active),
        r.reps_not_analysable.to_string(),
        fixed((r.power * (1.0 - r.power) / f64::from(r.reps)).sqrt()),
    ]
}

/// CSV text of the rows, with header.
pub fn csv_string(rows: &[ComparisonSummary]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for r in rows {
        w.write_record(record(r)).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("UTF-8")
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target, so a failed or interrupted run never leaves a partial file.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A readable summary for the terminal.
pub fn table(rows: &[ComparisonSummary]) -> String {
    let mut out = String::new();
    for r in rows {
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", 100.0 * v));
        out += &format!(
            "{} | {} vs placebo | {} ({}-sided, alpha {}) | n/arm {} | {} trials, seed {}\n",
            r.scenario, r.comparison, r.analysis, r.sided, r.alpha, r.n_per_arm, r.reps, r.seed
        );
        out += &format!(
            "  power            {:.3}  (95% CI {:.3}-{:.3}, Wilson; MC SE {:.4})\n",
            r.power,
            r.power_ci_low,
            r.power_ci_high,
            (r.power * (1.0 - r.power) / f64::from(r.reps)).sqrt()
        );
        out += &format!(
            "  estimate         {:.3} (SD {:.3}); true effect {:.3}; bias {:+.3}; 95% CI coverage {:.3}\n",
            r.mean_estimate, r.sd_estimate, r.true_effect, r.bias, r.ci_coverage
        );
        out += &format!(
            "  screening        {:.1} screened for {:.1} enrolled ({:.2} per enrolled); PPV deficient {}; sensitivity {}\n",
            r.mean_screened,
            r.mean_enrolled,
            r.screened_per_enrolled,
            pct(r.ppv_deficient),
            pct(r.selection_sensitivity)
        );
        out += &format!(
            "  follow-up        dropout {:.1}%; normal Mg at end: placebo {}, active {}\n",
            100.0 * r.dropout_rate,
            pct(r.normal_at_end_placebo),
            pct(r.normal_at_end_active)
        );
        if r.reps_not_analysable > 0 {
            out += &format!(
                "  note             {} trials could not be analysed (too few completers)\n",
                r.reps_not_analysable
            );
        }
    }
    out
}
