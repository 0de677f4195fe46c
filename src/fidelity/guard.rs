//! The [`Guard`]: translation of a batch of sentences with passthrough, protection, checks,
//! recovery and flags.

use std::collections::BTreeMap;

use super::case;
use super::clauses::{join_clauses, split_clauses};
use super::defect::Defect;
use super::degeneration::{self, LengthBand};
use super::numbers;
use super::passthrough::is_passthrough;
use super::protect::{find_spans, Protected};
use super::typography::{self, QuoteStyle};
use crate::generate::GenerationOptions;
use crate::translate::{Flag, Provenance, SentenceTranslation, SentenceTranslator, Translator};
use crate::{Error, Result};

/// A different decoding for a second attempt: what the guard asks the engine for when a
/// translation is defective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retry {
    /// Forbid any sequence of this many tokens from occurring twice in the output
    /// (transformers' `no_repeat_ngram_size`); 0 leaves repetition alone.
    pub no_repeat_ngram_size: usize,
    /// Decode with at least this many beams: 4 turns a greedy first pass into beam search, a
    /// first pass that already used beams keeps its width.
    pub min_beams: usize,
}

impl Default for Retry {
    /// `no_repeat_ngram_size = 3`, at least 4 beams.
    fn default() -> Self {
        Retry {
            no_repeat_ngram_size: 3,
            min_beams: 4,
        }
    }
}

/// What the guard needs from an engine beyond [`SentenceTranslator`]: translating again with a
/// different decoding.
///
/// The engine's `Translator` implements it by copying its generation options, setting
/// `no_repeat_ngram_size` and raising `num_beams` to at least `min_beams`. A translator that
/// cannot change its decoding can be wrapped in [`FixedDecoding`].
pub trait RetryTranslator: SentenceTranslator {
    /// Translates `sentences` with the decoding changed as `retry` says, one translation per
    /// input, in order.
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>>;

    /// Whether [`RetryTranslator::translate_sentences_with`] decodes differently at all; when it
    /// does not, the guard skips that recovery step instead of repeating the same work.
    fn can_retry(&self) -> bool {
        true
    }
}

/// Any [`SentenceTranslator`] as a [`RetryTranslator`] whose decoding cannot change: the guard
/// skips the repetition-guard step and goes on with clause splitting and lower-casing.
#[derive(Debug, Clone)]
pub struct FixedDecoding<T>(pub T);

impl<T: SentenceTranslator> SentenceTranslator for FixedDecoding<T> {
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
        self.0.translate_sentences(sentences)
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.0.token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.0.max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        self.0.provenance()
    }
}

impl<T: SentenceTranslator> RetryTranslator for FixedDecoding<T> {
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        _retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>> {
        self.0.translate_sentences(sentences)
    }
    fn can_retry(&self) -> bool {
        false
    }
}

/// The engine's [`Translator`] retries by decoding again with its own settings changed: the
/// repetition guard set and at least `min_beams` beams.
impl RetryTranslator for Translator {
    fn translate_sentences_with(
        &self,
        sentences: &[&str],
        retry: &Retry,
    ) -> Result<Vec<SentenceTranslation>> {
        let options = GenerationOptions {
            num_beams: Some(self.generation().num_beams.max(retry.min_beams)),
            no_repeat_ngram_size: Some(retry.no_repeat_ngram_size),
            ..GenerationOptions::default()
        };
        Ok(self
            .translate_with_options(sentences, &options)?
            .into_iter()
            .map(|t| SentenceTranslation::new(t.text, t.score))
            .collect())
    }
}

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
        Ok(self
            .guard
            .translate(self.engine, sentences)?
            .into_iter()
            .map(GuardedSentence::into_translation)
            .collect())
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

/// The recovery step that produced a sentence's final translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recovery {
    /// Decoded again with a repetition guard and/or more beams.
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

/// What the guard concluded about a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The first translation passed every check.
    Ok,
    /// Nothing to translate: the source was copied without calling the model.
    Passthrough,
    /// The first translation was defective; this recovery step produced one that passes.
    Recovered(Recovery),
    /// Still defective after every recovery step: the best attempt is kept and flagged.
    Flagged,
}

impl Status {
    /// Stable code: `ok`, `passthrough`, `recovered`, `flagged`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Passthrough => "passthrough",
            Status::Recovered(_) => "recovered",
            Status::Flagged => "flagged",
        }
    }

    /// The recovery step, for a recovered sentence.
    pub fn recovery(self) -> Option<Recovery> {
        match self {
            Status::Recovered(recovery) => Some(recovery),
            _ => None,
        }
    }
}

/// One sentence's translation as the guard delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardedSentence {
    /// The final English text (the source itself for a passthrough).
    pub text: String,
    /// The model's score for the kept attempt (mean log-probability per token), `None` for a
    /// passthrough.
    pub score: Option<f32>,
    /// What the guard concluded.
    pub status: Status,
    /// For a flagged sentence, what is still wrong; for a recovered one, what was wrong with the
    /// first translation; empty otherwise.
    pub reasons: Vec<Defect>,
    /// How many translations the model produced for this sentence (0 for a passthrough).
    pub attempts: usize,
}

impl GuardedSentence {
    /// The translation as the document layer records it: text and score, the recovery step if
    /// one was needed, and the reasons as flags if the sentence stays doubtful.
    pub fn into_translation(self) -> SentenceTranslation {
        let flags = if self.is_flagged() {
            self.reasons
                .iter()
                .map(|defect| Flag {
                    code: defect.code().to_string(),
                    reason: defect.to_string(),
                })
                .collect()
        } else {
            Vec::new()
        };
        SentenceTranslation {
            recovery: self.status.recovery().map(|r| r.code().to_string()),
            flags,
            ..SentenceTranslation::new(self.text, self.score)
        }
    }

    /// Whether the sentence stays doubtful.
    pub fn is_flagged(&self) -> bool {
        self.status == Status::Flagged
    }

    /// The reasons in words, joined with "; ", for a tooltip or a TMX note; `None` when there are
    /// none.
    pub fn explanation(&self) -> Option<String> {
        if self.reasons.is_empty() {
            return None;
        }
        let reasons: Vec<String> = self.reasons.iter().map(Defect::to_string).collect();
        Some(match self.status {
            Status::Recovered(how) => {
                format!("recovered by {}: {}", how.code(), reasons.join("; "))
            }
            _ => reasons.join("; "),
        })
    }
}

/// Serialises as `{"text", "score", "status", "recovery", "reasons": [{"code", "message"}],
/// "attempts"}`, with `recovery` null unless recovered.
impl serde::Serialize for GuardedSentence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("GuardedSentence", 6)?;
        s.serialize_field("text", &self.text)?;
        s.serialize_field("score", &self.score)?;
        s.serialize_field("status", self.status.code())?;
        s.serialize_field("recovery", &self.status.recovery().map(Recovery::code))?;
        s.serialize_field("reasons", &self.reasons)?;
        s.serialize_field("attempts", &self.attempts)?;
        s.end()
    }
}

/// Counts for a summary: sentences by status, and flagged sentences by reason code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GuardSummary {
    /// All sentences.
    pub sentences: usize,
    /// Translated right the first time.
    pub ok: usize,
    /// Copied without the model.
    pub passthrough: usize,
    /// Defective at first, then fixed by a recovery step.
    pub recovered: usize,
    /// Still doubtful.
    pub flagged: usize,
    /// Recovered sentences by recovery step code.
    pub recoveries: BTreeMap<String, usize>,
    /// Remaining defects of flagged sentences by code.
    pub flags: BTreeMap<String, usize>,
}

impl GuardSummary {
    /// The counts for `sentences`.
    pub fn of(sentences: &[GuardedSentence]) -> Self {
        let mut summary = GuardSummary::default();
        for sentence in sentences {
            summary.add(sentence);
        }
        summary
    }

    /// Counts one more sentence.
    pub fn add(&mut self, sentence: &GuardedSentence) {
        self.sentences += 1;
        match sentence.status {
            Status::Ok => self.ok += 1,
            Status::Passthrough => self.passthrough += 1,
            Status::Recovered(how) => {
                self.recovered += 1;
                *self.recoveries.entry(how.code().to_string()).or_default() += 1;
            }
            Status::Flagged => {
                self.flagged += 1;
                for defect in &sentence.reasons {
                    *self.flags.entry(defect.code().to_string()).or_default() += 1;
                }
            }
        }
    }

    /// Adds another summary's counts (several documents in one run).
    pub fn merge(&mut self, other: &GuardSummary) {
        self.sentences += other.sentences;
        self.ok += other.ok;
        self.passthrough += other.passthrough;
        self.recovered += other.recovered;
        self.flagged += other.flagged;
        for (code, n) in &other.recoveries {
            *self.recoveries.entry(code.clone()).or_default() += n;
        }
        for (code, n) in &other.flags {
            *self.flags.entry(code.clone()).or_default() += n;
        }
    }

    /// `--strict`: an error when any sentence is still flagged.
    pub fn check_strict(&self) -> Result<()> {
        if self.flagged == 0 {
            return Ok(());
        }
        let reasons: Vec<String> = self
            .flags
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        Err(Error::FidelityFlags {
            flagged: self.flagged,
            sentences: self.sentences,
            reasons: reasons.join(", "),
        })
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
        self.defects.iter().map(Defect::severity).sum()
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
    index: usize,
    source: &'a str,
    protected: Protected,
    /// What the model sees: the protected text with French typography normalised.
    model_input: String,
    all_caps: bool,
    first: Option<Attempt>,
    best: Option<Attempt>,
    attempts: usize,
}

impl Job<'_> {
    fn is_defective(&self) -> bool {
        self.best.as_ref().is_none_or(|b| !b.defects.is_empty())
    }

    fn record(&mut self, attempt: Attempt) {
        self.attempts += 1;
        if self.first.is_none() {
            self.first = Some(attempt.clone());
        }
        if self.best.as_ref().is_none_or(|kept| attempt.beats(kept)) {
            self.best = Some(attempt);
        }
    }

    fn into_sentence(self) -> GuardedSentence {
        let first = self.first.expect("every job is translated once");
        let best = self.best.expect("every job is translated once");
        let (status, reasons) = if first.defects.is_empty() {
            (Status::Ok, Vec::new())
        } else if best.defects.is_empty() {
            let how = best
                .recovery
                .expect("a clean attempt after a defective first one is a recovery");
            (Status::Recovered(how), first.defects)
        } else {
            (Status::Flagged, best.defects.clone())
        };
        GuardedSentence {
            text: best.text,
            score: best.score,
            status,
            reasons,
            attempts: self.attempts,
        }
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

    /// Translates `sentences` with `engine`: one [`GuardedSentence`] per input, in order. Every
    /// model call covers all the sentences that need it at that step, never one at a time.
    pub fn translate<T: RetryTranslator + ?Sized>(
        &self,
        engine: &T,
        sentences: &[&str],
    ) -> Result<Vec<GuardedSentence>> {
        let mut results: Vec<Option<GuardedSentence>> = vec![None; sentences.len()];
        let mut jobs = Vec::new();
        for (index, &source) in sentences.iter().enumerate() {
            if is_passthrough(source) {
                results[index] = Some(GuardedSentence {
                    text: source.to_string(),
                    score: None,
                    status: Status::Passthrough,
                    reasons: Vec::new(),
                    attempts: 0,
                });
            } else {
                jobs.push(self.prepare(index, source));
            }
        }

        if jobs.is_empty() {
            return Ok(results.into_iter().flatten().collect());
        }
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

        for job in jobs {
            let index = job.index;
            results[index] = Some(job.into_sentence());
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every sentence is either passed through or translated"))
            .collect())
    }

    fn prepare<'a>(&self, index: usize, source: &'a str) -> Job<'a> {
        let protected = if self.options.protect_spans {
            Protected::new(source)
        } else {
            Protected::none(source)
        };
        let model_input = typography::for_model(&protected.text);
        let unprotected = super::protect::strip_spans(source);
        Job {
            index,
            source,
            all_caps: case::is_all_caps(&unprotected),
            protected,
            model_input,
            first: None,
            best: None,
            attempts: 0,
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
    let outputs = outputs?;
    if outputs.len() != expected {
        return Err(Error::TranslationCount {
            expected,
            got: outputs.len(),
            step,
        });
    }
    Ok(outputs)
}
