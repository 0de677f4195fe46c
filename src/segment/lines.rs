//! Line structure: which line breaks end a sentence (headlines, list items, header lines, blank lines)
//! and which only hard-wrap prose. The text between two breaks that end a sentence is one block; the
//! punctuation rules then run inside each block, where the remaining line breaks count as spaces.

use super::chars::{
    is_bullet, is_closer, is_dash, is_line_break, is_opener, is_paragraph_break, is_terminal,
};
use super::lexicon::LEXICON;
use std::ops::Range;

/// Calls `on_block` with each block of `text`, in order. Blocks do not overlap, and together they hold
/// every non-whitespace character of `text` (what lies between them is whitespace).
pub(super) fn for_each_block(text: &str, mut on_block: impl FnMut(Range<usize>)) {
    if !has_line_break(text) {
        // Trimmed like every line below, so that what follows a mark never depends on whether
        // the paragraph ended with spaces or with a line break.
        let trimmed = trim_range(text, 0..text.len());
        if !trimmed.is_empty() {
            on_block(trimmed);
        }
        return;
    }
    let mut paragraph: Vec<Range<usize>> = Vec::new();
    for line in split_lines(text) {
        let trimmed = trim_range(text, line.range);
        if !trimmed.is_empty() {
            paragraph.push(trimmed);
        }
        if line.ends_paragraph {
            emit_paragraph(text, &paragraph, &mut on_block);
            paragraph.clear();
        }
    }
}

/// One line of the text and how the break after it behaves.
struct Line {
    range: Range<usize>,
    /// The break after this line ends the paragraph (a blank line follows, or a paragraph separator).
    ends_paragraph: bool,
}

/// Fast check for any line break, on bytes: LF, CR, VT, FF, and the lead bytes of NEL, U+2028, U+2029.
fn has_line_break(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\n' | b'\r' | 0x0B | 0x0C => true,
        0xC2 => bytes.get(i + 1) == Some(&0x85),
        0xE2 => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)),
        _ => false,
    })
}

/// The lines of `text`; a CR LF pair is one break, and a blank line marks the line before it as
/// ending its paragraph.
fn split_lines(text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_line_break(c) {
            continue;
        }
        if c == '\r' {
            chars.next_if(|&(_, next)| next == '\n');
        }
        let range = start..i;
        let blank = text[range.clone()].trim().is_empty();
        if blank {
            if let Some(previous) = lines.last_mut() {
                previous.ends_paragraph = true;
            }
        }
        lines.push(Line {
            range,
            ends_paragraph: is_paragraph_break(c),
        });
        start = chars.peek().map_or(text.len(), |&(next, _)| next);
    }
    lines.push(Line {
        range: start..text.len(),
        ends_paragraph: true,
    });
    lines
}

fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let line = &text[range.clone()];
    let start = range.start + (line.len() - line.trim_start().len());
    let end = range.start + line.trim_end().len();
    start..end.max(start)
}

/// How the lines of a paragraph are laid out, to recognise prose hard-wrapped at a fixed width.
struct Shape {
    /// Length in characters of the longest line.
    width: usize,
    /// At least three lines, the lines before the last mostly near the longest one, and that width
    /// plausible for wrapped text (30 to 120 characters).
    hard_wrapped: bool,
}

impl Shape {
    fn of(text: &str, lines: &[Range<usize>]) -> Shape {
        let lengths: Vec<usize> = lines
            .iter()
            .map(|l| text[l.clone()].chars().count())
            .collect();
        let width = lengths.iter().copied().max().unwrap_or(0);
        let before_last = &lengths[..lengths.len().saturating_sub(1)];
        let near_width = before_last
            .iter()
            .filter(|&&len| len * 10 >= width * 7)
            .count();
        Shape {
            width,
            hard_wrapped: lines.len() >= 3
                && (30..=120).contains(&width)
                && near_width * 2 > before_last.len(),
        }
    }
}

fn emit_paragraph(text: &str, lines: &[Range<usize>], on_block: &mut impl FnMut(Range<usize>)) {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return;
    };
    if lines.len() == 1 {
        on_block(first.clone());
        return;
    }
    let shape = Shape::of(text, lines);
    let mut block_start = first.start;
    for pair in lines.windows(2) {
        let (a, b) = (&text[pair[0].clone()], &text[pair[1].clone()]);
        if !continues(a, b, &shape) {
            on_block(block_start..pair[0].end);
            block_start = pair[1].start;
        }
    }
    on_block(block_start..last.end);
}

/// Whether line `b` continues the sentence of line `a` (both trimmed, non-empty): the break between
/// them was a hard wrap, not the end of a line that stands on its own.
fn continues(a: &str, b: &str, shape: &Shape) -> bool {
    if starts_with_list_marker(b) || is_header_line(a) || is_header_line(b) {
        return false;
    }
    // Ends with terminal punctuation: the punctuation rules decide ("M.\nWang" goes on).
    let core = a.trim_end_matches(|c: char| {
        is_closer(c) || matches!(c, '"' | '\'' | '’') || c.is_whitespace()
    });
    if core.chars().next_back().is_some_and(is_terminal) {
        return true;
    }
    let Some(last) = a.chars().next_back() else {
        return true;
    };
    if matches!(last, ',' | ';' | ':' | '\'' | '’' | '/' | '&' | '+' | '=')
        || is_dash(last)
        || is_opener(last)
    {
        return true;
    }
    let last_word = a.rsplit(char::is_whitespace).next().unwrap_or(a);
    if LEXICON.is_line_continuation(last_word) || LEXICON.is_non_final(last_word) {
        return true;
    }
    if b.chars().next().is_some_and(char::is_lowercase) {
        return true;
    }
    shape.hard_wrapped && a.chars().count() + 1 + first_word_len(b) > shape.width
}

/// Length in characters of the first word of `line`; a lone opening quote or dash counts with the word
/// after it, since a wrapper that keeps "« ambitieux" together moves both to the next line.
fn first_word_len(line: &str) -> usize {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    let len = first.chars().count();
    if first
        .chars()
        .all(|c| is_opener(c) || is_dash(c) || c == '"')
    {
        len + 1 + words.next().map_or(0, |word| word.chars().count())
    } else {
        len
    }
}

/// "- item", "– item", "• item", "* item", "1. item", "2) item", "a) item".
fn starts_with_list_marker(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest = chars.as_str();
    let spaced = |s: &str| s.starts_with(char::is_whitespace);
    if is_bullet(first) || is_dash(first) || first == '*' {
        return spaced(rest);
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits) {
        let after = &line[digits..];
        return (after.starts_with('.') || after.starts_with(')')) && spaced(&after[1..]);
    }
    first.is_alphabetic() && rest.starts_with(')') && spaced(&rest[1..])
}

/// A header or navigation line of a scraped page: "Par : Justine | Mots clés : Chine",
/// "Accueil> INTERNATIONAL". Such a line is a unit of its own.
fn is_header_line(line: &str) -> bool {
    line.contains(['|', '>'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_block(text, |range| out.push(&text[range]));
        out
    }

    #[test]
    fn list_markers() {
        for line in [
            "- item", "– item", "— Oui", "• item", "* item", "1. item", "12) item", "a) item",
        ] {
            assert!(starts_with_list_marker(line), "{line}");
        }
        for line in [
            "-5 %",
            "1.5 million",
            "2013 a été",
            "Le 1. item",
            "a. b",
            "1234. x",
            "*gras*",
            "ab) x",
        ] {
            assert!(!starts_with_list_marker(line), "{line}");
        }
    }

    #[test]
    fn a_blank_line_always_separates() {
        assert_eq!(
            blocks("Un texte de\n\n  \nla suite"),
            ["Un texte de", "la suite"]
        );
        assert_eq!(blocks("un\u{2029}deux"), ["un", "deux"]);
    }

    #[test]
    fn crlf_and_lone_cr_are_line_breaks() {
        assert_eq!(
            blocks("Titre\r\nLe texte.\rLa suite."),
            ["Titre", "Le texte.\rLa suite."]
        );
    }

    #[test]
    fn hard_wrapped_prose_is_one_block_even_before_a_capital() {
        let text = "Le président finlandais a rencontré mercredi à Pékin son homologue\n\
                    Xi Jinping pour évoquer la coopération économique entre les deux\n\
                    pays, a annoncé le ministère.";
        assert_eq!(blocks(text), [text]);
    }

    #[test]
    fn short_lines_without_punctuation_stand_alone() {
        let text = "Accueil> INTERNATIONAL\nLa Finlande et la Chine renforcent leur coopération\n\
                    Par : Justine | Mots clés : Finlande, Chine\nLe président est arrivé.";
        assert_eq!(
            blocks(text),
            [
                "Accueil> INTERNATIONAL",
                "La Finlande et la Chine renforcent leur coopération",
                "Par : Justine | Mots clés : Finlande, Chine",
                "Le président est arrivé."
            ]
        );
    }
}
