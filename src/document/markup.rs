//! Inline markup in a translation: where the tags of an HTML sentence go in its English.
//!
//! A sentence's markup is a sequence of [`Tag`]s (element starts and ends, void elements,
//! comments) between its characters. The English gets the *same tags in the same order*, so the
//! page keeps exactly its elements and their nesting; only where each tag falls in the English is
//! decided here. Every element's content in the sentence (its *fragment*) is one of:
//!
//! * the whole sentence: the element wraps the whole English;
//! * empty: the element stays empty;
//! * verbatim (`<code>`, `translate="no"`): its text, in backticks as the model saw it, is
//!   looked for exactly in the English;
//! * text: translated on its own (a separate model request, like Markdown link texts; numbers,
//!   URLs, hashtags and other passthrough text are taken as they are), then looked for in the
//!   English, exactly, then ignoring case, then the French as written (names often stay the
//!   same).
//!
//! Fragments are looked for in source order, outer elements first, each after the previous
//! placed tag and inside its placed parent, so placed tags always keep their order. A fragment
//! found fixes its element's start and end.
//!
//! Tags left unplaced between two placed ones (or the sentence's ends) share that span of the
//! English, so no tag is ever dropped and none claims a precision it does not have:
//! * elements found nowhere *wrap* the words there: alone, all of them (the whole sentence when
//!   nothing else was placed); several side by side split them in proportion to the length of
//!   their French, at word boundaries (each gets a word while there are enough); the same holds
//!   recursively for the elements inside them;
//! * an element that started in an earlier sentence ends as late as it can, one that goes on
//!   into the next sentence starts as early as it can;
//! * void elements and comments (`<br>`, `<img>`) and verbatim text the English lost are put at
//!   the word boundary nearest to their relative position in the French.
//!
//! With more than [`MAX_SEARCHED_TAGS`] tags in one sentence (pathological pages), nothing is
//! searched and every tag is placed by its relative position, in linear time.

use super::{InlineText, Link, Tag, TagKind};
use std::ops::Range;

/// Most tags in one sentence for which fragments are looked for.
pub(crate) const MAX_SEARCHED_TAGS: usize = 2000;

/// An element's content within one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// Index of the element's opening tag in the sentence's tags; none when it opened in an
    /// earlier sentence.
    pub open: Option<usize>,
    /// Index of its closing tag; none when it closes in a later sentence.
    pub close: Option<usize>,
    /// The content's byte range in the sentence's text.
    pub range: Range<usize>,
    /// What the fragment needs to be placed.
    pub need: Need,
}

/// What placing a fragment takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing: it covers the whole sentence.
    Whole,
    /// Nothing: it has no text.
    Empty,
    /// Its text, exactly as in the French (passthrough text).
    Literal(String),
    /// Its text in backticks, as the model saw it, for an element kept verbatim.
    Verbatim(String),
    /// The translation of its text (trimmed).
    Translation(String),
}

/// The fragments of `sentence`'s elements, outer ones first, in source order (see the module
/// docs). Empty when the sentence has more than [`MAX_SEARCHED_TAGS`] tags.
pub(crate) fn fragments(sentence: &InlineText) -> Vec<Fragment> {
    let tags = &sentence.tags;
    if tags.len() > MAX_SEARCHED_TAGS {
        return Vec::new();
    }
    let text = &sentence.text;
    let partner = partners(tags);
    let mut found = Vec::new();
    // Elements that close here but opened before: outermost (closing last) first.
    for (i, tag) in tags.iter().enumerate().rev() {
        if tag.kind.closes() && partner[i].is_none() {
            found.push((None, Some(i)));
        }
    }
    for (i, tag) in tags.iter().enumerate() {
        if tag.kind.opens() {
            found.push((Some(i), partner[i]));
        }
    }
    found
        .into_iter()
        .map(|(open, close)| {
            let start = open.map_or(0, |i| tags[i].at);
            let end = close.map_or(text.len(), |i| tags[i].at).max(start);
            let content = text[start..end].trim();
            let verbatim = open.or(close).is_some_and(|i| {
                matches!(tags[i].kind, TagKind::VerbatimOpen | TagKind::VerbatimClose)
            });
            let need = if content.is_empty() {
                Need::Empty
            } else if verbatim {
                Need::Verbatim(content.to_string())
            } else if crate::fidelity::is_passthrough(content) {
                Need::Literal(content.to_string())
            } else if content == text.trim() {
                Need::Whole
            } else {
                Need::Translation(content.to_string())
            };
            Fragment {
                open,
                close,
                range: start..end,
                need,
            }
        })
        .collect()
}

/// For each tag, the index of the tag that closes or opens the same element in the sentence.
fn partners(tags: &[Tag]) -> Vec<Option<usize>> {
    let mut partner = vec![None; tags.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        if tag.kind.opens() {
            open.push(i);
        } else if tag.kind.closes() {
            if let Some(depth) = open.iter().rposition(|&o| tags[o].node == tag.node) {
                let o = open[depth];
                open.truncate(depth);
                partner[o] = Some(i);
                partner[i] = Some(o);
            }
        }
    }
    partner
}

/// How a sentence's tags were placed in its English.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Elements whose fragment was found (or covers the whole sentence).
    pub found: usize,
    /// Elements and void tags placed by the rules for unplaced tags.
    pub estimated: usize,
}

/// The English `english` of `source` with `source`'s tags and links placed in it (see the module
/// docs). `fragments` are [`fragments`]`(source)`, and `translations` the English of each
/// fragment whose need is a translation (`None` when it has none).
pub(crate) fn place(
    english: &str,
    source: &InlineText,
    fragments: &[Fragment],
    translations: &[Option<String>],
) -> (InlineText, Placement) {
    let english = &restore_verbatim(english, fragments);
    let tags = &source.tags;
    let n = english.len();
    let mut placement = Placement::default();
    let mut at: Vec<Option<usize>> = vec![None; tags.len()];
    if tags.len() <= MAX_SEARCHED_TAGS {
        for (fragment, translation) in fragments.iter().zip(translations) {
            if let Some(range) = find_fragment(english, fragment, translation, &at) {
                if let Some(i) = fragment.open {
                    at[i] = Some(range.start);
                }
                if let Some(i) = fragment.close {
                    at[i] = Some(range.end);
                }
                placement.found += 1;
            }
        }
    }
    placement.estimated = at.iter().filter(|p| p.is_none()).count();
    fill_unplaced(english, source, &mut at);
    let mut previous = 0;
    let placed: Vec<Tag> = tags
        .iter()
        .zip(&at)
        .map(|(tag, position)| {
            let position = floor_boundary(english, position.unwrap_or(n).clamp(previous, n));
            previous = position.max(previous);
            Tag {
                at: previous,
                ..*tag
            }
        })
        .collect();
    let links = place_links(source, fragments, &placed, n);
    (
        InlineText {
            text: english.to_string(),
            links,
            tags: placed,
        },
        placement,
    )
}

/// `english` with each verbatim element's text as the French has it: where the model changed
/// the text between the backticks (no fidelity guard to protect it), the next backticked span
/// is taken for it, in order.
fn restore_verbatim(english: &str, fragments: &[Fragment]) -> String {
    let mut out = english.to_string();
    let mut from = 0;
    for fragment in fragments {
        let Need::Verbatim(text) = &fragment.need else {
            continue;
        };
        if let Some(found) = find_exact(&out, text, from..out.len()) {
            from = found.end;
            continue;
        }
        let Some(open) = out[from..].find('`').map(|i| from + i) else {
            break;
        };
        let Some(close) = out[open + 1..].find('`').map(|i| open + 1 + i) else {
            break;
        };
        out.replace_range(open..close + 1, text);
        from = open + text.len();
    }
    out
}

/// Where `fragment` is in `english`, if it can be found between the tags placed so far.
fn find_fragment(
    english: &str,
    fragment: &Fragment,
    translation: &Option<String>,
    at: &[Option<usize>],
) -> Option<Range<usize>> {
    let n = english.len();
    let first = fragment.open.or(fragment.close)?;
    let last = fragment.close.or(fragment.open)?;
    // Placed tags before the fragment bound it from the left, those after it from the right.
    let lo = at[..first].iter().flatten().copied().max().unwrap_or(0);
    let hi = at[last + 1..].iter().flatten().copied().min().unwrap_or(n);
    if lo > hi {
        return None;
    }
    let found = match &fragment.need {
        Need::Whole => Some(lo..hi),
        Need::Empty => None,
        // Passthrough text (a number, a URL, a hashtag) is copied by the model, though not
        // always in the same case (`#Rafale` at the start of a title).
        Need::Literal(text) => find_ignoring_case(english, text, lo..hi),
        Need::Verbatim(text) => find_exact(english, text, lo..hi),
        Need::Translation(french) => translation
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(|t| find_ignoring_case(english, t, lo..hi))
            .or_else(|| find_exact(english, french, lo..hi)),
    }?;
    // An element open before the sentence starts where the placed tags allow; one going on past
    // it ends where they allow.
    let start = if fragment.open.is_some() {
        found.start
    } else {
        lo
    };
    let end = if fragment.close.is_some() {
        found.end
    } else {
        hi
    };
    Some(start..end)
}

fn find_exact(haystack: &str, needle: &str, within: Range<usize>) -> Option<Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    let window = haystack.get(within.clone())?;
    window
        .find(needle)
        .map(|at| within.start + at..within.start + at + needle.len())
}

/// The first occurrence of `needle` in `haystack[within]`: exact, else ignoring case.
pub(crate) fn find_ignoring_case(
    haystack: &str,
    needle: &str,
    within: Range<usize>,
) -> Option<Range<usize>> {
    if let Some(found) = find_exact(haystack, needle, within.clone()) {
        return Some(found);
    }
    let window = haystack.get(within.clone())?;
    window.char_indices().find_map(|(i, _)| {
        let start = within.start + i;
        let mut rest = haystack[start..within.end].char_indices();
        let mut end = start;
        for wanted in needle.chars() {
            let (j, found) = rest.next()?;
            if !found.to_lowercase().eq(wanted.to_lowercase()) {
                return None;
            }
            end = start + j + found.len_utf8();
        }
        Some(start..end)
    })
}

/// One piece of work of [`fill_unplaced`]: tags `first..=last`, all unplaced, to place within
/// `bounds` of the English, which stand for `source_bounds` of the French.
struct Run {
    first: usize,
    last: usize,
    bounds: Range<usize>,
    source_bounds: Range<usize>,
}

/// Places every unplaced tag (see the module docs), without recursion.
fn fill_unplaced(english: &str, source: &InlineText, at: &mut [Option<usize>]) {
    let tags = &source.tags;
    if tags.len() > MAX_SEARCHED_TAGS {
        // Relative position only: linear in the number of tags.
        for (i, tag) in tags.iter().enumerate() {
            at[i] = Some(proportional(
                english,
                0..english.len(),
                0..source.text.len(),
                tag.at,
            ));
        }
        return;
    }
    let partner = partners(tags);
    let mut work = Vec::new();
    let mut i = 0;
    while i < tags.len() {
        if at[i].is_some() {
            i += 1;
            continue;
        }
        let first = i;
        while i < tags.len() && at[i].is_none() {
            i += 1;
        }
        let last = i - 1;
        let left = first.checked_sub(1);
        let right = (i < tags.len()).then_some(i);
        work.push(Run {
            first,
            last,
            bounds: left.and_then(|l| at[l]).unwrap_or(0)
                ..right.and_then(|r| at[r]).unwrap_or(english.len()),
            source_bounds: left.map_or(0, |l| tags[l].at)
                ..right.map_or(source.text.len(), |r| tags[r].at),
        });
    }
    while let Some(run) = work.pop() {
        place_run(english, source, &partner, run, at, &mut work);
    }
}

/// Places one run of unplaced tags; queues the insides of the elements it places.
fn place_run(
    english: &str,
    source: &InlineText,
    partner: &[Option<usize>],
    run: Run,
    at: &mut [Option<usize>],
    work: &mut Vec<Run>,
) {
    let tags = &source.tags;
    let bounds = run.bounds.start..run.bounds.end.max(run.bounds.start);
    let words = words_in(english, bounds.clone());
    // The run's items: whole elements (weighted by their French length) and single tags.
    let mut items: Vec<(usize, Option<usize>, usize)> = Vec::new();
    let mut k = run.first;
    while k <= run.last {
        match partner[k] {
            Some(p) if tags[k].kind.opens() && p <= run.last => {
                let french = source.text[tags[k].at..tags[p].at].trim();
                let weight = if tags[k].kind == TagKind::VerbatimOpen {
                    0
                } else {
                    french.chars().count()
                };
                items.push((k, Some(p), weight));
                k = p + 1;
            }
            _ => {
                items.push((k, None, 0));
                k += 1;
            }
        }
    }
    let groups = items
        .iter()
        .filter(|(_, p, w)| p.is_some() && *w > 0)
        .count();
    let total: usize = items.iter().map(|(_, _, w)| w).sum();
    let spare = words.len().saturating_sub(groups);
    let mut next_word = 0;
    let mut cumulative = 0;
    let mut position = bounds.start;
    let mut groups_left = groups;
    for (index, &(k, p, weight)) in items.iter().enumerate() {
        let next_start = words.get(next_word).map_or(bounds.end, |w| w.start);
        match p {
            Some(p) if weight > 0 => {
                groups_left -= 1;
                // One word each while there are enough, the rest in proportion to the French.
                let before = spare * cumulative / total.max(1);
                cumulative += weight;
                let after = spare * cumulative / total.max(1);
                let mut count = usize::from(words.len() > next_word) + after - before;
                if groups_left == 0 {
                    count = words.len() - next_word;
                }
                count = count.min(words.len() - next_word);
                let range = if count == 0 {
                    position..position
                } else {
                    words[next_word].start..words[next_word + count - 1].end
                };
                next_word += count;
                at[k] = Some(range.start);
                at[p] = Some(range.end);
                position = range.end;
                if p > k + 1 {
                    work.push(Run {
                        first: k + 1,
                        last: p - 1,
                        bounds: range,
                        source_bounds: tags[k].at..tags[p].at,
                    });
                }
            }
            _ => {
                let later_groups = items[index + 1..]
                    .iter()
                    .any(|(_, p, w)| p.is_some() && *w > 0);
                let spot = match (tags[k].kind, p) {
                    (kind, None) if kind.opens() => next_start.max(position),
                    (kind, None) if kind.closes() && !later_groups => {
                        let end = words.last().map_or(position, |w| w.end).max(position);
                        next_word = words.len();
                        end
                    }
                    (kind, None) if kind.closes() => position,
                    _ => {
                        // Before the words the next element will take, if one comes.
                        let limit = if later_groups { next_start } else { bounds.end };
                        proportional(
                            english,
                            bounds.clone(),
                            run.source_bounds.clone(),
                            tags[k].at,
                        )
                        .clamp(position, limit.max(position))
                    }
                };
                at[k] = Some(spot);
                position = spot;
                if let Some(p) = p {
                    // An element placed as a point: everything in it goes there too.
                    for inner in at.iter_mut().take(p + 1).skip(k + 1) {
                        *inner = Some(spot);
                    }
                }
            }
        }
    }
}

/// The non-whitespace runs of `text[within]`, as ranges of `text`.
fn words_in(text: &str, within: Range<usize>) -> Vec<Range<usize>> {
    let Some(window) = text.get(within.clone()) else {
        return Vec::new();
    };
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in window.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push(within.start + s..within.start + i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(within.start + s..within.end);
    }
    words
}

/// The word boundary of `english[bounds]` nearest to where `source_at` falls relatively in
/// `source_bounds` of the French.
fn proportional(
    english: &str,
    bounds: Range<usize>,
    source_bounds: Range<usize>,
    source_at: usize,
) -> usize {
    let span = source_bounds.end.saturating_sub(source_bounds.start).max(1);
    let offset = source_at.saturating_sub(source_bounds.start).min(span);
    let width = bounds.end.saturating_sub(bounds.start);
    let target = bounds.start + width * offset / span;
    let words = words_in(english, bounds.clone());
    let mut best = bounds.start;
    for word in &words {
        // On a tie, after a word rather than before the next (a `<br>` ends a line).
        if word.start.abs_diff(target) < best.abs_diff(target) {
            best = word.start;
        }
        if word.end.abs_diff(target) <= best.abs_diff(target) {
            best = word.end;
        }
    }
    if bounds.end.abs_diff(target) < best.abs_diff(target) {
        best = bounds.end;
    }
    floor_boundary(english, best)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The source's links placed where their elements' tags went.
fn place_links(source: &InlineText, fragments: &[Fragment], placed: &[Tag], n: usize) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    for link in &source.links {
        let Some(fragment) = fragments.iter().find(|f| f.range == link.range) else {
            continue;
        };
        let start = fragment.open.map_or(0, |i| placed[i].at);
        let end = fragment.close.map_or(n, |i| placed[i].at).max(start);
        if links.last().is_some_and(|l| l.range.end > start) {
            continue;
        }
        links.push(Link {
            range: start..end,
            destination: link.destination.clone(),
            image: link.image,
        });
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(at: usize, node: usize, kind: TagKind) -> Tag {
        Tag { at, node, kind }
    }

    /// `text` with the tags written as `<N>` and `</N>`, `<N/>` for void ones.
    fn render(text: &InlineText) -> String {
        let mut out = String::new();
        let mut at = 0;
        for t in &text.tags {
            out.push_str(&text.text[at..t.at]);
            at = t.at;
            out.push_str(&match t.kind {
                TagKind::Open | TagKind::VerbatimOpen => format!("<{}>", t.node),
                TagKind::Close | TagKind::VerbatimClose => format!("</{}>", t.node),
                TagKind::Void => format!("<{}/>", t.node),
            });
        }
        out.push_str(&text.text[at..]);
        out
    }

    fn sentence(text: &str, tags: Vec<Tag>) -> InlineText {
        InlineText {
            text: text.to_string(),
            links: Vec::new(),
            tags,
        }
    }

    fn place_with(english: &str, source: &InlineText, dictionary: &[(&str, &str)]) -> String {
        let fragments = fragments(source);
        let translations: Vec<Option<String>> = fragments
            .iter()
            .map(|f| match &f.need {
                Need::Translation(t) => dictionary
                    .iter()
                    .find(|(fr, _)| fr == t)
                    .map(|(_, en)| en.to_string()),
                _ => None,
            })
            .collect();
        render(&place(english, source, &fragments, &translations).0)
    }

    #[test]
    fn found_fragments_are_placed_around_their_english() {
        // Le <1>chat <2>noir</2></1> dort.
        let source = sentence(
            "Le chat noir dort.",
            vec![
                tag(3, 1, TagKind::Open),
                tag(8, 2, TagKind::Open),
                tag(12, 2, TagKind::Close),
                tag(12, 1, TagKind::Close),
            ],
        );
        let dictionary = [("chat noir", "black cat"), ("noir", "Black")];
        assert_eq!(
            place_with("The black cat sleeps.", &source, &dictionary),
            "The <1><2>black</2> cat</1> sleeps."
        );
    }

    #[test]
    fn unfound_elements_wrap_what_is_left_and_siblings_share_it() {
        let source = sentence(
            "Un deux trois quatre.",
            vec![
                tag(0, 1, TagKind::Open),
                tag(2, 1, TagKind::Close),
                tag(3, 2, TagKind::Open),
                tag(20, 2, TagKind::Close),
            ],
        );
        assert_eq!(
            place_with("One two three four.", &source, &[]),
            "<1>One</1> <2>two three four.</2>"
        );
        let alone = sentence(
            "Le grand homme.",
            vec![tag(3, 1, TagKind::Open), tag(8, 1, TagKind::Close)],
        );
        assert_eq!(
            place_with("The tall man.", &alone, &[("grand", "big")]),
            "<1>The tall man.</1>",
            "an element found nowhere wraps the sentence"
        );
    }

    #[test]
    fn verbatim_and_void_tags() {
        // Appelez <1>`init()`</1> puis<2/> attendez.
        let source = sentence(
            "Appelez `init()` puis attendez.",
            vec![
                tag(8, 1, TagKind::VerbatimOpen),
                tag(16, 1, TagKind::VerbatimClose),
                tag(21, 2, TagKind::Void),
            ],
        );
        assert_eq!(
            place_with("Call `init()` then wait.", &source, &[]),
            "Call <1>`init()`</1> then<2/> wait."
        );
        assert_eq!(
            place_with("Call it then wait.", &source, &[]),
            "Call<1></1> it then<2/> wait.",
            "verbatim text the English lost becomes a point; nothing is swallowed"
        );
    }

    #[test]
    fn elements_from_other_sentences_stretch_to_the_edges() {
        // …</1> Fin <2>du texte.  (1 opened before, 2 closes after)
        let source = sentence(
            "Suite. Fin du texte.",
            vec![tag(6, 1, TagKind::Close), tag(11, 2, TagKind::Open)],
        );
        let dictionary = [("Suite.", "Continued."), ("du texte.", "of text.")];
        assert_eq!(
            place_with("Continued. End of text.", &source, &dictionary),
            "Continued.</1> End <2>of text."
        );
        assert_eq!(
            place_with("Continued. End of text.", &source, &dictionary[1..]),
            "Continued. End</1> <2>of text.",
            "not found: the element from before ends as late as it can"
        );
        assert_eq!(
            place_with("More. The end.", &source, &[]),
            "More. The end.</1><2>",
            "nothing found: the element from before ends late, the next one starts late"
        );
    }

    #[test]
    fn tags_keep_their_order_whatever_the_english() {
        let source = sentence(
            "a b c",
            vec![
                tag(0, 1, TagKind::Open),
                tag(1, 1, TagKind::Close),
                tag(2, 2, TagKind::Open),
                tag(3, 2, TagKind::Close),
                tag(4, 3, TagKind::Void),
            ],
        );
        // The English has the words in the other order: `b` is found first, `a` can't be after.
        let out = place_with("B A C", &source, &[("a", "A"), ("b", "B")]);
        assert_eq!(out.matches('<').count(), 5, "{out}");
        let order: Vec<&str> = out.split('<').skip(1).map(|t| &t[..2]).collect();
        assert_eq!(order, ["1>", "/1", "2>", "/2", "3/"], "{out}");
    }
}
