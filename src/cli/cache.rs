//! `passeur cache merge CACHE… -o OUT` and `passeur cache compact CACHE`: sentence caches (the
//! files of `passeur batch --cache`) without repeats or damaged lines.
//!
//! Concatenated caches (`cat cache-*.log > cache.log`) are already a valid cache, but keep every
//! repeat; `merge` writes each distinct entry once (the last one read of each), `compact` does the
//! same to one file in place. Both write to a temporary file renamed over the output, and lock the
//! output meanwhile, so a batch run never sees it half-written.

use anyhow::Context;
use passeur::batch;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `passeur cache`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Merge sentence caches into one, each entry once, damaged lines left out.
    Merge {
        /// The caches to merge (later files win for an entry found in several).
        #[arg(value_name = "CACHE", required = true)]
        inputs: Vec<PathBuf>,
        /// The merged cache to write (may be one of the inputs); its directory is created.
        #[arg(short, long = "output", value_name = "OUT")]
        output: PathBuf,
    },
    /// Rewrite a sentence cache in place without repeats or damaged lines.
    Compact {
        /// The cache to compact.
        #[arg(value_name = "CACHE")]
        cache: PathBuf,
    },
}

/// Runs `passeur cache`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (inputs, output): (Vec<&Path>, &Path) = match &args.command {
        Command::Merge { inputs, output } => {
            (inputs.iter().map(PathBuf::as_path).collect(), output)
        }
        Command::Compact { cache } => (vec![cache.as_path()], cache),
    };
    let report = batch::merge_caches(&inputs, output)
        .with_context(|| format!("writing the sentence cache {}", output.display()))?;
    eprintln!(
        "passeur: {} records read from {} files ({} repeats and {} damaged lines left out); {} \
         written to {}",
        report.records,
        report.files,
        report.repeats,
        report.damaged,
        report.written,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}
