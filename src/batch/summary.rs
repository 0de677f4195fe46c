//! What a batch did: per-input outcomes as they happen, and the final [`Summary`] written to
//! stderr by the CLI and to `summary.json` in the output directory.

use super::walk::LeftOut;
use crate::translate::Provenance;
use crate::verdict::Tally;
use serde::Serialize;
use std::path::PathBuf;

/// How one input ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum Outcome {
    /// Translated; every output written and recorded.
    Done,
    /// Done by an earlier run with the same content and options; left alone.
    Skipped,
    /// Not translated, for the reason given (unreadable, binary, undecodable, unwritable output).
    Failed(String),
}

/// One input finished, as reported to the progress callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputReport {
    /// Path relative to the input directory, `/`-separated.
    pub input: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Its sentences (translated this run; 0 when skipped or failed).
    pub sentences: usize,
    /// Of those, the sentences flagged as doubtful by the fidelity guard.
    pub flagged: usize,
    /// The output files written this run.
    pub outputs: Vec<PathBuf>,
}

/// An input that failed, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Path relative to the input directory, `/`-separated.
    pub input: String,
    /// Why it failed, naming the file.
    pub reason: String,
}

/// The final account of a batch run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The input directory as given.
    pub input_dir: PathBuf,
    /// The output directory as given.
    pub output_dir: PathBuf,
    /// `K/N` when the run was one shard.
    pub shard: Option<String>,
    /// The model and decoding options used.
    pub provenance: Provenance,
    /// Output formats, by extension.
    pub formats: Vec<String>,
    /// The options' fingerprint recorded in the manifest (see the manifest module).
    pub fingerprint: String,
    /// Inputs selected (after filters and shard).
    pub inputs: usize,
    /// Inputs translated this run.
    pub done: usize,
    /// Inputs left alone because an earlier run did them.
    pub skipped: usize,
    /// Inputs that failed (see `failures`).
    pub failed: usize,
    /// Sentences in the inputs translated this run.
    pub sentences: usize,
    /// Of those, the sentences that stay doubtful after the fidelity guard's recovery (marked
    /// `flagged` in the outputs).
    pub flagged: usize,
    /// The verdicts of those sentences counted (`sentences` and `flagged` are its counts; not in
    /// `summary.json`): what `--strict` reads.
    #[serde(skip)]
    pub verdicts: Tally,
    /// Distinct texts those sentences needed translated (per document: sentences, pieces of long
    /// sentences, link texts; passthrough excluded).
    pub requests: usize,
    /// Requests the model translated.
    pub model_requests: usize,
    /// Requests answered by the sentence cache instead (repeats across files, and earlier runs
    /// with `--cache`).
    pub cache_hits: usize,
    /// Source tokens sent to the model.
    pub tokens: usize,
    /// Wall-clock seconds of the run.
    pub elapsed_s: f64,
    /// Sentences of the translated inputs per second of the run.
    pub sentences_per_s: f64,
    /// The failed inputs and why.
    pub failures: Vec<Failure>,
    /// Why the run stopped early, if it did (a rerun resumes).
    pub aborted: Option<String>,
    /// The signal that interrupted the run (`SIGTERM`, `SIGINT`…, or `requested` when the caller
    /// asked), if one did: the run stopped taking work and recorded what it had finished; the
    /// inputs not counted as done, skipped or failed are left for a rerun.
    pub interrupted: Option<String>,
    /// Entries whose names make them inputs but that were not read: special files, dangling
    /// links, links out of the input directory (see the walk rules).
    pub left_out: Vec<LeftOut>,
    /// The persistent sentence cache, if one was used.
    pub cache: Option<PathBuf>,
    /// Damaged (torn) manifest lines found at start and ignored.
    pub manifest_damaged_lines: usize,
    /// Temporary files left by a killed run and removed at start.
    pub stale_temporary_files_removed: usize,
}

impl Summary {
    /// The summary in a few lines of words, for stderr.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}: {} translated, {} skipped (already done), {} failed; {} ({} flagged as \
             doubtful) in {:.1} s ({:.1} sentences/s), {} source tokens, {} of {} requests from \
             the cache",
            plural(self.inputs, "input", "inputs"),
            self.done,
            self.skipped,
            self.failed,
            plural(self.sentences, "sentence", "sentences"),
            self.flagged,
            self.elapsed_s,
            self.sentences_per_s,
            self.tokens,
            self.cache_hits,
            self.requests,
        );
        if !self.left_out.is_empty() {
            text.push_str(&format!(
                "; {} left out (not regular files, or links not followed)",
                plural(self.left_out.len(), "entry", "entries")
            ));
        }
        for failure in &self.failures {
            text.push_str(&format!("\nfailed: {}: {}", failure.input, failure.reason));
        }
        for entry in &self.left_out {
            text.push_str(&format!("\nleft out: {}: {}", entry.entry, entry.reason));
        }
        if let Some(reason) = &self.aborted {
            text.push_str(&format!("\nstopped early: {reason}"));
        }
        if let Some(signal) = &self.interrupted {
            let finished = self.done + self.skipped + self.failed;
            text.push_str(&format!(
                "\ninterrupted ({signal}): {finished} of {} inputs finished and recorded; a rerun \
                 of the same command does the rest",
                self.inputs
            ));
        }
        text
    }
}

/// `1 input`, `2 inputs`, `0 inputs`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
