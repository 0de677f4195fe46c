//! The crate's one error type.

use std::path::{Path, PathBuf};

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
    #[error("{input}: not valid {encoding} at byte {offset} ({detail}); {hint}")]
    Undecodable {
        /// The input's name: its path, or `<stdin>`.
        input: String,
        /// The encoding that was tried.
        encoding: &'static str,
        /// Byte offset of the first invalid sequence in the input.
        offset: usize,
        /// What is wrong there.
        detail: String,
        /// What the user can do about it.
        hint: &'static str,
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

    /// `--strict` was asked for and some sentences stayed doubtful after every recovery step.
    #[error(
        "--strict: {flagged} of {sentences} sentences stayed doubtful after recovery ({reasons}); \
         they are marked \"flagged\" in the output: review them, or run without --strict to accept them"
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
        /// The hub cache folder that was searched (boxed to keep `Error` small).
        cache_dir: Box<Path>,
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

    /// Another process has a batch manifest or sentence cache open (files are locked while in use).
    #[error(
        "{}: {what} is in use by another passeur process; wait for it to finish, or give this \
         run its own file (another OUT_DIR or --shard, another --cache)",
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
        "the batch stopped after finishing {finished} of {inputs} inputs: {source}; what was \
         finished is recorded in {} and a rerun of the same command resumes from there",
        summary.display()
    )]
    BatchAborted {
        /// Inputs finished (done, skipped or failed) before the stop.
        finished: usize,
        /// Inputs selected for the run.
        inputs: usize,
        /// The summary file written before stopping.
        summary: PathBuf,
        /// Why it stopped.
        source: Box<Error>,
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

    /// The tensor library failed while running the model (out of memory, device error).
    #[error("model computation failed while {context}: {source}")]
    Compute {
        /// What the model was doing.
        context: String,
        /// The underlying candle error (boxed: it is large, and rare).
        source: Box<candle_core::Error>,
    },
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

    /// A candle failure while the model was doing `context`.
    pub fn compute(context: impl Into<String>, source: candle_core::Error) -> Self {
        Error::Compute {
            context: context.into(),
            source: Box::new(source),
        }
    }
}
