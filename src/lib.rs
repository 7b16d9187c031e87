//! `mgtrial`: Monte Carlo power for randomized trials of magnesium supplementation.
//!
//! A scenario ([`scenario::Scenario`], read by [`scenario::Source`]) is resolved into a
//! [`engine::plan::Plan`]; the engine ([`engine::run`], [`engine::Runner`]) simulates its
//! replicate trials in parallel ([`engine::trial`]) and folds them in replicate order, and
//! [`engine::summary::summarize`] turns the totals into result rows: power with its Monte Carlo
//! interval, and the operating characteristics of each active-vs-placebo comparison. Studies
//! of many design points, the sample-size search, checkpoints and shards are in [`study`]; the
//! CSV, tables, provenance and figures in [`report`]. `ARCHITECTURE.md` maps the layers.
//!
//! # Example
//!
//! Power of the textbook trial (no Mg status, an effect of 0.5 SD, 64 per arm, Welch's test),
//! from 1,000 simulated trials, against the noncentral-t power of the two-sample t-test:
//!
//! ```
//! use mgtrial::{analysis::power::t_test_power, engine, scenario::Source, study};
//!
//! let toml = r#"
//! [population]
//! model = "none"
//! [[arms]]
//! name = "placebo"
//! kind = "placebo"
//! [[arms]]
//! name = "active"
//! kind = "active"
//! [response]
//! model = "fixed"
//! delta = 0.5
//! [outcome]
//! direction = "higher_is_better"
//! placebo_improvement = 0.0
//! change_sd = 1.0
//! reliability = 1.0
//! min = -inf
//! max = inf
//! integer = false
//! [dropout]
//! placebo = 0.0
//! active = 0.0
//! [analysis]
//! test = "welch"
//! [design]
//! n_per_arm = 64
//! reps = 1000
//! seed = 7
//! "#;
//! let source = Source::parse(toml.to_string(), "example.toml", "example")?;
//! // The plan as `mgtrial run` makes it: validated, calibrated, inert fields refused.
//! let plan = study::single_plan(&source, &[])?;
//! let design = &plan.scenario.design;
//! let results = engine::run(&plan, engine::RunOptions { reps: design.reps, threads: 0, progress: false });
//! let rows = engine::summary::summarize(&plan, design.seed, &results);
//! let power = rows[0].power;
//!
//! // Within 4 Monte Carlo standard errors of the closed form (0.80).
//! let exact = t_test_power(64.0, 64.0, 0.5, 1.0, 0.05, true);
//! let se = (exact * (1.0 - exact) / 1000.0).sqrt();
//! assert!((power - exact).abs() < 4.0 * se, "power {power}, closed form {exact}");
//! # Ok::<(), mgtrial::error::ScenarioError>(())
//! ```

pub mod analysis;
pub mod engine;
pub mod error;
pub mod model;
pub mod numeric;
pub mod output;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod study;
