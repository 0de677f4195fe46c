//! The guard's checks and recoveries against scripted translators: each rule fires on the failure
//! it exists for (repetitions, dropped numbers, mangled URLs, empty strings, copies, truncations,
//! ALL-CAPS loops) and stays silent on good translations; recoveries run in the order and
//! batch every defective sentence of a step into one call.

use std::cell::RefCell;
use std::collections::HashMap;

use passeur::fidelity::{FixedDecoding, Guard, GuardOptions, QuoteStyle, Retry, RetryTranslator};
use passeur::translate::{SentenceTranslation, SentenceTranslator};
use passeur::verdict::{Defect, Recovery, Tally, Verdict};
use passeur::Error;

/// Which decoding a call asked for.
#[derive(Debug, Clone, PartialEq)]
enum Decoding {
    Plain,
    Retry(Retry),
}

/// A translator that answers from scripts and records every call.
#[derive(Default)]
struct Scripted {
    /// Input as the model sees it → output, for the plain decoding.
    plain: HashMap<String, String>,
    /// Input → output for the retry decoding (falls back to `plain`).
    retry: HashMap<String, String>,
    /// Scores by output text (default -0.5).
    scores: HashMap<String, f32>,
    calls: RefCell<Vec<(Decoding, Vec<String>)>>,
    /// Return one translation fewer than asked.
    short_by_one: bool,
}

impl Scripted {
    fn plain(mut self, input: &str, output: &str) -> Self {
        self.plain.insert(input.to_string(), output.to_string());
        self
    }
    fn retry(mut self, input: &str, output: &str) -> Self {
        self.retry.insert(input.to_string(), output.to_string());
        self
    }
    fn score(mut self, output: &str, score: f32) -> Self {
        self.scores.insert(output.to_string(), score);
        self
    }
    fn answer(&self, sentences: &[&str], decoding: Decoding) -> Vec<SentenceTranslation> {
        self.calls.borrow_mut().push((
            decoding.clone(),
            sentences.iter().map(|s| s.to_string()).collect(),
        ));
        let mut out: Vec<SentenceTranslation> = sentences
            .iter()
            .map(|s| {
                let scripted = match decoding {
                    Decoding::Retry(_) => self.retry.get(*s).or_else(|| self.plain.get(*s)),
                    Decoding::Plain => self.plain.get(*s),
                };
                let text = scripted
                    .cloned()
                    .unwrap_or_else(|| panic!("no script for model input {s:?}"));
                let score = self.scores.get(&text).copied().unwrap_or(-0.5);
                SentenceTranslation::new(text, Some(score))
            })
            .collect();
        if self.short_by_one {
            out.pop();
        }
        out
    }
    fn calls(&self) -> Vec<(Decoding, Vec<String>)> {
        self.calls.borrow().clone()
    }
    fn all_inputs(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .flat_map(|(_, inputs)| inputs)
            .collect()
    }
}

impl SentenceTranslator for Scripted {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        Ok(self.answer(sentences, Decoding::Plain))
    }
}

impl RetryTranslator for Scripted {
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        retry: &Retry,
    ) -> passeur::Result<Vec<SentenceTranslation>> {
        Ok(self.answer(sentences, Decoding::Retry(*retry)))
    }
}

fn guard() -> Guard {
    Guard::default()
}

fn codes(defects: &[Defect]) -> Vec<&'static str> {
    defects.iter().map(Defect::code).collect()
}

/// The reasons of a verdict: what stays wrong with a flagged translation, or what was wrong with
/// the first translation of a recovered one.
fn reasons(translation: &SentenceTranslation) -> &[Defect] {
    match &translation.verdict {
        Verdict::Recovered { defects, .. } | Verdict::Flagged { defects, .. } => defects,
        _ => &[],
    }
}

#[test]
fn good_translations_stay_ok_with_one_call() {
    let engine = Scripted::default()
        .plain(
            "Il y avait 5.000 manifestants à Paris le 17 novembre 2013.",
            "There were 5,000 protesters in Paris on November 17, 2013.",
        )
        .plain(
            "Le chômage a reculé de 3,5 % en un an, selon l'Insee.",
            "Unemployment fell by 3.5% in one year, according to Insee.",
        )
        .plain("Oui.", "Yes.");
    let out = guard()
        .translate(
            &engine,
            &[
                "Il y avait 5.000 manifestants à Paris le 17 novembre 2013.",
                "Le chômage a reculé de 3,5 % en un an, selon l'Insee.",
                "Oui.",
            ],
        )
        .unwrap();
    assert!(
        out.iter()
            .all(|s| s.verdict == Verdict::Translated && reasons(s).is_empty()),
        "{out:#?}"
    );
    assert_eq!(
        out[0].text,
        "There were 5,000 protesters in Paris on November 17, 2013."
    );
    assert_eq!(out[2].score, Some(-0.5));
    assert_eq!(engine.calls().len(), 1);
}

#[test]
fn every_sentence_given_is_translated_passthrough_is_the_planners() {
    let engine = Scripted::default().plain("5.000", "5,000");
    let out = guard().translate(&engine, &["5.000"]).unwrap();
    assert_eq!(engine.all_inputs(), vec!["5.000"]);
    assert_eq!(out[0].verdict, Verdict::Translated);
    assert!(guard().translate(&engine, &[]).unwrap().is_empty());
    assert_eq!(engine.calls().len(), 1, "no call for no sentence");
}

#[test]
fn empty_output_is_retried_with_a_repetition_guard() {
    let engine = Scripted::default()
        .plain("Le ministre est arrivé.", "")
        .retry("Le ministre est arrivé.", "The minister has arrived.");
    let out = guard()
        .translate(&engine, &["Le ministre est arrivé."])
        .unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(out[0].text, "The minister has arrived.");
    assert_eq!(reasons(&out[0]), vec![Defect::Empty]);
    assert_eq!(engine.calls().len(), 2);
    let calls = engine.calls();
    assert_eq!(
        calls[1].0,
        Decoding::Retry(Retry {
            no_repeat_ngram_size: 3,
            min_beams: 4
        })
    );
}

#[test]
fn a_looping_word_is_caught_and_retried() {
    let engine = Scripted::default()
        .plain("Non.", "No, no, no, no, no, no.")
        .retry("Non.", "No.");
    let out = guard().translate(&engine, &["Non."]).unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(codes(reasons(&out[0])), vec!["repetition"]);
    assert_eq!(out[0].text, "No.");
}

#[test]
fn repetition_present_in_the_source_is_not_a_defect() {
    let engine = Scripted::default().plain("Non, non, non !", "No, no, no!");
    let out = guard().translate(&engine, &["Non, non, non !"]).unwrap();
    assert_eq!(
        out[0].verdict,
        Verdict::Translated,
        "{:?}",
        reasons(&out[0])
    );
}

#[test]
fn a_dropped_number_is_caught_and_named() {
    let engine = Scripted::default()
        .plain("Il y avait 5.000 manifestants.", "There were protesters.")
        .retry(
            "Il y avait 5.000 manifestants.",
            "There were 5,000 protesters.",
        );
    let out = guard()
        .translate(&engine, &["Il y avait 5.000 manifestants."])
        .unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(
        reasons(&out[0]),
        vec![Defect::NumberMissing {
            number: "5.000".into()
        }]
    );
}

#[test]
fn a_changed_number_is_flagged_when_no_recovery_fixes_it() {
    let source = "Le bilan est de 120 morts.";
    let engine = Scripted::default().plain(source, "The toll is 12 dead.");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(
        reasons(&out[0]),
        vec![
            Defect::NumberMissing {
                number: "120".into()
            },
            Defect::NumberAdded {
                number: "12".into()
            },
        ]
    );
    assert_eq!(out[0].text, "The toll is 12 dead.");
    let explanation = out[0].verdict.explanation().unwrap();
    assert!(
        explanation.contains("\"120\" in the source has no counterpart in the translation"),
        "{explanation}"
    );
}

#[test]
fn urls_are_protected_and_restored_exactly_once() {
    let source = "Les chiffres sont sur https://www.insee.fr/fr/statistiques et sur @Insee_FR.";
    let model_input = "Les chiffres sont sur ZQXA et sur ZQXB.";
    let engine = Scripted::default().plain(model_input, "The figures are on ZQXA and on ZQXB.");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(engine.all_inputs(), vec![model_input]);
    assert_eq!(
        out[0].verdict,
        Verdict::Translated,
        "{:?}",
        reasons(&out[0])
    );
    assert_eq!(
        out[0].text,
        "The figures are on https://www.insee.fr/fr/statistiques and on @Insee_FR."
    );
}

#[test]
fn a_mangled_url_placeholder_is_repaired_by_alignment_and_flagged() {
    let source = "Les chiffres sont publiés sur www.insee.fr chaque mois.";
    let model_input = "Les chiffres sont publiés sur ZQXA chaque mois.";
    // The model mangles the placeholder every time; the split step cannot help (no clause mark).
    let engine = Scripted::default().plain(
        model_input,
        "The figures are published on ZQ-XA every month.",
    );
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(
        reasons(&out[0]),
        vec![Defect::SpanPlacedByGuess {
            span: "www.insee.fr".into()
        }]
    );
    assert_eq!(
        out[0].text.matches("www.insee.fr").count(),
        1,
        "{}",
        out[0].text
    );
    assert!(
        !out[0].text.to_lowercase().contains("zq"),
        "{}",
        out[0].text
    );
}

#[test]
fn a_url_the_model_rewrote_into_a_different_address_cannot_reach_the_output() {
    let source = "Contact : presse@elysee.fr.";
    let engine = Scripted::default()
        .plain("Contact : ZQXA.", "Contact: press@elysee.com.")
        .retry("Contact : ZQXA.", "Contact: ZQXA.");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(out[0].text, "Contact: presse@elysee.fr.");
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(
        codes(reasons(&out[0])),
        vec!["span_invented", "span_placed_by_guess"]
    );
}

#[test]
fn a_digit_string_turned_into_a_web_address_is_flagged() {
    let source = "Appelez le 0612345678.";
    let engine = Scripted::default().plain(source, "Call www.06.com.");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(
        reasons(&out[0]),
        vec![
            Defect::NumberMissing {
                number: "0612345678".into()
            },
            Defect::SpanInvented {
                span: "www.06.com".into()
            },
        ]
    );
}

#[test]
fn a_copy_of_the_source_is_untranslated() {
    let source = "Le gouvernement a présenté son budget mardi.";
    let engine = Scripted::default()
        .plain(source, source)
        .retry(source, "The government presented its budget on Tuesday.");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(codes(reasons(&out[0])), vec!["untranslated"]);
}

#[test]
fn a_lost_second_half_is_recovered_by_translating_clauses() {
    let source =
        "Le gouvernement a annoncé un plan de relance, qui sera présenté lundi au Parlement.";
    let engine = Scripted::default()
        .plain(source, "The government announced a recovery plan")
        .retry(source, "The government announced a recovery plan")
        .plain(
            "Le gouvernement a annoncé un plan de relance,",
            "The government announced a recovery plan.",
        )
        .plain(
            "qui sera présenté lundi au Parlement.",
            "Which will be presented to Parliament on Monday.",
        );
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(
        out[0].verdict.recovery(),
        Some(Recovery::ClauseSplit),
        "{:?}",
        out[0]
    );
    assert_eq!(
        out[0].text,
        "The government announced a recovery plan, which will be presented to Parliament on Monday."
    );
    assert!(codes(reasons(&out[0])).contains(&"truncated"));
    assert_eq!(engine.calls().len(), 3, "first pass, retry, clauses");
}

#[test]
fn an_all_caps_headline_is_lower_cased_for_the_model_and_capitalised_back() {
    let source = "LA CHINE ET LA FINLANDE SIGNENT UN ACCORD";
    let looping = "CHINA AND FINLAND CHINA AND FINLAND CHINA AND FINLAND";
    let engine = Scripted::default().plain(source, looping).plain(
        "La chine et la finlande signent un accord",
        "China and Finland sign an agreement",
    );
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::LowerCased));
    assert_eq!(out[0].text, "CHINA AND FINLAND SIGN AN AGREEMENT");
    assert_eq!(codes(reasons(&out[0])), vec!["repetition"]);
    // Steps in the order: first pass, repetition guard, then lower case (no clause mark).
    let kinds: Vec<_> = engine.calls().into_iter().map(|(d, _)| d).collect();
    assert!(matches!(
        kinds[..],
        [Decoding::Plain, Decoding::Retry(_), Decoding::Plain]
    ));
}

#[test]
fn lower_casing_is_only_for_all_caps_text() {
    let source = "La Chine et la Finlande signent un accord";
    let engine = Scripted::default().plain(source, "China China China and Finland");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(engine.calls().len(), 2, "first pass and retry only");
}

#[test]
fn the_best_attempt_is_kept_when_all_fail() {
    let source = "Il y avait 5.000 manifestants le 3 mai ; la police en comptait 2.000.";
    // First: two numbers wrong and truncated. Retry: one number wrong. Clauses: empty parts.
    let engine = Scripted::default()
        .plain(
            source,
            "There were 500 protesters on May 3; police counted 200",
        )
        .retry(
            source,
            "There were 5,000 protesters on May 3; police counted 200.",
        )
        .plain("Il y avait 5.000 manifestants le 3 mai ;", "")
        .plain("la police en comptait 2.000.", "");
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(
        out[0].text,
        "There were 5,000 protesters on May 3; police counted 200."
    );
    assert_eq!(
        reasons(&out[0]),
        vec![
            Defect::NumberMissing {
                number: "2.000".into()
            },
            Defect::NumberAdded {
                number: "200".into()
            },
        ]
    );
    assert_eq!(engine.calls().len(), 3, "first pass, retry, clauses");
}

#[test]
fn equally_bad_attempts_are_decided_by_score() {
    let source = "Le ministre est arrivé.";
    let engine = Scripted::default()
        .plain(source, "The minister")
        .retry(source, "The minister has")
        .score("The minister", -2.0)
        .score("The minister has", -0.1);
    let out = guard().translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(out[0].text, "The minister has");
    assert_eq!(out[0].score, Some(-0.1));
}

#[test]
fn each_recovery_step_is_one_batched_call() {
    let a = "Il y avait 5.000 manifestants.";
    let b = "Le ministre est arrivé.";
    let c = "Tout va bien.";
    let engine = Scripted::default()
        .plain(a, "There were protesters.")
        .plain(b, "")
        .plain(c, "All is well.")
        .retry(a, "There were 5,000 protesters.")
        .retry(b, "The minister has arrived.");
    let out = guard().translate(&engine, &[a, b, c]).unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(out[1].verdict.recovery(), Some(Recovery::RepetitionGuard));
    assert_eq!(out[2].verdict, Verdict::Translated);
    let calls = engine.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].1, vec![a.to_string(), b.to_string()]);
}

#[test]
fn a_translator_that_cannot_change_its_decoding_skips_the_retry_step() {
    let source = "Le gouvernement a annoncé un plan, qui sera présenté lundi.";
    let engine = Scripted::default()
        .plain(source, "The government announced a plan")
        .plain(
            "Le gouvernement a annoncé un plan,",
            "The government announced a plan,",
        )
        .plain(
            "qui sera présenté lundi.",
            "which will be presented on Monday.",
        );
    let fixed = FixedDecoding(engine);
    let out = guard().translate(&fixed, &[source]).unwrap();
    assert_eq!(out[0].verdict.recovery(), Some(Recovery::ClauseSplit));
    assert!(fixed.0.calls().iter().all(|(d, _)| *d == Decoding::Plain));
    assert_eq!(fixed.0.calls().len(), 2);
}

#[test]
fn options_switch_steps_off() {
    let source = "Le gouvernement a annoncé un plan, qui sera présenté lundi.";
    let engine = Scripted::default().plain(source, "The government announced a plan");
    let options = GuardOptions {
        retry: None,
        split_clauses: false,
        ..GuardOptions::default()
    };
    let out = Guard::new(options).translate(&engine, &[source]).unwrap();
    assert!(out[0].verdict.is_flagged());
    assert_eq!(engine.calls().len(), 1);
}

#[test]
fn typography_is_normalised_for_the_model_and_made_english_after() {
    let source =
        "Il a demandé\u{a0}: «\u{202f}Pourquoi maintenant\u{202f}?\u{a0}» avant de partir.";
    let engine = Scripted::default().plain(
        "Il a demandé : « Pourquoi maintenant ? » avant de partir.",
        "He asked : « Why now ? » before leaving.",
    );
    let out = guard().translate(&engine, &[source]).unwrap();
    assert_eq!(out[0].text, "He asked: “Why now?” before leaving.");
    assert_eq!(out[0].verdict, Verdict::Translated);
    let straight = Guard::new(GuardOptions {
        quotes: QuoteStyle::Straight,
        ..GuardOptions::default()
    });
    let out = straight.translate(&engine, &[source]).unwrap();
    assert_eq!(out[0].text, "He asked: \"Why now?\" before leaving.");
}

#[test]
fn a_translator_returning_the_wrong_count_is_an_error_not_a_panic() {
    let engine = Scripted {
        short_by_one: true,
        ..Scripted::default()
            .plain("Oui.", "Yes.")
            .plain("Non.", "No.")
    };
    let err = guard().translate(&engine, &["Oui.", "Non."]).unwrap_err();
    assert!(matches!(
        err,
        Error::TranslationCount {
            expected: 2,
            got: 1,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("returned 1 translations for 2 sentences"),
        "{err}"
    );
}

#[test]
fn summary_counts_and_strict_mode() {
    let engine = Scripted::default()
        .plain("Oui.", "Yes.")
        .plain("Non.", "No.")
        .plain("Le bilan est de 120 morts.", "The toll is 12 dead.")
        .plain("Le ministre est arrivé.", "")
        .retry("Le ministre est arrivé.", "The minister has arrived.");
    let out = guard()
        .translate(
            &engine,
            &[
                "Oui.",
                "Non.",
                "Le bilan est de 120 morts.",
                "Le ministre est arrivé.",
            ],
        )
        .unwrap();
    let summary = Tally::of(out.iter().map(|t| &t.verdict));
    assert_eq!(
        (
            summary.sentences,
            summary.translated,
            summary.passthrough,
            summary.recovered,
            summary.flagged
        ),
        (4, 4, 0, 1, 1)
    );
    assert_eq!(summary.flags.get("number_missing"), Some(&1));
    assert_eq!(summary.flags.get("number_added"), Some(&1));
    assert_eq!(summary.recoveries.get(&Recovery::RepetitionGuard), Some(&1));
    let err = summary.check_strict().unwrap_err();
    assert!(matches!(
        err,
        Error::FidelityFlags {
            flagged: 1,
            sentences: 4,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("number_added: 1, number_missing: 1"),
        "{err}"
    );

    let clean = Tally::of(out[..2].iter().map(|t| &t.verdict));
    assert!(clean.check_strict().is_ok());
    let mut merged = clean.clone();
    merged.merge(&summary);
    assert_eq!(merged.sentences, 6);
    assert_eq!(merged.flagged, 1);
}
