//! The `passeur` command: a thin clap shell over the library.

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Translate French articles into English on your own machine, with the French kept alongside.
#[derive(Parser)]
#[command(name = "passeur", version, long_version = long_version(), about, long_about = None, after_help = cli::help::MAIN)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Translate one sentence per line (file or stdin) and print one translation per line.
    #[command(after_help = cli::help::LINES)]
    Lines(cli::lines::Args),
    /// Split French text into sentences, one per line.
    #[command(after_help = cli::help::SEGMENT)]
    Segment(cli::segment::Args),
    /// Translate a whole article into bilingual Markdown, HTML, text, JSONL or TMX.
    #[command(after_help = cli::help::TRANSLATE)]
    Translate(cli::translate::Args),
    /// Translate every article of a directory into a mirrored output tree.
    #[command(after_help = cli::help::BATCH)]
    Batch(cli::batch::Args),
    /// Show each known model's files in the local cache (present, where, missing) and the CPU
    /// path and threads translation will use.
    #[command(after_help = cli::help::MODELS)]
    Models(cli::models::ModelsArgs),
    /// Download a model into the Hugging Face cache ahead of time.
    #[command(after_help = cli::help::FETCH)]
    Fetch(cli::models::FetchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = cli::help::COMPLETIONS)]
    Completions(cli::manual::CompletionsArgs),
    /// Print the manual page (roff), or write one page per subcommand into a folder.
    #[command(after_help = cli::help::MAN)]
    Man(cli::manual::ManArgs),
    /// Merge or compact the sentence caches of `passeur batch --cache`.
    #[command(after_help = cli::help::CACHE)]
    Cache(cli::cache::Args),
    /// Serve translations over HTTP (LibreTranslate-compatible API), batching concurrent requests.
    #[cfg(feature = "serve")]
    #[command(after_help = cli::help::SERVE)]
    Serve(cli::serve::Args),
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
    cli::heap::keep_freed_memory();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Lines(args) => cli::lines::run(args),
        Command::Segment(args) => cli::segment::run(args),
        Command::Translate(args) => cli::translate::run(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Models(args) => cli::models::run_models(args),
        Command::Fetch(args) => cli::models::run_fetch(args),
        Command::Completions(args) => cli::manual::run_completions(args, Cli::command()),
        Command::Man(args) => cli::manual::run_man(args, Cli::command()),
        Command::Cache(args) => cli::cache::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => cli::serve::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            // The chain, each cause once (library errors show what they wrap themselves).
            eprintln!("passeur: error: {err:#}");
            if let Some(advice) = cli::advice::advice(&err) {
                eprintln!("passeur: help: {advice}");
            }
            cli::exit_code(&err)
        }
    }
}
