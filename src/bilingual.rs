//! A translated document: the source [`Document`] and, for each of its sentences, the English
//! and its [`Verdict`], with the provenance and counts. This is the data every writer reads and
//! what [`crate::pipeline`] produces; it holds no translation logic.

use crate::document::{Block, Document, InlineText, SourceSentence, Unit};
use crate::translate::Provenance;
use crate::verdict::{Tally, Verdict};

/// The English of one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSentence {
    /// The English, with the source's links placed in it.
    pub text: InlineText,
    /// The model's score (mean log-probability per token; for a sentence translated in pieces,
    /// the mean of theirs); none for passthrough.
    pub score: Option<f32>,
    /// What happened to the sentence: copied, translated, recovered or flagged (for a sentence
    /// translated in pieces, the verdicts of its pieces combined: see [`Verdict::of_pieces`]).
    pub verdict: Verdict,
    /// How many pieces the sentence was translated in (1 unless it was over the budget).
    pub pieces: usize,
}

/// Counts over one translated document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslationStats {
    /// Blocks, code included.
    pub blocks: usize,
    /// Sentences over the token budget, translated in pieces.
    pub split_sentences: usize,
    /// Distinct texts sent to the model (sentences, pieces and link texts).
    pub requests: usize,
    /// The sentences' verdicts counted: sentences, translated, passthrough, recovered, flagged.
    pub verdicts: Tally,
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
    pub stats: TranslationStats,
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
            out.push_str(gap(&source[at..block.range.start], at == 0, "\n\n"));
            out.push_str(&self.block_english(block));
            at = block.range.end;
        }
        out.push_str(gap(&source[at..], at == 0, "\n"));
        out
    }
}

/// The source between two blocks as the English keeps it: blank lines and indentation as they
/// are; text there belongs to no block only when `--article` left it out (see
/// [`crate::article`]), and becomes `separator` (nothing at the start).
fn gap<'a>(between: &'a str, at_start: bool, separator: &'static str) -> &'a str {
    if between.trim().is_empty() {
        between
    } else if at_start {
        ""
    } else {
        separator
    }
}
