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
