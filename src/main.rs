//! The front door: parses the arguments, calls one command, and maps how it ended to an exit
//! code: 0 success; 1 a runtime failure (an unwritable output), a `sample-size` search that
//! did not reach its target, or a `check` that found drift; 2 bad input; 128 + the signal for
//! a run stopped by one after keeping its work. Each command lives in `commands/`; what two
//! commands share lives in the library.

mod cli;
mod commands;

use clap::Parser;
use cli::{Cli, Command};
use mgtrial::error::Failure;
use mgtrial::output;
use std::process::ExitCode;

fn main() -> ExitCode {
    output::install_interrupt_handler();
    output::set_notes(true);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => commands::run::execute(args),
        Command::SampleSize(args) => commands::sample_size::execute(args),
        Command::Optimize(args) => commands::optimize::execute(args),
        Command::Plot(args) => commands::plot::execute(args),
        Command::Explain(args) => commands::explain::execute(args),
        Command::Check(args) => commands::check::execute(args),
        Command::Validate(args) => commands::validate::execute(args),
        Command::Merge(args) => commands::merge::execute(args),
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
        Err(Failure::NotReached | Failure::Drift) => ExitCode::from(1),
        Err(Failure::Interrupted(signal)) => ExitCode::from((128 + signal) as u8),
    }
}
