//! `passeur lines [FILE|-]`: one sentence per input line, one translation per output line.
//!
//! The output has exactly as many lines as the input, in the same order; empty lines stay empty
//! and never reach the model. It is a streaming filter: a reader thread decodes the input line by
//! line ([`input::Lines`]), and the translating side takes what has arrived — up to one window of
//! [`WINDOW_BATCHES`] batches, waiting at most [`LOOK_AHEAD`] after the first line for more —
//! translates it (sorted by length inside the window for efficient batches) and prints and flushes
//! it before reading on. So `yes "Bonjour." | passeur lines` prints as it goes in constant memory,
//! and a line typed at a terminal is answered at once. A line longer than the model's position
//! limit is an error naming the line: use `passeur translate`, which splits long sentences.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use passeur::input;
use passeur::translate::{Translation, Translator};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::engine::EngineArgs;

/// Arguments of `passeur lines`.
#[derive(clap::Args)]
pub struct Args {
    /// Sentences, one per line; `-` or nothing reads standard input.
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,

    /// Print one JSON object per line: {"source", "source_ids", "ids", "text", "score"}, where ids
    /// are the generated tokens after the decoder start token, up to and including </s>.
    #[arg(long)]
    pub jsonl: bool,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Print nothing on stderr but errors (no download or progress bars).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Lines translated and printed together, in batches: enough to fill batches well, few enough to
/// stream.
const WINDOW_BATCHES: usize = 8;

/// How long the lines after the first of a window are waited for before translating what arrived.
const LOOK_AHEAD: Duration = Duration::from_millis(50);

/// The longest line read: far beyond any sentence the model can take, and the memory bound.
const MAX_LINE_BYTES: usize = 1 << 20;

/// Runs `passeur lines`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let input_path = args.input.as_ref().filter(|p| p.as_os_str() != "-");
    let (name, reader): (String, Box<dyn Read + Send>) = match input_path {
        Some(path) => (
            path.display().to_string(),
            Box::new(input::open_file(path)?),
        ),
        None => {
            let interactive = std::io::stdin().is_terminal();
            if !args.quiet && interactive {
                eprintln!("{}", super::translate::STDIN_HINT);
            }
            (input::STDIN_NAME.to_string(), Box::new(std::io::stdin()))
        }
    };
    let lines = input::Lines::new(reader, &name, None, MAX_LINE_BYTES)?;
    let window = args.engine.batch_size as usize * WINDOW_BATCHES;
    let (sender, receiver) = sync_channel(window);
    std::thread::Builder::new()
        .name("passeur-lines-reader".to_string())
        .spawn(move || {
            for line in lines {
                if sender.send(line).is_err() {
                    return;
                }
            }
        })
        .context("starting the reader thread")?;

    let show_progress = !args.quiet
        && std::io::stderr().is_terminal()
        && (input_path.is_some() || !std::io::stdin().is_terminal());
    let bar = progress_bar(show_progress);
    let mut translator: Option<Translator> = None;
    let mut stdout = std::io::stdout().lock();
    let mut first_line = 1;
    loop {
        let (texts, failure) = next_window(&receiver, window);
        if texts.is_empty() && failure.is_none() {
            break;
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let translations = if refs.iter().all(|line| line.trim().is_empty()) {
            // Nothing for the model: do not load (or download) it for empty lines.
            Vec::new()
        } else {
            let engine = match &translator {
                Some(engine) => engine,
                None => translator.insert(args.engine.build_translator(args.quiet)?),
            };
            match engine.translate(&refs) {
                Ok(translations) => translations,
                Err(passeur::Error::InvalidSource { index, problem }) => {
                    anyhow::bail!("{name}:{}: {problem}", first_line + index)
                }
                Err(err) => return Err(err.into()),
            }
        };
        for (i, line) in refs.iter().enumerate() {
            write_line(&mut stdout, line, translations.get(i), args.jsonl)?;
        }
        flush(&mut stdout)?;
        bar.inc(refs.len() as u64);
        first_line += refs.len();
        if let Some(err) = failure {
            bar.finish_and_clear();
            return Err(err.into());
        }
    }
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
}

/// The lines that arrive within one window: the first one waited for as long as it takes, the
/// others for at most [`LOOK_AHEAD`], up to `size` lines; and the read error that ended the input,
/// if one did. Both empty at the end of the input.
fn next_window(
    receiver: &Receiver<passeur::Result<String>>,
    size: usize,
) -> (Vec<String>, Option<passeur::Error>) {
    let mut lines = Vec::new();
    let first = match receiver.recv() {
        Ok(Ok(line)) => line,
        Ok(Err(err)) => return (lines, Some(err)),
        Err(_) => return (lines, None),
    };
    lines.push(first);
    let deadline = Instant::now() + LOOK_AHEAD;
    while lines.len() < size {
        let wait = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait) {
            Ok(Ok(line)) => lines.push(line),
            Ok(Err(err)) => return (lines, Some(err)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    (lines, None)
}

fn write_line(
    out: &mut impl Write,
    source: &str,
    translation: Option<&Translation>,
    jsonl: bool,
) -> anyhow::Result<()> {
    let written = if jsonl {
        let (source_ids, ids, text, score) = match translation {
            Some(t) => (&t.source_ids[..], &t.ids[..], t.text.as_str(), t.score),
            None => (&[][..], &[][..], "", None),
        };
        let object = serde_json::json!({
            "source": source,
            "source_ids": source_ids,
            "ids": ids,
            "text": text,
            "score": score,
        });
        writeln!(out, "{object}")
    } else {
        writeln!(out, "{}", translation.map_or("", |t| t.text.as_str()))
    };
    quiet_on_broken_pipe(written)
}

fn flush(out: &mut impl Write) -> anyhow::Result<()> {
    quiet_on_broken_pipe(out.flush())
}

/// A reader that stops early (`| head`) ends the command quietly with status 0, as for any filter.
fn quiet_on_broken_pipe(written: std::io::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other.context("writing to standard output"),
    }
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} lines, {per_sec}")
            .expect("the template is valid"),
    );
    bar
}
