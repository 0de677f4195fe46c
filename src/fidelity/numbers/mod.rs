//! Number consistency between a French source and its English translation.
//!
//! A wrong number in a news translation is worse than no translation, so every number, date and
//! time of the source must have a counterpart in the translation and the reverse, once French and
//! English conventions are normalised.
//!
//! # What is extracted
//!
//! Each *mention* is a piece of text with the set of values it may mean, and whether it is *hard*
//! (must have a counterpart) or *soft* (may serve as a counterpart, never required):
//! - numbers in digits, read with each language's conventions: French `5.000`, `5 000` (space,
//!   no-break or narrow no-break space, apostrophe), `26.469,89`, `3,5`; English `5,000`,
//!   `26,469.89`, `3.5`, and `5 000`. English text is read as English, so a French `5.000` copied
//!   into the translation reads "5" and does not match `5.000` = 5000; forms impossible in English
//!   (`26.469,89`, `1,5`) are read the French way. A scale word multiplies: `1,5 million`,
//!   `3 milliards` (= 3 billion), `2 billions` (French, = 2 trillion), `5 Md€`, `$5bn`, `5m`
//!   (metres or millions: both);
//! - ordinals (`1er`, `2e`, `2ème`, `1st`, `2nd`) by their number; Roman ordinals (`XIXe`) are hard,
//!   bare Roman numerals (`Louis XIV`, `Francis I`) soft;
//! - times as minutes after midnight: `15 h 30`, `15h30`, `15:30`, `3:30 p.m.`, `3.30pm`, `15 h`
//!   (also the number 15: "15 heures" may be a duration), `3 o'clock`; a 12-hour time without
//!   a.m./p.m. means either half of the day;
//! - dates split into their parts, so that `17-11-2013`, `17 novembre 2013` and `November 17,
//!   2013` all give {17, November, 2013}: a part of a numeric date that is ≤ 12 may be a day or
//!   a month (day-first and month-first orders both accepted); month names are mentions of their
//!   month (`May`, `March`, `Mars` with a capital, and abbreviations are soft unless next to a
//!   number);
//! - decades: `années 80`, `'80s`, `80s` mean 80 or 1980; year ranges `2013-14` mean 2014 too;
//! - numbers in words: French ones (`deux`, `vingt-trois`, `quatre-vingt-dix`, `dizaine`) are soft
//!   because French uses them where English does not ("les deux" → "both", "Trois-Rivières");
//!   English cardinals (`two`, `twenty-three`, `a hundred`) are hard, except `one` (a pronoun),
//!   ordinal words and `dozen`.
//!
//! Digits inside protected spans (URLs, e-mails, handles) are not numbers of the sentence. Signs
//! and units are ignored: `-5 °C` and `5 °F` are both 5, `3,5 %` and `3.5` agree.
//!
//! # How they are compared
//!
//! Two mentions correspond when their value sets intersect. The translation is consistent when
//! one pairing covers every hard mention on both sides. By the Mendelsohn–Dulmage theorem that is
//! the case exactly when a matching covers the source's hard mentions and another covers the
//! translation's, so two bipartite matchings decide it, and their unmatched mentions are what the
//! report names.
//!
//! The rooms: `value.rs` (what a mention may mean), `extract.rs` (finding mentions), `scan.rs`
//! (digits), `calendar.rs` (Roman numerals, months), `words.rs` (numbers in words), `compare.rs`
//! (the matchings).

mod calendar;
mod compare;
mod extract;
mod scan;
mod value;
mod words;

pub use compare::{compare, NumberCheck};
pub use extract::extract;
pub use value::{Decimal, Lang, Mention, Value};

#[cfg(test)]
mod tests;
