//! Protection of spans the model must not touch: URLs, e-mail addresses, @handles, #hashtags, bare
//! domain names and `inline code`.
//!
//! # The scheme
//!
//! Each protected span is replaced, in the text sent to the model, by a placeholder made of a stem
//! and an index in capital letters: `ZQXA`, `ZQXB`, … (two index letters from the 27th span on).
//! Why this shape:
//! - Marian's SentencePiece vocabulary maps rare symbols (`⟦`, `§§`, private-use characters) to
//!   `<unk>`, which the decoder drops or replaces: markup-like placeholders do not come back.
//!   Digits are reformatted by the model ("1" → "one") and would disturb the number check.
//! - Short capitalised ASCII letter strings with no meaning look like acronyms or names, which
//!   opus-mt models copy through.
//! - The letter pairs `zq` and `qx` occur in no French or English word, so a placeholder, or a
//!   fragment of one the model mangled, is recognised in the output without ambiguity.
//!
//! # Restoration
//!
//! The model's output is scanned case-insensitively for the stem:
//! 1. a stem followed by the index of a span not yet placed becomes that span (letters glued
//!    after it — "ZQXAs" — are dropped);
//! 2. a stem with an unknown or already-used index, and any other word containing `zq` or `qx`, is
//!    a duplicate or mangled fragment and is removed;
//! 3. every span whose placeholder did not survive is re-inserted by alignment: between the
//!    nearest placed spans before and after it (or the text's ends), at the position proportional
//!    to its position in the source, moved to the nearest word boundary and kept before the final
//!    punctuation. Those spans are reported, since their position is an estimate.
//!
//! So the restored text holds each protected span exactly once, whatever the model produced.
//!
//! # Limits
//!
//! - A span placed by alignment may sit in the wrong place in a reordered English sentence.
//! - The model may inflect around a placeholder as it would around a name ("à ZQXA" → "at ZQXA"),
//!   which is usually right for URLs and handles and sometimes not for code.
//! - If the source itself contains `zq` or `qx` (unlikely outside adversarial text), the stem is
//!   lengthened until it is absent from the source and mangled fragments are no longer removed.
//! - Numbers are not protected: they must change form (5.000 → 5,000) and are verified instead.

mod placeholders;
mod spans;

pub use placeholders::{Protected, Restored};
pub use spans::{find_spans, strip_spans, Span, SpanKind};
