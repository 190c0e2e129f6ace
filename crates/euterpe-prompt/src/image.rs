//! Pictures to music controls: a photo's colours and texture become valence, arousal, tempo,
//! note density and register.
//!
//! [`read_image`] decodes a PNG or JPEG (refusing pictures too large to be photos before it
//! decodes them), shrinks it to at most [`ANALYSIS_SIDE`] pixels a side and measures
//! [`ImageFeatures`]: CIELAB lightness and chroma, colourfulness (Hasler & Süsstrunk 2003), a hue
//! histogram, RMS contrast and the share of edge pixels. [`image_controls`] maps them:
//!
//! * **valence** from the colour–emotion relation of Valdez & Mehrabian (1994),
//!   pleasure ≈ .69·brightness + .22·saturation, with brightness = L*/100 and saturation =
//!   C*/100 (both in [0, 1]), centred on the middle of its range and scaled to [-1, 1];
//! * **arousal** from three published relations, weighted 0.5 / 0.3 / 0.2: Valdez & Mehrabian's
//!   arousal ≈ −.31·brightness + .60·saturation (scaled the same way); visual complexity
//!   (edges and contrast), which raises arousal (Berlyne 1971); and warm against cool hues
//!   (red most arousing, blue least: Wilms & Oberfeld 2018), weighted by how colourful the
//!   picture is;
//! * **tempo** 60–160 BPM with arousal; **density** ×0.5–×2 with complexity; **register** from
//!   C3 (dark) to C5 (bright) with brightness.
//!
//! Every mapping is listed in [`PromptControls::understood`], so `--explain` shows which
//! feature set which control.

use std::path::Path;

use euterpe_generate::EmotionRequest;
use serde::Serialize;

use crate::{PromptControls, PromptError, Understood};

/// The longest side the analysis works on (larger pictures are shrunk first).
pub const ANALYSIS_SIDE: u32 = 256;
/// The longest side accepted (a photo, not a poster scan).
pub const MAX_SIDE: u32 = 20_000;
/// The most pixels accepted.
pub const MAX_PIXELS: u64 = 100_000_000;

/// What the analysis measured, each in [0, 1] unless said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFeatures {
    /// The picture's width in pixels, as decoded.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Mean CIELAB lightness L* / 100.
    pub brightness: f64,
    /// Mean CIELAB chroma C* / 100 (capped at 1).
    pub saturation: f64,
    /// Hasler & Süsstrunk's colourfulness M over 100 (0 grey; about 0.5 very colourful; capped
    /// at 1).
    pub colourfulness: f64,
    /// RMS contrast: the standard deviation of L* / 100.
    pub contrast: f64,
    /// Share of pixels whose Sobel gradient of L* / 100 exceeds [`EDGE_THRESHOLD`].
    pub edge_density: f64,
    /// Chroma-weighted share of each 30° hue sector (red from 0°, as HSV hue), summing to 1
    /// (all zero for a grey picture).
    pub hue_histogram: [f64; 12],
    /// Chroma-weighted mean of cos(hue − 30°): +1 all warm (red–orange), −1 all cool (cyan–blue).
    pub warmth: f64,
}

/// A Sobel gradient magnitude (of L* / 100, the kernel summing to 8) counted as an edge.
pub const EDGE_THRESHOLD: f64 = 0.4;

/// Decodes the picture at `path` and measures it.
pub fn read_image(path: &Path) -> Result<ImageFeatures, PromptError> {
    let bytes =
        std::fs::read(path).map_err(|e| PromptError::Image(format!("{}: {e}", path.display())))?;
    image_from_bytes(&bytes, &path.display().to_string())
}

/// Decodes a PNG or JPEG held in memory (an upload) and measures it; `name` goes in errors.
pub fn image_from_bytes(bytes: &[u8], name: &str) -> Result<ImageFeatures, PromptError> {
    let named = |reason: String| PromptError::Image(format!("{name}: {reason}"));
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| named(e.to_string()))
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| named(format!("not a PNG or JPEG picture ({e})")))?;
    check_size(width, height).map_err(named)?;
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| named(format!("cannot be decoded ({e})")))?;
    Ok(image_features(&decoded))
}

fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("the picture is empty".into());
    }
    if width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "{width} × {height} px is too large (at most {MAX_SIDE} px a side and {} megapixels)",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// Measures a decoded picture (shrunk to [`ANALYSIS_SIDE`] first when larger).
pub fn image_features(picture: &image::DynamicImage) -> ImageFeatures {
    let (width, height) = (picture.width(), picture.height());
    let rgb = if width.max(height) > ANALYSIS_SIDE {
        picture.thumbnail(ANALYSIS_SIDE, ANALYSIS_SIDE).to_rgb8()
    } else {
        picture.to_rgb8()
    };
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let n = (w * h) as f64;
    let mut lightness = Vec::with_capacity(w * h);
    let (mut chroma_sum, mut hue_histogram, mut warmth) = (0.0, [0.0; 12], 0.0);
    let (mut rg, mut yb) = (Stats::default(), Stats::default());
    for px in rgb.pixels() {
        let [r, g, b] = px.0.map(|c| f64::from(c) / 255.0);
        let (l, a, bb) = srgb_to_lab(r, g, b);
        let chroma = (a * a + bb * bb).sqrt() / 100.0;
        lightness.push(l / 100.0);
        chroma_sum += chroma.min(1.0);
        if let Some(hue) = hsv_hue(r, g, b) {
            hue_histogram[((hue / 30.0) as usize).min(11)] += chroma;
            warmth += chroma * (hue - 30.0).to_radians().cos();
        }
        rg.push(255.0 * (r - g));
        yb.push(255.0 * (0.5 * (r + g) - b));
    }
    let hue_total: f64 = hue_histogram.iter().sum();
    if hue_total > 0.0 {
        hue_histogram.iter_mut().for_each(|x| *x /= hue_total);
        warmth /= hue_total;
    }
    let brightness = lightness.iter().sum::<f64>() / n;
    let contrast = (lightness
        .iter()
        .map(|l| (l - brightness).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let colourfulness =
        (rg.deviation().hypot(yb.deviation()) + 0.3 * rg.mean().hypot(yb.mean())) / 100.0;
    ImageFeatures {
        width,
        height,
        brightness,
        saturation: chroma_sum / n,
        colourfulness: colourfulness.min(1.0),
        contrast,
        edge_density: edge_density(&lightness, w, h),
        hue_histogram,
        warmth,
    }
}

/// Running mean and deviation.
#[derive(Default)]
struct Stats {
    n: f64,
    sum: f64,
    sum_sq: f64,
}

impl Stats {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        self.sum += x;
        self.sum_sq += x * x;
    }
    fn mean(&self) -> f64 {
        self.sum / self.n.max(1.0)
    }
    fn deviation(&self) -> f64 {
        (self.sum_sq / self.n.max(1.0) - self.mean().powi(2))
            .max(0.0)
            .sqrt()
    }
}

/// Share of inner pixels whose Sobel gradient magnitude exceeds [`EDGE_THRESHOLD`].
fn edge_density(l: &[f64], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let at = |x: usize, y: usize| l[y * w + x];
    let mut edges = 0usize;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            if gx.hypot(gy) > EDGE_THRESHOLD {
                edges += 1;
            }
        }
    }
    edges as f64 / ((w - 2) * (h - 2)) as f64
}

/// sRGB in [0, 1] to CIELAB (D65).
fn srgb_to_lab(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
    let linear = |c: f64| {
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (linear(r), linear(g), linear(b));
    let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    let y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    let z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))
}

/// HSV hue in degrees, `None` for a grey.
fn hsv_hue(r: f64, g: f64, b: f64) -> Option<f64> {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let c = max - min;
    if c < 1e-6 {
        return None;
    }
    let h = if max == r {
        ((g - b) / c).rem_euclid(6.0)
    } else if max == g {
        (b - r) / c + 2.0
    } else {
        (r - g) / c + 4.0
    };
    Some(60.0 * h)
}

/// Visual complexity in [-1, 1]: 0 for a typical photo (edge density 0.12, RMS contrast 0.2),
/// -1 for a flat colour.
pub fn complexity(f: &ImageFeatures) -> f64 {
    (0.5 * f.edge_density / 0.12 + 0.5 * f.contrast / 0.2 - 1.0).clamp(-1.0, 1.0)
}

/// The controls a picture suggests, with what set each in `understood`.
pub fn image_controls(f: &ImageFeatures) -> PromptControls {
    let (b, s) = (f.brightness, f.saturation.min(1.0));
    // Valdez & Mehrabian's relations, centred on the middle of their range over [0, 1]².
    let pleasure = 0.69 * b + 0.22 * s;
    let vm_arousal = -0.31 * b + 0.60 * s;
    let valence = ((pleasure - 0.455) / 0.455).clamp(-1.0, 1.0);
    let vm_arousal = ((vm_arousal - 0.145) / 0.455).clamp(-1.0, 1.0);
    let complexity = complexity(f);
    // Warmth counts as far as the picture has colour at all.
    let warmth = f.warmth * (3.0 * f.colourfulness).min(1.0);
    let arousal = (0.5 * vm_arousal + 0.3 * complexity + 0.2 * warmth).clamp(-1.0, 1.0);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let (valence, arousal) = (round(valence), round(arousal));
    let tempo = (60.0 + 50.0 * (arousal + 1.0)).round();
    let density = round(2f64.powf(complexity)) as f32;
    let register = (48.0 + 24.0 * b).round() as f32;
    let mut out = PromptControls {
        emotion: Some(EmotionRequest::ValenceArousal { valence, arousal }),
        valence_arousal: Some((valence, arousal)),
        tempo: Some(tempo),
        density: Some(density),
        register: Some(register),
        ..PromptControls::default()
    };
    let mut said = |control: &'static str, phrase: String, meaning: String| {
        out.understood.push(Understood {
            phrase,
            meaning,
            control: Some(control),
        });
    };
    said(
        "emotion",
        format!("brightness {b:.2}, saturation {s:.2}"),
        format!(
            "valence {valence} (Valdez & Mehrabian: pleasure = .69 brightness + .22 saturation)"
        ),
    );
    said(
        "emotion",
        format!(
            "edges {:.2}, contrast {:.2}, warmth {:.2}",
            f.edge_density, f.contrast, f.warmth
        ),
        format!(
            "arousal {arousal} (.5 × V&M −.31 brightness + .60 saturation = {vm_arousal:.2}, \
             .3 × complexity {complexity:.2}, .2 × warmth {warmth:.2})"
        ),
    );
    said(
        "tempo",
        format!("arousal {arousal}"),
        format!("tempo {tempo} BPM"),
    );
    said(
        "density",
        format!("complexity {complexity:.2}"),
        format!("note density ×{density}"),
    );
    said(
        "register",
        format!("brightness {b:.2}"),
        format!("register around MIDI pitch {register}"),
    );
    out
}

/// Reads a picture and gives its controls: [`read_image`] then [`image_controls`].
pub fn image_prompt(path: &Path) -> Result<(ImageFeatures, PromptControls), PromptError> {
    let features = read_image(path)?;
    let controls = image_controls(&features);
    Ok((features, controls))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(r: u8, g: u8, b: u8) -> ImageFeatures {
        let img = image::RgbImage::from_pixel(64, 48, image::Rgb([r, g, b]));
        image_features(&image::DynamicImage::ImageRgb8(img))
    }

    #[test]
    fn lab_of_known_colours() {
        let (l, a, b) = srgb_to_lab(1.0, 1.0, 1.0);
        assert!((l - 100.0).abs() < 0.01 && a.abs() < 0.01 && b.abs() < 0.01);
        // sRGB red: L* 53.24, a* 80.09, b* 67.20.
        let (l, a, b) = srgb_to_lab(1.0, 0.0, 0.0);
        assert!((l - 53.24).abs() < 0.05 && (a - 80.09).abs() < 0.1 && (b - 67.20).abs() < 0.1);
    }

    #[test]
    fn a_flat_grey_has_no_colour_and_no_edges() {
        let f = flat(128, 128, 128);
        assert!(f.saturation < 1e-3 && f.colourfulness < 1e-6, "{f:?}");
        assert_eq!(f.edge_density, 0.0);
        assert!(f.contrast < 1e-9);
        assert_eq!(f.hue_histogram, [0.0; 12]);
        assert!(complexity(&f) < -0.999);
    }

    #[test]
    fn dark_blue_is_calm_and_bright_warm_busy_pictures_are_not() {
        let dark_blue = image_controls(&flat(10, 20, 90));
        let (v, a) = dark_blue.valence_arousal.unwrap();
        assert!(a < 0.0 && v < 0.0, "dark blue: valence {v}, arousal {a}");
        // A bright orange checkerboard: warm, saturated, full of edges.
        let img = image::RgbImage::from_fn(64, 64, |x, y| {
            if (x / 4 + y / 4) % 2 == 0 {
                image::Rgb([255, 140, 0])
            } else {
                image::Rgb([255, 230, 120])
            }
        });
        let busy = image_controls(&image_features(&image::DynamicImage::ImageRgb8(img)));
        let (bv, ba) = busy.valence_arousal.unwrap();
        assert!(
            ba > 0.5 && bv > 0.5,
            "bright busy: valence {bv}, arousal {ba}"
        );
        assert!(busy.tempo.unwrap() > dark_blue.tempo.unwrap());
        assert!(busy.density.unwrap() > dark_blue.density.unwrap());
        assert!(busy.register.unwrap() > dark_blue.register.unwrap());
    }

    #[test]
    fn valence_rises_with_brightness_and_arousal_with_saturation() {
        let grey = |v: u8| image_controls(&flat(v, v, v)).valence_arousal.unwrap();
        assert!(grey(40).0 < grey(128).0 && grey(128).0 < grey(230).0);
        let muted = image_controls(&flat(120, 100, 100))
            .valence_arousal
            .unwrap();
        let vivid = image_controls(&flat(230, 30, 30)).valence_arousal.unwrap();
        assert!(vivid.1 > muted.1, "vivid {vivid:?} vs muted {muted:?}");
    }

    #[test]
    fn oversized_pictures_are_refused_before_decoding() {
        assert!(check_size(50_000, 10).unwrap_err().contains("too large"));
        assert!(check_size(15_000, 15_000)
            .unwrap_err()
            .contains("megapixels"));
        assert!(check_size(0, 10).is_err());
        assert!(check_size(4000, 3000).is_ok());
    }
}
