//! Digit numbers read with a language's conventions: thousands groups, decimals, scale words
//! (`million`, `Md`), ordinal suffixes and units.

use super::value::{Decimal, Lang};

/// Start of the next run of ASCII digits at or after `from` that begins a number (not preceded by
/// another digit).
pub(super) fn next_digit_run(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (from..bytes.len())
        .find(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
}

/// A number read at the start of a digit run.
pub(super) struct ScannedNumber {
    pub(super) end: usize,
    pub(super) value: Decimal,
    /// Number of digits when the number is a plain digit run (no separator), else 0.
    pub(super) plain_digits: usize,
    /// `12.30`: a dot followed by exactly two digits may be a time.
    pub(super) dot_time: Option<(u64, u64)>,
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Reads the digits at `start` followed by groups of exactly three digits, each after one
/// separator accepted by `is_sep` (all separators the same kind). Returns the integer digits and
/// the end.
fn scan_groups(text: &str, start: usize, is_sep: &dyn Fn(char) -> bool) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    let mut digits = text[start..end].to_string();
    if digits.len() > 3 {
        return (digits, end);
    }
    let mut separator_kind: Option<bool> = None; // Some(true) for a space-like separator
    while let Some(sep) = text[end..].chars().next() {
        if !is_sep(sep) {
            break;
        }
        let kind = is_group_space(sep);
        if separator_kind.is_some_and(|k| k != kind) {
            break;
        }
        let group_start = end + sep.len_utf8();
        let group: String = text[group_start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if group.len() != 3 {
            break;
        }
        separator_kind = Some(kind);
        digits.push_str(&group);
        end = group_start + 3;
    }
    (digits, end)
}

/// Digits right after `text[at..]` starts with `mark`: the fractional part of a decimal.
fn fraction_after(text: &str, at: usize, mark: char) -> Option<String> {
    let rest = text[at..].strip_prefix(mark)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

pub(super) fn scan_number(text: &str, start: usize, lang: Lang) -> Option<ScannedNumber> {
    let french_group = |c: char| is_group_space(c) || matches!(c, '.' | '\'' | '’');
    let english_group = |c: char| is_group_space(c) || c == ',';
    let plain_end = start + text[start..].bytes().take_while(u8::is_ascii_digit).count();
    let plain = &text[start..plain_end];

    // French reading: groups of three after space, dot or apostrophe; comma decimals.
    let french = || -> (Decimal, usize, Option<(u64, u64)>, bool) {
        let (int, end) = scan_groups(text, start, &french_group);
        if let Some(frac) = fraction_after(text, end, ',') {
            let end = end + 1 + frac.len();
            return (Decimal::from_parts(&int, &frac), end, None, true);
        }
        if end == plain_end {
            if let Some(frac) = fraction_after(text, end, '.') {
                // `3.5` in French text: an English-style decimal; `12.30` may be a time.
                let time = dot_time(plain, &frac);
                return (
                    Decimal::from_parts(&int, &frac),
                    end + 1 + frac.len(),
                    time,
                    true,
                );
            }
        }
        (Decimal::from_parts(&int, ""), end, None, end != plain_end)
    };

    let (value, end, dot_time_value, separated) = match lang {
        Lang::French => french(),
        Lang::English => {
            // Forms English never writes are read the French way: `26.469,89`, `1,5`.
            let (fr_int, fr_end) = scan_groups(text, start, &|c| c == '.');
            let french_full = fr_end > plain_end
                && fraction_after(text, fr_end, ',').is_some_and(|f| f.len() != 3);
            let comma_decimal = fraction_after(text, plain_end, ',')
                .is_some_and(|f| f.len() != 3 || plain.len() > 3);
            if french_full || comma_decimal {
                let (int, int_end) = if french_full {
                    (fr_int, fr_end)
                } else {
                    (plain.to_string(), plain_end)
                };
                let frac = fraction_after(text, int_end, ',').unwrap_or_default();
                (
                    Decimal::from_parts(&int, &frac),
                    int_end + 1 + frac.len(),
                    None,
                    true,
                )
            } else {
                let (int, end) = scan_groups(text, start, &english_group);
                match fraction_after(text, end, '.') {
                    Some(frac) => {
                        let time = (end == plain_end).then(|| dot_time(plain, &frac)).flatten();
                        (
                            Decimal::from_parts(&int, &frac),
                            end + 1 + frac.len(),
                            time,
                            true,
                        )
                    }
                    None => (Decimal::from_parts(&int, ""), end, None, end != plain_end),
                }
            }
        }
    };
    Some(ScannedNumber {
        end,
        value,
        plain_digits: if separated { 0 } else { plain.len() },
        dot_time: dot_time_value,
    })
}

/// `12.30`, `3.30`: hours and minutes separated by a dot.
fn dot_time(hours: &str, fraction: &str) -> Option<(u64, u64)> {
    let hour: u64 = hours.parse().ok()?;
    let minute: u64 = fraction.parse().ok()?;
    (hours.len() <= 2 && fraction.len() == 2 && hour <= 24 && minute < 60).then_some((hour, minute))
}

/// A scale word after a number: (power of ten, whether the unscaled reading stays possible, bytes
/// consumed).
pub(super) fn scale_word(rest: &str, lang: Lang) -> Option<(i32, bool, usize)> {
    let spaces = rest.len() - rest.trim_start_matches(|c: char| is_group_space(c)).len();
    let after = &rest[spaces..];
    let word: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    let next = after[word.len()..].chars().next();
    let glued = spaces == 0;
    let currency_next = next.is_some_and(|c| matches!(c, '€' | '$' | '£'));
    let (power, alternatives) = match (lang, word.as_str()) {
        (Lang::French, "mille") => (3, false),
        (Lang::French, "million" | "millions") => (6, false),
        (Lang::French, "milliard" | "milliards" | "Md" | "Mds" | "Mrd" | "Mrds") => (9, false),
        (Lang::French, "billion" | "billions") => (12, false),
        (Lang::French, "M") if currency_next || after[1..].starts_with(" d") => (6, false),
        (Lang::French, "k") if currency_next => (3, false),
        (Lang::English, "thousand") => (3, false),
        (Lang::English, "million" | "mn") => (6, false),
        (Lang::English, "billion" | "bn") => (9, false),
        (Lang::English, "trillion" | "tn") => (12, false),
        (Lang::English, "m") if glued => (6, true),
        (Lang::English, "k") if glued => (3, true),
        _ => return None,
    };
    Some((power, alternatives, spaces + word.len()))
}

/// Bytes of an ordinal suffix glued to a number (`1er`, `2ème`, `3rd`).
pub(super) fn ordinal_suffix(rest: &str, lang: Lang) -> Option<usize> {
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    let ok = match lang {
        Lang::French => matches!(
            word.as_str(),
            "er" | "re"
                | "ère"
                | "ers"
                | "res"
                | "ères"
                | "e"
                | "es"
                | "è"
                | "ème"
                | "èmes"
                | "nd"
                | "nde"
                | "nds"
                | "ndes"
        ),
        Lang::English => matches!(word.as_str(), "st" | "nd" | "rd" | "th"),
    };
    ok.then_some(word.len())
}

/// `m2`, `km3`: an exponent of a unit, not a number of the sentence.
pub(super) fn is_unit_exponent(text: &str, start: usize, end: usize) -> bool {
    let digits = &text[start..end];
    let before: String = text[..start]
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    matches!(digits, "2" | "3") && matches!(before.as_str(), "m" | "km" | "cm" | "mm" | "dm")
}
