//! What the guard needs from an engine to recover: translating again with another decoding
//! ([`RetryTranslator`], [`Retry`]), for the engine's [`Translator`] and, through
//! [`FixedDecoding`], for any other translator.

#[cfg(feature = "engine")]
use crate::generate::GenerationOptions;
#[cfg(feature = "engine")]
use crate::translate::Translator;
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use crate::Result;

/// A different decoding for a second attempt: what the guard asks the engine for when a
/// translation is defective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retry {
    /// Forbid any sequence of this many tokens from occurring twice in the output
    /// (transformers' `no_repeat_ngram_size`); 0 leaves repetition alone.
    pub no_repeat_ngram_size: usize,
    /// Decode with at least this many beams: 4 turns a greedy first pass into beam search, a
    /// first pass that already used beams keeps its width.
    pub min_beams: usize,
}

impl Default for Retry {
    /// `no_repeat_ngram_size = 3`, at least 4 beams.
    fn default() -> Self {
        Retry {
            no_repeat_ngram_size: 3,
            min_beams: 4,
        }
    }
}

/// What the guard needs from an engine beyond [`SentenceTranslator`]: translating again with a
/// different decoding.
///
/// The engine's `Translator` implements it by copying its generation options, setting
/// `no_repeat_ngram_size` and raising `num_beams` to at least `min_beams`. A translator that
/// cannot change its decoding can be wrapped in [`FixedDecoding`].
pub trait RetryTranslator: SentenceTranslator {
    /// Translates `sentences` with the decoding changed as `retry` says, one translation per
    /// input, in order.
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>>;

    /// Whether [`RetryTranslator::translate_sentences_with`] decodes differently at all; when it
    /// does not, the guard skips that recovery step instead of repeating the same work.
    fn can_retry(&self) -> bool {
        true
    }
}

/// Any [`SentenceTranslator`] as a [`RetryTranslator`] whose decoding cannot change: the guard
/// skips the repetition-guard step and goes on with clause splitting and lower-casing.
#[derive(Debug, Clone)]
pub struct FixedDecoding<T>(pub T);

impl<T: SentenceTranslator> SentenceTranslator for FixedDecoding<T> {
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
        self.0.translate_sentences(sentences)
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.0.token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.0.max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        self.0.provenance()
    }
}

impl<T: SentenceTranslator> RetryTranslator for FixedDecoding<T> {
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        _retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>> {
        self.0.translate_sentences(sentences)
    }
    fn can_retry(&self) -> bool {
        false
    }
}

/// The engine's [`Translator`] retries by decoding again with its own settings changed: the
/// repetition guard set and at least `min_beams` beams.
#[cfg(feature = "engine")]
impl RetryTranslator for Translator {
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>> {
        let options = GenerationOptions {
            num_beams: Some(self.generation().num_beams.max(retry.min_beams)),
            no_repeat_ngram_size: Some(retry.no_repeat_ngram_size),
            ..GenerationOptions::default()
        };
        Ok(self
            .translate_with_options(sentences, &options)?
            .into_iter()
            .map(|t| SentenceTranslation::new(t.text, t.score))
            .collect())
    }
}
