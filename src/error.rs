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
