//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in passeur, with enough context to say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A SentencePiece model file (`source.spm`, `target.spm`) cannot be used.
    #[error("{}: not a usable SentencePiece model: {problem}", path.display())]
    InvalidSentencePiece {
        /// The `.spm` file.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },

    /// `vocab.json` is not a JSON object mapping pieces to token ids, or lacks a required token.
    #[error("{}: invalid vocabulary: {problem}", path.display())]
    InvalidVocab {
        /// The vocabulary file.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },

    /// `tokenizer_config.json` is not valid JSON of the expected shape.
    #[error("{}: invalid tokenizer configuration: {problem}", path.display())]
    InvalidTokenizerConfig {
        /// The tokenizer configuration file.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },

    /// A model name is neither in models.toml, nor an existing folder, nor a hub repo id.
    #[error(
        "unknown model `{spec}`: not a name from models.toml ({known}), not an existing folder, \
         and not a hub repo id of the form Owner/name or Owner/name@revision"
    )]
    UnknownModel {
        /// What the user asked for.
        spec: String,
        /// The names models.toml knows, comma-separated.
        known: String,
    },

    /// A local model folder lacks a file the engine needs.
    #[error(
        "{}: missing {file} ({role}); a model folder needs config.json, source.spm, target.spm, \
         vocab.json and model.safetensors or pytorch_model.bin, as in an opus-mt hub repo",
        dir.display()
    )]
    ModelFileMissing {
        /// The model folder.
        dir: PathBuf,
        /// The missing file's name.
        file: String,
        /// What the file is for.
        role: String,
    },

    /// A local model folder has no weights file at all.
    #[error(
        "{}: no weights file: neither model.safetensors nor pytorch_model.bin is there",
        dir.display()
    )]
    NoWeightsFile {
        /// The model folder.
        dir: PathBuf,
    },

    /// Offline (HF_HUB_OFFLINE) and a model file is not in the Hugging Face cache.
    #[error(
        "{repo} at revision {revision}: {file} is not in the Hugging Face cache ({}) and HF_HUB_OFFLINE \
         forbids downloading it; {hint}",
        cache_dir.display()
    )]
    OfflineCacheMiss {
        /// Hub repo id.
        repo: String,
        /// Revision asked for (branch, tag, `refs/pr/N` or commit).
        revision: String,
        /// The missing file.
        file: String,
        /// The hub cache folder that was searched.
        cache_dir: PathBuf,
        /// What to do next.
        hint: String,
    },

    /// The hub answered that a repo, revision or file does not exist (or is not accessible).
    #[error("{repo} at revision {revision}: the hub has no {file} (HTTP {status}); {hint}")]
    HubNotFound {
        /// Hub repo id.
        repo: String,
        /// Revision asked for.
        revision: String,
        /// The file asked for.
        file: String,
        /// The HTTP status the hub answered.
        status: u16,
        /// What to do next.
        hint: String,
    },

    /// None of the weights files a model may have exists on the hub.
    #[error("{repo}: no weights file found on the hub (tried {tried})")]
    NoWeightsOnHub {
        /// Hub repo id.
        repo: String,
        /// The files and revisions tried, in order.
        tried: String,
    },

    /// Downloading a file from the hub failed (network, disk, interrupted transfer).
    #[error(
        "could not download {file} from {repo} at revision {revision}: {reason}; check the network \
         connection, or work offline (HF_HUB_OFFLINE=1) with a model already in the cache"
    )]
    Download {
        /// Hub repo id.
        repo: String,
        /// Revision asked for.
        revision: String,
        /// The file being downloaded.
        file: String,
        /// What went wrong, in words.
        reason: String,
    },

    /// A model spec has the shape of a hub repo id but is malformed.
    #[error("invalid model `{spec}`: {problem}")]
    InvalidModelSpec {
        /// What the user asked for.
        spec: String,
        /// What is wrong with it.
        problem: String,
    },

    /// The models.toml compiled into passeur is invalid (a bug in passeur itself).
    #[error("the built-in models.toml is invalid: {problem}")]
    ModelsToml {
        /// What is wrong with it.
        problem: String,
    },

    /// Any other failure, already described in words.
    #[error("{0}")]
    Message(String),
}

/// `Result` with passeur's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
