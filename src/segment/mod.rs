//! French sentence segmentation (placeholder: splits after `.`, `!`, `?` followed by whitespace).

use std::ops::Range;

/// One sentence of the input, as a byte range into the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Byte range of the sentence in the input, trimmed of surrounding whitespace.
    pub range: Range<usize>,
}

impl Sentence {
    /// The sentence's text within `source`, the string that was segmented.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.range.clone()]
    }
}

/// Splits `text` into sentences.
pub fn segment(text: &str) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut start = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if start.is_none() && !c.is_whitespace() {
            start = Some(i);
        }
        let at_end = matches!(c, '.' | '!' | '?')
            && chars.peek().is_none_or(|&(_, next)| next.is_whitespace());
        if let (true, Some(s)) = (at_end, start) {
            sentences.push(Sentence { range: s..i + c.len_utf8() });
            start = None;
        }
    }
    if let Some(s) = start {
        let end = text.trim_end().len();
        sentences.push(Sentence { range: s..end });
    }
    sentences
}
