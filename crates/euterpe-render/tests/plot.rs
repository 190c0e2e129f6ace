//! Piano-roll PNGs, decoded with the `image` crate.

mod common;

use common::{emopia_clip, score_of};
use euterpe_music::midi::read_midi_file;
use euterpe_music::{Score, TimeSignature};
use euterpe_render::plot::{bar_and_beat_ticks, colors};
use euterpe_render::{plot_piano_roll, PianoRollLayout, PlotOptions, RenderError};

fn decode(path: &std::path::Path) -> image::RgbImage {
    image::open(path).expect("the PNG decodes").to_rgb8()
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

    // Width scales with length: 16 px per beat, within 320–4000.
    let beats = layout.end_tick as f64 / score.ticks_per_beat as f64;
    assert_eq!(
        layout.width,
        ((beats * 16.0).round() as u32).clamp(320, 4000)
    );
    // Only the used pitch range plus 2 semitones each side.
    let stats = score.stats();
    assert_eq!(layout.low_pitch, stats.min_pitch.unwrap() - 2);
    assert_eq!(layout.high_pitch, stats.max_pitch.unwrap() + 2);
    assert_eq!(
        layout.height,
        (layout.high_pitch - layout.low_pitch + 1) as u32 * 5
    );

    // Every note's first pixel carries the track colour at its velocity's brightness.
    let base = colors::TRACKS[0];
    let mut checked = 0;
    for note in &score.tracks[0].notes {
        let x = layout.x_of_tick(note.onset);
        let y = layout.rows_of_pitch(note.pitch).unwrap().start;
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
            img.get_pixel(layout.x_of_tick(t), 0).0,
            colors::BAR_LINE,
            "bar at tick {t}"
        );
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
    let mut drums = euterpe_music::Track::new("drums", 0);
    drums.is_drum = true;
    drums.notes.push(euterpe_music::Note {
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
}

#[test]
fn long_pieces_are_capped_in_width() {
    let mut score = score_of(0, false, &[(0, 480, 60, 100), (480 * 2000, 480, 72, 100)]);
    score.ticks_per_beat = 480;
    let layout = PianoRollLayout::new(&score, &PlotOptions::default()).unwrap();
    assert_eq!(layout.width, 4000);
}

#[test]
fn empty_score_and_bad_options_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.png");
    let err = plot_piano_roll(&Score::new(480), &path, &PlotOptions::default()).unwrap_err();
    assert!(matches!(err, RenderError::EmptyScore));
    let score = score_of(0, false, &[(0, 480, 60, 100)]);
    let err = plot_piano_roll(
        &score,
        &path,
        &PlotOptions {
            row_height: 0,
            ..PlotOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::InvalidOptions(_)));
    assert!(!path.exists());
}
