//! Piano-roll PNGs, decoded with the `image` crate.

mod common;

use std::ops::Range;

use common::{emopia_clip, pop909_song, score_of};
use euterpe_music::midi::read_midi_file;
use euterpe_music::{Note, Score, TimeSignature, Track};
use euterpe_render::plot::{
    bar_and_beat_ticks, colors, draw_piano_roll, note_name, text_width, track_label, Rect,
};
use euterpe_render::{plot_piano_roll, PianoRollLayout, PlotOptions, RenderError};

fn decode(path: &std::path::Path) -> image::RgbImage {
    image::open(path).expect("the PNG decodes").to_rgb8()
}

/// Draws in memory (the PNG round trip is covered by the tests that go through files).
fn draw(score: &Score, options: &PlotOptions) -> (PianoRollLayout, image::RgbImage) {
    let (layout, px) = draw_piano_roll(score, options).unwrap();
    let img = image::RgbImage::from_raw(layout.width, layout.height, px).unwrap();
    (layout, img)
}

fn is_text(p: &image::Rgb<u8>) -> bool {
    p.0 == colors::LABEL_TEXT || p.0 == colors::MINOR_LABEL_TEXT
}

/// The rows among `rows` with a text pixel in columns `cols`.
fn text_rows(img: &image::RgbImage, cols: Range<u32>, rows: Range<u32>) -> Vec<u32> {
    rows.filter(|&y| cols.clone().any(|x| is_text(img.get_pixel(x, y))))
        .collect()
}

/// The columns among `cols` with a text pixel in rows `rows`.
fn text_cols(img: &image::RgbImage, cols: Range<u32>, rows: Range<u32>) -> Vec<u32> {
    cols.filter(|&x| rows.clone().any(|y| is_text(img.get_pixel(x, y))))
        .collect()
}

/// Sorted positions grouped into runs: a gap of more than `max_gap` starts a new run.
fn runs(positions: &[u32], max_gap: u32) -> Vec<Range<u32>> {
    let mut out: Vec<Range<u32>> = Vec::new();
    for &p in positions {
        match out.last_mut() {
            Some(r) if p <= r.end + max_gap => r.end = p + 1,
            _ => out.push(p..p + 1),
        }
    }
    out
}

/// Sizes of the 4-connected patches of exactly `color` inside `area`.
fn patches(img: &image::RgbImage, area: Rect, color: [u8; 3]) -> Vec<usize> {
    let mut seen = vec![false; (img.width() * img.height()) as usize];
    let mut sizes = Vec::new();
    for y in area.y..area.bottom() {
        for x in area.x..area.right() {
            let i = (y * img.width() + x) as usize;
            if seen[i] || img.get_pixel(x, y).0 != color {
                continue;
            }
            let (mut stack, mut size) = (vec![(x, y)], 0);
            seen[i] = true;
            while let Some((cx, cy)) = stack.pop() {
                size += 1;
                let next = [
                    (cx.wrapping_sub(1), cy),
                    (cx + 1, cy),
                    (cx, cy.wrapping_sub(1)),
                    (cx, cy + 1),
                ];
                for (nx, ny) in next {
                    if area.contains(nx, ny) {
                        let j = (ny * img.width() + nx) as usize;
                        if !seen[j] && img.get_pixel(nx, ny).0 == color {
                            seen[j] = true;
                            stack.push((nx, ny));
                        }
                    }
                }
            }
            sizes.push(size);
        }
    }
    sizes
}

/// Every text rectangle and swatch of the layout, named for messages.
fn all_label_rects(layout: &PianoRollLayout) -> Vec<(String, Rect)> {
    let mut v: Vec<(String, Rect)> = Vec::new();
    v.extend(
        layout
            .pitch_labels
            .iter()
            .map(|(_, l)| (format!("pitch {}", l.text), l.rect)),
    );
    v.extend(
        layout
            .bar_labels
            .iter()
            .map(|(_, l)| (format!("bar {}", l.text), l.rect)),
    );
    for e in &layout.legend {
        v.push((format!("swatch {}", e.track), e.swatch));
        if !e.name.text.is_empty() {
            v.push((format!("name {}", e.name.text), e.name.rect));
        }
    }
    v.extend(layout.legend_more.iter().map(|l| (l.text.clone(), l.rect)));
    v
}

/// FNV-1a of the pixels.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn real_clip_piano_roll_has_notes_and_bar_lines_where_expected() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roll.png");
    let options = PlotOptions::default();
    let layout = plot_piano_roll(&score, &path, &options).unwrap();
    let img = decode(&path);
    assert_eq!((img.width(), img.height()), (layout.width, layout.height));

    // The roll scales with length: 16 px per beat; the gutter comes on top (the clip is long
    // enough not to meet the 320 minimum).
    let beats = layout.end_tick as f64 / score.ticks_per_beat as f64;
    assert_eq!(layout.plot.width, (beats * 16.0).round() as u32);
    assert_eq!(layout.width, layout.plot.width + layout.plot.x);
    assert!(layout.width > 320 && layout.plot.x > 0 && layout.plot.y > 0);
    // Only the used pitch range plus 2 semitones each side.
    let stats = score.stats();
    assert_eq!(layout.low_pitch, stats.min_pitch.unwrap() - 2);
    assert_eq!(layout.high_pitch, stats.max_pitch.unwrap() + 2);
    assert_eq!(
        layout.plot.height,
        (layout.high_pitch - layout.low_pitch + 1) as u32 * 5
    );
    assert!(layout.height > layout.plot.bottom(), "room for bar numbers");

    // Every note's first pixel carries the track colour at its velocity's brightness.
    let base = colors::TRACKS[0];
    let mut checked = 0;
    for note in &score.tracks[0].notes {
        let x = layout.x_of_tick(note.onset);
        let y = layout.rows_of_pitch(note.pitch).unwrap().start;
        assert!(layout.plot.contains(x, y));
        let px = img.get_pixel(x, y).0;
        // The pixel is the track's colour scaled by some velocity's brightness (a later note may
        // cover it, but all notes of the track share the hue).
        let k = px[0] as f32 / base[0] as f32;
        assert!(
            (0.34..=1.0).contains(&k),
            "note at ({x},{y}) not drawn: {px:?}"
        );
        for (p, b) in px.iter().zip(base) {
            assert!(
                (*p as f32 - b as f32 * k).abs() <= 2.5,
                "{px:?} is not a shade of {base:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 100);

    // Bar lines at the expected columns, in the margin rows above the highest note.
    let (bars, _) = bar_and_beat_ticks(&score, layout.end_tick);
    let bar_ticks = score
        .initial_time_signature()
        .bar_ticks(score.ticks_per_beat);
    assert_eq!(bars[1], bar_ticks);
    for &t in &bars {
        assert_eq!(
            img.get_pixel(layout.x_of_tick(t), layout.plot.y).0,
            colors::BAR_LINE,
            "bar at tick {t}"
        );
    }
    // Nothing of the roll is drawn outside it: the gutter left of the top row is background.
    assert_eq!(img.get_pixel(0, layout.plot.y).0, colors::LABEL_BACKGROUND);
}

#[test]
fn real_clip_gutter_names_every_c_and_nothing_else() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let (layout, img) = draw(&score, &PlotOptions::default());
    let gutter = 0..layout.plot.x;
    let cs: Vec<u8> = (layout.low_pitch..=layout.high_pitch)
        .rev()
        .filter(|p| p % 12 == 0)
        .collect();
    assert!(cs.len() >= 3, "the clip spans several octaves");
    let names: Vec<&str> = layout
        .pitch_labels
        .iter()
        .map(|(_, l)| l.text.as_str())
        .collect();
    let expected: Vec<String> = cs.iter().map(|&p| note_name(p)).collect();
    assert_eq!(names, expected);
    assert!(names.contains(&"C4"), "middle C is C4");

    for &c in &cs {
        let rows = layout.rows_of_pitch(c).unwrap();
        assert!(
            !text_rows(&img, gutter.clone(), rows).is_empty(),
            "no text beside {}",
            note_name(c)
        );
    }
    // D to A#: no label reaches them (rows of 5 pixels, labels 7 pixels tall centred on C).
    for pitch in layout.low_pitch..=layout.high_pitch {
        if (2..=10).contains(&(pitch % 12)) {
            let rows = layout.rows_of_pitch(pitch).unwrap();
            assert_eq!(
                text_rows(&img, gutter.clone(), rows),
                Vec::<u32>::new(),
                "text beside {}",
                note_name(pitch)
            );
        }
    }
    // One block of text per C, each one line of capitals tall.
    let blocks = runs(&text_rows(&img, gutter, layout.plot.y..layout.height), 0);
    assert_eq!(blocks.len(), cs.len(), "{blocks:?}");
    assert!(blocks.iter().all(|b| b.len() <= 7), "{blocks:?}");
}

#[test]
fn tall_rows_name_every_white_key_and_short_rows_only_the_cs() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let tall = PlotOptions {
        row_height: 8,
        ..PlotOptions::default()
    };
    let (layout, img) = draw(&score, &tall);
    let gutter = 0..layout.plot.x;
    for pitch in layout.low_pitch..=layout.high_pitch {
        let rows = layout.rows_of_pitch(pitch).unwrap();
        let text = text_rows(&img, gutter.clone(), rows);
        let black = matches!(pitch % 12, 1 | 3 | 6 | 8 | 10);
        assert_eq!(text.is_empty(), black, "{}: {text:?}", note_name(pitch));
    }
    let white = (layout.low_pitch..=layout.high_pitch)
        .filter(|p| !matches!(p % 12, 1 | 3 | 6 | 8 | 10))
        .count();
    assert_eq!(layout.pitch_labels.len(), white);
    // Cs stand out from the other white keys.
    let c4 = layout.rows_of_pitch(60).unwrap();
    let d4 = layout.rows_of_pitch(62).unwrap();
    let colours = |rows: Range<u32>| {
        let mut v: Vec<[u8; 3]> = rows
            .flat_map(|y| gutter.clone().map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x, y).0)
            .filter(|p| *p != colors::LABEL_BACKGROUND)
            .collect();
        v.dedup();
        v
    };
    assert_eq!(colours(c4), [colors::LABEL_TEXT]);
    assert_eq!(colours(d4), [colors::MINOR_LABEL_TEXT]);

    let short = PlotOptions {
        row_height: 7,
        ..PlotOptions::default()
    };
    let layout = PianoRollLayout::new(&score, &short).unwrap();
    assert!(layout.pitch_labels.iter().all(|(p, _)| p % 12 == 0));
}

#[test]
fn real_clip_bar_numbers_sit_at_their_bar_lines() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let (layout, img) = draw(&score, &PlotOptions::default());
    let (bars, _) = bar_and_beat_ticks(&score, layout.end_tick);
    let strip = layout.plot.bottom()..layout.height;
    // 64 pixels a bar: every bar has its number.
    let numbers: Vec<usize> = layout.bar_labels.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=bars.len()).collect::<Vec<_>>());

    let groups = runs(&text_cols(&img, 0..layout.width, strip.clone()), 2);
    assert_eq!(groups.len(), bars.len(), "{groups:?}");
    for ((&t, group), (n, label)) in bars.iter().zip(&groups).zip(&layout.bar_labels) {
        let x = layout.x_of_tick(t);
        // The number starts two columns right of its bar line, which reaches into the strip.
        assert_eq!(group.start, x + 2, "bar {n}");
        assert_eq!(group.len() as u32, label.rect.width, "bar {n}");
        assert_eq!(label.text, n.to_string());
        assert_eq!(img.get_pixel(x, strip.start).0, colors::BAR_LINE);
        assert_eq!(img.get_pixel(x, strip.end - 1).0, colors::BAR_LINE);
    }
    // Two-digit numbers are wider than one-digit ones.
    assert!(layout.bar_labels[9].1.rect.width > layout.bar_labels[8].1.rect.width);
}

#[test]
fn crowded_bars_are_numbered_every_nth_without_overlap() {
    let pop = read_midi_file(&pop909_song()).unwrap();
    let mut long = score_of(
        0,
        false,
        &[(0, 480, 60, 100), (480 * 4 * 999, 480, 72, 100)],
    );
    long.ticks_per_beat = 480;
    for (score, width) in [(&pop, 800), (&pop, 320), (&long, 320), (&long, 4000)] {
        let options = PlotOptions {
            width: Some(width),
            ..PlotOptions::default()
        };
        let (layout, img) = draw(score, &options);
        let (bars, _) = bar_and_beat_ticks(score, layout.end_tick);
        let numbers: Vec<usize> = layout.bar_labels.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers[0], 1);
        let k = numbers[1] - numbers[0];
        assert!(k.is_power_of_two() && k > 1, "stride {k} at width {width}");
        assert!(numbers.windows(2).all(|p| p[1] - p[0] == k));
        // Numbered as far as the right edge allows: the next one would run past it.
        let label_x = |n: usize| layout.x_of_tick(bars[n - 1]) + 2;
        let next = numbers[numbers.len() - 1] + k;
        if next <= bars.len() {
            let w = text_width(&next.to_string());
            assert!(label_x(next) + w > layout.width, "bar {next} left out");
        }
        // Half the stride would crowd them: some neighbours would come within 6 columns.
        let half: Vec<usize> = (1..=bars.len()).step_by(k / 2).collect();
        let crowded = half
            .windows(2)
            .any(|p| label_x(p[1]) < label_x(p[0]) + text_width(&p[0].to_string()) + 6);
        assert!(crowded, "stride {k} is more than needed at width {width}");
        // In the pixels: one group of digits per number, apart from each other.
        let strip = layout.plot.bottom()..layout.height;
        let groups = runs(&text_cols(&img, 0..layout.width, strip), 2);
        assert_eq!(groups.len(), numbers.len(), "width {width}");
        assert!(groups.windows(2).all(|g| g[1].start >= g[0].end + 3));
        assert!(groups.last().unwrap().end <= layout.width);
    }
}

#[test]
fn real_song_legend_has_one_swatch_per_track_in_its_colour() {
    let score = read_midi_file(&pop909_song()).unwrap();
    let names: Vec<&str> = score.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["MELODY", "BRIDGE", "PIANO"]);
    let (layout, img) = draw(&score, &PlotOptions::default());
    let legend = Rect {
        x: 0,
        y: 0,
        width: layout.width,
        height: layout.plot.y,
    };
    assert!(legend.height >= 8);
    let drawn: Vec<&str> = layout.legend.iter().map(|e| e.name.text.as_str()).collect();
    assert_eq!(drawn, names);
    assert!(layout.legend_more.is_none());
    for (i, entry) in layout.legend.iter().enumerate() {
        let color = colors::TRACKS[i];
        assert_eq!(entry.color, color);
        // Exactly one patch of the track's colour in the legend: its swatch, filled.
        let found = patches(&img, legend, color);
        let s = entry.swatch;
        assert_eq!(found, [(s.width * s.height) as usize], "track {i}");
        assert!(s.width >= 6 && s.height >= 6);
        assert_eq!(img.get_pixel(s.x, s.y).0, color);
        // Its name in text pixels just right of it, on the same line.
        let cols = text_cols(&img, s.right()..layout.width, s.y..s.bottom());
        assert!(
            cols[0] <= s.right() + 6,
            "name of track {i} is not beside its swatch"
        );
    }
    // A clip whose one track has no name is named after its General MIDI program.
    let clip = read_midi_file(&emopia_clip()).unwrap();
    assert_eq!(clip.tracks[0].name, "");
    let layout = PianoRollLayout::new(&clip, &PlotOptions::default()).unwrap();
    assert_eq!(layout.legend[0].name.text, "Acoustic Grand Piano");
}

/// A score of `tracks` tracks (every 5th a drum track, every 3rd without a name) over pitches
/// 21–108 and 300 bars of 4/4 at 4 ticks per beat.
fn busy_score(tracks: usize) -> Score {
    let mut score = Score::new(4);
    for i in 0..tracks {
        let name = if i % 3 == 2 {
            String::new()
        } else {
            format!("Part {i} with a rather long name")
        };
        let mut t = Track::new(name, (i * 7 % 128) as u8);
        t.is_drum = i % 5 == 4;
        for (j, pitch) in [21u8, 60, 108].into_iter().enumerate() {
            t.notes.push(Note {
                onset: (i * 16 + j * 4) as u64,
                duration: 4,
                pitch,
                velocity: 100,
            });
        }
        score.tracks.push(t);
    }
    score.tracks[0].notes.push(Note {
        onset: 16 * 299,
        duration: 16,
        pitch: 64,
        velocity: 100,
    });
    score
}

#[test]
fn many_tracks_wrap_the_legend_then_count_the_rest() {
    let score = busy_score(30);
    let (layout, img) = draw(
        &score,
        &PlotOptions {
            width: Some(320),
            ..PlotOptions::default()
        },
    );
    let lines: std::collections::BTreeSet<u32> = layout.legend.iter().map(|e| e.swatch.y).collect();
    assert!(lines.len() <= 3 && lines.len() >= 2, "{lines:?}");
    let more = layout.legend_more.as_ref().expect("not all 30 tracks fit");
    let left = 30 - layout.legend.len();
    assert!(more.text == format!("+{left} more") || more.text == format!("+{left}"));
    assert_eq!(more.rect.y, *lines.iter().max().unwrap());
    // Entries in track order, with names as the legend gives them.
    let tracks: Vec<usize> = layout.legend.iter().map(|e| e.track).collect();
    assert_eq!(tracks, (0..layout.legend.len()).collect::<Vec<_>>());
    for e in &layout.legend {
        let t = &score.tracks[e.track];
        let full = track_label(t);
        let shown = e.name.text.trim_end_matches('\u{2026}');
        assert!(full.starts_with(shown), "{} vs {full}", e.name.text);
        assert!(e.name.rect.right() <= layout.width - 3);
        if t.is_drum {
            assert_eq!(e.color, colors::DRUM_TRACK);
        }
        if t.name.is_empty() && t.is_drum {
            assert_eq!(e.name.text, "Drums");
        }
    }
    // Each colour has as many swatches in the legend as entries of that colour.
    let legend = Rect {
        x: 0,
        y: 0,
        width: layout.width,
        height: layout.plot.y,
    };
    for color in colors::TRACKS.iter().chain([&colors::DRUM_TRACK]) {
        let expected = layout.legend.iter().filter(|e| e.color == *color).count();
        assert_eq!(patches(&img, legend, *color).len(), expected, "{color:?}");
    }
    // A long name ends in an ellipsis when a line is too narrow for it.
    let (layout, _) = draw(
        &busy_score(2),
        &PlotOptions {
            width: Some(100),
            ..PlotOptions::default()
        },
    );
    assert!(layout.legend[0].name.text.ends_with('\u{2026}'));
    assert!(layout.legend[0].name.rect.right() <= 97);
}

#[test]
fn labels_never_overlap_at_small_sizes() {
    let score = busy_score(12);
    for row_height in [1, 2, 3, 5, 7, 8, 9] {
        for width in [16, 30, 45, 100, 320] {
            let options = PlotOptions {
                width: Some(width),
                row_height,
                ..PlotOptions::default()
            };
            let (layout, img) = draw(&score, &options);
            let at = format!("row height {row_height}, width {width}");
            let rects = all_label_rects(&layout);
            let picture = Rect {
                x: 0,
                y: 0,
                width: layout.width,
                height: layout.height,
            };
            for (i, (a, ra)) in rects.iter().enumerate() {
                assert!(
                    ra.x + ra.width <= picture.width && ra.bottom() <= picture.height,
                    "{a} outside the picture at {at}"
                );
                assert!(!ra.intersects(&layout.plot), "{a} over the roll at {at}");
                for (b, rb) in &rects[i + 1..] {
                    assert!(!ra.intersects(rb), "{a} overlaps {b} at {at}");
                }
            }
            for (_, l) in &layout.pitch_labels {
                assert!(l.rect.right() <= layout.plot.x && l.rect.y >= layout.plot.y);
            }
            // Every text pixel belongs to a label, and every label drew some.
            for (x, y, p) in img.enumerate_pixels() {
                if is_text(p) {
                    assert!(
                        rects.iter().any(|(_, r)| r.contains(x, y)),
                        "stray text pixel at ({x},{y}) at {at}"
                    );
                }
            }
            for (name, r) in rects.iter().filter(|(n, _)| !n.starts_with("swatch")) {
                assert!(
                    !text_rows(&img, r.x..r.right(), r.y..r.bottom()).is_empty(),
                    "{name} drew nothing at {at}"
                );
            }
            // The pitch axis is named somewhere whenever there is a gutter, and so are bars.
            if layout.plot.x > 0 {
                assert!(!layout.pitch_labels.is_empty(), "{at}");
            }
            assert_eq!(layout.bar_labels[0].0, 1, "{at}");
        }
    }
}

#[test]
fn labels_off_draws_the_picture_as_before() {
    // Pixel hashes of pictures drawn before labels existed (commit ce1fbd9): with labels off the
    // picture is unchanged, byte for byte.
    let clip = read_midi_file(&emopia_clip()).unwrap();
    let pop = read_midi_file(&pop909_song()).unwrap();
    let cases = [
        (&clip, None, 5, (640, 300), 0xec68_cc00_d877_eb15),
        (&clip, Some(700), 3, (700, 180), 0xf209_2fb6_1ea7_41a1),
        (&clip, Some(1200), 9, (1200, 540), 0xfbb7_7dcb_ed00_a745),
        (&pop, None, 5, (4000, 265), 0x933c_0d68_76ce_3a15),
    ];
    for (score, width, row_height, size, hash) in cases {
        let options = PlotOptions {
            width,
            row_height,
            labels: false,
            ..PlotOptions::default()
        };
        let (layout, px) = draw_piano_roll(score, &options).unwrap();
        assert_eq!((layout.width, layout.height), size);
        let whole = Rect {
            x: 0,
            y: 0,
            width: size.0,
            height: size.1,
        };
        assert_eq!(layout.plot, whole);
        assert!(layout.pitch_labels.is_empty() && layout.legend.is_empty());
        assert_eq!(fnv(&px), hash, "{width:?} {row_height}");
    }

    // With labels on (and an automatic width) the roll is the same picture, framed.
    let (bare, bare_img) = draw(
        &clip,
        &PlotOptions {
            labels: false,
            ..PlotOptions::default()
        },
    );
    let (framed, img) = draw(&clip, &PlotOptions::default());
    assert_eq!(
        (framed.plot.width, framed.plot.height),
        (bare.width, bare.height)
    );
    for (x, y, p) in bare_img.enumerate_pixels() {
        assert_eq!(img.get_pixel(x + framed.plot.x, y + framed.plot.y), p);
    }
    for t in [0, 480, 4321, framed.end_tick] {
        assert_eq!(framed.x_of_tick(t), bare.x_of_tick(t) + framed.plot.x);
    }
    for pitch in [framed.low_pitch, 60, framed.high_pitch] {
        let r = bare.rows_of_pitch(pitch).unwrap();
        let s = framed.plot.y;
        assert_eq!(framed.rows_of_pitch(pitch), Some(r.start + s..r.end + s));
    }
}

#[test]
fn hand_made_score_pixels_and_bar_lines() {
    // 3/4 at 4 ticks per beat: bars every 12 ticks. Two tracks; notes at known places.
    let mut score = score_of(0, false, &[(0, 4, 60, 127), (12, 8, 64, 40)]);
    score.ticks_per_beat = 4;
    score.time_signatures.push(TimeSignature {
        tick: 0,
        numerator: 3,
        denominator: 4,
    });
    let mut drums = Track::new("", 0);
    drums.is_drum = true;
    drums.notes.push(Note {
        onset: 24,
        duration: 1,
        pitch: 62,
        velocity: 127,
    });
    score.tracks.push(drums);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.png");
    let options = PlotOptions {
        width: Some(360),
        row_height: 6,
        labels: false,
        ..PlotOptions::default()
    };
    let layout = plot_piano_roll(&score, &path, &options).unwrap();
    let img = decode(&path);
    // End 25 ticks → rounded up to 3 bars = 36 ticks; 360 px → 10 px per tick.
    assert_eq!(layout.end_tick, 36);
    assert_eq!((img.width(), img.height()), (360, (66 - 58 + 1) * 6));
    let at = |x: u32, pitch: u8| {
        img.get_pixel(x, layout.rows_of_pitch(pitch).unwrap().start + 1)
            .0
    };

    // Loud note: full track colour; soft note: dimmer, same hue.
    assert_eq!(at(5, 60), colors::TRACKS[0]);
    let soft = at(125, 64);
    let expected: Vec<u8> = colors::TRACKS[0]
        .iter()
        .map(|&c| (c as f32 * (0.35 + 0.65 * 40.0 / 127.0)).round() as u8)
        .collect();
    assert_eq!(soft.to_vec(), expected);
    assert_eq!(at(245, 62), colors::DRUM_TRACK);
    // Nothing drawn where no note sounds (pitch 60 after its end, tick 6).
    assert_eq!(at(65, 60), colors::WHITE_KEY_ROW);
    assert_eq!(at(65, 61), colors::BLACK_KEY_ROW);
    // Bar lines at ticks 12 and 24 (x = 120, 240), beat lines at 4, 8, 16 …
    assert_eq!(img.get_pixel(120, 0).0, colors::BAR_LINE);
    assert_eq!(img.get_pixel(240, 0).0, colors::BAR_LINE);
    assert_eq!(img.get_pixel(40, 0).0, colors::BEAT_LINE);
    assert_eq!(img.get_pixel(160, 0).0, colors::BEAT_LINE);
    // The octave line under C4 (pitch 60) where no note or line covers it.
    let c_bottom = layout.rows_of_pitch(60).unwrap().end - 1;
    assert_eq!(img.get_pixel(300, c_bottom).0, colors::OCTAVE_LINE);

    // With labels, the same notes where the layout now puts them; the drum track is "Drums".
    let labelled = PlotOptions {
        labels: true,
        ..options
    };
    let (layout, img) = draw(&score, &labelled);
    assert_eq!(layout.width, 360);
    let at = |tick: u64, pitch: u8| {
        img.get_pixel(
            layout.x_of_tick(tick),
            layout.rows_of_pitch(pitch).unwrap().start + 1,
        )
        .0
    };
    assert_eq!(at(0, 60), colors::TRACKS[0]);
    assert_eq!(at(24, 62), colors::DRUM_TRACK);
    let names: Vec<&str> = layout.legend.iter().map(|e| e.name.text.as_str()).collect();
    assert_eq!(names, ["t", "Drums"]);
    let bars: Vec<&str> = layout
        .bar_labels
        .iter()
        .map(|(_, l)| l.text.as_str())
        .collect();
    assert_eq!(bars, ["1", "2", "3"]);
    // Rows of 6 pixels: only C4 (the one C in 58–66) is named.
    let pitches: Vec<u8> = layout.pitch_labels.iter().map(|(p, _)| *p).collect();
    assert_eq!(pitches, [60]);
}

#[test]
fn long_pieces_are_capped_in_width() {
    let mut score = score_of(0, false, &[(0, 480, 60, 100), (480 * 2000, 480, 72, 100)]);
    score.ticks_per_beat = 480;
    let layout = PianoRollLayout::new(&score, &PlotOptions::default()).unwrap();
    assert_eq!(layout.width, 4000);
    assert_eq!(layout.x_of_tick(layout.end_tick), 3999);
}

#[test]
fn empty_score_and_bad_options_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.png");
    let err = plot_piano_roll(&Score::new(480), &path, &PlotOptions::default()).unwrap_err();
    assert!(matches!(err, RenderError::EmptyScore));
    let score = score_of(0, false, &[(0, 480, 60, 100)]);
    let bad = PlotOptions {
        row_height: 0,
        ..PlotOptions::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(RenderError::InvalidOptions(_))
    ));
    let err = plot_piano_roll(&score, &path, &bad).unwrap_err();
    assert!(matches!(err, RenderError::InvalidOptions(_)));
    assert!(!path.exists());
}
