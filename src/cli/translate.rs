//! `passeur translate` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `passeur translate`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `passeur translate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur translate` is not implemented yet")
}
