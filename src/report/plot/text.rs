//! Text for the figures: the embedded font, its advance widths (for layout without a font
//! library), line wrapping and XML escaping.

/// Family name of the embedded font, written first in every `font-family` of the SVG; the PNG
/// renderer has exactly this font, and a browser without it falls back to its sans-serif,
/// which is narrower, so the layout still fits.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans";

/// The `font-family` attribute value of every text element.
pub(crate) const FONT_FAMILY_CSS: &str = "'DejaVu Sans', sans-serif";

/// DejaVu Sans 2.37 (Bitstream Vera licence, free redistribution; shipped by the `dejavu`
/// crate with its licence file).
pub(crate) fn font_data() -> &'static [u8] {
    dejavu::sans::regular()
}

/// Units per em of DejaVu Sans.
const UNITS_PER_EM: f64 = 2048.0;

/// Advance widths of DejaVu Sans 2.37 for the printable ASCII characters U+0020..=U+007E, in font
/// units, read from the font's `hmtx` table through its `cmap` (fontTools `getBestCmap`).
const ASCII_ADVANCE: [u16; 95] = [
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587,
    1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403,
    799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298,
    1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
];

/// Advance width in font units of a character outside ASCII: the mathematical signs and dashes
/// that labels use, read from the same font; 1303 (a digit's width) for anything else.
fn other_advance(c: char) -> u16 {
    match c {
        '≥' | '≤' | '±' | '×' | '≠' | '≈' => 1716,
        '–' => 1024,
        '—' => 2048,
        'µ' => 1303,
        '·' => 651,
        _ => 1303,
    }
}

/// Width in pixels of `text` set in DejaVu Sans at `size_px` (no kerning: DejaVu's kerning
/// changes widths by well under 1%).
pub fn width(text: &str, size_px: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| match c as u32 {
            0x20..=0x7e => f64::from(ASCII_ADVANCE[c as usize - 0x20]),
            _ => f64::from(other_advance(c)),
        })
        .sum();
    units / UNITS_PER_EM * size_px
}

/// Cap height of DejaVu Sans as a share of the font size (1493 / 2048 units), for centring text
/// on a point by its baseline.
pub(crate) const CAP_HEIGHT: f64 = 0.729;

/// Breaks `text` at spaces into lines at most `max_width` pixels wide at `size_px` (a single
/// word wider than that gets a line of its own). A comparison sign stays with the number after
/// it ("< 0.80").
pub(crate) fn wrap(text: &str, size_px: f64, max_width: f64) -> Vec<String> {
    let words = words(text);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in &words {
        let candidate = if current.is_empty() { word.clone() } else { format!("{current} {word}") };
        if current.is_empty() || width(&candidate, size_px) <= max_width {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.clone()));
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Like [`wrap`], but a text that needs two lines is broken where the two come out most even,
/// preferably after a comma, colon or semicolon ("two-stage: serum < 0.80," / "then red cell <
/// 1.99"); a legend entry reads better so and takes less width.
pub(crate) fn wrap_balanced(text: &str, size_px: f64, max_width: f64) -> Vec<String> {
    if width(text, size_px) <= max_width {
        return vec![text.to_string()];
    }
    let words = words(text);
    let mut best: Option<(f64, Vec<String>)> = None;
    for k in 1..words.len() {
        let (a, b) = (words[..k].join(" "), words[k..].join(" "));
        let widest = width(&a, size_px).max(width(&b, size_px));
        if widest > max_width {
            continue;
        }
        let bonus = if a.ends_with([',', ';', ':']) { 0.15 * max_width } else { 0.0 };
        let cost = widest - bonus;
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, vec![a, b]));
        }
    }
    best.map_or_else(|| wrap(text, size_px, max_width), |(_, lines)| lines)
}

/// Units that stay on the line of the number before them ("0.75 mmol/L").
const UNITS: [&str; 8] = ["mmol/L", "mg/day", "mg", "g", "%", "mL", "weeks", "days"];

/// The words of `text`, a comparison sign joined to the word after it and a unit to the number
/// before it.
fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut glue = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let unit = UNITS.contains(&word.trim_end_matches([',', ';', ':', '.', ')']));
        let after_number = words.last().is_some_and(|w| w.ends_with(|c: char| c.is_ascii_digit()));
        match words.last_mut() {
            Some(last) if glue || (unit && after_number) => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        glue = matches!(word, "<" | ">" | "<=" | ">=" | "≤" | "≥" | "=");
    }
    words
}

/// `text` escaped for XML character data and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all (controls other than tab and newlines).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font_table() {
        // "0" is 1303 units: at 2048 px, 1303 px.
        assert_eq!(width("0", 2048.0), 1303.0);
        assert_eq!(width("", 16.0), 0.0);
        assert!(width("WWW", 16.0) > width("iii", 16.0));
    }

    #[test]
    fn wrap_keeps_every_word_and_respects_the_width() {
        let text = "What selection by Mg status buys: all comers vs enrichment by serum, ionized and red-cell Mg";
        let lines = wrap(text, 26.0, 600.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        assert!(lines.iter().all(|l| width(l, 26.0) <= 600.0));
        assert_eq!(wrap("", 16.0, 100.0), vec![String::new()]);
        assert_eq!(wrap("unbreakable_long_word", 16.0, 10.0), vec!["unbreakable_long_word".to_string()]);
        let narrow = wrap("red cell < 1.99", 16.0, width("red cell <", 16.0));
        assert_eq!(narrow, vec!["red cell".to_string(), "< 1.99".to_string()]);
        let label = "two-stage: serum < 0.80, then red cell < 1.99";
        let two = wrap_balanced(label, 16.0, width(label, 16.0) * 0.7);
        assert_eq!(two, vec!["two-stage: serum < 0.80,".to_string(), "then red cell < 1.99".to_string()]);
        assert_eq!(wrap_balanced("short", 16.0, 100.0), vec!["short".to_string()]);
        let title = "all comers vs serum Mg < 0.75 mmol/L, 40 per arm";
        let lines = wrap(title, 16.0, width("all comers vs serum Mg < 0.75", 16.0));
        assert_eq!(lines[0], "all comers vs serum Mg");
        assert!(lines[1].starts_with("< 0.75 mmol/L,"), "{lines:?}");
    }

    #[test]
    fn escape_covers_markup_and_controls() {
        assert_eq!(escape("a < b & c > \"d\""), "a &lt; b &amp; c &gt; &quot;d&quot;");
        assert_eq!(escape("x\u{1}y"), "x y");
    }
}
