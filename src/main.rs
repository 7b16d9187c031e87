//! Thin front end: parse arguments, call the library, map outcomes to exit codes
//! (0 success, 1 runtime failure such as an unwritable output, 2 bad input).

mod cli;

use clap::Parser;
use cli::{Cli, Command, RunArgs, ScenarioArgs};
use mgtrial::{engine, explain, export, plan::Plan, scenario, summary};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

enum Failure {
    BadInput(String),
    Runtime(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::Explain(args) => explain_cmd(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

fn load_plan(args: &ScenarioArgs, extra: &[String]) -> Result<Plan, Failure> {
    let mut overrides = args.set.clone();
    overrides.extend_from_slice(extra);
    let s = scenario::load(&args.scenario, &overrides).map_err(|e| Failure::BadInput(e.to_string()))?;
    Plan::new(&s, &args.scenario.display().to_string()).map_err(|e| Failure::BadInput(e.to_string()))
}

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.to_string())),
        _ => Ok(()),
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let mut extra = Vec::new();
    if let Some(r) = args.reps {
        extra.push(format!("design.reps={r}"));
    }
    if let Some(s) = args.seed {
        extra.push(format!("design.seed={s}"));
    }
    let plan = load_plan(&args.scenario, &extra)?;
    let design = &plan.scenario.design;
    let opts = engine::RunOptions {
        reps: design.reps,
        seed: design.seed,
        threads: args.threads,
        progress: !args.quiet && std::io::stderr().is_terminal(),
    };
    let results = engine::run(&plan, opts);
    let rows = summary::summarize(&plan, design.seed, &results);
    let table = export::table(&rows);
    let csv = export::csv_string(&rows);
    match &args.out {
        Some(path) if path.as_os_str() == "-" => {
            eprint!("{table}");
            print(&csv)
        }
        Some(path) => {
            export::write_atomic(path, &csv)
                .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display())))?;
            print(&table)?;
            print(&format!("wrote {}\n", path.display()))
        }
        None => print(&table),
    }
}

fn explain_cmd(args: ScenarioArgs) -> Result<(), Failure> {
    let plan = load_plan(&args, &[])?;
    print(&explain::explain(&plan))
}
