//! Bilingual Markdown: for each block, the French, then the English.
//!
//! * Provenance is YAML front matter (`generator`, `model`, `revision`, `decoding`, `source_language`,
//!   `target_language`), with JSON-quoted values (valid YAML).
//! * A Markdown source is kept byte for byte on the French side; the English side is the same
//!   block with each unit's text replaced, so headings, list markers, quote markers and links
//!   (URLs kept, text translated) are preserved. Code and verbatim blocks appear once.
//! * A plain-text source is turned into Markdown on both sides: sentences unwrapped, characters
//!   Markdown would take as syntax escaped, and a hard line break (`\` at the end of the line)
//!   wherever the source's line structure must survive rendering (header lines, headlines).
//! * Each side of a block is introduced by a label line, `<!-- French -->` or `<!-- English -->`:
//!   plain words for a reader of the raw file, an HTML comment that rendered Markdown hides. The
//!   comment also ends a list before the next side, so the two lists never merge.
//! * A block whose English is identical to its French (only passthrough) appears once, without
//!   label. Two lists in a row would merge into one when rendered (and renumber), so an empty
//!   HTML comment `<!-- -->` separates such a block ending in a list item from one starting with
//!   a list item or with indentation, as the CommonMark specification suggests.
//! * A flagged English sentence is followed by `⚠` and the reasons in italics.

use crate::bilingual::{Bilingual, TargetSentence};
use crate::document::{Block, BlockKind, Syntax, UnitKind};
use crate::translate::Provenance;
use crate::verdict::Defect;

/// Renders `bilingual` as bilingual Markdown.
pub fn render(bilingual: &Bilingual) -> String {
    let mut out = front_matter(&bilingual.provenance);
    let mut after_list_item = false;
    for block in &bilingual.document.blocks {
        let starts_with_item = block
            .units
            .first()
            .is_some_and(|u| u.kind == UnitKind::ListItem);
        let ends_with_item = block
            .units
            .last()
            .is_some_and(|u| u.kind == UnitKind::ListItem);
        let sides = sides(bilingual, block);
        let labelled = sides.len() == 2;
        for (side, label) in sides
            .iter()
            .zip(["<!-- French -->\n", "<!-- English -->\n"])
        {
            out.push('\n');
            if labelled {
                out.push_str(label);
            } else if after_list_item && (starts_with_item || side.starts_with([' ', '\t'])) {
                out.push_str("<!-- -->\n\n");
            }
            out.push_str(side);
            out.push('\n');
            after_list_item = ends_with_item;
        }
    }
    out
}

/// The French and English of a block, or the block once when they are the same.
fn sides(bilingual: &Bilingual, block: &Block) -> Vec<String> {
    let source = bilingual.source();
    if block.units.is_empty() || matches!(block.kind, BlockKind::Code | BlockKind::Verbatim) {
        return vec![source[block.range.clone()].to_string()];
    }
    let (french, english) = match bilingual.document.syntax {
        Syntax::Markdown => (
            source[block.range.clone()].to_string(),
            bilingual.block_english_with(block, &|t| t.text.to_markdown() + &flag_note(t)),
        ),
        Syntax::Text | Syntax::Html => (
            text_block(bilingual, block, false),
            text_block(bilingual, block, true),
        ),
    };
    if french == english {
        vec![french]
    } else {
        vec![french, english]
    }
}

fn front_matter(provenance: &Provenance) -> String {
    let quoted = |s: &str| serde_json::to_string(s).expect("strings always serialise");
    let revision = provenance
        .revision
        .as_deref()
        .map_or("null".to_string(), quoted);
    format!(
        "---\ngenerator: {}\nmodel: {}\nrevision: {revision}\ndecoding: {}\n\
         source_language: fr\ntarget_language: en\n---\n",
        quoted(&format!("passeur {}", provenance.passeur_version)),
        quoted(&provenance.model),
        quoted(&provenance.decoding),
    )
}

/// ` ⚠ _(reasons)_` after a flagged sentence; nothing otherwise.
fn flag_note(target: &TargetSentence) -> String {
    let flags = target.verdict.flags();
    if flags.is_empty() {
        return String::new();
    }
    let reasons: Vec<String> = flags.iter().map(Defect::to_string).collect();
    format!(" ⚠ _({})_", escape_text(&reasons.join("; "), false))
}

/// One side of a plain-text block, written as Markdown (see the module docs).
fn text_block(bilingual: &Bilingual, block: &Block, english: bool) -> String {
    let source = bilingual.source();
    let mut out = String::new();
    for (k, unit) in block.units.iter().enumerate() {
        let marker = source[unit.marker.clone()].trim_start();
        if k > 0 {
            let markdown_item = marker.starts_with(['-', '*', '+'])
                || marker.starts_with(|c: char| c.is_ascii_digit());
            out.push_str(if markdown_item { "\n" } else { "\\\n" });
        }
        out.push_str(marker);
        let mut line_start = marker.is_empty();
        for (i, sentence) in unit.sentences.iter().enumerate() {
            if i > 0 {
                if sentence.line_break_before {
                    out.push_str("\\\n");
                    out.push_str(&unit.continuation);
                    line_start = true;
                } else {
                    out.push(' ');
                }
            }
            let target = bilingual.target(sentence);
            let text = if english {
                &target.text
            } else {
                &sentence.text
            };
            out.push_str(&escape_inline(text, line_start));
            if english {
                out.push_str(&flag_note(target));
            }
            line_start = false;
        }
    }
    out
}

/// [`escape_text`] with the text's links (from an HTML source) written as Markdown links.
fn escape_inline(text: &crate::document::InlineText, line_start: bool) -> String {
    let mut out = String::new();
    let mut at = 0;
    for link in &text.links {
        out.push_str(&escape_text(
            &text.text[at..link.range.start],
            line_start && at == 0,
        ));
        out.push('[');
        out.push_str(&escape_text(&text.text[link.range.clone()], false));
        out.push_str("](");
        out.push_str(&link.destination);
        out.push(')');
        at = link.range.end;
    }
    out.push_str(&escape_text(&text.text[at..], line_start && at == 0));
    out
}

/// Escapes what Markdown would read as syntax in plain text: inline markers anywhere, block
/// markers at the start of a line.
fn escape_text(text: &str, line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    if line_start {
        let starts_block = |marker_len: usize| {
            rest[marker_len..].is_empty() || rest[marker_len..].starts_with([' ', '\t'])
        };
        let hashes = rest.bytes().take_while(|&b| b == b'#').count();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if rest.starts_with('>')
            || (hashes > 0 && starts_block(hashes))
            || (rest.starts_with(['-', '+', '='])
                && (starts_block(1) || rest[1..].starts_with(['-', '='])))
        {
            out.push('\\');
        } else if digits > 0 && rest[digits..].starts_with(['.', ')']) && starts_block(digits + 1) {
            out.push_str(&rest[..digits]);
            out.push('\\');
            rest = &rest[digits..];
        }
    }
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        let entity = c == '&'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#');
        if entity || matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape_text("# 5.000 *x* [a](b) <b> &amp; M&M", true),
            "\\# 5.000 \\*x\\* \\[a\\](b) \\<b> \\&amp; M\\&M"
        );
        assert_eq!(escape_text("2013. Fin", true), "2013\\. Fin");
        assert_eq!(escape_text("5.000", true), "5.000");
        assert_eq!(escape_text("#hashtag -5 +3", true), "#hashtag -5 +3");
        assert_eq!(escape_text("---", true), "\\---");
        assert_eq!(escape_text("2013. Fin", false), "2013. Fin");
        assert_eq!(escape_text("- Non", true), "\\- Non");
    }
}
