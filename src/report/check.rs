//! Regression checks of promised power: a scenario re-run with the seed and replicates of its
//! baseline CSV, compared row by row (design point x comparison x analysis x subgroup).
//!
//! Each row's power is compared by the two-proportion z test of the two runs' rejection rates
//! (pooled variance; with a minimum relevant change `delta`, the one-sided test of
//! `|p_now - p_base| > delta` with unpooled variance), and the p-values of all rows of a check
//! are adjusted by Holm's (1979) step-down method, so that the chance of any false alarm in a
//! check is at most alpha. When the seed, replicates, version and scenario are the same, the
//! run must reproduce the baseline exactly: any differing cell is a mismatch, whatever its size.

use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;

/// Options of a check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOptions {
    /// Family-wise significance level of the drift tests.
    pub alpha: f64,
    /// Smallest change of power that matters (0: any change).
    pub min_change: f64,
}

/// One row of a CSV written by `mgtrial run`, by its column names.
type Row = BTreeMap<String, String>;

/// The columns that identify a row: those before `scenario` (series and swept fields), the
/// comparison, analysis and subgroup (`all` when a baseline predates subgroups), and a
/// crossover's layout.
fn key(header: &[String], row: &Row) -> String {
    let mut parts: Vec<String> = Vec::new();
    for h in header {
        if h == "scenario" {
            break;
        }
        parts.push(format!("{h}={}", row[h]));
    }
    parts.push(row.get("comparison").cloned().unwrap_or_default());
    parts.push(row.get("analysis").cloned().unwrap_or_default());
    parts.push(row.get("subgroup").cloned().unwrap_or_else(|| "all".into()));
    // A crossover's row and its parallel design's row share the rest.
    if let Some(layout) = row.get("layout") {
        parts.push(layout.clone());
    }
    parts.join(" | ")
}

/// Rows of a result CSV in file order, with its header. Errors say what is wrong with it.
fn read_rows(csv_text: &str, what: &str) -> Result<(Vec<String>, Vec<Row>), String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("{what}: not a CSV: {e}"))?.iter().map(String::from).collect();
    for needed in ["scenario", "power", "reps"] {
        if !header.iter().any(|h| h == needed) {
            return Err(format!("{what}: no `{needed}` column: not a CSV written by `mgtrial run`"));
        }
    }
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| format!("{what}: {e}"))?;
        rows.push(header.iter().cloned().zip(r.iter().map(String::from)).collect());
    }
    Ok((header, rows))
}

/// What the check found for one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within Monte Carlo error of the baseline (or identical).
    Holds,
    /// A significant change of power (Holm-adjusted p below alpha).
    Drifted,
    /// An exact re-run whose cells differ from the baseline's: the columns that differ.
    Mismatch(Vec<String>),
    /// The row is in the baseline but not in the new run.
    Missing,
    /// The row is new: not in the baseline.
    New,
}

/// One compared row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCheck {
    pub scenario: String,
    /// Design point, comparison, analysis and subgroup.
    pub row: String,
    pub baseline_power: Option<f64>,
    pub power: Option<f64>,
    pub z: Option<f64>,
    /// Holm-adjusted p-value of the drift test.
    pub adjusted_p: Option<f64>,
    pub verdict: Verdict,
}

impl RowCheck {
    pub fn failed(&self) -> bool {
        self.verdict != Verdict::Holds
    }
}

/// The z statistic and one-row p-value comparing power `p0` over `n0` replicates with `p1`
/// over `n1`: pooled two-sided z with `min_change` 0, else the one-sided test that the change
/// exceeds `min_change` (unpooled SE).
pub(crate) fn drift_test(p0: f64, n0: f64, p1: f64, n1: f64, min_change: f64) -> (f64, f64) {
    let normal = Normal::standard();
    let d = p1 - p0;
    if min_change > 0.0 {
        let se = (p0 * (1.0 - p0) / n0 + p1 * (1.0 - p1) / n1).sqrt();
        let excess = d.abs() - min_change;
        if se == 0.0 {
            return (if excess > 0.0 { f64::INFINITY } else { 0.0 }, if excess > 0.0 { 0.0 } else { 1.0 });
        }
        let z = excess / se;
        return (d.signum() * z.max(0.0), normal.sf(z));
    }
    let pooled = (p0 * n0 + p1 * n1) / (n0 + n1);
    let se = (pooled * (1.0 - pooled) * (1.0 / n0 + 1.0 / n1)).sqrt();
    if se == 0.0 {
        // Both runs all-rejecting or all-accepting: no evidence of a change.
        return (0.0, 1.0);
    }
    let z = d / se;
    (z, 2.0 * normal.sf(z.abs()))
}

/// [`drift_test`] from the SE of the difference `d` itself (rows under `[uncertainty]`).
pub(crate) fn drift_test_se(d: f64, se: f64, min_change: f64) -> (f64, f64) {
    let normal = Normal::standard();
    let excess = d.abs() - min_change.max(0.0);
    if !(se > 0.0 && se.is_finite()) {
        return if min_change > 0.0 && excess > 0.0 { (d.signum() * f64::INFINITY, 0.0) } else { (0.0, 1.0) };
    }
    if min_change > 0.0 {
        let z = excess / se;
        return (d.signum() * z.max(0.0), normal.sf(z));
    }
    let z = d / se;
    (z, 2.0 * normal.sf(z.abs()))
}

/// Holm's step-down adjustment (Holm 1979, Scand. J. Statist. 6:65-70): the i-th smallest of
/// `m` p-values becomes `max over j <= i of min(1, (m - j + 1) p_(j))`.
pub(crate) fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Compares a new run's CSV with its baseline's, row by row. With `exact`, the runs share
/// seed, replicates, version and scenario, so every cell must be equal (columns that identify
/// the run's provenance aside). P-values are returned unadjusted; [`adjust`] applies Holm over
/// every row of a check.
pub fn compare(
    scenario: &str,
    baseline_csv: &str,
    current_csv: &str,
    exact: bool,
    options: &CheckOptions,
) -> Result<Vec<RowCheck>, String> {
    let (base_header, base_rows) = read_rows(baseline_csv, "the baseline")?;
    let (header, rows) = read_rows(current_csv, "the new run")?;
    let number = |r: &Row, c: &str| r.get(c).and_then(|v| v.parse::<f64>().ok());
    let mut out = Vec::new();
    let current: BTreeMap<String, &Row> = rows.iter().map(|r| (key(&header, r), r)).collect();
    let mut seen = std::collections::BTreeSet::new();
    for b in &base_rows {
        let k = key(&base_header, b);
        seen.insert(k.clone());
        let Some(now) = current.get(&k) else {
            out.push(RowCheck {
                scenario: scenario.into(),
                row: k,
                baseline_power: number(b, "power"),
                power: None,
                z: None,
                adjusted_p: None,
                verdict: Verdict::Missing,
            });
            continue;
        };
        let (p0, n0, p1, n1) = (number(b, "power"), number(b, "reps"), number(now, "power"), number(now, "reps"));
        let (Some(p0), Some(n0), Some(p1), Some(n1)) = (p0, n0, p1, n1) else {
            return Err(format!("row {k}: power or reps is not a number"));
        };
        // Under [uncertainty] the trials of a draw are not independent: the rows' own SEs
        // (over draws) replace the binomial ones.
        let (z, p) = match (number(b, "draws"), number(b, "power_mc_se"), number(now, "power_mc_se")) {
            (Some(_), Some(se0), Some(se1)) => {
                drift_test_se(p1 - p0, (se0 * se0 + se1 * se1).sqrt(), options.min_change)
            }
            _ => drift_test(p0, n0, p1, n1, options.min_change),
        };
        let differing: Vec<String> = if exact {
            base_header
                .iter()
                .filter(|c| c.as_str() != "scenario_sha256" && b.get(*c) != now.get(*c))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        out.push(RowCheck {
            scenario: scenario.into(),
            row: k,
            baseline_power: Some(p0),
            power: Some(p1),
            z: Some(z),
            adjusted_p: Some(p),
            verdict: if differing.is_empty() { Verdict::Holds } else { Verdict::Mismatch(differing) },
        });
    }
    for r in &rows {
        let k = key(&header, r);
        if !seen.contains(&k) {
            out.push(RowCheck {
                scenario: scenario.into(),
                row: k,
                baseline_power: None,
                power: number(r, "power"),
                z: None,
                adjusted_p: None,
                verdict: Verdict::New,
            });
        }
    }
    Ok(out)
}

/// Adjusts the p-values of every compared row by Holm's method and marks the rows whose
/// adjusted p-value is below alpha as drifted.
pub fn adjust(rows: &mut [RowCheck], options: &CheckOptions) {
    let tested: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].adjusted_p.is_some()).collect();
    let adjusted = holm(&tested.iter().map(|&i| rows[i].adjusted_p.expect("tested")).collect::<Vec<_>>());
    for (&i, p) in tested.iter().zip(adjusted) {
        rows[i].adjusted_p = Some(p);
        if p < options.alpha && rows[i].verdict == Verdict::Holds {
            rows[i].verdict = Verdict::Drifted;
        }
    }
}

/// The report for the terminal: the rows that failed, then a summary line.
pub fn table(rows: &[RowCheck], options: &CheckOptions) -> String {
    let failed: Vec<&RowCheck> = rows.iter().filter(|r| r.failed()).collect();
    let show = |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
    let mut out = String::new();
    let sw = failed.iter().map(|r| r.scenario.chars().count()).max().unwrap_or(8).max(8);
    let rw = failed.iter().map(|r| r.row.chars().count()).max().unwrap_or(3).max(3);
    if !failed.is_empty() {
        out += &format!(
            "{:<sw$} {:<rw$} {:>8} {:>8} {:>8} {:>7} {:>9}  verdict\n",
            "scenario", "row", "baseline", "now", "change", "z", "Holm p"
        );
        for r in &failed {
            let change = r.baseline_power.zip(r.power).map(|(a, b)| b - a);
            let verdict = match &r.verdict {
                Verdict::Drifted => "drifted".to_string(),
                Verdict::Mismatch(cols) => format!("not reproduced exactly: {}", cols.join(", ")),
                Verdict::Missing => "missing from the new run".to_string(),
                Verdict::New => "not in the baseline".to_string(),
                Verdict::Holds => String::new(),
            };
            out += &format!(
                "{:<sw$} {:<rw$} {:>8} {:>8} {:>8} {:>7} {:>9}  {verdict}\n",
                r.scenario,
                r.row,
                show(r.baseline_power, 4),
                show(r.power, 4),
                change.map_or("-".into(), |c| format!("{c:+.4}")),
                show(r.z, 2),
                r.adjusted_p.map_or("-".into(), |p| crate::report::export::format_p(p).replace("p ", "")),
            );
        }
    }
    let mismatches = rows.iter().filter(|r| matches!(r.verdict, Verdict::Mismatch(_))).count();
    out += &format!(
        "{} rows checked: {} hold, {} drifted (Holm-adjusted p < {}{}), {} not reproduced exactly, {} missing, {} new\n",
        rows.len(),
        rows.iter().filter(|r| !r.failed()).count(),
        rows.iter().filter(|r| r.verdict == Verdict::Drifted).count(),
        options.alpha,
        if options.min_change > 0.0 { format!(", change beyond {}", options.min_change) } else { String::new() },
        mismatches,
        rows.iter().filter(|r| r.verdict == Verdict::Missing).count(),
        rows.iter().filter(|r| r.verdict == Verdict::New).count(),
    );
    out
}

/// `text` escaped for an XML attribute or text node.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// A JUnit XML report: one test suite per scenario, one test case per row, a failure
/// element for each failed row.
pub fn junit(rows: &[RowCheck]) -> String {
    let mut scenarios: Vec<&str> = Vec::new();
    for r in rows {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    let failures = rows.iter().filter(|r| r.failed()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mgtrial check\" tests=\"{}\" failures=\"{failures}\">\n",
        rows.len()
    );
    for s in scenarios {
        let mine: Vec<&RowCheck> = rows.iter().filter(|r| r.scenario == s).collect();
        out += &format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml_escape(s),
            mine.len(),
            mine.iter().filter(|r| r.failed()).count()
        );
        for r in mine {
            out += &format!("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(s), xml_escape(&r.row));
            let message = match &r.verdict {
                Verdict::Holds => None,
                Verdict::Drifted => Some(format!(
                    "power {:.4} -> {:.4} (z {:.2}, Holm-adjusted p {:.3e})",
                    r.baseline_power.unwrap_or(f64::NAN),
                    r.power.unwrap_or(f64::NAN),
                    r.z.unwrap_or(f64::NAN),
                    r.adjusted_p.unwrap_or(f64::NAN)
                )),
                Verdict::Mismatch(cols) => Some(format!("not reproduced exactly: {}", cols.join(", "))),
                Verdict::Missing => Some("row missing from the new run".into()),
                Verdict::New => Some("row not in the baseline".into()),
            };
            match message {
                None => out += "/>\n",
                Some(m) => out += &format!(">\n      <failure message=\"{}\"/>\n    </testcase>\n", xml_escape(&m)),
            }
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holm's adjustment: the textbook example of four p-values (Holm 1979's procedure, as R's
    /// `p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")` = 0.03, 0.06, 0.06, 0.02).
    #[test]
    fn holm_matches_r() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (a, e) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((a - e).abs() < 1e-12, "{adjusted:?}");
        }
    }

    /// The pooled z of 0.80 vs 0.75 over 2000 replicates each is 3.73 (by hand: pooled 0.775,
    /// SE sqrt(0.775 * 0.225 * 2 / 2000) = 0.013205); a change within the minimum relevant
    /// change is never significant.
    #[test]
    fn drift_z_by_hand() {
        let (z, p) = drift_test(0.75, 2000.0, 0.80, 2000.0, 0.0);
        assert!((z - 0.05 / 0.013_205_112_7).abs() < 1e-6, "{z}");
        assert!(p < 2e-4);
        let (_, p) = drift_test(0.75, 2000.0, 0.80, 2000.0, 0.06);
        assert!(p > 0.5);
        assert_eq!(drift_test(1.0, 100.0, 1.0, 100.0, 0.0), (0.0, 1.0));
    }
}
