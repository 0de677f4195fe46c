//! Plain English: the source with every translated unit replaced by its English.
//!
//! Everything else is the source's: blank lines, indentation, list markers, code blocks, the final
//! newline or its absence. A Markdown source gives Markdown English (links written back); a plain
//! text source gives plain text. No provenance and no flags: the file is the English text alone.

use crate::bilingual::Bilingual;

/// Renders the English of `bilingual` in the source's layout.
pub fn render(bilingual: &Bilingual) -> String {
    bilingual.english()
}
