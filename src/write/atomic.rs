//! The one way passeur writes an output file: all or nothing.
//!
//! The bytes go to a temporary file in the destination's directory (`.NAME.XXXXXX.passeur-tmp`,
//! same file system, so the final rename is atomic), are flushed to disk, and the file is renamed
//! over the destination. A reader sees the old file or the new one, never half of one. On any
//! error the temporary file is removed.
//!
//! Interruption: callers render their whole output in memory first, so a temporary file exists
//! only while it is written and renamed. [`remove_temporary_files_on_signal`] (called once by the
//! CLI) makes Ctrl-C, SIGTERM and SIGHUP remove any temporary file still in flight before the
//! process exits; a lock orders that cleanup with the rename, so an interrupted write leaves either
//! the complete new file or no trace. Only SIGKILL or a power cut can leave a temporary file,
//! which the pattern above makes easy to recognise.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Temporary files being written, removed by the signal handler.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock(registry: &Mutex<Vec<PathBuf>>) -> MutexGuard<'_, Vec<PathBuf>> {
    registry.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `contents` to `path` atomically (see the module docs). The file gets the permissions a
/// newly created file gets (0666 minus the umask on Unix), not the temporary file's 0600.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomically_with(path, contents, &IN_FLIGHT, || {})
}

/// [`write_atomically`] with the temporary file registered in `registry`, calling `before_rename`
/// once the bytes are on disk (tests use both to interrupt a write).
fn write_atomically_with(
    path: &Path,
    contents: &[u8],
    registry: &Mutex<Vec<PathBuf>>,
    before_rename: impl FnOnce(),
) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        let detail = "the output path does not name a file";
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, detail),
        )
    })?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".passeur-tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = {
        let mut registry = lock(registry);
        let temporary = builder
            .tempfile_in(directory)
            .map_err(|err| Error::io(directory, err))?;
        registry.push(temporary.path().to_path_buf());
        temporary
    };
    let written = temporary
        .write_all(contents)
        .and_then(|()| temporary.as_file().sync_all());
    before_rename();
    let mut registry = lock(registry);
    registry.retain(|p| p != temporary.path());
    written.map_err(|err| Error::io(temporary.path(), err))?;
    temporary
        .persist(path)
        .map_err(|err| Error::io(path, err.error))?;
    Ok(())
}

/// Removes every temporary file still being written. Returns how many were removed.
fn remove_in_flight(registry: &mut Vec<PathBuf>) -> usize {
    registry
        .drain(..)
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}

/// Makes SIGINT (Ctrl-C), SIGTERM and SIGHUP remove in-flight temporary files and exit with
/// status 128 + the signal number (130 for Ctrl-C). Call it once, early; later calls do nothing.
/// Does nothing on platforms without Unix signals.
pub fn remove_temporary_files_on_signal() -> Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
        if INSTALLED.get().is_some() {
            return Ok(());
        }
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .map_err(|err| Error::Message(format!("cannot install the signal handler: {err}")))?;
        std::thread::Builder::new()
            .name("passeur-signals".to_string())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let mut registry = lock(&IN_FLIGHT);
                    remove_in_flight(&mut registry);
                    // Exiting with the lock held keeps any write from renaming after the cleanup.
                    std::process::exit(128 + signal);
                }
            })
            .map_err(|err| Error::Message(format!("cannot start the signal thread: {err}")))?;
        let _ = INSTALLED.set(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces_leaving_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out.md");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(entries(directory.path()), ["out.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_a_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let ordinary = directory.path().join("ordinary");
        std::fs::File::create(&ordinary).unwrap();
        let path = directory.path().join("atomic");
        write_atomically(&path, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&ordinary));
    }

    #[test]
    fn failed_rename_leaves_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let destination = directory.path().join("taken");
        std::fs::create_dir(&destination).unwrap();
        std::fs::write(destination.join("inside"), b"").unwrap();
        let err = write_atomically(&destination, b"x").unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
        assert_eq!(entries(directory.path()), ["taken"]);
    }

    #[test]
    fn missing_directory_is_named() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("no/such/dir/out.md");
        let err = write_atomically(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/dir"), "{err}");
    }

    #[test]
    fn interruption_before_rename_leaves_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out.html");
        let registry = Mutex::new(Vec::new());
        let mut removed = 0;
        let result = write_atomically_with(&path, b"<p>", &registry, || {
            // What the signal thread does on Ctrl-C.
            removed = remove_in_flight(&mut lock(&registry));
        });
        assert_eq!(removed, 1);
        assert!(result.is_err(), "the rename of a removed file must fail");
        assert!(entries(directory.path()).is_empty());
    }
}
