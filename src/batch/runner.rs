//! The translating side of a batch run: documents from the reader are planned, pooled into waves
//! across files, answered from the sentence cache or the model, then rendered, written and
//! recorded (see the [batch module docs](super) for the rules).

use super::reader::Loaded;
use super::{
    digest::sha256_hex,
    manifest::now_ms,
    names::{output_relative_path, slash_name},
    BatchOptions, Event, Failure, InputFile, InputReport, Manifest, Outcome, OutputRecord, Record,
    RecordStatus, SentenceCache,
};
use crate::pipeline::{Plan, Request};
use crate::rebatch::{check_count, rebatch, BatchLimits, LengthOrder};
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use crate::write::{self, Format};
use crate::{Error, Result};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::PathBuf;

/// Counts kept during a run.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) done: usize,
    pub(super) skipped: usize,
    pub(super) failures: Vec<Failure>,
    /// The verdicts of the sentences of the inputs done.
    pub(super) verdicts: crate::verdict::Tally,
    pub(super) requests: usize,
    pub(super) model_requests: usize,
    pub(super) cache_hits: usize,
    pub(super) tokens: usize,
}

impl Tally {
    pub(super) fn finished(&self) -> usize {
        self.done + self.skipped + self.failures.len()
    }
}

/// A document planned and waiting for its wave to be translated.
struct PendingDocument {
    index: usize,
    content_sha256: String,
    bytes: u64,
    encoding: String,
    plan: Plan,
}

/// The translating side of a run.
pub(super) struct Runner<'r> {
    pub(super) options: &'r BatchOptions,
    pub(super) translator: &'r dyn SentenceTranslator,
    pub(super) formats: &'r [Format],
    pub(super) provenance: &'r Provenance,
    pub(super) fingerprint: &'r str,
    pub(super) budget: usize,
    pub(super) manifest: &'r mut Manifest,
    pub(super) cache: &'r mut SentenceCache,
    pub(super) on_event: &'r mut dyn FnMut(Event<'_>),
    pub(super) tally: Tally,
    pub(super) consecutive_translator_failures: usize,
}

/// Documents in a row on which the translator may fail before the run stops.
const CONSECUTIVE_TRANSLATOR_FAILURES: usize = 3;

impl Runner<'_> {
    /// Receives every input from the reader and finishes it; errors only if the run must stop.
    pub(super) fn translate_all(
        &mut self,
        inputs: &[InputFile],
        receiver: std::sync::mpsc::Receiver<Loaded>,
    ) -> Result<()> {
        let mut wave: Vec<PendingDocument> = Vec::new();
        let mut wave_requests = 0;
        let mut receiving = true;
        while receiving || !wave.is_empty() {
            if self.options.interrupted() {
                // Interrupted: the documents not yet sent to the model stay for a rerun.
                return Ok(());
            }
            let wave_full = wave_requests >= self.options.wave_requests
                || wave.len() >= self.options.documents_in_flight.max(1);
            if receiving && !wave_full {
                match receiver.recv() {
                    Ok(loaded) => {
                        if let Some(document) = self.accept(inputs, loaded)? {
                            wave_requests += document.plan.requests().len();
                            wave.push(document);
                        }
                        continue;
                    }
                    Err(_) => receiving = false,
                }
            }
            if !wave.is_empty() {
                self.translate_wave(inputs, std::mem::take(&mut wave))?;
                wave_requests = 0;
            }
        }
        Ok(())
    }

    /// Finishes a skipped or failed input, or plans a ready one.
    fn accept(&mut self, inputs: &[InputFile], loaded: Loaded) -> Result<Option<PendingDocument>> {
        match loaded {
            Loaded::Skipped { index } => {
                self.report(inputs[index].name.clone(), Outcome::Skipped, (0, 0), vec![]);
                Ok(None)
            }
            Loaded::Failed {
                index,
                reason,
                content_sha256,
                bytes,
            } => {
                self.fail(&inputs[index], reason, content_sha256, bytes, None)?;
                Ok(None)
            }
            Loaded::Ready {
                index,
                content_sha256,
                bytes,
                encoding,
                document,
            } => {
                let translator = self.translator;
                let token_count = |text: &str| translator.token_count(text);
                let plan = Plan::new(document, &token_count, self.budget);
                Ok(Some(PendingDocument {
                    index,
                    content_sha256,
                    bytes,
                    encoding,
                    plan,
                }))
            }
        }
    }

    /// Translates the requests of `wave` and finishes its documents. When the translator fails on
    /// a wave of several documents, each is retried alone, so that a document the engine cannot
    /// translate fails alone; the run stops after [`CONSECUTIVE_TRANSLATOR_FAILURES`] documents in
    /// a row failed that way (the engine itself is failing).
    fn translate_wave(&mut self, inputs: &[InputFile], wave: Vec<PendingDocument>) -> Result<()> {
        match self.answer_requests(&wave)? {
            Ok(answers) => {
                for (document, translations) in wave.into_iter().zip(answers) {
                    // `None`: interrupted before all its sentences were translated.
                    let Some(translations) = translations else {
                        continue;
                    };
                    self.consecutive_translator_failures = 0;
                    self.finish(inputs, document, translations)?;
                }
            }
            Err(err) if wave.len() == 1 => {
                let document = wave.into_iter().next().expect("one document");
                self.translator_failed(inputs, document, err)?;
            }
            Err(_) => {
                for document in wave {
                    if self.options.interrupted() {
                        return Ok(());
                    }
                    match self.answer_requests(std::slice::from_ref(&document))? {
                        Ok(mut answers) => {
                            let Some(translations) = answers.pop().expect("one document") else {
                                continue;
                            };
                            self.consecutive_translator_failures = 0;
                            self.finish(inputs, document, translations)?;
                        }
                        Err(err) => self.translator_failed(inputs, document, err)?,
                    }
                }
            }
        }
        Ok(())
    }

    /// Records that the translator failed on `document`, or stops the run when that happened to
    /// too many documents in a row.
    fn translator_failed(
        &mut self,
        inputs: &[InputFile],
        document: PendingDocument,
        err: Error,
    ) -> Result<()> {
        self.consecutive_translator_failures += 1;
        if self.consecutive_translator_failures >= CONSECUTIVE_TRANSLATOR_FAILURES {
            return Err(err);
        }
        let reason = format!("the translator failed on this input: {err}");
        self.fail(
            &inputs[document.index],
            reason,
            Some(document.content_sha256),
            document.bytes,
            Some(document.encoding),
        )
    }

    /// The translations of every request of `documents`, per document: from the cache, else from
    /// the model, each distinct text once, sorted by token count and sent in chunks. A document is
    /// `None` when the run was interrupted before all its requests were answered. The outer error
    /// is fatal (the cache failed); the inner one is the translator's.
    #[allow(clippy::type_complexity)]
    fn answer_requests(
        &mut self,
        documents: &[PendingDocument],
    ) -> Result<Result<Vec<Option<Vec<SentenceTranslation>>>>> {
        let mut translations: Vec<Vec<Option<SentenceTranslation>>> = documents
            .iter()
            .map(|document| vec![None; document.plan.requests().len()])
            .collect();
        let mut waiting: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut to_translate: Vec<&Request> = Vec::new();
        let mut from_cache = 0;
        for (d, document) in documents.iter().enumerate() {
            let plan = &document.plan;
            for (r, request) in plan.requests().iter().enumerate() {
                let text = request.text.as_str();
                if let Some(cached) = self.cache.get(text)? {
                    translations[d][r] = Some(cached);
                    from_cache += 1;
                    continue;
                }
                match waiting.entry(text) {
                    Entry::Occupied(mut entry) => {
                        entry.get_mut().push((d, r));
                        from_cache += 1;
                    }
                    Entry::Vacant(entry) => {
                        entry.insert(vec![(d, r)]);
                        to_translate.push(request);
                    }
                }
            }
        }
        self.tally.cache_hits += from_cache;
        if from_cache > 0 {
            (self.on_event)(Event::Translated {
                requests: from_cache,
                from_cache,
            });
        }
        let lengths: Vec<usize> = to_translate.iter().map(|r| r.tokens).collect();
        let limits = BatchLimits {
            max_items: self.options.chunk_size.max(1),
            max_tokens: usize::MAX,
            order: LengthOrder::ShortestFirst,
        };
        for chunk in rebatch(&lengths, &limits) {
            if self.options.interrupted() {
                break;
            }
            let texts: Vec<&str> = chunk
                .iter()
                .map(|&i| to_translate[i].text.as_str())
                .collect();
            let translated = self
                .translator
                .translate_sentences(&texts)
                .and_then(|translated| check_count(translated, texts.len(), "batch translation"));
            let translated = match translated {
                Ok(translated) => translated,
                Err(err) => return Ok(Err(err)),
            };
            for (&i, translation) in chunk.iter().zip(translated) {
                let request = to_translate[i];
                self.cache.insert(&request.text, &translation)?;
                for &(d, r) in &waiting[request.text.as_str()] {
                    translations[d][r] = Some(translation.clone());
                }
                self.tally.tokens += request.tokens;
                self.tally.model_requests += 1;
            }
            (self.on_event)(Event::Translated {
                requests: chunk.len(),
                from_cache: 0,
            });
        }
        Ok(Ok(translations
            .into_iter()
            .map(|document| document.into_iter().collect::<Option<Vec<_>>>())
            .collect()))
    }

    /// Assembles, renders and writes one document, then records it.
    fn finish(
        &mut self,
        inputs: &[InputFile],
        document: PendingDocument,
        translations: Vec<SentenceTranslation>,
    ) -> Result<()> {
        let input = &inputs[document.index];
        self.tally.requests += document.plan.requests().len();
        let bilingual = document
            .plan
            .assemble(translations, self.provenance.clone())?;
        let formats = formats_for(self.formats, &bilingual);
        let mut outputs = Vec::with_capacity(formats.len());
        let mut written = Vec::with_capacity(formats.len());
        for format in formats {
            let rendered = format.render(&bilingual);
            let relative = output_relative_path(&input.relative, format);
            let path = self.options.output_dir.join(&relative);
            let output_dir = &self.options.output_dir;
            if let Err(err) = write::write_inside(output_dir, &relative, rendered.as_bytes()) {
                let reason = format!("the output could not be written: {err}");
                let encoding = Some(document.encoding);
                return self.fail(
                    input,
                    reason,
                    Some(document.content_sha256),
                    document.bytes,
                    encoding,
                );
            }
            outputs.push(OutputRecord {
                path: slash_name(&relative),
                bytes: rendered.len() as u64,
                sha256: sha256_hex(rendered.as_bytes()),
            });
            written.push(path);
        }
        let verdicts = &bilingual.stats.verdicts;
        let sentences = verdicts.sentences;
        self.manifest.record(Record {
            input: input.name.clone(),
            status: RecordStatus::Done,
            content_sha256: Some(document.content_sha256),
            input_bytes: document.bytes,
            fingerprint: self.fingerprint.to_string(),
            model: self.provenance.model.clone(),
            revision: self.provenance.revision.clone(),
            decoding: self.provenance.decoding.clone(),
            encoding: Some(document.encoding),
            sentences,
            flagged: verdicts.flagged,
            outputs,
            reason: None,
            recorded_at_ms: now_ms(),
        })?;
        self.tally.verdicts.merge(verdicts);
        let counts = (sentences, verdicts.flagged);
        self.report(input.name.clone(), Outcome::Done, counts, written);
        Ok(())
    }

    /// Records and reports a failed input.
    fn fail(
        &mut self,
        input: &InputFile,
        reason: String,
        content_sha256: Option<String>,
        bytes: u64,
        encoding: Option<String>,
    ) -> Result<()> {
        self.manifest.record(Record {
            input: input.name.clone(),
            status: RecordStatus::Failed,
            content_sha256,
            input_bytes: bytes,
            fingerprint: self.fingerprint.to_string(),
            model: self.provenance.model.clone(),
            revision: self.provenance.revision.clone(),
            decoding: self.provenance.decoding.clone(),
            encoding,
            sentences: 0,
            flagged: 0,
            outputs: Vec::new(),
            reason: Some(reason.clone()),
            recorded_at_ms: now_ms(),
        })?;
        self.report(input.name.clone(), Outcome::Failed(reason), (0, 0), vec![]);
        Ok(())
    }

    /// Counts an input as finished and tells the caller.
    pub(super) fn report(
        &mut self,
        input: String,
        outcome: Outcome,
        counts: (usize, usize),
        outputs: Vec<PathBuf>,
    ) {
        let (sentences, flagged) = counts;
        match &outcome {
            Outcome::Done => {
                self.tally.done += 1;
            }
            Outcome::Skipped => self.tally.skipped += 1,
            Outcome::Failed(reason) => self.tally.failures.push(Failure {
                input: input.clone(),
                reason: reason.clone(),
            }),
        }
        let report = InputReport {
            input,
            outcome,
            sentences,
            flagged,
            outputs,
        };
        (self.on_event)(Event::Finished(&report));
    }
}

/// The formats written for one input: the page only for a web page, and always for it.
fn formats_for(formats: &[Format], bilingual: &crate::bilingual::Bilingual) -> Vec<Format> {
    let page = bilingual.document.syntax == crate::document::Syntax::Html;
    let mut chosen: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|&f| f != Format::Page || page)
        .collect();
    if page && !chosen.contains(&Format::Page) {
        chosen.push(Format::Page);
    }
    chosen
}
