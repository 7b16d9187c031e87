//! How series look: a colour-blind-safe palette, dash patterns and point markers, cycled so that
//! no two of the first 28 series share both colour and dash.

/// The Okabe-Ito palette (Okabe M, Ito K. Color Universal Design (CUD): how to make figures and
/// presentations that are friendly to colorblind people. 2008, jfly.uni-koeln.de/color/),
/// distinguishable under the common colour-vision deficiencies, without its yellow (#F0E442),
/// too faint for a line on white. Ordered so that the first two are the pair most distinct
/// under every deficiency, and orange and vermillion, the two closest hues, are never
/// neighbours (nor both among the first five).
pub const PALETTE: [&str; 7] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#56B4E9", // sky blue
    "#D55E00", // vermillion
    "#000000", // black
];

/// Stroke dash patterns (`stroke-dasharray`, in px at a 2.5 px line): solid, dashed, dotted and
/// dash-dot. Series `i` takes colour `i % 7` and pattern `i % 4`: consecutive series differ in
/// both, and as 7 and 4 have no common factor a (colour, dash) pair comes back only after
/// 7 x 4 = 28 series.
pub(crate) const DASHES: [&str; 4] = ["none", "10 5", "2.5 4", "12 4 2.5 4"];

/// Point markers, cycled after the dashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}

impl Marker {
    /// The `class` of the marker's SVG element.
    pub fn class(self) -> &'static str {
        match self {
            Marker::Circle => "marker-circle",
            Marker::Square => "marker-square",
            Marker::TriangleUp => "marker-triangle-up",
            Marker::Diamond => "marker-diamond",
            Marker::TriangleDown => "marker-triangle-down",
            Marker::Cross => "marker-cross",
        }
    }
}

pub(crate) const MARKERS: [Marker; 6] =
    [Marker::Circle, Marker::Square, Marker::TriangleUp, Marker::Diamond, Marker::TriangleDown, Marker::Cross];

/// The look of the series with index `i`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesStyle {
    pub colour: &'static str,
    pub dash: &'static str,
    pub marker: Marker,
}

pub fn series_style(i: usize) -> SeriesStyle {
    SeriesStyle {
        colour: PALETTE[i % PALETTE.len()],
        dash: DASHES[i % DASHES.len()],
        marker: MARKERS[i % MARKERS.len()],
    }
}

/// Grey of the target line and the axes' light grid.
pub(crate) const TARGET_COLOUR: &str = "#555555";
pub(crate) const TARGET_DASH: &str = "16 6";
pub(crate) const GRID_COLOUR: &str = "#E6E6E6";
pub(crate) const AXIS_COLOUR: &str = "#333333";
pub(crate) const TEXT_COLOUR: &str = "#1A1A1A";

/// Width of a series line, px.
pub(crate) const LINE_WIDTH: f64 = 2.5;
/// Opacity of a series' CI band.
pub(crate) const BAND_OPACITY: f64 = 0.16;

/// SVG markup of `marker` centred on (x, y) with half-size `r` px.
pub(crate) fn marker_svg(marker: Marker, x: f64, y: f64, r: f64, colour: &str) -> String {
    let filled = format!("class=\"{}\" fill=\"{colour}\" stroke=\"#FFFFFF\" stroke-width=\"0.8\"", marker.class());
    match marker {
        Marker::Circle => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" {filled}/>"),
        Marker::Square => {
            let s = r * 0.9;
            format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" {filled}/>",
                x - s,
                y - s,
                2.0 * s,
                2.0 * s
            )
        }
        Marker::TriangleUp | Marker::TriangleDown => {
            let k = if marker == Marker::TriangleUp { 1.0 } else { -1.0 };
            let (h, w) = (r * 1.15, r * 1.2);
            format!(
                "<path d=\"M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" {filled}/>",
                x,
                y - k * h,
                x + w,
                y + k * h * 0.75,
                x - w,
                y + k * h * 0.75
            )
        }
        Marker::Diamond => {
            let s = r * 1.25;
            format!(
                "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" {filled}/>",
                y - s,
                x + s,
                y + s,
                x - s
            )
        }
        Marker::Cross => {
            let s = r * 0.9;
            format!(
                "<path class=\"{}\" d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"2.2\" fill=\"none\"/>",
                marker.class(),
                x - s,
                y - s,
                x + s,
                y + s,
                x - s,
                y + s,
                x + s,
                y - s
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_and_dash_pairs_do_not_repeat_within_28_series() {
        let pairs: std::collections::BTreeSet<(&str, &str)> =
            (0..28).map(series_style).map(|s| (s.colour, s.dash)).collect();
        assert_eq!(pairs.len(), 28);
        for i in 1..32 {
            let (a, b) = (series_style(i - 1), series_style(i));
            assert!(a.colour != b.colour && a.dash != b.dash && a.marker != b.marker, "series {i}");
        }
    }
}
