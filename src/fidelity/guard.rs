//! The [`Guard`]: translation of a batch of sentences with protection, checks, recovery and
//! flags; [`Guarded`] puts it in front of an engine.

use super::case;
use super::clauses::{join_clauses, split_clauses};
use super::degeneration::{self, LengthBand};
use super::numbers;
use super::passthrough::is_passthrough;
use super::protect::{find_spans, Protected};
use super::retry::{Retry, RetryTranslator};
use super::typography::{self, QuoteStyle};
use crate::rebatch::check_count;
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use crate::verdict::{Defect, Recovery, Verdict};
use crate::Result;

/// An engine seen through a [`Guard`]: a [`SentenceTranslator`] whose every translation went
/// through the guard, with the recovery step and the remaining flags reported on it. This is how
/// the document pipeline and the batch runner use the guard.
#[derive(Debug)]
pub struct Guarded<'a, T: ?Sized> {
    /// The guard's settings.
    pub guard: &'a Guard,
    /// The engine.
    pub engine: &'a T,
}

impl<T: RetryTranslator + ?Sized> SentenceTranslator for Guarded<'_, T> {
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
        self.guard.translate(self.engine, sentences)
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.engine.token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.engine.max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        let mut provenance = self.engine.provenance();
        provenance.decoding.push_str(" fidelity_guard=on");
        provenance
    }
}

/// How the guard works; [`GuardOptions::default`] is what passeur uses.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GuardOptions {
    /// Replace URLs, e-mails, handles, hashtags, domains and `code` by placeholders for the model.
    pub protect_spans: bool,
    /// First recovery step: decode again this way (`None` skips the step).
    pub retry: Option<Retry>,
    /// Second recovery step: translate the sentence in clauses.
    pub split_clauses: bool,
    /// Third recovery step: translate ALL-CAPS text in sentence case and capitalise the result.
    pub lower_all_caps: bool,
    /// Quotation marks of the English output.
    pub quotes: QuoteStyle,
    /// Accepted translation/source length ratio.
    pub length_band: LengthBand,
}

impl Default for GuardOptions {
    fn default() -> Self {
        GuardOptions {
            protect_spans: true,
            retry: Some(Retry::default()),
            split_clauses: true,
            lower_all_caps: true,
            quotes: QuoteStyle::Curly,
            length_band: LengthBand::default(),
        }
    }
}

/// Translates sentences through a [`RetryTranslator`] with every fidelity safeguard of this
/// module: see the module documentation of [`crate::fidelity`] for the order of the steps.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    options: GuardOptions,
}

/// One translation attempt of a sentence, already restored and checked.
#[derive(Debug, Clone)]
struct Attempt {
    text: String,
    score: Option<f32>,
    defects: Vec<Defect>,
    recovery: Option<Recovery>,
}

impl Attempt {
    fn badness(&self) -> u32 {
        self.defects.iter().map(severity).sum()
    }

    /// Whether `self` should replace `kept`: fewer or milder defects, then a better score.
    fn beats(&self, kept: &Attempt) -> bool {
        match self.badness().cmp(&kept.badness()) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => match (self.score, kept.score) {
                (Some(a), Some(b)) => a > b,
                (Some(_), None) => true,
                _ => false,
            },
        }
    }
}

/// A sentence on its way through the model.
struct Job<'a> {
    source: &'a str,
    protected: Protected,
    /// What the model sees: the protected text with French typography normalised.
    model_input: String,
    all_caps: bool,
    first: Option<Attempt>,
    best: Option<Attempt>,
}

impl Job<'_> {
    fn is_defective(&self) -> bool {
        self.best.as_ref().is_none_or(|b| !b.defects.is_empty())
    }

    fn record(&mut self, attempt: Attempt) {
        if self.first.is_none() {
            self.first = Some(attempt.clone());
        }
        if self.best.as_ref().is_none_or(|kept| attempt.beats(kept)) {
            self.best = Some(attempt);
        }
    }

    fn into_translation(self) -> SentenceTranslation {
        let first = self.first.expect("every job is translated once");
        let best = self.best.expect("every job is translated once");
        let verdict = if first.defects.is_empty() {
            Verdict::Translated
        } else if best.defects.is_empty() {
            Verdict::Recovered {
                step: best
                    .recovery
                    .expect("a clean attempt after a defective first one is a recovery"),
                defects: first.defects,
            }
        } else {
            Verdict::Flagged {
                defects: best.defects,
                recovery: None,
            }
        };
        SentenceTranslation {
            text: best.text,
            score: best.score,
            verdict,
        }
    }
}

/// How bad a defect is, to pick the best of several attempts: an empty or untranslated result is
/// worse than a wrong number, which is worse than a doubtful length or a span whose position was
/// guessed.
fn severity(defect: &Defect) -> u32 {
    match defect {
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

impl Guard {
    /// A guard working as `options` say.
    pub fn new(options: GuardOptions) -> Self {
        Guard { options }
    }

    /// The options in force.
    pub fn options(&self) -> &GuardOptions {
        &self.options
    }

    /// Every check on one translation of `source`: degeneration, numbers, and spans (URLs,
    /// e-mails, handles…) that the source does not have.
    pub fn check(&self, source: &str, translation: &str) -> Vec<Defect> {
        let mut defects = degeneration::check(source, translation, &self.options.length_band);
        if defects.first() == Some(&Defect::Empty) {
            return defects;
        }
        let numbers = numbers::compare(source, translation);
        defects.extend(
            numbers
                .missing
                .into_iter()
                .map(|m| Defect::NumberMissing { number: m.text }),
        );
        defects.extend(
            numbers
                .added
                .into_iter()
                .map(|m| Defect::NumberAdded { number: m.text }),
        );
        let source_spans: Vec<&str> = find_spans(source)
            .into_iter()
            .map(|s| &source[s.range])
            .collect();
        for span in find_spans(translation) {
            let text = &translation[span.range];
            if !source_spans.contains(&text) {
                defects.push(Defect::SpanInvented {
                    span: text.to_string(),
                });
            }
        }
        defects
    }

    /// Translates `sentences` with `engine`: one [`SentenceTranslation`] per input, in order, its
    /// [`Verdict`] saying whether it passed at once, was recovered or stays flagged. Every
    /// model call covers all the sentences that need it at that step, never one at a time.
    ///
    /// Every sentence given is translated: deciding what has nothing to translate (passthrough)
    /// is the planner's job, done once before the guard (see [`crate::pipeline::Plan`]).
    pub fn translate<T: RetryTranslator + ?Sized>(
        &self,
        engine: &T,
        sentences: &[&str],
    ) -> Result<Vec<SentenceTranslation>> {
        if sentences.is_empty() {
            return Ok(Vec::new());
        }
        let mut jobs: Vec<Job<'_>> = sentences.iter().map(|s| self.prepare(s)).collect();
        let inputs: Vec<&str> = jobs.iter().map(|j| j.model_input.as_str()).collect();
        let outputs = checked(
            engine.translate_sentences(&inputs),
            inputs.len(),
            "first translation",
        )?;
        for (job, output) in jobs.iter_mut().zip(outputs) {
            let attempt = self.finish(job, &output.text, output.score, None, false);
            job.record(attempt);
        }

        if let Some(retry) = self.options.retry.filter(|_| engine.can_retry()) {
            self.retry_step(engine, &mut jobs, &retry)?;
        }
        if self.options.split_clauses {
            self.split_step(engine, &mut jobs)?;
        }
        if self.options.lower_all_caps {
            self.lower_case_step(engine, &mut jobs)?;
        }

        Ok(jobs.into_iter().map(Job::into_translation).collect())
    }

    fn prepare<'a>(&self, source: &'a str) -> Job<'a> {
        let protected = if self.options.protect_spans {
            Protected::new(source)
        } else {
            Protected::none(source)
        };
        let model_input = typography::for_model(&protected.text);
        let unprotected = super::protect::strip_spans(source);
        Job {
            source,
            all_caps: case::is_all_caps(&unprotected),
            protected,
            model_input,
            first: None,
            best: None,
        }
    }

    /// Turns the model's output into a checked attempt: capitals back if the input was
    /// lower-cased, English typography, protected spans restored, checks.
    fn finish(
        &self,
        job: &Job<'_>,
        output: &str,
        score: Option<f32>,
        recovery: Option<Recovery>,
        restore_caps: bool,
    ) -> Attempt {
        let output = if restore_caps {
            case::restore_caps(output)
        } else {
            output.to_string()
        };
        let english = typography::english(&output, self.options.quotes);
        let restored = job.protected.restore(&english);
        let mut defects = self.check(job.source, &restored.text);
        defects.extend(
            restored
                .placed_by_guess
                .iter()
                .map(|&i| Defect::SpanPlacedByGuess {
                    span: job.protected.spans()[i].clone(),
                }),
        );
        Attempt {
            text: restored.text,
            score,
            defects,
            recovery,
        }
    }

    fn retry_step<T: RetryTranslator + ?Sized>(
        &self,
        engine: &T,
        jobs: &mut [Job<'_>],
        retry: &Retry,
    ) -> Result<()> {
        let pending: Vec<usize> = (0..jobs.len())
            .filter(|&j| jobs[j].is_defective())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let inputs: Vec<&str> = pending
            .iter()
            .map(|&j| jobs[j].model_input.as_str())
            .collect();
        let outputs = checked(
            engine.translate_sentences_with(&inputs, retry),
            inputs.len(),
            "retry with a repetition guard",
        )?;
        for (&j, output) in pending.iter().zip(outputs) {
            let attempt = self.finish(
                &jobs[j],
                &output.text,
                output.score,
                Some(Recovery::RepetitionGuard),
                false,
            );
            jobs[j].record(attempt);
        }
        Ok(())
    }

    fn split_step<T: RetryTranslator + ?Sized>(
        &self,
        engine: &T,
        jobs: &mut [Job<'_>],
    ) -> Result<()> {
        // For each defective job with two or more clauses: its parts, and for each part either
        // its position among the model inputs or None when it passes through.
        let mut plans: Vec<(usize, Vec<String>, Vec<Option<usize>>)> = Vec::new();
        let mut inputs: Vec<String> = Vec::new();
        for (j, job) in jobs.iter().enumerate() {
            if !job.is_defective() {
                continue;
            }
            let parts: Vec<String> = split_clauses(&job.model_input)
                .into_iter()
                .map(str::to_string)
                .collect();
            if parts.len() < 2 {
                continue;
            }
            let slots = parts
                .iter()
                .map(|part| {
                    // The planner's rule, for the clauses the guard cuts itself.
                    (!is_passthrough(part)).then(|| {
                        inputs.push(part.clone());
                        inputs.len() - 1
                    })
                })
                .collect();
            plans.push((j, parts, slots));
        }
        if plans.is_empty() {
            return Ok(());
        }
        let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let outputs = checked(
            engine.translate_sentences(&input_refs),
            input_refs.len(),
            "translation of clauses",
        )?;
        for (j, parts, slots) in plans {
            let mut translations = Vec::with_capacity(parts.len());
            let mut weighted = 0.0f32;
            let mut weight = 0.0f32;
            for (part, slot) in parts.iter().zip(&slots) {
                match slot {
                    Some(k) => {
                        let output = &outputs[*k];
                        if let Some(score) = output.score {
                            weighted += score * part.len() as f32;
                            weight += part.len() as f32;
                        }
                        translations.push(output.text.clone());
                    }
                    None => translations.push(part.clone()),
                }
            }
            let part_refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            let joined = join_clauses(&part_refs, &translations);
            let score = (weight > 0.0).then(|| weighted / weight);
            let attempt = self.finish(&jobs[j], &joined, score, Some(Recovery::ClauseSplit), false);
            jobs[j].record(attempt);
        }
        Ok(())
    }

    fn lower_case_step<T: RetryTranslator + ?Sized>(
        &self,
        engine: &T,
        jobs: &mut [Job<'_>],
    ) -> Result<()> {
        let pending: Vec<usize> = (0..jobs.len())
            .filter(|&j| jobs[j].is_defective() && jobs[j].all_caps)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let lowered: Vec<String> = pending
            .iter()
            .map(|&j| case::lower_for_model(&jobs[j].model_input))
            .collect();
        let inputs: Vec<&str> = lowered.iter().map(String::as_str).collect();
        let outputs = checked(
            engine.translate_sentences(&inputs),
            inputs.len(),
            "translation of lower-cased ALL-CAPS text",
        )?;
        for (&j, output) in pending.iter().zip(outputs) {
            let attempt = self.finish(
                &jobs[j],
                &output.text,
                output.score,
                Some(Recovery::LowerCased),
                true,
            );
            jobs[j].record(attempt);
        }
        Ok(())
    }
}

/// The engine's answer, with its one-translation-per-sentence contract enforced.
fn checked(
    outputs: Result<Vec<SentenceTranslation>>,
    expected: usize,
    step: &'static str,
) -> Result<Vec<SentenceTranslation>> {
    check_count(outputs?, expected, step)
}
