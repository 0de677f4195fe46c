//! Inline text: what the segmenter and the model see of a unit, and how it maps back to the source.
//!
//! A unit's content may be interrupted by bytes that are not text: the `> ` of each quoted line,
//! the indentation of continuation lines, and in Markdown the syntax of links (`[`, `](url)`).
//! A [`Projection`] is the unit's text without them, line breaks kept (the segmenter needs them),
//! with a piecewise map back to source byte offsets. A sentence's [`InlineText`] is then its
//! projected text *unwrapped* (every whitespace run that holds a line break becomes one space) with
//! the links it contains.

use std::ops::Range;

/// Text with the links it holds: a sentence as the model sees it, or a translation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InlineText {
    /// The text, without link syntax.
    pub text: String,
    /// Links, in order and not overlapping; each covers a byte range of `text`.
    pub links: Vec<Link>,
    /// The inline markup of an HTML source (`<a>`, `<em>`, `<br>`, comments…) as boundaries
    /// between characters, in source order; empty for text and Markdown. In a translation, the
    /// same boundaries in the same order, placed in the English (see
    /// `crate::document::markup`).
    pub tags: Vec<Tag>,
}

/// One boundary of inline HTML markup inside an [`InlineText`]: an element's start or end, or an
/// element or comment with nothing to translate inside (`<br>`, `<img>`, `<!-- -->`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Byte offset in the owning [`InlineText::text`]: the boundary sits before the character
    /// there.
    pub at: usize,
    /// The node of the page the boundary belongs to (an index into the page's
    /// [`Dom`](crate::html::Dom)).
    pub node: usize,
    /// Which boundary it is.
    pub kind: TagKind,
}

/// What a [`Tag`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// An element starts.
    Open,
    /// An element ends.
    Close,
    /// An element or comment with nothing translated inside it.
    Void,
    /// An element whose content is kept as it is (`<code>`, `translate="no"`) starts; the text up
    /// to its [`TagKind::VerbatimClose`] is that content in backticks, as the model sees it.
    VerbatimOpen,
    /// The end of a [`TagKind::VerbatimOpen`] element.
    VerbatimClose,
}

impl TagKind {
    /// Whether the boundary starts an element.
    pub fn opens(self) -> bool {
        matches!(self, TagKind::Open | TagKind::VerbatimOpen)
    }

    /// Whether the boundary ends an element.
    pub fn closes(self) -> bool {
        matches!(self, TagKind::Close | TagKind::VerbatimClose)
    }
}

/// A Markdown link or image inside an [`InlineText`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link text's byte range in the owning [`InlineText::text`].
    pub range: Range<usize>,
    /// What stood between the parentheses in the source: the URL and an optional title, as written.
    pub destination: String,
    /// Whether it is an image (`![alt](src)`).
    pub image: bool,
}

impl Link {
    /// The URL alone: the destination without angle brackets and without its title.
    pub fn url(&self) -> &str {
        let destination = self.destination.trim();
        if let Some(rest) = destination.strip_prefix('<') {
            return rest.split('>').next().unwrap_or(rest);
        }
        destination.split_whitespace().next().unwrap_or("")
    }
}

impl InlineText {
    /// Text without links.
    pub fn plain(text: impl Into<String>) -> Self {
        InlineText {
            text: text.into(),
            links: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The text with its links written back in Markdown syntax (`[text](destination)`).
    ///
    /// ```
    /// use passeur::document::{InlineText, Link};
    /// let text = InlineText {
    ///     text: "Read the report.".to_string(),
    ///     links: vec![Link { range: 9..15, destination: "https://example.org".into(), image: false }],
    ///     tags: Vec::new(),
    /// };
    /// assert_eq!(text.to_markdown(), "Read the [report](https://example.org).");
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for link in &self.links {
            out.push_str(&self.text[at..link.range.start]);
            if link.image {
                out.push('!');
            }
            out.push('[');
            out.push_str(&self.text[link.range.clone()]);
            out.push_str("](");
            out.push_str(&link.destination);
            out.push(')');
            at = link.range.end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// A link found in a projection.
#[derive(Debug, Clone)]
pub(crate) struct ProjectedLink {
    /// The link text's range in the projected text.
    pub text: Range<usize>,
    /// The whole link's range in the source, `[` to `)`.
    pub source: Range<usize>,
    pub destination: String,
    pub image: bool,
}

/// A contiguous run of projected text copied from the source.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    projected: usize,
    source: usize,
}

/// A unit's text without container prefixes and link syntax, mapped back to the source.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    pub text: String,
    chunks: Vec<Chunk>,
    pub links: Vec<ProjectedLink>,
}

impl Projection {
    /// Projects the content `lines` of a unit of `source` (ranges as produced by the block
    /// parser), parsing inline links when `markdown` is set.
    pub(super) fn build(source: &str, lines: &[Range<usize>], markdown: bool) -> Projection {
        let mut projection = Projection::default();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                // The newline that ended the previous line is at its end in the source.
                let newline = lines[i - 1].end;
                let newline = newline + source[newline..].find('\n').unwrap_or(0);
                projection.copy(source, newline..newline + 1);
            }
            if markdown {
                projection.copy_with_links(source, line.clone());
            } else {
                projection.copy(source, line.clone());
            }
        }
        projection
    }

    fn copy(&mut self, source: &str, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        self.chunks.push(Chunk {
            projected: self.text.len(),
            source: range.start,
        });
        self.text.push_str(&source[range]);
    }

    fn copy_with_links(&mut self, source: &str, line: Range<usize>) {
        let mut at = line.start;
        let mut search = line.start;
        while let Some(found) = source[search..line.end].find('[') {
            let open = search + found;
            let escaped = open > line.start && source.as_bytes()[open - 1] == b'\\';
            match (!escaped)
                .then(|| parse_link(source, open, line.end))
                .flatten()
            {
                Some(link) => {
                    let image = open > line.start && source.as_bytes()[open - 1] == b'!';
                    let start = if image { open - 1 } else { open };
                    self.copy(source, at..start);
                    let text_start = self.text.len();
                    self.copy(source, link.text.clone());
                    self.links.push(ProjectedLink {
                        text: text_start..self.text.len(),
                        source: start..link.end,
                        destination: link.destination,
                        image,
                    });
                    at = link.end;
                    search = link.end;
                }
                None => search = open + 1,
            }
        }
        self.copy(source, at..line.end);
    }

    /// Source offset of the projected offset `at`, a character start.
    pub(super) fn source_start(&self, at: usize) -> usize {
        let chunk = self.chunk_at(at);
        chunk.source + (at - chunk.projected)
    }

    /// Source offset just after the character that ends before projected offset `at`.
    pub(super) fn source_end(&self, at: usize) -> usize {
        if at == 0 {
            return self.source_start(0);
        }
        let last_char = self.text[..at]
            .chars()
            .next_back()
            .map_or(0, char::len_utf8);
        let chunk = self.chunk_at(at - last_char);
        chunk.source + (at - chunk.projected)
    }

    fn chunk_at(&self, at: usize) -> Chunk {
        let index = self.chunks.partition_point(|c| c.projected <= at);
        self.chunks[index.saturating_sub(1)]
    }
}

/// A link's parts, in source offsets.
struct ParsedLink {
    text: Range<usize>,
    destination: String,
    end: usize,
}

/// Parses `[text](destination "title")` starting at the `[` at `open`, within one line.
fn parse_link(source: &str, open: usize, line_end: usize) -> Option<ParsedLink> {
    let bytes = source.as_bytes();
    let mut depth = 0;
    let mut close = None;
    let mut i = open;
    while i < line_end {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let close = close?;
    if bytes.get(close + 1) != Some(&b'(') {
        return None;
    }
    let destination_start = close + 2;
    let mut parens = 0;
    let mut quote: Option<u8> = None;
    let mut i = destination_start;
    while i < line_end {
        let byte = bytes[i];
        match (quote, byte) {
            (_, b'\\') => i += 1,
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'(') => parens += 1,
            (None, b')') if parens == 0 => break,
            (None, b')') => parens -= 1,
            _ => {}
        }
        i += 1;
    }
    if i >= line_end || close == open + 1 {
        return None;
    }
    let destination = source[destination_start..i].trim();
    if destination.is_empty() || destination.contains('\n') {
        return None;
    }
    Some(ParsedLink {
        text: open + 1..close,
        destination: destination.to_string(),
        end: i + 1,
    })
}

/// Unwraps `text` (every whitespace run holding a line break becomes one space) and carries
/// `links` (ranges in `text`) over to the result.
pub(crate) fn unwrap(text: &str, links: &[(Range<usize>, String, bool)]) -> InlineText {
    let mut out = String::with_capacity(text.len());
    let mut position = vec![0; text.len() + 1];
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_whitespace() {
            position[i] = out.len();
            out.push(c);
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, next)) = chars.peek().filter(|(_, n)| n.is_whitespace()) {
            end = j + next.len_utf8();
            chars.next();
        }
        let run = &text[i..end];
        position[i] = out.len();
        if run.contains('\n') {
            out.push(' ');
            position[i + 1..end].fill(out.len());
        } else {
            for (k, _) in run.char_indices() {
                position[i + k] = out.len() + k;
            }
            out.push_str(run);
        }
    }
    position[text.len()] = out.len();
    let links = links
        .iter()
        .map(|(range, destination, image)| Link {
            range: position[range.start]..position[range.end],
            destination: destination.clone(),
            image: *image,
        })
        .collect();
    InlineText {
        text: out,
        links,
        tags: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_projected_and_mapped_back() {
        let source = "Voir [le site](https://ex.fr/a_(b) \"Titre\") et ![logo](l.png).";
        let projection = Projection::build(source, std::slice::from_ref(&(0..source.len())), true);
        assert_eq!(projection.text, "Voir le site et logo.");
        let links: Vec<_> = projection
            .links
            .iter()
            .map(|l| &source[l.source.clone()])
            .collect();
        assert_eq!(
            links,
            ["[le site](https://ex.fr/a_(b) \"Titre\")", "![logo](l.png)"]
        );
        assert_eq!(
            projection.links[0].destination,
            "https://ex.fr/a_(b) \"Titre\""
        );
        let end = projection.text.len();
        assert_eq!(projection.source_end(end), source.len());
        assert_eq!(projection.source_start(5), 6, "`le` starts after `[`");
    }

    #[test]
    fn not_links() {
        for text in ["[a] (b)", "\\[a](b)", "[](b)", "[a](", "[a]() x"] {
            let projection = Projection::build(text, std::slice::from_ref(&(0..text.len())), true);
            assert_eq!(projection.text, text, "{text}");
        }
    }

    #[test]
    fn unwrap_collapses_only_line_breaks() {
        let text = "une ligne\n  coupée,\u{a0}non  double";
        let unwrapped = unwrap(text, &[(4..19, "u".into(), false)]);
        assert_eq!(unwrapped.text, "une ligne coupée,\u{a0}non  double");
        assert_eq!(
            &unwrapped.text[unwrapped.links[0].range.clone()],
            "ligne coupée"
        );
    }

    #[test]
    fn link_url_without_title() {
        let link = |d: &str| Link {
            range: 0..0,
            destination: d.into(),
            image: false,
        };
        assert_eq!(link("https://a.fr \"t\"").url(), "https://a.fr");
        assert_eq!(link("<https://a.fr/x y>").url(), "https://a.fr/x y");
    }
}
