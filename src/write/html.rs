//! Side-by-side HTML: one self-contained page (inline CSS and script, no external asset), UTF-8,
//! French and English in two columns. Each paragraph, heading or list item is one row of a
//! two-column grid whose columns have the same width on every row (`minmax(0, 1fr)`), so the
//! French and English of a unit start on the same line and the English column keeps one left
//! edge; a quote is one row. On a narrow screen (under 48em) the columns stack, each French unit
//! above its English. Long words and URLs wrap anywhere rather than widen the page (no horizontal
//! scrolling on a phone). Dark mode follows the reader's system (`prefers-color-scheme`), and a
//! print stylesheet drops the interactive highlighting.
//!
//! The `<title>` is the English of the first heading; in plain text (no headings), of the first
//! headline: a line standing alone as its own paragraph, not a breadcrumb or a header block of
//! several lines. The header says how many sentences were translated, copied, recovered and
//! flagged, and explains the marks.
//!
//! Every sentence is a `<span class="s">` with an id (`fr-N`, `en-N`, N its index in the
//! document) and a `data-pair` attribute naming its counterpart; it is keyboard-focusable, and
//! hovering or focusing it highlights it and its counterpart (a small inline script; without
//! script, the sentence itself still highlights). Passthrough sentences have class `pt`; flagged
//! ones class `flag`, a `⚠` after them and their reasons as a tooltip (`title`).
//!
//! Headings become `<h1>`–`<h6>`, list items paragraphs with their marker, quotes
//! `<blockquote>`, code `<pre><code>` across both columns. Links keep their URL when it is
//! `http`, `https`, `mailto` or relative (other schemes, such as `javascript:`, lose the link and
//! keep the text); images are links to the image, never loaded.
//!
//! Provenance: `<meta name="generator">`, `<meta name="passeur-model">`, `passeur-revision`,
//! `passeur-decoding`, and a line in the page header. Text is escaped (`& < >`, and `"` `'` in
//! attributes); C0 control characters are shown as their Unicode control pictures (U+2400…),
//! C1 controls as U+FFFD.

use crate::bilingual::Bilingual;
use crate::document::{Block, BlockKind, InlineText, SourceSentence, Unit, UnitKind};
use crate::verdict::{Defect, Verdict};
use std::fmt::Write;

const STYLE: &str = r#"
:root { color-scheme: light dark; --flag: #b03a2e; --rule: #8884; }
@media (prefers-color-scheme: dark) { :root { --flag: #ff8f80; } }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0 auto; max-width: 80rem; padding: 0 1rem 3rem; overflow-wrap: anywhere;
  font: 1.05rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { padding: 1rem 0 .75rem; border-bottom: 1px solid var(--rule); margin-bottom: .5rem; }
header p { margin: .25rem 0; font-size: .85rem; color: GrayText; }
.block { margin: 0 0 1rem; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 2rem; }
.row > div > * { margin: 0 0 .35rem; }
.row h1, .row h2, .row h3, .row h4, .row h5, .row h6 { line-height: 1.25; margin-top: .5rem; }
.labels { font-weight: 600; color: GrayText; position: sticky; top: 0; background: Canvas;
  padding: .35rem 0; margin-bottom: .5rem; border-bottom: 1px solid var(--rule); }
.full { display: block; }
.li .mk { color: GrayText; }
.s { border-radius: .2rem; }
.s:focus { outline: 2px solid Highlight; }
.s:hover, .s:focus, .s.hl { background: Mark; color: MarkText; }
.pt { color: GrayText; }
.flag { text-decoration: underline wavy var(--flag); text-decoration-skip-ink: none; }
.flag::after { content: " ⚠"; color: var(--flag); }
blockquote { margin: 0 0 .35rem; padding-left: 1rem; border-left: .25rem solid var(--rule); }
pre { white-space: pre-wrap; padding: .5rem; border: 1px solid var(--rule); border-radius: .25rem; }
@media (max-width: 48em) {
  .row { grid-template-columns: minmax(0, 1fr); }
  .row .en { border-left: .25rem solid Highlight; padding-left: .75rem; margin-bottom: .5rem; }
  .labels { display: none; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .row { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 1.5rem; }
  .row .en { border-left: 0; padding-left: 0; margin-bottom: 0; }
  .labels { display: grid; position: static; }
  .row, blockquote, pre { break-inside: avoid; }
  .s:hover, .s:focus, .s.hl { background: none; color: inherit; outline: none; }
  a { color: inherit; }
}
"#;

const SCRIPT: &str = r#"
(function () {
  function mark(event, on) {
    var s = event.target.closest ? event.target.closest("[data-pair]") : null;
    if (!s) return;
    s.classList.toggle("hl", on);
    var other = document.getElementById(s.getAttribute("data-pair"));
    if (other) other.classList.toggle("hl", on);
  }
  document.addEventListener("mouseover", function (e) { mark(e, true); });
  document.addEventListener("mouseout", function (e) { mark(e, false); });
  document.addEventListener("focusin", function (e) { mark(e, true); });
  document.addEventListener("focusout", function (e) { mark(e, false); });
})();
"#;

/// Renders `bilingual` as a self-contained HTML page.
pub fn render(bilingual: &Bilingual) -> String {
    let provenance = &bilingual.provenance;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let generator = format!("passeur {}", provenance.passeur_version);
    meta(&mut out, "generator", &generator);
    meta(&mut out, "passeur-model", &provenance.model);
    if let Some(revision) = &provenance.revision {
        meta(&mut out, "passeur-revision", revision);
    }
    meta(&mut out, "passeur-decoding", &provenance.decoding);
    let _ = writeln!(out, "<title>{}</title>", text(&title(bilingual)));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<header>");
    let revision = provenance
        .revision
        .as_deref()
        .map(|r| format!(" (revision {r})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<p>Translated from French by {} with {}{} — {}.</p>",
        text(&generator),
        text(&provenance.model),
        text(&revision),
        text(&provenance.decoding)
    );
    let _ = writeln!(out, "<p>{}</p>", counts(&bilingual.stats));
    let _ = writeln!(out, "<p class=\"legend\">{}</p>", legend(&bilingual.stats));
    out.push_str("</header>\n<main>\n");
    out.push_str(
        "<div class=\"row labels\"><div lang=\"fr\">Français</div><div>English</div></div>\n",
    );
    for (index, block) in bilingual.document.blocks.iter().enumerate() {
        render_block(&mut out, bilingual, block, index);
    }
    let _ = write!(
        out,
        "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

fn meta(out: &mut String, name: &str, content: &str) {
    let _ = writeln!(
        out,
        "<meta name=\"{name}\" content=\"{}\">",
        attribute(content)
    );
}

/// `12 sentences: 10 translated, 2 copied unchanged, 1 recovered, 1 flagged as doubtful.`
fn counts(stats: &crate::TranslationStats) -> String {
    let split_sentences = stats.split_sentences;
    let stats = &stats.verdicts;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if stats.sentences == 0 {
        return "Nothing to translate: the input has no sentences.".to_string();
    }
    let mut line = format!(
        "{}: {} translated, {} copied unchanged, {} recovered after a defect, {} flagged as doubtful",
        plural(stats.sentences, "sentence", "sentences"),
        stats.translated,
        stats.passthrough,
        stats.recovered,
        stats.flagged
    );
    if split_sentences > 0 {
        line.push_str(&format!(
            "; {} translated in pieces",
            plural(split_sentences, "long sentence", "long sentences")
        ));
    }
    line.push('.');
    line
}

/// What the marks mean.
fn legend(stats: &crate::TranslationStats) -> String {
    let stats = &stats.verdicts;
    let mut legend = String::from(
        "Hover over or focus a sentence to highlight its counterpart. \
         <span class=\"pt\">Grey</span>: copied unchanged (numbers, dates, addresses, code).",
    );
    if stats.flagged > 0 {
        legend.push_str(
            " <span class=\"flag\">Wavy underline</span>: flagged as doubtful by the fidelity \
             check; hover over or focus it for the reason.",
        );
    }
    legend
}

/// The English of the first heading, else of the first headline, else of the first sentence;
/// else a generic title.
fn title(bilingual: &Bilingual) -> String {
    let blocks = &bilingual.document.blocks;
    let heading = blocks
        .iter()
        .find(|b| matches!(b.kind, BlockKind::Heading { .. }))
        .and_then(|b| b.units.first())
        .and_then(|u| u.sentences.first());
    let first = heading
        .or_else(|| blocks.iter().find_map(|b| headline(bilingual, b)))
        .or_else(|| bilingual.document.sentences().next());
    match first {
        Some(sentence) => {
            // At most 70 characters, as search engines and validators expect of a title.
            let english = bilingual.target(sentence).text.text.trim();
            if english.chars().count() <= 70 {
                english.to_string()
            } else {
                let short: String = english.chars().take(69).collect();
                format!("{}…", short.trim_end())
            }
        }
        None => "Translation".to_string(),
    }
}

/// The block's sentence when the block is a headline: one line of prose of a few words, alone
/// in its paragraph, translated (not copied), without final sentence punctuation.
fn headline<'a>(bilingual: &Bilingual, block: &'a Block) -> Option<&'a SourceSentence> {
    let [unit] = block.units.as_slice() else {
        return None;
    };
    let [sentence] = unit.sentences.as_slice() else {
        return None;
    };
    let text = sentence.text.text.trim();
    let words = text.split_whitespace().count();
    let is_headline = block.kind == BlockKind::Paragraph
        && unit.kind == UnitKind::Text
        && (3..=25).contains(&words)
        && !text.contains('\n')
        && !text.ends_with(['.', ':', ';', ','])
        && bilingual.target(sentence).verdict != crate::verdict::Verdict::Passthrough;
    is_headline.then_some(sentence)
}

fn render_block(out: &mut String, bilingual: &Bilingual, block: &Block, index: usize) {
    let source = &bilingual.source()[block.range.clone()];
    match block.kind {
        BlockKind::Code => {
            let _ = writeln!(
                out,
                "<div class=\"row full\" id=\"b{index}\"><pre><code>{}</code></pre></div>",
                text(source)
            );
        }
        BlockKind::Verbatim if is_thematic_break(source) => out.push_str("<hr>\n"),
        BlockKind::Verbatim => {
            let _ = writeln!(
                out,
                "<div class=\"row full\" id=\"b{index}\"><pre>{}</pre></div>",
                text(source)
            );
        }
        BlockKind::Quote => {
            let _ = writeln!(out, "<div class=\"block\" id=\"b{index}\">");
            render_row(out, bilingual, &block.units, true);
            out.push_str("</div>\n");
        }
        _ => {
            // One row per unit: a paragraph, a heading, a list item.
            let _ = writeln!(out, "<div class=\"block\" id=\"b{index}\">");
            for unit in &block.units {
                render_row(out, bilingual, std::slice::from_ref(unit), false);
            }
            out.push_str("</div>\n");
        }
    }
}

/// One row: the French of `units` in the left cell, their English in the right one.
fn render_row(out: &mut String, bilingual: &Bilingual, units: &[Unit], quoted: bool) {
    out.push_str("<div class=\"row\">\n");
    for english in [false, true] {
        let language = if english { "en" } else { "fr" };
        let _ = write!(out, "<div class=\"{language}\" lang=\"{language}\">");
        if quoted {
            out.push_str("<blockquote>");
        }
        for unit in units {
            render_unit(out, bilingual, unit, english);
        }
        if quoted {
            out.push_str("</blockquote>");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n");
}

fn is_thematic_break(source: &str) -> bool {
    let marks: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|m| marks.chars().all(|c| c.to_string() == *m))
}

fn render_unit(out: &mut String, bilingual: &Bilingual, unit: &Unit, english: bool) {
    let (open, close) = match unit.kind {
        UnitKind::Heading { level } => (format!("<h{level}>"), format!("</h{level}>")),
        UnitKind::ListItem => {
            let marker = bilingual.source()[unit.marker.clone()]
                .trim_start_matches(|c: char| c == '>' || c.is_whitespace())
                .trim_end()
                .replace("[ ]", "☐")
                .replace("[x]", "☑")
                .replace("[X]", "☑");
            let open = format!(
                "<p class=\"li\"><span class=\"mk\">{}</span> ",
                text(&marker)
            );
            (open, "</p>".to_string())
        }
        UnitKind::Text => ("<p>".to_string(), "</p>".to_string()),
    };
    out.push_str(&open);
    for (i, sentence) in unit.sentences.iter().enumerate() {
        if i > 0 {
            out.push_str(if sentence.line_break_before {
                "<br>\n"
            } else {
                " "
            });
        }
        render_sentence(out, bilingual, sentence, english);
    }
    out.push_str(&close);
    out.push('\n');
}

fn render_sentence(
    out: &mut String,
    bilingual: &Bilingual,
    sentence: &SourceSentence,
    english: bool,
) {
    let target = bilingual.target(sentence);
    let (side, other, content) = if english {
        ("en", "fr", &target.text)
    } else {
        ("fr", "en", &sentence.text)
    };
    let index = sentence.index;
    let mut classes = String::from("s");
    if target.verdict == Verdict::Passthrough {
        classes.push_str(" pt");
    }
    let mut tooltip = String::new();
    let flags = target.verdict.flags();
    if english && !flags.is_empty() {
        classes.push_str(" flag");
        let reasons: Vec<String> = flags.iter().map(Defect::to_string).collect();
        let codes: Vec<&str> = flags.iter().map(Defect::code).collect();
        tooltip = format!(
            " title=\"{}\" data-flags=\"{}\"",
            attribute(&reasons.join("; ")),
            attribute(&codes.join(" "))
        );
    }
    let _ = write!(
        out,
        "<span class=\"{classes}\" id=\"{side}-{index}\" data-pair=\"{other}-{index}\" \
         tabindex=\"0\"{tooltip}>"
    );
    inline(out, content);
    out.push_str("</span>");
}

fn inline(out: &mut String, content: &InlineText) {
    let mut at = 0;
    for link in &content.links {
        out.push_str(&text(&content.text[at..link.range.start]));
        let label = text(&content.text[link.range.clone()]);
        let url = link.url();
        if is_safe_url(url) {
            let class = if link.image { " class=\"img\"" } else { "" };
            let _ = write!(out, "<a href=\"{}\"{class}>{label}</a>", attribute(url));
        } else {
            out.push_str(&label);
        }
        at = link.range.end;
    }
    out.push_str(&text(&content.text[at..]));
}

/// `http`, `https`, `mailto` or a relative URL.
fn is_safe_url(url: &str) -> bool {
    let scheme_end = url.find([':', '/', '?', '#']);
    match scheme_end {
        Some(i) if url[i..].starts_with(':') => {
            matches!(
                url[..i].to_ascii_lowercase().as_str(),
                "http" | "https" | "mailto"
            )
        }
        _ => !url.trim().is_empty(),
    }
}

fn escape(value: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1F}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}')),
            '\u{7F}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9F}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text content.
fn text(value: &str) -> String {
    escape(value, false)
}

/// Escapes an attribute value (double-quoted).
fn attribute(value: &str) -> String {
    escape(value, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_schemes_lose_their_link() {
        assert!(is_safe_url("https://example.fr/a"));
        assert!(is_safe_url("MAILTO:a@b.fr"));
        assert!(is_safe_url("../autre/page.html#x"));
        assert!(is_safe_url("page?a=b:c"));
        assert!(!is_safe_url("javascript:alert(1)"));
        assert!(!is_safe_url("data:text/html,<b>"));
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(
            text("a\u{1}b\u{7f}\u{85}<"),
            "a\u{2401}b\u{2421}\u{FFFD}&lt;"
        );
        assert_eq!(attribute("\"'&"), "&quot;&#39;&amp;");
    }
}
