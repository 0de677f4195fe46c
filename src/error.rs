//! The crate's one error type.
//!
//! Each message describes the problem and names what it concerns (file, byte, repo, revision,
//! tensor); it gives no command-line advice (flags, subcommands): the `passeur` command adds that.
//! A variant that wraps another error shows it in its message and does not return it from
//! [`std::error::Error::source`], so that printing the chain never repeats it; the wrapped error
//! stays available in the variant's fields.

use std::path::PathBuf;

/// Everything that can go wrong in passeur, with enough context to say what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error (shown in the message).
        error: std::io::Error,
    },

    /// The input is not text: it holds NUL bytes or too many control characters.
    #[error(
        "{input}: this looks like a binary file, not text ({detail}); passeur reads plain text or \
         Markdown in UTF-8, UTF-16 with a byte-order mark, Windows-1252 or ISO-8859-1/15"
    )]
    BinaryInput {
        /// The input's name: its path, or `<stdin>`.
        input: String,
        /// What gave it away, with its position.
        detail: String,
    },

    /// The input's bytes are not valid in the encoding it declares or was read in.
    #[error("{input}: not valid {encoding} at byte {offset} ({detail})")]
    Undecodable {
        /// The input's name: its path, or `<stdin>`.
        input: String,
        /// The encoding that was tried.
        encoding: &'static str,
        /// Byte offset of the first invalid sequence in the input.
        offset: usize,
        /// What is wrong there.
        detail: String,
        /// What the user can do about it (not part of the message: the command line shows it as
        /// advice).
        hint: &'static str,
    },

    /// The input is larger than the size limit it is read with.
    #[error(
        "{input}: {} the input size limit of {}",
        match size { Some(size) => format!("{} is over", crate::input::human_bytes(*size)), None => "goes past".to_string() },
        crate::input::human_bytes(*limit)
    )]
    InputTooLarge {
        /// The input's name: its path, or `<stdin>`.
        input: String,
        /// The limit, in bytes.
        limit: u64,
        /// The input's size when known before reading it (a regular file).
        size: Option<u64>,
    },

    /// `--encoding` named no encoding that passeur knows.
    #[error(
        "unknown encoding `{label}`: use a standard label such as utf-8, utf-16le, utf-16be, \
         windows-1252, iso-8859-1 or iso-8859-15"
    )]
    UnknownEncoding {
        /// The label as given.
        label: String,
    },

    /// An output format name or file extension that passeur cannot write.
    #[error("unknown output format `{name}`: choose md, html, txt, jsonl, tmx or page")]
    UnknownFormat {
        /// The format name or file extension as given.
        name: String,
    },

    /// An input syntax name that passeur does not read.
    #[error("unknown input format `{name}`: choose text, markdown or html")]
    UnknownSyntax {
        /// The name as given.
        name: String,
    },

    /// A translator broke its contract of one translation per sentence (fidelity guard).
    #[error(
        "the translator returned {got} translations for {expected} sentences during the {step}; \
         it must return exactly one per sentence (a bug in the translator, not in the input)"
    )]
    TranslationCount {
        /// Sentences sent.
        expected: usize,
        /// Translations received.
        got: usize,
        /// The guard's step that called the translator.
        step: &'static str,
    },

    /// Strict mode was asked for and some sentences stayed doubtful after every recovery step.
    #[error(
        "{flagged} of {sentences} sentences stayed doubtful after recovery ({reasons}); they are \
         marked \"flagged\" in the output"
    )]
    FidelityFlags {
        /// Sentences still flagged.
        flagged: usize,
        /// All sentences.
        sentences: usize,
        /// Flag counts by reason code, e.g. `number_missing: 2, truncated: 1`.
        reasons: String,
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

    /// Offline (HF_HUB_OFFLINE) and a model file is not in the Hugging Face cache (boxed: it
    /// has many fields, and is rare).
    #[error("{0}")]
    OfflineCacheMiss(Box<OfflineMiss>),

    /// The hub answered that a repo, revision or file does not exist (or is not accessible).
    #[error(
        "{repo} at revision {revision}: the hub has no {file}, or refuses it (HTTP {status}{})",
        if detail.is_empty() { String::new() } else { format!(": {detail}") }
    )]
    HubNotFound {
        /// Hub repo id.
        repo: String,
        /// Revision asked for.
        revision: String,
        /// The file asked for.
        file: String,
        /// The HTTP status the hub answered.
        status: u16,
        /// The hub's own explanation (its `X-Error-Message` header), when it gives one.
        detail: String,
    },

    /// None of the weights files a model may have exists on the hub.
    #[error("{repo}: no weights file found on the hub (tried {tried})")]
    NoWeightsOnHub {
        /// Hub repo id.
        repo: String,
        /// The files and revisions tried, in order.
        tried: String,
    },

    /// Downloading a file from the hub failed (network, stalled or broken transfer, checksum).
    #[error(
        "could not download {file} of {repo} at revision {revision} from {endpoint}: {reason}"
    )]
    Download {
        /// Hub repo id.
        repo: String,
        /// Revision asked for.
        revision: String,
        /// The file being downloaded.
        file: String,
        /// The hub's base URL (HF_ENDPOINT, else `https://huggingface.co`).
        endpoint: String,
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

    /// Another process has a batch manifest or sentence cache open (files are locked while in use).
    #[error(
        "{}: {what} is in use (locked) by another passeur process",
        path.display()
    )]
    InUse {
        /// The locked file.
        path: PathBuf,
        /// What the file is, e.g. `the batch manifest`.
        what: &'static str,
    },

    /// `passeur batch` cannot use its input or output directory.
    #[error("{}: {problem}", path.display())]
    BatchDirectory {
        /// The directory.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },

    /// An `--include` or `--exclude` pattern is not a valid glob.
    #[error("invalid pattern `{pattern}`: {detail}; use * ? [abc] and ** (any directories)")]
    BadPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        detail: String,
    },

    /// A `--shard` value that is not `K/N` with 1 ≤ K ≤ N.
    #[error("invalid shard `{value}`: {problem}; write K/N with 1 ≤ K ≤ N, e.g. 1/4 … 4/4")]
    BadShard {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A batch stopped before its end because the translator failed; what was finished is recorded
    /// and a rerun resumes from there.
    #[error(
        "the batch stopped after finishing {finished} of {inputs} inputs: {cause}; what was \
         finished is recorded in {}, and a rerun with the same options resumes from there",
        summary.display()
    )]
    BatchAborted {
        /// Inputs finished (done, skipped or failed) before the stop.
        finished: usize,
        /// Inputs selected for the run.
        inputs: usize,
        /// The summary file written before stopping.
        summary: PathBuf,
        /// Why it stopped (shown in the message).
        cause: Box<Error>,
    },

    /// A batch stopped before its end, and its summary could not be written either (a full disk):
    /// both failures are named; what was finished is in the manifest and a rerun resumes.
    #[error(
        "the batch stopped after finishing {finished} of {inputs} inputs: {cause}; the summary \
         could not be written either ({summary_error}); what was finished is recorded in the \
         manifest, and a rerun of the same command resumes from there once there is room"
    )]
    BatchAbortedWithoutSummary {
        /// Inputs finished (done, skipped or failed) before the stop.
        finished: usize,
        /// Inputs selected for the run.
        inputs: usize,
        /// Why it stopped (shown in the message, so not a `source`).
        cause: Box<Error>,
        /// Why the summary could not be written.
        summary_error: Box<Error>,
    },

    /// A web page could not be downloaded.
    #[error("{url}: {problem}")]
    Fetch {
        /// The URL asked for.
        url: String,
        /// What went wrong, in words.
        problem: String,
    },

    /// Any other failure, already described in words.
    #[error("{0}")]
    Message(String),

    /// A model's `config.json` cannot describe a Marian model passeur can run.
    #[error("{}: `{field}`: {problem}", path.display())]
    ModelConfig {
        /// The config file.
        path: PathBuf,
        /// The key concerned (a JSON key of the file).
        field: String,
        /// What is wrong with it, and what to do.
        problem: String,
    },

    /// A model's `generation_config.json` (or the generation keys of its `config.json`) asks for
    /// something passeur cannot do.
    #[error("{}: `{field}`: {problem}", path.display())]
    GenerationConfig {
        /// The file the setting came from.
        path: PathBuf,
        /// The key concerned.
        field: String,
        /// What is wrong with it, and what to do.
        problem: String,
    },

    /// A weights file (`model.safetensors`, `pytorch_model.bin`) cannot be read at all.
    #[error("{}: cannot read model weights: {problem}", path.display())]
    WeightsFile {
        /// The weights file.
        path: PathBuf,
        /// What is wrong, and what to do.
        problem: String,
    },

    /// A tensor the model needs is absent from the weights file.
    #[error(
        "{}: tensor `{tensor}` is missing; the file does not hold the Marian model that config.json describes \
         (re-download the model, or check that config.json and the weights come from the same repo)",
        path.display()
    )]
    MissingTensor {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name, as in Hugging Face checkpoints.
        tensor: String,
    },

    /// A tensor of the weights file does not have the shape config.json implies.
    #[error(
        "{}: tensor `{tensor}` has shape {found:?}, but config.json implies {expected:?}; \
         config.json and the weights do not belong together",
        path.display()
    )]
    TensorShape {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The shape config.json implies.
        expected: Vec<usize>,
        /// The shape stored in the file.
        found: Vec<usize>,
    },

    /// A tensor of the weights file cannot be loaded (unsupported element type, bad data).
    #[error("{}: tensor `{tensor}`: {problem}", path.display())]
    BadTensor {
        /// The weights file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A source sentence (token ids) cannot be given to the model.
    #[error("source sentence {index}: {problem}")]
    InvalidSource {
        /// Position of the sentence in the batch given to `generate`.
        index: usize,
        /// What is wrong with it, and what to do.
        problem: String,
    },

    /// A decoding setting cannot be honoured with this model.
    #[error("decoding option `{option}`: {problem}")]
    GenerationOption {
        /// The option's name, as in transformers' GenerationConfig.
        option: &'static str,
        /// What is wrong with it, and what to do.
        problem: String,
    },

    /// The model computed NaN or infinite values: damaged weights, or a model that overflows.
    #[error(
        "the model produced non-finite values (NaN or infinity) at decoding step {step}: its \
         weights are probably damaged or overflow (re-download the model or try another); this \
         is a problem of the model, not of the input or the decoding options"
    )]
    NonFiniteModelOutput {
        /// The decoding step (generated tokens so far) where it happened.
        step: usize,
    },

    #[cfg(feature = "engine")]
    /// The tensor library failed while running the model (out of memory, device error).
    #[error("model computation failed while {context}: {error}")]
    Compute {
        /// What the model was doing.
        context: String,
        /// The underlying candle error, shown in the message (boxed: it is large, and rare).
        error: Box<candle_core::Error>,
    },

    /// The translation queue holds too many sentences to take a document now.
    #[error(
        "the translation queue is full ({waiting} sentences waiting, room for {capacity}); \
         try again shortly"
    )]
    QueueFull {
        /// Sentences waiting for the engine.
        waiting: usize,
        /// Most sentences the queue holds.
        capacity: usize,
    },

    /// The translation queue was closed (the server is shutting down) and takes no new documents.
    #[error("the translation queue is shutting down and takes no new documents")]
    QueueClosed,

    /// The engine behind the translation queue failed on a document, or stopped.
    #[error("the translation engine failed: {problem}")]
    EngineFailed {
        /// What happened.
        problem: String,
    },
}

/// What an offline run could not find in the Hugging Face cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineMiss {
    /// The model as it was asked for (a models.toml name, `Owner/name[@revision]`).
    pub model: String,
    /// Hub repo id.
    pub repo: String,
    /// Revision asked for (branch, tag, `refs/pr/N` or commit).
    pub revision: String,
    /// The missing file.
    pub file: String,
    /// The hub cache folder that was searched.
    pub cache_dir: PathBuf,
    /// What exactly the cache lacks, in terms of its layout: the ref, the snapshot or the blob.
    pub detail: String,
    /// Revisions of the same repo of which the cache holds a complete model, with their
    /// commits: each works offline after `@`.
    pub complete_revisions: Vec<(String, String)>,
}

impl std::fmt::Display for OfflineMiss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at revision {}: {} is not in the Hugging Face cache {} ({}), and HF_HUB_OFFLINE \
             forbids downloading it{}",
            self.repo,
            self.revision,
            self.file,
            self.cache_dir.display(),
            self.detail,
            describe_complete(&self.complete_revisions)
        )
    }
}

/// `Result` with passeur's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }

    /// A candle failure while the model was doing `context`.
    #[cfg(feature = "engine")]
    pub fn compute(context: impl Into<String>, source: candle_core::Error) -> Self {
        Error::Compute {
            context: context.into(),
            error: Box::new(source),
        }
    }
}

/// `; the cache holds a complete model at main (= abc…)` for an offline miss, or nothing.
fn describe_complete(revisions: &[(String, String)]) -> String {
    if revisions.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = revisions
        .iter()
        .map(|(name, commit)| {
            if name == commit {
                format!("commit {commit}")
            } else {
                format!("{name} (= {commit})")
            }
        })
        .collect();
    format!(
        "; the cache holds a complete model of this repo at {}",
        listed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn wrapped_errors_are_shown_once() {
        let err = Error::io(
            "missing.txt",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(err.to_string(), "missing.txt: entity not found");
        assert!(
            err.source().is_none(),
            "the cause is in the message already"
        );
        let aborted = Error::BatchAborted {
            finished: 1,
            inputs: 2,
            summary: "out/summary.json".into(),
            cause: Box::new(err),
        };
        let message = aborted.to_string();
        assert_eq!(message.matches("entity not found").count(), 1, "{message}");
        assert!(aborted.source().is_none());
    }
}
