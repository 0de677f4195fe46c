//! Model resolution: from what the user typed after `--model` to the files on disk the engine loads.
//!
//! A model spec is, in this order of precedence:
//! 1. a name from models.toml (`opus-mt-fr-en`), which pins a hub repo and revision;
//! 2. an existing local folder laid out like an opus-mt hub repo;
//! 3. a hub repo id, `Owner/name` (revision `main`) or `Owner/name@revision`.
//!
//! Hub files live in the standard Hugging Face cache (HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE,
//! HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub, first set wins), in
//! Python's layout, so a model that Python transformers already downloaded is found there and not
//! fetched again. A file found in the cache is used without asking the network; a missing one is
//! downloaded unless HF_HUB_OFFLINE is set, in which case the error names the repo, the revision and
//! the file, and says what to do.
//!
//! Every required file is checked before anything is loaded, so a broken model fails at once with
//! the name of the missing file instead of half-way through loading.
//!
//! [`ResolveOptions::from_env`] is the one place that reads the environment; everything else takes
//! explicit options (tests run in parallel threads and must not share process-wide variables).
//!
//! One file per job: `spec` reads what the user typed, `catalog` is models.toml, `options` the
//! environment, `files` a model's files (and local folders), `cache` the cache layout, `resolver`
//! goes from a repo and revision to files, `download` fetches what is missing (timeouts, retries,
//! resume, checksums), and `status` says what the cache holds of each known model.

mod cache;
mod catalog;
mod download;
mod files;
mod options;
mod resolver;
mod spec;
mod status;

pub use cache::{CacheLookup, HubCache};
pub use catalog::{
    catalog, parse_catalog, CatalogEntry, GenerationDefaults, WeightsCandidate, MODELS_TOML,
};
pub use files::{resolve_local, HubOrigin, ModelFiles, ModelSource, WeightsFormat};
pub use options::{NetworkOptions, ResolveOptions, DEFAULT_ENDPOINT};
pub use spec::ModelSpec;
pub(crate) use spec::{validate_repo_id, validate_revision};
pub use status::{
    cache_status, inspect, CacheStatus, FileNeed, FileReport, FileState, ModelReport,
};

use crate::Result;
use resolver::HubResolver;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "opus-mt-fr-en";

/// Files every model needs besides its weights, with what each is for.
pub const REQUIRED_FILES: [(&str, &str); 4] = [
    ("config.json", "the model configuration"),
    ("source.spm", "the source-language SentencePiece model"),
    ("target.spm", "the target-language SentencePiece model"),
    ("vocab.json", "the token vocabulary"),
];

/// Weights files a model may have, in order of preference, when models.toml says nothing else.
pub const DEFAULT_WEIGHTS_FILES: [&str; 2] = ["model.safetensors", "pytorch_model.bin"];

const GENERATION_CONFIG: &str = "generation_config.json";
const TOKENIZER_CONFIG: &str = "tokenizer_config.json";

/// Resolves a `--model` value to the model's files, downloading what is missing unless offline.
///
/// ```
/// use passeur::hub::{self, ResolveOptions, WeightsFormat};
///
/// // A local folder; "opus-mt-fr-en" or "Helsinki-NLP/opus-mt-fr-en@main" go through the cache.
/// let files = hub::resolve("tests/fixtures/marian-tiny", &ResolveOptions::from_env())?;
/// assert!(files.vocab.ends_with("vocab.json"));
/// assert_eq!(files.weights_format(), WeightsFormat::Safetensors);
/// # Ok::<(), passeur::Error>(())
/// ```
pub fn resolve(spec: &str, options: &ResolveOptions) -> Result<ModelFiles> {
    match ModelSpec::parse(spec)? {
        ModelSpec::Local(dir) => resolve_local(&dir),
        ModelSpec::Catalog(entry) => resolve_entry(entry, options),
        ModelSpec::CatalogAt { entry, revision } => {
            let mut files = HubResolver::new(options, spec).resolve(
                Some(&entry.name),
                &entry.repo,
                &revision,
                &default_weights(),
            )?;
            files.generation_defaults = entry.generation.to_options();
            Ok(files)
        }
        ModelSpec::Hub { repo, revision } => {
            let weights = default_weights();
            HubResolver::new(options, spec).resolve(None, &repo, &revision, &weights)
        }
    }
}

/// Resolves one models.toml entry (the same as naming it after `--model`).
pub fn resolve_entry(entry: &CatalogEntry, options: &ResolveOptions) -> Result<ModelFiles> {
    let mut files = HubResolver::new(options, &entry.name).resolve(
        Some(&entry.name),
        &entry.repo,
        &entry.revision,
        &entry.weights,
    )?;
    files.generation_defaults = entry.generation.to_options();
    Ok(files)
}

fn default_weights() -> Vec<WeightsCandidate> {
    DEFAULT_WEIGHTS_FILES
        .iter()
        .map(|file| WeightsCandidate {
            file: (*file).to_owned(),
            revision: None,
        })
        .collect()
}
