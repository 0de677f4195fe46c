//! `passeur translate [FILE|-] [-o OUT] [--format F] …`: one article in, one bilingual file out.
//!
//! Order matters: the output format and directory are checked, then the input is read, decoded
//! and parsed, all before any model is loaded, so bad input or a bad option fails in milliseconds.
//! A document with nothing to translate (empty, numbers, code only) never loads a model. The output
//! is rendered in memory and written atomically (or to stdout), so an error or Ctrl-C never leaves
//! a partial file.

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use passeur::input::{self, DecodedText};
use passeur::pipeline::{Plan, Progress};
use passeur::translate::Provenance;
use passeur::write::{self, Format};
use passeur::Bilingual;
use passeur::{document::Document, Syntax};
use passeur::{html, web, Passeur};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::engine::{DocumentArgs, EngineArgs, FidelityArgs};

/// Arguments of `passeur translate`.
#[derive(clap::Args)]
pub struct Args {
    /// The article to translate: a file, an http:// or https:// URL (a web page), or `-` or
    /// nothing for standard input.
    #[arg(value_name = "FILE|URL|-")]
    pub input: Option<PathBuf>,

    /// Write to OUT (atomically) instead of standard output; its extension (.md, .html, .txt,
    /// .jsonl, .tmx) sets the format unless --format is given. For a web page, .html/.htm means
    /// the translated page (--format page); ask for --format html for the side-by-side page.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Output format: md (bilingual Markdown, the default), html (side by side), txt (English
    /// only), jsonl (one object per sentence), tmx (translation memory) or page (the web page
    /// itself in English, markup kept).
    #[arg(short, long, value_name = "F")]
    pub format: Option<Format>,

    /// How the input is written: text, markdown or html [default: markdown for .md/.markdown
    /// files, html for .html/.htm files and URLs, else html when the input starts like a web page
    /// (doctype, <html>), text otherwise].
    #[arg(long, value_name = "SYNTAX")]
    pub input_format: Option<Syntax>,

    /// Keep only the article: for a web page its title, byline, date and body (no navigation,
    /// footers, share buttons, related links, comments, cookie banners); for text, drop
    /// breadcrumbs, keyword lines, "back to top" and share lines and comments.
    #[arg(long)]
    pub article: bool,

    #[command(flatten)]
    pub document: DocumentArgs,

    #[command(flatten)]
    pub engine: EngineArgs,

    #[command(flatten)]
    pub fidelity: FidelityArgs,

    /// Print nothing on stderr but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on stderr: the encoding used, line endings normalised, timings.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Runs `passeur translate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut format = output_format(&args)?;
    if let Some(output) = &args.output {
        check_output_path(output, args.input.as_deref())?;
        write::remove_temporary_files_on_signal()?;
    }
    let forced = args.document.forced_encoding()?;
    let (decoded, syntax, input_name) = read_input(&args, forced)?;
    if args.verbose > 0 {
        report_decoding(&input_name, &decoded);
    }
    if args.format.is_none() && format == Format::Html && syntax == Syntax::Html {
        // A web page written to .html is the page in English (the side-by-side page with
        // --format html).
        format = Format::Page;
    }
    let mut document = Document::parse(decoded.text, syntax);
    if args.article {
        document = passeur::article::extract(document);
    }

    let bilingual = if Plan::needs_model(&document) {
        let mut builder = args.engine.builder(args.quiet, args.fidelity.guard())?;
        if let Some(tokens) = args.document.max_sentence_tokens {
            builder = builder.max_sentence_tokens(tokens);
        }
        let spec = args.engine.model_spec()?;
        let passeur = builder
            .build()
            .with_context(|| format!("loading the model `{spec}`"))?;
        translate(&passeur, document, &args)?
    } else {
        Plan::new(document, &|_| 0, usize::MAX).assemble(Vec::new(), unloaded_model(&args))?
    };

    let rendered = format.render(&bilingual);
    match &args.output {
        Some(path) => write::write_atomically(path, rendered.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            let written = stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush());
            match written {
                // A reader that stops early (`| head`): a quiet success, as for every filter.
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS)
                }
                other => other.context("writing to standard output")?,
            }
        }
    }
    if !args.quiet {
        report_summary(&bilingual, &input_name, args.output.as_deref(), format);
        if args.verbose > 0 {
            eprintln!("passeur: done in {:.2} s", started.elapsed().as_secs_f64());
        }
    }
    args.fidelity.check_strict(&bilingual.stats.verdicts)?;
    Ok(ExitCode::SUCCESS)
}

/// What `translate` and `lines` say when they wait for a person to type.
pub const STDIN_HINT: &str =
    "passeur: reading French text from standard input (end it with Ctrl-D)";

/// Reads and decodes the input, and decides its syntax (see `--input-format`).
fn read_input(
    args: &Args,
    forced: Option<&'static encoding_rs::Encoding>,
) -> anyhow::Result<(DecodedText, Syntax, String)> {
    let input_path = args.input.as_deref().filter(|p| *p != Path::new("-"));
    if let Some(url) = input_path.and_then(Path::to_str).filter(|s| web::is_url(s)) {
        let page = web::fetch(url, &web::FetchOptions::default())?;
        let syntax = args.input_format.unwrap_or(if page.is_plain_text() {
            Syntax::Text
        } else {
            Syntax::Html
        });
        let decoded = match syntax {
            Syntax::Html => html::decode(&page.bytes, url, forced, page.content_type.as_deref())?,
            _ => input::decode(&page.bytes, url, forced)?,
        };
        return Ok((decoded, syntax, page.url));
    }
    let input_name = input_path.map_or(input::STDIN_NAME.to_string(), |p| p.display().to_string());
    let named = args.input_format.or_else(|| {
        input_path
            .map(Syntax::from_path)
            .filter(|s| *s != Syntax::Text)
    });
    if let (Some(Syntax::Html), Some(path)) = (named, input_path) {
        // The page's own charset declaration needs the bytes.
        let bytes = input::read_file_bytes(path, forced, args.document.max_input_size)?;
        return Ok((
            html::decode(&bytes, &input_name, forced, None)?,
            Syntax::Html,
            input_name,
        ));
    }
    let decoded = match input_path {
        Some(path) => input::read_file_with_limit(path, forced, args.document.max_input_size)?,
        None => {
            if !args.quiet && std::io::stdin().is_terminal() {
                eprintln!("{STDIN_HINT}");
            }
            input::read_stdin_with_limit(forced, args.document.max_input_size)?
        }
    };
    let syntax = named.unwrap_or_else(|| {
        if html::looks_like_html(&decoded.text) {
            Syntax::Html
        } else {
            Syntax::Text
        }
    });
    Ok((decoded, syntax, input_name))
}

/// `--format`, else the extension of `-o`, else Markdown.
fn output_format(args: &Args) -> anyhow::Result<Format> {
    if let Some(format) = args.format {
        return Ok(format);
    }
    let Some(output) = &args.output else {
        return Ok(Format::Markdown);
    };
    Format::from_path(output).ok_or_else(|| {
        super::UsageError(format!(
            "cannot tell the output format from `{}`: give it an extension .md, .html, .txt, \
             .jsonl or .tmx, or pass --format",
            output.display()
        ))
        .into()
    })
}

/// Fails early if `output` cannot be written or would overwrite the input.
fn check_output_path(output: &Path, input: Option<&Path>) -> anyhow::Result<()> {
    if output.is_dir() {
        bail!("{}: is a directory; -o takes a file name", output.display());
    }
    let directory = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        bail!(
            "{}: the output directory does not exist; create it first",
            directory.display()
        );
    }
    if let (Some(input), Ok(output)) = (input, output.canonicalize()) {
        if input.canonicalize().is_ok_and(|input| input == output) {
            bail!(
                "{}: the output would overwrite the input; choose another -o",
                output.display()
            );
        }
    }
    Ok(())
}

fn report_decoding(input_name: &str, decoded: &DecodedText) {
    let mut line = format!("passeur: {input_name}: {}", decoded.describe_encoding());
    let newlines = decoded.newlines;
    if newlines.crlf > 0 || newlines.lone_cr > 0 {
        line.push_str(&format!(
            ", line endings normalised ({} CRLF, {} CR)",
            newlines.crlf, newlines.lone_cr
        ));
    }
    eprintln!("{line}");
}

/// Provenance when no model was needed: the model that would have been used, marked as not run.
fn unloaded_model(args: &Args) -> Provenance {
    Provenance {
        model: args.engine.model.clone(),
        revision: args.engine.revision.clone(),
        decoding: "none (nothing to translate; no model was loaded)".to_string(),
        passeur_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Requests below which no progress bar is drawn: short articles finish before it would help.
const PROGRESS_BAR_MIN_REQUESTS: usize = 32;

fn translate(passeur: &Passeur, document: Document, args: &Args) -> anyhow::Result<Bilingual> {
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let mut on_progress = |progress: Progress| {
        if !show_bar {
            return;
        }
        if progress.done == 0 && progress.total >= PROGRESS_BAR_MIN_REQUESTS {
            bar.set_length(progress.total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} translating {bar:30} {pos}/{len} sentences, {eta} left",
                )
                .expect("the template is valid"),
            );
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_position(progress.done as u64);
    };
    let bilingual = passeur.translate_parsed(document, &mut on_progress);
    bar.finish_and_clear();
    Ok(bilingual?)
}

fn report_summary(bilingual: &Bilingual, input_name: &str, output: Option<&Path>, format: Format) {
    eprintln!(
        "passeur: {}",
        summary_line(bilingual, input_name, output, format)
    );
}

/// `a.txt: 3 sentences in 1 paragraph (…) → out.md [md]`; an input without any sentence is
/// reported as empty, not as translated.
fn summary_line(
    bilingual: &Bilingual,
    input_name: &str,
    output: Option<&Path>,
    format: Format,
) -> String {
    let stats = &bilingual.stats;
    let verdicts = &stats.verdicts;
    let paragraphs = bilingual
        .document
        .blocks
        .iter()
        .filter(|b| !b.units.is_empty())
        .count();
    let destination = output.map_or("standard output".to_string(), |p| p.display().to_string());
    if verdicts.sentences == 0 {
        let what = if bilingual.source().trim().is_empty() {
            "empty"
        } else {
            "no sentences to translate (only code or layout)"
        };
        return format!("{input_name}: {what}; nothing translated → {destination} [{format}]");
    }
    format!(
        "{input_name}: {} in {} ({} translated, {} copied unchanged, {} split to fit the model; \
         {} recovered, {} flagged) → {destination} [{format}]",
        count(verdicts.sentences, "sentence", "sentences"),
        count(paragraphs, "paragraph", "paragraphs"),
        verdicts.translated,
        verdicts.passthrough,
        stats.split_sentences,
        verdicts.recovered,
        verdicts.flagged
    )
}

/// `1 sentence`, `2 sentences`, `0 sentences`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
