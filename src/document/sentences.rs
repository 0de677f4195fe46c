//! A unit's text cut into sentences: the segmenter's ranges made safe (nothing ever dropped),
//! links kept whole, each sentence's source range and unwrapped text.

use super::inline::{unwrap, Projection};
use super::parse::RawUnit;
use super::{SourceSentence, Syntax, Unit};
use crate::segment::segment;
use std::ops::Range;

/// The unit `raw` of `source` with its sentences, numbered from `next_index` on.
pub(super) fn build_unit(
    source: &str,
    syntax: Syntax,
    raw: RawUnit,
    next_index: &mut usize,
) -> Unit {
    let projection = Projection::build(source, &raw.lines, syntax == Syntax::Markdown);
    let found = segment(&projection.text).into_iter().map(|s| s.range);
    let ranges = keep_links_whole(sanitize_ranges(&projection.text, found), &projection);
    let mut sentences = Vec::with_capacity(ranges.len());
    for (i, range) in ranges.iter().enumerate() {
        let links_inside: Vec<_> = projection
            .links
            .iter()
            .filter(|link| link.text.start < range.end && link.text.end > range.start)
            .collect();
        let mut source_range =
            projection.source_start(range.start)..projection.source_end(range.end);
        for link in &links_inside {
            source_range.start = source_range.start.min(link.source.start);
            source_range.end = source_range.end.max(link.source.end);
        }
        let relative_links: Vec<_> = links_inside
            .iter()
            .map(|link| {
                let start = link.text.start.max(range.start) - range.start;
                let end = link.text.end.min(range.end) - range.start;
                (start..end, link.destination.clone(), link.image)
            })
            .collect();
        let text = unwrap(&projection.text[range.clone()], &relative_links);
        let line_break_before =
            i > 0 && projection.text[ranges[i - 1].end..range.start].contains('\n');
        sentences.push(SourceSentence {
            index: *next_index,
            range: source_range,
            line_break_before,
            text,
        });
        *next_index += 1;
    }
    let first_line = raw.lines.first().expect("units have content");
    let last_line = raw.lines.last().expect("units have content");
    Unit {
        kind: raw.kind,
        marker: raw.marker,
        content: first_line.start..last_line.end,
        continuation: raw.continuation,
        sentences,
    }
}

/// The segmenter's sentence ranges, made safe: a range is kept only if it is in bounds, on
/// character boundaries, after the previous one and not blank, and is trimmed; any non-whitespace
/// text outside the kept ranges becomes a sentence of its own, so nothing is ever dropped whatever
/// the segmenter returns.
pub(super) fn sanitize_ranges(
    text: &str,
    found: impl Iterator<Item = Range<usize>>,
) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut covered = 0;
    for range in found {
        let valid = range.start >= covered
            && range.start < range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end);
        if !valid {
            continue;
        }
        let found_text = &text[range.clone()];
        let trimmed = found_text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let start = range.start + (found_text.len() - found_text.trim_start().len());
        let range = start..start + trimmed.len();
        push_trimmed(&mut ranges, text, covered..range.start);
        ranges.push(range.clone());
        covered = range.end;
    }
    push_trimmed(&mut ranges, text, covered..text.len());
    ranges
}

/// Pushes `range` of `text`, trimmed, unless it is only whitespace.
fn push_trimmed(ranges: &mut Vec<Range<usize>>, text: &str, range: Range<usize>) {
    let part = &text[range.clone()];
    if !part.trim().is_empty() {
        let start = range.start + (part.len() - part.trim_start().len());
        ranges.push(start..start + part.trim().len());
    }
}

/// Merges consecutive sentences that a link straddles.
fn keep_links_whole(ranges: Vec<Range<usize>>, projection: &Projection) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if let Some(last) = merged.last_mut() {
            let straddled = projection
                .links
                .iter()
                .any(|link| link.text.start < last.end && link.text.end > range.start);
            if straddled {
                last.end = range.end;
                continue;
            }
        }
        merged.push(range);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_segmenter_output_loses_nothing() {
        let text = "Un é. Deux. Trois. Quatre";
        // Inside `é`, out of bounds, empty, overlapping, untrimmed; the start and end are missing.
        let found = [0..4, 7..12, 99..120, 9..9, 8..18, 13..19];
        let ranges = sanitize_ranges(text, found.into_iter());
        let pieces: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(pieces, ["Un é.", "Deux.", "Trois.", "Quatre"]);
    }
}
