//! Which encoding a web page declares: `<meta charset>`, `<meta http-equiv="Content-Type">`, or
//! the `charset` parameter of an HTTP `Content-Type` header.
//!
//! The page's head is tokenized (html5gum, with script and style contents skipped as browsers
//! skip them) until `<body>`, the first element that cannot be in a head, or [`PRESCAN_BYTES`];
//! the first declaration whose label names an encoding wins. As the HTML standard says, a page
//! declaring UTF-16 in a meta is read as UTF-8 (a meta could not be read at all if the page were
//! UTF-16) and `x-user-defined` as Windows-1252.

use encoding_rs::Encoding;
use html5gum::{DefaultEmitter, Token, Tokenizer};

/// How far into a page a charset declaration is looked for.
pub(crate) const PRESCAN_BYTES: usize = 64 * 1024;

/// The encoding the page's `<meta>` elements declare, if any.
pub(crate) fn declared_in_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    for token in Tokenizer::new_with_emitter(head, emitter).flatten() {
        let Token::StartTag(tag) = token else {
            continue;
        };
        let name = tag.name.as_slice();
        if name == b"meta" {
            let attr = |key: &str| {
                tag.attributes
                    .get(key.as_bytes())
                    .map(|v| String::from_utf8_lossy(&v.value).into_owned())
            };
            let label = attr("charset").or_else(|| {
                let is_content_type = attr("http-equiv")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("content-type"));
                is_content_type
                    .then(|| attr("content"))
                    .flatten()
                    .and_then(|content| charset_parameter(&content).map(str::to_string))
            });
            if let Some(encoding) = label.and_then(|l| meta_encoding(&l)) {
                return Some(encoding);
            }
        } else if !matches!(
            name,
            b"html"
                | b"head"
                | b"title"
                | b"base"
                | b"link"
                | b"style"
                | b"script"
                | b"noscript"
                | b"template"
        ) {
            return None;
        }
    }
    None
}

/// The encoding a label names, as a meta declaration reads it (UTF-16 → UTF-8,
/// x-user-defined → Windows-1252).
fn meta_encoding(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    Some(
        if encoding == encoding_rs::UTF_16BE || encoding == encoding_rs::UTF_16LE {
            encoding_rs::UTF_8
        } else if encoding == encoding_rs::X_USER_DEFINED {
            encoding_rs::WINDOWS_1252
        } else {
            encoding
        },
    )
}

/// The encoding named by the `charset` parameter of a `Content-Type` value such as
/// `text/html; charset=ISO-8859-1`.
pub(crate) fn declared_in_content_type(content_type: &str) -> Option<&'static Encoding> {
    charset_parameter(content_type).and_then(|label| Encoding::for_label(label.trim().as_bytes()))
}

/// The value after `charset=` in `content` (the HTML standard's "extracting a character encoding
/// from a meta element", which also reads HTTP headers): quoted, or up to whitespace or `;`.
pub(crate) fn charset_parameter(content: &str) -> Option<&str> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = from + lower[from..].find("charset")?;
        let mut rest = content[at + "charset".len()..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            from = at + "charset".len();
            continue;
        };
        rest = after_equals.trim_start();
        return match rest.chars().next()? {
            quote @ ('"' | '\'') => {
                let inner = &rest[1..];
                inner.find(quote).map(|end| &inner[..end])
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_ascii_whitespace() || c == ';')
                    .unwrap_or(rest.len());
                Some(&rest[..end]).filter(|v| !v.is_empty())
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations() {
        let found = |html: &str| declared_in_meta(html.as_bytes()).map(|e| e.name());
        assert_eq!(
            found("<meta charset=windows-1252><p>é"),
            Some("windows-1252")
        );
        assert_eq!(
            found("<head><script>var s = '<meta charset=utf-8>';</script><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-15\">"),
            Some("ISO-8859-15")
        );
        assert_eq!(found("<meta charset=utf-16le>"), Some("UTF-8"));
        assert_eq!(found("<body><meta charset=latin1>"), None, "too late");
        assert_eq!(found("<meta charset=klingon>"), None);
        assert_eq!(
            charset_parameter("text/html;charset = \"UTF-8\""),
            Some("UTF-8")
        );
        assert_eq!(
            charset_parameter("text/html; charsetx; charset=utf-8;"),
            Some("utf-8")
        );
        assert_eq!(charset_parameter("text/html"), None);
    }
}
