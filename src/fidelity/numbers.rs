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

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::protect::find_spans;
use super::runs_of;

/// A language's conventions for writing numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// French: `5.000` or `5 000` thousands, `3,5` decimals, 24-hour times.
    French,
    /// English: `5,000` thousands, `3.5` decimals, a.m./p.m. times.
    English,
}

/// An exact decimal number: `digits` × 10^`exponent`, with no leading or trailing zero in
/// `digits` (zero is empty digits), so equal numbers are equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decimal {
    digits: String,
    exponent: i32,
}

impl Decimal {
    /// The number whose integer part has the digits `int` and fractional part the digits `frac`.
    pub fn from_parts(int: &str, frac: &str) -> Self {
        let all: String = int.chars().chain(frac.chars()).collect();
        let mut exponent = -(frac.len() as i32);
        let trimmed_start = all.trim_start_matches('0');
        let trimmed = trimmed_start.trim_end_matches('0');
        exponent += (trimmed_start.len() - trimmed.len()) as i32;
        if trimmed.is_empty() {
            exponent = 0;
        }
        Decimal {
            digits: trimmed.to_string(),
            exponent,
        }
    }

    /// The integer `n`.
    pub fn from_u64(n: u64) -> Self {
        Self::from_parts(&n.to_string(), "")
    }

    /// This number × 10^`power`.
    pub fn scaled(&self, power: i32) -> Self {
        if self.digits.is_empty() {
            return self.clone();
        }
        Decimal {
            digits: self.digits.clone(),
            exponent: self.exponent.saturating_add(power),
        }
    }

    /// The value as an integer, when it is one that fits.
    pub fn as_u64(&self) -> Option<u64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        if self.exponent < 0 || self.exponent > 19 {
            return None;
        }
        format!("{}{}", self.digits, "0".repeat(self.exponent as usize))
            .parse()
            .ok()
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits.is_empty() {
            return write!(f, "0");
        }
        if self.exponent >= 0 {
            write!(f, "{}{}", self.digits, "0".repeat(self.exponent as usize))
        } else {
            let point = self.digits.len() as i64 + self.exponent as i64;
            if point > 0 {
                let (a, b) = self.digits.split_at(point as usize);
                write!(f, "{a}.{b}")
            } else {
                write!(f, "0.{}{}", "0".repeat((-point) as usize), self.digits)
            }
        }
    }
}

/// What a mention may mean.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// A number.
    Number(Decimal),
    /// A time of day, in minutes after midnight.
    Time(u16),
    /// A month, 1 to 12.
    Month(u8),
}

/// A number, date part or time found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The text as written.
    pub text: String,
    /// Its byte range in the text.
    pub range: Range<usize>,
    /// The values it may mean.
    pub values: Vec<Value>,
    /// Whether it must have a counterpart (digits, English number words) or may only serve as one
    /// (French number words, bare Roman numerals, "one").
    pub hard: bool,
}

/// The outcome of comparing the numbers of a source and a translation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberCheck {
    /// Hard mentions of the source with no counterpart in the translation.
    pub missing: Vec<Mention>,
    /// Hard mentions of the translation with no counterpart in the source.
    pub added: Vec<Mention>,
}

impl NumberCheck {
    /// Whether the numbers agree.
    pub fn is_consistent(&self) -> bool {
        self.missing.is_empty() && self.added.is_empty()
    }
}

/// Compares the numbers of a French `source` and its English `translation`.
pub fn compare(source: &str, translation: &str) -> NumberCheck {
    let french = extract(source, Lang::French);
    let english = extract(translation, Lang::English);
    NumberCheck {
        missing: unmatched(&french, &english),
        added: unmatched(&english, &french),
    }
}

/// The hard mentions of `required` that no matching with `others` can cover (Kuhn's augmenting
/// paths).
fn unmatched(required: &[Mention], others: &[Mention]) -> Vec<Mention> {
    let compatible = |a: &Mention, b: &Mention| a.values.iter().any(|v| b.values.contains(v));
    let mut owner: Vec<Option<usize>> = vec![None; others.len()];
    let mut missing = Vec::new();
    fn augment(
        r: usize,
        required: &[Mention],
        others: &[Mention],
        owner: &mut [Option<usize>],
        seen: &mut [bool],
        compatible: &dyn Fn(&Mention, &Mention) -> bool,
    ) -> bool {
        for o in 0..others.len() {
            if seen[o] || !compatible(&required[r], &others[o]) {
                continue;
            }
            seen[o] = true;
            if owner[o].is_none_or(|r2| augment(r2, required, others, owner, seen, compatible)) {
                owner[o] = Some(r);
                return true;
            }
        }
        false
    }
    for (r, mention) in required.iter().enumerate() {
        if !mention.hard {
            continue;
        }
        let mut seen = vec![false; others.len()];
        if !augment(r, required, others, &mut owner, &mut seen, &compatible) {
            missing.push(mention.clone());
        }
    }
    missing
}

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
struct Extractor<'a> {
    text: &'a str,
    work: String,
    lang: Lang,
    mentions: Vec<Mention>,
}

static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b").expect("ISO date"));
static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})([/.\-])([0-9]{1,2})([/.\-])([0-9]{4}|[0-9]{2})\b")
        .expect("numeric date")
});
static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{4})\s?[-–]\s?([0-9]{2})\b").expect("year range"));
static AM_PM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*([aApP])\.?\s?[mM]\b").expect("a.m./p.m. time")
});
static H_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*[hH]\s*([0-9]{2})\b").expect("h time"));
static H_HOUR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*(?:h|H|heures?|hrs?)\b").expect("hour with h"));
static COLON_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2}):([0-9]{2})\b").expect("colon time"));
static OCLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{1,2})\s*o['’]clock\b").expect("o'clock"));
static FRENCH_DECADE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bann[ée]es\s+([0-9]{2})\b").expect("French decade"));
static ROMAN_ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([IVXLCDM]+)(er|re|ère|ème|èmes|e|es|è)\b").expect("Roman ordinal")
});
static ROMAN: LazyLock<Regex> =
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
fn blank(text: &mut String, range: Range<usize>) {
    let spaces = " ".repeat(range.len());
    text.replace_range(range, &spaces);
}

fn num(caps: &regex::Captures<'_>, group: usize) -> u64 {
    caps.get(group)
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0)
}

fn range(caps: &regex::Captures<'_>, group: usize) -> Range<usize> {
    caps.get(group).map_or(0..0, |m| m.range())
}

fn number(n: u64) -> Value {
    Value::Number(Decimal::from_u64(n))
}

fn time(hour: u64, minute: u64) -> Value {
    Value::Time(((hour % 24) * 60 + minute) as u16)
}

/// A time written without a.m./p.m.: before 13 h it may be either half of the day.
fn twelve_hour(hour: u64, minute: u64) -> Vec<Value> {
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
fn day_or_month(n: u64) -> Vec<Value> {
    let mut values = vec![number(n)];
    if (1..=12).contains(&n) {
        values.push(Value::Month(n as u8));
    }
    values
}

fn decade_values(decade: u64) -> Vec<Value> {
    let mut values = vec![number(decade), number(1900 + decade)];
    if decade <= 30 {
        values.push(number(2000 + decade));
    }
    values
}

/// Start of the next run of ASCII digits at or after `from` that begins a number (not preceded by
/// another digit).
fn next_digit_run(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (from..bytes.len())
        .find(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
}

/// A number read at the start of a digit run.
struct ScannedNumber {
    end: usize,
    value: Decimal,
    /// Number of digits when the number is a plain digit run (no separator), else 0.
    plain_digits: usize,
    /// `12.30`: a dot followed by exactly two digits may be a time.
    dot_time: Option<(u64, u64)>,
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

fn scan_number(text: &str, start: usize, lang: Lang) -> Option<ScannedNumber> {
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
fn scale_word(rest: &str, lang: Lang) -> Option<(i32, bool, usize)> {
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
fn ordinal_suffix(rest: &str, lang: Lang) -> Option<usize> {
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
fn is_unit_exponent(text: &str, start: usize, end: usize) -> bool {
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

fn roman_value(numeral: &str) -> Option<u64> {
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
enum MonthName {
    /// A name that is only a month: "novembre", "November".
    Plain,
    /// A name that is also something else: "May", "March", "Mars".
    Ambiguous,
    /// "nov.", "Nov.", "Sept": a month for sure only next to a number.
    Abbreviation,
}

/// The month `word` names, if any (`with_dot`: a full stop follows the word).
fn month_of(word: &str, with_dot: bool, lang: Lang) -> Option<(u8, MonthName)> {
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
fn next_to_number(text: &str, start: usize, end: usize) -> bool {
    let before: String = text[..start].chars().rev().take(8).collect();
    let after: String = text[end..].chars().take(8).collect();
    let near = |s: &str| {
        s.split_whitespace()
            .take(2)
            .any(|w| w.chars().any(|c| c.is_ascii_digit()))
    };
    near(&before) || near(&after)
}

/// A number written in words.
struct NumberPhrase {
    value: u64,
    /// How many word tokens it spans.
    words: usize,
    hard: bool,
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
fn number_phrase(text: &str, tokens: &[(usize, &str)], lang: Lang) -> Option<NumberPhrase> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, lang: Lang) -> Vec<(String, bool)> {
        extract(text, lang)
            .into_iter()
            .map(|m| (m.text, m.hard))
            .collect()
    }

    #[test]
    fn decimals_are_normalised() {
        assert_eq!(Decimal::from_parts("5000", ""), Decimal::from_u64(5000));
        assert_eq!(
            Decimal::from_parts("3", "50"),
            Decimal::from_parts("03", "5")
        );
        assert_eq!(
            Decimal::from_parts("1", "5").scaled(6),
            Decimal::from_u64(1_500_000)
        );
        assert_eq!(Decimal::from_parts("26469", "89").to_string(), "26469.89");
        assert_eq!(Decimal::from_parts("0", "068").to_string(), "0.068");
        assert_eq!(Decimal::from_parts("000", "0"), Decimal::from_u64(0));
    }

    #[test]
    fn french_numbers_are_read_the_french_way() {
        let m = extract("5.000 personnes, 26.469,89 euros et 3,5 %", Lang::French);
        let v: Vec<_> = m.iter().map(|m| m.values[0].clone()).collect();
        assert_eq!(
            v,
            vec![
                Value::Number(Decimal::from_u64(5000)),
                Value::Number(Decimal::from_parts("26469", "89")),
                Value::Number(Decimal::from_parts("3", "5")),
            ]
        );
    }

    #[test]
    fn english_reads_a_copied_french_thousands_dot_as_a_decimal() {
        let m = extract("5.000 people", Lang::English);
        assert_eq!(m[0].values, vec![Value::Number(Decimal::from_u64(5))]);
    }

    #[test]
    fn soft_and_hard_mentions() {
        assert_eq!(
            values("les deux pays", Lang::French),
            vec![("deux".into(), false)]
        );
        assert_eq!(
            values("two countries", Lang::English),
            vec![("two".into(), true)]
        );
        assert_eq!(
            values("one of them", Lang::English),
            vec![("one".into(), false)]
        );
        assert_eq!(
            values("Louis XIV", Lang::English),
            vec![("XIV".into(), false)]
        );
        assert_eq!(
            values("au XIXe siècle", Lang::French),
            vec![("XIXe".into(), true)]
        );
        assert_eq!(
            values("5 m2", Lang::French),
            vec![("5".into(), true), ("2".into(), false)]
        );
    }

    #[test]
    fn le_ce_me_and_mme_are_not_roman_numerals() {
        assert!(extract("Le Ce Me Mme Cie De", Lang::French).is_empty());
    }

    #[test]
    fn number_words_combine() {
        let v = |t: &str, l| extract(t, l)[0].values[0].clone();
        assert_eq!(v("quatre-vingt-dix-neuf", Lang::French), number(99));
        assert_eq!(v("soixante-dix", Lang::French), number(70));
        assert_eq!(v("vingt et un", Lang::French), number(21));
        assert_eq!(v("deux mille treize", Lang::French), number(2013));
        assert_eq!(v("trois cents", Lang::French), number(300));
        assert_eq!(v("two hundred and fifty", Lang::English), number(250));
        assert_eq!(v("twenty-three", Lang::English), number(23));
        assert_eq!(v("nineteenth", Lang::English), number(19));
        assert_eq!(v("twentieth", Lang::English), number(20));
        assert_eq!(v("dix-neuvième", Lang::French), number(19));
    }

    #[test]
    fn digits_in_protected_spans_are_not_numbers() {
        assert!(extract("Voir https://x.fr/2013/11/17 et @user42", Lang::French).is_empty());
    }

    #[test]
    fn compare_names_what_is_missing_and_added() {
        let check = compare(
            "Il y avait 5.000 manifestants.",
            "There were 500 protesters.",
        );
        assert_eq!(check.missing.len(), 1);
        assert_eq!(check.missing[0].text, "5.000");
        assert_eq!(check.added[0].text, "500");
        assert!(compare(
            "Il y avait 5.000 manifestants.",
            "There were 5,000 protesters."
        )
        .is_consistent());
    }

    #[test]
    fn only_ascii_digits_are_numbers() {
        // Rust's `\d` would match these and read them as 0.
        assert!(extract("٣ h, ١٢:٣٠ et ٢٠١٣-١١-١٧", Lang::French).is_empty());
    }

    #[test]
    fn no_numbers_is_consistent() {
        assert!(compare("Bonjour.", "Hello.").is_consistent());
    }
}
