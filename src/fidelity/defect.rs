//! What a check can find wrong with a translation, with a stable code for machines and a sentence
//! for people.

use std::fmt;

/// One finding of a fidelity check on one sentence's translation.
///
/// [`Defect::code`] is stable and machine-readable (JSONL, TMX properties, summaries);
/// `Display` is the human explanation (tooltips, notes).
#[derive(Debug, Clone, PartialEq)]
pub enum Defect {
    /// The translation has no words while the source had some.
    Empty,
    /// The source ends with final punctuation and the translation does not: probably cut short.
    Truncated,
    /// The translation is (largely) the French source copied.
    Untranslated,
    /// A number, date or time of the source has no counterpart in the translation.
    NumberMissing {
        /// The number as written in the source.
        number: String,
    },
    /// The translation has a number, date or time the source does not.
    NumberAdded {
        /// The number as written in the translation.
        number: String,
    },
    /// A word sequence repeats in a way the source does not (the model looping).
    Repetition {
        /// The repeated words.
        ngram: String,
        /// How many times they occur.
        count: usize,
    },
    /// The translation is much shorter or longer than French → English translations are.
    LengthRatio {
        /// Target characters divided by source characters.
        ratio: f32,
        /// Lowest accepted ratio.
        min: f32,
        /// Highest accepted ratio.
        max: f32,
    },
    /// The translation has a URL, e-mail, handle, hashtag or domain that the source does not:
    /// the model invented it (a digit string turned into a web address, a domain rewritten).
    SpanInvented {
        /// The invented span.
        span: String,
    },
    /// The model dropped the placeholder of a protected span (URL, e-mail, handle…), so the span was
    /// put back at the position estimated from the words around it.
    SpanPlacedByGuess {
        /// The protected span.
        span: String,
    },
}

impl Defect {
    /// Stable machine-readable code: `empty`, `truncated`, `untranslated`, `number_missing`,
    /// `number_added`, `repetition`, `length_ratio`, `span_invented`, `span_placed_by_guess`.
    pub fn code(&self) -> &'static str {
        match self {
            Defect::Empty => "empty",
            Defect::Truncated => "truncated",
            Defect::Untranslated => "untranslated",
            Defect::NumberMissing { .. } => "number_missing",
            Defect::NumberAdded { .. } => "number_added",
            Defect::Repetition { .. } => "repetition",
            Defect::LengthRatio { .. } => "length_ratio",
            Defect::SpanInvented { .. } => "span_invented",
            Defect::SpanPlacedByGuess { .. } => "span_placed_by_guess",
        }
    }

    /// How bad the defect is, used to pick the best of several attempts: an empty or untranslated
    /// result is worse than a wrong number, which is worse than a doubtful length or a span whose
    /// position was guessed.
    pub fn severity(&self) -> u32 {
        match self {
            Defect::Empty => 100,
            Defect::Untranslated => 50,
            Defect::Repetition { .. } => 30,
            Defect::Truncated => 20,
            Defect::NumberMissing { .. } | Defect::NumberAdded { .. } => 20,
            Defect::SpanInvented { .. } => 20,
            Defect::LengthRatio { .. } => 10,
            Defect::SpanPlacedByGuess { .. } => 5,
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Defect::Empty => write!(f, "the translation is empty"),
            Defect::Truncated => write!(
                f,
                "the translation stops without final punctuation where the source has one: it may be cut short"
            ),
            Defect::Untranslated => write!(f, "the translation is French copied from the source"),
            Defect::NumberMissing { number } => {
                write!(f, "\"{number}\" in the source has no counterpart in the translation")
            }
            Defect::NumberAdded { number } => {
                write!(f, "\"{number}\" in the translation has no counterpart in the source")
            }
            Defect::Repetition { ngram, count } => {
                write!(f, "\"{ngram}\" is repeated {count} times, unlike the source")
            }
            Defect::LengthRatio { ratio, min, max } => write!(
                f,
                "the translation is {ratio:.2} times the length of the source (expected {min:.2} to {max:.2})"
            ),
            Defect::SpanInvented { span } => {
                write!(f, "\"{span}\" is in the translation but not in the source")
            }
            Defect::SpanPlacedByGuess { span } => write!(
                f,
                "\"{span}\" was lost by the model and put back at an estimated position"
            ),
        }
    }
}

/// Serialises as `{"code": "...", "message": "..."}`, the shape the writers put in JSONL.
impl serde::Serialize for Defect {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Defect", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_code_and_message() {
        let defect = Defect::NumberMissing {
            number: "5.000".into(),
        };
        let json = serde_json::to_string(&defect).unwrap();
        assert_eq!(
            json,
            r#"{"code":"number_missing","message":"\"5.000\" in the source has no counterpart in the translation"}"#
        );
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            Defect::Empty,
            Defect::Truncated,
            Defect::Untranslated,
            Defect::NumberMissing { number: "1".into() },
            Defect::NumberAdded { number: "1".into() },
            Defect::Repetition {
                ngram: "a".into(),
                count: 3,
            },
            Defect::LengthRatio {
                ratio: 3.0,
                min: 0.5,
                max: 2.0,
            },
            Defect::SpanInvented { span: "x".into() },
            Defect::SpanPlacedByGuess { span: "x".into() },
        ];
        let mut codes: Vec<_> = all.iter().map(Defect::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
