//! The value model: what a mention of a number, date part or time may mean.

use std::fmt;
use std::ops::Range;

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
