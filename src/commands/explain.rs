//! `mgtrial explain`: the resolved scenario and what can be derived from it without
//! simulation; `--from RESULT` prints what produced a result.

use crate::cli::{ExplainArgs, ScenarioArgs};
use mgtrial::error::Failure;
use mgtrial::report::explain;
use mgtrial::report::files::print;
use mgtrial::report::provenance::{self, Provenance};
use mgtrial::study::{
    self,
    request::{self, Loaded, Request},
};

pub fn execute(args: ExplainArgs) -> Result<(), Failure> {
    if let Some(result) = &args.from {
        let record = Provenance::read(result).map_err(Failure::BadInput)?;
        let bytes = std::fs::read(result).ok();
        // The sidecar and its output are one unit: a sidecar beside another output (a run
        // that failed between them, or an edit) describes something else, and is refused.
        if let Some(bytes) = &bytes
            && provenance::sha256_hex(bytes) != record.output_sha256
        {
            return Err(Failure::BadInput(format!(
                "{} is not the output its provenance {} describes (their SHA-256 differ): it was edited or replaced \
                 after the sidecar was written, so the sidecar's command and scenario did not produce it",
                result.display(),
                provenance::sidecar_path(result).display()
            )));
        }
        return print(&record.describe(result, bytes.as_deref()));
    }
    let args = ScenarioArgs {
        scenario: args
            .scenario
            .ok_or_else(|| Failure::BadInput("explain needs a SCENARIO file, or --from RESULT".into()))?,
        set: args.set,
    };
    // The same loading as `run`, so `explain` accepts exactly the studies `run` accepts.
    let loaded =
        request::load(&Request { scenario: &args.scenario, set: &args.set, reps: None, seed: None, sweep: &[] }, None)?;
    let Loaded { source, base, study, plans } = &loaded;
    let mut text = String::new();
    let plan = if study.is_single() {
        plans[0].clone()
    } else {
        text += &format!(
            "# This scenario has a sweep of {} design points ({}); shown here is its base design, without the \
             sweep's values. `mgtrial run` simulates every point.\n",
            study.points.len(),
            study.summary()
        );
        study::plan_with(source, base, None, plans[0].calibration.as_ref())?
    };
    text += &explain::explain(&plan);
    print(&text)
}
