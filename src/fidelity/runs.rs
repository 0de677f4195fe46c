//! Runs of characters: the words (or alphanumeric tokens) of a text with their offsets.

/// The runs of characters of `text` that satisfy `keep` (words, for a letter test), each with its
/// byte offset.
pub(super) fn runs_of(text: &str, keep: impl Fn(char) -> bool) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (keep(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}
