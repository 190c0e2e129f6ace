//! Every committed training config parses and validates: a config that rots (a renamed field, a
//! value out of range) fails here, not in a user's hands.

use std::path::PathBuf;

use euterpe_train::TrainConfig;

#[test]
fn every_committed_config_parses_and_validates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = TrainConfig::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            config
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} configs found in {}",
        dir.display()
    );
}

#[test]
fn condition_dropout_is_one_chance_or_one_per_control_and_is_checked() {
    let config = |dropout: &str| {
        let text = format!(
            "[model]\nkind = \"token_lm\"\n[data]\nfolders = [\"pop909\", \"essen\"]\n\
             conditions = [\"emotion\", \"style\"]\ncondition_dropout = {dropout}\n"
        );
        TrainConfig::parse(&text, &[]).and_then(|c| c.validate().map(|_| c))
    };
    let all = config("0.2").unwrap();
    assert_eq!(
        all.data
            .condition_dropout
            .chance(euterpe_data::Condition::Style),
        0.2
    );
    let each = config("{ emotion = 0.3 }").unwrap();
    let dropout = &each.data.condition_dropout;
    assert_eq!(dropout.chance(euterpe_data::Condition::Emotion), 0.3);
    assert_eq!(dropout.chance(euterpe_data::Condition::Style), 0.0);
    // Out of range, or for a control the model does not follow: an error naming the field.
    let err = config("{ style = 1.5 }").unwrap_err();
    assert!(err.contains("condition_dropout.style"), "{err}");
    let err = config("{ emotion = 0.2 }")
        .and_then(|_| {
            TrainConfig::parse(
                "[model]\nkind = \"token_lm\"\n[data]\nconditions = [\"emotion\"]\n\
                 condition_dropout = { style = 0.2 }\n",
                &[],
            )
        })
        .and_then(|c| c.validate().map(|_| c))
        .unwrap_err();
    assert!(err.contains("does not list it"), "{err}");
}

#[test]
fn the_masked_token_objective_goes_with_a_bidirectional_core_only() {
    let config = |kind: &str, causal: bool, mask_chance: f64| {
        let text = format!(
            "[model]\nkind = \"{kind}\"\n[model.core]\ncell = \"transformer\"\ncausal = {causal}\n\
             [data]\nmask_chance = {mask_chance}\n"
        );
        TrainConfig::parse(&text, &[]).and_then(|c| c.validate())
    };
    // Pretraining an encoder, and classifiers over either kind of core.
    assert!(config("token_lm", false, 0.15).is_ok());
    assert!(config("classifier", false, 0.0).is_ok());
    assert!(config("classifier", true, 0.0).is_ok());
    // A bidirectional next-token model would see its answers; masking a causal one is a mistake.
    let err = config("token_lm", false, 0.0).unwrap_err();
    assert!(err.contains("mask_chance"), "{err}");
    let err = config("token_lm", true, 0.15).unwrap_err();
    assert!(err.contains("causal = false"), "{err}");
    // Only token models learn masked tokens; a next-frame model needs a causal core.
    let err = config("classifier", false, 0.15).unwrap_err();
    assert!(err.contains("data.mask_chance"), "{err}");
    let err = config("frame_lm", false, 0.0).unwrap_err();
    assert!(err.contains("frame_lm"), "{err}");
    let err = config("token_lm", false, 1.5).unwrap_err();
    assert!(err.contains("data.mask_chance must be in [0, 1)"), "{err}");
}
