//! The storage under the manifest and the sentence cache: an append-only file of checksummed JSON
//! records, one per line.
//!
//! A record is written as `RS CRC32_HEX JSON\n` in a single `write` call, where RS is the ASCII
//! record separator (0x1E, as in RFC 7464's JSON text sequences) and the checksum (CRC-32, IEEE)
//! covers the JSON bytes. The rules that make it survive a kill at any moment:
//!
//! * a record is only ever appended, never rewritten, so a crash can damage at most the last line;
//! * a reader splits the file at line feeds *and* at record separators, keeps the records whose
//!   checksum matches and whose JSON parses, and counts the others as damaged (a torn last line,
//!   a disk error) instead of failing. JSON never holds a raw RS or line feed, so a record always
//!   starts afresh at its RS: a torn record left at the end of one file cannot swallow the first
//!   record of the next when files are concatenated (`cat a.log b.log`), which is how caches
//!   made on different machines are merged (`passeur cache merge` also drops repeats);
//! * lines written before the separator was introduced (`CRC32_HEX JSON\n`) are still read;
//! * a writer that opens a file whose last byte is not a newline (a torn record) first appends a
//!   newline, so its own records start on a line of their own;
//! * a writer holds an exclusive advisory lock on the file while it has it open, so two processes
//!   never append to the same file (their offsets would interleave).
//!
//! Why not an embedded database: both redb and SQLite would do, but this needs no new compiled
//! dependency, stays readable with `cut -d' ' -f2- | jq`, and concatenated logs are a valid log.

use crate::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The record separator that starts every record (ASCII RS).
pub(crate) const RECORD_SEPARATOR: u8 = 0x1E;

/// A record encoded as one line: record separator, checksum, space, JSON, newline.
pub(crate) fn encode_line<T: Serialize>(record: &T) -> Vec<u8> {
    let json = serde_json::to_vec(record).expect("records serialise to JSON");
    let mut line = format!("\x1e{:08x} ", crc32fast::hash(&json)).into_bytes();
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

/// The record of one record's bytes (checksum, space, JSON: without its separator and newline),
/// if its checksum matches and its JSON parses.
pub(crate) fn decode_line<T: DeserializeOwned>(line: &[u8]) -> Option<T> {
    let (checksum, json) = line.split_at_checked(9)?;
    let checksum = std::str::from_utf8(checksum.strip_suffix(b" ")?).ok()?;
    let checksum = u32::from_str_radix(checksum, 16).ok()?;
    if crc32fast::hash(json) != checksum {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// What reading a log found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadReport {
    /// Records read whole.
    pub records: usize,
    /// Non-empty lines that were not a valid record (torn by a crash, or damaged).
    pub damaged: usize,
}

/// Reads every record of `file` from its start, calling `each` with the record's byte offset and
/// length (separator and newline excluded) and the record.
pub(crate) fn read_records<T: DeserializeOwned>(
    file: &mut File,
    path: &Path,
    mut each: impl FnMut(u64, usize, T),
) -> Result<ReadReport> {
    file.seek(SeekFrom::Start(0))
        .map_err(|err| Error::io(path, err))?;
    let mut reader = BufReader::new(file);
    let mut report = ReadReport::default();
    let mut line = Vec::new();
    let mut offset = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|err| Error::io(path, err))?;
        if read == 0 {
            break;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let mut start = 0;
        for segment in content.split(|&b| b == RECORD_SEPARATOR) {
            if !segment.is_empty() {
                match decode_line(segment) {
                    Some(record) => {
                        report.records += 1;
                        each(offset + start as u64, segment.len(), record);
                    }
                    None => report.damaged += 1,
                }
            }
            start += segment.len() + 1;
        }
        offset += read as u64;
    }
    Ok(report)
}

/// Reads the record stored at `offset` (as given by [`read_records`] or [`RecordLog::append`]).
pub(crate) fn read_record_at<T: DeserializeOwned>(
    file: &mut File,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<Option<T>> {
    let mut line = vec![0; len];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut line))
        .map_err(|err| Error::io(path, err))?;
    Ok(decode_line(&line))
}

/// A log file opened for appending, locked against other processes.
#[derive(Debug)]
pub(crate) struct RecordLog {
    file: File,
    path: PathBuf,
}

impl RecordLog {
    /// Opens (creating it, and its directory, if needed) and locks the log at `path`, following a
    /// symbolic link there (the user named it); `what` names the file in the error when another
    /// process holds it.
    pub(super) fn open(path: &Path, what: &'static str) -> Result<RecordLog> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
        }
        RecordLog::open_with(path, what, true)
    }

    /// [`RecordLog::open`] for a log passeur places itself (the manifest): its directory must
    /// exist, and a symbolic link in place of the file is refused rather than followed.
    pub(super) fn open_in_place(path: &Path, what: &'static str) -> Result<RecordLog> {
        RecordLog::open_with(path, what, false)
    }

    fn open_with(path: &Path, what: &'static str, follow: bool) -> Result<RecordLog> {
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        if !follow {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        let _ = follow;
        let file = options.open(path).map_err(|err| Error::io(path, err))?;
        lock_exclusively(&file, path, what)?;
        let mut log = RecordLog {
            file,
            path: path.to_path_buf(),
        };
        log.end_torn_line()?;
        Ok(log)
    }

    /// A log in an anonymous temporary file inside `directory`, gone when dropped (even after a
    /// kill: the file has no name).
    pub(super) fn temporary(directory: &Path) -> Result<RecordLog> {
        let file = tempfile::tempfile_in(directory).map_err(|err| Error::io(directory, err))?;
        Ok(RecordLog {
            file,
            path: directory.join("<temporary sentence cache>"),
        })
    }

    /// The file, for reading.
    pub(super) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The file's path, for messages.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record`; returns the offset and length (separator and newline excluded) it was
    /// written at.
    pub(super) fn append<T: Serialize>(&mut self, record: &T) -> Result<(u64, usize)> {
        let line = encode_line(record);
        let offset = self
            .file
            .seek(SeekFrom::End(0))
            .map_err(|err| Error::io(&self.path, err))?;
        self.file
            .write_all(&line)
            .map_err(|err| Error::io(&self.path, err))?;
        Ok((offset + 1, line.len() - 2))
    }

    /// Flushes what was appended to the disk.
    pub(super) fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|err| Error::io(&self.path, err))
    }

    /// Appends a newline if the file ends in the middle of a line (a record torn by a crash).
    fn end_torn_line(&mut self) -> Result<()> {
        let len = self
            .file
            .seek(SeekFrom::End(0))
            .map_err(|err| Error::io(&self.path, err))?;
        if len == 0 {
            return Ok(());
        }
        let mut last = [0u8];
        self.file
            .seek(SeekFrom::Start(len - 1))
            .and_then(|_| self.file.read_exact(&mut last))
            .map_err(|err| Error::io(&self.path, err))?;
        if last[0] != b'\n' {
            self.file
                .write_all(b"\n")
                .map_err(|err| Error::io(&self.path, err))?;
        }
        Ok(())
    }
}

/// Takes an exclusive advisory lock on `file` (released when it is closed, even by a kill), or
/// fails at once if another process holds it.
#[cfg(unix)]
fn lock_exclusively(file: &File, path: &Path, what: &'static str) -> Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock only reads the descriptor number, which `file` keeps open for the call.
    let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if status == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        return Err(Error::InUse {
            path: path.to_path_buf(),
            what,
        });
    }
    Err(Error::io(path, err))
}

/// Advisory locks are not taken on this platform: do not run two processes on one file.
#[cfg(not(unix))]
fn lock_exclusively(_file: &File, _path: &Path, _what: &'static str) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Entry {
        name: String,
        value: u32,
    }

    fn entry(name: &str, value: u32) -> Entry {
        Entry {
            name: name.to_string(),
            value,
        }
    }

    fn read_all(path: &Path) -> (Vec<Entry>, ReadReport) {
        let mut file = File::open(path).unwrap();
        let mut entries = Vec::new();
        let report = read_records(&mut file, path, |_, _, e| entries.push(e)).unwrap();
        (entries, report)
    }

    #[test]
    fn a_line_is_separator_checksum_space_json() {
        let line = encode_line(&entry("a", 1));
        let json = br#"{"name":"a","value":1}"#;
        let expected = format!("\x1e{:08x} ", crc32fast::hash(json));
        assert!(line.starts_with(expected.as_bytes()));
        assert!(line.ends_with(b"{\"name\":\"a\",\"value\":1}\n"));
        // JSON escapes control characters, so a record holds no separator but its first byte.
        let tricky = encode_line(&entry("\u{1e}\n", 2));
        assert_eq!(tricky.iter().filter(|&&b| b == RECORD_SEPARATOR).count(), 1);
        assert_eq!(tricky.iter().filter(|&&b| b == b'\n').count(), 1);
    }

    #[test]
    fn concatenated_logs_lose_only_the_torn_record() {
        let directory = tempfile::tempdir().unwrap();
        let torn = encode_line(&entry("torn", 0));
        let old_style = {
            let json = br#"{"name":"old","value":9}"#;
            let mut line = format!("{:08x} ", crc32fast::hash(json)).into_bytes();
            line.extend_from_slice(json);
            line.push(b'\n');
            line
        };
        // A killed task's log (one record, then a torn one), then another task's log, glued by
        // `cat`, then a log written before the record separator existed.
        let mut glued = encode_line(&entry("a", 1));
        glued.extend_from_slice(&torn[..torn.len() / 2]);
        glued.extend_from_slice(&encode_line(&entry("b", 2)));
        glued.extend_from_slice(&encode_line(&entry("c", 3)));
        glued.extend_from_slice(&old_style);
        let path = directory.path().join("cache.log");
        std::fs::write(&path, glued).unwrap();
        let (entries, report) = read_all(&path);
        assert_eq!(
            entries,
            [entry("a", 1), entry("b", 2), entry("c", 3), entry("old", 9)]
        );
        assert_eq!(report.damaged, 1);
    }

    #[test]
    fn a_flipped_byte_or_a_torn_line_is_not_a_record() {
        let line = encode_line(&entry("abc", 7));
        let content = &line[1..line.len() - 1];
        assert_eq!(decode_line::<Entry>(content), Some(entry("abc", 7)));
        let mut flipped = content.to_vec();
        flipped[12] ^= 0x01;
        assert_eq!(decode_line::<Entry>(&flipped), None);
        for cut in 0..content.len() {
            assert_eq!(decode_line::<Entry>(&content[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn appends_after_a_torn_record_are_kept_and_the_torn_one_counted() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log");
        {
            let mut log = RecordLog::open(&path, "test log").unwrap();
            log.append(&entry("first", 1)).unwrap();
        }
        // A writer killed in the middle of its second record.
        let torn = encode_line(&entry("second", 2));
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&torn[..torn.len() / 2]).unwrap();
        drop(file);
        {
            let mut log = RecordLog::open(&path, "test log").unwrap();
            log.append(&entry("third", 3)).unwrap();
        }
        let (entries, report) = read_all(&path);
        assert_eq!(entries, [entry("first", 1), entry("third", 3)]);
        assert_eq!(
            report,
            ReadReport {
                records: 2,
                damaged: 1
            }
        );
    }

    #[test]
    fn records_are_read_back_at_their_offsets() {
        let directory = tempfile::tempdir().unwrap();
        let mut log = RecordLog::temporary(directory.path()).unwrap();
        let a = log.append(&entry("a", 1)).unwrap();
        let b = log.append(&entry("bé", 2)).unwrap();
        let path = log.path().to_path_buf();
        let read = |log: &mut RecordLog, (offset, len): (u64, usize)| {
            read_record_at::<Entry>(log.file(), &path, offset, len).unwrap()
        };
        assert_eq!(read(&mut log, b), Some(entry("bé", 2)));
        assert_eq!(read(&mut log, a), Some(entry("a", 1)));
        assert!(
            std::fs::read_dir(directory.path())
                .unwrap()
                .next()
                .is_none(),
            "the temporary log has no name"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_second_writer_is_refused_with_the_file_named() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("manifest.log");
        let _first = RecordLog::open(&path, "the manifest").unwrap();
        let err = RecordLog::open(&path, "the manifest").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("manifest.log"), "{message}");
        assert!(message.contains("another passeur process"), "{message}");
    }
}
