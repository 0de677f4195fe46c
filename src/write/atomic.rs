//! The one way passeur writes an output file: all or nothing, and only where it was asked to.
//!
//! **Regular files** are replaced atomically: the bytes go to a temporary file in the destination's
//! directory (`.NAME.XXXXXX.passeur-tmp`, same file system, so the final rename is atomic), are
//! flushed to disk, and the file is renamed over the destination. A reader sees the old file or the
//! new one, never half of one. On any error the temporary file is removed. A file that already
//! exists keeps its permissions (and, where the process may set it, its owner and group); a new one
//! gets those of any newly created file (0666 minus the umask).
//!
//! **What the destination is** decides the rest ([`write_atomically`], for a path the user named):
//!
//! * a symbolic link is followed: the file it points to is replaced atomically at its real path, and
//!   the link stays a link (a dangling link gets its target created);
//! * a character device (`/dev/null`) or a FIFO is written into directly, never replaced: it has no
//!   rename to be atomic with, and replacing it would turn a device node into a plain file;
//!   `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` are written into the same way, in append mode;
//! * a directory, a socket or a block device (a disk) is refused with a message saying which.
//!
//! [`write_inside`] is the stricter form the batch runner uses for OUT_DIR: every directory below
//! the root is opened without following symbolic links, and a link (or anything but a regular file)
//! in the way is refused, so nothing is ever written outside the root.
//!
//! Interruption: callers render their whole output in memory first, so a temporary file exists
//! only while it is written and renamed. [`remove_temporary_files_on_signal`] (called once by the
//! CLI) makes Ctrl-C, SIGTERM and SIGHUP remove any temporary file still in flight before the
//! process exits; a lock orders that cleanup with the rename, so an interrupted write leaves either
//! the complete new file or no trace. [`drain_on_signal`] lets a long run finish its current work
//! first. Only SIGKILL or a power cut can leave a temporary file, which the pattern above makes easy
//! to recognise.

use crate::{Error, Result};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Temporary files being written, removed by the signal handler.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `contents` to `path`, atomically for a regular file (see the module docs for symbolic
/// links, devices and FIFOs).
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomically_with(path, contents, &IN_FLIGHT, || {})
}

/// Writes `contents` atomically to `root/relative`, creating the directories in between, without
/// following any symbolic link below `root` (`root` itself may be one). A link, a directory or a
/// special file in the way is an error naming it; nothing is written outside `root`. `relative`
/// must be a plain relative path (no `..`).
pub(crate) fn write_inside(root: &Path, relative: &Path, contents: &[u8]) -> Result<()> {
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            _ => {
                return Err(refusal(
                    &root.join(relative),
                    "not a plain relative path inside the output directory",
                ))
            }
        }
    }
    let name = parts
        .pop()
        .ok_or_else(|| refusal(root, "the output path does not name a file"))?;
    let directory = platform::open_tree(root, &parts)?;
    platform::replace(&directory, name, contents, &IN_FLIGHT, || {})
}

/// [`write_atomically`] with the temporary file registered in `registry`, calling `before_rename`
/// once the bytes are on disk (tests use both to interrupt a write).
fn write_atomically_with(
    path: &Path,
    contents: &[u8],
    registry: &Mutex<Vec<PathBuf>>,
    before_rename: impl FnOnce(),
) -> Result<()> {
    if names_a_descriptor(path) {
        return write_directly(path, contents);
    }
    let real = match std::fs::metadata(path) {
        Ok(metadata) => {
            let kind = platform::special_kind(&metadata);
            if metadata.is_dir() {
                return Err(refusal(path, "a directory; -o takes a file name"));
            }
            match kind {
                Some(Special::Writable) => return write_directly(path, contents),
                Some(Special::Refused(what)) => return Err(refusal(path, what)),
                None => {}
            }
            if is_symlink(path) {
                path.canonicalize().map_err(|err| Error::io(path, err))?
            } else {
                path.to_path_buf()
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => resolve_dangling(path)?,
        Err(err) => return Err(Error::io(path, err)),
    };
    let name = real
        .file_name()
        .ok_or_else(|| refusal(path, "the output path does not name a file"))?;
    let parent = match real.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let directory = platform::open_tree(parent, &[])?;
    platform::replace(&directory, name, contents, registry, before_rename)
}

/// What a special (not regular, not directory) file means for writing.
enum Special {
    /// Write into it directly: a character device or a FIFO.
    Writable,
    /// Refuse, saying what it is.
    Refused(&'static str),
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `path` names an open file descriptor of this process (`/dev/stdout`, `/dev/fd/3`,
/// `/proc/self/fd/1`): written into, never replaced, whatever it points to.
fn names_a_descriptor(path: &Path) -> bool {
    let text = path.to_string_lossy();
    matches!(text.as_ref(), "/dev/stdout" | "/dev/stderr")
        || text.starts_with("/dev/fd/")
        || (text.starts_with("/proc/") && text.contains("/fd/"))
}

/// Writes into an existing device, FIFO or descriptor (no rename is possible there).
fn write_directly(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|err| Error::io(path, err))?;
    file.write_all(contents)
        .and_then(|()| file.flush())
        .map_err(|err| Error::io(path, err))
}

/// The path a dangling symbolic link chain ends at (or `path` itself when it is no link): where a
/// new file must be created so that the link finds it.
fn resolve_dangling(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target =
                    std::fs::read_link(&current).map_err(|err| Error::io(&current, err))?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(refusal(path, "too many levels of symbolic links"))
}

/// An error on `path` saying what is wrong with it.
fn refusal(path: &Path, problem: &str) -> Error {
    Error::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, problem.to_string()),
    )
}

/// The name of a temporary file for `name`: `.NAME.XXXXXX.passeur-tmp`.
fn temporary_name(name: &OsStr, attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u32(attempt);
    let bits = hasher.finish();
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let suffix: String = (0..6)
        .map(|i| ALPHABET[((bits >> (i * 10)) % ALPHABET.len() as u64) as usize] as char)
        .collect();
    format!(".{}.{suffix}.passeur-tmp", name.to_string_lossy())
}

#[cfg(unix)]
mod platform {
    use super::{lock, refusal, temporary_name, Special};
    use crate::{Error, Result};
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;
    use std::ffi::OsStr;
    use std::io::Write;
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::FileTypeExt;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// An open directory and its path (for messages and the signal handler's cleanup).
    pub(super) struct Directory {
        fd: OwnedFd,
        path: PathBuf,
    }

    pub(super) fn special_kind(metadata: &std::fs::Metadata) -> Option<Special> {
        let kind = metadata.file_type();
        if kind.is_char_device() || kind.is_fifo() {
            Some(Special::Writable)
        } else if kind.is_block_device() {
            Some(Special::Refused(
                "a block device (a disk); passeur does not write to disks",
            ))
        } else if kind.is_socket() {
            Some(Special::Refused(
                "a socket; passeur writes regular files, character devices and FIFOs",
            ))
        } else {
            None
        }
    }

    fn io(path: &Path, errno: Errno) -> Error {
        Error::io(path, std::io::Error::from(errno))
    }

    /// Opens `root` (following links: the caller named it), then each of `parts` below it without
    /// following links, creating the missing ones.
    pub(super) fn open_tree(root: &Path, parts: &[&OsStr]) -> Result<Directory> {
        let directory_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(rustix::fs::CWD, root, directory_flags, Mode::empty())
            .map_err(|errno| io(root, errno))?;
        let mut directory = Directory {
            fd,
            path: root.to_path_buf(),
        };
        for &part in parts {
            let path = directory.path.join(part);
            let flags = directory_flags | OFlags::NOFOLLOW;
            let opened = match rustix::fs::openat(&directory.fd, part, flags, Mode::empty()) {
                Err(Errno::NOENT) => {
                    match rustix::fs::mkdirat(&directory.fd, part, Mode::from_bits_truncate(0o777))
                    {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(errno) => return Err(io(&path, errno)),
                    }
                    rustix::fs::openat(&directory.fd, part, flags, Mode::empty())
                }
                other => other,
            };
            let fd = match opened {
                Ok(fd) => fd,
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    return Err(refusal(&path, &describe_obstacle(&directory, part)))
                }
                Err(errno) => return Err(io(&path, errno)),
            };
            directory = Directory { fd, path };
        }
        Ok(directory)
    }

    /// Why `part` of `directory` cannot be entered or replaced, in words.
    fn describe_obstacle(directory: &Directory, part: &OsStr) -> String {
        let kind = rustix::fs::statat(&directory.fd, part, AtFlags::SYMLINK_NOFOLLOW)
            .map(|stat| FileType::from_raw_mode(stat.st_mode));
        match kind {
            Ok(FileType::Symlink) => "a symbolic link; passeur does not write through links \
                                      inside the output directory (remove it, or choose another \
                                      output directory)"
                .to_string(),
            Ok(FileType::Directory) => "a directory".to_string(),
            Ok(FileType::RegularFile) => "a file, where a directory is needed".to_string(),
            _ => "not a regular file; passeur only replaces regular files".to_string(),
        }
    }

    /// Replaces `name` in `directory` atomically (see the module docs); `name` must be absent or
    /// a regular file.
    pub(super) fn replace(
        directory: &Directory,
        name: &OsStr,
        contents: &[u8],
        registry: &Mutex<Vec<PathBuf>>,
        before_rename: impl FnOnce(),
    ) -> Result<()> {
        let destination = directory.path.join(name);
        let existing = match rustix::fs::statat(&directory.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile => {
                Some(stat)
            }
            Ok(_) => return Err(refusal(&destination, &describe_obstacle(directory, name))),
            Err(Errno::NOENT) => None,
            Err(errno) => return Err(io(&destination, errno)),
        };
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let (file, temporary_name, temporary_path) = {
            let mut registry = lock(registry);
            let mut attempt = 0;
            loop {
                let temporary = temporary_name(name, attempt);
                let opened = rustix::fs::openat(
                    &directory.fd,
                    temporary.as_str(),
                    flags | OFlags::CLOEXEC,
                    Mode::from_bits_truncate(0o666),
                );
                match opened {
                    Ok(fd) => {
                        let path = directory.path.join(&temporary);
                        registry.push(path.clone());
                        break (std::fs::File::from(fd), temporary, path);
                    }
                    Err(Errno::EXIST) if attempt < 100 => attempt += 1,
                    Err(errno) => return Err(io(&directory.path, errno)),
                }
            }
        };
        let mut file = file;
        let mut written = file.write_all(contents);
        if let (Ok(()), Some(stat)) = (&written, &existing) {
            // Keeping the owner only works for root (or the owner itself): best effort. Before the
            // mode, which a change of owner may clear bits of.
            let owner = rustix::fs::Uid::from_raw(stat.st_uid);
            let group = rustix::fs::Gid::from_raw(stat.st_gid);
            let _ = rustix::fs::fchown(&file, Some(owner), Some(group));
            written = rustix::fs::fchmod(&file, Mode::from_raw_mode(stat.st_mode & 0o7777))
                .map_err(std::io::Error::from);
        }
        let written = written.and_then(|()| file.sync_all());
        drop(file);
        before_rename();
        let mut registry = lock(registry);
        registry.retain(|p| p != &temporary_path);
        let unlink = || {
            let _ = rustix::fs::unlinkat(&directory.fd, temporary_name.as_str(), AtFlags::empty());
        };
        if let Err(err) = written {
            unlink();
            return Err(Error::io(&temporary_path, err));
        }
        if let Err(errno) =
            rustix::fs::renameat(&directory.fd, temporary_name.as_str(), &directory.fd, name)
        {
            unlink();
            return Err(io(&destination, errno));
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod platform {
    use super::{lock, refusal, Special};
    use crate::{Error, Result};
    use std::ffi::OsStr;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    pub(super) struct Directory {
        path: PathBuf,
    }

    pub(super) fn special_kind(_metadata: &std::fs::Metadata) -> Option<Special> {
        None
    }

    pub(super) fn open_tree(root: &Path, parts: &[&OsStr]) -> Result<Directory> {
        let mut path = root.to_path_buf();
        for part in parts {
            path.push(part);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(refusal(
                        &path,
                        "a symbolic link inside the output directory",
                    ))
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(refusal(&path, "a file, where a directory is needed")),
                Err(_) => std::fs::create_dir(&path).map_err(|err| Error::io(&path, err))?,
            }
        }
        Ok(Directory { path })
    }

    pub(super) fn replace(
        directory: &Directory,
        name: &OsStr,
        contents: &[u8],
        registry: &Mutex<Vec<PathBuf>>,
        before_rename: impl FnOnce(),
    ) -> Result<()> {
        let destination = directory.path.join(name);
        if let Ok(m) = std::fs::symlink_metadata(&destination) {
            if !m.is_file() {
                return Err(refusal(&destination, "not a regular file"));
            }
        }
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut temporary = {
            let mut registry = lock(registry);
            let temporary = tempfile::Builder::new()
                .prefix(&prefix)
                .suffix(".passeur-tmp")
                .tempfile_in(&directory.path)
                .map_err(|err| Error::io(&directory.path, err))?;
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
            .persist(&destination)
            .map_err(|err| Error::io(&destination, err.error))?;
        Ok(())
    }
}

/// Removes every temporary file still being written. Returns how many were removed.
fn remove_in_flight(registry: &mut Vec<PathBuf>) -> usize {
    registry
        .drain(..)
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}

/// What the first signal does when a run asked to finish its work first ([`drain_on_signal`]).
type FirstSignal = Box<dyn Fn(i32) + Send>;

/// Set by [`drain_on_signal`]: called on the first signal, and the grace period after it.
static DRAIN: Mutex<Option<(FirstSignal, Duration)>> = Mutex::new(None);

/// Makes SIGINT (Ctrl-C), SIGTERM and SIGHUP remove in-flight temporary files and exit with
/// status 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM). Call it once, early; later
/// calls do nothing. Does nothing on platforms without Unix signals.
pub fn remove_temporary_files_on_signal() -> Result<()> {
    install_signal_thread()
}

/// Makes the first SIGINT, SIGTERM or SIGHUP call `first_signal` with the signal's number instead
/// of exiting, so that a long run can stop taking work, write what it finished and exit by itself
/// (with status 128 + the signal number, by convention). A second signal, or `grace` running out,
/// exits at once as [`remove_temporary_files_on_signal`] does.
pub fn drain_on_signal(first_signal: impl Fn(i32) + Send + 'static, grace: Duration) -> Result<()> {
    *lock(&DRAIN) = Some((Box::new(first_signal), grace));
    install_signal_thread()
}

/// Removes the temporary files in flight and exits with 128 + `signal`.
#[cfg(unix)]
fn exit_now(signal: i32) -> ! {
    let mut registry = lock(&IN_FLIGHT);
    remove_in_flight(&mut registry);
    // Exiting with the lock held keeps any write from renaming after the cleanup.
    std::process::exit(128 + signal);
}

fn install_signal_thread() -> Result<()> {
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
                let mut received = signals.forever();
                let Some(signal) = received.next() else {
                    return;
                };
                let Some((first_signal, grace)) = lock(&DRAIN).take() else {
                    exit_now(signal);
                };
                first_signal(signal);
                let _ = std::thread::Builder::new()
                    .name("passeur-grace".to_string())
                    .spawn(move || {
                        std::thread::sleep(grace);
                        exit_now(signal);
                    });
                if let Some(second) = received.next() {
                    exit_now(second);
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

    #[cfg(unix)]
    #[test]
    fn an_existing_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("private.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_and_stays_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let real_dir = directory.path().join("real");
        std::fs::create_dir(&real_dir).unwrap();
        let target = real_dir.join("article.md");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = directory.path().join("link.md");
        std::os::unix::fs::symlink("real/article.md", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(entries(&real_dir), ["article.md"], "no temporary file left");
        // A dangling link gets its target created.
        let dangling = directory.path().join("dangling.md");
        std::os::unix::fs::symlink("real/new.md", &dangling).unwrap();
        write_atomically(&dangling, b"created").unwrap();
        assert_eq!(std::fs::read(real_dir.join("new.md")).unwrap(), b"created");
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let directory = tempfile::tempdir().unwrap();
        let fifo = directory.path().join("pipe.md");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        // Opened for reading and writing, a FIFO never blocks; nonblocking reads never hang.
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        write_atomically(&fifo, b"through the pipe").unwrap();
        let mut received = vec![0; 64];
        let n = reader.read(&mut received).unwrap_or(0);
        assert_eq!(&received[..n], b"through the pipe");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO is still a FIFO");
        assert_eq!(entries(directory.path()), ["pipe.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_character_device_is_written_into_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let directory = tempfile::tempdir().unwrap();
        let null = directory.path().join("null");
        // The null device (1, 3), made here: only root may do it; others have nothing to test.
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
        write_atomically(&null, b"into the void").unwrap();
        let kind = std::fs::symlink_metadata(&null).unwrap().file_type();
        assert!(kind.is_char_device(), "the device node is still a device");
        assert_eq!(entries(directory.path()), ["null"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_is_refused_and_left_alone() {
        use std::os::unix::fs::FileTypeExt;
        let directory = tempfile::tempdir().unwrap();
        let socket = directory.path().join("socket.md");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = write_atomically(&socket, b"x").unwrap_err().to_string();
        assert!(
            err.contains("socket.md") && err.contains("a socket"),
            "{err}"
        );
        let kind = std::fs::symlink_metadata(&socket).unwrap().file_type();
        assert!(kind.is_socket());
    }

    #[cfg(unix)]
    #[test]
    fn write_inside_never_follows_links_below_the_root() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().join("out");
        let victim = directory.path().join("victim");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&victim).unwrap();
        std::os::unix::fs::symlink(&victim, root.join("sub")).unwrap();
        let err = write_inside(&root, Path::new("sub/x.txt.md"), b"x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sub") && err.contains("symbolic link"),
            "{err}"
        );
        std::fs::write(victim.join("file.md"), "victim").unwrap();
        std::os::unix::fs::symlink(victim.join("file.md"), root.join("file.md")).unwrap();
        let err = write_inside(&root, Path::new("file.md"), b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(victim.join("file.md")).unwrap(), b"victim");
        assert_eq!(entries(&victim), ["file.md"]);
        // Plain directories are created and written into.
        write_inside(&root, Path::new("a/b/c.md"), b"deep").unwrap();
        assert_eq!(std::fs::read(root.join("a/b/c.md")).unwrap(), b"deep");
        assert!(write_inside(&root, Path::new("../escape.md"), b"x").is_err());
        assert!(!directory.path().join("escape.md").exists());
    }

    #[test]
    fn a_directory_is_refused_and_leaves_nothing() {
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
