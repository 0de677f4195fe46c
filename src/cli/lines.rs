//! `passeur lines [FILE|-]`: one sentence per input line, one translation per output line.
//!
//! The output has exactly as many lines as the input, in the same order; empty lines stay empty
//! and never reach the model. Lines are translated in windows (sorted by length inside each window
//! for efficient batches), and each window is printed as soon as it is done, so output streams on
//! long inputs and memory stays bounded by the window. A line longer than the model's position
//! limit is an error naming the line: use `passeur translate`, which splits long sentences.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use passeur::input;
use passeur::translate::Translation;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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

/// Lines translated and printed together: enough to fill batches well, few enough to stream.
const WINDOW_BATCHES: usize = 8;

/// Runs `passeur lines`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let input_path = args.input.as_ref().filter(|p| p.as_os_str() != "-");
    let decoded = match input_path {
        Some(path) => input::read_file(path, None)?,
        None => input::read_stdin(None)?,
    };
    let lines: Vec<&str> = if decoded.text.is_empty() {
        Vec::new()
    } else {
        decoded
            .text
            .strip_suffix('\n')
            .unwrap_or(&decoded.text)
            .split('\n')
            .collect()
    };
    if lines.iter().all(|line| line.trim().is_empty()) {
        // Nothing for the model: do not load (or download) it.
        let mut stdout = std::io::stdout().lock();
        for line in &lines {
            write_line(&mut stdout, line, None, args.jsonl)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let translator = args.engine.build_translator(args.quiet)?;
    let bar = progress_bar(lines.len(), args.quiet);
    let window = args.engine.batch_size as usize * WINDOW_BATCHES;
    let mut stdout = std::io::stdout().lock();
    for (window_index, chunk) in lines.chunks(window).enumerate() {
        let first_line = window_index * window + 1;
        let translations = match translator.translate(chunk) {
            Ok(translations) => translations,
            Err(passeur::Error::InvalidSource { index, problem }) => {
                let input_name = input_path.map_or("<stdin>".into(), |p| p.display().to_string());
                anyhow::bail!("{input_name}:{}: {problem}", first_line + index)
            }
            Err(err) => return Err(err.into()),
        };
        for (line, translation) in chunk.iter().zip(&translations) {
            write_line(&mut stdout, line, Some(translation), args.jsonl)?;
        }
        stdout.flush().context("writing to standard output")?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
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
    match written {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other.context("writing to standard output"),
    }
}

fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} lines, {per_sec}, {eta} left")
            .expect("the template is valid"),
    );
    bar
}
