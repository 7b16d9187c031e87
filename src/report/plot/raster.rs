//! SVG to PNG without system libraries: `resvg` draws the figure's SVG with a font database
//! that holds only the embedded DejaVu Sans, so the PNG looks the same on every machine.
//! The PNG carries the title and, when given, the provenance in text chunks (`tEXt`, or
//! `iTXt` for text outside Latin-1).

use super::PlotError;
use super::text::{FONT_FAMILY, font_data};
use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

/// Most pixels a PNG may have (8000 x 8000): 256 MB of RGBA while drawing.
pub(crate) const MAX_PIXELS: u64 = 64_000_000;

/// The font database: the embedded font, answering every generic family too.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(font_data().to_vec());
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Text chunks of the PNG: (keyword, text).
pub(crate) struct PngText<'a> {
    pub title: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

/// Draws `svg` at `scale` PNG pixels per SVG pixel and encodes it as an opaque RGB PNG.
///
/// # Errors
/// [`PlotError::Invalid`] for a scale outside 0.1-10 or an image over [`MAX_PIXELS`], and
/// [`PlotError::Draw`] for SVG that `usvg` cannot read or an encoder failure.
pub(crate) fn svg_to_png(svg: &str, scale: f32, text: &PngText) -> Result<Vec<u8>, PlotError> {
    if !(0.1..=10.0).contains(&scale) {
        return Err(PlotError::Invalid(format!("PNG scale {scale}: allowed values are 0.1 to 10")));
    }
    let options = usvg::Options { font_family: FONT_FAMILY.to_string(), fontdb: fonts(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PlotError::Draw(format!("SVG for PNG: {e}")))?;
    let size = tree.size();
    let (w, h) = ((size.width() * scale).round() as u32, (size.height() * scale).round() as u32);
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(PlotError::Invalid(format!(
            "a PNG of {w} x {h} pixels: allowed are 1 to {MAX_PIXELS} pixels (lower the size or the scale)"
        )));
    }
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| PlotError::Draw(format!("no {w} x {h} canvas")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    // Opaque after the white fill, so premultiplied and straight RGB agree; drop alpha.
    let rgb: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue()]
        })
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        let encode_err = |e: png::EncodingError| PlotError::Draw(format!("PNG encoder: {e}"));
        for (keyword, value) in [
            ("Title", text.title),
            ("Description", text.metadata),
            ("Software", Some(concat!("mgtrial ", env!("CARGO_PKG_VERSION")))),
        ] {
            let Some(value) = value else { continue };
            // tEXt is Latin-1 without NUL; anything else goes in an iTXt (UTF-8) chunk.
            let value = value.replace('\0', " ");
            if value.chars().all(|c| (c as u32) < 0x100) {
                encoder.add_text_chunk(keyword.into(), value).map_err(encode_err)?;
            } else {
                encoder.add_itxt_chunk(keyword.into(), value).map_err(encode_err)?;
            }
        }
        let mut writer = encoder.write_header().map_err(encode_err)?;
        writer.write_image_data(&rgb).map_err(encode_err)?;
        writer.finish().map_err(encode_err)?;
    }
    Ok(out)
}
