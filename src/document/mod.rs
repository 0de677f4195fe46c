//! Document structure: the decoded input as blocks, units and sentences with byte ranges. This is
//! the low room of the house: it parses and knows nothing of translation.
//!
//! # Structure
//!
//! A [`Document`] is the decoded input split into [`Block`]s (paragraphs, headings, lists, quotes,
//! code), each holding [`Unit`]s: the runs of text that are translated, each with a marker kept as
//! it is (`## `, `- `, `> `, indentation). Every range is a byte range into [`Document::source`].
//!
//! Plain text ([`Syntax::Text`]):
//! * blocks are separated by blank lines (lines holding only whitespace);
//! * a line starting with a bullet (`-`, `*`, `+`, `•`, `◦`, `▪`, `‣`, `·`) and a space starts a
//!   list item, and so does a number of up to three digits with `.` or `)` at the start of a block
//!   or after another item; other lines continue the unit before them;
//! * inside a unit, the segmenter decides which line breaks end a sentence (headlines, header
//!   lines) and which are hard-wrapped prose; wrapped prose is unwrapped for the model, and the
//!   English keeps a line break exactly where the source had one between two sentences.
//!
//! Markdown ([`Syntax::Markdown`]) adds, in the CommonMark way: ATX (`## Titre`) and setext
//! headings, `-`/`*`/`+`/`1.` list items (task boxes kept), blockquotes (`>` markers stripped for
//! translation and put back on every English line), fenced and indented code and thematic breaks
//! (never translated), raw HTML blocks, link reference definitions and tables (kept verbatim, not
//! translated). Inline links and images keep their URL; their text is translated (see
//! [`crate::pipeline`]). Emphasis and inline code are left in the text the model sees.
//!
//! # Sentences
//!
//! Each unit's text, without markers and link syntax but with its line breaks, goes to
//! [`segment`](crate::segment::segment); each [`SourceSentence`] keeps the byte range it covers in
//! the source (a link is never cut between two sentences, and a sentence's range covers the whole
//! syntax of the links in it) and the unwrapped text the model sees. Whether a sentence has
//! anything to translate is not decided here but when its requests are planned (see
//! [`Plan`](crate::pipeline::Plan)).
//!
//!
//! The rooms: `structure.rs` holds the types, `parse.rs` finds blocks and units, `sentences.rs`
//! cuts units into sentences, `inline.rs` reads links, `split.rs` cuts an over-long sentence.
//! Translating a document is [`crate::pipeline`]'s job.

mod html;
mod inline;
pub(crate) mod markup;
mod parse;
mod sentences;
mod split;
pub(crate) mod structure;

pub use html::{HtmlSource, Slot, UnitPlace, UnitSource};
pub use inline::{InlineText, Link, Tag, TagKind};
pub use split::split_to_budget;
pub(crate) use structure::Syntax;
pub use structure::{Block, BlockKind, Document, SourceSentence, Unit, UnitKind};
