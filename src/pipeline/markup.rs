//! The inline markup of an HTML sentence (`<a>`, `<em>`, `<code>`…) in its English: each
//! element's text that needs a translation is also translated on its own, and
//! [`crate::document::markup`] places the tags around those words of the sentence's English.

use super::plan::{join_pieces, Piece, Requests};
use crate::document::{markup, InlineText};
use crate::translate::SentenceTranslation;

/// How the markup of one sentence is placed: each fragment, and the pieces of those translated
/// on their own.
pub(super) type MarkupPlan = Vec<(markup::Fragment, Option<Vec<Piece>>)>;

/// The requests of an HTML sentence's inline elements.
pub(super) fn plan_markup(sentence: &InlineText, requests: &mut Requests) -> MarkupPlan {
    markup::fragments(sentence)
        .into_iter()
        .map(|fragment| {
            let pieces = match &fragment.need {
                markup::Need::Translation(text) => Some(requests.pieces(text, None)),
                _ => None,
            };
            (fragment, pieces)
        })
        .collect()
}

/// An HTML sentence's English with its inline markup placed.
pub(super) fn place_markup(
    english: &str,
    source: &InlineText,
    plans: &MarkupPlan,
    translations: &[SentenceTranslation],
) -> InlineText {
    let fragments: Vec<markup::Fragment> = plans.iter().map(|(f, _)| f.clone()).collect();
    let english_of: Vec<Option<String>> = plans
        .iter()
        .map(|(fragment, pieces)| match (&fragment.need, pieces) {
            (markup::Need::Translation(text), Some(pieces)) => {
                Some(join_pieces(text, pieces, translations).0)
            }
            _ => None,
        })
        .collect();
    markup::place(english, source, &fragments, &english_of).0
}
