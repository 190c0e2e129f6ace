//! Where a model kind meets its data: the one place that says which kind learns from which data,
//! and fills in what the data decides.

use std::path::Path;

use burn::tensor::backend::Backend;
use euterpe_data::Split;
use euterpe_data::{AudioData, FrameData, LeadSheetData, MultiTrackData, TaskData, TokenData};
use euterpe_models::{
    AudioAutoencoder, AudioClassifier, AudioLm, FrameLm, Model, ModelConfig, SequenceClassifier,
    TokenLm,
};

use crate::TrainError;

/// A model with the data of its kind.
// Made once per run and matched at once: boxing would only add an indirection.
#[allow(clippy::large_enum_variant)]
pub enum Paired<'d, B: Backend> {
    /// A token language model and token sequences.
    Tokens {
        /// The model.
        model: TokenLm<B>,
        /// The data.
        data: &'d TokenData,
    },
    /// A piano-roll frame model and piano-roll sequences.
    Frames {
        /// The model.
        model: FrameLm<B>,
        /// The data.
        data: &'d FrameData,
    },
    /// A classifier and labelled token sequences.
    Classes {
        /// The model.
        model: SequenceClassifier<B>,
        /// The data.
        data: &'d TokenData,
    },
    /// An audio classifier and labelled clips of recordings.
    AudioClasses {
        /// The model.
        model: AudioClassifier<B>,
        /// The data.
        data: &'d AudioData,
    },
    /// A spectrogram encoder-decoder and clips of recordings (labels unused).
    AudioCodes {
        /// The model.
        model: AudioAutoencoder<B>,
        /// The data.
        data: &'d AudioData,
    },
    /// A next-frame audio model and clips of recordings (labels optional).
    AudioFrames {
        /// The model.
        model: AudioLm<B>,
        /// The data.
        data: &'d AudioData,
    },
    /// A melody GAN's generator and lead sheets.
    LeadSheets {
        /// The generator.
        model: euterpe_models::MelodyGenerator<B>,
        /// The data.
        data: &'d LeadSheetData,
    },
    /// A multi-track GAN's generator and multi-track phrases.
    MultiTrack {
        /// The generator.
        model: euterpe_models::musegan::MultiTrackGenerator<B>,
        /// The data.
        data: &'d MultiTrackData,
    },
    /// A text head and labelled texts.
    TextClasses {
        /// The model.
        model: euterpe_models::TextHead<B>,
        /// The data.
        data: &'d euterpe_data::TextData,
    },
    /// A style-transfer GAN's generators and phrases of two styles.
    Transfer {
        /// Both generators.
        model: euterpe_models::cyclegan::StyleTransferPair<B>,
        /// The data.
        data: &'d euterpe_data::TransferData,
    },
}

/// The data a kind learns from, in words.
fn wanted(model: &ModelConfig) -> &'static str {
    match model {
        ModelConfig::TokenLm(_) => "event tokens (a MIDI file or folder, or a token file)",
        ModelConfig::FrameLm(_) => "piano-roll frames (a polyphonic JSON file)",
        ModelConfig::Classifier(_) => {
            "labelled event tokens (MIDI or a token file, with data.label = \"emotion\" or \"folder\")"
        }
        ModelConfig::AudioClassifier(_) => {
            "labelled recordings (a folder of audio files with a labels.csv of emotion quadrants)"
        }
        ModelConfig::AudioLm(_) | ModelConfig::AudioAutoencoder(_) => {
            "recordings (an audio file or a folder of them)"
        }
        ModelConfig::MelodyGan(_) => {
            "lead sheets (MIDI with a melody track, read with [data.lead_sheet] set)"
        }
        ModelConfig::MuseGan(_) => {
            "multi-track phrases (MIDI with named tracks, read with [data.multitrack] set)"
        }
        ModelConfig::TextHead(_) => {
            "labelled texts (a CSV of texts and classes, read with [data.text] set)"
        }
        ModelConfig::CycleGan(_) => {
            "phrases of two styles (a folder of corpora, two of them in data.folders, read with [data.transfer] set)"
        }
    }
}

fn mismatch(model: &ModelConfig, data: &TaskData, path: &Path) -> TrainError {
    TrainError::Unusable(format!(
        "{}: holds {}, but a {} model (kind = \"{}\") learns from {}",
        path.display(),
        data.describe(),
        model.describe(),
        model.kind_name(),
        wanted(model)
    ))
}

/// `model` with what the data decides filled in (a token model's vocabulary size), or an error
/// when this kind cannot learn from this data. `path` names the data in errors.
pub fn resolve(
    model: &ModelConfig,
    data: &TaskData,
    path: &Path,
) -> Result<ModelConfig, TrainError> {
    match (model, data) {
        (ModelConfig::TokenLm(c), TaskData::Tokens(t)) => {
            let size = t.vocab.len();
            if c.vocab != 0 && c.vocab != size {
                return Err(TrainError::Unusable(format!(
                    "{}: its vocabulary has {size} tokens, but model.vocab = {}",
                    path.display(),
                    c.vocab
                )));
            }
            let mut c = c.clone();
            c.vocab = size;
            Ok(ModelConfig::TokenLm(c))
        }
        (ModelConfig::FrameLm(_), TaskData::Frames(_)) => Ok(model.clone()),
        (ModelConfig::Classifier(c), TaskData::Tokens(t)) => {
            if t.classes.is_empty() {
                return Err(TrainError::Unusable(format!(
                    "{}: a classifier needs labelled data; set data.label = \"emotion\" or \"folder\"",
                    path.display()
                )));
            }
            let labelled = t.labels.iter().flatten().filter(|l| l.is_some()).count();
            if labelled == 0 {
                return Err(TrainError::Unusable(format!(
                    "{}: no piece has a label (is there a labels.csv beside the data?)",
                    path.display()
                )));
            }
            let mut c = c.clone();
            for (field, given, found) in [
                (
                    "model.vocab",
                    c.vocab.to_string(),
                    t.vocab.len().to_string(),
                ),
                ("model.classes", c.classes.join(","), t.classes.join(",")),
            ] {
                if !(given.is_empty() || given == "0" || given == found) {
                    return Err(TrainError::Unusable(format!(
                        "{}: the data give {field} = {found}, the config {given}",
                        path.display()
                    )));
                }
            }
            c.vocab = t.vocab.len();
            c.classes = t.classes.clone();
            Ok(ModelConfig::Classifier(c))
        }
        (ModelConfig::AudioClassifier(c), TaskData::Audio(a)) => {
            if a.classes.is_empty() {
                return Err(TrainError::Unusable(format!(
                    "{}: an audio classifier needs labels: a labels.csv with clip and quadrant columns in or beside the folder",
                    path.display()
                )));
            }
            let mut c = c.clone();
            if c.features != 0 && c.features != a.width {
                return Err(TrainError::Unusable(format!(
                    "{}: the data give model.features = {}, the config {}",
                    path.display(),
                    a.width,
                    c.features
                )));
            }
            c.features = a.width;
            c.classes = a.classes.clone();
            Ok(ModelConfig::AudioClassifier(c))
        }
        (ModelConfig::AudioLm(c), TaskData::Audio(a)) => {
            let mut c = c.clone();
            fill_frames(&mut c.features, &mut c.mean, &mut c.std, a, path)?;
            if c.embedding > 0 && c.classes.is_empty() {
                c.classes = a.classes.clone();
            }
            Ok(ModelConfig::AudioLm(c))
        }
        (ModelConfig::AudioAutoencoder(c), TaskData::Audio(a)) => {
            let mut c = c.clone();
            fill_frames(&mut c.features, &mut c.mean, &mut c.std, a, path)?;
            Ok(ModelConfig::AudioAutoencoder(c))
        }
        (ModelConfig::MelodyGan(_), TaskData::LeadSheets(_)) => Ok(model.clone()),
        (ModelConfig::MuseGan(c), TaskData::MultiTrack(m)) => {
            if !c.tracks.is_empty() && c.tracks != m.tracks {
                return Err(TrainError::Unusable(format!(
                    "{}: the data give model.tracks = [{}], the config [{}]",
                    path.display(),
                    m.tracks.join(", "),
                    c.tracks.join(", ")
                )));
            }
            let mut c = c.clone();
            c.tracks = m.tracks.clone();
            Ok(ModelConfig::MuseGan(c))
        }
        (ModelConfig::CycleGan(c), TaskData::Transfer(t)) => {
            let names = t.names.to_vec();
            if !c.styles.is_empty() && c.styles != names {
                return Err(TrainError::Unusable(format!(
                    "{}: the data give model.styles = [{}], the config [{}]",
                    path.display(),
                    names.join(", "),
                    c.styles.join(", ")
                )));
            }
            let mut c = c.clone();
            c.styles = names;
            Ok(ModelConfig::CycleGan(c))
        }
        (ModelConfig::TextHead(c), TaskData::Text(t)) => {
            let mut c = c.clone();
            for (field, given, found) in [
                ("model.inputs", c.inputs.to_string(), t.width.to_string()),
                ("model.classes", c.classes.join(","), t.classes.join(",")),
            ] {
                if !(given.is_empty() || given == "0" || given == found) {
                    return Err(TrainError::Unusable(format!(
                        "{}: the data give {field} = {found}, the config {given}",
                        path.display()
                    )));
                }
            }
            c.inputs = t.width;
            c.classes = t.classes.clone();
            Ok(ModelConfig::TextHead(c))
        }
        _ => Err(mismatch(model, data, path)),
    }
}

/// An audio model's bands per frame, from the data (an error if the config says otherwise), and
/// its standardisation, measured on the training split unless the config holds it.
fn fill_frames(
    features: &mut usize,
    mean: &mut Vec<f32>,
    std: &mut Vec<f32>,
    data: &AudioData,
    path: &Path,
) -> Result<(), TrainError> {
    if *features != 0 && *features != data.width {
        return Err(TrainError::Unusable(format!(
            "{}: the data give model.features = {}, the config {features}",
            path.display(),
            data.width,
        )));
    }
    *features = data.width;
    if mean.is_empty() || std.is_empty() {
        (*mean, *std) = data.band_statistics(Split::Train);
    }
    Ok(())
}

/// Pairs a built model with data of its kind, or says why they do not go together.
pub fn pair<'d, B: Backend>(
    model: Model<B>,
    config: &ModelConfig,
    data: &'d TaskData,
    path: &Path,
) -> Result<Paired<'d, B>, TrainError> {
    match (model, data) {
        (Model::TokenLm(model), TaskData::Tokens(data)) => Ok(Paired::Tokens { model, data }),
        (Model::FrameLm(model), TaskData::Frames(data)) => Ok(Paired::Frames { model, data }),
        (Model::Classifier(model), TaskData::Tokens(data)) => Ok(Paired::Classes { model, data }),
        (Model::AudioClassifier(model), TaskData::Audio(data)) => {
            Ok(Paired::AudioClasses { model, data })
        }
        (Model::AudioLm(model), TaskData::Audio(data)) => Ok(Paired::AudioFrames { model, data }),
        (Model::AudioAutoencoder(model), TaskData::Audio(data)) => {
            Ok(Paired::AudioCodes { model, data })
        }
        (Model::MelodyGan(model), TaskData::LeadSheets(data)) => {
            Ok(Paired::LeadSheets { model, data })
        }
        (Model::MuseGan(model), TaskData::MultiTrack(data)) => {
            Ok(Paired::MultiTrack { model, data })
        }
        (Model::CycleGan(model), TaskData::Transfer(data)) => Ok(Paired::Transfer { model, data }),
        (Model::TextHead(model), TaskData::Text(data)) => Ok(Paired::TextClasses { model, data }),
        _ => Err(mismatch(config, data, path)),
    }
}
