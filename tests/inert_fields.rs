//! Every field given does something, or is refused (issue 19): checked across the schema
//! against the simulation itself, not against the rules' own list.
//!
//! For each design below, every field of its fully written-out scenario (`explain`'s resolved
//! scenario, which drops the fields that do nothing there) is changed in turn: the simulated
//! output must change. Every field that the rules call inert is added back: `run` must refuse
//! it, and the library (which does not check) must give exactly the same output with it,
//! whatever its value, so the rule is true.

mod common;

use mgtrial::engine::{self, summary};
use mgtrial::report::explain;
use mgtrial::scenario::{self, inert};

/// Designs that between them reach every section: enrichment, strata, two-stage screening,
/// all comers, counts with responders, the fixed response with and without Mg status, and the
/// acute response of an infusion with a comparator and strata, a crossover, saturable absorption,
/// side effects with dropout not at random and the baseline carried forward, the U-shape, and
/// enrolment on a vitamin D test.
fn designs() -> Vec<(&'static str, String)> {
    let depression = common::shipped("depression_mgo_enriched.toml");
    let stated = |s: &str| {
        common::edit_toml(s, |t| {
            let r = t["response"].as_table_mut().unwrap();
            r.remove("calibration");
            r.insert("max_effect".into(), 15.0.into());
        })
    };
    let peikert = common::edit_toml(&common::shipped("migraine_peikert1996.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_rate_ratio".into(), 0.4.into());
    });
    vec![
        ("enrich", stated(&depression)),
        (
            "saturable",
            common::edit_toml(&stated(&depression), |t| {
                let mut a = toml::Table::new();
                a.insert("model".into(), "saturable".into());
                t.insert("absorption".into(), a.into());
                let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
                arm.insert("intakes_per_day".into(), 2.into());
                arm.insert("independent_effect".into(), 1.5.into());
            }),
        ),
        (
            "side_effects_not_at_random",
            common::edit_toml(&stated(&depression), |t| {
                let d = t["dropout"].as_table_mut().unwrap();
                d.remove("active");
                d.insert("mechanism".into(), "no_improvement".into());
                d.insert("odds_ratio_per_sd".into(), 2.0.into());
                let mut se = toml::Table::new();
                se.insert("dropout_if_affected".into(), 0.3.into());
                se.insert("adherence_factor_if_affected".into(), 0.5.into());
                t.insert("side_effects".into(), se.into());
                t["analysis"].as_table_mut().unwrap().insert("missing_data".into(), "baseline_carried_forward".into());
            }),
        ),
        (
            "vitamin_d",
            format!(
                "{}\n[vitamin_d]\ndeficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\n\
                 benefit_multiplier_if_deficient = 0.3\nenrol = \"replete\"\nassay_sensitivity = 0.8\n\
                 assay_specificity = 0.9\n",
                stated(&depression)
            ),
        ),
        (
            "stratify",
            common::edit_toml(&stated(&depression), |t| {
                t["selection"].as_table_mut().unwrap().insert("mode".into(), "stratify".into());
            }),
        ),
        (
            "two_stage",
            common::edit_toml(&stated(&depression), |t| {
                let s = t["selection"].as_table_mut().unwrap();
                s.insert("mode".into(), "two_stage".into());
                s.insert("threshold".into(), 0.80.into());
                s.insert("confirm_threshold".into(), 1.99.into());
                let costs: toml::Table = "per_screened = { serum_total = 15.0 }\n\
                    per_confirmatory_test = { red_cell = 60.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0"
                    .parse()
                    .unwrap();
                t.insert("costs".into(), costs.into());
            }),
        ),
        ("all_comers_counts", peikert),
        ("fixed_with_status", common::fixed_response(&common::shipped("cognition_mg_threonate.toml"), "delta", 0.4)),
        ("textbook", common::shipped("textbook.toml")),
        (
            "overshoot",
            format!(
                "{}\n[response.overshoot]\nrise_mmol_per_l = 0.08\nupper_mmol_per_l = 0.9\nharm_per_mmol_per_l = 6.0\n",
                common::shipped("cognition_mg_threonate.toml")
            ),
        ),
        ("acute", common::shipped("migraine_ed_cete2005.toml")),
        ("crossover", common::shipped("depression_tarleton2017_crossover.toml")),
        (
            "crossover_repletion_enrich",
            common::edit_toml(&stated(&depression), |t| {
                let mut c = toml::Table::new();
                c.insert("washout_weeks".into(), 2.into());
                t.insert("crossover".into(), c.into());
                let a = t["analysis"].as_table_mut().unwrap();
                a.insert("test".into(), "welch".into());
                a.remove("secondary");
            }),
        ),
        (
            "crossover_fixed_with_status",
            common::edit_toml(
                &common::fixed_response(&common::shipped("cognition_mg_threonate.toml"), "delta", 0.4),
                |t| {
                    let mut c = toml::Table::new();
                    c.insert("carryover_fraction".into(), 0.2.into());
                    t.insert("crossover".into(), c.into());
                    for key in ["tau_weeks", "a50_mg_per_day"] {
                        t["response"].as_table_mut().unwrap().remove(key);
                    }
                    t["design"].as_table_mut().unwrap().remove("duration_weeks");
                    t.remove("biomarker");
                    // An unbounded scale: the change every arm sees cancels from the periods.
                    for key in ["placebo_improvement", "natural_improvement"] {
                        t["outcome"].as_table_mut().unwrap().remove(key);
                    }
                    let a = t["analysis"].as_table_mut().unwrap();
                    a.insert("test".into(), "welch".into());
                    a.remove("secondary");
                    for arm in t["arms"].as_array_mut().unwrap() {
                        let arm = arm.as_table_mut().unwrap();
                        for key in ["formulation", "dose_mg_per_day", "bioavailability", "adherence_mean"] {
                            arm.remove(key);
                        }
                    }
                },
            ),
        ),
    ]
}

/// The numbers a run reports, every row (without the echoed inputs).
fn output(text: &str) -> Result<Vec<String>, String> {
    let s = scenario::from_str(text, "t.toml", "t", &["design.reps=300".into()]).map_err(|e| e.to_string())?;
    let plan = mgtrial::engine::calibration::plan(&s, "t.toml", None).map_err(|e| e.to_string())?;
    let results = engine::run(&plan, engine::RunOptions { reps: 300, threads: 1, progress: false });
    Ok(summary::summarize(&plan, s.design.seed, &results)
        .iter()
        .map(|r| {
            format!(
                "{:?}",
                (
                    r.power,
                    r.mean_estimate,
                    r.sd_estimate,
                    r.true_effect,
                    r.mean_screened,
                    r.mean_enrolled,
                    r.ppv_deficient,
                    r.normal_at_end_placebo,
                    r.normal_at_end_active,
                    r.responders_active,
                    (r.dropout_rate, &r.estimate_unit, r.ppv_vitamin_d_deficient, r.expected_cost),
                )
            )
        })
        .collect())
}

/// Other values of a field: numbers moved down and up by a fifth or more (a whole number
/// up by one or two), a flag flipped; none for names and infinite bounds, which have no neighbour.
fn perturbed(v: &toml::Value) -> Vec<toml::Value> {
    match v {
        toml::Value::Integer(i) => vec![toml::Value::Integer(i + 1), toml::Value::Integer(i + 2)],
        toml::Value::Float(f) if *f == 0.0 => vec![toml::Value::Float(0.05), toml::Value::Float(1.0)],
        toml::Value::Float(f) if f.is_finite() => [0.8, 1.25, 0.5, 2.0].map(|k| toml::Value::Float(f * k)).to_vec(),
        toml::Value::Boolean(b) => vec![toml::Value::Boolean(!b)],
        _ => vec![],
    }
}

/// Guards whose value decides whether a design is refused, not what it gives.
const GUARDS: [&str; 1] = ["selection.min_enrolment_probability"];

fn set(table: &toml::Table, path: &str, value: toml::Value) -> String {
    let source = scenario::Source::parse(toml::to_string(table).unwrap(), "t.toml", "t").unwrap();
    let merged = source.merged(&[scenario::Override { path: path.to_string(), value }]).unwrap();
    toml::to_string(&merged).unwrap()
}

#[test]
fn every_field_written_out_changes_the_output() {
    let mut total = 0;
    for (design, text) in designs() {
        let source = scenario::Source::parse(text, "t.toml", "t").unwrap();
        let plan = mgtrial::study::single_plan(&source, &[]).unwrap_or_else(|e| panic!("{design}: {e}"));
        let resolved = explain::resolved_text(&plan);
        let table: toml::Table = resolved.parse().unwrap();
        let base = output(&resolved).unwrap();
        let mut changed = 0;
        for path in inert::given_paths(&table) {
            if GUARDS.contains(&path.as_str()) || path.starts_with("design.reps") {
                continue;
            }
            let keys: Vec<&str> = path.split('.').collect();
            let value = keys.iter().try_fold(toml::Value::Table(table.clone()), |node, k| match node {
                toml::Value::Table(t) => t.get(*k).cloned(),
                toml::Value::Array(items) => {
                    items.into_iter().find(|it| it.get("name").and_then(|n| n.as_str()) == Some(k))
                }
                _ => None,
            });
            let outs: Vec<(toml::Value, Vec<String>)> = value
                .as_ref()
                .map(perturbed)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| output(&set(&table, &path, v.clone())).ok().map(|o| (v, o)))
                .collect();
            if outs.is_empty() {
                continue;
            }
            let tried: Vec<String> = outs.iter().map(|(v, _)| v.to_string()).collect();
            assert!(
                outs.iter().any(|(_, o)| *o != base),
                "{design}: {path} = {} changed nothing, yet it is written out as a field that matters",
                tried.join(" or ")
            );
            changed += 1;
        }
        assert!(changed >= 8, "{design}: only {changed} fields checked");
        total += changed;
    }
    assert!(total >= 100, "only {total} fields checked across the designs");
}

/// Fields that the rules call inert in each design, added back with two values.
fn inert_additions(design: &str) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v = vec![];
    match design {
        "enrich" => v.extend([
            ("selection.confirm_threshold", "1.9", "2.1"),
            ("confirmation.repeats", "2", "3"),
            ("selection.blocks_per_ratio", "3", "4"),
            ("population.mean_mmol_per_l", "0.8", "0.9"),
            ("response.delta", "1", "3"),
            ("analysis.responder.fraction", "0.3", "0.6"),
            ("bioavailability.citrate", "0.2", "0.4"),
            ("absorption.passive_fraction", "0.05", "0.1"),
            ("dropout.odds_ratio_per_sd", "2", "3"),
            ("arms.mgo_500.side_effect_percent_at_600_mg", "10", "20"),
            ("arms.mgo_500.intakes_per_day", "1", "3"),
            ("arms.mgo_500.vitamin_d", "true", "true"),
        ]),
        "two_stage" => v.extend([
            ("costs.per_screened.ionized", "10", "20"),
            ("costs.per_confirmatory_test.serum_total", "10", "20"),
            ("costs.per_vitamin_d_test", "5", "6"),
        ]),
        "all_comers_counts" => v.extend([
            ("selection.threshold", "0.7", "0.8"),
            ("selection.min_enrolment_probability", "0.01", "0.1"),
            ("analysis.responder.cutoff", "1", "2"),
            ("response.rate_ratio", "0.5", "0.9"),
        ]),
        "textbook" => v.extend([
            ("biomarker.repeats", "2", "3"),
            ("population.deficiency_prevalence", "0.1", "0.3"),
            ("response.tau_weeks", "2", "8"),
            ("arms.active.dose_mg_per_day", "100", "600"),
        ]),
        "acute" => v.extend([
            ("response.tau_weeks", "2", "8"),
            ("response.a50_mg_per_day", "20", "80"),
            ("design.duration_weeks", "4", "12"),
            ("population.replete_target_mmol_per_l", "0.8", "0.9"),
            ("biomarker.normal_low", "0.4", "0.5"),
            ("arms.mgso4_2g.dose_mg_per_day", "100", "600"),
            ("arms.mgso4_2g.adherence_mean", "0.5", "0.9"),
            ("response.delta", "1", "3"),
            ("response.max_effect", "1", "3"),
            ("absorption.model", "\"saturable\"", "\"linear\""),
        ]),
        "side_effects_not_at_random" => {
            v.extend([("dropout.active", "0.1", "0.2"), ("side_effects.percent_at_600_mg.citrate", "10", "20")])
        }
        "crossover" => v.extend([("crossover.washout_weeks", "0", "4"), ("design.duration_weeks", "4", "8")]),
        "crossover_repletion_enrich" => v.extend([("biomarker.normal_low", "0.6", "0.7")]),
        "crossover_fixed_with_status" => v.extend([
            ("arms.mgt_140.dose_mg_per_day", "100", "600"),
            ("arms.mgt_140.adherence_mean", "0.5", "0.9"),
            ("response.tau_weeks", "2", "8"),
            ("design.duration_weeks", "4", "12"),
            ("population.replete_target_mmol_per_l", "0.8", "0.9"),
            ("biomarker.repeats", "2", "3"),
            ("outcome.placebo_improvement", "0.1", "0.3"),
            ("outcome.natural_improvement", "0.1", "0.3"),
        ]),
        "fixed_with_status" => v.extend([
            ("response.max_effect", "0.5", "1.0"),
            ("response.ref_deficit_mmol_per_l", "0.1", "0.2"),
            ("arms.placebo.dose_mg_per_day", "100", "300"),
        ]),
        _ => {}
    }
    v
}

#[test]
fn every_field_the_rules_call_inert_is_refused_and_truly_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (design, text) in designs() {
        let base = output(&text).unwrap();
        for (path, a, b) in inert_additions(design) {
            let with = |v: &str| set(&text.parse().unwrap(), path, scenario::parse_value(v));
            // The library, which does not check, gives the same numbers with either value.
            for v in [a, b] {
                let out = output(&with(v)).unwrap_or_else(|e| panic!("{design}: {path}={v}: {e}"));
                assert_eq!(out, base, "{design}: {path}={v} is called inert but changed the output");
            }
            // A run refuses it, naming the field, and writes nothing.
            let file = dir.path().join("s.toml");
            std::fs::write(&file, with(a)).unwrap();
            let out = dir.path().join("o.csv");
            let (_, e) = common::run_in(
                dir.path(),
                &["run", file.to_str().unwrap(), "--reps", "20", "--out", out.to_str().unwrap()],
                2,
            );
            assert!(e.contains(path) && e.contains("does nothing"), "{design}: {path}: {e}");
            assert!(!out.exists());
        }
    }
}
