//! `passeur translate` end to end, on inputs that need no model: bad input refused with nothing
//! written, empty and number-only documents, encodings, stdin, output checks.

use assert_cmd::Command;
use std::path::Path;

fn passeur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passeur"))
}

fn entries(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn binary_input_is_refused_and_nothing_is_written() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("photo.txt");
    std::fs::write(&input, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    let existing = directory.path().join("old.md");
    std::fs::write(&existing, "previous output").unwrap();
    for output in ["new.md", "old.md"] {
        let result = passeur()
            .arg("translate")
            .arg(&input)
            .arg("-o")
            .arg(directory.path().join(output))
            .output()
            .unwrap();
        assert_eq!(result.status.code(), Some(1));
        let message = stderr(&result);
        assert!(message.starts_with("passeur: error: "), "{message}");
        assert!(
            message.contains("photo.txt") && message.contains("binary"),
            "{message}"
        );
    }
    assert_eq!(
        entries(directory.path()),
        ["old.md", "photo.txt"],
        "no new or temporary file"
    );
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "previous output"
    );
}

#[test]
fn input_needing_a_model_that_cannot_be_built_writes_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("article.txt");
    std::fs::write(&input, "Le président a reçu M. Wang lundi.\n").unwrap();
    let result = passeur()
        .arg("translate")
        .arg(&input)
        .args(["--model", "/nonexistent/passeur-test-model", "-o"])
        .arg(directory.path().join("out.html"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1), "{}", stderr(&result));
    assert!(stderr(&result).starts_with("passeur: error: "));
    assert_eq!(entries(directory.path()), ["article.txt"]);
}

#[test]
fn an_empty_file_is_an_empty_document() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("empty.txt");
    std::fs::write(&input, "").unwrap();
    for (name, check) in [
        ("out.jsonl", (|s: &str| s.is_empty()) as fn(&str) -> bool),
        ("out.txt", |s: &str| s.is_empty()),
        ("out.tmx", |s: &str| {
            s.contains("<body>\n  </body>") && !s.contains("<tu")
        }),
        ("out.html", |s: &str| {
            s.contains("</html>") && !s.contains("data-pair=\"")
        }),
        ("out.md", |s: &str| {
            s.starts_with("---\n") && s.trim_end().ends_with("---")
        }),
    ] {
        let output = directory.path().join(name);
        passeur()
            .arg("translate")
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .assert()
            .success();
        let written = std::fs::read_to_string(&output).unwrap();
        assert!(check(&written), "{name}: {written:?}");
    }
}

#[test]
fn windows_1252_markdown_is_decoded_and_reported() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("note.md");
    // Windows-1252: a fenced code block (never translated) with "Le cœur à 5 € ’", and "2013".
    std::fs::write(&input, b"```\nLe c\x9cur \xe0 5 \x80 \x92\n```\n\n2013\n").unwrap();
    let result = passeur()
        .arg("translate")
        .arg(&input)
        .args(["--format", "txt", "-v"])
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        String::from_utf8(result.stdout.clone()).unwrap(),
        "```\nLe cœur à 5 € ’\n```\n\n2013\n"
    );
    let message = stderr(&result);
    assert!(
        message.contains("note.md: windows-1252 (guessed)"),
        "{message}"
    );
}

#[test]
fn utf16_stdin_with_crlf_gives_ranges_into_the_normalised_text() {
    let text = "5.000\r\n\r\n17-11-2013\r\n";
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let result = passeur()
        .args(["translate", "-", "--format", "jsonl", "--quiet"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(result.stderr.is_empty(), "--quiet prints nothing");
    let normalised = "5.000\n\n17-11-2013\n";
    let lines: Vec<serde_json::Value> = String::from_utf8(result.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for (line, expected) in lines.iter().zip(["5.000", "17-11-2013"]) {
        let (start, end) = (
            line["start"].as_u64().unwrap() as usize,
            line["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&normalised[start..end], expected);
        assert_eq!(line["source"], expected);
        assert_eq!(line["target"], expected);
        assert_eq!(line["status"], "passthrough");
    }
    assert_eq!(lines[1]["paragraph"], 1);
}

#[test]
fn summary_reports_counts_unless_quiet() {
    let result = passeur()
        .args(["translate", "--format", "md"])
        .write_stdin("2013\n\n5.000 – 26.469,89\n")
        .output()
        .unwrap();
    assert!(result.status.success());
    let message = stderr(&result);
    assert!(message.contains("2 sentences in 2 paragraphs"), "{message}");
    assert!(message.contains("0 split to fit the model"), "{message}");
    let markdown = String::from_utf8(result.stdout).unwrap();
    assert!(markdown.contains("decoding: \"none (nothing to translate; no model was loaded)\""));
    assert!(
        markdown.ends_with("2013\n\n5.000 – 26.469,89\n"),
        "{markdown}"
    );
}

#[test]
fn bad_options_fail_before_reading_anything() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("article.txt");
    std::fs::write(&input, "2013\n").unwrap();
    // Exit 1 for passeur's own errors, 2 for command-line usage errors (clap's convention), also
    // those found after parsing (an output extension, an encoding label).
    let run = |code: i32, args: &[&str]| {
        let result = passeur()
            .arg("translate")
            .arg(&input)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            result.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&result)
        );
        stderr(&result)
    };
    let unknown = directory.path().join("out.docx");
    assert!(run(2, &["-o", unknown.to_str().unwrap()]).contains("give it an extension .md, .html"));
    let missing = directory.path().join("no/such/dir/out.md");
    assert!(run(1, &["-o", missing.to_str().unwrap()]).contains("output directory does not exist"));
    let over_input = run(1, &["-o", input.to_str().unwrap(), "--format", "txt"]);
    assert!(over_input.contains("overwrite the input"), "{over_input}");
    assert!(run(2, &["--encoding", "klingon"]).contains("unknown encoding `klingon`"));
    assert!(run(2, &["--format", "docx"]).contains("choose md, html, txt, jsonl, tmx or page"));
    assert!(run(2, &["--max-sentence-tokens", "3"]).contains("at least 8"));
    assert!(run(2, &["--beams", "0"]).contains("use 1 (greedy) or more"));
    assert_eq!(entries(directory.path()), ["article.txt"]);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "2013\n");

    let result = passeur()
        .args(["translate", "/nonexistent/article.txt"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("/nonexistent/article.txt"));
}

#[test]
fn format_follows_the_output_extension_and_input_format_the_input_extension() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("page.md");
    std::fs::write(&input, "```\nDu code.\n```\n").unwrap();
    let output = directory.path().join("page.tmx");
    passeur()
        .arg("translate")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .assert()
        .success();
    let tmx = std::fs::read_to_string(&output).unwrap();
    assert!(tmx.contains("datatype=\"x-markdown\""), "{tmx}");
    assert!(!tmx.contains("<tu"), "code is not translated: {tmx}");

    // Read as plain text, the same file is three lines of prose that need the model.
    let result = passeur()
        .arg("translate")
        .arg(&input)
        .args([
            "--input-format",
            "text",
            "--model",
            "/nonexistent/passeur-test-model",
        ])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
}

#[test]
fn the_summary_counts_in_the_singular_and_calls_an_empty_input_empty() {
    let run = |input: &str| {
        let result = passeur()
            .args(["translate", "--format", "txt"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
        stderr(&result)
    };
    let one = run("2013\n");
    assert!(
        one.contains("<stdin>: 1 sentence in 1 paragraph ("),
        "{one}"
    );
    let empty = run("");
    assert!(
        empty.contains("<stdin>: empty; nothing translated → standard output [txt]"),
        "{empty}"
    );
    assert!(!empty.contains("translated,"), "{empty}");
}

#[test]
fn errors_show_their_cause_once_and_end_with_what_to_do() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing.txt");
    let result = passeur().arg("translate").arg(&missing).output().unwrap();
    assert_eq!(result.status.code(), Some(1));
    let message = stderr(&result);
    assert_eq!(
        message.matches("No such file or directory").count(),
        1,
        "{message}"
    );

    // A model that is neither cached nor reachable: the advice names a model folder, a mirror
    // and `passeur fetch`.
    let input = directory.path().join("a.txt");
    std::fs::write(&input, "Bonjour le monde.\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let result = passeur()
        .arg("translate")
        .arg(&input)
        .env("HF_HUB_CACHE", directory.path().join("cache"))
        .env_remove("HF_HUB_OFFLINE")
        .env("HF_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("PASSEUR_DOWNLOAD_RETRIES", "0")
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let message = stderr(&result);
    let help = message
        .lines()
        .find(|l| l.starts_with("passeur: help: "))
        .unwrap_or_else(|| panic!("no advice: {message}"));
    for words in ["--model", "HF_ENDPOINT", "passeur fetch opus-mt-fr-en"] {
        assert!(help.contains(words), "{help:?} lacks {words:?}");
    }
    assert!(entries(directory.path()).iter().all(|e| e != "a.txt.md"));
}
