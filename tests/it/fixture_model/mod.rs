//! The fixture model (tests/fixtures/marian-tiny) loaded straight from its files, for the tests
//! that drive the model and the searches directly rather than through a `Translator`.

#![allow(dead_code)]

use candle_core::{DType, Device};
use passeur::generate::GenerationConfig;
use passeur::model::{MarianConfig, MarianModel, Quantization};
use std::path::{Path, PathBuf};

/// The fixture folder, laid out like an opus-mt hub repo.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

/// The f32 fixture model on CPU and its decoding defaults (generation_config.json).
pub fn load() -> (MarianModel, GenerationConfig) {
    load_with(Quantization::None)
}

/// [`load`] with the weight matrices stored as `quantization` says.
pub fn load_with(quantization: Quantization) -> (MarianModel, GenerationConfig) {
    let dir = dir();
    let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
    let model = MarianModel::load_with(
        &config,
        &dir.join("model.safetensors"),
        &Device::Cpu,
        DType::F32,
        quantization,
    )
    .unwrap();
    let defaults =
        GenerationConfig::from_files(&config, Some(&dir.join("generation_config.json"))).unwrap();
    (model, defaults)
}
