//! Web pages in: HTML bytes decoded (declared charset), parsed into a tree whose every node
//! knows its place in the source, and the elements sorted by what translation does with them.
//!
//! * [`decode`]: bytes → text. A byte-order mark wins, then `--encoding`, then the charset of an
//!   HTTP `Content-Type` header, then the page's `<meta charset>` or `<meta http-equiv>`
//!   (`charset`), then the rules of [`crate::input`] (valid UTF-8, else a guess).
//! * [`parse`]: text → [`Dom`], with html5gum's tokenizer (which reports byte spans) feeding
//!   html5ever's tree builder (the HTML standard's tree construction). No recursion anywhere, and
//!   nesting beyond `MAX_DEPTH` is flattened, so any input parses in bounded stack and time.
//! * [`role`]: what an element is to the translator (a block, inline markup, something never
//!   translated).
//!
//! The document layer ([`crate::document`]) turns the tree into blocks and sentences; the page
//! writer ([`crate::write::page`]) writes the English back into the source.

pub(crate) mod charset;
mod dom;
mod parse;

pub use dom::{Attr, Descendants, Dom, Element, Node, NodeData, NodeId, Text, TextPiece};
pub(crate) use parse::checkpoints;
pub use parse::parse;

use crate::input::{self, DecodedText, Detection};
use crate::Result;
use encoding_rs::Encoding;

/// Decodes a web page (see the module docs for the order of the rules). `input_name` names it in
/// messages; `forced` is `--encoding`; `content_type` is the HTTP header, for a downloaded page.
pub fn decode(
    bytes: &[u8],
    input_name: &str,
    forced: Option<&'static Encoding>,
    content_type: Option<&str>,
) -> Result<DecodedText> {
    let has_bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF]);
    if has_bom || forced.is_some() {
        return input::decode(bytes, input_name, forced);
    }
    let declared = content_type
        .and_then(charset::declared_in_content_type)
        .or_else(|| charset::declared_in_meta(bytes));
    match declared {
        Some(encoding) => {
            let mut decoded = input::decode(bytes, input_name, Some(encoding))?;
            decoded.detection = Detection::Declared;
            Ok(decoded)
        }
        None => input::decode(bytes, input_name, None),
    }
}

/// Whether `text` looks like an HTML page: after leading whitespace, it starts with a doctype,
/// `<html`, `<head`, `<body`, `<meta` or a comment followed by one of them.
pub fn looks_like_html(text: &str) -> bool {
    let mut rest = text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r', '\x0c']);
    // Skip leading comments (`<!-- saved from url=… -->`).
    while let Some(after) = rest.strip_prefix("<!--") {
        match after.find("-->") {
            Some(end) => rest = after[end + 3..].trim_start(),
            None => return false,
        }
    }
    let head: String = rest
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    ["<!doctype html", "<html", "<head", "<body", "<meta"]
        .iter()
        .any(|p| head.starts_with(p))
}

/// What an element is to the translator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Never translated and never entered: scripts, styles, templates, SVG and MathML, media,
    /// form fields, embedded documents, the head's metadata.
    Skip,
    /// Preformatted text: kept as it is (a code block).
    Preformatted,
    /// Text-level markup (`a`, `em`, `strong`, `span`…): part of the sentence around it.
    Inline,
    /// A text-level element whose content is kept as it is (`code`, `kbd`, `samp`, `var`).
    InlineVerbatim,
    /// An element without content inside text (`br`, `img`, `wbr`…).
    InlineVoid,
    /// Anything else: a block, whose text is translated on its own.
    Block,
}

/// The role of the HTML element named `name` (other namespaces: [`Role::Skip`]).
pub fn role(name: Option<&str>) -> Role {
    let Some(name) = name else {
        return Role::Skip;
    };
    match name {
        "script" | "style" | "template" | "noscript" | "iframe" | "object" | "embed" | "canvas"
        | "video" | "audio" | "textarea" | "select" | "datalist" | "meta" | "link" | "base"
        | "head" | "param" | "source" | "track" | "map" | "area" | "svg" | "math" | "frameset"
        | "noembed" | "noframes" | "input" | "progress" | "meter" => Role::Skip,
        "pre" | "listing" | "xmp" | "plaintext" => Role::Preformatted,
        "code" | "kbd" | "samp" | "var" | "tt" => Role::InlineVerbatim,
        "br" | "img" | "wbr" | "picture" => Role::InlineVoid,
        "a" | "abbr" | "acronym" | "b" | "bdi" | "bdo" | "big" | "cite" | "data" | "del"
        | "dfn" | "em" | "font" | "i" | "ins" | "label" | "mark" | "nobr" | "q" | "s" | "small"
        | "span" | "strike" | "strong" | "sub" | "sup" | "time" | "u" | "output" | "button"
        | "ruby" | "rb" | "rt" | "rp" => Role::Inline,
        _ => Role::Block,
    }
}

/// Whether `element` asks not to be translated: `translate="no"`, the `notranslate` class, or a
/// `lang` attribute naming a language other than French.
pub(crate) fn keeps_its_language(element: &Element) -> bool {
    let no_translate = element
        .attr("translate")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"));
    let class = element
        .attr("class")
        .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "notranslate"));
    let foreign = element.attr("lang").is_some_and(|lang| {
        let lang = lang.trim().to_ascii_lowercase();
        !lang.is_empty() && lang != "fr" && !lang.starts_with("fr-")
    });
    no_translate || class || foreign
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_from_its_start() {
        assert!(looks_like_html("\n<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(
            "<!-- saved from url=(0014)about:internet -->\n<HTML>"
        ));
        assert!(looks_like_html("<meta charset=utf-8><p>x"));
        assert!(!looks_like_html("Le <b>gras</b> est dans le texte."));
        assert!(!looks_like_html("<!-- pas fini"));
    }

    #[test]
    fn declared_charset_decides() {
        let page = b"<meta charset=windows-1252><p>caf\xe9 \x80</p>";
        let decoded = decode(page, "p.html", None, None).unwrap();
        assert!(decoded.text.contains("café €"));
        assert_eq!(decoded.detection, Detection::Declared);
        let header = decode(
            "<p>café</p>".as_bytes(),
            "u",
            None,
            Some("text/html; charset=utf-8"),
        );
        assert_eq!(header.unwrap().encoding, encoding_rs::UTF_8);
    }
}
