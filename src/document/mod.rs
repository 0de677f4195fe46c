//! Document structure and the translation of a whole document.
//!
//! # Structure
//!
//! A [`Document`] is the decoded input split into [`Block`]s (paragraphs, headings, lists, quotes,
//! code), each holding [`Unit`]s: the runs of text that are translated, each with a marker kept as
//! it is (`## `, `- `, `> `, indentation). Every range is a byte range into [`Document::source`].
//!
//! Plain text ([`Syntax::Text`]):
//! * blocks are separated by blank lines (lines holding only whitespace);
//! * a line starting with a bullet (`-`, `*`, `+`, `•`, `◦`, `▪`, `‣`, `·`) and a space starts a
//!   list item, and so does a number of up to three digits with `.` or `)` at the start of a block
//!   or after another item; other lines continue the unit before them;
//! * inside a unit, the segmenter decides which line breaks end a sentence (headlines, header
//!   lines) and which are hard-wrapped prose; wrapped prose is unwrapped for the model, and the
//!   English keeps a line break exactly where the source had one between two sentences.
//!
//! Markdown ([`Syntax::Markdown`]) adds, in the CommonMark way: ATX (`## Titre`) and setext
//! headings, `-`/`*`/`+`/`1.` list items (task boxes kept), blockquotes (`>` markers stripped for
//! translation and put back on every English line), fenced and indented code and thematic breaks
//! (never translated), raw HTML blocks, link reference definitions and tables (kept verbatim, not
//! translated). Inline links and images keep their URL; their text is translated (see
//! [`Pipeline`]). Emphasis and inline code are left in the text the model sees.
//!
//! # Sentences
//!
//! Each unit's text, without markers and link syntax but with its line breaks, goes to
//! [`segment`]; each [`SourceSentence`] keeps the byte range it covers in
//! the source (a link is never cut between two sentences, and a sentence's range covers the whole
//! syntax of the links in it) and the unwrapped text the model sees. A sentence with nothing to
//! translate (see [`crate::fidelity::is_passthrough`]) is marked for passthrough.
//!
//! # Translation
//!
//! [`Pipeline`] sends every sentence of a document to a
//! [`SentenceTranslator`](crate::translate::SentenceTranslator) together, in length-sorted chunks,
//! splits those over the token budget first (see [`split_to_budget`]), and realigns the
//! translations into a [`Bilingual`] document; [`Plan`] is the same in two steps, for callers that
//! batch several documents.

mod html;
mod inline;
pub mod markup;
mod parse;
mod pipeline;
mod split;

pub use crate::translate::Flag;
pub use html::{HtmlSource, Slot, UnitPlace, UnitSource};
pub use inline::{InlineText, Link, Tag, TagKind};
pub use pipeline::{
    Bilingual, Pipeline, PipelineOptions, Plan, Progress, SentencePair, SentenceStatus, Stats,
    TargetSentence,
};
pub use split::split_to_budget;

use crate::segment::segment;
use inline::{unwrap, Projection};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

/// How the input is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// Plain text: paragraphs separated by blank lines, list items recognised.
    #[default]
    Text,
    /// Markdown (CommonMark, the subset described in the module docs).
    Markdown,
    /// An HTML page (see [`html`]): its text and inline markup, parsed with an HTML5 parser.
    Html,
}

impl Syntax {
    /// Markdown for `.md`, `.markdown`, `.mdown` and `.mkd` files, HTML for `.html`, `.htm` and
    /// `.xhtml`, plain text otherwise.
    pub fn from_path(path: &Path) -> Syntax {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match extension.to_ascii_lowercase().as_str() {
            "md" | "markdown" | "mdown" | "mkd" => Syntax::Markdown,
            "html" | "htm" | "xhtml" => Syntax::Html,
            _ => Syntax::Text,
        }
    }

    /// The syntax's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Text => "text",
            Syntax::Markdown => "markdown",
            Syntax::Html => "html",
        }
    }
}

impl FromStr for Syntax {
    type Err = crate::Error;

    fn from_str(name: &str) -> crate::Result<Syntax> {
        match name.to_ascii_lowercase().as_str() {
            "text" | "txt" | "plain" => Ok(Syntax::Text),
            "markdown" | "md" => Ok(Syntax::Markdown),
            "html" | "htm" => Ok(Syntax::Html),
            _ => Err(crate::Error::UnknownSyntax {
                name: name.to_string(),
            }),
        }
    }
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Prose; may hold list items after a first line of text.
    Paragraph,
    /// A heading (Markdown only) of level 1 to 6.
    Heading {
        /// 1 for `#`, 2 for `##`…
        level: u8,
    },
    /// A block whose first unit is a list item.
    List,
    /// A blockquote (Markdown only).
    Quote,
    /// Fenced or indented code (Markdown only): never translated.
    Code,
    /// A thematic break, raw HTML, link reference definitions or a table (Markdown only): kept
    /// as it is, not translated.
    Verbatim,
}

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// Prose or a line of text.
    Text,
    /// A list item; its marker is the bullet or number.
    ListItem,
    /// A heading's text.
    Heading {
        /// 1 for `#`, 2 for `##`…
        level: u8,
    },
}

/// A document: the decoded input and its structure.
#[derive(Debug, Clone)]
pub struct Document {
    /// The text every range refers to (decoded, newlines normalised: see [`crate::input`]).
    pub source: String,
    /// How the source is written.
    pub syntax: Syntax,
    /// The blocks, in source order.
    pub blocks: Vec<Block>,
    /// For an HTML page: the parsed page and where each unit's text lies in it (what the page
    /// writer needs to write the English back into the page).
    pub html: Option<std::sync::Arc<HtmlSource>>,
}

/// A block: a paragraph, heading, list, quote or code block.
#[derive(Debug, Clone)]
pub struct Block {
    /// What the block is.
    pub kind: BlockKind,
    /// The block's byte range in the source, from its first to its last non-newline byte.
    pub range: Range<usize>,
    /// The translated units, in order (none for code and verbatim blocks).
    pub units: Vec<Unit>,
}

/// A run of text translated as one: a paragraph's text, a list item, a heading.
#[derive(Debug, Clone)]
pub struct Unit {
    /// What the unit is.
    pub kind: UnitKind,
    /// The marker before the content on its first line, e.g. `## `, `> - `, or indentation.
    pub marker: Range<usize>,
    /// The content's byte range, from its first to its last non-whitespace byte (it may span
    /// several lines and include the `> ` of continuation lines).
    pub content: Range<usize>,
    /// What starts each continuation line of the English (e.g. `> ` in a quote, spaces under a
    /// list item).
    pub continuation: String,
    /// The unit's sentences, in order.
    pub sentences: Vec<SourceSentence>,
}

/// A sentence of the source.
#[derive(Debug, Clone)]
pub struct SourceSentence {
    /// 0-based position of the sentence in the document.
    pub index: usize,
    /// The sentence's byte range in the source: slicing the source there gives the sentence as
    /// written (line breaks, `> ` markers and link syntax included).
    pub range: Range<usize>,
    /// Whether a line break separates this sentence from the previous one of its unit.
    pub line_break_before: bool,
    /// The sentence as the model sees it: unwrapped, markers and link syntax removed, with its
    /// links.
    pub text: InlineText,
    /// Whether the sentence has nothing to translate and is copied as it is.
    pub passthrough: bool,
}

impl Document {
    /// Splits `source` into blocks, units and sentences.
    ///
    /// ```
    /// use passeur::document::{BlockKind, Document, Syntax};
    /// let doc = Document::parse("## Titre\n\n- Un point.\n- Un autre.\n", Syntax::Markdown);
    /// assert_eq!(doc.blocks.len(), 2);
    /// assert_eq!(doc.blocks[0].kind, BlockKind::Heading { level: 2 });
    /// assert_eq!(doc.blocks[1].kind, BlockKind::List);
    /// let texts: Vec<&str> = doc.sentences().map(|s| s.text.text.as_str()).collect();
    /// assert_eq!(texts, ["Titre", "Un point.", "Un autre."]);
    /// ```
    pub fn parse(source: impl Into<String>, syntax: Syntax) -> Document {
        let source = source.into();
        if syntax == Syntax::Html {
            return html::parse(source);
        }
        let mut next_index = 0;
        let blocks = parse::parse(&source, syntax)
            .into_iter()
            .map(|raw| Block {
                kind: raw.kind,
                range: raw.range,
                units: raw
                    .units
                    .into_iter()
                    .map(|unit| build_unit(&source, syntax, unit, &mut next_index))
                    .collect(),
            })
            .collect();
        Document {
            source,
            syntax,
            blocks,
            html: None,
        }
    }

    /// All sentences, in document order.
    pub fn sentences(&self) -> impl Iterator<Item = &SourceSentence> {
        self.blocks
            .iter()
            .flat_map(|b| &b.units)
            .flat_map(|u| &u.sentences)
    }

    /// Number of sentences.
    pub fn sentence_count(&self) -> usize {
        self.blocks
            .iter()
            .flat_map(|b| &b.units)
            .map(|u| u.sentences.len())
            .sum()
    }

    /// Whether some sentence needs the model (is not passthrough).
    pub fn needs_model(&self) -> bool {
        self.sentences().any(|s| !s.passthrough)
    }

    /// The source text of `sentence`, exactly as written.
    pub fn source_of(&self, sentence: &SourceSentence) -> &str {
        &self.source[sentence.range.clone()]
    }
}

fn build_unit(source: &str, syntax: Syntax, raw: parse::RawUnit, next_index: &mut usize) -> Unit {
    let projection = Projection::build(source, &raw.lines, syntax == Syntax::Markdown);
    let found = segment(&projection.text).into_iter().map(|s| s.range);
    let ranges = keep_links_whole(sanitize_ranges(&projection.text, found), &projection);
    let mut sentences = Vec::with_capacity(ranges.len());
    for (i, range) in ranges.iter().enumerate() {
        let links_inside: Vec<_> = projection
            .links
            .iter()
            .filter(|link| link.text.start < range.end && link.text.end > range.start)
            .collect();
        let mut source_range =
            projection.source_start(range.start)..projection.source_end(range.end);
        for link in &links_inside {
            source_range.start = source_range.start.min(link.source.start);
            source_range.end = source_range.end.max(link.source.end);
        }
        let relative_links: Vec<_> = links_inside
            .iter()
            .map(|link| {
                let start = link.text.start.max(range.start) - range.start;
                let end = link.text.end.min(range.end) - range.start;
                (start..end, link.destination.clone(), link.image)
            })
            .collect();
        let text = unwrap(&projection.text[range.clone()], &relative_links);
        let line_break_before =
            i > 0 && projection.text[ranges[i - 1].end..range.start].contains('\n');
        let passthrough = crate::fidelity::is_passthrough(&text.text);
        sentences.push(SourceSentence {
            index: *next_index,
            range: source_range,
            line_break_before,
            text,
            passthrough,
        });
        *next_index += 1;
    }
    let first_line = raw.lines.first().expect("units have content");
    let last_line = raw.lines.last().expect("units have content");
    Unit {
        kind: raw.kind,
        marker: raw.marker,
        content: first_line.start..last_line.end,
        continuation: raw.continuation,
        sentences,
    }
}

/// The segmenter's sentence ranges, made safe: a range is kept only if it is in bounds, on
/// character boundaries, after the previous one and not blank, and is trimmed; any non-whitespace
/// text outside the kept ranges becomes a sentence of its own, so nothing is ever dropped whatever
/// the segmenter returns.
fn sanitize_ranges(text: &str, found: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut covered = 0;
    for range in found {
        let valid = range.start >= covered
            && range.start < range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end);
        if !valid {
            continue;
        }
        let found_text = &text[range.clone()];
        let trimmed = found_text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let start = range.start + (found_text.len() - found_text.trim_start().len());
        let range = start..start + trimmed.len();
        push_trimmed(&mut ranges, text, covered..range.start);
        ranges.push(range.clone());
        covered = range.end;
    }
    push_trimmed(&mut ranges, text, covered..text.len());
    ranges
}

/// Pushes `range` of `text`, trimmed, unless it is only whitespace.
fn push_trimmed(ranges: &mut Vec<Range<usize>>, text: &str, range: Range<usize>) {
    let part = &text[range.clone()];
    if !part.trim().is_empty() {
        let start = range.start + (part.len() - part.trim_start().len());
        ranges.push(start..start + part.trim().len());
    }
}

/// Merges consecutive sentences that a link straddles.
fn keep_links_whole(ranges: Vec<Range<usize>>, projection: &Projection) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if let Some(last) = merged.last_mut() {
            let straddled = projection
                .links
                .iter()
                .any(|link| link.text.start < last.end && link.text.end > range.start);
            if straddled {
                last.end = range.end;
                continue;
            }
        }
        merged.push(range);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_markers_are_stripped_for_the_model_and_kept_in_ranges() {
        let source = "> Une phrase coupée\n> en deux lignes.";
        let doc = Document::parse(source, Syntax::Markdown);
        assert_eq!(doc.blocks[0].kind, BlockKind::Quote);
        let sentence = doc.sentences().next().unwrap();
        assert_eq!(sentence.text.text, "Une phrase coupée en deux lignes.");
        assert_eq!(
            doc.source_of(sentence),
            "Une phrase coupée\n> en deux lignes."
        );
        assert_eq!(doc.blocks[0].units[0].continuation, "> ");
    }

    #[test]
    fn markdown_block_boundaries() {
        let kinds = |source: &str| -> Vec<BlockKind> {
            Document::parse(source, Syntax::Markdown)
                .blocks
                .iter()
                .map(|b| b.kind)
                .collect()
        };
        assert_eq!(
            kinds("Titre\n===\n\nIntro\n- un point\n---\n"),
            [
                BlockKind::Heading { level: 1 },
                BlockKind::Paragraph,
                BlockKind::Verbatim
            ],
            "`---` under a list item is a thematic break, not a setext underline"
        );
        assert_eq!(
            kinds("Il a dit :\n> Oui.\n# Fin\n```\nx\n"),
            [
                BlockKind::Paragraph,
                BlockKind::Quote,
                BlockKind::Heading { level: 1 },
                BlockKind::Code
            ],
            "quotes, headings and fences interrupt; an unclosed fence runs to the end"
        );
        assert_eq!(
            kinds("- point\n\n    suite du point\n\n    code"),
            [BlockKind::List, BlockKind::Paragraph, BlockKind::Paragraph],
            "indented text after a list continues the list, it is not code"
        );
        assert_eq!(kinds("    du code\n\n    encore"), [BlockKind::Code]);
    }

    #[test]
    fn faulty_segmenter_output_loses_nothing() {
        let text = "Un é. Deux. Trois. Quatre";
        // Inside `é`, out of bounds, empty, overlapping, untrimmed; the start and end are missing.
        let found = [0..4, 7..12, 99..120, 9..9, 8..18, 13..19];
        let ranges = sanitize_ranges(text, found.into_iter());
        let pieces: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(pieces, ["Un é.", "Deux.", "Trois.", "Quatre"]);
    }
}
