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
//! resumes), 2 for a usage error.

use super::engine::{DocumentArgs, EngineArgs, FidelityArgs};
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use passeur::batch::{self, BatchOptions, Event, Outcome, Shard, Summary};
use passeur::fidelity::Guarded;
use passeur::write::{self, Format};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit status when the batch finished but some inputs failed.
const SOME_INPUTS_FAILED: u8 = 3;

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
    /// processes or machines can split IN_DIR between them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Keep translated sentences in this file and reuse them across runs and folders (keyed by
    /// model, revision, decoding options and sentence).
    #[arg(long, value_name = "PATH")]
    pub cache: Option<PathBuf>,

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
    #[arg(short, long)]
    pub quiet: bool,
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
        ..BatchOptions::new(&args.input_dir, &args.output_dir)
    };
    // Checked before the model is loaded, so a typo fails at once.
    batch::Filter::new(&options.include, &options.exclude)?;
    write::remove_temporary_files_on_signal()?;
    let translator = args.engine.build_translator(args.quiet)?;
    let mut display = Display::new(&args);
    let summary = match args.fidelity.guard() {
        Some(guard) => {
            let guarded = Guarded {
                guard: &guard,
                engine: &translator,
            };
            batch::run(&options, &guarded, &mut |event| display.show(event))
        }
        None => batch::run(&options, &translator, &mut |event| display.show(event)),
    };
    display.finish();
    let summary = summary.context("passeur batch")?;
    if !args.quiet {
        report(&summary, &options);
    }
    let doubtful = args.fidelity.strict && summary.flagged > 0;
    if doubtful {
        eprintln!(
            "passeur: --strict: {} sentences stay flagged as doubtful; they are marked \"flagged\" \
             in the outputs",
            summary.flagged
        );
    }
    Ok(if summary.failed > 0 || doubtful {
        ExitCode::from(SOME_INPUTS_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(summary: &Summary, options: &BatchOptions) {
    let mut text = summary.to_text();
    text = text.replace('\n', "\npasseur: ");
    eprintln!("passeur: {text}");
    eprintln!(
        "passeur: summary written to {}",
        options.summary_path().display()
    );
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

    fn show(&mut self, event: Event<'_>) {
        if let Event::Finished(report) = &event {
            if let Outcome::Failed(reason) = &report.outcome {
                let line = format!("passeur: failed: {}: {reason}", report.input);
                match self {
                    Display::Bars { multi, .. } => {
                        let _ = multi.println(line);
                    }
                    _ => eprintln!("{line}"),
                }
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
