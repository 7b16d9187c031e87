//! `mgtrial validate`: the installation checks against closed forms.

use crate::cli::{ValidateArgs, use_threads};
use mgtrial::error::Failure;
use mgtrial::report::files::print;

/// `mgtrial validate`: runs the installation checks of `validation.rs` and prints their
/// table; exit 0 only if every check passes (1 otherwise).
pub fn execute(args: ValidateArgs) -> Result<(), Failure> {
    use mgtrial::study::validation::{self, Settings};
    use_threads(args.threads)?;
    if !(0.0..0.5).contains(&args.inject_bias) {
        return Err(Failure::BadInput(format!(
            "--inject-bias {}: allowed values are 0 to below 0.5",
            args.inject_bias
        )));
    }
    let settings =
        Settings { reps: if args.thorough { 20_000 } else { 2_000 }, threads: args.threads, bias: args.inject_bias };
    let start = std::time::Instant::now();
    let checks = validation::run(&settings);
    print(&validation::table(&checks))?;
    print(&format!(
        "mgtrial {} validated with {} replicates per check in {:.1} s\n",
        env!("CARGO_PKG_VERSION"),
        settings.reps,
        start.elapsed().as_secs_f64()
    ))?;
    if checks.iter().all(|c| c.passes()) { Ok(()) } else { Err(Failure::Drift) }
}
