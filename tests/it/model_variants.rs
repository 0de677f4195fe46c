//! Model and decoding variants the transformers reference does not cover directly: tc-big-style
//! models (ReLU, half-precision weights, end-of-sentence id ≠ 0) and the length and repetition
//! settings. Models are built in temporary folders from the fixture's weights.

use crate::fixture_model;

use candle_core::{DType, Device, Tensor};
use passeur::generate::{
    first_step_logits, generate, GenerationConfig, GenerationOptions, Hypothesis,
};
use passeur::model::{MarianConfig, MarianModel};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Reference {
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    beam4_ids: Vec<u32>,
}

fn references() -> Vec<Reference> {
    let text = std::fs::read_to_string(fixture_model::dir().join("reference.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The id the relabelled models use for end-of-sentence instead of 0.
const EOS: u32 = 5;

/// Swaps ids 0 and [`EOS`].
fn relabel(id: u32) -> u32 {
    match id {
        0 => EOS,
        EOS => 0,
        other => other,
    }
}

/// Writes a model folder: the fixture's tensors with ids 0 and [`EOS`] swapped (so the model is
/// the fixture model under another numbering), stored as `dtype`, with `activation`.
fn relabelled_model(dir: &Path, activation: &str, dtype: DType) -> PathBuf {
    let mut tensors = candle_core::safetensors::load(
        fixture_model::dir().join("model.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    let permutation: Vec<u32> = (0..939).map(relabel).collect();
    let permutation = Tensor::new(permutation.as_slice(), &Device::Cpu).unwrap();
    let shared = tensors["model.shared.weight"]
        .index_select(&permutation, 0)
        .unwrap();
    tensors.insert("model.shared.weight".into(), shared);
    let bias = tensors["final_logits_bias"]
        .index_select(&permutation, 1)
        .unwrap();
    tensors.insert("final_logits_bias".into(), bias);
    let tensors: HashMap<String, Tensor> = tensors
        .into_iter()
        .map(|(name, t)| (name, t.to_dtype(dtype).unwrap()))
        .collect();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();

    let text = std::fs::read_to_string(fixture_model::dir().join("config.json")).unwrap();
    let mut config: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap();
    config.insert("activation_function".into(), activation.into());
    config.insert("eos_token_id".into(), EOS.into());
    config.insert("forced_eos_token_id".into(), EOS.into());
    config.insert(
        "torch_dtype".into(),
        format!("{dtype:?}").to_lowercase().into(),
    );
    std::fs::write(
        dir.join("config.json"),
        serde_json::Value::Object(config).to_string(),
    )
    .unwrap();
    let generation = serde_json::json!({
        "bad_words_ids": [[938]], "bos_token_id": 0, "decoder_start_token_id": 938,
        "eos_token_id": EOS, "forced_eos_token_id": EOS, "max_length": 512, "num_beams": 4,
        "pad_token_id": 938, "renormalize_logits": true
    });
    std::fs::write(dir.join("generation_config.json"), generation.to_string()).unwrap();
    dir.to_path_buf()
}

fn load(dir: &Path) -> (MarianModel, GenerationConfig) {
    let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
    let model = MarianModel::load(
        &config,
        &dir.join("model.safetensors"),
        &Device::Cpu,
        DType::F32,
    )
    .unwrap();
    let generation =
        GenerationConfig::from_files(&config, Some(&dir.join("generation_config.json"))).unwrap();
    (model, generation)
}

fn settings(defaults: &GenerationConfig, beams: usize, max_new_tokens: usize) -> GenerationConfig {
    defaults.with_options(&GenerationOptions {
        num_beams: Some(beams),
        max_new_tokens: Some(max_new_tokens),
        ..Default::default()
    })
}

#[test]
fn end_of_sentence_other_than_zero_reproduces_transformers_under_relabelling() {
    let dir = tempfile::tempdir().unwrap();
    let (model, defaults) = load(&relabelled_model(dir.path(), "swish", DType::F32));
    assert_eq!(defaults.eos_token_ids, vec![EOS]);
    let refs = references();
    let sources: Vec<Vec<u32>> = refs
        .iter()
        .map(|r| r.source_ids.iter().map(|&i| relabel(i)).collect())
        .collect();
    for (beams, expected) in [
        (1, refs.iter().map(|r| &r.greedy_ids).collect::<Vec<_>>()),
        (4, refs.iter().map(|r| &r.beam4_ids).collect()),
    ] {
        let got = generate(&model, &sources, &settings(&defaults, beams, 64)).unwrap();
        for (line, (h, e)) in got.iter().zip(expected).enumerate() {
            let e: Vec<u32> = e.iter().map(|&i| relabel(i)).collect();
            assert_eq!(h.ids, e, "beams {beams}, line {line}");
        }
    }
}

#[test]
fn tc_big_style_model_loads_from_f16_and_stops_at_its_eos() {
    let half_dir = tempfile::tempdir().unwrap();
    let rounded_dir = tempfile::tempdir().unwrap();
    relabelled_model(half_dir.path(), "relu", DType::F16);
    // The same weights, rounded to f16 and stored back as f32: what the f16 file must load as.
    relabelled_model(rounded_dir.path(), "relu", DType::F16);
    let rounded: HashMap<String, Tensor> =
        candle_core::safetensors::load(rounded_dir.path().join("model.safetensors"), &Device::Cpu)
            .unwrap()
            .into_iter()
            .map(|(name, t)| (name, t.to_dtype(DType::F32).unwrap()))
            .collect();
    candle_core::safetensors::save(&rounded, rounded_dir.path().join("model.safetensors")).unwrap();
    let stored =
        candle_core::safetensors::load(half_dir.path().join("model.safetensors"), &Device::Cpu)
            .unwrap();
    assert_eq!(
        stored["model.shared.weight"].dtype(),
        DType::F16,
        "the file really is f16"
    );

    let (half, defaults) = load(half_dir.path());
    let (full, _) = load(rounded_dir.path());
    let sources: Vec<Vec<u32>> = references()
        .iter()
        .map(|r| r.source_ids.iter().map(|&i| relabel(i)).collect())
        .collect();
    let config = settings(&defaults, 1, 64);
    assert_eq!(
        first_step_logits(&half, &sources, &config).unwrap(),
        first_step_logits(&full, &sources, &config).unwrap()
    );

    for beams in [1, 4] {
        let config = settings(&defaults, beams, 40);
        let got: Vec<Hypothesis> = generate(&half, &sources, &config).unwrap();
        assert_eq!(
            got,
            generate(&full, &sources, &config).unwrap(),
            "beams {beams}"
        );
        for h in &got {
            assert_eq!(
                h.ids.last(),
                Some(&EOS),
                "beams {beams}: ends with its eos: {:?}",
                h.ids
            );
            assert!(
                !h.ids[..h.ids.len() - 1].contains(&EOS),
                "beams {beams}: eos only at the end"
            );
            assert!(h.ids.len() <= 40);
        }
        assert!(
            got.iter().any(|h| h.ids.len() < 40),
            "beams {beams}: some sentences stop on eos before the limit"
        );
    }
}

fn has_repeated_bigram(ids: &[u32]) -> bool {
    let mut tokens = vec![938];
    tokens.extend_from_slice(ids);
    let bigrams: Vec<&[u32]> = tokens.windows(2).collect();
    bigrams
        .iter()
        .enumerate()
        .any(|(i, b)| bigrams[..i].contains(b))
}

#[test]
fn no_repeat_ngram_size_removes_repeated_bigrams() {
    let (model, defaults) = fixture_model::load();
    let refs = references();
    assert!(
        refs.iter()
            .filter(|r| has_repeated_bigram(&r.beam4_ids))
            .count()
            > 10,
        "the reference repeats itself"
    );
    let sources: Vec<Vec<u32>> = refs.iter().map(|r| r.source_ids.clone()).collect();
    for beams in [1, 4] {
        let config = settings(&defaults, beams, 64).with_options(&GenerationOptions {
            no_repeat_ngram_size: Some(2),
            ..Default::default()
        });
        for h in generate(&model, &sources, &config).unwrap() {
            assert!(!has_repeated_bigram(&h.ids), "beams {beams}: {:?}", h.ids);
            assert_eq!(h.ids.last(), Some(&0));
        }
    }
}

#[test]
fn min_new_tokens_delays_end_of_sentence() {
    let (model, defaults) = fixture_model::load();
    let sources: Vec<Vec<u32>> = references().iter().map(|r| r.source_ids.clone()).collect();
    for beams in [1, 4] {
        // min = max: exactly that many tokens, the last one the forced </s>.
        let exact = settings(&defaults, beams, 20).with_options(&GenerationOptions {
            min_new_tokens: Some(20),
            ..Default::default()
        });
        for h in generate(&model, &sources, &exact).unwrap() {
            assert_eq!(h.ids.len(), 20, "beams {beams}");
            assert_eq!(
                h.ids.iter().position(|&t| t == 0),
                Some(19),
                "beams {beams}: {:?}",
                h.ids
            );
        }
        let at_least = settings(&defaults, beams, 64).with_options(&GenerationOptions {
            min_new_tokens: Some(12),
            ..Default::default()
        });
        for h in generate(&model, &sources, &at_least).unwrap() {
            assert!(
                h.ids.len() >= 12 && !h.ids[..11].contains(&0),
                "beams {beams}: {:?}",
                h.ids
            );
        }
    }
}
