//! Small bitmap text for the labels of pictures: the 8×8 glyphs of `font8x8` (basic Latin and
//! Latin-1), set proportionally (each glyph as wide as its ink plus one blank column), drawn in one
//! flat colour with no anti-aliasing so that tests can tell text pixels from everything else.

use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};

/// Height of a line of text in pixels (capitals and digits use the top 7 rows, descenders the 8th).
pub(crate) const TEXT_HEIGHT: u32 = 8;

/// Advance of a glyph without ink (the space).
const SPACE_ADVANCE: u32 = 3;

/// Three dots on the baseline, for truncated text (font8x8 has no U+2026). Bit 0 is the leftmost
/// column, as in font8x8.
const ELLIPSIS: [u8; 8] = [0, 0, 0, 0, 0, 0, 0b10101, 0];

/// The bitmap of `c`: one byte per row, top to bottom, bit 0 leftmost. Characters the font lacks,
/// and control characters, are drawn as `?`.
fn glyph(c: char) -> [u8; 8] {
    let code = c as u32;
    match code {
        0x20..=0x7E => BASIC_LEGACY[code as usize],
        0xA0..=0xFF => LATIN_LEGACY[(code - 0xA0) as usize],
        0x2026 => ELLIPSIS,
        _ => BASIC_LEGACY[b'?' as usize],
    }
}

/// The first and last columns with ink, or `None` for a blank glyph.
fn ink_columns(g: &[u8; 8]) -> Option<(u32, u32)> {
    let bits = g.iter().fold(0u8, |a, &r| a | r);
    (bits != 0).then(|| (bits.trailing_zeros(), 7 - bits.leading_zeros()))
}

/// How far the pen moves after `c`, including the blank column after its ink.
fn advance(c: char) -> u32 {
    ink_columns(&glyph(c)).map_or(SPACE_ADVANCE, |(a, b)| b - a + 2)
}

/// Width of `text` in pixels as the labels of pictures draw it, from its first column of ink to
/// its last (glyphs are set proportionally: each as wide as its ink, one blank column between).
pub fn text_width(text: &str) -> u32 {
    let w: u32 = text.chars().map(advance).sum();
    w.saturating_sub(1)
}

/// `text`, shortened with a trailing ellipsis if it is wider than `max_width` pixels; empty if not
/// even the ellipsis fits.
pub(crate) fn fit_text(text: &str, max_width: u32) -> String {
    if text_width(text) <= max_width {
        return text.to_string();
    }
    let budget = max_width.saturating_add(1);
    let ellipsis = advance('\u{2026}');
    if ellipsis > budget {
        return String::new();
    }
    let mut used = ellipsis;
    let mut out = String::new();
    for c in text.chars() {
        let a = advance(c);
        if used + a > budget {
            break;
        }
        used += a;
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push('\u{2026}');
    out
}

/// Something to draw pixels on: RGB, row by row; pixels outside it are ignored.
pub(crate) struct Canvas<'a> {
    /// The pixels, 3 bytes each.
    pub px: &'a mut [u8],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Canvas<'_> {
    /// Sets one pixel; outside the picture, does nothing.
    pub fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if (0..self.width as i64).contains(&x) && (0..self.height as i64).contains(&y) {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Fills the rectangle at (`x`, `y`) of `w` × `h` pixels, clipped to the picture.
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
        let x1 = x.saturating_add(w).min(self.width);
        let y1 = y.saturating_add(h).min(self.height);
        for yy in y.min(y1)..y1 {
            for xx in x.min(x1)..x1 {
                self.put(xx as i64, yy as i64, c);
            }
        }
    }

    /// Draws `text` with the top-left corner of its first glyph's ink column at (`x`, `y`).
    pub fn text(&mut self, x: u32, y: u32, text: &str, c: [u8; 3]) {
        let mut pen = x as i64;
        for ch in text.chars() {
            let g = glyph(ch);
            if let Some((first, _)) = ink_columns(&g) {
                for (row, bits) in g.iter().enumerate() {
                    for col in first..8 {
                        if bits & (1 << col) != 0 {
                            self.put(pen + (col - first) as i64, y as i64 + row as i64, c);
                        }
                    }
                }
            }
            pen += advance(ch) as i64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_proportional_and_fit_truncates_with_an_ellipsis() {
        // Digits and capitals are narrower than the 8-pixel cell; a space is 3 pixels.
        assert!((4..=7).contains(&text_width("1")));
        assert!(text_width("C4") < 16);
        assert_eq!(text_width(""), 0);
        assert_eq!(
            text_width("A B"),
            text_width("A") + 1 + SPACE_ADVANCE + text_width("B")
        );
        let long = "Acoustic Grand Piano";
        assert_eq!(fit_text(long, 1000), long);
        let short = fit_text(long, 50);
        assert!(
            short.ends_with('\u{2026}') && text_width(&short) <= 50,
            "{short}"
        );
        assert!(short.len() > 3);
        assert_eq!(fit_text(long, 2), "");
        // Unknown characters fall back to '?' rather than nothing.
        assert_eq!(text_width("\u{4e2d}"), text_width("?"));
    }

    #[test]
    fn text_pixels_are_exactly_the_glyph_ink() {
        let mut px = vec![0u8; 20 * 10 * 3];
        let mut canvas = Canvas {
            px: &mut px,
            width: 20,
            height: 10,
        };
        canvas.text(1, 1, "1", [255, 0, 0]);
        let g = glyph('1');
        let (first, _) = ink_columns(&g).unwrap();
        let set = px.chunks(3).filter(|p| p[0] == 255).count() as u32;
        assert_eq!(set, g.iter().map(|r| r.count_ones()).sum::<u32>());
        // Row 0 of '1' starts at its first ink column, drawn at x = 1.
        for col in first..8 {
            let on = g[0] & (1 << col) != 0;
            let i = (20 + 1 + (col - first) as usize) * 3;
            assert_eq!(px[i] == 255, on);
        }
    }
}
