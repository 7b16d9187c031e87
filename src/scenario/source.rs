//! Reading a scenario: the file's text and TOML table, `--set` and sweep overrides merged in by
//! path, parsed into the schema and validated, with errors that name the file, the line or the
//! field, and the allowed values.

use super::schema::{Override, Scenario, SweepSpec};
use crate::error::ScenarioError;
use serde::Deserialize;
use std::path::Path;

/// A scenario file as read: its text and TOML table, before defaults and overrides.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name used in messages.
    pub file: String,
    default_name: String,
    text: String,
    table: toml::Table,
    /// Each field with a prior in `[uncertainty]` at the prior's median: the central design,
    /// merged before any override (a draw is an override of the drawn value).
    centres: Vec<Override>,
}

impl Source {
    /// Reads `path` and checks its TOML syntax.
    pub fn read(path: &Path) -> Result<Source, ScenarioError> {
        let file = path.display().to_string();
        let text = crate::output::read_scenario_text(path)
            .map_err(|e| ScenarioError::Io { file: file.clone(), message: e.reason })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Source::parse(text, &file, &stem)
    }

    /// From text; `file` is used in messages and `default_name` when `name` is unset.
    pub fn parse(text: String, file: &str, default_name: &str) -> Result<Source, ScenarioError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ScenarioError::Parse { file: file.to_string(), message: e.to_string() })?;
        let mut source =
            Source { file: file.to_string(), default_name: default_name.to_string(), text, table, centres: Vec::new() };
        source.centres = source.prior_centres()?;
        Ok(source)
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The priors of `[uncertainty]` as the file gives them (`None` without the section, or
    /// when it does not parse: resolving the scenario then names the error and its line).
    pub fn priors(&self) -> Option<crate::scenario::schema::Uncertainty> {
        let section = self.table.get("uncertainty")?;
        crate::scenario::schema::Uncertainty::deserialize(section.clone()).ok()
    }

    /// [`Source::centres`]: each prior checked first (its parameters, and that the file does
    /// not give its field too, which the draws would replace).
    fn prior_centres(&self) -> Result<Vec<Override>, ScenarioError> {
        let Some(u) = self.priors() else { return Ok(Vec::new()) };
        let invalid = |(field, message): (String, String)| ScenarioError::Invalid {
            file: self.file.clone(),
            context: String::new(),
            field,
            message,
        };
        let given = crate::scenario::inert::given_paths(&self.table);
        let mut centres = Vec::new();
        for (i, p) in u.prior.iter().enumerate() {
            crate::scenario::validate::uncertainty::prior(p, &format!("uncertainty.prior[{i}]")).map_err(invalid)?;
            let centre =
                Override { path: p.field.clone(), value: toml::Value::Float(crate::scenario::prior::median(p)) };
            // The field takes a real number: the file parses with the prior's median there
            // (when it parses at all without it; else resolving names the file's error).
            let mut table = self.table.clone();
            let placed = set_path(&mut table, &centre.path, centre.value.clone());
            let parses = |t: toml::Table| Scenario::deserialize(t).map_err(|e| e.message().to_string());
            if let (Ok(_), Err(e)) = (parses(self.table.clone()), placed.and_then(|()| parses(table))) {
                return Err(invalid((
                    format!("uncertainty.prior[{i}].field"),
                    format!("{} is not a field that takes a real number, so it cannot have a prior: {e}", p.field),
                )));
            }
            let path = self.canonical_path(&[], &p.field);
            if given.contains(&path) {
                return Err(invalid((
                    path,
                    format!(
                        "is given in the file and has a prior (uncertainty.prior[{i}]), whose draws replace it: \
                         remove one of them"
                    ),
                )));
            }
            centres.push(centre);
        }
        Ok(centres)
    }

    /// The `[sweep]` section, if any, checked for unknown fields.
    pub fn sweep(&self) -> Result<Option<SweepSpec>, ScenarioError> {
        Ok(self.resolve(&[], None)?.sweep)
    }

    /// Whether the field at `path` holds whole numbers: a float there does not parse where
    /// the integer of the same value does (the schema's types decide, not a list of names).
    pub fn is_integer_field(&self, overrides: &[Override], path: &str, probe: f64) -> bool {
        let with = |value: toml::Value| {
            let mut o = overrides.to_vec();
            o.push(Override { path: path.to_string(), value });
            matches!(self.resolve(&o, None), Err(ScenarioError::Override { .. }))
        };
        with(toml::Value::Float(probe)) && !with(toml::Value::Integer(probe.round() as i64))
    }

    /// `path` with array elements named by their `name` instead of their index
    /// (`arms.1.dose_mg_per_day` -> `arms.mgo_500.dose_mg_per_day`), so two spellings of one
    /// field compare equal. Names are those of the scenario after the `base` overrides
    /// (`--set arms.1.name=...` renames the arm); a selector that names an element only as the
    /// file wrote it (a grid written before the rename) finds that element by its position.
    pub fn canonical_path(&self, base: &[Override], path: &str) -> String {
        // Only a path into the sweep itself needs the (possibly large) `[sweep]` section.
        let merged = if path.starts_with("sweep") { self.merged(base) } else { self.merged_point(base) };
        let after = merged.unwrap_or_else(|_| self.table.clone());
        let keys: Vec<&str> = path.split('.').collect();
        let mut out: Vec<String> = Vec::with_capacity(keys.len());
        let (mut now, mut written) = (Some(&after), Some(&self.table));
        let named = |items: &[toml::Value], name: &str| {
            items.iter().position(|it| it.get("name").and_then(|v| v.as_str()) == Some(name))
        };
        let mut i = 0;
        while i < keys.len() {
            out.push(keys[i].to_string());
            let here = now.and_then(|t| t.get(keys[i]));
            let there = written.and_then(|t| t.get(keys[i]));
            match here {
                Some(toml::Value::Table(t)) => {
                    now = Some(t);
                    written = there.and_then(|v| v.as_table());
                }
                Some(toml::Value::Array(items)) if i + 1 < keys.len() => {
                    let selector = keys[i + 1];
                    let old_items = there.and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or_default();
                    let position = selector
                        .parse::<usize>()
                        .ok()
                        .filter(|&k| k < items.len())
                        .or_else(|| named(items, selector))
                        .or_else(|| named(old_items, selector).filter(|&k| k < items.len()));
                    let item = position.map(|k| &items[k]);
                    // Only a name that reads back as a name (not a position, no dots) stands in
                    // for the position; otherwise the path is kept as written.
                    let name = item
                        .and_then(|it| it.get("name"))
                        .and_then(|v| v.as_str())
                        .filter(|n| !n.is_empty() && !n.contains('.') && n.parse::<usize>().is_err());
                    out.push(name.unwrap_or(selector).to_string());
                    now = item.and_then(|it| it.as_table());
                    written = position.and_then(|k| old_items.get(k)).and_then(|it| it.as_table());
                    i += 1;
                }
                _ => now = None,
            }
            i += 1;
        }
        out.join(".")
    }

    /// The name of a scenario without `name`: its file name without extension.
    pub(crate) fn default_name(&self) -> &str {
        &self.default_name
    }

    /// The file's table with `overrides` applied in order.
    pub fn merged(&self, overrides: &[Override]) -> Result<toml::Table, ScenarioError> {
        self.merged_from(overrides, true)
    }

    /// [`Source::merged`] without the `[sweep]` section: one design point's table.
    pub(crate) fn merged_point(&self, overrides: &[Override]) -> Result<toml::Table, ScenarioError> {
        self.merged_from(overrides, false)
    }

    /// [`Source::merged`], without the `[sweep]` section unless `with_sweep`.
    fn merged_from(&self, overrides: &[Override], with_sweep: bool) -> Result<toml::Table, ScenarioError> {
        let mut table = if with_sweep {
            self.table.clone()
        } else {
            self.table.iter().filter(|(k, _)| k.as_str() != "sweep").map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        for o in self.centres.iter().chain(overrides) {
            set_path(&mut table, &o.path, o.value.clone())
                .map_err(|message| ScenarioError::SetPath { assignment: o.display(), message })?;
        }
        Ok(table)
    }

    /// Why the scenario with `overrides` does not parse: the file's own error with its line
    /// numbers if the file alone fails, else the first override whose value the schema refuses,
    /// named as the user gave it (line numbers of the merged text would point nowhere).
    fn explain_override_error(&self, overrides: &[Override], context: Option<&str>) -> ScenarioError {
        if let Err(e) = toml::from_str::<Scenario>(&self.text) {
            return self.parse_error(&e);
        }
        let origin = context.map_or_else(|| "from the command line".to_string(), str::to_string);
        for i in 0..overrides.len() {
            let Ok(table) = self.merged(&overrides[..=i]) else { continue };
            if let Err(e) = Scenario::deserialize(table) {
                let value = overrides[i].display();
                // A name field given a number or a table: name the allowed values.
                let mut probe = overrides[..=i].to_vec();
                probe[i].value = toml::Value::String(NOT_A_NAME.into());
                let names = self.merged(&probe).ok().and_then(|t| Scenario::deserialize(t).err());
                let message = with_allowed_names(e.message(), names.as_ref().map(|n| n.message()));
                return ScenarioError::Override {
                    file: self.file.clone(),
                    context: match context {
                        None => format!("with --set {value} (the value came from the command line)"),
                        Some(c) => format!("with {value} ({c})"),
                    },
                    message,
                };
            }
        }
        ScenarioError::Override {
            file: self.file.clone(),
            context: origin,
            message: "the overrides together do not form a valid scenario".into(),
        }
    }

    /// The file's own parse error in plain words; where a name field was given a number or a
    /// table, with the names it allows (found by reading a string in its place).
    fn parse_error(&self, e: &toml::de::Error) -> ScenarioError {
        let names = e.span().and_then(|span| {
            let mut text = self.text.clone();
            text.replace_range(span, &format!("\"{NOT_A_NAME}\""));
            toml::from_str::<Scenario>(&text).err()
        });
        ScenarioError::Parse {
            file: self.file.clone(),
            message: with_allowed_names(&e.to_string(), names.as_ref().map(|n| n.message())),
        }
    }

    /// The scenario with `overrides` applied in order, defaults filled in, and validated.
    /// `context` describes where the overrides come from (`--set ...`, a sweep point) for
    /// messages; without overrides, messages carry the file's own line numbers.
    pub fn resolve(&self, overrides: &[Override], context: Option<&str>) -> Result<Scenario, ScenarioError> {
        self.resolve_with(overrides, context, true)
    }

    /// The scenario of one design point: [`Source::resolve`] without the `[sweep]` section,
    /// which a point does not use. A sweep's values are not copied and parsed again at each of
    /// its points, so setting up a study is linear in its points.
    pub(crate) fn resolve_point(
        &self,
        overrides: &[Override],
        context: Option<&str>,
    ) -> Result<Scenario, ScenarioError> {
        self.resolve_with(overrides, context, false)
    }

    fn resolve_with(
        &self,
        overrides: &[Override],
        context: Option<&str>,
        with_sweep: bool,
    ) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario = if overrides.is_empty() && with_sweep && self.centres.is_empty() {
            toml::from_str(&self.text).map_err(|e| self.parse_error(&e))?
        } else {
            // At a sweep point, an override that cannot be applied came from the sweep.
            let table = self.merged_from(overrides, with_sweep).map_err(|e| match (e, context) {
                (ScenarioError::SetPath { assignment, message }, Some(c)) => ScenarioError::Override {
                    file: self.file.clone(),
                    context: format!("with {assignment} ({c})"),
                    message,
                },
                (e, _) => e,
            })?;
            Scenario::deserialize(table.clone()).map_err(|_| self.explain_override_error(overrides, context))?
        };
        if scenario.name.is_empty() {
            scenario.name = self.default_name.clone();
        }
        crate::scenario::validate::validate(&scenario).map_err(|(field, message)| ScenarioError::Invalid {
            file: self.file.clone(),
            context: context.map_or_else(String::new, |c| format!(" {c}")),
            field,
            message,
        })?;
        Ok(scenario)
    }
}

/// Reads, overrides and validates a scenario file.
///
/// `overrides` are `PATH=VALUE` strings (`--set`). Errors name the file and the line, or the
/// field and its allowed values. What needs the model (a threshold against the population's
/// mixture, a count outcome's moments) is checked when the plan is built
/// (`engine::plan::Plan::resolved`), which every command does before simulating.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let parsed: Vec<Override> = overrides.iter().map(|o| Override::parse(o)).collect::<Result<_, _>>()?;
    Source::read(path)?.resolve(&parsed, None)
}

/// Like [`load`], from text; `file` is used in messages and `default_name` when `name` is unset.
pub fn from_str(text: &str, file: &str, default_name: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let parsed: Vec<Override> = overrides.iter().map(|o| Override::parse(o)).collect::<Result<_, _>>()?;
    Source::parse(text.to_string(), file, default_name)?.resolve(&parsed, None)
}

/// Most dotted keys in a `--set` or sweep path (the schema's deepest field has 5).
pub(crate) const MAX_PATH_KEYS: usize = 16;

/// Sets `a.b.c` to `value` in a TOML table, creating missing sections. Array elements are
/// addressed by index or by their `name` (`arms.magnesium.dose_mg_per_day`).
fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let keys: Vec<&str> = path.split('.').collect();
    // Nested tables that deep would overflow the stack of every reader after this one.
    if keys.len() > MAX_PATH_KEYS {
        let start: String = path.chars().take(40).collect();
        return Err(format!(
            "`{start}...` has {} keys: a scenario's deepest field has 5 \
             (response.calibration.published_design.outcome.scale), and at most {MAX_PATH_KEYS} are read",
            keys.len()
        ));
    }
    let mut node: &mut toml::Table = table;
    let mut i = 0;
    while i + 1 < keys.len() {
        let key = keys[i];
        let entry = node.entry(key.to_string()).or_insert_with(|| toml::Value::Table(Default::default()));
        node = match entry {
            toml::Value::Table(t) => t,
            toml::Value::Array(items) => {
                let selector = keys[i + 1];
                if i + 2 >= keys.len() {
                    return Err(format!("`{key}.{selector}` is an array element; name a field inside it"));
                }
                let n = items.len();
                let idx = match selector.parse::<usize>() {
                    Ok(k) if k < n => k,
                    _ => items
                        .iter()
                        .position(|it| it.get("name").and_then(|v| v.as_str()) == Some(selector))
                        .ok_or_else(|| {
                            let names: Vec<&str> =
                                items.iter().filter_map(|it| it.get("name").and_then(|v| v.as_str())).collect();
                            if n == 0 {
                                format!("`{key}` is empty: there is no `{selector}` to set")
                            } else {
                                format!(
                                    "`{key}` has no element named `{selector}`: the names are {} (or use a position \
                                     from 0 to {})",
                                    names.join(", "),
                                    n - 1
                                )
                            }
                        })?,
                };
                i += 1;
                items[idx].as_table_mut().ok_or_else(|| format!("`{key}.{selector}` is not a table"))?
            }
            _ => return Err(format!("`{}` is a value, not a section", keys[..=i].join("."))),
        };
        i += 1;
    }
    node.insert(keys[keys.len() - 1].to_string(), value);
    Ok(())
}

/// A string no field accepts as a name, read in place of a value to learn the allowed names.
const NOT_A_NAME: &str = "?";

/// `message` in plain words; when it says a name was expected (serde's "unit variant ...
/// expected string only") and reading a string there gave the allowed names (`names`), the
/// message lists them instead.
fn with_allowed_names(message: &str, names: Option<&str>) -> String {
    let expected = names.and_then(|n| n.find(", expected ").map(|i| n[i + ", expected ".len()..].trim().to_string()));
    match expected {
        Some(list)
            if ["expected string only", "unit variant", "wanted string or table"]
                .iter()
                .any(|m| message.contains(m)) =>
        {
            let first = ["invalid type", "wanted string"]
                .iter()
                .find_map(|m| message.find(m))
                .map_or(message, |i| &message[..i]);
            format!("{first}expected a quoted name: {list}")
        }
        _ => plain_words(message),
    }
}

/// The TOML reader's messages in the user's words: the schema's Rust types named as kinds of
/// value ("a whole number", not `u32`).
pub(crate) fn plain_words(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, plain) in [
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected usize", "expected a whole number (0 or more)"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list [..]"),
        ("expected a map", "expected a table"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: map", "invalid type: table"),
        ("invalid type: floating point", "invalid type: number"),
        ("invalid value: integer", "invalid value: number"),
    ] {
        m = m.replace(rust, plain);
    }
    // serde names structs by their Rust type: `expected struct Arm` -> `expected a table`.
    while let Some(i) = m.find("expected struct ") {
        let end = m[i + 16..].find(|c: char| !c.is_alphanumeric()).map_or(m.len(), |k| i + 16 + k);
        m.replace_range(i..end, "expected a table");
    }
    m
}
