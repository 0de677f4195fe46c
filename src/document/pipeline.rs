//! From a parsed document to a bilingual one: plan the model requests, translate them, realign.
//!
//! The rules:
//! * passthrough sentences are copied and never reach the model;
//! * a sentence over the token budget is cut into pieces (see [`split_to_budget`]); its English is
//!   the pieces' translations joined by a space (no space where the cut fell inside a word);
//! * every distinct request text is translated once per document (boilerplate repeats);
//! * requests go to the translator sorted by token count, in chunks of
//!   [`PipelineOptions::chunk_size`], so each call is a batch of similar lengths and progress can be
//!   reported between calls; translations return to their sentences in document order;
//! * a link's text is translated on its own (unless it is the whole sentence, which then is the
//!   link); the link is placed on the first occurrence of that translation in the sentence's English
//!   (exact, then ignoring case) and otherwise appended after the sentence in parentheses, so no
//!   URL is ever lost;
//! * a split sentence's score is the mean of its pieces' scores (none if a piece has none).

use super::{markup, split_to_budget, Block, Document, InlineText, Link, SourceSentence, Unit};
use crate::fidelity::is_passthrough;
use crate::translate::{Flag, Provenance, SentenceTranslation, SentenceTranslator};
use crate::{Error, Result};
use std::collections::HashMap;
use std::ops::Range;

/// Options of a [`Pipeline`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineOptions {
    /// How [`Pipeline::translate`] reads its text.
    pub syntax: super::Syntax,
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
            syntax: super::Syntax::Text,
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

/// How a sentence's English was produced, and whether it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentenceStatus {
    /// By the model, and every fidelity check passed (or none ran).
    Translated,
    /// By the model after a fidelity recovery step fixed a defective first translation
    /// ([`TargetSentence::recovery`] says which).
    Recovered,
    /// By the model, but doubts remain ([`TargetSentence::flags`] says which): read it against
    /// the French.
    Flagged,
    /// Copied: the sentence had nothing to translate.
    Passthrough,
}

impl SentenceStatus {
    /// The status as the output formats write it: `translated`, `recovered`, `flagged` or
    /// `passthrough`.
    pub fn name(self) -> &'static str {
        match self {
            SentenceStatus::Translated => "translated",
            SentenceStatus::Recovered => "recovered",
            SentenceStatus::Flagged => "flagged",
            SentenceStatus::Passthrough => "passthrough",
        }
    }
}

/// The English of one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSentence {
    /// The English, with the source's links placed in it.
    pub text: InlineText,
    /// The model's score (mean log-probability per token); none for passthrough.
    pub score: Option<f32>,
    /// How the English was produced.
    pub status: SentenceStatus,
    /// How many pieces the sentence was translated in (1 unless it was over the budget).
    pub pieces: usize,
    /// The fidelity recovery step that produced the English, when the first translation was
    /// defective (`repetition_guard`, `clause_split`, `lower_cased`).
    pub recovery: Option<String>,
    /// Doubts about this translation (empty: none).
    pub flags: Vec<Flag>,
}

/// Counts over one translated document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks, code included.
    pub blocks: usize,
    /// Sentences.
    pub sentences: usize,
    /// Sentences translated by the model.
    pub translated: usize,
    /// Sentences copied because they had nothing to translate.
    pub passthrough: usize,
    /// Sentences over the token budget, translated in pieces.
    pub split_sentences: usize,
    /// Translated sentences whose first translation was defective and was recovered.
    pub recovered: usize,
    /// Translated sentences that stay doubtful (flagged).
    pub flagged: usize,
    /// Distinct texts sent to the model (sentences, pieces and link texts).
    pub requests: usize,
}

/// A translated document: the source document and the English of each of its sentences.
#[derive(Debug, Clone)]
pub struct Bilingual {
    /// The source document.
    pub document: Document,
    /// The English of each sentence, indexed by [`SourceSentence::index`].
    pub targets: Vec<TargetSentence>,
    /// Where the translations came from.
    pub provenance: Provenance,
    /// Counts.
    pub stats: Stats,
}

/// One sentence and its translation, with its place in the document.
#[derive(Debug, Clone, Copy)]
pub struct SentencePair<'a> {
    /// 0-based index of the block (paragraph) in the document.
    pub block: usize,
    /// 0-based position of the sentence in its block.
    pub position: usize,
    /// The source sentence.
    pub source: &'a SourceSentence,
    /// The source sentence exactly as written (the source sliced at `source.range`).
    pub source_text: &'a str,
    /// Its translation.
    pub target: &'a TargetSentence,
}

impl Bilingual {
    /// The decoded source text all ranges refer to.
    pub fn source(&self) -> &str {
        &self.document.source
    }

    /// The translation of `sentence`.
    pub fn target(&self, sentence: &SourceSentence) -> &TargetSentence {
        &self.targets[sentence.index]
    }

    /// Every sentence with its translation, in document order.
    pub fn pairs(&self) -> impl Iterator<Item = SentencePair<'_>> {
        self.document
            .blocks
            .iter()
            .enumerate()
            .flat_map(move |(block, b)| {
                b.units.iter().flat_map(|u| &u.sentences).enumerate().map(
                    move |(position, source)| SentencePair {
                        block,
                        position,
                        source,
                        source_text: self.document.source_of(source),
                        target: self.target(source),
                    },
                )
            })
    }

    /// A unit's English: its sentences rendered by `render`, joined by a space, or by a line break
    /// and the unit's continuation where the source had a line break between them.
    pub fn unit_english(&self, unit: &Unit, render: &dyn Fn(&TargetSentence) -> String) -> String {
        let mut out = String::new();
        for (i, sentence) in unit.sentences.iter().enumerate() {
            if i > 0 {
                if sentence.line_break_before {
                    out.push('\n');
                    out.push_str(&unit.continuation);
                } else {
                    out.push(' ');
                }
            }
            out.push_str(&render(self.target(sentence)));
        }
        out
    }

    /// A block's English in the source's own syntax: the block as written, each unit's content
    /// replaced by its English (links in Markdown syntax); code and verbatim blocks unchanged.
    pub fn block_english(&self, block: &Block) -> String {
        self.block_english_with(block, &|target| target.text.to_markdown())
    }

    /// [`block_english`](Self::block_english) with each sentence's English rendered by `render`.
    pub fn block_english_with(
        &self,
        block: &Block,
        render: &dyn Fn(&TargetSentence) -> String,
    ) -> String {
        let source = self.source();
        let mut out = String::new();
        let mut at = block.range.start;
        for unit in &block.units {
            out.push_str(&source[at..unit.content.start]);
            out.push_str(&self.unit_english(unit, render));
            at = unit.content.end;
        }
        out.push_str(&source[at..block.range.end]);
        out
    }

    /// The whole document in English, in the source's layout: everything between and around
    /// blocks (blank lines, final newline) as in the source.
    pub fn english(&self) -> String {
        let source = self.source();
        let mut out = String::with_capacity(source.len() + source.len() / 4);
        let mut at = 0;
        for block in &self.document.blocks {
            out.push_str(&source[at..block.range.start]);
            out.push_str(&self.block_english(block));
            at = block.range.end;
        }
        out.push_str(&source[at..]);
        out
    }
}

/// Where a piece's English comes from.
#[derive(Debug, Clone)]
struct Piece {
    /// The piece's range in the text it was cut from.
    range: Range<usize>,
    /// The request translating it; none when it has nothing to translate.
    request: Option<usize>,
}

#[derive(Debug, Clone)]
enum LinkPlan {
    /// The link text is the whole sentence: the whole English becomes the link.
    WholeSentence,
    /// The link text is translated in these pieces.
    Pieces(Vec<Piece>),
}

#[derive(Debug, Clone)]
enum SentencePlan {
    Passthrough,
    Translate {
        pieces: Vec<Piece>,
        links: Vec<LinkPlan>,
        /// For HTML input: the fragments of the sentence's inline elements, and the pieces of
        /// those translated on their own (see [`super::markup`]).
        markup: Vec<(markup::Fragment, Option<Vec<Piece>>)>,
    },
}

/// The model requests of a document and how their translations make up its English: the
/// two-step form of [`Pipeline`], for callers that send the requests of many documents together
/// (and may cache them).
///
/// ```
/// use passeur::document::{Document, Plan, Syntax};
/// use passeur::translate::{Provenance, SentenceTranslation};
/// let doc = Document::parse("Bonjour. 5.000\n\nAu revoir.", Syntax::Text);
/// let words = |s: &str| s.split_whitespace().count() + 1;
/// let plan = Plan::new(doc, &words, 512);
/// assert_eq!(plan.requests(), ["Bonjour.", "Au revoir."]); // `5.000` passes through
/// let english = ["Hello.", "Goodbye."].map(|t| SentenceTranslation::new(t, None));
/// let provenance = Provenance {
///     model: "example".into(), revision: None, decoding: "none".into(), passeur_version: "0".into(),
/// };
/// let bilingual = plan.assemble(english.to_vec(), provenance)?;
/// assert_eq!(bilingual.english(), "Hello. 5.000\n\nGoodbye.");
/// # Ok::<(), passeur::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    document: Document,
    requests: Vec<String>,
    request_tokens: Vec<usize>,
    sentences: Vec<SentencePlan>,
}

/// Collects distinct request texts.
struct Requests<'a> {
    texts: Vec<String>,
    tokens: Vec<usize>,
    index: HashMap<String, usize>,
    token_count: &'a dyn Fn(&str) -> usize,
    budget: usize,
}

impl Requests<'_> {
    fn request(&mut self, text: &str, tokens: Option<usize>) -> usize {
        if let Some(&index) = self.index.get(text) {
            return index;
        }
        let index = self.texts.len();
        self.texts.push(text.to_string());
        self.tokens
            .push(tokens.unwrap_or_else(|| (self.token_count)(text)));
        self.index.insert(text.to_string(), index);
        index
    }

    /// The pieces `text` is translated in: itself if it fits the budget, else its cuts.
    fn pieces(&mut self, text: &str) -> Vec<Piece> {
        let trimmed = text.trim();
        let start = text.len() - text.trim_start().len();
        let tokens = (self.token_count)(trimmed);
        let ranges = if tokens <= self.budget {
            std::iter::once(start..start + trimmed.len()).collect()
        } else {
            split_to_budget(text, self.budget, self.token_count)
        };
        let whole = ranges.len() == 1;
        ranges
            .into_iter()
            .map(|range| {
                let piece = &text[range.clone()];
                let request =
                    (!is_passthrough(piece)).then(|| self.request(piece, whole.then_some(tokens)));
                Piece { range, request }
            })
            .collect()
    }
}

impl Plan {
    /// Plans the requests of `document`: passthrough decided, sentences over `budget` tokens
    /// (as counted by `token_count`) split, identical texts sent once.
    pub fn new(document: Document, token_count: &dyn Fn(&str) -> usize, budget: usize) -> Plan {
        let mut requests = Requests {
            texts: Vec::new(),
            tokens: Vec::new(),
            index: HashMap::new(),
            token_count,
            budget,
        };
        let sentences = document
            .sentences()
            .map(|sentence| plan_sentence(sentence, &mut requests))
            .collect();
        Plan {
            document,
            requests: requests.texts,
            request_tokens: requests.tokens,
            sentences,
        }
    }

    /// The document being translated.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The distinct texts to translate, each at most the budget unless it is a single character.
    pub fn requests(&self) -> &[String] {
        &self.requests
    }

    /// The token count of each request.
    pub fn request_tokens(&self) -> &[usize] {
        &self.request_tokens
    }

    /// Builds the bilingual document from one translation per request, in request order.
    pub fn assemble(
        self,
        translations: Vec<SentenceTranslation>,
        provenance: Provenance,
    ) -> Result<Bilingual> {
        if translations.len() != self.requests.len() {
            return Err(Error::TranslationCount {
                expected: self.requests.len(),
                got: translations.len(),
                step: "assembly of the document",
            });
        }
        let mut stats = Stats {
            blocks: self.document.blocks.len(),
            requests: self.requests.len(),
            ..Stats::default()
        };
        let targets: Vec<TargetSentence> = self
            .document
            .sentences()
            .zip(&self.sentences)
            .map(|(sentence, plan)| match plan {
                SentencePlan::Passthrough => {
                    stats.passthrough += 1;
                    TargetSentence {
                        text: sentence.text.clone(),
                        score: None,
                        status: SentenceStatus::Passthrough,
                        pieces: 1,
                        recovery: None,
                        flags: Vec::new(),
                    }
                }
                SentencePlan::Translate {
                    pieces,
                    links,
                    markup,
                } => {
                    stats.translated += 1;
                    if pieces.len() > 1 {
                        stats.split_sentences += 1;
                    }
                    let (english, score) = join_pieces(&sentence.text.text, pieces, &translations);
                    let (recovery, flags) = review_of_pieces(pieces, &translations);
                    let status = if !flags.is_empty() {
                        stats.flagged += 1;
                        SentenceStatus::Flagged
                    } else if recovery.is_some() {
                        stats.recovered += 1;
                        SentenceStatus::Recovered
                    } else {
                        SentenceStatus::Translated
                    };
                    let text = if sentence.text.tags.is_empty() {
                        place_links(english, &sentence.text, links, &translations)
                    } else {
                        place_markup(&english, &sentence.text, markup, &translations)
                    };
                    TargetSentence {
                        text,
                        score,
                        status,
                        pieces: pieces.len(),
                        recovery,
                        flags,
                    }
                }
            })
            .collect();
        stats.sentences = targets.len();
        Ok(Bilingual {
            document: self.document,
            targets,
            provenance,
            stats,
        })
    }
}

fn plan_sentence(sentence: &SourceSentence, requests: &mut Requests) -> SentencePlan {
    if sentence.passthrough {
        return SentencePlan::Passthrough;
    }
    let text = &sentence.text.text;
    let pieces = requests.pieces(text);
    if !sentence.text.tags.is_empty() {
        return SentencePlan::Translate {
            pieces,
            links: Vec::new(),
            markup: plan_markup(&sentence.text, requests),
        };
    }
    let links = sentence
        .text
        .links
        .iter()
        .map(|link| {
            let link_text = &text[link.range.clone()];
            if link_text.trim() == text.trim() {
                LinkPlan::WholeSentence
            } else {
                LinkPlan::Pieces(requests.pieces(link_text))
            }
        })
        .collect();
    SentencePlan::Translate {
        pieces,
        links,
        markup: Vec::new(),
    }
}

/// The requests of an HTML sentence's inline elements: each fragment that needs a translation
/// is translated on its own (see [`super::markup`]).
fn plan_markup(
    sentence: &InlineText,
    requests: &mut Requests,
) -> Vec<(markup::Fragment, Option<Vec<Piece>>)> {
    markup::fragments(sentence)
        .into_iter()
        .map(|fragment| {
            let pieces = match &fragment.need {
                markup::Need::Translation(text) => Some(requests.pieces(text)),
                _ => None,
            };
            (fragment, pieces)
        })
        .collect()
}

/// An HTML sentence's English with its inline markup placed (see [`super::markup`]).
fn place_markup(
    english: &str,
    source: &InlineText,
    plans: &[(markup::Fragment, Option<Vec<Piece>>)],
    translations: &[SentenceTranslation],
) -> InlineText {
    let fragments: Vec<markup::Fragment> = plans.iter().map(|(f, _)| f.clone()).collect();
    let english_of: Vec<Option<String>> = plans
        .iter()
        .map(|(fragment, pieces)| match (&fragment.need, pieces) {
            (markup::Need::Translation(text), Some(pieces)) => {
                Some(join_pieces(text, pieces, translations).0)
            }
            _ => None,
        })
        .collect();
    markup::place(english, source, &fragments, &english_of).0
}

/// The English of `pieces` of `source`, and the mean score of the translated ones.
fn join_pieces(
    source: &str,
    pieces: &[Piece],
    translations: &[SentenceTranslation],
) -> (String, Option<f32>) {
    let mut english = String::new();
    let mut scores = Vec::new();
    let mut unscored = false;
    for (i, piece) in pieces.iter().enumerate() {
        let part = match piece.request {
            Some(request) => {
                let translation = &translations[request];
                match translation.score {
                    Some(score) => scores.push(score),
                    None => unscored = true,
                }
                translation.text.trim()
            }
            None => &source[piece.range.clone()],
        };
        if i > 0 && !english.is_empty() && !part.is_empty() {
            let cut_at_space = piece.range.start > pieces[i - 1].range.end;
            if cut_at_space {
                english.push(' ');
            }
        }
        english.push_str(part);
    }
    let score =
        (!unscored && !scores.is_empty()).then(|| scores.iter().sum::<f32>() / scores.len() as f32);
    (english, score)
}

/// What the fidelity checks said about the translated `pieces` of one sentence: the first recovery
/// step used, and every remaining flag (each distinct flag once).
fn review_of_pieces(
    pieces: &[Piece],
    translations: &[SentenceTranslation],
) -> (Option<String>, Vec<Flag>) {
    let mut recovery = None;
    let mut flags: Vec<Flag> = Vec::new();
    for translation in pieces
        .iter()
        .filter_map(|p| p.request.map(|r| &translations[r]))
    {
        recovery = recovery.or_else(|| translation.recovery.clone());
        for flag in &translation.flags {
            if !flags.contains(flag) {
                flags.push(flag.clone());
            }
        }
    }
    (recovery, flags)
}

/// Places the source's links in `english` (see the module docs).
fn place_links(
    english: String,
    source: &InlineText,
    plans: &[LinkPlan],
    translations: &[SentenceTranslation],
) -> InlineText {
    let translated_len = english.len();
    let mut text = english;
    let mut links = Vec::with_capacity(plans.len());
    let mut search_from = 0;
    for (link, plan) in source.links.iter().zip(plans) {
        let range = match plan {
            LinkPlan::WholeSentence => 0..translated_len,
            LinkPlan::Pieces(pieces) => {
                let source_text = &source.text[link.range.clone()];
                let (mut link_text, _) = join_pieces(source_text, pieces, translations);
                if link_text.trim().is_empty() {
                    link_text = source_text.trim().to_string();
                }
                match find_ignoring_case(&text[..translated_len], &link_text, search_from) {
                    Some(found) => {
                        search_from = found.end;
                        found
                    }
                    None => {
                        text.push_str(" (");
                        let start = text.len();
                        text.push_str(&link_text);
                        text.push(')');
                        start..start + link_text.len()
                    }
                }
            }
        };
        links.push(Link {
            range,
            destination: link.destination.clone(),
            image: link.image,
        });
    }
    InlineText {
        text,
        links,
        tags: Vec::new(),
    }
}

/// The first occurrence of `needle` in `haystack` at or after `from`: exact, else ignoring case.
fn find_ignoring_case(haystack: &str, needle: &str, from: usize) -> Option<Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    if let Some(at) = haystack[from..].find(needle) {
        return Some(from + at..from + at + needle.len());
    }
    haystack[from..].char_indices().find_map(|(i, _)| {
        let start = from + i;
        let mut rest = haystack[start..].char_indices();
        let mut end = start;
        for wanted in needle.chars() {
            let (j, found) = rest.next()?;
            if !found.to_lowercase().eq(wanted.to_lowercase()) {
                return None;
            }
            end = start + j + found.len_utf8();
        }
        Some(start..end)
    })
}

/// Translates whole documents with a [`SentenceTranslator`].
///
/// ```
/// use passeur::document::{Pipeline, PipelineOptions};
/// use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
///
/// /// A stand-in for the real engine: "translates" by upper-casing.
/// struct Shouting;
/// impl SentenceTranslator for Shouting {
///     fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
///         Ok(sentences.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
///     }
///     fn token_count(&self, sentence: &str) -> usize { sentence.split_whitespace().count() + 1 }
///     fn max_source_tokens(&self) -> usize { 512 }
///     fn provenance(&self) -> Provenance {
///         Provenance { model: "shouting".into(), revision: None, decoding: "none".into(),
///                      passeur_version: env!("CARGO_PKG_VERSION").into() }
///     }
/// }
///
/// let pipeline = Pipeline::new(&Shouting, PipelineOptions::default());
/// let bilingual = pipeline.translate("Premier paragraphe. Deux phrases.\n\nSecond paragraphe.")?;
/// assert_eq!(bilingual.english(), "PREMIER PARAGRAPHE. DEUX PHRASES.\n\nSECOND PARAGRAPHE.");
/// assert_eq!(bilingual.stats.sentences, 3);
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

    /// The largest token count of one request: the smaller of the option and the translator's
    /// limit.
    pub fn token_budget(&self) -> usize {
        let limit = self.translator.max_source_tokens();
        self.options
            .max_sentence_tokens
            .map_or(limit, |max| max.min(limit))
    }

    /// Parses `text` with the options' syntax and translates it.
    pub fn translate(&self, text: &str) -> Result<Bilingual> {
        let document = super::Document::parse(text, self.options.syntax);
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
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by_key(|&i| plan.request_tokens()[i]);
        let mut translations: Vec<Option<SentenceTranslation>> = vec![None; total];
        let mut done = 0;
        for chunk in order.chunks(self.options.chunk_size.max(1)) {
            let texts: Vec<&str> = chunk.iter().map(|&i| requests[i].as_str()).collect();
            let translated = self.translator.translate_sentences(&texts)?;
            if translated.len() != texts.len() {
                return Err(Error::TranslationCount {
                    expected: texts.len(),
                    got: translated.len(),
                    step: "translation of the document",
                });
            }
            for (&i, translation) in chunk.iter().zip(translated) {
                translations[i] = Some(translation);
            }
            done += chunk.len();
            progress(Progress { done, total });
        }
        Ok(translations
            .into_iter()
            .map(|t| t.expect("every request was in one chunk"))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_found_ignoring_case_or_appended() {
        assert_eq!(
            find_ignoring_case("The Report says", "the report", 0),
            Some(0..10)
        );
        assert_eq!(find_ignoring_case("a b a b", "a b", 1), Some(4..7));
        assert_eq!(find_ignoring_case("Été", "été", 0), Some(0..5));
        assert_eq!(find_ignoring_case("nothing", "else", 0), None);
    }

    #[test]
    fn split_score_is_the_mean_and_missing_scores_win() {
        let pieces = [
            Piece {
                range: 0..2,
                request: Some(0),
            },
            Piece {
                range: 3..5,
                request: Some(1),
            },
        ];
        let scored = |a, b| {
            [a, b]
                .map(|score| SentenceTranslation::new("x", score))
                .to_vec()
        };
        assert_eq!(
            join_pieces("ab cd", &pieces, &scored(Some(-1.0), Some(-3.0))).1,
            Some(-2.0)
        );
        assert_eq!(
            join_pieces("ab cd", &pieces, &scored(Some(-1.0), None)).1,
            None
        );
        assert_eq!(join_pieces("ab cd", &pieces, &scored(None, None)).0, "x x");
    }
}
