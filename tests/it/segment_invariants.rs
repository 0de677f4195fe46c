//! The contract every result of `segment` must meet, shared by the segmentation tests and the fuzz
//! target (which includes this file by path, hence no dependency on the `passeur` crate here).

use std::ops::Range;

/// Checks that `ranges` (the sentences' byte ranges, in order) are a valid segmentation of `text`:
/// in bounds, on char boundaries, non-empty, increasing and non-overlapping, trimmed of whitespace,
/// and together covering every non-whitespace character. Returns what is wrong, in words.
pub fn check(text: &str, ranges: impl IntoIterator<Item = Range<usize>>) -> Result<(), String> {
    let mut covered_to = 0;
    for (n, range) in ranges.into_iter().enumerate() {
        let range = &range;
        if range.start >= range.end || range.end > text.len() {
            return Err(format!(
                "sentence {n}: range {range:?} is empty or out of bounds (len {})",
                text.len()
            ));
        }
        if !text.is_char_boundary(range.start) || !text.is_char_boundary(range.end) {
            return Err(format!(
                "sentence {n}: range {range:?} is not on char boundaries"
            ));
        }
        if range.start < covered_to {
            return Err(format!(
                "sentence {n}: range {range:?} overlaps or precedes the previous one"
            ));
        }
        let gap = &text[covered_to..range.start];
        if let Some(c) = gap.chars().find(|c| !c.is_whitespace()) {
            return Err(format!(
                "{c:?} before sentence {n} (bytes {covered_to}..{}) is in no sentence",
                range.start
            ));
        }
        let body = &text[range.clone()];
        if body.trim() != body {
            return Err(format!("sentence {n}: {body:?} is not trimmed"));
        }
        covered_to = range.end;
    }
    if let Some(c) = text[covered_to..].chars().find(|c| !c.is_whitespace()) {
        return Err(format!(
            "{c:?} after the last sentence (from byte {covered_to}) is in no sentence"
        ));
    }
    Ok(())
}
