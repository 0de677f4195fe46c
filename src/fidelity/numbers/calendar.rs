//! Roman numerals and month names (French and English, full and abbreviated).

use super::value::Lang;

pub(super) fn roman_value(numeral: &str) -> Option<u64> {
    let value = |c: char| match c {
        'I' => Some(1),
        'V' => Some(5),
        'X' => Some(10),
        'L' => Some(50),
        'C' => Some(100),
        'D' => Some(500),
        'M' => Some(1000),
        _ => None,
    };
    let digits: Vec<i64> = numeral.chars().map(value).collect::<Option<_>>()?;
    let total: i64 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if digits.get(i + 1).is_some_and(|&next| next > d) {
                -d
            } else {
                d
            }
        })
        .sum();
    // Only canonical spellings count: `IIII` or `VX` are not numerals.
    (total > 0 && total < 4000 && to_roman(total as u64) == numeral).then_some(total as u64)
}

fn to_roman(mut n: u64) -> String {
    const TABLE: [(u64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, letters) in TABLE {
        while n >= value {
            out.push_str(letters);
            n -= value;
        }
    }
    out
}

/// How a month is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MonthName {
    /// A name that is only a month: "novembre", "November".
    Plain,
    /// A name that is also something else: "May", "March", "Mars".
    Ambiguous,
    /// "nov.", "Nov.", "Sept": a month for sure only next to a number.
    Abbreviation,
}

/// The month `word` names, if any (`with_dot`: a full stop follows the word).
pub(super) fn month_of(word: &str, with_dot: bool, lang: Lang) -> Option<(u8, MonthName)> {
    const FRENCH: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const FRENCH_ABBREVIATIONS: [(&str, u8); 9] = [
        ("janv", 1),
        ("févr", 2),
        ("fév", 2),
        ("avr", 4),
        ("juil", 7),
        ("sept", 9),
        ("oct", 10),
        ("nov", 11),
        ("déc", 12),
    ];
    const ENGLISH: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ENGLISH_ABBREVIATIONS: [(&str, u8); 12] = [
        ("Jan", 1),
        ("Feb", 2),
        ("Mar", 3),
        ("Apr", 4),
        ("Jun", 6),
        ("Jul", 7),
        ("Aug", 8),
        ("Sep", 9),
        ("Sept", 9),
        ("Oct", 10),
        ("Nov", 11),
        ("Dec", 12),
    ];
    match lang {
        Lang::French => {
            let lower = word.to_lowercase();
            if let Some(i) = FRENCH.iter().position(|m| *m == lower) {
                // "Mars" with a capital may be the planet.
                let kind = if lower == "mars" && word != "mars" {
                    MonthName::Ambiguous
                } else {
                    MonthName::Plain
                };
                return Some((i as u8 + 1, kind));
            }
            FRENCH_ABBREVIATIONS
                .iter()
                .find(|(a, _)| with_dot && *a == lower)
                .map(|&(_, m)| (m, MonthName::Abbreviation))
        }
        Lang::English => {
            let title = title_case(word);
            if word != title && word != word.to_uppercase() {
                return None;
            }
            if let Some(i) = ENGLISH.iter().position(|m| *m == title) {
                // "May" is also a name and a verb; "March" a verb and a noun.
                let kind = if matches!(title.as_str(), "May" | "March") {
                    MonthName::Ambiguous
                } else {
                    MonthName::Plain
                };
                return Some((i as u8 + 1, kind));
            }
            ENGLISH_ABBREVIATIONS
                .iter()
                .find(|(a, _)| *a == title)
                .map(|&(_, m)| (m, MonthName::Abbreviation))
        }
    }
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Whether a digit stands within two words before `start` or after `end` in `text`
/// ("17 novembre", "May 5", "Nov. 17, 2013", "le 5 sept.").
pub(super) fn next_to_number(text: &str, start: usize, end: usize) -> bool {
    let before: String = text[..start].chars().rev().take(8).collect();
    let after: String = text[end..].chars().take(8).collect();
    let near = |s: &str| {
        s.split_whitespace()
            .take(2)
            .any(|w| w.chars().any(|c| c.is_ascii_digit()))
    };
    near(&before) || near(&after)
}
