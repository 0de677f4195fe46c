//! From a parsed document to a bilingual one: plan the requests, translate them, realign.
//!
//! The rules:
//! * passthrough is decided here and nowhere else (by the plan), for every sentence,
//!   every piece of a split sentence and every link text: what has nothing to translate (see
//!   [`is_passthrough`](crate::fidelity::is_passthrough)) is copied and never reaches the translator, guarded or not;
//! * a sentence over the token budget is cut into pieces (see [`split_to_budget`](crate::document::split_to_budget)); its English is
//!   the pieces' translations joined by a space (no space where the cut fell inside a word);
//! * every distinct request text is translated once per document (boilerplate repeats);
//! * requests go to the translator sorted by token count, in chunks of
//!   [`PipelineOptions::chunk_size`] (`crate::rebatch`), so each call is a batch of similar
//!   lengths and progress can be reported between calls; translations return to their sentences in
//!   document order;
//! * a link's text is translated on its own (unless it is the whole sentence, which then is the
//!   link); the link is placed on the first occurrence of that translation in the sentence's English
//!   (exact, then ignoring case) and otherwise appended after the sentence in parentheses, so no
//!   URL is ever lost;
//! * a split sentence's score is the mean of its pieces' scores (none if a piece has none).
//!
//! [`Plan`] decides (the rules above; `plan.rs`, and `links.rs` for the links); [`Pipeline`] runs
//! a plan with a [`SentenceTranslator`](crate::translate::SentenceTranslator) (`run.rs`); the
//! result is a [`Bilingual`](crate::bilingual::Bilingual) document, whose data lives in
//! `crate::bilingual` for the writers to read.

mod links;
mod markup;
mod plan;
mod run;

pub use plan::{Plan, Request};
pub(crate) use run::token_budget;
pub use run::{Pipeline, PipelineOptions, Progress};
