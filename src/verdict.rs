//! What happened to a sentence on its way to English: copied unchanged, translated, recovered by
//! a fidelity step, or flagged for reasons.
//!
//! This is the one vocabulary of the house. The fidelity guard writes a [`Verdict`] on every
//! translation; the translator seam, the sentence cache and the document pipeline carry it
//! unchanged; every writer, the summaries and `--strict` read it. Words for people and codes for
//! machines (`translated`, `repetition_guard`, `number_missing`, the reasons in English) are made
//! only at the output edge, by [`Verdict::name`], [`Recovery::code`], [`Defect::code`] and
//! `Display`.
//!
//! The module depends on nothing else in passeur but the error type (for [`Tally::check_strict`]),
//! so every stage can use it.
//!
//! ```
//! use passeur::verdict::{Defect, Tally, Verdict};
//!
//! let flagged = Verdict::Flagged {
//!     defects: vec![Defect::NumberMissing { number: "5.000".into() }],
//!     recovery: None,
//! };
//! assert_eq!(flagged.name(), "flagged");
//! assert_eq!(flagged.flags()[0].code(), "number_missing");
//! let tally = Tally::of([&Verdict::Translated, &Verdict::Passthrough, &flagged]);
//! assert_eq!((tally.sentences, tally.translated, tally.flagged), (3, 2, 1));
//! assert!(tally.check_strict().is_err()); // `--strict`: one sentence stays flagged
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What happened to one sentence (or to one text sent to a translator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Copied unchanged: the sentence had nothing to translate (numbers, punctuation, URLs, code)
    /// and the model was not asked.
    Passthrough,
    /// Translated by the model; every fidelity check passed, or none ran (`--no-guard`).
    Translated,
    /// Translated by the model after the first translation failed checks: `step` produced one
    /// that passes.
    Recovered {
        /// The recovery step that produced the kept translation.
        step: Recovery,
        /// What was wrong with the first translation.
        defects: Vec<Defect>,
    },
    /// Translated by the model, but doubts remain after every recovery step: read it against the
    /// French.
    Flagged {
        /// What is still wrong with the kept translation (never empty).
        defects: Vec<Defect>,
        /// For a sentence translated in pieces, the step that recovered one of its other pieces;
        /// `None` otherwise.
        recovery: Option<Recovery>,
    },
}

impl Verdict {
    /// The verdict as the output formats spell it: `passthrough`, `translated`, `recovered` or
    /// `flagged`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Passthrough => "passthrough",
            Verdict::Translated => "translated",
            Verdict::Recovered { .. } => "recovered",
            Verdict::Flagged { .. } => "flagged",
        }
    }

    /// The recovery step that fixed the sentence (or one of its pieces), if one did.
    pub fn recovery(&self) -> Option<Recovery> {
        match self {
            Verdict::Recovered { step, .. } => Some(*step),
            Verdict::Flagged { recovery, .. } => *recovery,
            _ => None,
        }
    }

    /// The doubts that remain: the defects of a flagged sentence, empty for any other.
    pub fn flags(&self) -> &[Defect] {
        match self {
            Verdict::Flagged { defects, .. } => defects,
            _ => &[],
        }
    }

    /// Whether doubts remain.
    pub fn is_flagged(&self) -> bool {
        matches!(self, Verdict::Flagged { .. })
    }

    /// The reasons in words, joined with "; ", for a tooltip or a note: the remaining doubts of a
    /// flagged sentence, or `recovered by STEP: ` and the first translation's defects; `None`
    /// when there is nothing to say.
    pub fn explanation(&self) -> Option<String> {
        let (prefix, defects) = match self {
            Verdict::Recovered { step, defects } => {
                (format!("recovered by {}: ", step.code()), defects)
            }
            Verdict::Flagged { defects, .. } => (String::new(), defects),
            _ => return None,
        };
        if defects.is_empty() {
            return None;
        }
        let reasons: Vec<String> = defects.iter().map(Defect::to_string).collect();
        Some(prefix + &reasons.join("; "))
    }

    /// The verdict of a sentence translated in pieces, from the verdicts of its pieces in order:
    /// flagged if any piece is, with every distinct doubt once (two doubts that read the same are
    /// one) and the first piece's recovery step; else recovered if a piece was; else translated
    /// (also when no piece reached the model).
    pub fn of_pieces<'a>(pieces: impl IntoIterator<Item = &'a Verdict>) -> Verdict {
        let mut recovery: Option<Recovery> = None;
        let mut recovered_from: Vec<Defect> = Vec::new();
        let mut flags: Vec<Defect> = Vec::new();
        for piece in pieces {
            recovery = recovery.or(piece.recovery());
            if let Verdict::Recovered { defects, .. } = piece {
                push_distinct(&mut recovered_from, defects);
            }
            push_distinct(&mut flags, piece.flags());
        }
        match recovery {
            _ if !flags.is_empty() => Verdict::Flagged {
                defects: flags,
                recovery,
            },
            Some(step) => Verdict::Recovered {
                step,
                defects: recovered_from,
            },
            None => Verdict::Translated,
        }
    }
}

/// Appends each of `new` to `defects` unless one that reads the same is there already.
fn push_distinct(defects: &mut Vec<Defect>, new: &[Defect]) {
    for defect in new {
        let text = defect.to_string();
        if !defects
            .iter()
            .any(|d| d.code() == defect.code() && d.to_string() == text)
        {
            defects.push(defect.clone());
        }
    }
}

/// The recovery step that produced a sentence's final translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// Decoded again with a repetition guard and at least 4 beams.
    RepetitionGuard,
    /// Translated clause by clause.
    ClauseSplit,
    /// ALL-CAPS text translated in sentence case.
    LowerCased,
}

impl Recovery {
    /// Stable code: `repetition_guard`, `clause_split`, `lower_cased`.
    pub fn code(self) -> &'static str {
        match self {
            Recovery::RepetitionGuard => "repetition_guard",
            Recovery::ClauseSplit => "clause_split",
            Recovery::LowerCased => "lower_cased",
        }
    }
}

/// One finding of a fidelity check on one translation.
///
/// [`Defect::code`] is stable and machine-readable (JSONL, TMX notes, summaries); `Display` is the
/// explanation for people (tooltips, notes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
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

/// Verdicts counted: by kind, recovered sentences by step, and remaining doubts by code. One
/// document's counts are in its `TranslationStats`; a batch merges them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Every verdict counted.
    pub sentences: usize,
    /// Translated by the model: recovered and flagged ones included, passthrough excluded.
    pub translated: usize,
    /// Copied unchanged.
    pub passthrough: usize,
    /// Defective at first, then fixed by a recovery step.
    pub recovered: usize,
    /// Still doubtful.
    pub flagged: usize,
    /// Recovered sentences by recovery step.
    pub recoveries: BTreeMap<Recovery, usize>,
    /// The remaining doubts of flagged sentences, by [`Defect::code`].
    pub flags: BTreeMap<&'static str, usize>,
}

impl Tally {
    /// The counts of `verdicts`.
    pub fn of<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Tally {
        let mut tally = Tally::default();
        for verdict in verdicts {
            tally.add(verdict);
        }
        tally
    }

    /// Counts one more verdict.
    pub fn add(&mut self, verdict: &Verdict) {
        self.sentences += 1;
        match verdict {
            Verdict::Passthrough => self.passthrough += 1,
            Verdict::Translated => self.translated += 1,
            Verdict::Recovered { step, .. } => {
                self.translated += 1;
                self.recovered += 1;
                *self.recoveries.entry(*step).or_default() += 1;
            }
            Verdict::Flagged { defects, .. } => {
                self.translated += 1;
                self.flagged += 1;
                for defect in defects {
                    *self.flags.entry(defect.code()).or_default() += 1;
                }
            }
        }
    }

    /// Adds another tally's counts (several documents in one run).
    pub fn merge(&mut self, other: &Tally) {
        self.sentences += other.sentences;
        self.translated += other.translated;
        self.passthrough += other.passthrough;
        self.recovered += other.recovered;
        self.flagged += other.flagged;
        for (step, n) in &other.recoveries {
            *self.recoveries.entry(*step).or_default() += n;
        }
        for (code, n) in &other.flags {
            *self.flags.entry(code).or_default() += n;
        }
    }

    /// The `--strict` rule, decided here only: an error when any sentence stays flagged, counting
    /// the flagged sentences among all sentences and their doubts by code.
    pub fn check_strict(&self) -> crate::Result<()> {
        if self.flagged == 0 {
            return Ok(());
        }
        let reasons: Vec<String> = self
            .flags
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        Err(crate::Error::FidelityFlags {
            flagged: self.flagged,
            sentences: self.sentences,
            reasons: reasons.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_defect() -> Vec<Defect> {
        vec![
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
                ratio: 3.1234567,
                min: 0.55,
                max: 1.5,
            },
            Defect::SpanInvented { span: "x".into() },
            Defect::SpanPlacedByGuess { span: "x".into() },
        ]
    }

    #[test]
    fn defect_codes_are_distinct() {
        let all = every_defect();
        let mut codes: Vec<_> = all.iter().map(Defect::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn verdicts_round_trip_through_json_exactly() {
        let verdicts = [
            Verdict::Passthrough,
            Verdict::Translated,
            Verdict::Recovered {
                step: Recovery::ClauseSplit,
                defects: every_defect(),
            },
            Verdict::Flagged {
                defects: every_defect(),
                recovery: Some(Recovery::LowerCased),
            },
        ];
        for verdict in verdicts {
            let json = serde_json::to_string(&verdict).unwrap();
            assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
        }
        let json = serde_json::to_string(&Verdict::Flagged {
            defects: vec![Defect::NumberMissing {
                number: "5.000".into(),
            }],
            recovery: None,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"status":"flagged","defects":[{"code":"number_missing","number":"5.000"}],"recovery":null}"#
        );
    }

    #[test]
    fn pieces_combine_into_one_sentence_verdict() {
        let missing = |n: &str| Defect::NumberMissing { number: n.into() };
        let recovered = Verdict::Recovered {
            step: Recovery::RepetitionGuard,
            defects: vec![Defect::Empty],
        };
        let flagged = |defects| Verdict::Flagged {
            defects,
            recovery: None,
        };
        assert_eq!(Verdict::of_pieces([]), Verdict::Translated);
        assert_eq!(
            Verdict::of_pieces([&Verdict::Translated, &recovered]),
            recovered
        );
        assert_eq!(
            Verdict::of_pieces([
                &flagged(vec![missing("5")]),
                &recovered,
                &flagged(vec![missing("5"), missing("6")]),
            ]),
            Verdict::Flagged {
                defects: vec![missing("5"), missing("6")],
                recovery: Some(Recovery::RepetitionGuard),
            },
            "flags once each, the recovery of the other piece kept"
        );
        let ratio = |ratio| Defect::LengthRatio {
            ratio,
            min: 0.55,
            max: 1.5,
        };
        assert_eq!(
            Verdict::of_pieces([&flagged(vec![ratio(2.001)]), &flagged(vec![ratio(2.004)])])
                .flags()
                .len(),
            1,
            "doubts that read the same are one"
        );
    }

    #[test]
    fn tally_counts_and_strict_rule() {
        let flagged = Verdict::Flagged {
            defects: vec![
                Defect::NumberMissing { number: "5".into() },
                Defect::Truncated,
            ],
            recovery: None,
        };
        let recovered = Verdict::Recovered {
            step: Recovery::ClauseSplit,
            defects: vec![Defect::Truncated],
        };
        let clean = Tally::of([&Verdict::Translated, &Verdict::Passthrough, &recovered]);
        assert_eq!(
            (
                clean.sentences,
                clean.translated,
                clean.passthrough,
                clean.recovered
            ),
            (3, 2, 1, 1)
        );
        assert_eq!(clean.recoveries.get(&Recovery::ClauseSplit), Some(&1));
        assert!(clean.check_strict().is_ok());
        let mut all = clean.clone();
        all.merge(&Tally::of([&flagged]));
        assert_eq!((all.sentences, all.translated, all.flagged), (4, 3, 1));
        let err = all.check_strict().unwrap_err().to_string();
        assert!(
            err.contains("1 of 4 sentences") && err.contains("number_missing: 1, truncated: 1"),
            "{err}"
        );
    }
}
