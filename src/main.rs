//! The `passeur` command: a thin clap shell over the library.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Translate French articles into English on your own machine, with the French kept alongside.
#[derive(Parser)]
#[command(name = "passeur", version, long_version = long_version(), about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Translate one sentence per line (file or stdin) and print one translation per line.
    Lines(cli::lines::Args),
    /// Split French text into sentences, one per line.
    Segment(cli::segment::Args),
    /// Translate a whole article into bilingual Markdown, HTML, text, JSONL or TMX.
    Translate(cli::translate::Args),
    /// Translate every article of a directory into a mirrored output tree.
    Batch(cli::batch::Args),
    /// List the models passeur knows by name and whether each is in the local cache.
    Models(cli::models::ModelsArgs),
    /// Download a model into the Hugging Face cache ahead of time.
    Fetch(cli::models::FetchArgs),
}

/// `passeur --version`: the version, then which CPU kernels this machine runs.
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{}\n{}",
            env!("CARGO_PKG_VERSION"),
            passeur::cpu::describe()
        )
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Lines(args) => cli::lines::run(args),
        Command::Segment(args) => cli::segment::run(args),
        Command::Translate(args) => cli::translate::run(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Models(args) => cli::models::run_models(args),
        Command::Fetch(args) => cli::models::run_fetch(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("passeur: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
