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
    #[error("unknown output format `{name}`: choose md, html, txt, jsonl or tmx")]
    UnknownFormat {
        /// The format name or file extension as given.
        name: String,
    },

    /// An input syntax name that passeur does not read.
    #[error("unknown input format `{name}`: choose text or markdown")]
    UnknownSyntax {
        /// The name as given.
        name: String,
    },

    /// A translator broke its contract by returning the wrong number of translations.
    #[error(
        "the translator returned {got} translations for {expected} sentences; \
         this is a bug in the translator, please report it"
    )]
    TranslationCount {
        /// How many sentences were sent.
        expected: usize,
        /// How many translations came back.
        got: usize,
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
