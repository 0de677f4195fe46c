//! The extractor: dates, times, decades, digit numbers, Roman numerals, months and number
//! words found in a text, in that order, each consumed so it is read once.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::calendar::{month_of, next_to_number, roman_value, MonthName};
use super::scan::{is_unit_exponent, next_digit_run, ordinal_suffix, scale_word, scan_number};
use super::value::{Decimal, Lang, Mention, Value};
use super::words::number_phrase;
use crate::fidelity::protect::find_spans;
use crate::fidelity::runs::runs_of;

/// Finds the numbers, date parts and times of `text`, read with `lang`'s conventions.
pub fn extract(text: &str, lang: Lang) -> Vec<Mention> {
    let mut extractor = Extractor::new(text, lang);
    extractor.dates();
    extractor.times();
    extractor.decades();
    extractor.digit_numbers();
    extractor.roman_numerals();
    extractor.months();
    extractor.number_words();
    let mut mentions = extractor.mentions;
    mentions.sort_by_key(|m| m.range.start);
    mentions
}

/// Extraction state: the text, a working copy in which consumed text is blanked (same byte
/// offsets), and the mentions found so far.
pub(super) struct Extractor<'a> {
    text: &'a str,
    work: String,
    lang: Lang,
    mentions: Vec<Mention>,
}

pub(super) static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b").expect("ISO date"));
pub(super) static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})([/.\-])([0-9]{1,2})([/.\-])([0-9]{4}|[0-9]{2})\b")
        .expect("numeric date")
});
pub(super) static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{4})\s?[-–]\s?([0-9]{2})\b").expect("year range"));
pub(super) static AM_PM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*([aApP])\.?\s?[mM]\b").expect("a.m./p.m. time")
});
pub(super) static H_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*[hH]\s*([0-9]{2})\b").expect("h time"));
pub(super) static H_HOUR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*(?:h|H|heures?|hrs?)\b").expect("hour with h"));
pub(super) static COLON_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2}):([0-9]{2})\b").expect("colon time"));
pub(super) static OCLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*o['’]clock\b").expect("o'clock"));
pub(super) static FRENCH_DECADE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bann[ée]es\s+([0-9]{2})\b").expect("French decade"));
pub(super) static ROMAN_ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([IVXLCDM]+)(er|re|ère|ème|èmes|e|es|è)\b").expect("Roman ordinal")
});
pub(super) static ROMAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[IVXLCDM]+\b").expect("Roman numeral"));

impl<'a> Extractor<'a> {
    fn new(text: &'a str, lang: Lang) -> Self {
        let mut work = text.to_string();
        for span in find_spans(text) {
            blank(&mut work, span.range);
        }
        Extractor {
            text,
            work,
            lang,
            mentions: Vec::new(),
        }
    }

    fn add(&mut self, range: Range<usize>, values: Vec<Value>, hard: bool) {
        if values.is_empty() {
            return;
        }
        self.mentions.push(Mention {
            text: self.text[range.clone()].to_string(),
            range,
            values,
            hard,
        });
    }

    fn consume(&mut self, range: Range<usize>) {
        blank(&mut self.work, range);
    }

    /// Runs `pattern` over the working text and hands each match to `handle`, which returns
    /// whether it used it (then it is blanked).
    fn each_match(
        &mut self,
        pattern: &Regex,
        mut handle: impl FnMut(&mut Self, &regex::Captures<'_>) -> bool,
    ) {
        let work = self.work.clone();
        for caps in pattern.captures_iter(&work) {
            let range = caps.get(0).expect("whole match").range();
            if handle(self, &caps) {
                self.consume(range);
            }
        }
    }

    fn dates(&mut self) {
        self.each_match(&ISO_DATE, |this, caps| {
            let (year, month, day) = (num(caps, 1), num(caps, 2), num(caps, 3));
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                return false;
            }
            this.add(range(caps, 1), vec![number(year)], true);
            this.add(range(caps, 2), day_or_month(month), true);
            this.add(range(caps, 3), day_or_month(day), true);
            true
        });
        self.each_match(&NUMERIC_DATE, |this, caps| {
            let (a, b) = (num(caps, 1), num(caps, 3));
            let same_separator = caps.get(2).map(|m| m.as_str()) == caps.get(4).map(|m| m.as_str());
            let valid = (1..=31).contains(&a) && (1..=31).contains(&b) && (a <= 12 || b <= 12);
            if !same_separator || !valid {
                return false;
            }
            this.add(range(caps, 1), day_or_month(a), true);
            this.add(range(caps, 3), day_or_month(b), true);
            let year = caps.get(5).expect("year");
            let y = num(caps, 5);
            let years = if year.as_str().len() == 2 {
                vec![number(y), number(1900 + y), number(2000 + y)]
            } else {
                vec![number(y)]
            };
            this.add(year.range(), years, true);
            true
        });
        self.each_match(&YEAR_RANGE, |this, caps| {
            let (first, second) = (num(caps, 1), num(caps, 2));
            let full_second = first / 100 * 100 + second;
            if full_second <= first {
                return false;
            }
            this.add(range(caps, 1), vec![number(first)], true);
            this.add(
                range(caps, 2),
                vec![number(second), number(full_second)],
                true,
            );
            true
        });
    }

    fn times(&mut self) {
        self.each_match(&AM_PM, |this, caps| {
            let hour = num(caps, 1);
            let minute = caps.get(2).map_or(0, |_| num(caps, 2));
            if !(1..=12).contains(&hour) || minute >= 60 {
                return false;
            }
            let pm = caps[3].eq_ignore_ascii_case("p");
            let hour24 = hour % 12 + if pm { 12 } else { 0 };
            let whole = caps.get(0).expect("whole").range();
            this.add(whole, vec![time(hour24, minute)], true);
            true
        });
        self.each_match(&H_TIME, |this, caps| {
            let (hour, minute) = (num(caps, 1), num(caps, 2));
            if hour > 24 || minute >= 60 {
                return false;
            }
            let whole = caps.get(0).expect("whole").range();
            this.add(whole, vec![time(hour, minute)], true);
            true
        });
        self.each_match(&H_HOUR, |this, caps| {
            let hour = num(caps, 1);
            let mut values = vec![number(hour)];
            if hour <= 24 {
                values.push(time(hour, 0));
            }
            let whole = caps.get(0).expect("whole").range();
            this.add(whole, values, true);
            true
        });
        self.each_match(&COLON_TIME, |this, caps| {
            let (hour, minute) = (num(caps, 1), num(caps, 2));
            if hour > 24 || minute >= 60 {
                return false;
            }
            let whole = caps.get(0).expect("whole").range();
            this.add(whole, twelve_hour(hour, minute), true);
            true
        });
        self.each_match(&OCLOCK, |this, caps| {
            let hour = num(caps, 1);
            if !(1..=12).contains(&hour) {
                return false;
            }
            let whole = caps.get(0).expect("whole").range();
            let mut values = twelve_hour(hour, 0);
            values.push(number(hour));
            this.add(whole, values, true);
            true
        });
        let words: &[(&str, u64)] = match self.lang {
            Lang::French => &[("midi", 12), ("minuit", 0)],
            Lang::English => &[("noon", 12), ("midday", 12), ("midnight", 0)],
        };
        for (start, word) in runs_of(&self.work.clone(), char::is_alphabetic) {
            let lower = word.to_lowercase();
            if let Some(&(_, hour)) = words.iter().find(|(w, _)| *w == lower) {
                self.add(start..start + word.len(), vec![time(hour, 0)], false);
                self.consume(start..start + word.len());
            }
        }
    }

    fn decades(&mut self) {
        if self.lang == Lang::French {
            self.each_match(&FRENCH_DECADE, |this, caps| {
                let decade = num(caps, 1);
                this.add(
                    caps.get(0).expect("whole").range(),
                    decade_values(decade),
                    true,
                );
                true
            });
        }
    }

    /// Numbers written in digits, with their scale word, ordinal suffix or decade `s`.
    fn digit_numbers(&mut self) {
        let mut at = 0;
        while let Some(start) = next_digit_run(&self.work, at) {
            let Some(scan) = scan_number(&self.work, start, self.lang) else {
                at = start + 1;
                continue;
            };
            let mut end = scan.end;
            let mut values = vec![Value::Number(scan.value.clone())];
            let rest = &self.work[end..];
            if let Some((power, alternatives, len)) = scale_word(rest, self.lang) {
                let scaled = Value::Number(scan.value.scaled(power));
                values = if alternatives {
                    vec![values[0].clone(), scaled]
                } else {
                    vec![scaled]
                };
                end += len;
            } else if let Some(len) = ordinal_suffix(rest, self.lang) {
                end += len;
            } else if self.lang == Lang::English
                && scan.plain_digits == 2
                && rest.starts_with('s')
                && !rest[1..].starts_with(char::is_alphanumeric)
            {
                values = decade_values(scan.value.as_u64().unwrap_or(0));
                end += 1;
            }
            if let Some((hour, minute)) = scan.dot_time {
                values.extend(twelve_hour(hour, minute));
            }
            let hard = !is_unit_exponent(self.text, start, end);
            self.add(start..end, values, hard);
            self.consume(start..end);
            at = end;
        }
    }

    fn roman_numerals(&mut self) {
        if self.lang == Lang::French {
            self.each_match(&ROMAN_ORDINAL, |this, caps| {
                let numeral = &caps[1];
                let plausible = numeral.len() >= 2 || matches!(numeral, "I" | "V" | "X");
                match roman_value(numeral) {
                    Some(v) if plausible => {
                        this.add(caps.get(0).expect("whole").range(), vec![number(v)], true);
                        true
                    }
                    _ => false,
                }
            });
        }
        self.each_match(&ROMAN, |this, caps| {
            let m = caps.get(0).expect("whole");
            let counts = this.lang == Lang::English || m.as_str().len() >= 2;
            match roman_value(m.as_str()) {
                Some(v) if counts => {
                    this.add(m.range(), vec![number(v)], false);
                    true
                }
                _ => false,
            }
        });
    }

    fn months(&mut self) {
        let work = self.work.clone();
        for (start, word) in runs_of(&work, char::is_alphabetic) {
            let end = start + word.len();
            let with_dot = work[end..].starts_with('.');
            let Some((month, kind)) = month_of(word, with_dot, self.lang) else {
                continue;
            };
            let near_number = next_to_number(self.text, start, end + usize::from(with_dot));
            let (end, hard) = match kind {
                MonthName::Plain => (end, true),
                // "in May" may be the month; "Theresa May" is not: soft unless next to a number.
                MonthName::Ambiguous => (end, near_number),
                MonthName::Abbreviation => (end + usize::from(with_dot), near_number),
            };
            self.add(start..end, vec![Value::Month(month)], hard);
            self.consume(start..end);
        }
    }

    fn number_words(&mut self) {
        let work = self.work.clone();
        let tokens = runs_of(&work, char::is_alphabetic);
        let mut i = 0;
        while i < tokens.len() {
            match number_phrase(&work, &tokens[i..], self.lang) {
                Some(phrase) => {
                    let start = tokens[i].0;
                    let last = tokens[i + phrase.words - 1];
                    let end = last.0 + last.1.len();
                    self.add(start..end, vec![number(phrase.value)], phrase.hard);
                    i += phrase.words;
                }
                None => i += 1,
            }
        }
    }
}

/// Replaces `range` of `text` by spaces, keeping byte offsets.
pub(super) fn blank(text: &mut String, range: Range<usize>) {
    let spaces = " ".repeat(range.len());
    text.replace_range(range, &spaces);
}

pub(super) fn num(caps: &regex::Captures<'_>, group: usize) -> u64 {
    caps.get(group)
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0)
}

pub(super) fn range(caps: &regex::Captures<'_>, group: usize) -> Range<usize> {
    caps.get(group).map_or(0..0, |m| m.range())
}

pub(super) fn number(n: u64) -> Value {
    Value::Number(Decimal::from_u64(n))
}

pub(super) fn time(hour: u64, minute: u64) -> Value {
    Value::Time(((hour % 24) * 60 + minute) as u16)
}

/// A time written without a.m./p.m.: before 13 h it may be either half of the day.
pub(super) fn twelve_hour(hour: u64, minute: u64) -> Vec<Value> {
    let mut values = vec![time(hour, minute)];
    if (1..12).contains(&hour) {
        values.push(time(hour + 12, minute));
    }
    if hour == 12 {
        values.push(time(0, minute));
    }
    values
}

/// A part of a numeric date: the number, and the month when it can be one.
pub(super) fn day_or_month(n: u64) -> Vec<Value> {
    let mut values = vec![number(n)];
    if (1..=12).contains(&n) {
        values.push(Value::Month(n as u8));
    }
    values
}

pub(super) fn decade_values(decade: u64) -> Vec<Value> {
    let mut values = vec![number(decade), number(1900 + decade)];
    if decade <= 30 {
        values.push(number(2000 + decade));
    }
    values
}
