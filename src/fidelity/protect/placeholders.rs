//! Placeholders: protected spans replaced for the model and put back afterwards, each exactly
//! once (see the [module docs](super) for the scheme).

use std::ops::Range;

use super::spans::{find_spans, Span};
use crate::fidelity::runs::runs_of;

/// A sentence with its protected spans replaced by placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// The sentence with placeholders, ready for the model.
    pub text: String,
    /// The protected spans' original texts, in source order; span `i` has placeholder
    /// [`Protected::placeholder`]`(i)`.
    spans: Vec<String>,
    /// Byte offset of each placeholder in `text`.
    offsets: Vec<usize>,
    /// Upper-case placeholder stem, absent from the source.
    stem: String,
    /// Number of index letters after the stem.
    width: usize,
    /// Whether words containing `zq` or `qx` in the output are fragments to remove.
    scrub_fragments: bool,
}

/// The model's output with the protected spans put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The output with every span exactly once.
    pub text: String,
    /// Byte range of each span in `text`, by span index.
    pub placements: Vec<Range<usize>>,
    /// Indexes of the spans whose placeholder the model lost, placed by alignment.
    pub placed_by_guess: Vec<usize>,
}

impl Protected {
    /// Protects every span [`find_spans`] finds in `source`.
    pub fn new(source: &str) -> Self {
        Self::with_spans(source, &find_spans(source))
    }

    /// Protects nothing: `text` is `source` and restoration returns the output unchanged.
    pub fn none(source: &str) -> Self {
        Self::with_spans(source, &[])
    }

    fn with_spans(source: &str, found: &[Span]) -> Self {
        let lower = source.to_lowercase();
        let mut stem = String::from("ZQX");
        while lower.contains(&stem.to_lowercase()) {
            stem.push('J');
        }
        let scrub_fragments = !lower.contains("zq") && !lower.contains("qx");
        let mut width = 1;
        while 26usize.saturating_pow(width as u32) < found.len() {
            width += 1;
        }
        let mut protected = Protected {
            text: String::with_capacity(source.len()),
            spans: Vec::with_capacity(found.len()),
            offsets: Vec::with_capacity(found.len()),
            stem,
            width,
            scrub_fragments,
        };
        let mut at = 0;
        for span in found {
            protected.text.push_str(&source[at..span.range.start]);
            protected.offsets.push(protected.text.len());
            let placeholder = protected.placeholder(protected.spans.len());
            protected.text.push_str(&placeholder);
            protected.spans.push(source[span.range.clone()].to_string());
            at = span.range.end;
        }
        protected.text.push_str(&source[at..]);
        protected
    }

    /// The protected spans' texts, in source order.
    pub fn spans(&self) -> &[String] {
        &self.spans
    }

    /// The placeholder that stands for span `index`.
    pub fn placeholder(&self, index: usize) -> String {
        let mut letters = vec![b'A'; self.width];
        let mut rest = index;
        for slot in letters.iter_mut().rev() {
            *slot = b'A' + (rest % 26) as u8;
            rest /= 26;
        }
        format!("{}{}", self.stem, String::from_utf8_lossy(&letters))
    }

    /// The span index a placeholder's index letters name, if any.
    fn index_of(&self, letters: &str) -> Option<usize> {
        if letters.len() != self.width || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let index = letters.bytes().fold(0usize, |acc, b| {
            acc * 26 + (b.to_ascii_uppercase() - b'A') as usize
        });
        (index < self.spans.len()).then_some(index)
    }

    /// Puts the protected spans back into the model's `output`: see the module documentation.
    pub fn restore(&self, output: &str) -> Restored {
        let (mut text, mut placed) = self.replace_placeholders(output);
        let mut placed_by_guess = Vec::new();
        for index in 0..self.spans.len() {
            if placed[index].is_some() {
                continue;
            }
            let at = self.aligned_position(&text, &placed, index);
            let (range, inserted) = insert_word(&mut text, at, &self.spans[index]);
            for r in placed.iter_mut().flatten() {
                if r.start >= at {
                    *r = r.start + inserted..r.end + inserted;
                }
            }
            placed[index] = Some(range);
            placed_by_guess.push(index);
        }
        let placements = placed.into_iter().flatten().collect();
        Restored {
            text,
            placements,
            placed_by_guess,
        }
    }

    /// First pass: placeholders found in `output` become their spans; duplicates and mangled
    /// fragments are removed. Returns the text and where each span landed.
    fn replace_placeholders(&self, output: &str) -> (String, Vec<Option<Range<usize>>>) {
        // ASCII folding keeps byte offsets those of `output`; the stem is ASCII.
        let folded = output.to_ascii_lowercase();
        let stem = self.stem.to_ascii_lowercase();
        let mut placed: Vec<Option<Range<usize>>> = vec![None; self.spans.len()];
        let mut text = String::with_capacity(output.len() + 64);
        let mut at = 0;
        let mut search_from = 0;
        while let Some(found) = folded[search_from..].find(&stem) {
            let start = search_from + found;
            let letters_end = (start + stem.len() + self.width).min(output.len());
            let letters = output.get(start + stem.len()..letters_end).unwrap_or("");
            let run_end = word_end(output, &folded, start + stem.len(), &stem);
            text.push_str(&output[at..start]);
            match self.index_of(letters) {
                Some(index) if placed[index].is_none() => {
                    let begin = text.len();
                    text.push_str(&self.spans[index]);
                    placed[index] = Some(begin..text.len());
                }
                // A duplicate or an index that names no span: a fragment, dropped.
                _ => {}
            }
            at = run_end;
            search_from = run_end;
        }
        text.push_str(&output[at..]);
        if self.scrub_fragments && !self.spans.is_empty() {
            text = self.scrub(text, &mut placed);
        }
        (tidy_spaces(text, &mut placed), placed)
    }

    /// Removes words containing `zq` or `qx` that do not overlap a placed span.
    fn scrub(&self, text: String, placed: &mut [Option<Range<usize>>]) -> String {
        let mut out = String::with_capacity(text.len());
        // (end of a removed word in `text`, bytes removed up to there)
        let mut removals: Vec<(usize, usize)> = Vec::new();
        let mut at = 0;
        for (start, word) in runs_of(&text, char::is_alphanumeric) {
            let end = start + word.len();
            let lower = word.to_ascii_lowercase();
            let overlaps_span = placed
                .iter()
                .flatten()
                .any(|r| start < r.end && r.start < end);
            if (lower.contains("zq") || lower.contains("qx")) && !overlaps_span {
                out.push_str(&text[at..start]);
                at = end;
                let removed = removals.last().map_or(0, |&(_, n)| n) + word.len();
                removals.push((end, removed));
            }
        }
        out.push_str(&text[at..]);
        for r in placed.iter_mut().flatten() {
            let shift = removals
                .iter()
                .take_while(|&&(end, _)| end <= r.start)
                .last()
                .map_or(0, |&(_, n)| n);
            *r = r.start - shift..r.end - shift;
        }
        out
    }

    /// Where span `index`, lost by the model, goes in `text`: see the module documentation.
    fn aligned_position(&self, text: &str, placed: &[Option<Range<usize>>], index: usize) -> usize {
        let before = (0..index)
            .rev()
            .find_map(|i| placed[i].clone().map(|r| (i, r)));
        let after = (index + 1..self.spans.len()).find_map(|i| placed[i].clone().map(|r| (i, r)));
        let body_end = end_before_final_punctuation(text);
        let (src_lo, out_lo) = match &before {
            Some((i, r)) => (self.offsets[*i] + self.placeholder(*i).len(), r.end),
            None => (0, 0),
        };
        let (src_hi, out_hi) = match &after {
            Some((i, r)) => (self.offsets[*i], r.start),
            None => (
                end_before_final_punctuation(&self.text),
                body_end.max(out_lo),
            ),
        };
        let out_hi = out_hi.max(out_lo);
        let src_pos = self.offsets[index];
        let src_end = src_pos + self.placeholder(index).len();
        let has_words =
            |a: usize, b: usize| a < b && self.text[a..b].chars().any(char::is_alphanumeric);
        // Nothing but punctuation between the span and its anchor: it sits right at the anchor.
        if !has_words(src_end, src_hi) {
            return nearest_boundary(text, placed, out_hi, out_lo, out_hi);
        }
        if !has_words(src_lo, src_pos) {
            return nearest_boundary(text, placed, out_lo, out_lo, out_hi);
        }
        let fraction = (src_pos - src_lo) as f64 / (src_hi - src_lo) as f64;
        let target = out_lo + ((out_hi - out_lo) as f64 * fraction).round() as usize;
        nearest_boundary(text, placed, target, out_lo, out_hi)
    }
}

/// End of the alphanumeric run that starts at `from`, stopping early where another stem begins.
fn word_end(output: &str, folded: &str, from: usize, stem: &str) -> usize {
    let mut end = from;
    for (i, c) in output[from..].char_indices() {
        let pos = from + i;
        if !c.is_alphanumeric() || folded[pos..].starts_with(stem) {
            return pos;
        }
        end = pos + c.len_utf8();
    }
    end
}

/// Collapses the double spaces and spaces before punctuation that removals leave, keeping the
/// placed ranges right.
fn tidy_spaces(text: String, placed: &mut [Option<Range<usize>>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1); // old byte offset → new byte offset
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let keep = if c == ' ' {
            let prev = out.chars().next_back();
            let next = chars.get(k + 1).map(|&(_, n)| n);
            let in_span = placed.iter().flatten().any(|r| r.start < i && i < r.end);
            in_span
                || !(prev.is_none()
                    || prev == Some(' ')
                    || next.is_none()
                    || next.is_some_and(|n| {
                        matches!(n, ' ' | ',' | '.' | ';' | ':' | '!' | '?' | ')')
                    }))
        } else {
            true
        };
        for _ in 0..c.len_utf8() {
            map.push(out.len());
        }
        if keep {
            out.push(c);
        }
    }
    map.push(out.len());
    for r in placed.iter_mut().flatten() {
        *r = map[r.start]..map[r.start] + (r.end - r.start);
    }
    out
}

/// Byte offset where the text's final punctuation (and closing quotes or brackets) begins, or the
/// end of the text.
fn end_before_final_punctuation(text: &str) -> usize {
    let trimmed = text.trim_end();
    let mut end = trimmed.len();
    while let Some(c) = trimmed[..end].chars().next_back() {
        if matches!(
            c,
            '.' | '!' | '?' | '…' | ';' | ':' | '"' | '”' | '»' | ')' | ']' | '\''
        ) {
            end -= c.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// The position nearest to `target` within `lo..=hi` that neither splits a word nor falls inside
/// a placed span.
fn nearest_boundary(
    text: &str,
    placed: &[Option<Range<usize>>],
    target: usize,
    lo: usize,
    hi: usize,
) -> usize {
    let hi = hi.min(text.len());
    let lo = lo.min(hi);
    let target = target.clamp(lo, hi);
    // A boundary does not split a word.
    let is_boundary = |p: usize| {
        text.is_char_boundary(p)
            && !(text[..p].ends_with(char::is_alphanumeric)
                && text[p..].starts_with(char::is_alphanumeric))
            && !placed.iter().flatten().any(|r| r.start < p && p < r.end)
    };
    for distance in 0..=(hi - lo) {
        if target + distance <= hi && is_boundary(target + distance) {
            return target + distance;
        }
        if target >= lo + distance && is_boundary(target - distance) {
            return target - distance;
        }
    }
    // No boundary in the window: its end is next to a placed span or the final punctuation.
    hi
}

/// Inserts `word` at byte `at` with a space on each side where it would otherwise touch another
/// word; returns the byte range of `word` in `text` afterwards and the number of bytes inserted.
fn insert_word(text: &mut String, at: usize, word: &str) -> (Range<usize>, usize) {
    let needs_space_before = text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace() && !matches!(c, '(' | '[' | '“' | '"' | '«'));
    let needs_space_after = text[at..].chars().next().is_some_and(|c| {
        !c.is_whitespace()
            && !matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '”' | '…')
    });
    let mut inserted = String::with_capacity(word.len() + 2);
    if needs_space_before {
        inserted.push(' ');
    }
    let start = at + inserted.len();
    inserted.push_str(word);
    let end = at + inserted.len();
    if needs_space_after {
        inserted.push(' ');
    }
    text.insert_str(at, &inserted);
    (start..end, inserted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_replace_spans_and_come_back() {
        let p = Protected::new("Écrivez à presse@elysee.fr ou @Elysee.");
        assert_eq!(p.text, "Écrivez à ZQXA ou ZQXB.");
        let r = p.restore("Write to ZQXA or ZQXB.");
        assert_eq!(r.text, "Write to presse@elysee.fr or @Elysee.");
        assert!(r.placed_by_guess.is_empty());
    }

    #[test]
    fn restoration_is_case_insensitive_and_drops_glued_letters() {
        let p = Protected::new("Le site www.insee.fr publie.");
        let r = p.restore("The zqxas website publishes.");
        assert_eq!(r.text, "The www.insee.fr website publishes.");
    }

    #[test]
    fn duplicate_and_mangled_placeholders_are_removed() {
        let p = Protected::new("Suivez @AFP maintenant.");
        let r = p.restore("Follow ZQXA ZQXA ZQXZ zqx now.");
        assert_eq!(r.text, "Follow @AFP now.");
    }

    #[test]
    fn lost_placeholder_is_inserted_by_alignment_before_final_punctuation() {
        let p = Protected::new("Le rapport est sur www.insee.fr.");
        let r = p.restore("The report is on.");
        assert_eq!(r.text, "The report is on www.insee.fr.");
        assert_eq!(r.placed_by_guess, vec![0]);
    }

    #[test]
    fn lost_placeholder_between_two_survivors_goes_between_them() {
        let p = Protected::new("De @un à @deux puis @trois.");
        let r = p.restore("From ZQXA to then ZQXC.");
        let one = r.text.find("@un").unwrap();
        let two = r.text.find("@deux").unwrap();
        let three = r.text.find("@trois").unwrap();
        assert!(one < two && two < three, "{}", r.text);
        assert_eq!(r.placed_by_guess, vec![1]);
    }

    #[test]
    fn stem_avoids_text_that_contains_it() {
        let p = Protected::new("Le code zqx et @x.");
        assert!(p.text.contains("ZQXJA"), "{}", p.text);
        assert_eq!(
            p.restore("The code zqx and ZQXJA.").text,
            "The code zqx and @x."
        );
    }

    #[test]
    fn many_spans_use_two_index_letters() {
        let source: String = (0..30).map(|i| format!("@h{i} ")).collect();
        let p = Protected::new(&source);
        assert_eq!(p.spans().len(), 30);
        assert_eq!(p.placeholder(0), "ZQXAA");
        assert_eq!(p.placeholder(29), "ZQXBD");
        let r = p.restore(&p.text);
        assert_eq!(r.text.trim(), source.trim());
    }
}
