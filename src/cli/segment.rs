//! `passeur segment` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `passeur segment`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `passeur segment`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur segment` is not implemented yet")
}
