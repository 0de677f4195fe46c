//! Property tests: whatever the input — random Unicode, control characters, or French-looking text
//! built from the tokens the rules care about — `segment` never panics and its ranges meet the contract.

use crate::segment_invariants as invariants;

use passeur::segment::{segment, Sentence};
use proptest::prelude::*;

/// Pieces that exercise every rule: abbreviations, initials, numbers, web addresses, quotes of all
/// kinds, French spacing, ellipses, dashes, bullets, list labels and line breaks of every kind.
const PIECES: &[&str] = &[
    "M.",
    "MM.",
    "Mme",
    "Dr.",
    "etc.",
    "cf.",
    "p. ex.",
    "janv.",
    "av. J.-C.",
    "Co.",
    "Ltd.",
    "J.",
    "J.-P.",
    "U.S.A.",
    "O.N.U.",
    "l'O.N.U.",
    "Wang",
    "Le",
    "la",
    "président",
    "a",
    "déclaré",
    "5.000",
    "26.469,89",
    "3,5 %",
    "12.30",
    "1er",
    "XIXe s.",
    "1.",
    "2)",
    "a)",
    "II.",
    "www.service-public.fr",
    "French.china.org.cn",
    "contact@x.fr",
    "https://x.fr/a?b=1",
    "«",
    "»",
    "\"",
    "“",
    "”",
    "'",
    "’",
    "(",
    ")",
    "[",
    "]",
    "[…]",
    ".",
    "?",
    "!",
    "?!",
    "…",
    "...",
    ". . .",
    "—",
    "–",
    "-",
    "•",
    "*",
    "|",
    ">",
    ",",
    ";",
    ":",
    " ",
    "  ",
    "\u{a0}",
    "\u{202f}",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u{2028}",
    "\u{2029}",
    "\u{0c}",
    "\u{85}",
    "\u{0}",
    "\u{7}",
    "\u{feff}",
    "\u{200b}",
    "é",
    "Ç",
    "iPhone",
    "北京",
    "🙂",
    "\u{301}",
];

fn french_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|pieces| pieces.concat())
}

fn assert_valid(text: &str) -> Vec<Sentence> {
    let sentences = segment(text);
    if let Err(problem) = invariants::check(text, sentences.iter().map(|s| s.range.clone())) {
        panic!("{problem}\ninput: {text:?}\nsentences: {sentences:?}");
    }
    sentences
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_unicode_string_meets_the_contract(text in any::<String>()) {
        assert_valid(&text);
    }

    #[test]
    fn any_string_of_control_characters_and_punctuation_meets_the_contract(
        text in "[\\x00-\\x20.?!…«»\"'()\\[\\]\u{a0}\u{202f}\u{2028}\u{2029}\u{85}a-zA-Z0-9-]{0,80}"
    ) {
        assert_valid(&text);
    }

    #[test]
    fn french_looking_text_meets_the_contract(text in french_like()) {
        assert_valid(&text);
    }

    #[test]
    fn a_blank_line_separates_paragraphs_that_segment_independently(
        first in french_like(),
        second in french_like(),
    ) {
        let text = format!("{first}\n\n{second}");
        let together = assert_valid(&text);
        let offset = first.len() + 2;
        let mut apart = segment(&first);
        apart.extend(segment(&second).into_iter().map(|s| Sentence { range: s.range.start + offset..s.range.end + offset }));
        prop_assert_eq!(together, apart);
    }

    #[test]
    fn one_line_without_terminal_punctuation_or_bullets_is_one_sentence(
        text in "[a-zA-Zéàç0-9,;:«»()' \u{a0}-]{0,80}"
    ) {
        let sentences = assert_valid(&text);
        let expected = usize::from(!text.trim().is_empty());
        prop_assert_eq!(sentences.len(), expected);
    }
}

/// Found by the paragraph property: whether a paragraph ended with spaces or with a blank line
/// used to decide whether a trailing dash started a sentence of its own.
#[test]
fn trailing_spaces_never_change_the_sentences() {
    for text in ["janv.»—", "Il pleut. —", "Fin. «", "M. Wang est là. ?"] {
        let bare = segment(text);
        for ending in [" ", "  \t", "\u{a0}", "\n\n"] {
            assert_eq!(
                segment(&format!("{text}{ending}")),
                bare,
                "{text:?} + {ending:?}"
            );
        }
    }
}
