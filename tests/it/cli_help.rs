//! The command line teaches itself: examples and exit codes in every `--help`, shell
//! completions and manual pages generated from the same definitions, so that they cover every
//! subcommand, including ones added later.

use assert_cmd::Command;

fn passeur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passeur"))
}

fn stdout(args: &[&str]) -> String {
    let output = passeur().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The subcommands, as `passeur --help` lists them.
fn subcommands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands section")
        .split("\n\n")
        .next()
        .unwrap();
    commands
        .lines()
        // A name at two spaces; description lines wrapped under it are indented further.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_help_has_examples_and_exit_codes() {
    let commands = subcommands();
    for expected in ["translate", "batch", "lines", "segment", "models", "fetch"] {
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
    }
    let main = stdout(&["--help"]);
    assert!(
        main.contains("Examples:") && main.contains("Exit status:"),
        "{main}"
    );
    for command in &commands {
        for flag in ["-h", "--help"] {
            let help = stdout(&[command, flag]);
            assert!(
                help.contains("\nExamples:\n  "),
                "{command} {flag}:\n{help}"
            );
            assert!(help.contains("Exit status: 0"), "{command} {flag}:\n{help}");
            assert!(help.contains("2 usage error"), "{command} {flag}:\n{help}");
        }
    }
}

#[test]
fn completions_cover_every_subcommand() {
    let commands = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        for command in &commands {
            assert!(script.contains(command.as_str()), "{shell} lacks {command}");
        }
        assert!(
            script.contains("max-sentence-tokens"),
            "{shell}: options too"
        );
    }
    let bad = passeur().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn manual_pages_cover_every_subcommand() {
    let page = stdout(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH passeur 1"),
        "{page}"
    );
    for command in subcommands() {
        assert!(page.contains(&command), "passeur.1 lacks {command}");
    }
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    let translate = std::fs::read_to_string(dir.path().join("passeur-translate.1")).unwrap();
    assert!(translate.contains(".TH passeur-translate 1"), "{translate}");
    assert!(translate.contains("max\\-sentence\\-tokens"), "{translate}");
    assert!(translate.contains("Examples:"), "examples in the page too");
    assert_eq!(listed.lines().count(), 1 + subcommands().len(), "{listed}");
    let missing = passeur()
        .args(["man", "--out-dir", "/nonexistent/passeur-man"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn batch_has_a_verbose_flag() {
    let help = stdout(&["batch", "--help"]);
    assert!(help.contains("-v, --verbose"), "{help}");
}
