//! Model directories as users hand them to euterpe: the built-in model, copies of it on disk, and
//! every way such a directory can be broken, each a clear error naming the file (never a panic).

use std::path::Path;

use euterpe_builtin_models::{default_model, BuiltinModel};
use euterpe_models::backend::Cpu;
use euterpe_models::{FrameLmConfig, Model, ModelConfig};
use euterpe_store::{files, load_dir, ModelSource, StoreError};

/// The default built-in model written out as a model directory under `dir`.
fn folk_dir(dir: &Path) -> std::path::PathBuf {
    let m: &BuiltinModel = default_model();
    let out = dir.join("folk");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(files::CONFIG), m.config).unwrap();
    std::fs::write(out.join(files::VOCAB), m.vocab.unwrap()).unwrap();
    std::fs::write(out.join(files::WEIGHTS), m.weights).unwrap();
    std::fs::write(out.join(files::CARD), m.card).unwrap();
    out
}

fn load_err(dir: &Path) -> String {
    match load_dir::<Cpu>(dir, &Default::default()) {
        Ok(_) => panic!("{} should not load", dir.display()),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one line: {msg}");
            msg
        }
    }
}

#[test]
fn the_built_in_model_loads_by_name_and_from_a_copy_on_disk() {
    let device = Default::default();
    let source = ModelSource::resolve(None).unwrap();
    assert_eq!(source.name(), "built-in model folk");
    let loaded = source.load::<Cpu>(&device).unwrap();
    assert_eq!(loaded.config.kind_name(), "token_lm");
    assert!(loaded.card.as_deref().unwrap().contains("Model card"));
    let (lm, tokenizer) = loaded.into_token_lm("test").unwrap();
    assert_eq!(lm.vocab(), tokenizer.vocab().len());

    let dir = tempfile::tempdir().unwrap();
    let copy = folk_dir(dir.path());
    let by_path = ModelSource::resolve(Some(copy.to_str().unwrap())).unwrap();
    assert!(matches!(by_path, ModelSource::Dir(_)));
    by_path.load::<Cpu>(&device).unwrap();

    let e = ModelSource::resolve(Some("jazz")).unwrap_err();
    assert!(matches!(e, StoreError::UnknownModel { .. }), "{e}");
    assert!(e.to_string().contains("folk"), "{e}");
}

#[test]
fn every_built_in_model_loads_with_its_kind_and_card() {
    let device = Default::default();
    for m in euterpe_builtin_models::BUILTIN {
        let source = ModelSource::resolve(Some(m.name)).unwrap();
        assert_eq!(
            source.kind().unwrap(),
            source.load::<Cpu>(&device).unwrap().model.kind_name()
        );
        assert!(m.card.contains("Model card"), "{}", m.name);
        assert!(
            m.card.contains("euterpe train"),
            "{}: the card names the command that trained it",
            m.name
        );
    }
}

#[test]
fn broken_weights_are_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let folk = folk_dir(dir.path());
    let weights = folk.join(files::WEIGHTS);
    let good = std::fs::read(&weights).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("cut in the header", good[..40].to_vec()),
        ("empty", Vec::new()),
        (
            "garbage",
            (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("trailing bytes", [good.as_slice(), b"extra"].concat()),
        ("one byte changed in a length", {
            let mut b = good.clone();
            b[133] = 0x7f; // the model's variant index
            b
        }),
    ];
    for (what, bytes) in cases {
        std::fs::write(&weights, &bytes).unwrap();
        let msg = load_err(&folk);
        assert!(msg.contains("weights.bin"), "{what}: {msg}");
    }
    std::fs::remove_file(&weights).unwrap();
    assert!(load_err(&folk).contains("missing weights.bin"));
}

#[test]
fn mismatched_configs_and_vocabularies_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let folk = folk_dir(dir.path());
    let config = std::fs::read_to_string(folk.join(files::CONFIG)).unwrap();

    // Another architecture than the weights were saved with.
    std::fs::write(
        folk.join(files::CONFIG),
        config.replace("hidden = 256", "hidden = 128"),
    )
    .unwrap();
    let msg = load_err(&folk);
    assert!(
        msg.contains("weights.bin") && msg.contains("architecture"),
        "{msg}"
    );

    // A misspelt field.
    std::fs::write(
        folk.join(files::CONFIG),
        config.replace("embedding = 64", "embeding = 64"),
    )
    .unwrap();
    let msg = load_err(&folk);
    assert!(
        msg.contains("config.toml") && msg.contains("embeding"),
        "{msg}"
    );

    // A vocabulary of another size.
    std::fs::write(folk.join(files::CONFIG), &config).unwrap();
    use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig};
    let vocab = Tokenizer::new(TokenizerConfig::for_scheme(Scheme::MidiLike))
        .unwrap()
        .vocab()
        .to_json();
    std::fs::write(folk.join(files::VOCAB), vocab).unwrap();
    let msg = load_err(&folk);
    assert!(msg.contains("vocab.json") && msg.contains("642"), "{msg}");
    std::fs::remove_file(folk.join(files::VOCAB)).unwrap();
    assert!(load_err(&folk).contains("missing vocab.json"));

    std::fs::remove_file(folk.join(files::CONFIG)).unwrap();
    assert!(load_err(&folk).contains("missing config.toml"));
    assert!(load_err(&dir.path().join("nowhere")).contains("not a model directory"));
}

/// A directory of another kind loads, and a task that needs a token model says what it got.
#[test]
fn a_frame_model_directory_loads_and_is_refused_by_token_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let device = Default::default();
    let config = ModelConfig::FrameLm(FrameLmConfig::default());
    let model: Model<Cpu> = config.init(&device);
    euterpe_store::weights::save::<Cpu, _>(model, &dir.path().join(files::WEIGHTS)).unwrap();
    let toml = format!(
        "[model]\n{}",
        toml::to_string(&config)
            .unwrap()
            .replace("[core]", "[model.core]")
            .replace("[head]", "[model.head]")
    );
    std::fs::write(dir.path().join(files::CONFIG), toml).unwrap();
    let loaded = load_dir::<Cpu>(dir.path(), &device).unwrap();
    assert_eq!(loaded.model.kind_name(), "frame_lm");
    let e = loaded.into_token_lm("generate").err().unwrap().to_string();
    assert!(
        e.contains("frame_lm") && e.contains("generate needs a token_lm model"),
        "{e}"
    );
}

/// A weights file found by fuzzing (`fuzz/fuzz_targets/model_weights.rs`, minimised): a tensor
/// whose shape's element count overflows `usize`, which makes burn panic while converting it.
#[test]
fn a_tensor_shape_whose_size_overflows_is_an_error_naming_the_file() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/weights-overflowing-shape.bin"),
    )
    .unwrap();
    let files = euterpe_store::ModelFiles {
        source: std::path::PathBuf::from("fuzz"),
        config: "[model]\nkind = \"frame_lm\"\nhead = { kind = \"nade\", hidden = 4 }\n\n[model.core]\ncell = \"lstm\"\nhidden = 8\nlayers = 1\n",
        vocab: None,
        weights: bytes,
        card: None,
    };
    let e = files
        .load::<Cpu>(&Default::default())
        .err()
        .expect("an error")
        .to_string();
    assert!(e.contains("weights.bin") && e.contains("corrupt"), "{e}");
}
