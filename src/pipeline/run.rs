//! [`Pipeline`]: a document planned, its requests translated in length-sorted chunks with
//! progress, and the bilingual document assembled.

use super::plan::Plan;
use crate::bilingual::Bilingual;
use crate::document::{Document, Syntax};
use crate::rebatch::{rebatch, BatchLimits, LengthOrder, Reordered};
use crate::translate::{SentenceTranslation, SentenceTranslator};
use crate::Result;

/// Options of a [`Pipeline`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineOptions {
    /// How [`Pipeline::translate`] reads its text.
    pub syntax: Syntax,
    /// Largest number of source tokens one request may have (end-of-sentence token included);
    /// the translator's own [`max_source_tokens`](SentenceTranslator::max_source_tokens) applies
    /// too.
    pub max_sentence_tokens: Option<usize>,
    /// How many requests go to the translator in one call; progress is reported after each call.
    pub chunk_size: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            syntax: Syntax::Text,
            max_sentence_tokens: None,
            chunk_size: 64,
        }
    }
}

/// How far the translation of a document has come, in model requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Requests translated so far.
    pub done: usize,
    /// Requests in the document.
    pub total: usize,
}

/// The largest token count of one request: `max_sentence_tokens` if given, but never more than
/// the translator's limit.
pub(crate) fn token_budget(
    translator: &dyn SentenceTranslator,
    max_sentence_tokens: Option<usize>,
) -> usize {
    let limit = translator.max_source_tokens();
    max_sentence_tokens.map_or(limit, |max| max.min(limit))
}

/// Translates whole documents with a [`SentenceTranslator`].
///
/// ```
/// use passeur::pipeline::{Pipeline, PipelineOptions};
/// use passeur::translate::{SentenceTranslation, SentenceTranslator};
///
/// /// A stand-in for the real engine: "translates" by upper-casing.
/// struct Shouting;
/// impl SentenceTranslator for Shouting {
///     fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
///         Ok(sentences.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
///     }
/// }
///
/// let pipeline = Pipeline::new(&Shouting, PipelineOptions::default());
/// let bilingual = pipeline.translate("Premier paragraphe. Deux phrases.\n\nSecond paragraphe.")?;
/// assert_eq!(bilingual.english(), "PREMIER PARAGRAPHE. DEUX PHRASES.\n\nSECOND PARAGRAPHE.");
/// assert_eq!(bilingual.stats.verdicts.sentences, 3);
/// # Ok::<(), passeur::Error>(())
/// ```
pub struct Pipeline<'t> {
    translator: &'t dyn SentenceTranslator,
    options: PipelineOptions,
}

impl<'t> Pipeline<'t> {
    /// A pipeline translating with `translator`.
    pub fn new(translator: &'t dyn SentenceTranslator, options: PipelineOptions) -> Self {
        Pipeline {
            translator,
            options,
        }
    }

    /// The largest token count of one request (see `token_budget`).
    pub fn token_budget(&self) -> usize {
        token_budget(self.translator, self.options.max_sentence_tokens)
    }

    /// Parses `text` with the options' syntax and translates it.
    pub fn translate(&self, text: &str) -> Result<Bilingual> {
        let document = Document::parse(text, self.options.syntax);
        self.translate_document(document, &mut |_| {})
    }

    /// Translates `document`, calling `progress` before the first request and after each chunk.
    pub fn translate_document(
        &self,
        document: Document,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Bilingual> {
        let token_count = |text: &str| self.translator.token_count(text);
        let plan = Plan::new(document, &token_count, self.token_budget());
        let translations = self.translate_requests(&plan, progress)?;
        plan.assemble(translations, self.translator.provenance())
    }

    fn translate_requests(
        &self,
        plan: &Plan,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<SentenceTranslation>> {
        let requests = plan.requests();
        let total = requests.len();
        progress(Progress { done: 0, total });
        let lengths: Vec<usize> = requests.iter().map(|r| r.tokens).collect();
        let limits = BatchLimits {
            max_items: self.options.chunk_size.max(1),
            max_tokens: usize::MAX,
            order: LengthOrder::ShortestFirst,
        };
        let mut translations = Reordered::new(total);
        let mut done = 0;
        for chunk in rebatch(&lengths, &limits) {
            let texts: Vec<&str> = chunk.iter().map(|&i| requests[i].text.as_str()).collect();
            let translated = self.translator.translate_sentences(&texts)?;
            translations.put(&chunk, translated, "translation of the document")?;
            done += chunk.len();
            progress(Progress { done, total });
        }
        Ok(translations.finish())
    }
}
