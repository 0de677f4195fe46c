//! The totals of every run into one output directory — all the shards of a job array, the runs
//! that resumed them — without translating anything (`passeur batch IN_DIR -o OUT_DIR --summary`).
//!
//! The inputs are those the walk selects now (same patterns, all shards); what happened to each
//! comes from its latest record in the manifest files; the work done (tokens, cache hits, time)
//! is the sum of the summary files the runs left (`summary.json`, `summary.K-of-N.json`). The
//! result is written to `summary.all.json` in the output directory.

use super::manifest::{outputs_present, Manifest, RecordStatus};
use super::{walk, BatchOptions, Failure, Filter};
use crate::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file the totals are written to, in the output directory.
pub const TOTALS_FILE: &str = "summary.all.json";

/// One run's summary file, as counted in the totals.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunSummary {
    /// The file's name in the output directory.
    pub file: String,
    /// Its shard, `K/N`, if it was one.
    pub shard: Option<String>,
    /// Inputs it translated.
    pub done: u64,
    /// Inputs it found done already.
    pub skipped: u64,
    /// Inputs that failed in it.
    pub failed: u64,
    /// Its wall-clock seconds.
    pub elapsed_s: f64,
    /// Why it stopped early, if it did.
    pub aborted: Option<String>,
    /// The signal that interrupted it, if one did.
    pub interrupted: Option<String>,
}

/// The totals of all runs into one output directory (see the module docs).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    /// The input directory.
    pub input_dir: PathBuf,
    /// The output directory.
    pub output_dir: PathBuf,
    /// Inputs the walk selects now, all shards together.
    pub inputs: usize,
    /// Of those, the inputs whose latest record says done, with their outputs in place.
    pub done: usize,
    /// Inputs whose latest record says failed.
    pub failed: usize,
    /// Inputs with no record yet, or whose outputs are gone: a run would translate them.
    pub not_done: usize,
    /// Sentences of the done inputs.
    pub sentences: usize,
    /// Of those, sentences flagged as doubtful.
    pub flagged: usize,
    /// The failed inputs and why.
    pub failures: Vec<Failure>,
    /// Source tokens sent to the model, summed over the runs' summaries.
    pub tokens: u64,
    /// Requests the model translated, summed over the runs.
    pub model_requests: u64,
    /// Requests answered by a sentence cache, summed over the runs.
    pub cache_hits: u64,
    /// Wall-clock seconds of all runs added up (the machine time spent, for parallel shards).
    pub elapsed_s_sum: f64,
    /// The longest run's seconds (the job's span, for shards run side by side).
    pub elapsed_s_longest: f64,
    /// The runs' summary files.
    pub runs: Vec<RunSummary>,
}

impl Totals {
    /// The totals in a few lines of words, for stderr.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "all runs into {}: {} inputs: {} done, {} failed, {} not done yet; {} sentences ({} \
             flagged as doubtful); {} runs, {:.1} s in all (longest {:.1} s), {} source tokens, \
             {} requests from the cache",
            self.output_dir.display(),
            self.inputs,
            self.done,
            self.failed,
            self.not_done,
            self.sentences,
            self.flagged,
            self.runs.len(),
            self.elapsed_s_sum,
            self.elapsed_s_longest,
            self.tokens,
            self.cache_hits,
        );
        for failure in &self.failures {
            text.push_str(&format!("\nfailed: {}: {}", failure.input, failure.reason));
        }
        for run in &self.runs {
            if let Some(why) = run.aborted.as_ref().or(run.interrupted.as_ref()) {
                text.push_str(&format!("\n{} stopped early: {why}", run.file));
            }
        }
        text
    }
}

/// Computes the totals of every run of `options` into its output directory (shard ignored) and
/// writes them to [`TOTALS_FILE`] there.
pub fn totals(options: &BatchOptions) -> Result<Totals> {
    let filter = Filter::new(&options.include, &options.exclude)?;
    let found = walk::walk(
        &options.input_dir,
        &options.output_dir,
        &filter,
        options.follow_symlinks,
    )?;
    let (records, _damaged) = Manifest::read(&options.output_dir)?;
    let mut totals = Totals {
        input_dir: options.input_dir.clone(),
        output_dir: options.output_dir.clone(),
        inputs: found.inputs.len(),
        done: 0,
        failed: 0,
        not_done: 0,
        sentences: 0,
        flagged: 0,
        failures: Vec::new(),
        tokens: 0,
        model_requests: 0,
        cache_hits: 0,
        elapsed_s_sum: 0.0,
        elapsed_s_longest: 0.0,
        runs: Vec::new(),
    };
    for input in &found.inputs {
        match records.get(&input.name) {
            Some(record) if outputs_present(record, &options.output_dir) => {
                totals.done += 1;
                totals.sentences += record.sentences;
                totals.flagged += record.flagged;
            }
            Some(record) if record.status == RecordStatus::Failed => {
                totals.failed += 1;
                totals.failures.push(Failure {
                    input: input.name.clone(),
                    reason: record.reason.clone().unwrap_or_default(),
                });
            }
            _ => totals.not_done += 1,
        }
    }
    for (file, summary) in run_summaries(&options.output_dir)? {
        let number = |key: &str| summary[key].as_u64().unwrap_or(0);
        let text = |key: &str| summary[key].as_str().map(String::from);
        let elapsed_s = summary["elapsed_s"].as_f64().unwrap_or(0.0);
        totals.tokens += number("tokens");
        totals.model_requests += number("model_requests");
        totals.cache_hits += number("cache_hits");
        totals.elapsed_s_sum += elapsed_s;
        totals.elapsed_s_longest = totals.elapsed_s_longest.max(elapsed_s);
        totals.runs.push(RunSummary {
            file,
            shard: text("shard"),
            done: number("done"),
            skipped: number("skipped"),
            failed: number("failed"),
            elapsed_s,
            aborted: text("aborted"),
            interrupted: text("interrupted"),
        });
    }
    let json = serde_json::to_string_pretty(&totals).expect("the totals serialise") + "\n";
    crate::write::write_inside(&options.output_dir, Path::new(TOTALS_FILE), json.as_bytes())?;
    Ok(totals)
}

/// The run summaries in `output_dir` (`summary.json`, `summary.K-of-N.json`), by name, parsed.
fn run_summaries(output_dir: &Path) -> Result<Vec<(String, serde_json::Value)>> {
    let mut summaries = Vec::new();
    let entries = std::fs::read_dir(output_dir).map_err(|err| crate::Error::io(output_dir, err))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_run = name == "summary.json"
            || (name.starts_with("summary.") && name.ends_with(".json") && name.contains("-of-"));
        if !is_run || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let text = std::fs::read_to_string(&path).map_err(|err| crate::Error::io(&path, err))?;
        if let Ok(value) = serde_json::from_str(&text) {
            summaries.push((name, value));
        }
    }
    summaries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(summaries)
}
