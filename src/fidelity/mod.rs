//! The fidelity guard: never hallucinate on non-text, protect and verify numbers and URLs, catch
//! degenerate translations and retry, flag what stays doubtful.
//!
//! Marian models fail in known ways: "-" becomes "- No, no, no…", a lone word a repeated word, a
//! long digit string a web address, an ALL-CAPS headline repeated phrases, a sentence loses its
//! second half. Our users read our English instead of the French.
//!
//! Before any of this, a segment with nothing to translate (numbers, dates, punctuation, URLs,
//! handles, code: the rule is [`passthrough::is_passthrough`]) is copied and never reaches a
//! translator. That is decided once, when a document's requests are planned
//! ([`Plan`](crate::pipeline::Plan)), with the guard on or off. Each sentence that does reach the
//! guard goes through these steps ([`Guard::translate`]):
//!
//! 1. **Protection** ([`protect`]): URLs, e-mails, @handles, #hashtags, domains and `code` become
//!    placeholders; they are restored afterwards, each exactly once.
//! 2. **Typography for the model** (`typography::for_model`): French spaces and apostrophes
//!    made uniform.
//! 3. **Translation** of all sentences of the batch in one call.
//! 4. **Restoration**: English typography (`typography::english`), then protected spans.
//! 5. **Checks**: numbers, dates and times agree ([`numbers`]); no empty, truncated, copied,
//!    looping or implausibly long or short translation ([`degeneration`]).
//! 6. **Recovery** of defective sentences, in this order, each step batched over every sentence
//!    still defective and stopping for a sentence as soon as one attempt passes:
//!    1. decode again with a repetition guard and at least 4 beams ([`Retry`]);
//!    2. translate the sentence clause by clause (`clauses`);
//!    3. for ALL-CAPS text, translate it in sentence case and capitalise the result (`case`).
//! 7. **Flag**: if no attempt passes, the best one (fewest and mildest defects, then best model
//!    score) is kept and flagged with its reasons.
//!
//! Every sentence comes out as a [`SentenceTranslation`] whose [`Verdict`] says what happened:
//! translated, recovered by a step, or flagged with its reasons ([`Defect`], with a stable code and
//! a sentence in words). The vocabulary lives in [`crate::verdict`], below this module, so that
//! the writers and summaries read the guard's findings unchanged.
//!
//! The guard only needs [`RetryTranslator`] from the engine: a [`SentenceTranslator`] that can
//! translate again with another decoding. [`FixedDecoding`] adapts any other
//! [`SentenceTranslator`] (the repetition-guard step is then skipped).
//!
//! ```
//! use passeur::fidelity::{FixedDecoding, Guard};
//! use passeur::verdict::Verdict;
//! use passeur::translate::{SentenceTranslation, SentenceTranslator};
//!
//! /// A stand-in for the engine that always answers the same.
//! struct Echo;
//! impl SentenceTranslator for Echo {
//!     fn translate_sentences(&self, s: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
//!         Ok(s.iter()
//!             .map(|_| SentenceTranslation::new("There were 5,000 people.", Some(-0.3)))
//!             .collect())
//!     }
//! }
//!
//! let guard = Guard::default();
//! let out = guard.translate(&FixedDecoding(Echo), &["Il y avait 5.000 personnes.", "Il y en avait 500."])?;
//! assert_eq!(out[0].verdict, Verdict::Translated);
//! assert_eq!(out[0].text, "There were 5,000 people.");
//! assert!(out[1].verdict.is_flagged()); // 500 is not 5,000
//! assert_eq!(out[1].verdict.flags()[0].code(), "number_missing");
//! # Ok::<(), passeur::Error>(())
//! ```
//!
//! [`SentenceTranslator`]: crate::translate::SentenceTranslator
//! [`SentenceTranslation`]: crate::translate::SentenceTranslation
//! [`Verdict`]: crate::verdict::Verdict
//! [`Defect`]: crate::verdict::Defect

mod case;
mod clauses;
pub mod degeneration;
mod guard;
pub mod numbers;
mod passthrough;
pub mod protect;
mod retry;
mod runs;
mod typography;

pub use guard::{Guard, GuardOptions, Guarded};
pub use passthrough::is_passthrough;
pub use retry::{FixedDecoding, Retry, RetryTranslator};
pub use typography::QuoteStyle;

#[cfg(test)]
mod props {
    use super::{case, clauses, typography, QuoteStyle};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_text_helpers_never_panic(text in "\\PC{0,80}|[\\x00-\\x7f]{0,80}|.{0,80}") {
            let _ = case::is_all_caps(&text);
            let _ = case::lower_for_model(&text);
            let _ = case::restore_caps(&text);
            let _ = clauses::split_clauses(&text);
        }

        #[test]
        fn typography_is_idempotent(text in "[a-zA-Z0-9 \\u{a0}\\u{202f}«»\"“”'’‘,.;:!?%()…\\-]{0,60}") {
            for quotes in [QuoteStyle::Curly, QuoteStyle::Straight] {
                let once = typography::english(&text, quotes);
                // Straight quotes lose which side a quote was on, so only curly output is stable on
                // arbitrary (unbalanced, nested) quotation marks.
                if quotes == QuoteStyle::Curly {
                    prop_assert_eq!(typography::english(&once, quotes), once.clone());
                }
                prop_assert!(!once.contains(['\u{a0}', '\u{202f}']), "no-break space in {:?}", once);
                for mark in [" ,", " .", " ;", " :", " !", " ?"] {
                    prop_assert!(!once.contains(mark), "{:?} in {:?}", mark, once);
                }
            }
            let model = typography::for_model(&text);
            prop_assert_eq!(typography::for_model(&model), model.clone());
            prop_assert!(!model.contains("  ") && !model.contains('\u{a0}'), "{:?}", model);
        }
    }
}
