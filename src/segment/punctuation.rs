//! Sentence ends inside one block of text (a run of lines that belong together), decided at each
//! terminal punctuation mark by looking at the word before it and at what follows it.

use super::chars::{
    is_apostrophe, is_bullet, is_closer, is_continuation_punctuation, is_dash, is_opener,
    is_opening_quote, is_question_or_exclamation, is_space_like, is_terminal,
};
use super::lexicon::LEXICON;
use super::Sentence;
use std::ops::Range;

/// Collects sentences as the rules cut the text, and answers questions about the sentence being built.
pub(super) struct Cutter<'t> {
    text: &'t str,
    /// Where the sentence being built begins (the previous cut).
    last_cut: usize,
    /// Where the first non-whitespace character after `last_cut` is, once looked up.
    first_character: Option<usize>,
    /// Whether a letter or digit was seen between `last_cut` and `words_scanned_to`.
    has_words: bool,
    words_scanned_to: usize,
    sentences: Vec<Sentence>,
}

impl<'t> Cutter<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Cutter {
            text,
            last_cut: 0,
            first_character: None,
            has_words: false,
            words_scanned_to: 0,
            sentences: Vec::new(),
        }
    }

    /// Ends the current sentence at byte `at`; an empty or all-whitespace stretch makes no sentence.
    pub(super) fn cut(&mut self, at: usize) {
        debug_assert!(at >= self.last_cut && self.text.is_char_boundary(at));
        let stretch = &self.text[self.last_cut..at];
        let start = self.last_cut + (stretch.len() - stretch.trim_start().len());
        let end = self.last_cut + stretch.trim_end().len();
        if start < end {
            self.sentences.push(Sentence { range: start..end });
        }
        self.last_cut = at;
        self.first_character = None;
        self.has_words = false;
        self.words_scanned_to = at;
    }

    /// The sentences cut so far.
    pub(super) fn into_sentences(self) -> Vec<Sentence> {
        self.sentences
    }

    /// Whether the sentence being built has a letter or a digit before byte `at`. Scans each byte once
    /// per sentence, so checking at every candidate stays linear.
    fn has_words_before(&mut self, at: usize) -> bool {
        if !self.has_words && at > self.words_scanned_to {
            self.has_words = self.text[self.words_scanned_to..at]
                .chars()
                .any(char::is_alphanumeric);
            self.words_scanned_to = at;
        }
        self.has_words
    }

    /// Whether the sentence being built starts at byte `at` (nothing but whitespace before it).
    fn starts_at(&mut self, at: usize) -> bool {
        let rest = &self.text[self.last_cut..];
        let first = *self
            .first_character
            .get_or_insert(self.last_cut + (rest.len() - rest.trim_start().len()));
        first == at
    }
}

/// Longest word the rules look at around a mark; longer ones are addresses or noise, and the limit
/// keeps every look-around short so that segmenting stays linear in the input.
const MAX_WORD_BYTES: usize = 100;

/// The word before a full stop.
struct Word<'t> {
    /// Byte offset where the word starts.
    start: usize,
    /// The word, without the full stop.
    text: &'t str,
    /// Whether the whole word was read (it was not longer than [`MAX_WORD_BYTES`]).
    whole: bool,
}

/// What the next sentence would start with, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The block ends.
    End,
    /// A capital letter, a letter of a script without case, or a lower-case brand ("iPhone").
    Upper,
    /// A lower-case letter.
    Lower,
    /// A digit, or a minus sign before one.
    Digit,
    /// An opening quote; `true` when a capital or a digit follows it.
    Quote(bool),
    /// An opening bracket; `true` when a capital or a digit follows it.
    Bracket(bool),
    /// A dash followed by a space: dialogue or a list item.
    Dash,
    /// A list bullet.
    Bullet,
    /// Punctuation that continues a sentence (, ; : ) % …).
    Punctuation,
    /// Any other symbol (@, #, €, emoji, control characters).
    Symbol,
}

/// The kind of terminal punctuation run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminal {
    /// One full stop.
    FullStop,
    /// `…`, `...`, `. . .`: an ellipsis.
    Ellipsis,
    /// Contains `?` or `!` (or `‽`, `⁉` …), possibly with dots: `?!`, `!...`.
    QuestionOrExclamation,
}

/// Finds the sentence ends inside `block` (a range of `text`) and cuts there.
pub(super) fn cut_block(text: &str, block: Range<usize>, cutter: &mut Cutter) {
    let scanner = Scanner {
        s: &text[..block.end],
        floor: block.start,
    };
    scanner.run(cutter);
}

/// The block being scanned: `s` ends where the block ends, `floor` is where it starts.
struct Scanner<'t> {
    s: &'t str,
    floor: usize,
}

impl Scanner<'_> {
    fn run(&self, cutter: &mut Cutter) {
        let bytes = self.s.as_bytes();
        let mut straight_quotes = 0usize;
        let mut i = self.floor;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    straight_quotes += 1;
                    i += 1;
                }
                b'.' | b'?' | b'!' => i = self.at_terminal(i, straight_quotes, cutter),
                // Lead bytes of the multi-byte terminals and bullets (… ‽ ⁉ ？ ！ • ▪ ► …).
                0xE2 | 0xEF => {
                    let c = self.char_at(i).unwrap_or('\0');
                    if is_terminal(c) {
                        i = self.at_terminal(i, straight_quotes, cutter);
                    } else {
                        if is_bullet(c) {
                            self.at_bullet(i, c, cutter);
                        }
                        i += c.len_utf8().max(1);
                    }
                }
                _ => i += 1,
            }
        }
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.s.get(at..)?.chars().next()
    }

    fn char_before(&self, at: usize) -> Option<char> {
        if at <= self.floor {
            return None;
        }
        self.s[self.floor..at].chars().next_back()
    }

    /// Skips whitespace and the invisible characters scraped pages leave between words (zero-width
    /// space, word joiner, BOM), so that "fin.\u{200B}Le" reads as "fin. Le".
    fn skip_whitespace(&self, from: usize) -> usize {
        let rest = &self.s[from..];
        from + (rest.len() - rest.trim_start_matches(is_space_like).len())
    }

    /// A bullet between spaces, inside a sentence, starts a new one ("Au programme : • la santé • …").
    fn at_bullet(&self, i: usize, bullet: char, cutter: &mut Cutter) {
        let spaced_before = self.char_before(i).is_some_and(char::is_whitespace);
        let spaced_after = self
            .char_at(i + bullet.len_utf8())
            .is_some_and(char::is_whitespace);
        if spaced_before && spaced_after && cutter.has_words_before(i) {
            cutter.cut(i);
        }
    }

    /// Decides whether the terminal punctuation starting at `i` ends a sentence, cuts if so, and
    /// returns where scanning resumes.
    fn at_terminal(&self, i: usize, straight_quotes: usize, cutter: &mut Cutter) -> usize {
        let (run_end, terminal) = self.terminal_run(i);
        let end = self.closers_end(run_end, straight_quotes);
        let next_start = self.skip_whitespace(end);
        let separated = next_start > run_end;
        let next = self.next_at(next_start);
        let ends_sentence = if next == Next::End {
            true
        } else if separated {
            match terminal {
                Terminal::QuestionOrExclamation => starts_sentence(next),
                Terminal::Ellipsis => {
                    !self.is_bracketed_ellipsis(i, run_end) && starts_sentence_after_ellipsis(next)
                }
                Terminal::FullStop => self.full_stop_ends_sentence(i, next, next_start, cutter),
            }
        } else {
            self.glued_sentences(i, run_end, terminal)
        };
        if ends_sentence && cutter.has_words_before(i) {
            cutter.cut(end);
        }
        run_end
    }

    /// The end of the run of terminal punctuation starting at `i`, and its kind.
    fn terminal_run(&self, i: usize) -> (usize, Terminal) {
        let mut j = i;
        let (mut dots, mut ellipsis, mut question) = (0usize, false, false);
        while let Some(c) = self.char_at(j) {
            if c == '.' {
                dots += 1;
            } else if c == '…' {
                ellipsis = true;
            } else if is_question_or_exclamation(c) {
                question = true;
            } else if c == ' ' && dots > 0 && !question && self.is_spaced_dot(j + 1) {
                // ". . ." : a spaced ellipsis
                j += 1;
                continue;
            } else {
                break;
            }
            j += c.len_utf8();
        }
        let terminal = if question {
            Terminal::QuestionOrExclamation
        } else if ellipsis || dots > 1 {
            Terminal::Ellipsis
        } else {
            Terminal::FullStop
        };
        (j, terminal)
    }

    /// A full stop at `at` standing alone between spaces or before another one, as in ". . .".
    fn is_spaced_dot(&self, at: usize) -> bool {
        self.char_at(at) == Some('.')
            && self
                .char_at(at + 1)
                .is_none_or(|c| c == '.' || c.is_whitespace())
    }

    /// The end of the closing quotes and brackets that belong to the sentence ending at `from`:
    /// `vendus. » Des` ends after the `»`, `(voir p. 3.) Le` after the `)`.
    fn closers_end(&self, from: usize, straight_quotes_before: usize) -> usize {
        let mut end = from;
        let mut quotes = straight_quotes_before;
        loop {
            let at = self.skip_whitespace(end);
            let Some(c) = self.char_at(at) else { break };
            let attached = at == end;
            if attached && c == '[' {
                match self.footnote_call_len(at) {
                    Some(len) => {
                        end = at + len;
                        continue;
                    }
                    None => break,
                }
            }
            let closes = if is_closer(c) {
                true
            } else if c == '"' {
                self.straight_quote_closes(at, attached, quotes)
            } else if is_apostrophe(c) {
                attached && !self.char_at(at + 1).is_some_and(char::is_alphanumeric)
            } else {
                false
            };
            if !closes {
                break;
            }
            quotes += usize::from(c == '"');
            end = at + c.len_utf8();
        }
        end
    }

    /// The length of a footnote call such as `[1]`, `[12]` or `[réf. nécessaire]` starting at `at`
    /// (Wikipédia puts them right after the full stop: "habitants.[1] Elle"); at most 40 bytes.
    fn footnote_call_len(&self, at: usize) -> Option<usize> {
        let rest = &self.s[at..];
        let window = &rest.as_bytes()[..rest.len().min(40)];
        let close = window.iter().position(|&b| b == b']')?;
        let inside = &rest[1..close];
        let plain = !inside.is_empty() && !inside.contains(['[', '\n', '\r']);
        plain.then_some(close + 1)
    }

    /// Whether the straight quote at `at` closes a quotation. Spacing decides when it can (`. "Avec`
    /// opens, `." Des` closes); otherwise the count of straight quotes seen so far in the block does.
    fn straight_quote_closes(&self, at: usize, attached: bool, quotes_before: usize) -> bool {
        let followed_by_word = self.char_at(at + 1).is_some_and(char::is_alphanumeric);
        match (attached, followed_by_word) {
            (false, true) => false,
            (true, false) => true,
            _ => quotes_before % 2 == 1,
        }
    }

    /// Classifies what starts at `at` (after whitespace).
    fn next_at(&self, at: usize) -> Next {
        let Some(c) = self.char_at(at) else {
            return Next::End;
        };
        let after = at + c.len_utf8();
        if c.is_alphabetic() {
            let brand = c.is_lowercase() && self.char_at(after).is_some_and(char::is_uppercase);
            if c.is_lowercase() && !brand {
                Next::Lower
            } else {
                Next::Upper
            }
        } else if c.is_numeric() {
            Next::Digit
        } else if is_opening_quote(c) {
            Next::Quote(self.capital_or_digit_at(self.skip_whitespace(after)))
        } else if is_opener(c) {
            Next::Bracket(self.capital_or_digit_at(self.skip_whitespace(after)))
        } else if is_dash(c) {
            match self.char_at(after) {
                Some(d) if d.is_whitespace() => Next::Dash,
                Some(d) if d.is_numeric() => Next::Digit,
                _ => Next::Punctuation,
            }
        } else if is_bullet(c) {
            Next::Bullet
        } else if is_continuation_punctuation(c) {
            Next::Punctuation
        } else {
            Next::Symbol
        }
    }

    fn capital_or_digit_at(&self, at: usize) -> bool {
        self.char_at(at)
            .is_some_and(|c| c.is_numeric() || (c.is_alphabetic() && !c.is_lowercase()))
    }

    /// `[…]`, `(...)`: an omission inside a quotation, not the end of anything.
    fn is_bracketed_ellipsis(&self, start: usize, end: usize) -> bool {
        matches!(self.char_before(start), Some('(' | '['))
            && matches!(self.char_at(end), Some(')' | ']'))
    }

    /// The full stop at `i` is followed by whitespace (or closers) and then `next`.
    fn full_stop_ends_sentence(
        &self,
        i: usize,
        next: Next,
        next_start: usize,
        cutter: &mut Cutter,
    ) -> bool {
        let Word {
            start: word_start,
            text: word,
            ..
        } = self.word_before(i);
        if word.is_empty() {
            return starts_sentence(next);
        }
        let lexicon = &*LEXICON;
        if lexicon.is_non_final(word) {
            false
        } else if lexicon.may_end(word) {
            // "Co. Ltd", "Inc. Corp": a company suffix after such an abbreviation continues the name.
            let chained =
                next == Next::Upper && lexicon.is_company_suffix(self.word_at(next_start));
            !chained && starts_sentence_after_abbreviation(next)
        } else if (cutter.starts_at(word_start) && is_list_label(word))
            || (next == Next::Digit && self.inside_dotted_date(word_start, word, next_start))
        {
            false
        } else if is_initials(word) {
            match next {
                // "J.-P.", "J.-M.": hyphenated initials are a first name, never a sentence end.
                _ if word.contains('-') => false,
                Next::Upper => self.starts_with_sentence_starter(next_start),
                other => starts_sentence_after_abbreviation(other),
            }
        } else if next == Next::Lower {
            // A full stop after an ordinary long word ends the sentence even before a lower-case
            // letter (a missing capital, "… une crise cardiaque. à conserver …"); after a short
            // word it may be an abbreviation the lists do not know.
            word.chars().count() >= 5 && word.chars().all(char::is_alphabetic)
        } else {
            starts_sentence(next)
        }
    }

    /// Whether the full stop after `word` (a day or a month) sits inside a date written with dots
    /// and spaces, "18. 11. 2013": the next number is a month followed by a dot, or a year after a
    /// day and a month.
    fn inside_dotted_date(&self, word_start: usize, word: &str, next_start: usize) -> bool {
        let day_or_month = |w: &str| {
            (1..=2).contains(&w.len())
                && w.bytes().all(|b| b.is_ascii_digit())
                && (1..=31).contains(&w.parse::<u32>().unwrap_or(0))
        };
        if !day_or_month(word) {
            return false;
        }
        let rest = &self.s[next_start..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let month_follows = (1..=2).contains(&digits) && rest[digits..].starts_with('.');
        let year_follows = digits == 4 && {
            // A year ends the date only after a day: "18. 11. 2013", not "Il y en a 11. 2013 …".
            let before = self.s[..word_start].trim_end();
            before.strip_suffix('.').is_some_and(|b| {
                let day = b.len() - b.bytes().rev().take_while(u8::is_ascii_digit).count();
                day_or_month(&b[day..])
            })
        };
        month_follows || year_follows
    }

    /// The word that ends at the full stop at `i`: back to whitespace or an opening quote or bracket,
    /// without an elided article ("l'ONU" → "ONU"), and at most [`MAX_WORD_BYTES`] long.
    fn word_before(&self, i: usize) -> Word<'_> {
        let floor = self.floor.max(i.saturating_sub(MAX_WORD_BYTES));
        let mut start = i;
        let mut whole = false;
        for (offset, c) in self.s[self.floor..i].char_indices().rev() {
            if c.is_whitespace() || is_opener(c) || c == '"' {
                whole = true;
                break;
            }
            if self.floor + offset < floor {
                break;
            }
            start = self.floor + offset;
        }
        let whole = whole || start == self.floor;
        let word = &self.s[start..i];
        match word.rfind(is_apostrophe) {
            Some(apostrophe) => {
                let after =
                    apostrophe + word[apostrophe..].chars().next().map_or(1, char::len_utf8);
                Word {
                    start: start + after,
                    text: &word[after..],
                    whole,
                }
            }
            None => Word {
                start,
                text: word,
                whole,
            },
        }
    }

    /// The run of letters starting at `at`.
    fn word_at(&self, at: usize) -> &str {
        let rest = &self.s[at..];
        let len = rest
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len());
        &rest[..len]
    }

    /// Whether a sentence starter ("Le", "Selon", "L'…", "Aujourd'hui") begins at `at`.
    fn starts_with_sentence_starter(&self, at: usize) -> bool {
        let lexicon = &*LEXICON;
        let letters = self.word_at(at);
        if lexicon.is_sentence_starter(letters) {
            return true;
        }
        let after = at + letters.len();
        match self.char_at(after) {
            Some(c) if is_apostrophe(c) => {
                let elided = &self.s[at..after + c.len_utf8()];
                let whole_end = after + c.len_utf8() + self.word_at(after + c.len_utf8()).len();
                lexicon.is_sentence_starter(elided)
                    || lexicon.is_sentence_starter(&self.s[at..whole_end])
            }
            _ => false,
        }
    }

    /// Terminal punctuation directly followed by a word, without a space: `pays.Le président`
    /// (scraped text that lost a space) ends a sentence; `5.000`, `www.gouv.fr`, `M.Wang`, `?id=3` do not.
    fn glued_sentences(&self, i: usize, run_end: usize, terminal: Terminal) -> bool {
        let starts_word = self.char_at(run_end).is_some_and(char::is_uppercase)
            && self
                .char_at(run_end + self.char_at(run_end).map_or(1, char::len_utf8))
                .is_some_and(char::is_lowercase);
        if !starts_word {
            return false;
        }
        match terminal {
            Terminal::QuestionOrExclamation | Terminal::Ellipsis => {
                self.char_before(i).is_some_and(char::is_alphabetic)
            }
            Terminal::FullStop => {
                let before = self.word_before(i);
                let rest = &self.s[run_end..];
                let after_len = rest
                    .char_indices()
                    .find(|&(offset, c)| c.is_whitespace() || offset >= MAX_WORD_BYTES)
                    .map_or(rest.len(), |(offset, _)| offset);
                let after = &rest[..after_len];
                let web_like = |w: &str| w.contains(['.', '/', '@', ':', '_']);
                // Words longer than MAX_WORD_BYTES are addresses or noise, not prose.
                before.whole
                    && after_len < MAX_WORD_BYTES
                    && before.text.chars().count() >= 2
                    && before
                        .text
                        .chars()
                        .next_back()
                        .is_some_and(char::is_lowercase)
                    && !web_like(before.text)
                    && !web_like(after)
                    && !LEXICON.is_non_final(before.text)
                    && !LEXICON.may_end(before.text)
            }
        }
    }
}

/// After `?`, `!` or a plain word's full stop: does `next` start a sentence?
fn starts_sentence(next: Next) -> bool {
    matches!(
        next,
        Next::End
            | Next::Upper
            | Next::Digit
            | Next::Quote(true)
            | Next::Bracket(true)
            | Next::Dash
            | Next::Bullet
            | Next::Symbol
    )
}

/// After an ellipsis a number usually continues the thought ("entre 5… 10 %"); capitals do not.
fn starts_sentence_after_ellipsis(next: Next) -> bool {
    matches!(
        next,
        Next::End
            | Next::Upper
            | Next::Quote(true)
            | Next::Bracket(true)
            | Next::Dash
            | Next::Bullet
    )
}

/// After an abbreviation that may end a sentence, only a clear start counts: not a number ("janv. 2014"),
/// not a bracket ("3 déc. (AFP)").
fn starts_sentence_after_abbreviation(next: Next) -> bool {
    matches!(
        next,
        Next::End | Next::Upper | Next::Quote(true) | Next::Dash | Next::Bullet
    )
}

/// A list label at the start of a sentence: "1.", "12.", "a.", "B.", "IV.".
fn is_list_label(word: &str) -> bool {
    let digits = word.len() <= 3 && word.bytes().all(|b| b.is_ascii_digit());
    let letter = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
    let roman = word.len() <= 6 && word.bytes().all(|b| b"IVXLC".contains(&b));
    !word.is_empty() && (digits || letter || roman)
}

/// Initials and dotted acronyms: "J", "J.-P", "J.R.R", "U.S.A", "O.N.U" (single capitals joined by
/// dots and hyphens; the final full stop is not part of `word`).
fn is_initials(word: &str) -> bool {
    let mut parts = word
        .split(['.', '-'])
        .filter(|part| !part.is_empty())
        .peekable();
    parts.peek().is_some()
        && parts.all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(char::is_uppercase) && chars.next().is_none()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_are_single_capitals_joined_by_dots_and_hyphens() {
        for word in ["J", "J.-P", "J.R.R", "U.S.A", "O.N.U", "É"] {
            assert!(is_initials(word), "{word}");
        }
        for word in ["", "ONU", "Ph.D", "j", "U.S.A2", "Wang", "."] {
            assert!(!is_initials(word), "{word}");
        }
    }

    #[test]
    fn list_labels_are_short_numbers_letters_and_roman_numerals() {
        for word in ["1", "12", "a", "B", "IV", "XII"] {
            assert!(is_list_label(word), "{word}");
        }
        for word in ["", "1234", "ab", "2013a", "Wang"] {
            assert!(!is_list_label(word), "{word}");
        }
    }
}
