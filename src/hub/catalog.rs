//! The models passeur knows by name: `models.toml`, compiled into the binary.
//!
//! Each entry pins a hub repo to a revision and lists its weights files in order of preference, each
//! possibly at its own revision (opus-mt-fr-en's safetensors file lives in a pull-request revision).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::generate::GenerationOptions;
use crate::{Error, Result};

/// The text of models.toml, as compiled in.
pub const MODELS_TOML: &str = include_str!("../../models.toml");

/// One named model of models.toml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// What users type after `--model`.
    pub name: String,
    /// Hub repo id, `Owner/name`.
    pub repo: String,
    /// Pinned revision of the configuration and tokenizer files.
    pub revision: String,
    /// One line for `passeur models`.
    pub description: String,
    /// Weights files in order of preference.
    pub weights: Vec<WeightsCandidate>,
    /// Decoding defaults passeur uses for this model, over its `generation_config.json`.
    #[serde(default)]
    pub generation: GenerationDefaults,
}

/// The `[model.generation]` table of a models.toml entry: decoding defaults for the model, applied
/// over its `generation_config.json` and under the command line's options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationDefaults {
    /// Beam width; 1 is greedy search.
    pub num_beams: Option<usize>,
    /// Most tokens generated per sentence, end-of-sentence included.
    pub max_new_tokens: Option<usize>,
    /// Fewest tokens generated before end-of-sentence is allowed.
    pub min_new_tokens: Option<usize>,
    /// No n-gram of this size occurs twice in an output (0: no constraint).
    pub no_repeat_ngram_size: Option<usize>,
}

impl GenerationDefaults {
    /// These defaults as generation options.
    pub fn to_options(&self) -> GenerationOptions {
        GenerationOptions {
            num_beams: self.num_beams,
            max_new_tokens: self.max_new_tokens,
            min_new_tokens: self.min_new_tokens,
            no_repeat_ngram_size: self.no_repeat_ngram_size,
            ..GenerationOptions::default()
        }
    }
}

/// A weights file a model may have, and at which revision.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsCandidate {
    /// File name in the repo: `model.safetensors` or `pytorch_model.bin`.
    pub file: String,
    /// Revision of this file when it differs from the entry's.
    pub revision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    model: Vec<CatalogEntry>,
}

/// Parses a models.toml text; every entry must name a repo, a revision and at least one weights file.
pub fn parse_catalog(text: &str) -> Result<Vec<CatalogEntry>> {
    parse(text).map_err(|problem| Error::ModelsToml { problem })
}

fn parse(text: &str) -> std::result::Result<Vec<CatalogEntry>, String> {
    let file: CatalogFile = toml::from_str(text).map_err(|err| err.to_string())?;
    for (index, entry) in file.model.iter().enumerate() {
        if entry.name.is_empty() || entry.name.contains('/') {
            return Err(format!(
                "entry {index}: name {:?} must be non-empty and contain no '/'",
                entry.name
            ));
        }
        if file.model[..index].iter().any(|e| e.name == entry.name) {
            return Err(format!("the name {:?} appears twice", entry.name));
        }
        if entry.weights.is_empty() {
            return Err(format!("{}: no weights files listed", entry.name));
        }
        let generation = &entry.generation;
        if generation.num_beams == Some(0) || generation.max_new_tokens == Some(0) {
            return Err(format!(
                "{}: [model.generation] num_beams and max_new_tokens must be at least 1",
                entry.name
            ));
        }
        let mut revisions = std::iter::once(&entry.revision)
            .chain(entry.weights.iter().filter_map(|w| w.revision.as_ref()));
        super::validate_repo_id(&entry.repo)
            .and_then(|()| revisions.try_for_each(|r| super::validate_revision(r)))
            .map_err(|problem| format!("{}: {problem}", entry.name))?;
    }
    Ok(file.model)
}

/// The entries of the compiled-in models.toml, in file order.
pub fn catalog() -> Result<&'static [CatalogEntry]> {
    static CATALOG: OnceLock<std::result::Result<Vec<CatalogEntry>, String>> = OnceLock::new();
    CATALOG
        .get_or_init(|| parse(MODELS_TOML))
        .as_deref()
        .map_err(|problem| Error::ModelsToml {
            problem: problem.clone(),
        })
}

/// The models.toml entry called `name`, if any.
pub(super) fn find(name: &str) -> Result<Option<&'static CatalogEntry>> {
    Ok(catalog()?.iter().find(|entry| entry.name == name))
}
