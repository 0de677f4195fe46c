//! The cases of the bad-input and fault audit (issue 17), end to end through the `passeur` binary:
//! special output files, inputs that are binary, endless or too large, `lines` as a streaming
//! filter, broken pipes. Each test fails on the code before the fix it checks.

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn passeur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passeur"))
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits for `receiver` for at most `patience`, so that a command that never answers fails the
/// test instead of hanging it (a liveness bound, not a speed measurement).
fn within<T>(receiver: &std::sync::mpsc::Receiver<T>, patience: Duration, what: &str) -> T {
    receiver
        .recv_timeout(patience)
        .unwrap_or_else(|_| panic!("{what}: nothing after {patience:?}"))
}

#[cfg(unix)]
#[test]
fn translate_writes_through_a_symbolic_link_and_keeps_it() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("chiffres.txt");
    std::fs::write(&input, "2024\n").unwrap();
    std::fs::create_dir(directory.path().join("real")).unwrap();
    let target = directory.path().join("real/out.md");
    std::fs::write(&target, "old").unwrap();
    let link = directory.path().join("link.md");
    std::os::unix::fs::symlink("real/out.md", &link).unwrap();
    passeur()
        .arg("translate")
        .arg(&input)
        .arg("-o")
        .arg(&link)
        .assert()
        .success();
    let kind = std::fs::symlink_metadata(&link).unwrap().file_type();
    assert!(kind.is_symlink(), "-o through a link keeps the link");
    assert!(std::fs::read_to_string(&target).unwrap().contains("2024"));
}

#[cfg(unix)]
#[test]
fn translate_into_a_device_writes_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("chiffres.txt");
    std::fs::write(&input, "2024\n").unwrap();
    let null = directory.path().join("null");
    let made = rustix::fs::mknodat(
        rustix::fs::CWD,
        &null,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_bits_truncate(0o666),
        rustix::fs::makedev(1, 3),
    );
    if made.is_err() {
        eprintln!("skipped: cannot create a device node here (needs root)");
        return;
    }
    passeur()
        .arg("translate")
        .arg(&input)
        .args(["--format", "md", "-o"])
        .arg(&null)
        .assert()
        .success();
    let kind = std::fs::symlink_metadata(&null).unwrap().file_type();
    assert!(kind.is_char_device(), "the device is still a device");
}

#[test]
fn an_elf_binary_is_named_as_such_without_a_utf16_hint() {
    let output = passeur()
        .arg("translate")
        .arg(env!("CARGO_BIN_EXE_passeur"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("ELF"), "{message}");
    assert!(
        !message.contains("utf-16") && !message.contains("every other byte"),
        "{message}"
    );
}

#[test]
fn a_binary_over_the_size_limit_is_named_as_binary() {
    let output = passeur()
        .arg("translate")
        .arg(env!("CARGO_BIN_EXE_passeur"))
        .args(["--max-input-size", "64K"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("ELF") && !message.contains("size limit"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn an_endless_binary_device_is_refused_at_once() {
    for command in ["translate", "segment", "lines"] {
        let output = passeur()
            .args([command, "/dev/zero"])
            .args(
                ["-m", "/nonexistent/model"]
                    .iter()
                    .filter(|_| command != "segment"),
            )
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        let message = stderr(&output);
        assert!(
            message.contains("/dev/zero") && message.contains("NUL byte at offset 0"),
            "{command}: {message}"
        );
    }
}

#[test]
fn an_input_over_the_size_limit_is_refused_with_the_limit_named() {
    let directory = tempfile::tempdir().unwrap();
    let input = directory.path().join("gros.txt");
    std::fs::write(&input, "Bonjour le monde. ".repeat(120_000)).unwrap();
    let output = passeur()
        .arg("translate")
        .arg(&input)
        .args(["--max-input-size", "1M", "-m", "/nonexistent/model"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("gros.txt")
            && message.contains("2.1 MiB is over")
            && message.contains("limit of 1 MiB")
            && message.contains("--max-input-size"),
        "{message}"
    );
    // A stream is cut off as soon as it passes the limit: the writer is left with unread text.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .args(["segment", "--max-input-size", "64K"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let line = "Bonjour le monde.\n".repeat(1000);
        let mut written = 0usize;
        while written < 64 << 20 {
            if stdin.write_all(line.as_bytes()).is_err() {
                return written;
            }
            written += line.len();
        }
        written
    });
    let status = child.wait().unwrap();
    let mut message = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut message)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{message}");
    assert!(
        message.contains("goes past the input size limit of 64 KiB"),
        "{message}"
    );
    assert!(
        writer.join().unwrap() < 64 << 20,
        "the reader stopped early"
    );
}

#[test]
fn lines_streams_translations_before_its_input_ends() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .args(["lines", "--beams", "1", "--max-new-tokens", "16", "-m"])
        .arg(fixture())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // Three lines, and the input stays open, as with `yes … | passeur lines`.
    stdin
        .write_all(b"Bonjour le monde.\n\nIl fait beau.\n")
        .unwrap();
    stdin.flush().unwrap();
    let patience = Duration::from_secs(120);
    let answered: Vec<String> = (0..3)
        .map(|_| within(&receiver, patience, "lines with its input still open"))
        .collect();
    assert!(!answered[0].is_empty() && answered[1].is_empty() && !answered[2].is_empty());
    stdin.write_all(b"Merci.\n").unwrap();
    drop(stdin);
    assert!(!within(&receiver, patience, "the last line").is_empty());
    assert!(child.wait().unwrap().success());
}

#[cfg(unix)]
#[test]
fn lines_at_a_terminal_says_it_reads_standard_input() {
    let (mut master, slave) = open_pty();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .args(["lines", "-m", "/nonexistent/model"])
        .stdin(slave)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // An empty line, then end of input (Ctrl-D), as a person would type them.
    master.write_all(b"\n\x04").unwrap();
    let output = output.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("reading French text from standard input (end it with Ctrl-D)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(output.stdout, b"\n");
}

/// A pseudo-terminal: its master side (what a terminal emulator writes to) and its slave side (what
/// a program reads as its terminal).
#[cfg(unix)]
fn open_pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers; the other arguments may be null.
    let status = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(status, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    }
}

/// Runs `passeur ARGS` with `input` on stdin and its stdout closed before it writes, as
/// `passeur … | head -0` does; returns the exit status and stderr.
fn with_stdout_closed(args: &[&str], input: Vec<u8>) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The command may stop reading once its output is gone.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (output.status.code(), stderr(&output))
}

#[test]
fn a_closed_stdout_ends_every_filter_quietly_with_status_0() {
    let sentences = "Il fait beau. M. Wang est là.\n"
        .repeat(20_000)
        .into_bytes();
    let paragraphs = "{\"text\": \"Il fait beau. M. Wang est là.\"}\n"
        .repeat(20_000)
        .into_bytes();
    let numbers = "2024\n\n".repeat(20_000).into_bytes();
    let model = fixture();
    let model = model.to_str().unwrap();
    for (args, input) in [
        (vec!["translate", "-m", model], numbers.clone()),
        (vec!["segment"], sentences),
        (vec!["segment", "--jsonl"], paragraphs),
        (
            vec!["lines", "-m", model],
            "\n".repeat(200_000).into_bytes(),
        ),
    ] {
        let (status, message) = with_stdout_closed(&args, input);
        assert_eq!(status, Some(0), "{args:?}: {message}");
        assert!(message.is_empty(), "{args:?} printed: {message}");
    }
}

#[test]
fn shard_auto_reads_a_slurm_array_from_zero() {
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..6 {
        std::fs::write(input.join(format!("{i}.txt")), format!("{i}\n")).unwrap();
    }
    let mut done = 0;
    // `#SBATCH --array=0-1`: task ids 0 and 1, two tasks.
    for id in ["0", "1"] {
        let result = passeur()
            .args(["batch", "-q", "--shard", "auto", "-m"])
            .arg(fixture())
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_TASK_MIN", "0")
            .env("SLURM_ARRAY_TASK_MAX", "1")
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .output()
            .unwrap();
        assert!(result.status.success(), "{}", stderr(&result));
        let k = if id == "0" { 1 } else { 2 };
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(output.join(format!("summary.{k}-of-2.json"))).unwrap(),
        )
        .unwrap();
        done += summary["done"].as_u64().unwrap();
    }
    assert_eq!(done, 6, "every input once");
    // The totals of both shards, without a model.
    let result = passeur()
        .args(["batch", "--summary", "-m", "/nonexistent/model"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("6 inputs: 6 done, 0 failed, 0 not done yet"));
    // Outside a job array, auto is a usage error that says why.
    let result = passeur()
        .args(["batch", "--shard", "auto"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(
        stderr(&result).contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        stderr(&result)
    );
}

#[test]
fn cache_merge_and_compact_leave_each_entry_once() {
    use passeur::batch::SentenceCache;
    use passeur::translate::{Provenance, SentenceTranslation};
    let root = tempfile::tempdir().unwrap();
    let provenance = Provenance {
        model: "m".into(),
        revision: None,
        decoding: "d".into(),
        passeur_version: "0".into(),
    };
    let (a, b) = (root.path().join("a.log"), root.path().join("b.log"));
    for (path, sentences) in [(&a, ["Un.", "Deux."]), (&b, ["Deux.", "Trois."])] {
        let mut cache = SentenceCache::open(path, &provenance).unwrap();
        for sentence in sentences {
            cache
                .insert(
                    sentence,
                    &SentenceTranslation::new(sentence.to_uppercase(), None),
                )
                .unwrap();
        }
    }
    // A task killed in the middle of a record, then `cat`: only the torn record is lost.
    let mut torn = std::fs::read(&a).unwrap();
    let half = torn.len() - 10;
    torn.truncate(half);
    let mut concatenated = std::fs::read(&a).unwrap();
    concatenated.extend_from_slice(&torn);
    concatenated.extend_from_slice(&std::fs::read(&b).unwrap());
    let cat = root.path().join("cat.log");
    std::fs::write(&cat, concatenated).unwrap();
    let merged = root.path().join("merged/all.log");
    let result = passeur()
        .args(["cache", "merge"])
        .arg(&cat)
        .arg(&a)
        .arg("-o")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("1 damaged lines") && stderr(&result).contains("3 written"),
        "{}",
        stderr(&result)
    );
    let mut cache = SentenceCache::open(&merged, &provenance).unwrap();
    assert_eq!(cache.stats().entries_at_open, 3);
    assert_eq!(cache.get("Trois.").unwrap().unwrap().text, "TROIS.");
    drop(cache);
    let result = passeur()
        .args(["cache", "compact"])
        .arg(&cat)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("3 written"), "{}", stderr(&result));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_a_batch_gracefully_with_its_summary() {
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..400 {
        std::fs::write(
            input.join(format!("a{i:03}.txt")),
            format!(
                "Article numéro {i}. Le président a reçu M. Wang lundi {i}.\n\nIl fait beau à \
                 Paris, dit-il le {i} mars.\n"
            ),
        )
        .unwrap();
    }
    let batch = |output: &Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"));
        command
            .args(["batch", "-q", "--beams", "1", "--max-new-tokens", "8", "-m"])
            .arg(fixture())
            .arg(&input)
            .arg("-o")
            .arg(output)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    let mut child = batch(&output).spawn().unwrap();
    // Once something is recorded, the run is under way: ask it to stop, as `scancel` does.
    let manifest = output.join(".passeur/manifest.log");
    let waited = std::time::Instant::now();
    while std::fs::metadata(&manifest).map_or(0, |m| m.len()) == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(300),
            "nothing recorded after 300 s"
        );
        assert!(child.try_wait().unwrap().is_none(), "the batch ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill only sends a signal to the child started above.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let result = child.wait_with_output().unwrap();
    assert_eq!(result.status.code(), Some(143), "{}", stderr(&result));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(output.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], "SIGTERM");
    let done = summary["done"].as_u64().unwrap();
    assert!(done > 0 && done < 400, "done {done}");
    // What is recorded is on disk, whole; nothing temporary is left.
    let records = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(records.lines().count() as u64, done);
    for line in records.lines() {
        let record: serde_json::Value =
            serde_json::from_str(line.split_once(' ').unwrap().1).unwrap();
        let path = record["outputs"][0]["path"].as_str().unwrap();
        let bytes = record["outputs"][0]["bytes"].as_u64().unwrap();
        assert_eq!(std::fs::metadata(output.join(path)).unwrap().len(), bytes);
    }
    let leftovers = std::fs::read_dir(&output)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".passeur-tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
    // A rerun does the rest.
    let rerun = batch(&output).output().unwrap();
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(output.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["skipped"].as_u64().unwrap(), done);
    assert_eq!(summary["done"].as_u64().unwrap(), 400 - done);
}

#[cfg(unix)]
#[test]
fn a_full_disk_names_the_manifest_and_the_missing_summary() {
    use std::os::unix::process::CommandExt;
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    std::fs::create_dir_all(&input).unwrap();
    // Numbers only: nothing for the model, so no sentence cache grows; only outputs and records.
    for i in 0..10 {
        std::fs::write(input.join(format!("{i}.txt")), format!("{i}\n")).unwrap();
    }
    let batch = |output: &Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passeur"));
        command
            .args(["batch", "-q", "-m"])
            .arg(fixture())
            .arg(&input)
            .arg("-o")
            .arg(output);
        command
    };
    // A run with room shows the sizes: one manifest record, the summary.
    let roomy = root.path().join("roomy");
    assert!(batch(&roomy).status().unwrap().success());
    let manifest = std::fs::read_to_string(roomy.join(".passeur/manifest.log")).unwrap();
    let record = manifest.lines().next().unwrap().len() as u64 + 1;
    let summary = std::fs::metadata(roomy.join("summary.json")).unwrap().len();
    assert!(record < summary, "record {record}, summary {summary}");
    // No file may grow past halfway between them: outputs and the first record fit, the second
    // record and the summary do not, as on a disk that fills up.
    let limit = (record + summary) / 2;
    let mut command = batch(&output);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let result = command.output().unwrap();
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains("manifest.log") && message.contains("File too large"),
        "the write that stopped the run is named: {message}"
    );
    assert!(
        message.contains("the summary could not be written either"),
        "{message}"
    );
    assert!(!output.join("summary.json").exists());
}
