//! `passeur batch IN_DIR -o OUT_DIR …`: translate a whole directory into a mirrored output tree.
//!
//! The work is [`passeur::batch::run`]; this file turns options into [`BatchOptions`], draws the
//! progress (indicatif bars on a terminal, a plain line every `--progress-interval` seconds
//! otherwise, nothing with `--quiet`), prints failures as they happen and the summary at the end.
//!
//! Translation goes through the fidelity guard unless `--no-guard`, as in `passeur translate`.
//!
//! Exit status: 0 when every input is done or skipped, 3 when the batch ran to its end but some
//! inputs failed (they are listed in the summary and in `summary.json`) or, with `--strict`, some
//! sentences stay flagged as doubtful, 1 when the batch could not run or stopped early (a rerun
//! resumes), 2 for a usage error, 128 + the signal's number (143 for SIGTERM, 130 for Ctrl-C) when
//! a signal interrupted it: the first SIGTERM, SIGINT or SIGHUP makes it stop taking work, write
//! and record what is finished and write the summary; a second one, or [`GRACE`] running out,
//! ends it at once.

use super::engine::{DocumentArgs, EngineArgs, FidelityArgs};
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use passeur::batch::{self, BatchOptions, Event, Interrupt, Outcome, Shard, Summary};
use passeur::write::{self, Format};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit status when the batch finished but some inputs failed.
const SOME_INPUTS_FAILED: u8 = 3;

/// How long an interrupted batch may take to finish its engine call and write what is done
/// before it is ended at once (Slurm and Kubernetes send SIGKILL 30 s after SIGTERM by default).
pub const GRACE: Duration = Duration::from_secs(20);

/// Arguments of `passeur batch`.
#[derive(clap::Args)]
pub struct Args {
    /// The directory to translate, walked recursively (hidden files and OUT_DIR skipped).
    #[arg(value_name = "IN_DIR")]
    pub input_dir: PathBuf,

    /// Where to write: each input becomes OUT_DIR/<its relative path>.<format extension>; the
    /// manifest (.passeur/) and summary.json go there too.
    #[arg(short, long = "output", value_name = "OUT_DIR")]
    pub output_dir: PathBuf,

    /// Output format: md, html, txt, jsonl or tmx; repeat it (or separate with commas) for
    /// several formats per input [default: md].
    #[arg(short, long = "format", value_name = "F", value_delimiter = ',')]
    pub formats: Vec<Format>,

    /// Translate the files matching GLOB (repeatable; a pattern without / matches the file name,
    /// one with / the path under IN_DIR, ** any directories) [default: *.txt, *.md, *.html and *.htm].
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Leave out files and directories matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Translate only shard K of N (1 ≤ K ≤ N), chosen by a hash of each relative path, so N
    /// processes or machines can split IN_DIR between them; `auto` takes K and N from a Slurm job
    /// array (SLURM_ARRAY_TASK_ID…, any first index), `auto/N` K from a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,

    /// Keep translated sentences in this file and reuse them across runs and folders (keyed by
    /// model, revision, decoding options and sentence); its directory is created if needed.
    #[arg(long, value_name = "PATH")]
    pub cache: Option<PathBuf>,

    /// Read symbolic links that lead out of IN_DIR, and enter linked directories (each once);
    /// without it such links are left out, and listed in the summary.
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Translate nothing: add up what every run into OUT_DIR did (all shards, resumed runs),
    /// print it and write it to OUT_DIR/summary.all.json.
    #[arg(long, conflicts_with = "shard")]
    pub summary: bool,

    #[command(flatten)]
    pub document: DocumentArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub fidelity: FidelityArgs,

    /// Without a terminal, print a progress line every SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub progress_interval: u64,

    /// Print nothing on stderr but failures and errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on stderr: a line per input as it finishes (done, skipped, empty), with its
    /// sentences and outputs.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Runs `passeur batch`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.input_dir.is_dir() {
        anyhow::bail!(
            "{}: not a directory (or it does not exist); `passeur batch` translates a directory, \
             `passeur translate` one file",
            args.input_dir.display()
        );
    }
    let interrupt = Interrupt::new();
    let options = BatchOptions {
        formats: args.formats.clone(),
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        shard: args.shard,
        encoding: args.document.forced_encoding()?,
        max_sentence_tokens: args.document.max_sentence_tokens,
        cache: args.cache.clone(),
        // Each call to the engine holds several of its batches, so that sorting by length has
        // room to work and a large --batch-size is never cut short.
        chunk_size: (4 * args.engine.batch_size as usize).max(64),
        wave_requests: (8 * args.engine.batch_size as usize).max(512),
        follow_symlinks: args.follow_symlinks,
        max_input_bytes: args.document.max_input_size,
        interrupt: Some(interrupt.clone()),
        ..BatchOptions::new(&args.input_dir, &args.output_dir)
    };
    // Checked before the model is loaded, so a typo fails at once.
    batch::Filter::new(&options.include, &options.exclude)?;
    if args.summary {
        let totals = batch::totals(&options).context("passeur batch --summary")?;
        if !args.quiet {
            eprintln!("passeur: {}", totals.to_text().replace('\n', "\npasseur: "));
        }
        if !args.quiet {
            eprintln!(
                "passeur: totals written to {}",
                options.output_dir.join(batch::TOTALS_FILE).display()
            );
        }
        return Ok(if totals.failed > 0 {
            ExitCode::from(SOME_INPUTS_FAILED)
        } else {
            ExitCode::SUCCESS
        });
    }
    let stop = interrupt.clone();
    write::drain_on_signal(move |signal| stop.request(Some(signal)), GRACE)?;
    let passeur = args.engine.build(args.quiet, args.fidelity.guard())?;
    let mut display = Display::new(&args);
    let mut empty = 0;
    let verbose = args.verbose > 0;
    let mut on_event = |event: Event<'_>| {
        if let Event::Finished(report) = &event {
            if report.outcome == Outcome::Done && report.sentences == 0 {
                empty += 1;
            }
            if verbose {
                if let Some(line) = describe_finished(report) {
                    display.println(&line);
                }
            }
        }
        display.show(event);
    };
    let summary = passeur.translate_dir(&options, &mut on_event);
    display.finish();
    let summary = summary.context("passeur batch")?;
    if !args.quiet {
        report(&summary, &options, empty);
    }
    if let Some(signal) = interrupt.signal() {
        return Ok(ExitCode::from((128 + signal).clamp(0, 255) as u8));
    }
    let doubtful = args.fidelity.check_strict(&summary.verdicts).err();
    if let Some(err) = &doubtful {
        eprintln!("passeur: {err}");
    }
    Ok(if summary.failed > 0 || doubtful.is_some() {
        ExitCode::from(SOME_INPUTS_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--shard`: `K/N`, `auto` or `auto/N` (from the job scheduler's environment).
fn parse_shard(value: &str) -> Result<Shard, String> {
    Shard::parse_with_env(value, |name| std::env::var(name).ok()).map_err(|err| err.to_string())
}

/// The summary on stderr. Failures were printed as they happened: they are counted here, not
/// listed a second time.
fn report(summary: &Summary, options: &BatchOptions, empty: usize) {
    let mut shown = summary.clone();
    shown.failures.clear();
    let mut text = shown.to_text();
    if empty > 0 {
        text.push_str(&format!(
            "\n{} no text to translate (empty, or only code or layout)",
            super::translate::count(empty, "input had", "inputs had")
        ));
    }
    if summary.failed > 0 {
        text.push_str(&format!(
            "\n{} failed (listed above with their reasons, and in {})",
            super::translate::count(summary.failed, "input", "inputs"),
            options.summary_path().display()
        ));
    }
    text = text.replace('\n', "\npasseur: ");
    eprintln!("passeur: {text}");
    eprintln!(
        "passeur: summary written to {}",
        options.summary_path().display()
    );
}

/// `done: a.txt: 3 sentences (1 flagged) → out/a.txt.md` for `-v`; failures are printed anyway.
fn describe_finished(report: &batch::InputReport) -> Option<String> {
    match &report.outcome {
        Outcome::Failed(_) => None,
        Outcome::Skipped => Some(format!(
            "skipped: {} (done by an earlier run)",
            report.input
        )),
        Outcome::Done if report.sentences == 0 => Some(format!(
            "done: {}: no text, nothing to translate",
            report.input
        )),
        Outcome::Done => {
            let outputs: Vec<String> = report
                .outputs
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            let flagged = if report.flagged > 0 {
                format!(" ({} flagged)", report.flagged)
            } else {
                String::new()
            };
            Some(format!(
                "done: {}: {}{flagged} → {}",
                report.input,
                super::translate::count(report.sentences, "sentence", "sentences"),
                outputs.join(", ")
            ))
        }
    }
}

/// A bar's rate with one decimal (indicatif's own `{per_sec}` prints four).
fn rate(state: &ProgressState, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.1}", state.per_sec());
}

/// How progress is shown.
enum Display {
    Quiet,
    Bars {
        multi: MultiProgress,
        files: ProgressBar,
        sentences: ProgressBar,
    },
    Lines {
        interval: Duration,
        last: Instant,
        started: Instant,
        total: usize,
        finished: usize,
        failed: usize,
        sentences: usize,
    },
}

impl Display {
    fn new(args: &Args) -> Display {
        if args.quiet {
            return Display::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let files = multi.add(ProgressBar::new(0));
            files.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} files ({rate} files/s, {eta} left)",
                )
                .expect("the template is valid")
                .with_key("rate", rate),
            );
            let sentences = multi.add(ProgressBar::new_spinner());
            sentences.set_style(
                ProgressStyle::with_template("{spinner} {pos} sentences ({rate} sentences/s)")
                    .expect("the template is valid")
                    .with_key("rate", rate),
            );
            return Display::Bars {
                multi,
                files,
                sentences,
            };
        }
        let now = Instant::now();
        Display::Lines {
            interval: Duration::from_secs(args.progress_interval.max(1)),
            last: now,
            started: now,
            total: 0,
            finished: 0,
            failed: 0,
            sentences: 0,
        }
    }

    /// Prints a line on stderr, above the bars when there are some.
    fn println(&self, line: &str) {
        let line = format!("passeur: {line}");
        match self {
            Display::Bars { multi, .. } => {
                let _ = multi.println(line);
            }
            _ => eprintln!("{line}"),
        }
    }

    fn show(&mut self, event: Event<'_>) {
        // Entries left out are listed once, in the summary at the end (and in summary.json).
        if let Event::LeftOut(_) = &event {
            return;
        }
        if let Event::Finished(report) = &event {
            if let Outcome::Failed(reason) = &report.outcome {
                self.println(&format!("failed: {}: {reason}", report.input));
            }
        }
        match self {
            Display::Quiet => {}
            Display::Bars {
                files, sentences, ..
            } => match event {
                Event::Started { inputs } => files.set_length(inputs as u64),
                Event::Translated { requests, .. } => sentences.inc(requests as u64),
                Event::Finished(_) => files.inc(1),
                Event::LeftOut(_) => {}
            },
            Display::Lines {
                interval,
                last,
                started,
                total,
                finished,
                failed,
                sentences,
            } => {
                match event {
                    Event::Started { inputs } => *total = inputs,
                    Event::Translated { requests, .. } => *sentences += requests,
                    Event::Finished(report) => {
                        *finished += 1;
                        if matches!(report.outcome, Outcome::Failed(_)) {
                            *failed += 1;
                        }
                    }
                    Event::LeftOut(_) => {}
                }
                if last.elapsed() >= *interval {
                    *last = Instant::now();
                    let elapsed = started.elapsed().as_secs_f64();
                    let left = if *finished > 0 {
                        let per_file = elapsed / *finished as f64;
                        format!(
                            ", about {:.0} s left",
                            per_file * (*total - *finished) as f64
                        )
                    } else {
                        String::new()
                    };
                    eprintln!(
                        "passeur: {finished}/{total} files ({failed} failed), {sentences} \
                         sentences, {:.1} sentences/s{left}",
                        *sentences as f64 / elapsed.max(1e-9)
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Display::Bars {
            files, sentences, ..
        } = self
        {
            files.finish_and_clear();
            sentences.finish_and_clear();
        }
    }
}
