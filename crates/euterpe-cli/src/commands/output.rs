//! Output files shared by the commands that write music: numbered names, WAV and PNG beside MIDI.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use euterpe_music::score::Score;
use euterpe_render::{
    find_system_soundfont, plot_piano_roll, render_to_wav, PlotOptions, RenderOptions,
};

/// `--wav`, `--png` and `--soundfont`.
#[derive(Args)]
pub struct ExtraOutputs {
    /// Also render the music to this WAV file (44.1 kHz, 16-bit).
    #[arg(long)]
    pub wav: Option<PathBuf>,
    /// Also draw a piano-roll picture to this PNG file.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// A General MIDI SoundFont (.sf2) for --wav (default: one in the usual system places, else
    /// the built-in synthesiser).
    #[arg(long)]
    pub soundfont: Option<PathBuf>,
}

/// `song.mid` with index 2 → `song-2.mid`; no index → unchanged.
pub fn numbered(path: &Path, index: Option<usize>) -> PathBuf {
    let Some(i) = index else {
        return path.to_path_buf();
    };
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{i}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{i}"),
    };
    path.with_file_name(name)
}

/// Writes the WAV and PNG that were asked for; returns their paths.
pub fn write_extras(
    score: &Score,
    extras: &ExtraOutputs,
    index: Option<usize>,
) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
    let wav = match &extras.wav {
        Some(wav) => {
            let path = numbered(wav, index);
            let options = RenderOptions {
                soundfont: extras.soundfont.clone().or_else(find_system_soundfont),
                ..RenderOptions::default()
            };
            render_to_wav(score, &path, &options)?;
            Some(path)
        }
        None => None,
    };
    let png = match &extras.png {
        Some(png) => {
            let path = numbered(png, index);
            plot_piano_roll(score, &path, &PlotOptions::default())?;
            Some(path)
        }
        None => None,
    };
    Ok((wav, png))
}
