//! What the cache holds of each models.toml entry, file by file, without touching the network:
//! what `passeur models` shows, and what tells a user who copied a cache what is still missing.

use std::path::PathBuf;

use super::cache::{CacheLookup, HubCache};
use super::catalog::CatalogEntry;
use super::{GENERATION_CONFIG, REQUIRED_FILES, TOKENIZER_CONFIG};

/// How much of a models.toml entry the cache holds (no network involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// Every required file and a weights file are cached: the model works offline.
    Complete,
    /// Some files are cached, these are not.
    Partial {
        /// The files still to download.
        missing: Vec<String>,
    },
    /// Nothing of this model is cached.
    Absent,
}

/// Whether the cache holds everything a models.toml entry needs.
pub fn cache_status(entry: &CatalogEntry, cache: &HubCache) -> CacheStatus {
    inspect(entry, cache).status()
}

/// Whether a model needs a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileNeed {
    /// The model cannot load without it.
    Required,
    /// One of the weights files; the model needs one of them.
    Weights,
    /// Used when present (`generation_config.json`, `tokenizer_config.json`).
    Optional,
}

/// What the cache has of one file of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// The file is there, at this path.
    Present(PathBuf),
    /// The hub said it has no such file at this revision (a `.no_exist` marker).
    KnownAbsent,
    /// Not in the cache; the words say what exactly is missing (a ref, a snapshot, a blob).
    Missing(String),
}

/// One file of a model and its state in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file's name in the repo.
    pub file: String,
    /// The revision it is taken from (for opus-mt-fr-en's safetensors weights, `refs/pr/4`).
    pub revision: String,
    /// Whether the model needs it.
    pub need: FileNeed,
    /// What the cache has.
    pub state: FileState,
}

/// A models.toml entry, file by file, as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelReport {
    /// The repo's folder in the cache (`<cache>/models--Owner--name`), whether or not it exists.
    pub repo_dir: PathBuf,
    /// Required files, then optional ones, then the weights candidates in order of preference.
    pub files: Vec<FileReport>,
}

impl ModelReport {
    /// Complete when every required file and one weights file are present; absent when none of
    /// those is; partial otherwise, listing what is missing.
    pub fn status(&self) -> CacheStatus {
        let present = |report: &&FileReport| matches!(report.state, FileState::Present(_));
        let mut missing: Vec<String> = self
            .files
            .iter()
            .filter(|r| r.need == FileNeed::Required && !present(r))
            .map(|r| r.file.clone())
            .collect();
        let weights: Vec<&FileReport> = self
            .files
            .iter()
            .filter(|r| r.need == FileNeed::Weights)
            .collect();
        if !weights.iter().any(present) {
            let names: Vec<&str> = weights.iter().map(|r| r.file.as_str()).collect();
            missing.push(names.join(" or "));
        }
        let needed = REQUIRED_FILES.len() + 1;
        if missing.is_empty() {
            CacheStatus::Complete
        } else if missing.len() == needed {
            CacheStatus::Absent
        } else {
            CacheStatus::Partial { missing }
        }
    }
}

/// Looks up every file of a models.toml entry in the cache.
pub fn inspect(entry: &CatalogEntry, cache: &HubCache) -> ModelReport {
    let report = |file: &str, revision: &str, need: FileNeed| {
        let state = match cache.lookup(&entry.repo, revision, file) {
            CacheLookup::Found(path) => FileState::Present(path),
            CacheLookup::KnownAbsent => FileState::KnownAbsent,
            CacheLookup::Missing => {
                FileState::Missing(cache.explain_miss(&entry.repo, revision, file))
            }
        };
        FileReport {
            file: file.to_owned(),
            revision: revision.to_owned(),
            need,
            state,
        }
    };
    let mut files: Vec<FileReport> = REQUIRED_FILES
        .iter()
        .map(|(file, _)| report(file, &entry.revision, FileNeed::Required))
        .collect();
    for file in [GENERATION_CONFIG, TOKENIZER_CONFIG] {
        files.push(report(file, &entry.revision, FileNeed::Optional));
    }
    for candidate in &entry.weights {
        let revision = candidate.revision.as_deref().unwrap_or(&entry.revision);
        files.push(report(&candidate.file, revision, FileNeed::Weights));
    }
    ModelReport {
        repo_dir: cache.repo_dir(&entry.repo),
        files,
    }
}
