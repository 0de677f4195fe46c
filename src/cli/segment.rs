//! `passeur segment`: French text in, one sentence per line out; or, with `--jsonl`, the interface
//! evaluation tools use: one JSON object with a "text" field per input line, one JSON array of that
//! paragraph's sentences per output line.
//!
//! In `--jsonl` mode the output always has exactly one line per input line, so that line N of the
//! output answers line N of the input. A line that cannot be read (not UTF-8, not JSON, not an
//! object, no string "text") gets `null` as its output line — never an array, so no tool mistakes it
//! for an empty paragraph — and a message on stderr naming its line number; the command carries on
//! with the next line and exits with status 1 at the end.

use anyhow::Context;
use passeur::segment::segment;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `passeur segment`.
#[derive(clap::Args)]
pub struct Args {
    /// Text to split (UTF-8, UTF-16 with BOM or a legacy encoding, detected as for `translate`);
    /// `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,

    /// Read JSON lines that each have a "text" field; write, for each input line, one line holding a
    /// JSON array of that paragraph's sentences (`null` for a line that cannot be read).
    #[arg(long)]
    jsonl: bool,

    /// Refuse a text input larger than SIZE (bytes, or 512K, 64M, 1G); in --jsonl mode, a line
    /// larger than SIZE.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = super::engine::parse_size)]
    max_input_size: u64,
}

/// Runs `passeur segment`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (name, reader) = open_input(args.input.as_deref())?;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let outcome = if args.jsonl {
        segment_jsonl(&name, reader, &mut out, args.max_input_size)
    } else {
        segment_text(&name, reader, &mut out, args.max_input_size)
    };
    // A reader that stops early (`| head`) is not an error.
    match outcome.and_then(|code| out.flush().map(|()| code).map_err(anyhow::Error::from)) {
        Err(err) if is_broken_pipe(&err) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

fn open_input(path: Option<&std::path::Path>) -> anyhow::Result<(String, Box<dyn BufRead>)> {
    match path.filter(|path| path.as_os_str() != "-") {
        None => Ok(("stdin".into(), Box::new(BufReader::new(io::stdin())))),
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
            Ok((path.display().to_string(), Box::new(BufReader::new(file))))
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| cause.downcast_ref::<serde_json::Error>()?.io_error_kind());
        io_kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// Plain mode: the whole input is text; each sentence goes on its own line, with the line breaks
/// inside it (hard-wrapped prose) written as single spaces.
fn segment_text(
    name: &str,
    reader: impl Read,
    out: &mut impl Write,
    max_bytes: u64,
) -> anyhow::Result<ExitCode> {
    let bytes = passeur::input::read_limited(reader, name, None, max_bytes, None)?;
    // The same decoding as `translate`: BOM, UTF-16, legacy encodings, binary refused.
    let decoded = passeur::input::decode(&bytes, name, None)?;
    let text = decoded.text.as_str();
    for sentence in segment(text) {
        writeln!(out, "{}", sentence.text_on_one_line(text))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One input line of `--jsonl` mode.
#[derive(serde::Deserialize)]
struct Paragraph {
    text: String,
}

/// `--jsonl` mode: one output line per input line, `null` for the lines that cannot be read.
fn segment_jsonl(
    name: &str,
    mut reader: impl BufRead,
    out: &mut impl Write,
    max_line_bytes: u64,
) -> anyhow::Result<ExitCode> {
    let mut line = Vec::new();
    let mut line_number = 0usize;
    let mut unreadable = 0usize;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(max_line_bytes.saturating_add(1))
            .read_until(b'\n', &mut line)
            .with_context(|| format!("{name}: cannot read line {}", line_number + 1))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        if line.len() as u64 > max_line_bytes && !line.ends_with(b"\n") {
            anyhow::bail!(
                "{name}:{line_number}: the line is longer than {} (raise --max-input-size)",
                passeur::input::human_bytes(max_line_bytes)
            );
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let content = if line_number == 1 {
            content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content)
        } else {
            content
        };
        match serde_json::from_slice::<Paragraph>(content) {
            Ok(paragraph) => {
                let text = paragraph.text.as_str();
                let sentences: Vec<&str> = segment(text).iter().map(|s| s.text(text)).collect();
                serde_json::to_writer(&mut *out, &sentences)?;
            }
            Err(err) => {
                unreadable += 1;
                eprintln!(
                    "passeur: {name}:{line_number}: {}; wrote null for this line",
                    describe_jsonl_error(&err)
                );
                out.write_all(b"null")?;
            }
        }
        out.write_all(b"\n")?;
    }
    if unreadable > 0 {
        eprintln!(
            "passeur: {name}: {unreadable} of {line_number} lines could not be read (null in the output)"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_jsonl_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match err.classify() {
        Category::Data => format!("expected a JSON object with a string \"text\" field ({err})"),
        Category::Eof if err.column() == 0 => "empty line, expected a JSON object".to_string(),
        _ => format!("not valid JSON ({err})"),
    }
}
