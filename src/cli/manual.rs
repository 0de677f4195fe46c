//! `passeur completions SHELL` and `passeur man`: shell completions (clap_complete) and manual
//! pages (clap_mangen), both generated from the command's own clap definitions, so every
//! subcommand and option, including ones added later, is covered without a second list.

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `passeur completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// Arguments of `passeur man`.
#[derive(clap::Args)]
pub struct ManArgs {
    /// Write passeur.1 and one page per subcommand (passeur-translate.1, …) into this existing
    /// folder instead of printing passeur.1 on standard output.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell`.
pub fn run_completions(
    args: CompletionsArgs,
    mut command: clap::Command,
) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "passeur", &mut script);
    write_stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the manual page, or writes every page into `--out-dir`.
pub fn run_man(args: ManArgs, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    command.build();
    let Some(dir) = args.out_dir else {
        write_stdout(&render(&command)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    if !dir.is_dir() {
        return Err(super::UsageError(format!(
            "{}: not a folder; --out-dir takes an existing folder",
            dir.display()
        ))
        .into());
    }
    let mut pages = vec![("passeur.1".to_owned(), render(&command)?)];
    // clap's own `help` subcommand needs no page.
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_display_name().unwrap_or(sub.get_name()).to_owned();
        pages.push((format!("{name}.1"), render(sub)?));
    }
    for (name, page) in pages {
        let path = dir.join(&name);
        passeur::write::write_atomically(&path, &page)?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn render(command: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .context("rendering the manual page")?;
    Ok(page)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}
