//! What produced a result: a provenance record written beside every output file.
//!
//! The CSV stays a plain table that R's `read.csv` and pandas' `read_csv` read with their
//! defaults; its provenance goes to a sidecar `FILE.provenance.toml` next to it (for
//! `results.csv`, `results.csv.provenance.toml`). The sidecar holds the tool version, the
//! command line, the `--set`, `--sweep`, `--reps` and `--seed` values, the seed and
//! replicates, any calibration's solved value, the SHA-256 of the output it describes, and the
//! scenario that produced it: the file's text with every command-line override merged in,
//! which `mgtrial run` reproduces exactly, and the resolved design (every default and preset
//! written out, as `explain` prints it) with its own SHA-256, which is the same for two files
//! that spell one design differently. Every CSV row carries that scenario's SHA-256
//! (`scenario_sha256`), so two results from different `--set` runs can be told apart even
//! without their sidecars. `mgtrial explain --from FILE` prints the record.

use crate::engine::calibration::Calibration;
use crate::error::ScenarioError;
use crate::scenario::schema::Override;
use crate::scenario::source::Source;
use crate::scenario::sweep::Study;
use crate::study::request::{Loaded, Request};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The provenance record of one output file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `mgtrial` and its version (`CARGO_PKG_VERSION`).
    pub tool: String,
    pub version: String,
    /// The command line, one argument per element.
    pub command: Vec<String>,
    /// The scenario file as named on the command line.
    pub scenario_file: String,
    /// `--set PATH=VALUE` overrides, in order.
    pub set: Vec<String>,
    /// `--sweep PATH=SPEC` axes, in order.
    pub sweep: Vec<String>,
    /// Master seed, and replicates per design point of the base design (after overrides);
    /// under precision control, and for a search, the `reps` column gives each point's count.
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reps: Option<u32>,
    /// The command that turns `scenario`, saved as SCENARIO.toml, back into this output.
    pub reproduce: String,
    /// `--precision` and `--max-reps`, when replicates were added until a CI half-width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reps: Option<u32>,
    /// The calibration of `response.max_effect`, if the scenario has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// SHA-256 (hex) of [`Provenance::scenario`], as in the CSV's `scenario_sha256` column.
    pub scenario_sha256: String,
    /// SHA-256 (hex) of the output file's bytes.
    pub output_sha256: String,
    /// A figure drawn by `mgtrial plot`: the CSV it was drawn from, and the plot command (the
    /// rest of the record is the CSV's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plotted_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_command: Option<Vec<String>>,
    /// The scenario that produced the output: the file with every override merged in.
    pub scenario: String,
    /// SHA-256 (hex) of [`Provenance::resolved_scenario`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_scenario_sha256: Option<String>,
    /// The base design (without a sweep's values) with every default and preset written out,
    /// as `mgtrial explain` shows it: what the defaults of this version made of `scenario`.
    /// For a sweep, each point's derived defaults (e.g. a formulation's bioavailability)
    /// follow its own swept values, so it is `scenario`, not this, that reproduces the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_scenario: Option<String>,
}

pub use crate::output::sha256_hex;

/// Path of the sidecar of `output`: `output` with `.provenance.toml` appended.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_os_string();
    name.push(".provenance.toml");
    PathBuf::from(name)
}

/// The scenario text of a run: the file's table with `base` overrides applied, its
/// `[sweep]` section replaced by the study actually run (file grid and series, with
/// `--sweep` axes merged), and a calibration's published design written out in full (where
/// the file left it to its base design as written), so that running this text reproduces the
/// result.
pub(crate) fn scenario_text(
    source: &Source,
    base: &[Override],
    study: &Study,
    calibration: Option<&Calibration>,
) -> Result<String, ScenarioError> {
    let mut table = source.merged(base)?;
    // A file without `name` is named after itself: the recorded text keeps that name.
    if !table.contains_key("name") {
        table.insert("name".into(), toml::Value::String(source.default_name().to_string()));
    }
    // The published design written out in full, so that the text calibrates on it wherever
    // the file as written had left it to the base design.
    if let (Some(c), Some(toml::Value::Table(response))) = (calibration, table.get_mut("response"))
        && let Some(toml::Value::Table(spec)) = response.get_mut("calibration")
    {
        let pinned = toml::Value::try_from(&c.published_design).expect("a design serializes");
        spec.insert("published_design".into(), pinned);
    }
    table.remove("sweep");
    if !study.is_single() {
        let mut sweep = toml::Table::new();
        if !study.axes.is_empty() {
            let grid: toml::Table =
                study.axes.iter().map(|a| (a.path.clone(), toml::Value::Array(a.values.clone()))).collect();
            sweep.insert("grid".into(), toml::Value::Table(grid));
        }
        if !study.series.iter().all(|s| s.label.is_empty()) {
            let series: Vec<toml::Value> = study
                .series
                .iter()
                .map(|s| {
                    let set: toml::Table = s.overrides.iter().map(|o| (o.path.clone(), o.value.clone())).collect();
                    let mut t = toml::Table::new();
                    t.insert("label".into(), toml::Value::String(s.label.clone()));
                    t.insert("set".into(), toml::Value::Table(set));
                    toml::Value::Table(t)
                })
                .collect();
            sweep.insert("series".into(), toml::Value::Array(series));
        }
        table.insert("sweep".into(), toml::Value::Table(sweep));
    }
    Ok(toml::to_string(&table).expect("a TOML table serializes"))
}

impl Provenance {
    /// The provenance record of a run or search (its `output_sha256` is filled in per file, and
    /// its `reproduce` completed by [`Provenance::reproducing`]). `search` holds a search's options as they
    /// reproduce it; `None` for `run`.
    pub fn of_run(
        loaded: &Loaded,
        request: &Request,
        precision: Option<f64>,
        max_reps: u32,
        search: Option<&str>,
        power_of: Option<&str>,
    ) -> Result<Provenance, ScenarioError> {
        let Loaded { source, base, study, plans } = loaded;
        let first = &plans[0];
        let scenario = scenario_text(source, base, study, first.calibration.as_ref())?;
        // The base design with every default and preset written out, as `explain` shows it.
        let resolved = if study.is_single() {
            Some(first.clone())
        } else {
            crate::study::plan_with(source, base, None, first.calibration.as_ref()).ok()
        }
        .map(|plan| crate::report::explain::resolved_text(&plan));
        Ok(Provenance {
            tool: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
            scenario_file: source.file.clone(),
            set: request.set.to_vec(),
            sweep: request.sweep.to_vec(),
            seed: first.scenario.design.seed,
            reps: (search.is_none() && precision.is_none()).then_some(first.scenario.design.reps),
            reproduce: {
                // sample-size always uses --max-reps; run only under --precision.
                let mut replicates = match (precision, search.is_some()) {
                    (Some(h), _) => format!(" --precision {h} --max-reps {max_reps}"),
                    (None, true) => format!(" --max-reps {max_reps}"),
                    (None, false) => String::new(),
                };
                if let Some(row) = power_of {
                    replicates += &format!(" --power-of {row}");
                }
                match search {
                    None => format!("mgtrial run SCENARIO.toml{replicates}"),
                    Some(options) => format!("mgtrial sample-size SCENARIO.toml {options}{replicates}"),
                }
            },
            precision,
            max_reps: (precision.is_some() || search.is_some()).then_some(max_reps),
            calibration: first.calibration.clone(),
            scenario_sha256: sha256_hex(scenario.as_bytes()),
            output_sha256: String::new(),
            plotted_from: None,
            plot_command: None,
            scenario,
            resolved_scenario_sha256: resolved.as_ref().map(|r| sha256_hex(r.as_bytes())),
            resolved_scenario: resolved,
        })
    }

    /// [`Provenance::of_run`] of a run of the scenario's own replicates: no `--precision`, no
    /// search (`check` re-running a baseline, `merge` writing what the single run would have).
    pub fn of_fixed_run(loaded: &Loaded, request: &Request) -> Result<Provenance, ScenarioError> {
        // `max_reps` is recorded only under precision control or a search.
        Provenance::of_run(loaded, request, None, 0, None, None)
    }

    /// This record with its `reproduce` command completed by the option that writes `output`
    /// (e.g. `--out results.csv`, `--plot power.svg --target 0.8`).
    pub fn reproducing(&self, option: &str, output: &Path, more: &str) -> Provenance {
        let name =
            output.file_name().map_or_else(|| output.display().to_string(), |n| n.to_string_lossy().into_owned());
        Provenance { reproduce: format!("{} {option} {}{more}", self.reproduce, shell_word(&name)), ..self.clone() }
    }

    /// The sidecar's text: a comment saying what it is, then the record as TOML, sealed
    /// ([`crate::output::seal`]) so that an edit (of its seed, replicates or `--set`) is
    /// refused by every reader rather than trusted.
    pub(crate) fn to_toml(&self, output: &Path) -> String {
        crate::output::seal(format!(
            "# Provenance of {}, written by {} {}: what produced it. `mgtrial explain --from {}` prints it;\n\
             # `scenario` below, saved as SCENARIO.toml, gives the result again with the command in `reproduce`.\n{}",
            output.display(),
            self.tool,
            self.version,
            output.display(),
            toml::to_string(self).expect("provenance serializes")
        ))
    }

    /// Reads the sidecar of `output`.
    pub fn read(output: &Path) -> Result<Provenance, String> {
        let path = sidecar_path(output);
        let text = crate::output::read_result_text(&path)
            .map_err(|e| format!("no provenance for {} ({e})", output.display()))?;
        let body = crate::output::unseal(&text)
            .map_err(|e| format!("{} is not an intact provenance record: {e}", path.display()))?;
        toml::from_str(body).map_err(|e| format!("{} is not a provenance record: {e}", path.display()))
    }

    /// What `explain --from` prints: the record's facts as comments, whether the output and
    /// the tool still match, and the scenario.
    pub fn describe(&self, output: &Path, output_bytes: Option<&[u8]>) -> String {
        let mut out = format!("# {} was produced by {} {}\n", output.display(), self.tool, self.version);
        if let (Some(csv), Some(command)) = (&self.plotted_from, &self.plot_command) {
            out += &format!("# drawn from {csv} by: {}\n", command.join(" "));
        }
        out += &format!("# command: {}\n", self.command.join(" "));
        out += &format!("# scenario file: {}\n", self.scenario_file);
        for s in &self.set {
            out += &format!("# --set {s}\n");
        }
        for s in &self.sweep {
            out += &format!("# --sweep {s}\n");
        }
        out += &format!("# seed {}", self.seed);
        if let Some(reps) = self.reps {
            out += &format!(", {reps} replicates per design point");
        }
        if let (Some(h), Some(m)) = (self.precision, self.max_reps) {
            out += &format!(" (precision control: --precision {h}, --max-reps {m})");
        }
        out += &format!("\n# reproduce: {}\n", self.reproduce);
        if let Some(c) = &self.calibration {
            out += &format!("# calibration: max_effect {} (engine units) solved; {}\n", c.max_effect, c.headline());
        }
        out += &format!("# scenario sha256 {}\n", self.scenario_sha256);
        if let Some(sha) = &self.resolved_scenario_sha256 {
            out += &format!("# resolved design sha256 {sha} (every default written out; `resolved_scenario`)\n");
        }
        match output_bytes {
            Some(bytes) if sha256_hex(bytes) != self.output_sha256 => {
                out +=
                    &format!("# WARNING: {} has changed since it was written (its SHA-256 differs)\n", output.display())
            }
            Some(_) => out += &format!("# {} is unchanged since it was written\n", output.display()),
            None => out += &format!("# {} itself could not be read\n", output.display()),
        }
        if self.version != env!("CARGO_PKG_VERSION") {
            out += &format!(
                "# note: this is mgtrial {}; results may differ from version {}\n",
                env!("CARGO_PKG_VERSION"),
                self.version
            );
        }
        out += "\n";
        out += &self.scenario;
        out
    }
}

/// `word` quoted for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
