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
