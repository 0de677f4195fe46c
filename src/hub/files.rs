//! The files of one model on disk, where they came from (for provenance), and the check of a local
//! model folder.

use std::path::{Path, PathBuf};

use super::{DEFAULT_WEIGHTS_FILES, GENERATION_CONFIG, REQUIRED_FILES, TOKENIZER_CONFIG};
use crate::generate::GenerationOptions;
use crate::{Error, Result};

/// The files of one model, resolved to paths on disk, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFiles {
    /// `config.json`: the Marian configuration.
    pub config: PathBuf,
    /// `generation_config.json`, when the model has one: decoding defaults.
    pub generation_config: Option<PathBuf>,
    /// `tokenizer_config.json`, when the model has one: special-token overrides.
    pub tokenizer_config: Option<PathBuf>,
    /// `source.spm`: SentencePiece model of the source language.
    pub source_spm: PathBuf,
    /// `target.spm`: SentencePiece model of the target language.
    pub target_spm: PathBuf,
    /// `vocab.json`: the joint piece → id vocabulary.
    pub vocab: PathBuf,
    /// The weights: `model.safetensors`, or `pytorch_model.bin` when that is what there is.
    pub weights: PathBuf,
    /// Where these files came from, for provenance.
    pub source: ModelSource,
    /// Decoding defaults from models.toml, applied over `generation_config.json` (and under the
    /// user's options); empty for models that are not in models.toml.
    pub generation_defaults: GenerationOptions,
}

impl ModelFiles {
    /// The format of [`ModelFiles::weights`], told by its file name.
    pub fn weights_format(&self) -> WeightsFormat {
        WeightsFormat::of(&self.weights)
    }
}

/// How a weights file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// A safetensors file (`*.safetensors`).
    Safetensors,
    /// A PyTorch pickle (`pytorch_model.bin` and anything else).
    PytorchPickle,
}

impl WeightsFormat {
    /// The format of a weights file, told by its extension.
    pub fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("safetensors") => WeightsFormat::Safetensors,
            _ => WeightsFormat::PytorchPickle,
        }
    }
}

/// Where a model's files came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A local folder.
    Local {
        /// The folder, as given.
        dir: PathBuf,
    },
    /// A Hugging Face hub repo, through the cache.
    Hub(HubOrigin),
}

/// The hub origin of a model's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOrigin {
    /// The models.toml name the user gave, if any.
    pub name: Option<String>,
    /// Hub repo id, `Owner/name`.
    pub repo: String,
    /// Revision of the configuration and tokenizer files, as asked for.
    pub revision: String,
    /// The commit that revision resolved to (known from the cache snapshot).
    pub commit: Option<String>,
    /// Revision the weights file came from (differs for opus-mt-fr-en's `refs/pr/4`).
    pub weights_revision: String,
    /// The commit the weights revision resolved to.
    pub weights_commit: Option<String>,
}

impl ModelSource {
    /// What to record as the model in provenance: the hub repo id or the local folder.
    pub fn model_label(&self) -> String {
        match self {
            ModelSource::Local { dir } => dir.display().to_string(),
            ModelSource::Hub(origin) => origin.repo.clone(),
        }
    }

    /// What to record as the revision in provenance: the commit (else the revision asked for),
    /// and the weights' own when they differ; `None` for a local folder.
    pub fn revision_label(&self) -> Option<String> {
        let ModelSource::Hub(origin) = self else {
            return None;
        };
        let main = origin.commit.as_ref().unwrap_or(&origin.revision);
        let weights = origin
            .weights_commit
            .as_ref()
            .unwrap_or(&origin.weights_revision);
        if weights == main {
            Some(main.clone())
        } else {
            Some(format!(
                "{main} (weights: {} = {weights})",
                origin.weights_revision
            ))
        }
    }
}

/// The files of a local model folder, every required one checked.
pub fn resolve_local(dir: &Path) -> Result<ModelFiles> {
    if !dir.is_dir() {
        return Err(Error::InvalidModelSpec {
            spec: dir.display().to_string(),
            problem: "no such folder".into(),
        });
    }
    let mut required = Vec::with_capacity(REQUIRED_FILES.len());
    for (file, role) in REQUIRED_FILES {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(Error::ModelFileMissing {
                dir: dir.to_owned(),
                file: file.to_owned(),
                role: role.to_owned(),
            });
        }
        required.push(path);
    }
    let weights = DEFAULT_WEIGHTS_FILES
        .iter()
        .map(|file| dir.join(file))
        .find(|path| path.is_file())
        .ok_or_else(|| Error::NoWeightsFile {
            dir: dir.to_owned(),
        })?;
    let optional = |file: &str| Some(dir.join(file)).filter(|path| path.is_file());
    let [config, source_spm, target_spm, vocab] =
        <[PathBuf; 4]>::try_from(required).expect("four required files");
    Ok(ModelFiles {
        config,
        generation_config: optional(GENERATION_CONFIG),
        tokenizer_config: optional(TOKENIZER_CONFIG),
        source_spm,
        target_spm,
        vocab,
        weights,
        source: ModelSource::Local {
            dir: dir.to_owned(),
        },
        generation_defaults: GenerationOptions::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_format_follows_the_file_name() {
        assert_eq!(
            WeightsFormat::of(Path::new("x/model.safetensors")),
            WeightsFormat::Safetensors
        );
        assert_eq!(
            WeightsFormat::of(Path::new("x/pytorch_model.bin")),
            WeightsFormat::PytorchPickle
        );
    }
}
