//! TMX 1.4b: one `<tu>` per sentence pair, always well-formed XML.
//!
//! The header carries `creationtool="passeur"`, its version, `srclang="fr"`, `adminlang="en"`,
//! `segtype="sentence"`, `o-tmf="passeur"`, `datatype` (`plaintext`, or `x-markdown` for a Markdown
//! source) and the provenance as `<prop type="x-passeur-…">`. No creation date, so the same input
//! gives the same bytes.
//!
//! Each `<tu>` has props for its place (`x-paragraph`, `x-sentence`, `x-source-range` as
//! `start-end` bytes), `x-status`, `x-recovery` for a recovered sentence, `x-pieces`, `x-score` when there is one, and one `<note>` per
//! flag, then `<tuv xml:lang="fr">` and `<tuv xml:lang="en">`. Segments hold the sentence on one
//! line (hard wraps unwrapped, Markdown links written back): the exact source slice is in JSONL.
//!
//! Escaping: `& < > " '` as entities; characters XML 1.0 forbids even as references (C0 controls
//! but tab and line feed, U+FFFE, U+FFFF) become `<ph type="x-passeur-char">U+0001</ph>` inside a
//! segment, so nothing is lost, and U+FFFD in attributes and props; carriage returns are written
//! as `&#13;` so that parsers do not turn them into line feeds.

use crate::bilingual::{Bilingual, SentencePair};
use crate::document::Syntax;
use std::fmt::Write;

/// Renders `bilingual` as a TMX 1.4b document.
pub fn render(bilingual: &Bilingual) -> String {
    let provenance = &bilingual.provenance;
    let datatype = match bilingual.document.syntax {
        Syntax::Text => "plaintext",
        Syntax::Markdown => "x-markdown",
        Syntax::Html => "html",
    };
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">\n");
    out.push_str("<tmx version=\"1.4\">\n");
    let _ = writeln!(
        out,
        "  <header creationtool=\"passeur\" creationtoolversion=\"{}\" datatype=\"{datatype}\" \
         segtype=\"sentence\" adminlang=\"en\" srclang=\"fr\" o-tmf=\"passeur\">",
        attribute(&provenance.passeur_version)
    );
    prop(&mut out, "    ", "x-passeur-model", &provenance.model);
    if let Some(revision) = &provenance.revision {
        prop(&mut out, "    ", "x-passeur-revision", revision);
    }
    prop(&mut out, "    ", "x-passeur-decoding", &provenance.decoding);
    out.push_str("  </header>\n  <body>\n");
    for pair in bilingual.pairs() {
        translation_unit(&mut out, &pair);
    }
    out.push_str("  </body>\n</tmx>\n");
    out
}

fn translation_unit(out: &mut String, pair: &SentencePair) {
    let target = pair.target;
    let _ = writeln!(out, "    <tu tuid=\"{}\">", pair.source.index + 1);
    for defect in target.verdict.flags() {
        let _ = writeln!(
            out,
            "      <note>{}: {}</note>",
            attribute(defect.code()),
            attribute(&defect.to_string())
        );
    }
    let indent = "      ";
    prop(out, indent, "x-paragraph", &pair.block.to_string());
    prop(out, indent, "x-sentence", &pair.position.to_string());
    let range = &pair.source.range;
    prop(
        out,
        indent,
        "x-source-range",
        &format!("{}-{}", range.start, range.end),
    );
    prop(out, indent, "x-status", target.verdict.name());
    if let Some(recovery) = target.verdict.recovery() {
        prop(out, indent, "x-recovery", recovery.code());
    }
    prop(out, indent, "x-pieces", &target.pieces.to_string());
    if let Some(score) = target.score.filter(|s| s.is_finite()) {
        prop(out, indent, "x-score", &score.to_string());
    }
    for (language, text) in [
        ("fr", pair.source.text.to_markdown()),
        ("en", target.text.to_markdown()),
    ] {
        let _ = writeln!(
            out,
            "      <tuv xml:lang=\"{language}\"><seg>{}</seg></tuv>",
            segment(&text)
        );
    }
    out.push_str("    </tu>\n");
}

fn prop(out: &mut String, indent: &str, kind: &str, value: &str) {
    let _ = writeln!(
        out,
        "{indent}<prop type=\"{kind}\">{}</prop>",
        attribute(value)
    );
}

/// Whether XML 1.0 allows `c` in a document at all.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn escape(text: &str, forbidden: impl Fn(&mut String, char)) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c if !allowed_in_xml(c) => forbidden(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for an attribute or a prop: forbidden characters become U+FFFD.
fn attribute(text: &str) -> String {
    escape(text, |out, _| out.push('\u{FFFD}'))
}

/// Escapes a segment's text: forbidden characters become `<ph>` elements naming them.
fn segment(text: &str) -> String {
    escape(text, |out, c| {
        let _ = write!(out, "<ph type=\"x-passeur-char\">U+{:04X}</ph>", c as u32);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_become_placeholders() {
        assert_eq!(
            segment("a\u{1}b<&>\"'\u{FFFF}\r"),
            "a<ph type=\"x-passeur-char\">U+0001</ph>b&lt;&amp;&gt;&quot;&apos;\
             <ph type=\"x-passeur-char\">U+FFFF</ph>&#13;"
        );
        assert_eq!(attribute("x\u{8}y"), "x\u{FFFD}y");
    }
}
