//! `mgtrial plot`: a figure of a result CSV, titled from its provenance, which the figure's
//! own provenance carries on with how it was drawn.

use crate::cli::{self, PlotArgs};
use mgtrial::error::Failure;
use mgtrial::output;
use mgtrial::report::files::{finish, prepare_outputs};
use mgtrial::report::plot;
use mgtrial::report::provenance::{self, Provenance, shell_word};
use std::path::Path;

pub fn execute(args: PlotArgs) -> Result<(), Failure> {
    let bad = |e: plot::PlotError| Failure::BadInput(e.to_string());
    let format = plot::Format::from_path(&args.out).map_err(bad)?;
    let csv = output::read_result_text(&args.csv).map_err(|e| Failure::BadInput(e.to_string()))?;
    let spec = plot::PlotSpec {
        series: args.series.map(|s| s.split(',').map(|c| c.trim().to_string()).collect()).unwrap_or_default(),
        y: args.y,
        target: Some(args.target),
        title: args.title,
        caption: args.caption,
        x_label: args.x_label,
        y_label: args.y_label,
        screening_panel: match args.screening_panel {
            cli::ScreeningPanel::Auto => plot::ScreeningPanel::Auto,
            cli::ScreeningPanel::Always => plot::ScreeningPanel::Always,
            cli::ScreeningPanel::Never => plot::ScreeningPanel::Never,
        },
        size: args.size,
        png_scale: args.scale,
        metadata: Some(plot::provenance(std::env::args_os().skip(1))),
        points_only: args.points,
        ..plot::PlotSpec::new(args.x)
    };
    let out = prepare_outputs(&args.csv, &[("--out", &args.out)])?.remove(0);
    // Titled and captioned as `run --plot` does it, from the scenario in the provenance.
    let record = Provenance::read(&args.csv);
    let spec = match &record {
        Ok(r) => plot::with_provenance(spec, &csv, r),
        Err(_) => spec,
    };
    let figure =
        plot::render_as(&csv, &spec, format).map_err(|e| Failure::BadInput(format!("{}: {e}", args.csv.display())))?;
    // A figure of a CSV with provenance carries it on, with how it was drawn.
    let record = match record {
        Ok(record) if record.output_sha256 != provenance::sha256_hex(csv.as_bytes()) => {
            eprintln!(
                "warning: {} has changed since mgtrial wrote it, so its provenance is not carried to {}",
                args.csv.display(),
                args.out.display()
            );
            None
        }
        Ok(record) => {
            let command: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            // Both files by their names alone, as the CSV's own command writes it.
            let file_name =
                |p: &Path| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            let (csv_given, out_given) = (args.csv.display().to_string(), args.out.display().to_string());
            let mut replot: Vec<String> = Vec::new();
            for (i, word) in command.iter().enumerate().skip(1) {
                let after_out = i > 1 && command[i - 1] == "--out";
                let word = if after_out && *word == out_given {
                    file_name(&args.out)
                } else if word.strip_prefix("--out=") == Some(out_given.as_str()) {
                    format!("--out={}", file_name(&args.out))
                } else if !after_out && *word == csv_given {
                    file_name(&args.csv)
                } else {
                    word.clone()
                };
                replot.push(shell_word(&word));
            }
            Some(Provenance {
                plotted_from: Some(args.csv.display().to_string()),
                // The CSV's own command, then this plot's.
                reproduce: format!("{}, then: mgtrial {}", record.reproduce, replot.join(" ")),
                plot_command: Some(command),
                ..record
            })
        }
        Err(_) => None,
    };
    finish("", &[(&out, &figure, record.as_ref())])
}
