//! `passeur batch` end to end: usage errors that must fail before any model is loaded, and the
//! whole issue-5 scenario on the fixture model (`tests/fixtures/marian-tiny`, random weights:
//! gibberish English, but real tokenizer, model and search): the generated folder, exit status,
//! summary, rerun, a changed input, two shards, and a real `passeur batch` process killed with
//! SIGKILL in the middle of its run.

use crate::batch_corpus;

use assert_cmd::Command;
use batch_corpus::{generate, generate_distinct, good_inputs, BINARY_INPUT};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/marian-tiny");

fn passeur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passeur"))
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `passeur batch IN -o OUT --model marian-tiny --beams 1 -f md,jsonl` plus `extra`.
fn batch(input: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    passeur()
        .arg("batch")
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(["--model", MODEL, "--beams", "1", "--format", "md,jsonl"])
        .args(extra)
        .output()
        .unwrap()
}

/// Visible files under `directory` (hidden ones, `.passeur/` and the summaries left out), with
/// their modification times.
fn outputs(directory: &Path) -> BTreeMap<String, SystemTime> {
    let mut files = BTreeMap::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else if !(dir == directory && name.starts_with("summary")) {
                let relative = entry.path().strip_prefix(directory).unwrap().to_path_buf();
                files.insert(
                    relative.to_string_lossy().into_owned(),
                    entry.metadata().unwrap().modified().unwrap(),
                );
            }
        }
    }
    files
}

fn hidden_temporary_files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else if entry
                .file_name()
                .to_string_lossy()
                .ends_with(".passeur-tmp")
            {
                found.push(entry.path());
            }
        }
    }
    found
}

fn summary(output_dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(output_dir.join(name)).unwrap()).unwrap()
}

/// The manifest records, all files together.
fn manifest_records(output_dir: &Path) -> Vec<serde_json::Value> {
    let Ok(entries) = std::fs::read_dir(output_dir.join(".passeur")) else {
        return Vec::new();
    };
    let mut records = Vec::new();
    for entry in entries {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for line in text.lines() {
            if let Some(value) = line
                .split_once(' ')
                .and_then(|(_, json)| serde_json::from_str(json).ok())
            {
                records.push(value);
            }
        }
    }
    records
}

#[test]
fn a_missing_input_directory_is_refused_before_anything_is_created() {
    let root = tempfile::tempdir().unwrap();
    let output = root.path().join("out");
    let result = passeur()
        .arg("batch")
        .arg(root.path().join("nowhere"))
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let message = stderr(&result);
    assert!(
        message.contains("nowhere") && message.contains("not a directory"),
        "{message}"
    );
    assert!(!output.exists());
}

#[test]
fn bad_shard_format_and_pattern_are_refused_with_the_reason() {
    let root = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        passeur()
            .arg("batch")
            .arg(root.path())
            .args(["-o", "/nonexistent/out"])
            .args(args)
            .output()
            .unwrap()
    };
    let shard = run(&["--shard", "0/4"]);
    assert_eq!(shard.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&shard).contains("shards are numbered from 1"),
        "{}",
        stderr(&shard)
    );
    let format = run(&["--format", "md,pdf"]);
    assert_eq!(format.status.code(), Some(2));
    assert!(
        stderr(&format).contains("unknown output format `pdf`"),
        "{}",
        stderr(&format)
    );
    let pattern = run(&["--include", "[a"]);
    assert_eq!(pattern.status.code(), Some(2));
    assert!(
        stderr(&pattern).contains("invalid pattern `[a`"),
        "{}",
        stderr(&pattern)
    );
}

#[test]
fn the_issue_scenario_on_the_fixture_model() {
    let root = tempfile::tempdir().unwrap();
    let input = generate(&root.path().join("in"));
    let output = root.path().join("out");

    // First run: every good input has its outputs, the binary one is reported, exit status 3.
    let first = batch(&input, &output, &[]);
    let message = stderr(&first);
    assert_eq!(first.status.code(), Some(3), "{message}");
    assert!(
        message.contains(&format!("failed: {BINARY_INPUT}")),
        "{message}"
    );
    assert!(message.contains("binary"), "{message}");
    assert!(message.contains("summary written to"), "{message}");
    let expected: BTreeSet<String> = good_inputs()
        .iter()
        .flat_map(|i| [format!("{i}.md"), format!("{i}.jsonl")])
        .collect();
    let written = outputs(&output);
    assert_eq!(written.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let first_summary = summary(&output, "summary.json");
    assert_eq!(first_summary["done"], good_inputs().len());
    assert_eq!(first_summary["failed"], 1);
    assert_eq!(first_summary["failures"][0]["input"], BINARY_INPUT);
    assert!(first_summary["sentences"].as_u64().unwrap() > 100);
    assert!(first_summary["tokens"].as_u64().unwrap() > 0);
    assert!(first_summary["cache_hits"].as_u64().unwrap() >= 29);
    let provenance_model = first_summary["provenance"]["model"].as_str().unwrap();
    assert!(
        provenance_model.contains("marian-tiny"),
        "{provenance_model}"
    );
    // Every JSONL line is a sentence pair with the model's provenance.
    let jsonl_path = format!("{}.jsonl", batch_corpus::article_path(1));
    let jsonl = std::fs::read_to_string(output.join(jsonl_path)).unwrap();
    for line in jsonl.lines() {
        let pair: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(pair["provenance"]["model"]
            .as_str()
            .unwrap()
            .contains("marian-tiny"));
    }

    // Rerun: everything skipped, nothing rewritten, still exit 3 for the binary input.
    let second = batch(&input, &output, &[]);
    assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
    let second_summary = summary(&output, "summary.json");
    assert_eq!(second_summary["skipped"], good_inputs().len());
    assert_eq!(second_summary["done"], 0);
    assert_eq!(second_summary["model_requests"], 0);
    assert_eq!(outputs(&output), written, "no output rewritten");

    // One input changed: only it is redone.
    let changed = batch_corpus::article_path(4);
    std::fs::write(
        input.join(&changed),
        "Article 4\n\nUne phrase toute neuve.\n",
    )
    .unwrap();
    let third = batch(&input, &output, &["--quiet"]);
    assert_eq!(third.status.code(), Some(3));
    let quiet = stderr(&third);
    assert!(!quiet.contains("summary written"), "--quiet: {quiet}");
    assert!(
        quiet.contains(&format!("failed: {BINARY_INPUT}")),
        "failures still shown"
    );
    assert_eq!(summary(&output, "summary.json")["done"], 1);
    for (name, modified) in outputs(&output) {
        let redone = name.starts_with(&format!("{changed}."));
        assert_eq!(modified != written[&name], redone, "{name}");
    }

    // The fidelity guard is part of the options: turning it off redoes everything.
    let decoding = first_summary["provenance"]["decoding"].as_str().unwrap();
    assert!(decoding.contains("fidelity_guard=on"), "{decoding}");
    let unguarded = batch(&input, &output, &["--no-guard", "--quiet"]);
    assert_eq!(unguarded.status.code(), Some(3));
    let unguarded_summary = summary(&output, "summary.json");
    assert_eq!(unguarded_summary["done"], good_inputs().len());
    let decoding = unguarded_summary["provenance"]["decoding"]
        .as_str()
        .unwrap();
    assert!(!decoding.contains("fidelity_guard"), "{decoding}");
}

#[test]
fn two_shards_cover_the_folder_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let input = generate(&root.path().join("in"));
    let output = root.path().join("out");
    let mut by_shard = Vec::new();
    for k in 1..=2 {
        let run = batch(&input, &output, &["--shard", &format!("{k}/2")]);
        assert!(matches!(run.status.code(), Some(0 | 3)), "{}", stderr(&run));
        let summary = summary(&output, &format!("summary.{k}-of-2.json"));
        let mut inputs: BTreeSet<String> = BTreeSet::new();
        for record in manifest_records(&output) {
            inputs.insert(record["input"].as_str().unwrap().to_string());
        }
        assert_eq!(
            summary["done"].as_u64().unwrap() + summary["failed"].as_u64().unwrap(),
            summary["inputs"].as_u64().unwrap()
        );
        by_shard.push((summary["inputs"].as_u64().unwrap(), inputs));
    }
    let (first_count, first) = &by_shard[0];
    let (second_count, both) = &by_shard[1];
    assert_eq!(first.len() as u64, *first_count);
    assert_eq!(
        first_count + second_count,
        good_inputs().len() as u64 + 1,
        "each input in exactly one shard"
    );
    let mut all: BTreeSet<String> = good_inputs().into_iter().collect();
    all.insert(BINARY_INPUT.to_string());
    assert_eq!(both, &all, "together they cover the folder");
}

#[cfg(unix)]
#[test]
fn a_batch_killed_with_sigkill_resumes_with_no_partial_output() {
    use std::os::unix::process::ExitStatusExt;
    // Enough that the kill comes mid-run (it comes after the second input is done; inputs are
    // written as they finish); each one more costs the rerun about 60 ms.
    const INPUTS: usize = 80;

    let root = tempfile::tempdir().unwrap();
    let input = generate_distinct(&root.path().join("in"), INPUTS);
    let output = root.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .arg("batch")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args([
            "--model", MODEL, "--beams", "1", "--format", "md,html", "--quiet",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let done = |output: &Path| {
        manifest_records(output)
            .iter()
            .filter(|r| r["status"] == "done")
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while done(&output) < 2 {
        assert!(Instant::now() < deadline, "no input finished in 5 minutes");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));

    // Consistent manifest: each input recorded done has both outputs with the recorded bytes.
    let records = manifest_records(&output);
    let recorded: BTreeSet<String> = records
        .iter()
        .filter(|r| r["status"] == "done")
        .map(|r| r["input"].as_str().unwrap().to_string())
        .collect();
    assert!(recorded.len() < INPUTS, "killed before the end");
    for record in records.iter().filter(|r| r["status"] == "done") {
        for file in record["outputs"].as_array().unwrap() {
            let bytes = std::fs::read(output.join(file["path"].as_str().unwrap())).unwrap();
            assert_eq!(bytes.len() as u64, file["bytes"].as_u64().unwrap());
        }
    }
    let visible: BTreeMap<String, Vec<u8>> = outputs(&output)
        .into_keys()
        .map(|name| {
            let bytes = std::fs::read(output.join(&name)).unwrap();
            (name, bytes)
        })
        .collect();

    let rerun = passeur()
        .arg("batch")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args(["--model", MODEL, "--beams", "1", "--format", "md,html"])
        .output()
        .unwrap();
    assert_eq!(rerun.status.code(), Some(0), "{}", stderr(&rerun));
    let after = summary(&output, "summary.json");
    assert_eq!(after["skipped"].as_u64().unwrap(), recorded.len() as u64);
    assert_eq!(
        after["done"].as_u64().unwrap() + after["skipped"].as_u64().unwrap(),
        INPUTS as u64
    );
    assert!(hidden_temporary_files(&output).is_empty());
    // Files visible after the kill were complete: the rerun wrote the same bytes or left them.
    for (name, bytes) in visible {
        assert_eq!(
            std::fs::read(output.join(&name)).unwrap(),
            bytes,
            "{name} was partial"
        );
    }
    assert_eq!(outputs(&output).len(), 2 * INPUTS);
}

#[test]
fn verbose_batch_reports_each_input_once_and_calls_empty_inputs_empty() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.txt"), "Bonjour le monde.\n").unwrap();
    std::fs::write(input.join("empty.txt"), "").unwrap();
    std::fs::write(
        input.join("photo.txt"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    )
    .unwrap();
    let output = root.path().join("out");
    let run = batch(&input, &output, &["-v"]);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(3), "{message}");
    assert_eq!(
        message.matches("failed: photo.txt").count(),
        1,
        "each failure once: {message}"
    );
    assert!(
        message.contains("1 input failed (listed above"),
        "{message}"
    );
    assert!(message.contains("done: a.txt: 1 sentence "), "{message}");
    assert!(
        message.contains("done: empty.txt: no text, nothing to translate"),
        "{message}"
    );
    assert!(
        message.contains("1 input had no text to translate"),
        "{message}"
    );
    let quiet = batch(&input, &root.path().join("out2"), &["-v", "-q"]);
    assert_eq!(quiet.status.code(), Some(2), "-v and -q conflict");
}
