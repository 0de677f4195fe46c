//! Splitting sentences that are too long for the model.
//!
//! A Marian model cannot encode more tokens than its position limit, and long inputs translate
//! badly long before that. A sentence whose token count exceeds the budget is cut into pieces that
//! fit, each translated on its own and rejoined. Cuts are made, in order of preference:
//!
//! 1. after `;` or `:` followed by whitespace,
//! 2. after `,` followed by whitespace (so `5,3` is never cut),
//! 3. before a dash (`—`, `–`, ` - `) that follows whitespace,
//! 4. at whitespace,
//! 5. at a character boundary, for a "word" longer than the budget.
//!
//! Each piece is the longest prefix of what remains that fits, cut at the best kind of point that
//! yields one. Pieces together hold every non-whitespace byte of the sentence: nothing is dropped.
//! Token counts are assumed to grow with the prefix (they do for SentencePiece); the search only
//! ever returns a prefix it has checked.
//!
//! # Cost
//!
//! Counting tokens costs time in proportion to the text counted, so the search never counts more
//! than it must: before cutting, it doubles a window from the start of what remains (256 bytes,
//! 512, …) until the window is over the budget; no prefix longer than that window can fit, so the
//! cut points and the binary search stay inside it. A piece of `w` bytes then costs `O(w log w)`,
//! and a sentence of `n` bytes `O(n log n)` in all, whatever its length: an unbroken word of 1 MB
//! is split in about as many steps per byte as a long sentence of 10 kB (`scripts/bench-split`
//! checks the growth). Counting the whole remaining text at every cut instead, as before, made a
//! 1 MB word take hours.

use std::ops::Range;

/// Cuts `text` into trimmed, non-empty, ordered byte ranges whose `token_count` is at most
/// `budget`; together they cover every non-whitespace character of `text`.
///
/// A single character that alone exceeds the budget becomes a piece of its own (nothing smaller
/// exists); everything else fits.
///
/// ```
/// use passeur::document::split_to_budget;
/// let words = |s: &str| s.split_whitespace().count() + 1;
/// let text = "Il a dit ceci ; elle a répondu cela, puis ils sont partis ensemble.";
/// let pieces: Vec<&str> = split_to_budget(text, 6, &words).into_iter().map(|r| &text[r]).collect();
/// assert_eq!(pieces, ["Il a dit ceci ;", "elle a répondu cela,", "puis ils sont partis ensemble."]);
/// ```
pub fn split_to_budget(
    text: &str,
    budget: usize,
    token_count: &dyn Fn(&str) -> usize,
) -> Vec<Range<usize>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    loop {
        start += text[start..].len() - text[start..].trim_start().len();
        let rest = text[start..].trim_end();
        if rest.is_empty() {
            return pieces;
        }
        let Some(window) = window_over_budget(rest, budget, token_count) else {
            pieces.push(start..start + rest.len());
            return pieces;
        };
        let cut = best_cut(rest, window, budget, token_count);
        let piece = rest[..cut].trim_end();
        pieces.push(start..start + piece.len());
        start += cut;
    }
}

/// The first window size tried by [`window_over_budget`].
const FIRST_WINDOW: usize = 256;

/// The end of the shortest doubling window `rest[..end]` (see the module docs) whose tokens are
/// over `budget`, or `None` when all of `rest` fits.
fn window_over_budget(
    rest: &str,
    budget: usize,
    token_count: &dyn Fn(&str) -> usize,
) -> Option<usize> {
    let mut size = FIRST_WINDOW;
    loop {
        let end = char_boundary_at_or_after(rest, size);
        if token_count(rest[..end].trim_end()) > budget {
            return Some(end);
        }
        if end == rest.len() {
            return None;
        }
        size = size.saturating_mul(2);
    }
}

/// The first character boundary of `text` at or after `at` (its length past the end).
fn char_boundary_at_or_after(text: &str, at: usize) -> usize {
    (at..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len())
}

/// The end of the longest prefix of `rest` that fits, at the best kind of cut point; always > 0.
/// No prefix reaching `window` fits, so only cut points before it are considered.
fn best_cut(
    rest: &str,
    window: usize,
    budget: usize,
    token_count: &dyn Fn(&str) -> usize,
) -> usize {
    let fits = |end: usize| token_count(rest[..end].trim_end()) <= budget;
    // One character past the window, so that a cut point's look at its next character sees it.
    let seen = &rest[..char_boundary_at_or_after(rest, window + 1)];
    for kind in [
        CutKind::Clause,
        CutKind::Comma,
        CutKind::Dash,
        CutKind::Space,
    ] {
        let mut candidates = cut_points(seen, kind);
        candidates.retain(|&point| point < window);
        if let Some(end) = longest_fitting(&candidates, &fits) {
            return end;
        }
    }
    let boundaries: Vec<usize> = rest[..window]
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .collect();
    longest_fitting(&boundaries, &fits)
        .unwrap_or_else(|| rest.chars().next().map_or(rest.len(), char::len_utf8))
}

#[derive(Clone, Copy)]
enum CutKind {
    Clause,
    Comma,
    Dash,
    Space,
}

/// Offsets in `rest` where a piece may end, ascending, all in `1..rest.len()`.
fn cut_points(rest: &str, kind: CutKind) -> Vec<usize> {
    let mut points = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let end = i + c.len_utf8();
        let followed_by_space = next.is_some_and(char::is_whitespace);
        let point = match kind {
            CutKind::Clause => matches!(c, ';' | ':')
                .then_some(end)
                .filter(|_| followed_by_space),
            CutKind::Comma => (c == ',').then_some(end).filter(|_| followed_by_space),
            CutKind::Dash => {
                let dash = matches!(c, '—' | '–') || (c == '-' && followed_by_space);
                (dash && previous.is_some_and(char::is_whitespace)).then_some(i)
            }
            CutKind::Space => {
                (c.is_whitespace() && !previous.is_some_and(char::is_whitespace)).then_some(i)
            }
        };
        if let Some(point) = point.filter(|&p| p > 0 && p < rest.len()) {
            if !rest[..point].trim().is_empty() {
                points.push(point);
            }
        }
        previous = Some(c);
    }
    points
}

/// The largest candidate for which `fits` holds, by binary search over ascending candidates.
fn longest_fitting(candidates: &[usize], fits: &dyn Fn(usize) -> bool) -> Option<usize> {
    let (mut low, mut high) = (0, candidates.len());
    let mut best = None;
    while low < high {
        let middle = (low + high) / 2;
        if fits(candidates[middle]) {
            best = Some(candidates[middle]);
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn a_word_longer_than_the_budget_is_cut_at_characters() {
        let text = "abcdefghij klm";
        let pieces: Vec<_> = split_to_budget(text, 4, &chars)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(pieces, ["abcd", "efgh", "ij", "klm"]);
    }

    #[test]
    fn decimal_commas_and_hyphens_are_not_cut_points() {
        let text = "Il pèse 5,3 kilos et demi-portion";
        assert!(cut_points(text, CutKind::Comma).is_empty());
        assert!(cut_points(text, CutKind::Dash).is_empty());
        let dashes = "Il vint — enfin — puis - bref";
        let points: Vec<_> = cut_points(dashes, CutKind::Dash)
            .into_iter()
            .map(|p| &dashes[p..])
            .collect();
        assert_eq!(points, ["— enfin — puis - bref", "— puis - bref", "- bref"]);
    }

    /// The cuts of the exhaustive search the windows replace: every cut point of the whole
    /// remaining text tried, the whole remaining text counted at every step.
    fn exhaustive(text: &str, budget: usize, count: &dyn Fn(&str) -> usize) -> Vec<Range<usize>> {
        let mut pieces = Vec::new();
        let mut start = 0;
        loop {
            start += text[start..].len() - text[start..].trim_start().len();
            let rest = text[start..].trim_end();
            if rest.is_empty() {
                return pieces;
            }
            if count(rest) <= budget {
                pieces.push(start..start + rest.len());
                return pieces;
            }
            let cut = best_cut(rest, rest.len(), budget, count);
            pieces.push(start..start + rest[..cut].trim_end().len());
            start += cut;
        }
    }

    #[test]
    fn windows_cut_exactly_where_the_exhaustive_search_does() {
        let words = |s: &str| s.split_whitespace().count() + 1;
        let bytes = |s: &str| s.len() / 3 + 1;
        let sentence =
            "Il a dit ceci ; elle a répondu cela, puis — enfin — ils sont partis - bref, \
                        c'était long: très long. ";
        let long = sentence.repeat(12);
        let word = "anticonstitutionnellement".repeat(25);
        let mixed = format!("{word} {long} {word}é{word}");
        for text in [&long, &word, &mixed] {
            for budget in [3, 8, 20, 64, 300] {
                for (name, count) in [
                    ("words", &words as &dyn Fn(&str) -> usize),
                    ("bytes", &bytes),
                ] {
                    assert_eq!(
                        split_to_budget(text, budget, count),
                        exhaustive(text, budget, count),
                        "{name}, budget {budget}, text of {} bytes",
                        text.len()
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_word_is_counted_in_proportion_to_its_length() {
        // A counter that adds up what it is asked to count.
        let counted = std::cell::Cell::new(0usize);
        let count = |s: &str| {
            counted.set(counted.get() + s.len());
            s.len() / 4 + 1
        };
        let mut per_byte = Vec::new();
        for length in [64 << 10, 256 << 10] {
            counted.set(0);
            let word = "a".repeat(length);
            let pieces = split_to_budget(&word, 512, &count);
            assert_eq!(pieces.iter().map(|r| r.len()).sum::<usize>(), length);
            per_byte.push(counted.get() as f64 / length as f64);
        }
        // n log n: four times the length costs a few more counted bytes per byte, not four times.
        assert!(per_byte[1] < per_byte[0] * 1.5, "{per_byte:?}");
    }

    #[test]
    fn budget_below_one_character_still_makes_progress() {
        let text = "ab";
        assert_eq!(split_to_budget(text, 0, &chars), vec![0..1, 1..2]);
    }
}
