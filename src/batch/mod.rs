//! Batch translation of a whole directory: `passeur batch IN_DIR -o OUT_DIR`.
//!
//! # What it does
//!
//! Every input under IN_DIR (see [`walk`] for which files) is translated into
//! `OUT_DIR/<relative path>.<format extension>` for each format: `2024/mars/a.txt` gives
//! `OUT_DIR/2024/mars/a.txt.md`. The source extension is kept so that `a.txt` and `a.md` never
//! write the same file.
//!
//! # How it stays fast
//!
//! One translator serves the whole run. A reader thread reads, hashes, decodes and parses inputs
//! ahead of the translator and hands them over through a bounded queue
//! ([`BatchOptions::documents_in_flight`]); the translating thread pools the requests of several
//! documents into a *wave* (about [`BatchOptions::wave_requests`] texts), drops the texts the
//! [sentence cache](cache) already knows and those repeated inside the wave, sorts the rest by
//! token count and sends them in chunks of [`BatchOptions::chunk_size`], so a folder of short
//! articles fills the engine's batches as well as one long article does. Every document of a wave
//! is then assembled, rendered and written, and the next wave starts. At most twice
//! `documents_in_flight` documents are in memory, however large the folder.
//!
//! # How it stays safe
//!
//! * Outputs are written atomically (temporary file, flush, rename), then recorded in the
//!   [manifest]; a kill at any moment leaves complete outputs or none, and hidden temporary files
//!   (`.NAME.XXXXXX.passeur-tmp`) that the next run of the same inputs removes.
//! * A rerun skips inputs done with the same content and options, redoes changed ones, and
//!   finishes what a killed run left.
//! * An input that cannot be read, is binary, cannot be decoded or whose output cannot be written
//!   is recorded as failed with the reason, and the batch goes on. So is an input the translator
//!   fails on (a wave that fails is retried one document at a time to find it); when the
//!   translator fails on three documents in a row, the engine itself is failing and the batch
//!   stops ([`Error::BatchAborted`]): what was finished stays recorded.
//! * `summary.json` (`summary.K-of-N.json` for a shard) is written atomically at the end, also
//!   when the batch stopped early.
//!
//! # Scale-out
//!
//! [`Shard`] selects a deterministic part of the inputs; shards can write into one OUT_DIR, each
//! with its own manifest file.

mod cache;
mod log;
pub mod manifest;
mod shard;
mod summary;
pub mod walk;

pub use cache::{namespace as cache_namespace, CacheStats, CachedTranslation, SentenceCache};
pub use manifest::{Manifest, OutputRecord, Record, RecordStatus};
pub use shard::Shard;
pub use summary::{Failure, InputReport, Outcome, Summary};
pub use walk::{Filter, InputFile};

use crate::document::{Document, Plan, Syntax};
use crate::input;
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use crate::write::{self, Format};
use crate::{Error, Result};
use encoding_rs::Encoding;
use manifest::{fingerprint, is_up_to_date, now_ms, sha256_hex, STATE_DIR};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::{Instant, SystemTime};

/// What a batch run does.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The directory to translate, walked recursively.
    pub input_dir: PathBuf,
    /// Where the outputs, the manifest and the summary go (created if needed).
    pub output_dir: PathBuf,
    /// Output formats (duplicates ignored); bilingual Markdown when empty.
    pub formats: Vec<Format>,
    /// Patterns of the files to translate ([`walk::DEFAULT_INCLUDE`] when empty).
    pub include: Vec<String>,
    /// Patterns of files and directories to leave out.
    pub exclude: Vec<String>,
    /// Translate only this shard of the inputs.
    pub shard: Option<Shard>,
    /// Read every input in this encoding (a byte-order mark still wins) instead of detecting it.
    pub encoding: Option<&'static Encoding>,
    /// Largest number of source tokens one request may have (the translator's limit applies too).
    pub max_sentence_tokens: Option<usize>,
    /// A sentence cache kept between runs; without it, a cache for this run only.
    pub cache: Option<PathBuf>,
    /// How many parsed documents the reader thread may hold ready (the queue's bound).
    pub documents_in_flight: usize,
    /// How many requests are pooled from consecutive documents before translating them.
    pub wave_requests: usize,
    /// How many requests go to the translator in one call.
    pub chunk_size: usize,
}

impl BatchOptions {
    /// Options for translating `input_dir` into `output_dir` as bilingual Markdown, with the
    /// default queue and batch sizes.
    pub fn new(input_dir: impl Into<PathBuf>, output_dir: impl Into<PathBuf>) -> BatchOptions {
        BatchOptions {
            input_dir: input_dir.into(),
            output_dir: output_dir.into(),
            formats: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            shard: None,
            encoding: None,
            max_sentence_tokens: None,
            cache: None,
            documents_in_flight: 64,
            wave_requests: 512,
            chunk_size: 64,
        }
    }

    /// The formats to write: the given ones without repeats, else Markdown.
    pub fn output_formats(&self) -> Vec<Format> {
        let mut formats = Vec::new();
        for &format in &self.formats {
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        if formats.is_empty() {
            formats.push(Format::Markdown);
        }
        formats
    }

    /// The summary's file name: `summary.json`, or `summary.K-of-N.json` for a shard.
    pub fn summary_path(&self) -> PathBuf {
        let name = match self.shard {
            Some(shard) => format!("summary.{}.json", shard.label()),
            None => "summary.json".to_string(),
        };
        self.output_dir.join(name)
    }
}

/// Something that happened during a run, for progress display.
#[derive(Debug)]
pub enum Event<'a> {
    /// The inputs are known: this many will be finished (done, skipped or failed).
    Started {
        /// Inputs selected.
        inputs: usize,
    },
    /// More requests were answered, by the model or the cache.
    Translated {
        /// Requests answered.
        requests: usize,
        /// How many of them came from the cache.
        from_cache: usize,
    },
    /// An input is finished.
    Finished(&'a InputReport),
}

/// The output path of `relative` (an input's path relative to IN_DIR) in `format`, relative to
/// OUT_DIR: the input's path with the format's extension appended.
pub fn output_relative_path(relative: &Path, format: Format) -> PathBuf {
    let mut name = OsString::from(relative.as_os_str());
    name.push(".");
    name.push(format.extension());
    PathBuf::from(name)
}

/// Translates the inputs of `options.input_dir` with `translator` (see the module docs), calling
/// `on_event` as inputs finish. Returns the summary, also written to
/// [`summary_path`](BatchOptions::summary_path); failed inputs are in it, not an error.
///
/// ```
/// use passeur::batch::{self, BatchOptions, Event, Outcome};
/// use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
///
/// /// A stand-in for the engine: "translates" by upper-casing.
/// struct Shouting;
/// impl SentenceTranslator for Shouting {
///     fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
///         Ok(sentences.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
///     }
///     fn token_count(&self, sentence: &str) -> usize { sentence.split_whitespace().count() + 1 }
///     fn max_source_tokens(&self) -> usize { 512 }
///     fn provenance(&self) -> Provenance {
///         Provenance { model: "shouting".into(), revision: None, decoding: "none".into(),
///                      passeur_version: env!("CARGO_PKG_VERSION").into() }
///     }
/// }
///
/// let root = tempfile::tempdir()?;
/// let corpus = root.path().join("corpus");
/// std::fs::create_dir_all(corpus.join("2024"))?;
/// std::fs::write(corpus.join("2024/a.txt"), "Bonjour. Retournez en haut de la page.")?;
/// std::fs::write(corpus.join("b.md"), "# Titre\n\nRetournez en haut de la page.")?;
///
/// let options = BatchOptions::new(&corpus, root.path().join("corpus-en"));
/// let mut finished = Vec::new();
/// let summary = batch::run(&options, &Shouting, &mut |event| {
///     if let Event::Finished(report) = event {
///         finished.push((report.input.clone(), report.outcome.clone()));
///     }
/// })?;
/// assert_eq!(finished, [("2024/a.txt".to_string(), Outcome::Done), ("b.md".to_string(), Outcome::Done)]);
/// assert_eq!((summary.done, summary.cache_hits), (2, 1)); // the repeated line went to the model once
/// let english = std::fs::read_to_string(root.path().join("corpus-en/2024/a.txt.md"))?;
/// assert!(english.contains("BONJOUR. RETOURNEZ EN HAUT DE LA PAGE."));
///
/// // A second run finds everything done.
/// let again = batch::run(&options, &Shouting, &mut |_| {})?;
/// assert_eq!((again.done, again.skipped), (0, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(
    options: &BatchOptions,
    translator: &dyn SentenceTranslator,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Summary> {
    let started = Instant::now();
    let started_at = SystemTime::now();
    prepare_output_dir(options)?;
    let filter = Filter::new(&options.include, &options.exclude)?;
    let formats = options.output_formats();
    let (mut inputs, unreadable) =
        walk::find_inputs(&options.input_dir, &options.output_dir, &filter)?;
    if let Some(shard) = options.shard {
        inputs.retain(|input| shard.contains(&input.name));
    }
    let provenance = translator.provenance();
    let budget = options
        .max_sentence_tokens
        .map_or(translator.max_source_tokens(), |max| {
            max.min(translator.max_source_tokens())
        });
    let fingerprint = fingerprint(
        &provenance,
        &formats,
        budget,
        options.encoding.map(|e| e.name()),
    );
    let shard_label = options.shard.map(Shard::label);
    let mut manifest = Manifest::open(&options.output_dir, shard_label.as_deref())?;
    let stale_removed = remove_stale_temporary_files(options, &inputs, started_at);
    let mut cache = match &options.cache {
        Some(path) => SentenceCache::open(path, &provenance)?,
        None => SentenceCache::temporary(&options.output_dir.join(STATE_DIR), &provenance)?,
    };

    let mut runner = Runner {
        options,
        translator,
        formats: &formats,
        provenance: &provenance,
        fingerprint: &fingerprint,
        budget,
        manifest: &mut manifest,
        cache: &mut cache,
        on_event,
        tally: Tally::default(),
        consecutive_translator_failures: 0,
    };
    let selected = inputs.len() + unreadable.len();
    (runner.on_event)(Event::Started { inputs: selected });
    for directory in unreadable {
        runner.report(
            directory.name,
            Outcome::Failed(directory.reason),
            (0, 0),
            vec![],
        );
    }
    // The content hash that lets each input be skipped, if an earlier run did it.
    let skip_if: Vec<Option<String>> = inputs
        .iter()
        .map(|input| {
            let record = runner.manifest.latest(&input.name)?;
            let up_to_date = is_up_to_date(
                record,
                record.content_sha256.as_deref()?,
                &fingerprint,
                &options.output_dir,
            );
            up_to_date.then(|| record.content_sha256.clone()).flatten()
        })
        .collect();
    let outcome = std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(options.documents_in_flight.max(1));
        let (inputs, skip_if) = (&inputs, &skip_if);
        scope.spawn(move || read_inputs(inputs, skip_if, options.encoding, sender));
        runner.translate_all(inputs, receiver)
    });
    let tally = runner.tally;
    let finished = tally.finished();
    manifest.sync()?;
    cache.sync()?;

    let elapsed_s = started.elapsed().as_secs_f64();
    let summary = Summary {
        input_dir: options.input_dir.clone(),
        output_dir: options.output_dir.clone(),
        shard: options.shard.map(|s| s.to_string()),
        provenance,
        formats: formats.iter().map(|f| f.extension().to_string()).collect(),
        fingerprint,
        inputs: selected,
        done: tally.done,
        skipped: tally.skipped,
        failed: tally.failures.len(),
        sentences: tally.sentences,
        flagged: tally.flagged,
        requests: tally.requests,
        model_requests: tally.model_requests,
        cache_hits: tally.cache_hits,
        tokens: tally.tokens,
        elapsed_s,
        sentences_per_s: if elapsed_s > 0.0 {
            tally.sentences as f64 / elapsed_s
        } else {
            0.0
        },
        failures: tally.failures,
        aborted: outcome.as_ref().err().map(|err| err.to_string()),
        cache: options.cache.clone(),
        manifest_damaged_lines: manifest.damaged_lines(),
        stale_temporary_files_removed: stale_removed,
    };
    let summary_path = options.summary_path();
    let json = serde_json::to_string_pretty(&summary).expect("the summary serialises") + "\n";
    write::write_atomically(&summary_path, json.as_bytes())?;
    match outcome {
        Ok(()) => Ok(summary),
        Err(err) => Err(Error::BatchAborted {
            finished,
            inputs: selected,
            summary: summary_path,
            source: Box::new(err),
        }),
    }
}

/// Checks the directories and creates the output directory.
fn prepare_output_dir(options: &BatchOptions) -> Result<()> {
    let input_dir = &options.input_dir;
    if !input_dir.is_dir() {
        let problem = if input_dir.exists() {
            "not a directory; to translate one file, use `passeur translate`"
        } else {
            "no such directory"
        };
        return Err(Error::BatchDirectory {
            path: input_dir.clone(),
            problem: problem.to_string(),
        });
    }
    let output_dir = &options.output_dir;
    std::fs::create_dir_all(output_dir).map_err(|err| Error::BatchDirectory {
        path: output_dir.clone(),
        problem: format!("cannot create the output directory: {err}"),
    })?;
    let canonical = |path: &Path| path.canonicalize().map_err(|err| Error::io(path, err));
    if canonical(input_dir)? == canonical(output_dir)? {
        return Err(Error::BatchDirectory {
            path: output_dir.clone(),
            problem: "the output directory is the input directory; choose another -o (it may \
                      lie inside the input directory: it is then skipped)"
                .to_string(),
        });
    }
    Ok(())
}

/// Removes the temporary files (`.NAME.XXXXXX.passeur-tmp`) that a killed run left for the
/// outputs of `inputs` or for the summary, if they are older than this run. Returns how many.
fn remove_stale_temporary_files(
    options: &BatchOptions,
    inputs: &[InputFile],
    started_at: SystemTime,
) -> usize {
    let ours: HashSet<&str> = inputs.iter().map(|input| input.name.as_str()).collect();
    let summary_name = options
        .summary_path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let mut removed = 0;
    let mut pending = vec![options.output_dir.clone()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                if name != STATE_DIR {
                    pending.push(entry.path());
                }
                continue;
            }
            let Some(output_name) = temporary_file_target(&name) else {
                continue;
            };
            let relative_dir = directory
                .strip_prefix(&options.output_dir)
                .unwrap_or(Path::new(""));
            let output = walk::slash_name(&relative_dir.join(output_name));
            let input = output.rsplit_once('.').map_or("", |(input, _)| input);
            let is_ours = ours.contains(input)
                || (relative_dir.as_os_str().is_empty()
                    && summary_name.as_deref() == Some(output_name));
            let older = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < started_at);
            if is_ours && older && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// The file a temporary file `.NAME.XXXXXX.passeur-tmp` was to become: `NAME`.
fn temporary_file_target(file_name: &str) -> Option<&str> {
    let inner = file_name.strip_prefix('.')?.strip_suffix(".passeur-tmp")?;
    inner.rsplit_once('.').map(|(target, _random)| target)
}

/// An input as the reader thread hands it over.
enum Loaded {
    /// Done by an earlier run, unchanged.
    Skipped { index: usize },
    /// Could not be read or decoded.
    Failed {
        index: usize,
        reason: String,
        content_sha256: Option<String>,
        bytes: u64,
    },
    /// Parsed and ready to plan.
    Ready {
        index: usize,
        content_sha256: String,
        bytes: u64,
        encoding: String,
        document: Document,
    },
}

/// The reader thread: reads, hashes, decodes and parses each input in order, and sends it (or
/// that it is skipped or failed) through the bounded `sender`. Stops when the receiver is gone.
fn read_inputs(
    inputs: &[InputFile],
    skip_if: &[Option<String>],
    forced: Option<&'static Encoding>,
    sender: SyncSender<Loaded>,
) {
    for (index, input) in inputs.iter().enumerate() {
        let loaded = load(index, input, skip_if[index].as_deref(), forced);
        if sender.send(loaded).is_err() {
            return;
        }
    }
}

fn load(
    index: usize,
    input: &InputFile,
    skip_if: Option<&str>,
    forced: Option<&'static Encoding>,
) -> Loaded {
    let bytes = match std::fs::read(&input.path) {
        Ok(bytes) => bytes,
        Err(err) => {
            return Loaded::Failed {
                index,
                reason: Error::io(&input.path, err).to_string(),
                content_sha256: None,
                bytes: 0,
            }
        }
    };
    let content_sha256 = sha256_hex(&bytes);
    if skip_if == Some(content_sha256.as_str()) {
        return Loaded::Skipped { index };
    }
    let size = bytes.len() as u64;
    match input::decode(&bytes, &input.path.display().to_string(), forced) {
        Ok(decoded) => Loaded::Ready {
            index,
            content_sha256,
            bytes: size,
            encoding: decoded.describe_encoding(),
            document: Document::parse(decoded.text, Syntax::from_path(&input.path)),
        },
        Err(err) => Loaded::Failed {
            index,
            reason: err.to_string(),
            content_sha256: Some(content_sha256),
            bytes: size,
        },
    }
}

/// Counts kept during a run.
#[derive(Debug, Default)]
struct Tally {
    done: usize,
    skipped: usize,
    failures: Vec<Failure>,
    sentences: usize,
    flagged: usize,
    requests: usize,
    model_requests: usize,
    cache_hits: usize,
    tokens: usize,
}

impl Tally {
    fn finished(&self) -> usize {
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
struct Runner<'r> {
    options: &'r BatchOptions,
    translator: &'r dyn SentenceTranslator,
    formats: &'r [Format],
    provenance: &'r Provenance,
    fingerprint: &'r str,
    budget: usize,
    manifest: &'r mut Manifest,
    cache: &'r mut SentenceCache,
    on_event: &'r mut dyn FnMut(Event<'_>),
    tally: Tally,
    consecutive_translator_failures: usize,
}

/// Documents in a row on which the translator may fail before the run stops.
const CONSECUTIVE_TRANSLATOR_FAILURES: usize = 3;

impl Runner<'_> {
    /// Receives every input from the reader and finishes it; errors only if the run must stop.
    fn translate_all(
        &mut self,
        inputs: &[InputFile],
        receiver: std::sync::mpsc::Receiver<Loaded>,
    ) -> Result<()> {
        let mut wave: Vec<PendingDocument> = Vec::new();
        let mut wave_requests = 0;
        let mut receiving = true;
        while receiving || !wave.is_empty() {
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
                    match self.answer_requests(std::slice::from_ref(&document))? {
                        Ok(mut answers) => {
                            self.consecutive_translator_failures = 0;
                            let translations = answers.pop().expect("one document");
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
    /// the model, each distinct text once, sorted by token count and sent in chunks. The outer
    /// error is fatal (the cache failed); the inner one is the translator's.
    fn answer_requests(
        &mut self,
        documents: &[PendingDocument],
    ) -> Result<Result<Vec<Vec<SentenceTranslation>>>> {
        let mut translations: Vec<Vec<Option<SentenceTranslation>>> = documents
            .iter()
            .map(|document| vec![None; document.plan.requests().len()])
            .collect();
        let mut waiting: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut to_translate: Vec<(&str, usize)> = Vec::new();
        let mut from_cache = 0;
        for (d, document) in documents.iter().enumerate() {
            let plan = &document.plan;
            for (r, text) in plan.requests().iter().enumerate() {
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
                        to_translate.push((text, plan.request_tokens()[r]));
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
        to_translate.sort_by_key(|&(_, tokens)| tokens);
        for chunk in to_translate.chunks(self.options.chunk_size.max(1)) {
            let texts: Vec<&str> = chunk.iter().map(|&(text, _)| text).collect();
            let translated = match self.translator.translate_sentences(&texts) {
                Ok(translated) if translated.len() == texts.len() => translated,
                Ok(translated) => {
                    return Ok(Err(Error::TranslationCount {
                        expected: texts.len(),
                        got: translated.len(),
                        step: "batch translation",
                    }))
                }
                Err(err) => return Ok(Err(err)),
            };
            for (&(text, tokens), translation) in chunk.iter().zip(translated) {
                self.cache.insert(text, &translation)?;
                for &(d, r) in &waiting[text] {
                    translations[d][r] = Some(translation.clone());
                }
                self.tally.tokens += tokens;
                self.tally.model_requests += 1;
            }
            (self.on_event)(Event::Translated {
                requests: chunk.len(),
                from_cache: 0,
            });
        }
        Ok(Ok(translations
            .into_iter()
            .map(|document| {
                document
                    .into_iter()
                    .map(|t| t.expect("every request was answered by the cache or the model"))
                    .collect()
            })
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
        let mut outputs = Vec::with_capacity(self.formats.len());
        let mut written = Vec::with_capacity(self.formats.len());
        for &format in self.formats {
            let rendered = format.render(&bilingual);
            let relative = output_relative_path(&input.relative, format);
            let path = self.options.output_dir.join(&relative);
            if let Err(err) = write_output(&path, rendered.as_bytes()) {
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
                path: walk::slash_name(&relative),
                bytes: rendered.len() as u64,
                sha256: sha256_hex(rendered.as_bytes()),
            });
            written.push(path);
        }
        let sentences = bilingual.stats.sentences;
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
            flagged: bilingual.stats.flagged,
            outputs,
            reason: None,
            recorded_at_ms: now_ms(),
        })?;
        let counts = (sentences, bilingual.stats.flagged);
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
    fn report(
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
                self.tally.sentences += sentences;
                self.tally.flagged += flagged;
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

/// Creates the output's directory if needed and writes it atomically.
fn write_output(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
    }
    write::write_atomically(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_keep_the_source_extension() {
        assert_eq!(
            output_relative_path(Path::new("2024/mars/a.txt"), Format::Html),
            Path::new("2024/mars/a.txt.html")
        );
        assert_eq!(
            output_relative_path(Path::new("a.md"), Format::Markdown),
            Path::new("a.md.md")
        );
    }

    #[test]
    fn temporary_file_names_give_their_target() {
        assert_eq!(
            temporary_file_target(".a.txt.md.Xy12ab.passeur-tmp"),
            Some("a.txt.md")
        );
        assert_eq!(temporary_file_target("a.txt.md"), None);
        assert_eq!(temporary_file_target(".hidden"), None);
    }
}
