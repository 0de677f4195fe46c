//! `passeur lines` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `passeur lines`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `passeur lines`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur lines` is not implemented yet")
}
