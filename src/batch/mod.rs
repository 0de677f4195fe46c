//! Batch translation of a whole directory: `passeur batch IN_DIR -o OUT_DIR`.
//!
//! # What it does
//!
//! Every input under IN_DIR (see `walk` for which files) is translated into
//! `OUT_DIR/<relative path>.<format extension>` for each format: `2024/mars/a.txt` gives
//! `OUT_DIR/2024/mars/a.txt.md`. The source extension is kept so that `a.txt` and `a.md` never
//! write the same file. A web page (`.html`, `.htm`) also gives the translated page at its own
//! path (`OUT_DIR/site/a.html`, see [`Format::Page`]); the page format applies to web pages
//! only.
//!
//! # How it stays fast
//!
//! One translator serves the whole run. A reader thread reads, hashes, decodes and parses inputs
//! ahead of the translator and hands them over through a bounded queue
//! ([`BatchOptions::documents_in_flight`]); the translating thread pools the requests of several
//! documents into a *wave* (about [`BatchOptions::wave_requests`] texts), drops the texts the
//! [sentence cache](SentenceCache) already knows and those repeated inside the wave, sorts the rest
//! by token count and sends them in chunks of [`BatchOptions::chunk_size`], so a folder of short
//! articles fills the engine's batches as well as one long article does. Every document of a wave
//! is then assembled, rendered and written, and the next wave starts. At most twice
//! `documents_in_flight` documents are in memory, however large the folder.
//!
//! # How it stays safe
//!
//! * Outputs are written atomically (temporary file, flush, rename), then recorded in the
//!   manifest; a kill at any moment leaves complete outputs or none, and hidden temporary files
//!   (`.NAME.XXXXXX.passeur-tmp`) that the next run of the same inputs removes.
//! * A rerun skips inputs done with the same content and options, redoes changed ones, and
//!   finishes what a killed run left.
//! * An input that cannot be read, is binary, cannot be decoded or whose output cannot be written
//!   is recorded as failed with the reason, and the batch goes on. So is an input the translator
//!   fails on (a wave that fails is retried one document at a time to find it); when the
//!   translator fails on three documents in a row, the engine itself is failing and the batch
//!   stops ([`Error::BatchAborted`]): what was finished stays recorded.
//! * `summary.json` (`summary.K-of-N.json` for a shard) is written atomically at the end, also
//!   when the batch stopped early. If it cannot be written either (a full disk), the error says
//!   both what stopped the run (the manifest, the cache or an output, by path) and that the
//!   summary is missing.
//! * Nothing is written outside OUT_DIR: outputs and the summary go through
//!   `write_inside`, which opens every directory below OUT_DIR
//!   without following symbolic links and refuses a link in the way; the manifest directory must
//!   be a real directory. Nothing is read outside IN_DIR through a link unless
//!   [`BatchOptions::follow_symlinks`] (see `walk`); entries left out are reported
//!   ([`Event::LeftOut`]) and listed in the summary.
//! * [`BatchOptions::interrupt`] stops a run cleanly (the CLI sets it on SIGTERM or Ctrl-C): no
//!   new document is started, the engine call in progress completes, the documents whose every
//!   sentence is translated are written and recorded, and the summary says `interrupted`.
//!
//! # Scale-out
//!
//! [`Shard`] selects a deterministic part of the inputs (`auto`: from a Slurm job array or a
//! Kubernetes Indexed Job); shards can write into one OUT_DIR, each with its own manifest file,
//! and [`totals`] adds up what all of them did.

mod cache;
mod digest;
mod log;
mod manifest;
mod names;
mod reader;
mod runner;
mod shard;
mod summary;
mod totals;
mod walk;

pub use cache::{
    merge as merge_caches, namespace as cache_namespace, CacheStats, CachedTranslation,
    MergeReport, SentenceCache,
};
pub use manifest::{Manifest, OutputRecord, Record, RecordStatus};
pub use names::output_relative_path;
pub use shard::Shard;
pub use summary::{Failure, InputReport, Outcome, Summary};
pub use totals::{totals, RunSummary, Totals, TOTALS_FILE};
pub use walk::{Filter, InputFile, LeftOut};

use crate::translate::SentenceTranslator;
use crate::write::{self, Format};
use crate::{Error, Result};
use encoding_rs::Encoding;
use manifest::{fingerprint, is_up_to_date, STATE_DIR};
use runner::{Runner, Tally};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A request to stop a batch run early and cleanly, shared between the run and whoever may stop
/// it (a signal handler, another thread). Cloning it gives another handle to the same request.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicI32>);

impl Interrupt {
    /// A handle on which nothing is requested yet.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the run to stop; `signal` is the number of the signal that asked, if one did.
    pub fn request(&self, signal: Option<i32>) {
        self.0.store(signal.unwrap_or(-1).max(-1), Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst) != 0
    }

    /// The number of the signal that asked for the stop, if a signal did.
    pub fn signal(&self) -> Option<i32> {
        Some(self.0.load(Ordering::SeqCst)).filter(|&n| n > 0)
    }

    /// What asked for the stop, in words: `SIGTERM`, `SIGINT`, `SIGHUP`, `signal N`, or
    /// `requested`; `None` when nothing did.
    pub fn describe(&self) -> Option<String> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            -1 => Some("requested".to_string()),
            1 => Some("SIGHUP".to_string()),
            2 => Some("SIGINT".to_string()),
            15 => Some("SIGTERM".to_string()),
            n => Some(format!("signal {n}")),
        }
    }
}

/// What a batch run does.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The directory to translate, walked recursively.
    pub input_dir: PathBuf,
    /// Where the outputs, the manifest and the summary go (created if needed).
    pub output_dir: PathBuf,
    /// Output formats (duplicates ignored); bilingual Markdown when empty.
    pub formats: Vec<Format>,
    /// Patterns of the files to translate (`walk::DEFAULT_INCLUDE` when empty).
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
    /// Follow symbolic links out of the input directory, and into linked directories.
    pub follow_symlinks: bool,
    /// The largest input read, in bytes (larger inputs fail with the reason).
    pub max_input_bytes: u64,
    /// Stops the run cleanly when requested (see the module docs).
    pub interrupt: Option<Interrupt>,
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
            follow_symlinks: false,
            max_input_bytes: crate::input::DEFAULT_MAX_INPUT_BYTES,
            interrupt: None,
        }
    }

    /// Whether the run was asked to stop.
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(Interrupt::is_requested)
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
    /// An entry is left out (a special file, a dangling link, a link not followed), with why;
    /// reported once, before any input is finished.
    LeftOut(&'a LeftOut),
}

/// Translates the inputs of `options.input_dir` with `translator` (see the module docs), calling
/// `on_event` as inputs finish. Returns the summary, also written to
/// [`summary_path`](BatchOptions::summary_path); failed inputs are in it, not an error.
///
/// ```
/// use passeur::batch::{self, BatchOptions, Event, Outcome};
/// use passeur::translate::{SentenceTranslation, SentenceTranslator};
///
/// /// A stand-in for the engine: "translates" by upper-casing.
/// struct Shouting;
/// impl SentenceTranslator for Shouting {
///     fn translate_sentences(&self, texts: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
///         Ok(texts.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
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
/// let done = |input: &str| (input.to_string(), Outcome::Done);
/// assert_eq!(finished, [done("2024/a.txt"), done("b.md")]);
/// // The line both files share went to the model once.
/// assert_eq!((summary.done, summary.cache_hits), (2, 1));
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
    let walk::Found {
        mut inputs,
        unreadable,
        mut left_out,
    } = walk::walk(
        &options.input_dir,
        &options.output_dir,
        &filter,
        options.follow_symlinks,
    )?;
    if let Some(shard) = options.shard {
        inputs.retain(|input| shard.contains(&input.name));
        left_out.retain(|entry| shard.contains(&entry.entry));
    }
    let provenance = translator.provenance();
    let budget = crate::pipeline::token_budget(translator, options.max_sentence_tokens);
    let fingerprint = fingerprint(
        &provenance,
        &formats,
        budget,
        options.encoding.map(|e| e.name()),
    );
    let shard_label = options.shard.map(Shard::label);
    let mut manifest = Manifest::open(&options.output_dir, shard_label.as_deref())?;
    let stale_removed = remove_stale_temporary_files(options, &inputs, started_at);
    for entry in &left_out {
        on_event(Event::LeftOut(entry));
    }
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
        let (encoding, max_bytes) = (options.encoding, options.max_input_bytes);
        scope.spawn(move || reader::read_inputs(inputs, skip_if, encoding, max_bytes, sender));
        runner.translate_all(inputs, receiver)
    });
    let tally = runner.tally;
    let finished = tally.finished();
    // A full disk shows here first when nothing before noticed it: that error, not the summary's.
    let outcome = outcome
        .and_then(|()| manifest.sync())
        .and_then(|()| cache.sync());

    let elapsed_s = started.elapsed().as_secs_f64();
    let summary = Summary {
        input_dir: options.input_dir.clone(),
        output_dir: options.output_dir.clone(),
        shard: options.shard.map(|s| s.to_string()),
        provenance,
        formats: formats.iter().map(|f| f.name().to_string()).collect(),
        fingerprint,
        inputs: selected,
        done: tally.done,
        skipped: tally.skipped,
        failed: tally.failures.len(),
        sentences: tally.verdicts.sentences,
        flagged: tally.verdicts.flagged,
        requests: tally.requests,
        model_requests: tally.model_requests,
        cache_hits: tally.cache_hits,
        tokens: tally.tokens,
        elapsed_s,
        sentences_per_s: if elapsed_s > 0.0 {
            tally.verdicts.sentences as f64 / elapsed_s
        } else {
            0.0
        },
        failures: tally.failures,
        verdicts: tally.verdicts,
        aborted: outcome.as_ref().err().map(|err| err.to_string()),
        interrupted: options.interrupt.as_ref().and_then(Interrupt::describe),
        left_out,
        cache: options.cache.clone(),
        manifest_damaged_lines: manifest.damaged_lines(),
        stale_temporary_files_removed: stale_removed,
    };
    let summary_path = options.summary_path();
    let json = serde_json::to_string_pretty(&summary).expect("the summary serialises") + "\n";
    let summary_name = summary_path
        .file_name()
        .expect("the summary has a file name");
    let written = write::write_inside(
        &options.output_dir,
        Path::new(summary_name),
        json.as_bytes(),
    );
    match (outcome, written) {
        (Ok(()), Ok(())) => Ok(summary),
        (Ok(()), Err(err)) => Err(err),
        (Err(err), Ok(())) => Err(Error::BatchAborted {
            finished,
            inputs: selected,
            summary: summary_path,
            cause: Box::new(err),
        }),
        (Err(err), Err(summary_err)) => Err(Error::BatchAbortedWithoutSummary {
            finished,
            inputs: selected,
            cause: Box::new(err),
            summary_error: Box::new(summary_err),
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
            let output = names::slash_name(&relative_dir.join(output_name));
            let input = output.rsplit_once('.').map_or("", |(input, _)| input);
            let is_ours = ours.contains(input)
                || ours.contains(output.as_str())
                || (relative_dir.as_os_str().is_empty()
                    && (summary_name.as_deref() == Some(output_name)
                        || output_name == TOTALS_FILE));
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

#[cfg(test)]
mod tests {
    use super::*;

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
