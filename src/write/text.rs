//! Plain English: the source with every translated unit replaced by its English.
//!
//! Everything else is the source's: blank lines, indentation, list markers, code blocks, the final
//! newline or its absence. A Markdown source gives Markdown English (links written back); a plain
//! text source gives plain text. An HTML page gives its text: one block per paragraph, heading,
//! list item or attribute text, separated by blank lines, and `pre` blocks as they read. No
//! provenance and no flags: the file is the English text alone.

use crate::bilingual::Bilingual;
use crate::document::{BlockKind, Syntax};
use crate::html::NodeData;

/// Renders the English of `bilingual` in the source's layout.
pub fn render(bilingual: &Bilingual) -> String {
    if bilingual.document.syntax != Syntax::Html {
        return bilingual.english();
    }
    let mut blocks: Vec<String> = Vec::new();
    for block in &bilingual.document.blocks {
        if block.kind == BlockKind::Code {
            blocks.push(preformatted_text(bilingual, block.range.clone()));
            continue;
        }
        for unit in &block.units {
            blocks.push(bilingual.unit_english(unit, &|t| t.text.text.clone()));
        }
    }
    let mut out = blocks.join("\n\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The decoded text of the page's text nodes lying in `range` (a `pre` block's content).
fn preformatted_text(bilingual: &Bilingual, range: std::ops::Range<usize>) -> String {
    let Some(html) = &bilingual.document.html else {
        return bilingual.source()[range].to_string();
    };
    let mut out = String::new();
    for node in &html.dom.nodes {
        if let NodeData::Text(text) = &node.data {
            let inside = text
                .pieces
                .first()
                .is_some_and(|p| p.source.start >= range.start && p.source.end <= range.end);
            if inside {
                out.push_str(&text.text);
            }
        }
    }
    out.trim_end_matches('\n').to_string()
}
