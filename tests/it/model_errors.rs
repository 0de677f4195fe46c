//! Bad model files and bad inputs give precise errors, never panics.
//!
//! Each broken file is built in a temporary folder from the fixture model
//! (tests/fixtures/marian-tiny), changing exactly one thing.

use crate::fixture_model;

use candle_core::{DType, Device, Tensor};
use passeur::generate::{generate, GenerationConfig, GenerationOptions};
use passeur::model::{MarianConfig, MarianModel};
use passeur::Error;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn fixture_config() -> MarianConfig {
    MarianConfig::from_file(&fixture_model::dir().join("config.json")).unwrap()
}

fn fixture_tensors() -> HashMap<String, Tensor> {
    candle_core::safetensors::load(fixture_model::dir().join("model.safetensors"), &Device::Cpu)
        .unwrap()
}

fn load(config: &MarianConfig, weights: &Path) -> passeur::Result<MarianModel> {
    MarianModel::load(config, weights, &Device::Cpu, DType::F32)
}

/// A copy of the fixture's config.json with `edit` applied, written to `dir`.
fn edited_config(
    dir: &Path,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> PathBuf {
    let text = std::fs::read_to_string(fixture_model::dir().join("config.json")).unwrap();
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    edit(&mut map);
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::Value::Object(map).to_string()).unwrap();
    path
}

#[test]
fn config_whose_shapes_do_not_fit_the_weights_names_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_config(dir.path(), |m| {
        m.insert("decoder_ffn_dim".into(), 256.into());
    });
    let config = MarianConfig::from_file(&path).unwrap();
    let err = load(&config, &fixture_model::dir().join("model.safetensors")).unwrap_err();
    match &err {
        Error::TensorShape {
            tensor,
            expected,
            found,
            ..
        } => {
            assert_eq!(tensor, "model.decoder.layers.0.fc1.weight");
            assert_eq!(
                (expected.as_slice(), found.as_slice()),
                (&[256, 64][..], &[128, 64][..])
            );
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("model.safetensors") && msg.contains("[128, 64]"),
        "{msg}"
    );
}

#[test]
fn config_with_a_missing_field_names_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_config(dir.path(), |m| {
        m.remove("encoder_attention_heads");
    });
    let err = MarianConfig::from_file(&path).unwrap_err();
    assert!(matches!(&err, Error::ModelConfig { field, .. } if field == "encoder_attention_heads"));
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn missing_config_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let err = MarianConfig::from_file(&path).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn corrupt_generation_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generation_config.json");
    std::fs::write(&path, "{\"num_beams\": 4,").unwrap();
    let err = GenerationConfig::from_files(&fixture_config(), Some(&path)).unwrap_err();
    assert!(matches!(err, Error::GenerationConfig { .. }));
    assert!(
        err.to_string().contains("generation_config.json")
            && err.to_string().contains("not valid JSON")
    );
}

#[test]
fn safetensors_without_a_tensor_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut tensors = fixture_tensors();
    tensors
        .remove("model.decoder.layers.1.encoder_attn.v_proj.bias")
        .unwrap();
    let path = dir.path().join("model.safetensors");
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = load(&fixture_config(), &path).unwrap_err();
    assert!(
        matches!(&err, Error::MissingTensor { tensor, path: p } if tensor == "model.decoder.layers.1.encoder_attn.v_proj.bias" && p == &path),
        "{err:?}"
    );
    assert!(err.to_string().contains("is missing"), "{err}");
}

#[test]
fn truncated_safetensors_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture_model::dir().join("model.safetensors")).unwrap();
    let path = dir.path().join("model.safetensors");
    for keep in [bytes.len() / 2, 100, 4, 0] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let err = load(&fixture_config(), &path).unwrap_err();
        assert!(
            matches!(err, Error::WeightsFile { .. }),
            "{keep} bytes: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("model.safetensors") && msg.contains("download it again"),
            "{msg}"
        );
    }
}

#[test]
fn missing_or_unreadable_weights_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = fixture_config();
    let missing = dir.path().join("model.safetensors");
    let err = load(&config, &missing).unwrap_err();
    assert!(err.to_string().contains("file not found"), "{err}");

    let bin = dir.path().join("pytorch_model.bin");
    std::fs::write(&bin, b"\x80\x02}q\x00this is not a zip archive").unwrap();
    let err = load(&config, &bin).unwrap_err();
    assert!(matches!(err, Error::WeightsFile { .. }));
    assert!(
        err.to_string().contains("zip-format PyTorch checkpoint"),
        "{err}"
    );

    let onnx = dir.path().join("model.onnx");
    std::fs::write(&onnx, b"onnx").unwrap();
    let err = load(&config, &onnx).unwrap_err();
    assert!(err.to_string().contains("unknown weights format"), "{err}");
}

#[test]
fn integer_tensor_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut tensors = fixture_tensors();
    let bias = Tensor::zeros((1, 939), DType::U32, &Device::Cpu).unwrap();
    tensors.insert("final_logits_bias".into(), bias);
    let path = dir.path().join("model.safetensors");
    candle_core::safetensors::save(&tensors, &path).unwrap();
    let err = load(&fixture_config(), &path).unwrap_err();
    assert!(
        matches!(&err, Error::BadTensor { tensor, .. } if tensor == "final_logits_bias"),
        "{err:?}"
    );
}

#[test]
fn sources_past_the_position_limit_or_vocabulary_are_errors() {
    let (model, generation) = fixture_model::load();
    let greedy = generation.with_options(&GenerationOptions {
        num_beams: Some(1),
        max_new_tokens: Some(8),
        ..Default::default()
    });
    let fits = vec![vec![5u32; 511], vec![0u32]].into_iter().map(|mut s| {
        s.push(0);
        s
    });
    let fits: Vec<Vec<u32>> = fits.collect();
    assert_eq!(fits[0].len(), 512);
    assert_eq!(
        generate(&model, &fits, &greedy).unwrap().len(),
        2,
        "512 tokens still fit"
    );

    let too_long = vec![vec![3u32, 0], vec![5u32; 513]];
    let err = generate(&model, &too_long, &greedy).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSource { index: 1, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("513 tokens") && err.to_string().contains("512"),
        "{err}"
    );

    let err = generate(&model, &[vec![939, 0]], &greedy).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSource { index: 0, .. }),
        "{err:?}"
    );
    let err = generate(&model, &[vec![]], &greedy).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSource { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn decoding_past_the_position_limit_is_refused() {
    let (model, generation) = fixture_model::load();
    for beams in [1, 4] {
        let config = generation.with_options(&GenerationOptions {
            num_beams: Some(beams),
            max_new_tokens: Some(513),
            ..Default::default()
        });
        let err = generate(&model, &[vec![3, 0]], &config).unwrap_err();
        assert!(
            matches!(
                err,
                Error::GenerationOption {
                    option: "max_new_tokens",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    // The limit itself is allowed: 512 decoder positions, 512 new tokens at most.
    let config = generation.with_options(&GenerationOptions {
        num_beams: Some(1),
        max_new_tokens: Some(512),
        min_new_tokens: Some(512),
        ..Default::default()
    });
    let out = generate(&model, &[vec![3, 0]], &config).unwrap();
    assert_eq!(out[0].ids.len(), 512);
    assert_eq!(out[0].ids.last(), Some(&0));
}

#[test]
fn nan_or_infinite_weights_are_a_model_problem_not_a_decoding_option() {
    let (_, generation) = fixture_model::load();
    for (tensor, value) in [
        ("final_logits_bias", f32::NAN),
        ("model.decoder.layers.0.fc2.bias", f32::INFINITY),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut tensors = fixture_tensors();
        let shape = tensors[tensor].dims().to_vec();
        let poisoned = Tensor::full(value, shape.as_slice(), &Device::Cpu).unwrap();
        tensors.insert(tensor.to_string(), poisoned);
        let path = dir.path().join("model.safetensors");
        candle_core::safetensors::save(&tensors, &path).unwrap();
        let model = load(&fixture_config(), &path).unwrap();
        for beams in [1, 4] {
            let config = generation.with_options(&GenerationOptions {
                num_beams: Some(beams),
                max_new_tokens: Some(8),
                ..Default::default()
            });
            let err = generate(&model, &[vec![3, 0]], &config).unwrap_err();
            assert!(
                matches!(err, Error::NonFiniteModelOutput { step: 0 }),
                "{tensor}, beams {beams}: {err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains("NaN or infinity") && !message.contains("bad_words_ids"),
                "{message}"
            );
        }
    }
}
