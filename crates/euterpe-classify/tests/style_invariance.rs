//! The built-in style classifier judges music, not files: a piece re-encoded at another
//! resolution, with its tracks merged into one or split in two, renamed and given other
//! instruments, or marked with another meter (most POP909 files say 1/4), reads as the same
//! notes and gets the same class and probabilities.

use euterpe_classify::Classifier;
use euterpe_models::backend::Cpu;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_music::score::{Score, Track};
use euterpe_store::ModelSource;
use euterpe_testkit::shared_data;

/// The score at `tpb` ticks per quarter note (every tick scaled and rounded).
fn at_resolution(score: &Score, tpb: u32) -> Score {
    let scale = |t: u64| (t as f64 * tpb as f64 / score.ticks_per_beat as f64).round() as u64;
    let mut s = score.clone();
    s.ticks_per_beat = tpb;
    for t in &mut s.tracks {
        for n in &mut t.notes {
            let end = scale(n.onset + n.duration);
            n.onset = scale(n.onset);
            n.duration = end - n.onset;
        }
    }
    for c in &mut s.tempos {
        c.tick = scale(c.tick);
    }
    for c in &mut s.time_signatures {
        c.tick = scale(c.tick);
    }
    for c in &mut s.key_signatures {
        c.tick = scale(c.tick);
    }
    s
}

/// The score marked 4/4 from the start instead of its own time signatures.
fn in_common_time(score: &Score) -> Score {
    let mut s = score.clone();
    s.time_signatures = vec![euterpe_music::score::TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    }];
    s
}

/// Every note in one track, named and played otherwise.
fn merged(score: &Score) -> Score {
    let mut one = Track::new("all of it", 40);
    one.notes = score.tracks.iter().flat_map(|t| t.notes.clone()).collect();
    one.notes.sort_by_key(|n| (n.onset, n.pitch));
    Score {
        tracks: vec![one],
        ..score.clone()
    }
}

/// The merged notes split by register into two tracks (left hand, right hand).
fn split(score: &Score) -> Score {
    let all = merged(score).tracks.remove(0).notes;
    let mut low = Track::new("left", 0);
    let mut high = Track::new("right", 73);
    for n in all {
        if n.pitch < 60 {
            low.notes.push(n);
        } else {
            high.notes.push(n);
        }
    }
    Score {
        tracks: vec![high, low],
        ..score.clone()
    }
}

#[test]
fn resolution_and_tracks_do_not_change_the_style() {
    let dir = tempfile::tempdir().unwrap();
    let style = Classifier::<Cpu>::load(
        &ModelSource::resolve(Some("style")).unwrap(),
        Default::default(),
    )
    .unwrap();
    let emopia = shared_data().join("emopia/midi");
    let mut clips: Vec<_> = std::fs::read_dir(&emopia)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    clips.sort();
    let pieces = [
        shared_data().join("pop909/001/001.mid"),
        shared_data().join("pop909/102/102.mid"),
        clips[0].clone(),
        clips[500].clone(),
    ];
    for path in pieces {
        let score = read_midi_file(&path).unwrap();
        assert!(score.tracks.len() > 1 || path.to_string_lossy().contains("emopia"));
        let reference = style.classify_score(&score).unwrap();
        // Re-encoded at another resolution: written to a file and read back.
        let file = dir.path().join("again.mid");
        write_midi_file(&at_resolution(&score, 1000), &file).unwrap();
        // (variant, largest allowed change of a probability): lossless re-encodings give the
        // same tokens; 96 ticks per beat rounds the onsets of off-grid (expressive) notes, so a
        // few may land on another 16th.
        let variants = [
            ("1000 ticks per beat", read_midi_file(&file).unwrap(), 1e-6),
            ("tracks merged", merged(&score), 1e-6),
            ("split in two by register", split(&score), 1e-6),
            ("marked 4/4", in_common_time(&score), 1e-6),
            (
                "merged at 96 ticks per beat",
                merged(&at_resolution(&score, 96)),
                0.05,
            ),
        ];
        for (what, variant, tolerance) in variants {
            let c = style.classify_score(&variant).unwrap();
            assert_eq!(c.class, reference.class, "{}: {what}", path.display());
            for (class, p) in &reference.probabilities {
                let q = c.probabilities[class];
                assert!(
                    (p - q).abs() < tolerance,
                    "{}: {what}: {class} {p} vs {q}",
                    path.display()
                );
            }
        }
    }
}
