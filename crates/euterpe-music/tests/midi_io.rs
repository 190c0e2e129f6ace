//! Reading and writing real MIDI files of every shared corpus.

use std::path::PathBuf;

use euterpe_music::midi::{encode_midi, parse_midi, read_midi_file};

use euterpe_testkit::shared_data;

fn midi_files(dir: &str, take: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .collect();
    files.sort();
    let stride = (files.len() / take).max(1);
    files.into_iter().step_by(stride).take(take).collect()
}

#[test]
fn write_then_read_preserves_notes_tempo_and_meter_of_real_files() {
    let mut files = midi_files("emopia/midi", 10);
    files.extend(midi_files("vgmidi/midi", 10));
    files.extend(midi_files("essen/midi", 10));
    files.push(shared_data().join("pop909/909/909.mid"));
    for path in files {
        let score = read_midi_file(&path).unwrap();
        assert!(score.note_count() > 0, "{}", path.display());
        let back = parse_midi(&encode_midi(&score).unwrap()).unwrap();
        assert_eq!(
            back.ticks_per_beat,
            score.ticks_per_beat,
            "{}",
            path.display()
        );
        assert_eq!(back.tempos, score.tempos, "{}", path.display());
        assert_eq!(
            back.time_signatures,
            score.time_signatures,
            "{}",
            path.display()
        );
        assert_eq!(
            back.key_signatures,
            score.key_signatures,
            "{}",
            path.display()
        );
        let notes = |s: &euterpe_music::Score| {
            let mut v: Vec<_> = s
                .tracks
                .iter()
                .flat_map(|t| t.notes.iter().map(move |n| (t.is_drum, t.program, *n)))
                .collect();
            v.sort();
            v
        };
        assert_eq!(notes(&back), notes(&score), "{}", path.display());
    }
}

#[test]
fn mixed_resolutions_and_formats_give_plausible_durations() {
    // VGMIDI mixes formats 0 and 1 and 48–1024 ticks per beat; its labels give each duration.
    let labels = std::fs::read_to_string(shared_data().join("vgmidi/labels.csv")).unwrap();
    let mut reader = labels.lines();
    let header: Vec<&str> = reader.next().unwrap().split(',').collect();
    let col = |name| header.iter().position(|h| *h == name).unwrap();
    let (file_col, dur_col, tpb_col) = (col("file"), col("duration_s"), col("ticks_per_beat"));
    let mut checked = 0;
    for line in reader.step_by(7) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != header.len() {
            continue; // a title with a comma; the sample is large enough without it
        }
        let score = read_midi_file(&shared_data().join("vgmidi/midi").join(f[file_col])).unwrap();
        assert_eq!(score.ticks_per_beat.to_string(), f[tpb_col]);
        let expected: f64 = f[dur_col].parse().unwrap();
        let got = score.duration_seconds();
        assert!(
            (got - expected).abs() < 0.05 * expected + 1.0,
            "{}: {got} vs {expected}",
            f[file_col]
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}
