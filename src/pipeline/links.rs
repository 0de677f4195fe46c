//! Links in the English: each link of a sentence placed on the translation of its text (see the
//! [module docs](super) for the rule), so no URL is ever lost.

use super::plan::{join_pieces, LinkPlan};
use crate::document::{markup, InlineText, Link};
use crate::translate::SentenceTranslation;
use std::ops::Range;

/// Places the source's links in `english` (see the module docs).
pub(super) fn place_links(
    english: String,
    source: &InlineText,
    plans: &[LinkPlan],
    translations: &[SentenceTranslation],
) -> InlineText {
    let translated_len = english.len();
    let mut text = english;
    let mut links = Vec::with_capacity(plans.len());
    let mut search_from = 0;
    for (link, plan) in source.links.iter().zip(plans) {
        let range = match plan {
            LinkPlan::WholeSentence => 0..translated_len,
            LinkPlan::Pieces(pieces) => {
                let source_text = &source.text[link.range.clone()];
                let (mut link_text, _) = join_pieces(source_text, pieces, translations);
                if link_text.trim().is_empty() {
                    link_text = source_text.trim().to_string();
                }
                match find_ignoring_case(&text[..translated_len], &link_text, search_from) {
                    Some(found) => {
                        search_from = found.end;
                        found
                    }
                    None => {
                        text.push_str(" (");
                        let start = text.len();
                        text.push_str(&link_text);
                        text.push(')');
                        start..start + link_text.len()
                    }
                }
            }
        };
        links.push(Link {
            range,
            destination: link.destination.clone(),
            image: link.image,
        });
    }
    InlineText {
        text,
        links,
        tags: Vec::new(),
    }
}

/// The first occurrence of `needle` in `haystack` at or after `from`: exact, else ignoring case
/// (the search that places inline HTML markup, [`markup::find_ignoring_case`]).
fn find_ignoring_case(haystack: &str, needle: &str, from: usize) -> Option<Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    markup::find_ignoring_case(haystack, needle, from..haystack.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_found_ignoring_case_or_appended() {
        assert_eq!(
            find_ignoring_case("The Report says", "the report", 0),
            Some(0..10)
        );
        assert_eq!(find_ignoring_case("a b a b", "a b", 1), Some(4..7));
        assert_eq!(find_ignoring_case("Été", "été", 0), Some(0..5));
        assert_eq!(find_ignoring_case("nothing", "else", 0), None);
    }
}
