//! The Translator: tokenizer, model and search together.
//!
//! [`SentenceTranslator`] is the seam between the document layer and the engine: the document layer
//! hands over sentences and gets translations back, and never knows about tokens or tensors. The
//! engine-backed implementation is `Translator`; tests use scripted implementations.

use crate::Result;

/// The translation of one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceTranslation {
    /// The English text.
    pub text: String,
    /// The model's score for the hypothesis (mean log-probability per generated token), when the
    /// translation came from the model.
    pub score: Option<f32>,
}

/// Where translations came from, recorded in every output format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// Model name or hub repo id (or local folder path).
    pub model: String,
    /// Hub revision (branch, tag or commit) when the model came from the hub.
    pub revision: Option<String>,
    /// Decoding options in words, e.g. `beams=4 max_new_tokens=512`.
    pub decoding: String,
    /// passeur's version.
    pub passeur_version: String,
}

/// Anything that translates French sentences into English.
pub trait SentenceTranslator {
    /// Translates `sentences`, returning exactly one translation per input, in order.
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>>;

    /// Number of source tokens `sentence` becomes (end-of-sentence token included).
    fn token_count(&self, sentence: &str) -> usize;

    /// Largest number of source tokens one sentence may have.
    fn max_source_tokens(&self) -> usize;

    /// Model and decoding settings, for the outputs' provenance.
    fn provenance(&self) -> Provenance;
}
