//! The page in English (`--format page`): for an HTML source, the same page with its text
//! translated; for other sources, a plain English page.
//!
//! # An HTML source
//!
//! The source is copied byte for byte, except:
//! * the text of each translated unit: the source text between two consecutive inline tags
//!   ([`Slot`]) is replaced by the English the [markup placement](crate::document::markup) put
//!   between the same two tags, HTML-escaped; the tags themselves, and everything outside the
//!   units (scripts, styles, comments, `pre`, `code`, `translate="no"`…), are never touched, so
//!   the page keeps exactly its elements and attributes;
//! * translated attribute values (`alt`, `title`), written back double-quoted;
//! * `lang`: `<html>` gets `lang="en"` (added if missing, and `<html lang="en">` written when the
//!   page has no `<html>` tag), and every `lang`/`xml:lang` naming French becomes `en`;
//! * provenance: `<meta name="generator">` (passeur and its version), `passeur-model`,
//!   `passeur-revision`, `passeur-decoding` and `passeur-source-language`, at the end of the
//!   head (after any charset declaration);
//! * the output is UTF-8; when the page does not declare UTF-8 (a Windows-1252 page, or none
//!   declared), it starts with a UTF-8 byte-order mark, which browsers obey before any `<meta>`,
//!   so the declaration can stay as it was.
//!
//! Whitespace inside translated text follows the English (the source's line breaks there are
//! not kept); whitespace around units is the source's. Line endings are those of the decoded
//! source (CRLF was normalised to LF on input).

use crate::bilingual::Bilingual;
use crate::document::{BlockKind, Slot, Unit, UnitPlace};
use crate::html::{Dom, Element, NodeData};
use std::fmt::Write;
use std::ops::Range;

/// Renders `bilingual` as a page in English.
pub fn render(bilingual: &Bilingual) -> String {
    match &bilingual.document.html {
        Some(html) => Rewrite::new(bilingual, &html.dom, false).page(),
        None => plain_page(bilingual),
    }
}

/// Renders an HTML fragment (`<p>Le <b>texte</b></p>`, as a LibreTranslate client sends it) in
/// English: the same markup with its text translated, and nothing added (no byte-order mark, no
/// provenance `<meta>`, no `lang`). A document that is not HTML gives its English text.
pub fn render_fragment(bilingual: &Bilingual) -> String {
    match &bilingual.document.html {
        Some(html) => Rewrite::new(bilingual, &html.dom, true).page(),
        None => bilingual.english(),
    }
}

/// Edits of the source: replace each range by its text.
struct Rewrite<'a> {
    bilingual: &'a Bilingual,
    dom: &'a Dom,
    edits: Vec<(Range<usize>, String)>,
    /// A fragment: the text is translated and nothing is added.
    fragment: bool,
}

impl<'a> Rewrite<'a> {
    fn new(bilingual: &'a Bilingual, dom: &'a Dom, fragment: bool) -> Self {
        Rewrite {
            bilingual,
            dom,
            edits: Vec::new(),
            fragment,
        }
    }

    fn page(mut self) -> String {
        let html = self
            .bilingual
            .document
            .html
            .as_ref()
            .expect("an HTML document");
        let units = self
            .bilingual
            .document
            .blocks
            .iter()
            .flat_map(|b| &b.units)
            .zip(&html.units);
        for (unit, place) in units {
            match &place.place {
                UnitPlace::Attribute(span) => self.attribute(unit, span.clone()),
                UnitPlace::Text(slots) => self.text(unit, slots, place.content.clone()),
            }
        }
        if !self.fragment {
            self.languages();
            self.provenance();
        }
        let source = self.bilingual.source();
        let mut out = String::with_capacity(source.len() + source.len() / 4 + 3);
        if !self.fragment && !declares_utf8(self.dom) {
            out.push('\u{feff}');
        }
        let mut edits = std::mem::take(&mut self.edits);
        edits.sort_by_key(|(range, _)| range.start);
        let parts = match &html.article {
            Some(layout) => self.article_parts(layout),
            None => std::iter::once(0..source.len()).collect(),
        };
        let mut edits = edits.into_iter().peekable();
        for part in &parts {
            let mut at = part.start;
            while let Some((range, text)) = edits
                .next_if(|(r, _)| r.start < part.end || r.start == part.end && r.end == part.end)
            {
                // Edits never overlap by construction; one that would, or that straddles a part,
                // is left out, not half-applied.
                if range.start < at || range.end > part.end {
                    continue;
                }
                out.push_str(&source[at..range.start]);
                out.push_str(&text);
                at = range.end;
            }
            out.push_str(&source[at..part.end]);
        }
        if html.article.is_some() {
            out.push_str("\n</body>\n</html>\n");
        }
        out
    }

    /// With `--article`: the page up to the start of the body's content, then each part of the
    /// article as written, without what the layout removes.
    fn article_parts(&self, layout: &crate::article::ArticleLayout) -> Vec<Range<usize>> {
        let source_len = self.bilingual.source().len();
        let body_start = self
            .dom
            .find("body")
            .and_then(|b| self.dom.element(b))
            .and_then(|b| b.start_tag.as_ref().map(|s| s.end))
            .unwrap_or_else(|| self.head_end());
        let mut parts: Vec<Range<usize>> = std::iter::once(0..body_start.min(source_len)).collect();
        for &id in &layout.parts {
            let Some(e) = self.dom.element(id) else {
                continue;
            };
            let Some(start) = e.start_tag.as_ref().map(|s| s.start) else {
                continue;
            };
            let end = e
                .end_tag
                .as_ref()
                .map_or(e.content_end.unwrap_or(start), |s| s.end);
            if parts.last().is_some_and(|last| start < last.end) || end > source_len {
                continue;
            }
            // The part, with the removed ranges cut out.
            let mut at = start;
            for removed in layout
                .removed
                .iter()
                .filter(|r| r.start >= start && r.end <= end)
            {
                if removed.start >= at {
                    parts.push(at..removed.start);
                    at = removed.end;
                }
            }
            parts.push(at..end.max(at));
        }
        parts
    }

    /// The English of a unit, distributed over its slots.
    fn text(&mut self, unit: &Unit, slots: &[Slot], content: Range<usize>) {
        let mut texts = vec![String::new(); slots.len()];
        let mut slot = 0;
        for (k, sentence) in unit.sentences.iter().enumerate() {
            let english = &self.bilingual.target(sentence).text;
            if k > 0 && !sentence.line_break_before {
                // (A line break between sentences is a `<br>`, already among the tags.)
                texts[slot].push(' ');
            }
            let mut at = 0;
            for tag in &english.tags {
                if slot + 1 >= texts.len() {
                    // The tags do not match the unit's (never seen): keep the French.
                    return;
                }
                texts[slot].push_str(&english.text[at..tag.at]);
                at = tag.at;
                slot += 1;
            }
            texts[slot].push_str(&english.text[at..]);
        }
        if slot + 1 != slots.len() {
            return;
        }
        let mut carried = String::new();
        for (slot, text) in slots.iter().zip(texts) {
            if slot.verbatim {
                continue;
            }
            let text = std::mem::take(&mut carried) + &text;
            let ranges: Vec<Range<usize>> = slot
                .ranges
                .iter()
                .map(|r| r.start.max(content.start)..r.end.min(content.end))
                .filter(|r| r.start < r.end)
                .collect();
            if let Some((first, rest)) = ranges.split_first() {
                self.edits.push((first.clone(), escape(&text, false)));
                for range in rest {
                    self.edits.push((range.clone(), String::new()));
                }
            } else if text.is_empty() {
            } else if let Some(anchor) = slot.anchor {
                self.edits.push((anchor..anchor, escape(&text, false)));
            } else {
                carried = text;
            }
        }
        if !carried.trim().is_empty() {
            // No slot could take the last words (never seen): put them after the unit.
            self.edits
                .push((content.end..content.end, escape(&carried, false)));
        }
    }

    /// A translated attribute value, written back double-quoted.
    fn attribute(&mut self, unit: &Unit, span: Range<usize>) {
        let english = self
            .bilingual
            .unit_english(unit, &|target| target.text.text.clone());
        let source = self.bilingual.source().as_bytes();
        let quoted = span.start > 0
            && matches!(source[span.start - 1], b'"' | b'\'')
            && source.get(span.end) == Some(&source[span.start - 1]);
        let range = if quoted {
            span.start - 1..span.end + 1
        } else {
            span
        };
        self.edits
            .push((range, format!("\"{}\"", escape(&english, true))));
    }

    /// `lang="en"` on `<html>`; every French `lang` becomes `en`.
    fn languages(&mut self) {
        let source = self.bilingual.source();
        let html = self.dom.find("html");
        for id in self.dom.descendants(0) {
            let Some(element) = self.dom.element(id) else {
                continue;
            };
            for attr in &element.attributes {
                let name = &*attr.name.local;
                if name != "lang" && name != "xml:lang" {
                    continue;
                }
                let value = attr.value.trim().to_ascii_lowercase();
                let french = value == "fr" || value.starts_with("fr-");
                if let Some(span) = attr.value_span.clone() {
                    if french || (Some(id) == html && name == "lang") {
                        self.edits.push((span, "en".to_string()));
                    }
                }
            }
        }
        let html_tag = html
            .and_then(|id| self.dom.element(id))
            .and_then(|e| e.start_tag.clone().map(|span| (e, span)));
        match html_tag {
            Some((element, span)) => {
                let has_lang = element.attribute("lang").is_some();
                let named = source
                    .get(span.start..span.start + 5)
                    .is_some_and(|t| t.eq_ignore_ascii_case("<html"));
                if !has_lang && named {
                    let at = span.start + 5;
                    self.edits.push((at..at, " lang=\"en\"".to_string()));
                }
            }
            None => {
                let at = self.after_doctype();
                self.edits.push((at..at, "<html lang=\"en\">".to_string()));
            }
        }
    }

    fn after_doctype(&self) -> usize {
        self.dom
            .children(0)
            .find_map(|id| match &self.dom.nodes[id].data {
                NodeData::Doctype(Some(span)) => Some(span.end),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// The provenance `<meta>`s, at the end of the head.
    fn provenance(&mut self) {
        let provenance = &self.bilingual.provenance;
        let mut metas = String::new();
        let mut meta = |name: &str, content: &str| {
            let _ = write!(
                metas,
                "\n<meta name=\"{name}\" content=\"{}\">",
                escape(content, true)
            );
        };
        meta(
            "generator",
            &format!("passeur {}", provenance.passeur_version),
        );
        meta("passeur-model", &provenance.model);
        if let Some(revision) = &provenance.revision {
            meta("passeur-revision", revision);
        }
        meta("passeur-decoding", &provenance.decoding);
        meta("passeur-source-language", "fr");
        metas.push('\n');
        let at = self.head_end();
        self.edits.push((at..at, metas));
    }

    /// Where the head's content ends in the source.
    fn head_end(&self) -> usize {
        let element = |name| {
            self.dom
                .find(name)
                .and_then(|id| Some((id, self.dom.element(id)?)))
        };
        if let Some((head, element)) = element("head") {
            if let Some(end_tag) = &element.end_tag {
                return end_tag.start;
            }
            let last = self
                .dom
                .children(head)
                .filter_map(|c| self.dom.element(c))
                .filter_map(|e| e.end_tag.as_ref().or(e.start_tag.as_ref()))
                .map(|span| span.end)
                .max();
            if let Some(end) = last.or(element.start_tag.as_ref().map(|s| s.end)) {
                return end;
            }
        }
        element("html")
            .and_then(|(_, e)| e.start_tag.as_ref().map(|s| s.end))
            .unwrap_or_else(|| self.after_doctype())
    }
}

/// Whether the page declares UTF-8 in a `<meta>` (or UTF-16, which a meta reads as UTF-8).
fn declares_utf8(dom: &Dom) -> bool {
    dom.descendants(0)
        .filter_map(|id| dom.element(id))
        .filter(|e| e.html_name() == Some("meta"))
        .filter_map(|e: &Element| {
            e.attr("charset").map(str::to_string).or_else(|| {
                let content_type = e
                    .attr("http-equiv")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("content-type"));
                content_type
                    .then(|| e.attr("content"))
                    .flatten()
                    .and_then(crate::html::charset::charset_parameter)
                    .map(str::to_string)
            })
        })
        .filter_map(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()))
        .any(|e| {
            e == encoding_rs::UTF_8 || e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE
        })
}

/// A page holding the English of a text or Markdown source: headings, paragraphs, code.
fn plain_page(bilingual: &Bilingual) -> String {
    let provenance = &bilingual.provenance;
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">");
    let _ = write!(
        out,
        "\n<meta name=\"generator\" content=\"passeur {}\">\n<meta name=\"passeur-model\" content=\"{}\">",
        escape(&provenance.passeur_version, true),
        escape(&provenance.model, true)
    );
    if let Some(revision) = &provenance.revision {
        let _ = write!(
            out,
            "\n<meta name=\"passeur-revision\" content=\"{}\">",
            escape(revision, true)
        );
    }
    let _ = write!(
        out,
        "\n<meta name=\"passeur-decoding\" content=\"{}\">\n</head>\n<body>\n",
        escape(&provenance.decoding, true)
    );
    for block in &bilingual.document.blocks {
        if matches!(block.kind, BlockKind::Code | BlockKind::Verbatim) {
            let code = &bilingual.source()[block.range.clone()];
            let _ = writeln!(out, "<pre>{}</pre>", escape(code, false));
            continue;
        }
        for unit in &block.units {
            let english = bilingual.unit_english(unit, &|t| t.text.text.clone());
            let tag = match block.kind {
                BlockKind::Heading { level } => format!("h{}", level.clamp(1, 6)),
                BlockKind::Quote => "blockquote".to_string(),
                _ => "p".to_string(),
            };
            let _ = writeln!(out, "<{tag}>{}</{tag}>", escape(&english, false));
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes `&`, `<`, `>` (and both quotes in attribute values).
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
