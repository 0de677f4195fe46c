//! The word lists the rules consult, compiled in from `data/*.txt` and parsed once.
//!
//! Each file holds one entry per line; blank lines and lines starting with `#` are ignored. Entries are
//! single tokens written without their final full stop. Extending the segmenter to a new abbreviation is
//! a one-line change in the right file; the unit tests below check the files stay well-formed.

use std::collections::HashSet;
use std::sync::LazyLock;

const NON_FINAL: &str = include_str!("data/non_final.txt");
const MAY_END: &str = include_str!("data/may_end.txt");
const COMPANY_SUFFIXES: &str = include_str!("data/company_suffixes.txt");
const SENTENCE_STARTERS: &str = include_str!("data/sentence_starters.txt");
const LINE_CONTINUATIONS: &str = include_str!("data/line_continuations.txt");

/// The parsed word lists.
pub(super) struct Lexicon {
    non_final: HashSet<&'static str>,
    may_end: HashSet<&'static str>,
    company_suffixes: HashSet<&'static str>,
    sentence_starters: HashSet<&'static str>,
    line_continuations: HashSet<&'static str>,
}

/// The lexicon, parsed on first use.
pub(super) static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| Lexicon {
    non_final: entries(NON_FINAL).collect(),
    may_end: entries(MAY_END).collect(),
    company_suffixes: entries(COMPANY_SUFFIXES).collect(),
    sentence_starters: entries(SENTENCE_STARTERS).collect(),
    line_continuations: entries(LINE_CONTINUATIONS).collect(),
});

/// The entries of one data file.
fn entries(file: &'static str) -> impl Iterator<Item = &'static str> {
    file.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Looks `word` up in `set` as written, and, for words of two letters or more that start with a
/// capital, also with that capital lowered (an abbreviation at the start of a sentence: "Cf.", "Env.").
fn contains_abbreviation(set: &HashSet<&str>, word: &str) -> bool {
    if set.contains(word) {
        return true;
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() && chars.next().is_some() => {
            let mut lowered = String::with_capacity(word.len());
            lowered.extend(first.to_lowercase());
            lowered.push_str(&word[first.len_utf8()..]);
            set.contains(lowered.as_str())
        }
        _ => false,
    }
}

impl Lexicon {
    /// A title or an abbreviation after which a full stop never ends a sentence.
    pub(super) fn is_non_final(&self, word: &str) -> bool {
        contains_abbreviation(&self.non_final, word)
    }

    /// An abbreviation (or a company suffix) whose full stop ends a sentence only before a clear
    /// sentence start.
    pub(super) fn may_end(&self, word: &str) -> bool {
        contains_abbreviation(&self.may_end, word) || self.is_company_suffix(word)
    }

    /// A company suffix: "Inc", "Ltd", "Co" …
    pub(super) fn is_company_suffix(&self, word: &str) -> bool {
        self.company_suffixes.contains(word)
    }

    /// A capitalised word that starts sentences and is hardly ever a name.
    pub(super) fn is_sentence_starter(&self, word: &str) -> bool {
        self.sentence_starters.contains(word)
    }

    /// A lower-case word after which a line cannot end on its own.
    pub(super) fn is_line_continuation(&self, word: &str) -> bool {
        self.line_continuations.contains(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const FILES: [(&str, &str); 5] = [
        ("non_final.txt", NON_FINAL),
        ("may_end.txt", MAY_END),
        ("company_suffixes.txt", COMPANY_SUFFIXES),
        ("sentence_starters.txt", SENTENCE_STARTERS),
        ("line_continuations.txt", LINE_CONTINUATIONS),
    ];

    #[test]
    fn every_entry_is_one_token_without_final_full_stop() {
        for (name, file) in FILES {
            for entry in entries(file) {
                assert!(
                    !entry.contains(char::is_whitespace),
                    "{name}: {entry:?} has a space"
                );
                assert!(
                    !entry.ends_with('.'),
                    "{name}: {entry:?} ends with a full stop"
                );
            }
        }
    }

    #[test]
    fn no_entry_is_listed_twice() {
        for (name, file) in FILES {
            let mut seen = HashSet::new();
            for entry in entries(file) {
                assert!(seen.insert(entry), "{name}: {entry:?} is listed twice");
            }
        }
        let mut seen = HashMap::new();
        for (name, file) in &FILES[..3] {
            for entry in entries(file) {
                if let Some(other) = seen.insert(entry, name) {
                    panic!("{entry:?} is in both {other} and {name}");
                }
            }
        }
    }

    #[test]
    fn lookups_follow_the_files_and_the_capital_rule() {
        let lexicon = &*LEXICON;
        assert!(lexicon.is_non_final("M"));
        assert!(lexicon.is_non_final("Mme"));
        assert!(!lexicon.is_non_final("m"), "only the capital M is a title");
        assert!(
            lexicon.is_non_final("Cf"),
            "capitalised at a sentence start"
        );
        assert!(!lexicon.is_non_final("P"), "a single capital is an initial");
        assert!(lexicon.may_end("etc"));
        assert!(lexicon.may_end("Etc"));
        assert!(lexicon.may_end("janv"));
        assert!(lexicon.may_end("Ltd") && lexicon.is_company_suffix("Ltd"));
        assert!(!lexicon.is_company_suffix("Sept"));
        assert!(!lexicon.may_end("Wang"));
        assert!(lexicon.is_sentence_starter("Le"));
        assert!(!lexicon.is_sentence_starter("le"));
        assert!(lexicon.is_line_continuation("de"));
        assert!(!lexicon.is_line_continuation("coopération"));
    }
}
