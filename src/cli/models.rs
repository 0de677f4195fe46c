//! `passeur models` and `passeur fetch` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `passeur models`.
#[derive(clap::Args)]
pub struct ModelsArgs {}

/// Arguments of `passeur fetch`.
#[derive(clap::Args)]
pub struct FetchArgs {}

/// Runs `passeur models`.
pub fn run_models(_args: ModelsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur models` is not implemented yet")
}

/// Runs `passeur fetch`.
pub fn run_fetch(_args: FetchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`passeur fetch` is not implemented yet")
}
