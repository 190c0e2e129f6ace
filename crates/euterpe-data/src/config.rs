//! How a dataset becomes sequences: the `[data]` section of a training config, also recorded in
//! every model directory (evaluation reads new data the way the model was trained).

use std::collections::BTreeMap;
use std::path::PathBuf;

use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig, View};
use euterpe_music::QuantizeConfig;
use serde::{Deserialize, Serialize};

use crate::DataError;

/// Data settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Token vocabulary for MIDI data (default "remi").
    pub scheme: Scheme,
    /// Grid positions per quarter note for MIDI data (default 4).
    pub positions_per_beat: u32,
    /// Tokens per training window (default 256).
    pub seq_len: usize,
    /// Frames per training window for piano-roll data; 0 = whole sequences (default 0).
    pub frame_window: usize,
    /// Seed of the 70/15/15 split of MIDI corpora without a given split (default 0).
    pub split_seed: u64,
    /// A label CSV for MIDI corpora (default: `labels.csv` beside the data, if any).
    pub labels: Option<PathBuf>,
    /// Token cache file for MIDI corpora (default: under `$XDG_CACHE_HOME/euterpe` or
    /// `~/.cache/euterpe`).
    pub cache: Option<PathBuf>,
    /// What a piece's class is, for classifiers (default "none": no classes).
    pub label: LabelSource,
    /// What of each MIDI piece is tokenised (default "full"; "notes": one merged track of
    /// pitches, onsets and durations, for classifiers that must judge the music, not the file).
    #[serde(skip_serializing_if = "View::is_full")]
    pub view: View,
    /// Transpose every MIDI piece so that its estimated key's tonic is C (default false): the
    /// mode then shows in the pitches whatever the key, for emotion classifiers.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub transpose_to_c: bool,
    /// Control tokens put after `BOS` of every labelled piece, so that a token model learns to
    /// follow them and generation can ask for them (default none; `["emotion"]`: the piece's
    /// emotion quadrant). Pieces without the label get none, so the model also learns to play
    /// unconditioned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Token models with `conditions`: each training window leaves out each of its control
    /// tokens with this chance (`0.2`; or one per control, `{ emotion = 0.2 }`, the others
    /// kept; default: never), so that the model also learns to play with fewer controls, what
    /// classifier-free guidance (`generate --guidance`) contrasts the asked controls with.
    /// Validation keeps every control.
    #[serde(skip_serializing_if = "ConditionDropout::is_off")]
    pub condition_dropout: ConditionDropout,
    /// Token models with a bidirectional core (`model.core.causal = false`): the masked-token
    /// objective, as BERT and MIDIBERT pretrain. Each token of a window is chosen with this
    /// chance (`0.15`; default 0: next-token prediction) and predicted from the rest of the
    /// window; a chosen token's input is `MASK` 80 % of the time, a random token 10 %, itself
    /// 10 %. Validation chooses the same tokens every epoch.
    #[serde(skip_serializing_if = "is_unset")]
    pub mask_chance: f64,
    /// Classifier and piano-roll training: each window of a training pass is transposed at
    /// random by up to this many semitones either way (piano-rolls: within the 88 keys;
    /// default 0: never).
    pub transpose: u8,
    /// Only these top folders of a folder of corpora, in this order: the style classes and
    /// style control slots (default: every folder, classes sorted by name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<String>,
    /// Names of top folders as classes and styles (`pop909 = "pop"`); a folder not named here
    /// keeps its own name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub folder_names: BTreeMap<String, String>,
    /// Training passes see each piece of these top folders this many times (`emopia = 3`), so
    /// that a small corpus weighs more in the mix (default: once each).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub folder_repeats: BTreeMap<String, usize>,
    /// Classifier training only: every training pass takes this many windows of each class,
    /// drawn at random (so that a large corpus does not drown a small one and an epoch has a
    /// fixed cost); 0 = every window once (default).
    #[serde(skip_serializing_if = "is_zero")]
    pub windows_per_class: usize,
    /// Read MIDI as lead sheets, melody bars over chords, for the melody GAN
    /// (`[data.lead_sheet]`; default: not set, MIDI becomes tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_sheet: Option<crate::lead_sheet::LeadSheetConfig>,
    /// Read MIDI as multi-track phrases, for the MuseGAN-style arranger
    /// (`[data.multitrack]`; default: not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multitrack: Option<crate::multitrack::MultiTrackConfig>,
    /// Read the two corpora of `data.folders` as two styles of merged phrases, for style
    /// transfer (`[data.transfer]`; default: not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<crate::transfer::TransferConfig>,
    /// Read the data as a CSV of labelled texts, for the text head of prompts (`[data.text]`;
    /// default: not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<crate::text::TextDataConfig>,
    /// How recordings become clips of features, for audio data (`[data.audio]`).
    #[serde(skip_serializing_if = "crate::audio::AudioDataConfig::is_default")]
    pub audio: crate::audio::AudioDataConfig,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_unset(chance: &f64) -> bool {
    *chance == 0.0
}

/// How often training leaves out control tokens (`data.condition_dropout`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConditionDropout {
    /// The same chance for every control.
    All(f64),
    /// A chance per control; a control not named is never left out.
    Each(BTreeMap<Condition, f64>),
}

impl Default for ConditionDropout {
    fn default() -> Self {
        ConditionDropout::All(0.0)
    }
}

impl ConditionDropout {
    /// The chance that a training window leaves out a control token of `condition`.
    pub fn chance(&self, condition: Condition) -> f64 {
        match self {
            ConditionDropout::All(p) => *p,
            ConditionDropout::Each(each) => each.get(&condition).copied().unwrap_or(0.0),
        }
    }

    /// Whether no control is ever left out.
    pub fn is_off(&self) -> bool {
        match self {
            ConditionDropout::All(p) => *p == 0.0,
            ConditionDropout::Each(each) => each.values().all(|&p| p == 0.0),
        }
    }

    /// Every chance given, with the control it is for (`None`: all).
    fn chances(&self) -> Vec<(Option<Condition>, f64)> {
        match self {
            ConditionDropout::All(p) => vec![(None, *p)],
            ConditionDropout::Each(each) => each.iter().map(|(&c, &p)| (Some(c), p)).collect(),
        }
    }
}

/// A control a token model can be conditioned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    /// The emotion quadrant of the label file, as an `Emotion_Qn` token.
    Emotion,
    /// The corpus a piece comes from (its top folder, one of `data.folders`), as a `Style_n`
    /// token: slot n is the n-th of [`DataConfig::style_names`].
    Style,
}

impl Condition {
    /// Its name in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Emotion => "emotion",
            Condition::Style => "style",
        }
    }
}

impl DataConfig {
    /// Whether models trained with this data follow `condition`.
    pub fn conditions_on(&self, condition: Condition) -> bool {
        self.conditions.contains(&condition)
    }

    /// How a model trained with these settings reads another data path (evaluation on any
    /// data of the same format): a folder that lacks one of `data.folders` is taken as one
    /// corpus, every file of it read.
    pub fn for_path(&self, path: &std::path::Path) -> DataConfig {
        let mut c = self.clone();
        if path.is_dir() && self.folders.iter().any(|f| !path.join(f).is_dir()) {
            c.folders.clear();
            c.folder_repeats.clear();
        }
        c
    }

    /// The class or style name of a top folder.
    pub fn folder_name<'a>(&'a self, folder: &'a str) -> &'a str {
        self.folder_names.get(folder).map_or(folder, String::as_str)
    }

    /// The styles a model conditioned on style follows, in slot order: the names of
    /// `data.folders`.
    pub fn style_names(&self) -> Vec<String> {
        self.folders
            .iter()
            .map(|f| self.folder_name(f).to_string())
            .collect()
    }
}

/// Where the class of a piece comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelSource {
    /// No classes (language models).
    #[default]
    None,
    /// The emotion quadrant of the label file (`Q1`–`Q4`): EMOPIA's quadrant, or VGMIDI's
    /// valence and arousal mapped to their quadrant. Pieces without one are left out.
    Emotion,
    /// The top folder of the piece under the data path: a folder of corpora (`pop909/`,
    /// `essen/`, …) gives one class per corpus.
    Folder,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            scheme: Scheme::Remi,
            positions_per_beat: 4,
            seq_len: 256,
            frame_window: 0,
            split_seed: 0,
            labels: None,
            cache: None,
            label: LabelSource::None,
            view: View::Full,
            transpose_to_c: false,
            transpose: 0,
            conditions: Vec::new(),
            condition_dropout: ConditionDropout::default(),
            mask_chance: 0.0,
            folders: Vec::new(),
            folder_names: BTreeMap::new(),
            folder_repeats: BTreeMap::new(),
            windows_per_class: 0,
            lead_sheet: None,
            multitrack: None,
            transfer: None,
            text: None,
            audio: crate::audio::AudioDataConfig::default(),
        }
    }
}

impl DataConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.seq_len < 2 || self.seq_len > 1 << 20 {
            return Err(format!(
                "data.seq_len must be in 2..=1048576, got {}",
                self.seq_len
            ));
        }
        if self.transpose > 12 {
            return Err(format!(
                "data.transpose must be at most 12 semitones, got {}",
                self.transpose
            ));
        }
        for (condition, p) in self.condition_dropout.chances() {
            let name = condition.map_or(String::new(), |c| format!(".{}", c.name()));
            if !(0.0..1.0).contains(&p) {
                return Err(format!(
                    "data.condition_dropout{name} must be in [0, 1), got {p}"
                ));
            }
            if p > 0.0 && !condition.map_or(!self.conditions.is_empty(), |c| self.conditions_on(c))
            {
                return Err(format!(
                    "data.condition_dropout{name} has no control to leave out: data.conditions does not list it"
                ));
            }
        }
        if !(0.0..1.0).contains(&self.mask_chance) {
            return Err(format!(
                "data.mask_chance must be in [0, 1), got {}",
                self.mask_chance
            ));
        }
        if self.conditions_on(Condition::Style) && self.folders.is_empty() {
            return Err(
                "data.conditions includes \"style\" but data.folders is empty: list the corpora (top folders of the data) whose folder is the style".into(),
            );
        }
        if self.folders.len() > usize::from(TokenizerConfig::default().style_tokens) {
            return Err(format!(
                "data.folders lists {} folders; at most {} styles are supported",
                self.folders.len(),
                TokenizerConfig::default().style_tokens
            ));
        }
        let mut names = self.style_names();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "data.folders gives two folders the name {:?}",
                w[0]
            ));
        }
        if let Some((f, n)) = self.folder_repeats.iter().find(|(_, &n)| n == 0 || n > 100) {
            return Err(format!("data.folder_repeats.{f} must be 1–100, got {n}"));
        }
        if self.frame_window > 1 << 20 {
            return Err(format!(
                "data.frame_window = {} is unreasonably large",
                self.frame_window
            ));
        }
        Ok(())
    }

    /// The tokenizer MIDI data is encoded with.
    pub fn tokenizer(&self) -> Result<Tokenizer, DataError> {
        Ok(Tokenizer::new(TokenizerConfig {
            scheme: self.scheme,
            quantize: QuantizeConfig {
                positions_per_beat: self.positions_per_beat,
                ..QuantizeConfig::default()
            },
            view: self.view,
            transpose_to_c: self.transpose_to_c,
            ..TokenizerConfig::default()
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_path_without_the_corpora_is_read_as_one_corpus() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["pop", "folk"] {
            std::fs::create_dir(dir.path().join(f)).unwrap();
        }
        let config = DataConfig {
            folders: vec!["pop".into(), "folk".into()],
            folder_repeats: [("pop".to_string(), 2)].into(),
            ..DataConfig::default()
        };
        // The folder of corpora it was trained on keeps the selection.
        assert_eq!(config.for_path(dir.path()), config);
        // One corpus (or a file) is read whole, without repeats.
        let one = config.for_path(&dir.path().join("pop"));
        assert!(one.folders.is_empty() && one.folder_repeats.is_empty());
        assert_eq!(config.style_names(), ["pop", "folk"]);
        let named = DataConfig {
            folder_names: [("pop".to_string(), "pop-songs".to_string())].into(),
            ..config
        };
        assert_eq!(named.style_names(), ["pop-songs", "folk"]);
        let twice = DataConfig {
            folder_names: [("pop".to_string(), "folk".to_string())].into(),
            ..named
        };
        assert!(twice.validate().unwrap_err().contains("two folders"));
    }
}
