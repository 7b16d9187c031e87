//! Figures: SVG structure and text (title, axis titles with units, legend, caption), the
//! colour-blind-safe styles, the screening panel, provenance, and the PNG renderer.

mod common;
use common::{mgtrial, scenario_path, shipped};
use mgtrial::report::plot::{self, PlotSpec, ScreeningPanel, style};
use std::path::Path;

/// Every `<text>` element's content, its `tspan` lines joined by spaces (wrapped text reads as
/// it was written).
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<Vec<_>>().join(" "))
        .map(|t| t.trim().to_string())
        .collect()
}

fn text_with_id(doc: &roxmltree::Document, id: &str) -> Option<String> {
    let node = doc.descendants().find(|n| n.has_tag_name("text") && n.attribute("id") == Some(id))?;
    Some(node.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<Vec<_>>().join(" "))
}

fn has_group(doc: &roxmltree::Document, id: &str) -> bool {
    doc.descendants().any(|n| n.has_tag_name("g") && n.attribute("id") == Some(id))
}

/// The SVG without its `<desc>` (provenance names the command that made it).
fn without_desc(svg: &str) -> String {
    svg.lines().filter(|l| !l.starts_with("<desc>")).collect::<Vec<_>>().join("\n")
}

/// A CSV of `series` lines over n = 10, 20, 30, with screened per enrolled `screened(series)`
/// and replicates `reps(point)`.
fn synthetic_csv(series: usize, screened: impl Fn(usize) -> f64, reps: impl Fn(usize) -> u32) -> String {
    let mut out = String::from(
        "series,design.n_per_arm,scenario,comparison,analysis,sided,alpha,n_per_arm,reps,seed,power,power_ci_low,\
         power_ci_high,screened_per_enrolled\n",
    );
    for s in 0..series {
        for (k, n) in [10, 20, 30].into_iter().enumerate() {
            let p = 0.1 + 0.02 * s as f64 + 0.2 * k as f64;
            out += &format!(
                "s{s},{n},synthetic,mg,ancova,two,0.050000,{n},{},7,{p:.6},{:.6},{:.6},{:.6}\n",
                reps(3 * s + k),
                p - 0.03,
                p + 0.03,
                screened(s)
            );
        }
    }
    out
}

/// The rows of a CSV, each a map from column to cell.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

/// A CSV as versions before the assumed-effect columns wrote it: without the columns after
/// `scenario_sha256`.
fn without_later_columns(text: &str) -> String {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let keep = header.iter().position(|h| h == "scenario_sha256").unwrap() + 1;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header.iter().take(keep)).unwrap();
    for r in reader.records() {
        w.write_record(r.unwrap().iter().take(keep)).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// `v` to 4 significant digits without trailing zeros, as captions write it.
fn sig4(v: f64) -> String {
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("the SVG is well-formed XML")
}

/// Runs the headline study on a small grid and returns (CSV path, SVG text).
fn headline_run(dir: &Path) -> (std::path::PathBuf, String) {
    let (csv_path, svg_path) = (dir.join("s.csv"), dir.join("s.svg"));
    mgtrial()
        .arg("run")
        .arg(scenario_path("study_depression_selection.toml"))
        .args(["--reps", "200", "--sweep", "design.n_per_arm=20,40,60", "--quiet", "--out"])
        .arg(&csv_path)
        .arg("--plot")
        .arg(&svg_path)
        .assert()
        .success();
    (csv_path, std::fs::read_to_string(&svg_path).unwrap())
}

#[test]
fn run_plot_is_titled_by_the_description_and_names_axes_series_and_design() {
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, svg) = headline_run(dir.path());
    let doc = parse(&svg);
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let scenario = shipped("study_depression_selection.toml");
    let description =
        scenario.lines().find_map(|l| l.strip_prefix("description = \"")).map(|l| l.trim_end_matches('"')).unwrap();
    assert_eq!(text_with_id(&doc, "title").as_deref(), Some(description));
    let texts = texts(&doc);
    for label in scenario.lines().filter_map(|l| l.strip_prefix("label = \"")).map(|l| l.trim_end_matches('"')) {
        assert!(texts.iter().any(|t| t == label), "legend lacks `{label}`: {texts:?}");
    }
    for title in ["n per arm", "power", "screened per enrolled", "target power 0.8"] {
        assert!(texts.iter().any(|t| t == title), "no text `{title}`");
    }
    // The caption: the design, the assumed effect (the file calibrates max_effect to the
    // published observed difference) and the true effect among the enrolled, the dropout.
    let caption = text_with_id(&doc, "caption").unwrap();
    assert!(caption.starts_with("ANCOVA, two-sided alpha 0.05, 200 trials per point, seed 2017; "), "{caption}");
    assert!(
        caption.contains("; max_effect 17.97, calibrated to a benefit of 5.25 BDI-II points among the completers")
            && caption.contains(
                "in the published design (enrolled if serum Mg < 0.75 mmol/L; mgo_500 300 mg/day oxide; 8 weeks)"
            ),
        "{caption}"
    );
    let rows = csv_rows(&std::fs::read_to_string(&csv_path).unwrap());
    let effects: Vec<f64> = rows.iter().map(|r| r["true_effect"].parse().unwrap()).collect();
    let (lo, hi) = effects.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    assert!(lo < 2.0 && hi > 6.0, "all comers to a red-cell threshold: {lo}-{hi}");
    let range = format!("true effect among the enrolled {}-{} BDI-II points; ", sig4(lo), sig4(hi));
    assert!(caption.contains(&range), "`{range}` not in {caption}");
    assert!(caption.contains("; dropout 1") && caption.ends_with("%; shaded: 95% Wilson CI"), "{caption}");
    // Provenance: the command line in a <desc>.
    let desc = doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap();
    assert!(desc.starts_with("made by mgtrial ") && desc.contains("run ") && desc.contains("--reps 200"), "{desc}");
    // Text is set in the embedded font's family, with a generic fallback.
    assert_eq!(doc.root_element().attribute("font-family"), Some("'DejaVu Sans', sans-serif"));
    // The plot command draws the same CSV the same way when given the same title.
    let again = dir.path().join("again.svg");
    mgtrial()
        .arg("plot")
        .arg(&csv_path)
        .args(["--x", "design.n_per_arm", "--title", description, "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(without_desc(&std::fs::read_to_string(again).unwrap()), without_desc(&svg));
}

#[test]
fn a_threshold_axis_names_the_assay_and_its_unit_and_an_old_csv_a_generic_unit() {
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, svg_path) = (dir.path().join("t.csv"), dir.path().join("t.svg"));
    mgtrial()
        .arg("run")
        .arg(scenario_path("depression_mgo_enriched.toml"))
        .args(["--reps", "100", "--sweep", "selection.threshold=0.70,0.75", "--quiet", "--out"])
        .arg(&csv_path)
        .arg("--plot")
        .arg(&svg_path)
        .args(["--title", "Threshold"])
        .assert()
        .success();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t == "serum Mg threshold (mmol/L)"), "{:?}", texts(&doc));
    assert_eq!(text_with_id(&doc, "title").as_deref(), Some("Threshold"));
    let plotted = dir.path().join("p.svg");
    mgtrial().arg("plot").arg(&csv_path).args(["--x", "selection.threshold", "--out"]).arg(&plotted).assert().success();
    let svg = std::fs::read_to_string(&plotted).unwrap();
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t == "serum Mg threshold (mmol/L)"), "{:?}", texts(&doc));
    // A CSV of an earlier version (no `assay` column, no provenance): a generic unit, and the
    // scenario's name from the CSV as the title.
    let old = dir.path().join("old.csv");
    std::fs::write(&old, without_later_columns(&std::fs::read_to_string(&csv_path).unwrap())).unwrap();
    mgtrial().arg("plot").arg(&old).args(["--x", "selection.threshold", "--out"]).arg(&plotted).assert().success();
    let svg = std::fs::read_to_string(&plotted).unwrap();
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t == "selection threshold (biomarker unit)"));
    assert_eq!(text_with_id(&doc, "title").as_deref(), Some("depression_mgo_enriched"));
    // Its caption says less: no max_effect, nor the calibration (which the provenance gives).
    let caption = text_with_id(&doc, "caption").unwrap();
    assert!(!caption.contains("max_effect") && !caption.contains("calibrated"), "{caption}");
    assert!(caption.contains("; true effect among the enrolled ") && caption.contains("; dropout "), "{caption}");
    mgtrial()
        .arg("plot")
        .arg(&csv_path)
        .args(["--x", "selection.threshold", "--x-label", "serum Mg cut-off (mmol/L)", "--y-label", "power (1 - beta)"])
        .args(["--caption", "", "--out"])
        .arg(&plotted)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&plotted).unwrap();
    let doc = parse(&svg);
    let texts = texts(&doc);
    assert!(texts.iter().any(|t| t == "serum Mg cut-off (mmol/L)") && texts.iter().any(|t| t == "power (1 - beta)"));
    assert!(text_with_id(&doc, "caption").is_none(), "an empty --caption draws none");
}

#[test]
fn grouping_columns_other_than_series_read_as_name_and_value() {
    let csv = "arms.mg.dose_mg_per_day,design.duration_weeks,power,power_ci_low,power_ci_high\n\
               100,4,0.2,0.1,0.3\n100,8,0.3,0.2,0.4\n200,4,0.4,0.3,0.5\n200,8,0.5,0.4,0.6\n";
    let spec = PlotSpec { series: vec!["arms.mg.dose_mg_per_day".into()], ..PlotSpec::new("design.duration_weeks") };
    let svg = plot::render(csv, &spec).unwrap();
    let texts = texts(&parse(&svg));
    for t in ["elemental dose 100 mg/day", "elemental dose 200 mg/day", "duration (weeks)"] {
        assert!(texts.iter().any(|x| x == t), "no `{t}` in {texts:?}");
    }
}

#[test]
fn more_than_four_series_get_distinct_dashes_and_okabe_ito_colours_in_order() {
    let csv = synthetic_csv(6, |_| 1.0, |_| 1000);
    let svg = plot::render(&csv, &PlotSpec::new("design.n_per_arm")).unwrap();
    let doc = parse(&svg);
    let lines: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("path") && n.attribute("class") == Some("series"))
        .map(|n| (n.attribute("stroke").unwrap().to_string(), n.attribute("stroke-dasharray").unwrap().to_string()))
        .collect();
    assert_eq!(lines.len(), 6);
    // Okabe-Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, black.
    let okabe_ito = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
    for (i, (colour, _)) in lines.iter().enumerate() {
        assert_eq!(colour, okabe_ito[i], "series {i}");
    }
    let dashes: std::collections::BTreeSet<&str> = lines[..4].iter().map(|l| l.1.as_str()).collect();
    assert_eq!(dashes.len(), 4, "solid, dashed, dotted and dash-dot: {lines:?}");
    assert!(lines.windows(2).all(|w| w[0].1 != w[1].1), "neighbours differ in dash: {lines:?}");
    assert_eq!(style::PALETTE, okabe_ito);
    // Markers differ between neighbours too (the legend shows one per series).
    let legend = doc.descendants().find(|n| n.attribute("id") == Some("legend")).unwrap();
    let kinds: Vec<&str> =
        legend.children().filter_map(|n| n.attribute("class")).filter(|c| c.starts_with("marker-")).collect();
    assert_eq!(kinds.len(), 6);
    assert!(kinds.windows(2).all(|w| w[0] != w[1]), "{kinds:?}");
}

/// Regression: the 8-line interaction figure drew a faint yellow line and orange beside
/// vermillion. No series is yellow, and orange and vermillion are never neighbours (the
/// palette read as a cycle), nor both among the first five series.
#[test]
fn no_series_is_yellow_and_orange_never_neighbours_vermillion() {
    let colours: Vec<&str> = (0..40).map(|i| style::series_style(i).colour).collect();
    assert!(!colours.iter().any(|c| c.eq_ignore_ascii_case("#F0E442")), "{colours:?}");
    let (orange, vermillion) = ("#E69F00", "#D55E00");
    for w in colours.windows(2) {
        assert!(!(w.contains(&orange) && w.contains(&vermillion)), "{colours:?}");
    }
    assert!(!(colours[..5].contains(&orange) && colours[..5].contains(&vermillion)));
}

#[test]
fn the_screening_panel_appears_for_a_selection_csv_and_not_for_all_comers() {
    let spec = PlotSpec::new("design.n_per_arm");
    let selection = synthetic_csv(3, |s| 1.0 + 2.5 * s as f64, |_| 1000);
    let doc_text = plot::render(&selection, &spec).unwrap();
    let doc = parse(&doc_text);
    assert!(has_group(&doc, "panel-power") && has_group(&doc, "panel-screening"));
    assert!(texts(&doc).iter().any(|t| t == "screened per enrolled"));
    let all_comers = synthetic_csv(3, |_| 1.0, |_| 1000);
    let doc_text = plot::render(&all_comers, &spec).unwrap();
    let doc = parse(&doc_text);
    assert!(has_group(&doc, "panel-power") && !has_group(&doc, "panel-screening"));
    // One enriched strategy throughout: no panel, the cost is in the caption.
    let constant = synthetic_csv(2, |_| 5.884663, |_| 1000);
    let doc_text = plot::render(&constant, &spec).unwrap();
    let doc = parse(&doc_text);
    assert!(!has_group(&doc, "panel-screening"));
    assert!(text_with_id(&doc, "caption").unwrap().ends_with("; 5.88 screened per enrolled throughout"));
    // The panel can be forced either way.
    let never = PlotSpec { screening_panel: ScreeningPanel::Never, ..spec.clone() };
    assert!(!plot::render(&selection, &never).unwrap().contains("panel-screening"));
    let always = PlotSpec { screening_panel: ScreeningPanel::Always, ..spec.clone() };
    assert!(plot::render(&all_comers, &always).unwrap().contains("id=\"panel-screening\""));
    let bare = "x,power,power_ci_low,power_ci_high\n1,0.5,0.4,0.6\n2,0.6,0.5,0.7\n";
    assert!(matches!(plot::render(bare, &PlotSpec { x: "x".into(), ..always }), Err(plot::PlotError::NoColumn { .. })));
    // And from run: an all-comers trial over n has no screening panel.
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("a.svg");
    mgtrial()
        .arg("run")
        .arg(scenario_path("depression_mgo_all_comers.toml"))
        .args(["--reps", "100", "--sweep", "design.n_per_arm=20,40", "--quiet", "--plot"])
        .arg(&svg_path)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(has_group(&parse(&svg), "panel-power") && !svg.contains("panel-screening"));
}

#[test]
fn replicates_that_vary_under_precision_control_are_a_range_in_the_caption() {
    let csv = synthetic_csv(2, |_| 1.0, |i| [1000, 5000, 3000][i % 3]);
    let svg = plot::render(&csv, &PlotSpec::new("design.n_per_arm")).unwrap();
    let caption = text_with_id(&parse(&svg), "caption").unwrap();
    assert_eq!(caption, "ANCOVA, two-sided alpha 0.05, 1000-5000 trials per point, seed 7; shaded: 95% Wilson CI");
}

#[test]
fn metadata_is_escaped_into_the_desc() {
    let metadata = "made by <mgtrial> -- a & b \"quoted\"";
    let spec = PlotSpec { metadata: Some(metadata.into()), ..PlotSpec::new("design.n_per_arm") };
    let svg = plot::render(&synthetic_csv(1, |_| 1.0, |_| 100), &spec).unwrap();
    let doc = parse(&svg);
    let desc = doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap();
    assert_eq!(desc, metadata);
}

/// Decodes a PNG: (width, height, RGB or RGBA bytes, channels, text chunks).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize, Vec<(String, String)>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let info = reader.info();
    let text = info.uncompressed_latin1_text.iter().map(|c| (c.keyword.clone(), c.text.clone())).collect();
    (frame.width, frame.height, buf[..frame.buffer_size()].to_vec(), frame.color_type.samples(), text)
}

/// Pixels darker than near-white in the rows `rows` (all columns).
fn ink(rgb: &[u8], width: u32, channels: usize, rows: std::ops::Range<u32>) -> usize {
    let row_len = width as usize * channels;
    rows.flat_map(|r| rgb[r as usize * row_len..(r as usize + 1) * row_len].chunks(channels))
        .filter(|p| p[..3].iter().any(|&c| c < 200))
        .count()
}

#[test]
fn the_png_has_the_signature_the_requested_size_ink_and_provenance() {
    let csv = synthetic_csv(3, |s| 1.0 + s as f64, |_| 1000);
    let spec = PlotSpec {
        size: Some((800, 600)),
        png_scale: 1.0,
        metadata: Some("made by mgtrial test".into()),
        title: Some("Power".into()),
        ..PlotSpec::new("design.n_per_arm")
    };
    let bytes = plot::render_png(&csv, &spec).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h, rgb, channels, text) = decode(&bytes);
    assert_eq!((w, h), (800, 600));
    let inked = ink(&rgb, w, channels, 0..h);
    assert!(inked > 5_000 && inked < (w * h / 2) as usize, "{inked} dark pixels of {}", w * h);
    assert!(text.contains(&("Description".to_string(), "made by mgtrial test".to_string())), "{text:?}");
    assert!(text.contains(&("Title".to_string(), "Power".to_string())), "{text:?}");
    let double = plot::render_png(&csv, &PlotSpec { png_scale: 2.0, ..spec }).unwrap();
    let (w, h, ..) = decode(&double);
    assert_eq!((w, h), (1600, 1200));
}

#[test]
fn png_text_is_drawn_with_the_embedded_font() {
    // The title band is empty without a title and inked with one: glyphs come from the font
    // that the renderer embeds, not from the system.
    let csv = synthetic_csv(1, |_| 1.0, |_| 100);
    let png_of = |title: &str| {
        let spec = PlotSpec { title: Some(title.into()), png_scale: 1.0, ..PlotSpec::new("design.n_per_arm") };
        decode(&plot::render_png(&csv, &spec).unwrap())
    };
    let (w, _, rgb, channels, _) = png_of("Power of the magnesium trial");
    let (w0, _, rgb0, channels0, _) = png_of(" ");
    assert!(ink(&rgb, w, channels, 20..62) > 500, "the title is drawn");
    assert_eq!(ink(&rgb0, w0, channels0, 20..62), 0, "nothing else sits in the title band");
}

#[test]
fn the_output_format_follows_the_extension_and_others_are_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, png_path) = (dir.path().join("r.csv"), dir.path().join("r.png"));
    mgtrial()
        .arg("run")
        .arg(scenario_path("textbook.toml"))
        .args(["--reps", "100", "--sweep", "design.n_per_arm=20,40", "--quiet", "--out"])
        .arg(&csv_path)
        .arg("--plot")
        .arg(&png_path)
        .assert()
        .success();
    let bytes = std::fs::read(&png_path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h, ..) = decode(&bytes);
    assert_eq!(w, plot::DEFAULT_WIDTH * 2, "default scale 2");
    assert!(h > 1000, "{h}");
    let pdf = dir.path().join("r.pdf");
    mgtrial().arg("plot").arg(&csv_path).args(["--x", "design.n_per_arm", "--out"]).arg(&pdf).assert().code(2);
    assert!(!pdf.exists());
    let (csv2, jpg) = (dir.path().join("never.csv"), dir.path().join("never.jpg"));
    let assert = mgtrial()
        .arg("run")
        .arg(scenario_path("textbook.toml"))
        .args(["--reps", "10000000", "--sweep", "design.n_per_arm=20,40", "--quiet", "--out"])
        .arg(&csv2)
        .arg("--plot")
        .arg(&jpg)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains(".svg or .png"), "{err}");
    assert!(!csv2.exists() && !jpg.exists());
    // --title belongs to --plot.
    mgtrial().arg("run").arg(scenario_path("textbook.toml")).args(["--title", "x"]).assert().code(2);
    // Sizes outside the allowed range are bad input.
    let svg = dir.path().join("s.svg");
    mgtrial()
        .arg("plot")
        .arg(&csv_path)
        .args(["--x", "design.n_per_arm", "--size", "100x100", "--out"])
        .arg(&svg)
        .assert()
        .code(2);
    assert!(!svg.exists());
}

#[test]
fn provenance_names_the_version_and_quotes_what_a_shell_would_need() {
    let p = plot::provenance(["run", "a b.toml", "--title", "it's", "--plot", "x.svg"]);
    assert_eq!(
        p,
        format!(
            "made by mgtrial {}: mgtrial run 'a b.toml' --title 'it'\\''s' --plot x.svg",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// The texts of the legend.
fn legend_texts(doc: &roxmltree::Document) -> Vec<String> {
    let legend = doc.descendants().find(|n| n.attribute("id") == Some("legend")).expect("a legend");
    legend
        .children()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<Vec<_>>().join(" "))
        .collect()
}

/// Runs `scenario` with `args` and `--plot`; returns (CSV path, SVG text).
fn run_plot(dir: &Path, scenario: &str, args: &[&str]) -> (std::path::PathBuf, String) {
    let (csv_path, svg_path) = (dir.join("r.csv"), dir.join("r.svg"));
    mgtrial()
        .arg("run")
        .arg(scenario_path(scenario))
        .args(args)
        .args(["--quiet", "--out"])
        .arg(&csv_path)
        .arg("--plot")
        .arg(&svg_path)
        .assert()
        .success();
    (csv_path, std::fs::read_to_string(&svg_path).unwrap())
}

#[test]
fn plot_titles_a_figure_as_run_plot_does() {
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, svg) = headline_run(dir.path());
    let again = dir.path().join("again.svg");
    mgtrial().arg("plot").arg(&csv_path).args(["--x", "design.n_per_arm", "--out"]).arg(&again).assert().success();
    let plotted = std::fs::read_to_string(&again).unwrap();
    let title = text_with_id(&parse(&svg), "title").unwrap();
    assert!(title.starts_with("What selection by Mg status buys"), "the description: {title}");
    assert_eq!(text_with_id(&parse(&plotted), "title").unwrap(), title);
    assert_eq!(without_desc(&plotted), without_desc(&svg), "the same figure");
    // A CSV whose rows are not its provenance's scenario's is titled by the name in its rows.
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let sha = csv_rows(&text)[0]["scenario_sha256"].clone();
    std::fs::write(&csv_path, text.replace(&sha, &"0".repeat(64))).unwrap();
    mgtrial().arg("plot").arg(&csv_path).args(["--x", "design.n_per_arm", "--out"]).arg(&again).assert().success();
    let plotted = std::fs::read_to_string(&again).unwrap();
    assert_eq!(text_with_id(&parse(&plotted), "title").as_deref(), Some("study_depression_selection"));
}

#[test]
fn legends_name_analyses_and_thresholds_for_a_reader_not_by_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    // Peikert: NB (Wald and LR), Poisson, quasi-Poisson and responder rows of each point.
    let (csv_path, svg) = run_plot(
        dir.path(),
        "migraine_peikert1996.toml",
        &["--reps", "100", "--sweep", "arms.mg_dicitrate_600.dose_mg_per_day=300,600"],
    );
    let codes: Vec<String> =
        csv_rows(&std::fs::read_to_string(&csv_path).unwrap()).iter().map(|r| r["analysis"].clone()).collect();
    assert!(codes.iter().any(|c| c == "negbin_wald") && codes.iter().any(|c| c == "poisson"), "{codes:?}");
    let legend = legend_texts(&parse(&svg));
    for name in
        ["NB rate ratio (Wald)", "NB rate ratio (likelihood ratio)", "Poisson rate ratio", "quasi-Poisson rate ratio"]
    {
        assert!(legend.iter().any(|t| t == name), "no `{name}` in {legend:?}");
    }
    for code in &codes {
        assert!(!legend.iter().any(|t| t.contains(code.as_str())), "code `{code}` in {legend:?}");
    }
    // A threshold series: assay, comparison, value and unit.
    let (_, svg) = run_plot(
        dir.path(),
        "depression_mgo_enriched.toml",
        &["--reps", "100", "--sweep", "selection.threshold=0.70,0.75", "--sweep", "design.n_per_arm=20,40"],
    );
    assert_eq!(legend_texts(&parse(&svg)), ["serum < 0.7 mmol/L", "serum < 0.75 mmol/L", "target power 0.8"]);
    let (_, svg) = run_plot(
        dir.path(),
        "depression_mgo_enriched.toml",
        &[
            "--reps",
            "100",
            "--sweep",
            "biomarker.type=red_cell",
            "--sweep",
            "selection.threshold=1.99",
            "--sweep",
            "design.n_per_arm=20,40",
        ],
    );
    assert_eq!(legend_texts(&parse(&svg)), ["red cell < 1.99 mmol/L", "target power 0.8"]);
}

#[test]
fn an_interaction_csv_gets_a_panel_per_subgroup_with_one_legend() {
    let dir = tempfile::tempdir().unwrap();
    let (_, svg) = run_plot(
        dir.path(),
        "study_depression_interaction.toml",
        &["--reps", "100", "--sweep", "design.n_per_arm=100,200"],
    );
    let doc = parse(&svg);
    let panels: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|n| n.attribute("id"))
        .filter(|id| id.starts_with("panel-"))
        .collect();
    let subgroups = ["all", "low_stratum", "other_stratum", "interaction"];
    assert_eq!(panels, subgroups.map(|s| format!("panel-power-{s}")));
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("panel-title"))
        .filter_map(|n| n.text().map(String::from))
        .collect();
    assert_eq!(titles, ["all enrolled", "low-Mg stratum", "other stratum", "treatment × stratum interaction"]);
    // Each panel holds the two series, in the same styles; the legend lists them once.
    for id in &panels {
        let group = doc.descendants().find(|n| n.attribute("id") == Some(id)).unwrap();
        let strokes: Vec<&str> = group
            .descendants()
            .filter(|n| n.attribute("class") == Some("series") && n.attribute("d").is_some_and(|d| !d.is_empty()))
            .filter_map(|n| n.attribute("stroke"))
            .collect();
        assert_eq!(strokes, [style::PALETTE[0], style::PALETTE[1]], "{id}");
    }
    assert_eq!(legend_texts(&doc), ["serum < 0.75 mmol/L", "red cell < 1.99 mmol/L", "target power 0.8"]);
    assert!(!texts(&doc).iter().any(|t| subgroups[1..3].iter().any(|s| t.contains(s))), "a subgroup's code is shown");
}

/// A scenario that goes beyond the literature says so in its figure's caption too, drawn by
/// `run --plot` or by `plot` from the CSV and its provenance.
#[test]
fn the_caption_states_the_scenarios_assumptions() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::shipped("sweep_duration.toml")
        + "\n[assumptions]\nbeyond_literature = [\"outcome.placebo_improvement\"]\n";
    let file = dir.path().join("a.toml");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    common::run_in(dir.path(), &["run", f, "--reps", "50", "--out", "a.csv", "--plot", "a.svg", "-q"], 0);
    common::run_in(dir.path(), &["plot", "a.csv", "--x", "design.duration_weeks", "--out", "b.svg"], 0);
    for svg in ["a.svg", "b.svg"] {
        let text = std::fs::read_to_string(dir.path().join(svg)).unwrap();
        // The caption wraps: its words may fall on two lines.
        assert!(
            text.contains("assumptions:") && text.contains("beyond the published range: outcome.placebo_improvement"),
            "{svg}"
        );
    }
}
