//! The types of a parsed document: [`Document`], [`Block`], [`Unit`], [`SourceSentence`], and the
//! [`Syntax`] it is read with.

use super::inline::InlineText;
use super::{parse, sentences};
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
    /// An HTML page (see [`crate::html`]): its text and inline markup, parsed with an HTML5
    /// parser.
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
    pub html: Option<std::sync::Arc<super::HtmlSource>>,
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
}

impl Document {
    /// Splits `source` into blocks, units and sentences.
    ///
    /// ```
    /// use passeur::{document::{BlockKind, Document}, Syntax};
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
            return super::html::parse(source);
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
                    .map(|unit| sentences::build_unit(&source, syntax, unit, &mut next_index))
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

    /// The source text of `sentence`, exactly as written.
    pub fn source_of(&self, sentence: &SourceSentence) -> &str {
        &self.source[sentence.range.clone()]
    }
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
}
