//! `passeur batch` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `passeur batch`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `passeur batch`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur batch` is not implemented yet")
}
