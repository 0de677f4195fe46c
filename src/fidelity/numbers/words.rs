//! Numbers written in words: French ones (soft) and English ones (hard, but `one`, ordinals and
//! `dozen`).

use super::value::Lang;

/// A number written in words.
pub(super) struct NumberPhrase {
    pub(super) value: u64,
    /// How many word tokens it spans.
    pub(super) words: usize,
    pub(super) hard: bool,
}

/// What a number word contributes.
#[derive(Clone, Copy, PartialEq)]
enum WordValue {
    /// 0–99 pieces: units, teens, tens.
    Add(u64),
    /// hundred: multiplies what precedes.
    Hundred,
    /// thousand, million…: closes a group.
    Scale(u64),
}

fn french_word(word: &str) -> Option<(WordValue, bool)> {
    use WordValue::*;
    let cardinal = |w: &str| -> Option<WordValue> {
        Some(match w {
            "zéro" => Add(0),
            "un" | "une" => Add(1),
            "deux" => Add(2),
            "trois" => Add(3),
            "quatre" => Add(4),
            "cinq" => Add(5),
            "six" => Add(6),
            "sept" => Add(7),
            "huit" => Add(8),
            "neuf" => Add(9),
            "dix" => Add(10),
            "onze" => Add(11),
            "douze" => Add(12),
            "treize" => Add(13),
            "quatorze" => Add(14),
            "quinze" => Add(15),
            "seize" => Add(16),
            "vingt" | "vingts" => Add(20),
            "trente" => Add(30),
            "quarante" => Add(40),
            "cinquante" => Add(50),
            "soixante" => Add(60),
            "septante" => Add(70),
            "huitante" | "octante" => Add(80),
            "nonante" => Add(90),
            "cent" | "cents" => Hundred,
            "mille" => Scale(1_000),
            "million" | "millions" => Scale(1_000_000),
            "milliard" | "milliards" => Scale(1_000_000_000),
            "billion" | "billions" => Scale(1_000_000_000_000),
            _ => return None,
        })
    };
    let lower = word.to_lowercase();
    if let Some(v) = cardinal(&lower) {
        return Some((v, false));
    }
    let ordinal = match lower.as_str() {
        "premier" | "première" | "premiers" | "premières" | "unième" => Some(Add(1)),
        "second" | "seconde" | "seconds" | "secondes" => Some(Add(2)),
        "cinquième" => Some(Add(5)),
        "neuvième" => Some(Add(9)),
        _ => lower
            .strip_suffix("ième")
            .or(lower.strip_suffix("ièmes"))
            .and_then(|stem| cardinal(stem).or_else(|| cardinal(&format!("{stem}e")))),
    };
    if let Some(v) = ordinal {
        return Some((v, true));
    }
    let approximate = match lower.trim_end_matches('s') {
        "dizaine" => 10,
        "douzaine" => 12,
        "quinzaine" => 15,
        "vingtaine" => 20,
        "trentaine" => 30,
        "quarantaine" => 40,
        "cinquantaine" => 50,
        "soixantaine" => 60,
        "centaine" => 100,
        "millier" => 1000,
        _ => return None,
    };
    Some((Add(approximate), true))
}

fn english_word(word: &str) -> Option<(WordValue, bool)> {
    use WordValue::*;
    let lower = word.to_lowercase();
    let cardinal = |w: &str| -> Option<WordValue> {
        Some(match w {
            "zero" => Add(0),
            "one" => Add(1),
            "two" => Add(2),
            "three" => Add(3),
            "four" => Add(4),
            "five" => Add(5),
            "six" => Add(6),
            "seven" => Add(7),
            "eight" => Add(8),
            "nine" => Add(9),
            "ten" => Add(10),
            "eleven" => Add(11),
            "twelve" => Add(12),
            "thirteen" => Add(13),
            "fourteen" => Add(14),
            "fifteen" => Add(15),
            "sixteen" => Add(16),
            "seventeen" => Add(17),
            "eighteen" => Add(18),
            "nineteen" => Add(19),
            "twenty" => Add(20),
            "thirty" => Add(30),
            "forty" => Add(40),
            "fifty" => Add(50),
            "sixty" => Add(60),
            "seventy" => Add(70),
            "eighty" => Add(80),
            "ninety" => Add(90),
            "hundred" => Hundred,
            "thousand" => Scale(1_000),
            "million" => Scale(1_000_000),
            "billion" => Scale(1_000_000_000),
            "trillion" => Scale(1_000_000_000_000),
            _ => return None,
        })
    };
    if let Some(v) = cardinal(&lower) {
        return Some((v, false));
    }
    let ordinal = match lower.as_str() {
        "first" => Add(1),
        "second" => Add(2),
        "third" => Add(3),
        "fifth" => Add(5),
        "eighth" => Add(8),
        "ninth" => Add(9),
        "twelfth" => Add(12),
        "dozen" | "dozens" => Add(12),
        _ => {
            let stem = lower.strip_suffix("ieth").map(|s| format!("{s}y"));
            let stem = stem.or_else(|| lower.strip_suffix("th").map(str::to_string))?;
            cardinal(&stem)?
        }
    };
    Some((ordinal, true))
}

/// Reads a number in words at the start of `tokens` (consecutive words separated only by spaces or
/// hyphens in `text`, with "et"/"and" and "a" as connectors).
pub(super) fn number_phrase(
    text: &str,
    tokens: &[(usize, &str)],
    lang: Lang,
) -> Option<NumberPhrase> {
    let lookup = |w: &str| match lang {
        Lang::French => french_word(w),
        Lang::English => english_word(w),
    };
    let connector = |w: &str| match lang {
        Lang::French => w.eq_ignore_ascii_case("et"),
        Lang::English => w.eq_ignore_ascii_case("and"),
    };
    let mut total = 0u64;
    let mut current = 0u64;
    let mut words = 0;
    let mut number_words = 0;
    let mut soft_word = false;
    let mut last: Option<WordValue> = None;
    let mut i = 0;
    while i < tokens.len() {
        let (start, word) = tokens[i];
        if i > 0 {
            let (prev_start, prev) = tokens[i - 1];
            let gap = &text[prev_start + prev.len()..start];
            if !gap.chars().all(|c| c == ' ' || c == '-') || gap.is_empty() || gap.len() > 2 {
                break;
            }
        }
        if number_words > 0 && connector(word) {
            // "vingt et un", "two hundred and five": only when a number word follows.
            if tokens.get(i + 1).and_then(|(_, w)| lookup(w)).is_some() {
                i += 1;
                continue;
            }
            break;
        }
        let Some((value, soft)) = lookup(word) else {
            break;
        };
        let fits = match (last, value) {
            (None, _) => true,
            (Some(WordValue::Add(prev)), WordValue::Add(v)) => {
                // After tens come units (vingt-trois, dix-sept, soixante-dix); "quatre vingt" is 80.
                (prev >= 20 && prev % 10 == 0 && v < prev.min(20))
                    || (lang == Lang::French && prev == 4 && v == 20)
                    || (lang == Lang::French
                        && prev >= 60
                        && prev % 20 == 0
                        && (10..20).contains(&v))
                    || (lang == Lang::French && prev == 80 && v < 20)
                    || (lang == Lang::French && prev == 10 && v < 10)
            }
            (Some(WordValue::Add(_)), _) => true,
            (Some(WordValue::Hundred), WordValue::Add(_)) => true,
            (Some(WordValue::Hundred), WordValue::Scale(_)) => true,
            (Some(WordValue::Hundred), WordValue::Hundred) => false,
            (Some(WordValue::Scale(_)), WordValue::Scale(_)) => false,
            (Some(WordValue::Scale(_)), _) => true,
        };
        if !fits {
            break;
        }
        match value {
            WordValue::Add(v) => {
                if lang == Lang::French && v == 20 && last == Some(WordValue::Add(4)) {
                    current = current - 4 + 80;
                } else {
                    current += v;
                }
            }
            WordValue::Hundred => current = current.max(1) * 100,
            WordValue::Scale(s) => {
                total += current.max(1) * s;
                current = 0;
            }
        }
        soft_word |= soft;
        last = Some(value);
        number_words += 1;
        words = i + 1;
        i += 1;
    }
    if number_words == 0 {
        return None;
    }
    let value = total + current;
    let lone_one = number_words == 1 && value == 1;
    let hard = lang == Lang::English && !soft_word && !lone_one;
    Some(NumberPhrase { value, words, hard })
}
