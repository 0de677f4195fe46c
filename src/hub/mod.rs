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

mod cache;
mod catalog;
mod download;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub use cache::{snapshot_commit, CacheLookup, HubCache};
pub use catalog::{
    catalog, parse_catalog, CatalogEntry, GenerationDefaults, WeightsCandidate, MODELS_TOML,
};

use crate::generate::GenerationOptions;
use crate::{Error, Result};
use download::Downloader;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "opus-mt-fr-en";

/// The Hugging Face hub, unless HF_ENDPOINT names another.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

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

/// Where the hub cache is, whether the network may be used, and how downloads look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The hub cache folder (the one holding `models--*` folders).
    pub cache_dir: PathBuf,
    /// Never touch the network (HF_HUB_OFFLINE).
    pub offline: bool,
    /// Show a progress bar per downloaded file on stderr.
    pub progress: bool,
    /// The hub's base URL (HF_ENDPOINT).
    pub endpoint: String,
    /// Access token for private repos (HF_TOKEN, or the token file `huggingface-cli login` writes).
    pub token: Option<String>,
}

impl ResolveOptions {
    /// Online, no progress bar, the public hub, no token, the given cache folder.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        ResolveOptions {
            cache_dir: cache_dir.into(),
            offline: false,
            progress: false,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
        }
    }

    /// The options the environment asks for, as Python's `huggingface_hub` reads them; progress
    /// bars only when stderr is a terminal.
    pub fn from_env() -> Self {
        Self::from_vars(
            |name| std::env::var(name).ok(),
            std::io::stderr().is_terminal(),
        )
    }

    /// [`ResolveOptions::from_env`] with the variables read through `var` (empty values count as
    /// unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>, stderr_is_terminal: bool) -> Self {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from)
            .unwrap_or_default();
        let expand = |value: String| match value.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None if value == "~" => home.clone(),
            None => PathBuf::from(value),
        };
        let hf_home = var("HF_HOME").map(expand).unwrap_or_else(|| {
            var("XDG_CACHE_HOME")
                .map(expand)
                .unwrap_or_else(|| home.join(".cache"))
                .join("huggingface")
        });
        let cache_dir = var("HF_HUB_CACHE")
            .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
            .map(expand)
            .unwrap_or_else(|| hf_home.join("hub"));
        let is_true = |name: &str| {
            var(name).is_some_and(|value| {
                matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                )
            })
        };
        let offline = is_true("HF_HUB_OFFLINE") || is_true("TRANSFORMERS_OFFLINE");
        let progress = stderr_is_terminal && !is_true("HF_HUB_DISABLE_PROGRESS_BARS");
        let endpoint = var("HF_ENDPOINT")
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let token = var("HF_TOKEN").or_else(|| {
            let path = var("HF_TOKEN_PATH")
                .map(expand)
                .unwrap_or_else(|| hf_home.join("token"));
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
        });
        ResolveOptions {
            cache_dir,
            offline,
            progress,
            endpoint,
            token,
        }
    }
}

/// What a model spec names, before any file is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// A models.toml entry.
    Catalog(&'static CatalogEntry),
    /// A models.toml entry at another revision than the pinned one (`NAME@revision`): its repo,
    /// every file at that revision.
    CatalogAt {
        /// The entry.
        entry: &'static CatalogEntry,
        /// Branch, tag, `refs/pr/N` or commit.
        revision: String,
    },
    /// A local folder.
    Local(PathBuf),
    /// A hub repo at a revision.
    Hub {
        /// Hub repo id, `Owner/name`.
        repo: String,
        /// Branch, tag, `refs/pr/N` or commit (`main` unless given after `@`).
        revision: String,
    },
}

impl ModelSpec {
    /// Reads a `--model` value: a models.toml name, an existing folder, or `Owner/name[@revision]`.
    pub fn parse(spec: &str) -> Result<Self> {
        let invalid = |problem: &str| Error::InvalidModelSpec {
            spec: spec.to_owned(),
            problem: problem.to_owned(),
        };
        if spec.trim().is_empty() {
            return Err(invalid("the model name is empty"));
        }
        if let Some(entry) = catalog::find(spec)? {
            return Ok(ModelSpec::Catalog(entry));
        }
        if let Some((name, revision)) = spec.split_once('@') {
            if let Some(entry) = catalog::find(name)? {
                validate_revision(revision).map_err(|problem| invalid(&problem))?;
                return Ok(ModelSpec::CatalogAt {
                    entry,
                    revision: revision.to_owned(),
                });
            }
        }
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(ModelSpec::Local(path.to_owned()));
        }
        // What comes before '@' decides: a revision such as refs/pr/4 has slashes of its own.
        let before_revision = spec.split_once('@').map_or(spec, |(repo, _)| repo);
        let looks_like_path = spec.starts_with(['.', '/', '~', '\\'])
            || spec.contains('\\')
            || before_revision.matches('/').count() > 1
            || path.is_absolute();
        if path.exists() {
            return Err(invalid(
                "this is a file; give the folder that holds config.json, the .spm files, vocab.json \
                 and the weights",
            ));
        }
        if looks_like_path {
            return Err(invalid("no such folder"));
        }
        if !spec.contains('/') {
            let known = catalog::catalog()?
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::UnknownModel {
                spec: spec.to_owned(),
                known,
            });
        }
        let (repo, revision) = match spec.split_once('@') {
            Some((repo, revision)) => (repo, revision),
            None => (spec, "main"),
        };
        validate_repo_id(repo).map_err(|problem| invalid(&problem))?;
        validate_revision(revision).map_err(|problem| invalid(&problem))?;
        Ok(ModelSpec::Hub {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

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
    let found = |revision: &str, file: &str| {
        matches!(
            cache.lookup(&entry.repo, revision, file),
            CacheLookup::Found(_)
        )
    };
    let mut missing: Vec<String> = REQUIRED_FILES
        .iter()
        .filter(|(file, _)| !found(&entry.revision, file))
        .map(|(file, _)| (*file).to_owned())
        .collect();
    let has_weights = entry.weights.iter().any(|candidate| {
        found(
            candidate.revision.as_deref().unwrap_or(&entry.revision),
            &candidate.file,
        )
    });
    if !has_weights {
        missing.push(
            entry
                .weights
                .iter()
                .map(|c| c.file.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        );
    }
    if missing.is_empty() {
        CacheStatus::Complete
    } else if missing.len() == REQUIRED_FILES.len() + 1 {
        CacheStatus::Absent
    } else {
        CacheStatus::Partial { missing }
    }
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

/// Finds hub files in the cache and downloads the missing ones.
struct HubResolver<'a> {
    options: &'a ResolveOptions,
    cache: HubCache,
    /// What to tell users to pass to `passeur fetch`.
    fetch_name: &'a str,
    downloader: Option<Downloader>,
}

impl<'a> HubResolver<'a> {
    fn new(options: &'a ResolveOptions, fetch_name: &'a str) -> Self {
        HubResolver {
            options,
            cache: HubCache::new(options.cache_dir.clone()),
            fetch_name,
            downloader: None,
        }
    }

    fn resolve(
        mut self,
        name: Option<&str>,
        repo: &str,
        revision: &str,
        weights: &[WeightsCandidate],
    ) -> Result<ModelFiles> {
        let mut required = Vec::with_capacity(REQUIRED_FILES.len());
        for (file, _) in REQUIRED_FILES {
            required.push(self.required(repo, revision, file)?);
        }
        let generation_config = self.optional(repo, revision, GENERATION_CONFIG)?;
        let tokenizer_config = self.optional(repo, revision, TOKENIZER_CONFIG)?;
        let (weights, weights_revision) = self.weights(repo, revision, weights)?;
        let [config, source_spm, target_spm, vocab] =
            <[PathBuf; 4]>::try_from(required).expect("four required files");
        let source = ModelSource::Hub(HubOrigin {
            name: name.map(str::to_owned),
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            commit: snapshot_commit(&config),
            weights_revision,
            weights_commit: snapshot_commit(&weights),
        });
        Ok(ModelFiles {
            config,
            generation_config,
            tokenizer_config,
            source_spm,
            target_spm,
            vocab,
            weights,
            source,
            generation_defaults: GenerationOptions::default(),
        })
    }

    fn required(&mut self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        match self.cache.lookup(repo, revision, file) {
            CacheLookup::Found(path) => Ok(path),
            _ if self.options.offline => Err(self.offline_miss(repo, revision, file)),
            _ => self.download(repo, revision, file),
        }
    }

    fn optional(&mut self, repo: &str, revision: &str, file: &str) -> Result<Option<PathBuf>> {
        match self.cache.lookup(repo, revision, file) {
            CacheLookup::Found(path) => Ok(Some(path)),
            CacheLookup::KnownAbsent => Ok(None),
            CacheLookup::Missing if self.options.offline => Ok(None),
            CacheLookup::Missing => match self.download(repo, revision, file) {
                Ok(path) => Ok(Some(path)),
                Err(Error::HubNotFound { status: 404, .. }) => {
                    self.cache.mark_absent(repo, revision, file);
                    Ok(None)
                }
                Err(err) => Err(err),
            },
        }
    }

    /// The first weights candidate in the cache; else, online, the first one the hub has.
    fn weights(
        &mut self,
        repo: &str,
        revision: &str,
        candidates: &[WeightsCandidate],
    ) -> Result<(PathBuf, String)> {
        let revision_of = |c: &WeightsCandidate| c.revision.clone().unwrap_or(revision.to_owned());
        for candidate in candidates {
            let candidate_revision = revision_of(candidate);
            if let CacheLookup::Found(path) =
                self.cache
                    .lookup(repo, &candidate_revision, &candidate.file)
            {
                return Ok((path, candidate_revision));
            }
        }
        let tried = candidates
            .iter()
            .map(|c| format!("{} at {}", c.file, revision_of(c)))
            .collect::<Vec<_>>()
            .join(", ");
        if self.options.offline {
            return Err(self.offline_miss(repo, revision, &format!("a weights file ({tried})")));
        }
        for candidate in candidates {
            let candidate_revision = revision_of(candidate);
            if self
                .cache
                .lookup(repo, &candidate_revision, &candidate.file)
                == CacheLookup::KnownAbsent
            {
                continue;
            }
            match self.download(repo, &candidate_revision, &candidate.file) {
                Ok(path) => return Ok((path, candidate_revision)),
                Err(Error::HubNotFound { status: 404, .. }) => {
                    self.cache
                        .mark_absent(repo, &candidate_revision, &candidate.file);
                }
                Err(err) => return Err(err),
            }
        }
        Err(Error::NoWeightsOnHub {
            repo: repo.to_owned(),
            tried,
        })
    }

    fn download(&mut self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        if self.downloader.is_none() {
            self.downloader = Some(Downloader::new(self.options)?);
        }
        self.downloader
            .as_ref()
            .expect("set just above")
            .download(repo, revision, file)
    }

    fn offline_miss(&self, repo: &str, revision: &str, file: &str) -> Error {
        let mut hint = format!(
            "run `passeur fetch {}` while online, or unset HF_HUB_OFFLINE",
            self.fetch_name
        );
        let refs = self.cache.cached_refs(repo);
        if !refs.is_empty() {
            let listed = refs
                .iter()
                .map(|(name, commit)| format!("{name} = {commit}"))
                .collect::<Vec<_>>()
                .join(", ");
            hint.push_str(&format!(
                " (the cache has other revisions of this repo: {listed}; `--model {repo}@REVISION` \
                 uses one of them)"
            ));
        }
        Error::OfflineCacheMiss {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            file: file.to_owned(),
            cache_dir: self.cache.dir().into(),
            hint,
        }
    }
}

/// Whether `revision` is a full commit hash (40 lowercase hex digits).
pub fn is_commit_hash(revision: &str) -> bool {
    revision.len() == 40
        && revision
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a hub repo id as the hub does: `Owner/name`, letters, digits, `-`, `_`, `.`, no `--` or
/// `..`, at most 96 characters a part.
pub(crate) fn validate_repo_id(repo: &str) -> std::result::Result<(), String> {
    let Some((owner, name)) = repo.split_once('/') else {
        return Err("a hub repo id has the form Owner/name".into());
    };
    for part in [owner, name] {
        if part.is_empty() || part.len() > 96 {
            return Err("each part of Owner/name must have 1 to 96 characters".into());
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(
                "a hub repo id may only contain letters, digits, '-', '_', '.' and one '/'".into(),
            );
        }
        if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
            return Err("a part of a hub repo id cannot start or end with '-' or '.'".into());
        }
    }
    if repo.contains("--") || repo.contains("..") {
        return Err("a hub repo id cannot contain '--' or '..'".into());
    }
    Ok(())
}

/// Checks a revision: a branch, tag, `refs/pr/N` or commit, that cannot escape the cache folder.
pub(crate) fn validate_revision(revision: &str) -> std::result::Result<(), String> {
    if revision.is_empty() {
        return Err("the revision after '@' is empty".into());
    }
    let safe = !revision.starts_with('/')
        && !revision
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && !revision
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if safe {
        Ok(())
    } else {
        Err(format!("{revision:?} is not a valid revision"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_hashes_are_forty_lowercase_hex_digits() {
        assert!(is_commit_hash("b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1b"));
        assert!(!is_commit_hash("main"));
        assert!(!is_commit_hash("B4A9A384C2EC68A224BBD2EE3FD5DF0C71CA5B1B"));
        assert!(!is_commit_hash("b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1"));
    }

    #[test]
    fn repo_ids_are_checked_like_the_hub_does() {
        assert!(validate_repo_id("Helsinki-NLP/opus-mt-fr-en").is_ok());
        assert!(validate_repo_id("a/b.c_d").is_ok());
        for bad in [
            "opus-mt-fr-en",
            "/x",
            "x/",
            "a/b/c",
            "a--b/c",
            "a/b..c",
            "a/b c",
            "-a/b",
            "a/b.",
        ] {
            assert!(validate_repo_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn revisions_cannot_escape_the_cache() {
        for good in [
            "main",
            "refs/pr/4",
            "v1.0",
            "b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1b",
        ] {
            assert!(validate_revision(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../x",
            "refs/../../etc",
            "/etc",
            "a//b",
            "a b",
            "a\\b",
            "refs/pr/",
        ] {
            assert!(validate_revision(bad).is_err(), "{bad}");
        }
    }

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
