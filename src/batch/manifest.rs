//! The manifest: what a batch has finished, so that a rerun skips it.
//!
//! It lives in `OUT_DIR/.passeur/`: `manifest.log` for a run without `--shard`,
//! `manifest.K-of-N.log` for shard K of N, so that shards writing into one output directory (even
//! over NFS) never share a file. Each is a record log (checksummed JSON lines, appended only; see
//! `log.rs`): one [`Record`] appended per input finished (done or failed), never rewritten. A run
//! reads every manifest file of the directory and keeps, per input, the record written last (by its
//! timestamp), so a run without `--shard` after a sharded one knows what the shards did.
//!
//! An input is skipped when its latest record says done, with the same content hash (SHA-256 of
//! its bytes, comparable with `sha256sum`), the same [fingerprint] of everything that changes the
//! output (model, revision, decoding, passeur version, formats, token budget, forced encoding),
//! and every recorded output still on disk with its recorded size. Anything else is redone.
//!
//! Order of writes, which makes a kill at any moment safe: the outputs are written atomically
//! first (see [`write_atomically`](crate::write::write_atomically)), the record after. A kill
//! before the record leaves complete outputs that are not recorded yet; the rerun redoes that
//! input and replaces them with the same bytes.

use super::digest::hex;
use super::log::{self, RecordLog};
use crate::translate::Provenance;
use crate::write::Format;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The directory inside OUT_DIR that holds the manifest.
pub(super) const STATE_DIR: &str = ".passeur";

/// How an input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    /// Translated and every output written.
    Done,
    /// Not translated; the record's `reason` says why.
    Failed,
}

/// One output file of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Path relative to OUT_DIR, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, hex.
    pub sha256: String,
}

/// What the manifest says about one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Path relative to IN_DIR, `/`-separated.
    pub input: String,
    /// Done or failed.
    pub status: RecordStatus,
    /// SHA-256 of the input's bytes, hex (absent when it could not be read).
    pub content_sha256: Option<String>,
    /// Size of the input in bytes.
    pub input_bytes: u64,
    /// The `fingerprint` of the options it was translated with.
    pub fingerprint: String,
    /// The model that translated it (name, hub repo id or folder), for people reading the log.
    #[serde(default)]
    pub model: String,
    /// The model's hub revision.
    #[serde(default)]
    pub revision: Option<String>,
    /// The decoding options in words.
    #[serde(default)]
    pub decoding: String,
    /// The encoding it was read in, e.g. `windows-1252 (guessed)`.
    pub encoding: Option<String>,
    /// Sentences in the input.
    pub sentences: usize,
    /// Of those, the sentences the fidelity guard left flagged as doubtful.
    #[serde(default)]
    pub flagged: usize,
    /// The outputs written.
    pub outputs: Vec<OutputRecord>,
    /// Why it failed.
    pub reason: Option<String>,
    /// When the record was written, in milliseconds since the Unix epoch.
    pub recorded_at_ms: u64,
}

/// Everything that changes the outputs of an input, hashed: the model and its revision, the
/// decoding options and passeur's version (the [`Provenance`]), the formats, the token budget and
/// the forced encoding. Sixteen hex digits.
pub(super) fn fingerprint(
    provenance: &Provenance,
    formats: &[Format],
    token_budget: usize,
    encoding: Option<&str>,
) -> String {
    let options = serde_json::json!({
        "model": provenance.model,
        "revision": provenance.revision,
        "decoding": provenance.decoding,
        "passeur_version": provenance.passeur_version,
        "formats": formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "token_budget": token_budget,
        "encoding": encoding,
    });
    let digest = Sha256::digest(options.to_string().as_bytes());
    hex(&digest[..8])
}

/// The manifest of an output directory: the latest record of every input, and the file this run
/// appends to.
#[derive(Debug)]
pub struct Manifest {
    latest: HashMap<String, Record>,
    log: RecordLog,
    damaged: usize,
}

impl Manifest {
    /// Reads every manifest file in `output_dir` and opens (and locks) this run's:
    /// `manifest.log`, or `manifest.{label}.log` for a shard.
    pub fn open(output_dir: &Path, shard_label: Option<&str>) -> Result<Manifest> {
        let state_dir = output_dir.join(STATE_DIR);
        match std::fs::symlink_metadata(&state_dir) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(Error::BatchDirectory {
                    path: state_dir,
                    problem: "not a directory (a symbolic link or a file); passeur keeps its \
                              manifest only in a real directory inside the output directory: \
                              remove it"
                        .to_string(),
                })
            }
            Err(_) => std::fs::create_dir(&state_dir).map_err(|err| Error::io(&state_dir, err))?,
        }
        let own_name = match shard_label {
            Some(label) => format!("manifest.{label}.log"),
            None => "manifest.log".to_string(),
        };
        let log = RecordLog::open_in_place(&state_dir.join(&own_name), "the batch manifest")?;
        let (latest, damaged) = read_manifests(&state_dir)?;
        Ok(Manifest {
            latest,
            log,
            damaged,
        })
    }

    /// The latest record of every input in the manifest files of `output_dir`, and the number of
    /// damaged lines, read without opening (or locking) a manifest for writing.
    pub fn read(output_dir: &Path) -> Result<(HashMap<String, Record>, usize)> {
        let state_dir = output_dir.join(STATE_DIR);
        if !state_dir.is_dir() {
            return Ok((HashMap::new(), 0));
        }
        read_manifests(&state_dir)
    }

    /// The latest record of `input`, if any.
    pub fn latest(&self, input: &str) -> Option<&Record> {
        self.latest.get(input)
    }

    /// The latest record of every input, by input name.
    pub fn records(&self) -> &HashMap<String, Record> {
        &self.latest
    }

    /// Lines of the manifest files that were not valid records (torn by a crash): they are
    /// ignored, and the inputs they were about are redone.
    pub fn damaged_lines(&self) -> usize {
        self.damaged
    }

    /// The file this run appends to.
    pub fn path(&self) -> &Path {
        self.log.path()
    }

    /// Appends `record` and makes it the latest of its input.
    pub fn record(&mut self, record: Record) -> Result<()> {
        self.log.append(&record)?;
        self.latest.insert(record.input.clone(), record);
        Ok(())
    }

    /// Flushes the records to disk.
    pub fn sync(&mut self) -> Result<()> {
        self.log.sync()
    }
}

/// The latest record of every input in the manifest files of `state_dir`, and the damaged lines.
fn read_manifests(state_dir: &Path) -> Result<(HashMap<String, Record>, usize)> {
    let mut latest: HashMap<String, Record> = HashMap::new();
    let mut damaged = 0;
    for path in manifest_files(state_dir)? {
        let mut file = File::open(&path).map_err(|err| Error::io(&path, err))?;
        let report = log::read_records(&mut file, &path, |_, _, record: Record| {
            let newer = latest
                .get(&record.input)
                .is_none_or(|known| record.recorded_at_ms >= known.recorded_at_ms);
            if newer {
                latest.insert(record.input.clone(), record);
            }
        })?;
        damaged += report.damaged;
    }
    Ok((latest, damaged))
}

/// Whether `record` says the input is done and its outputs are still in `output_dir` with their
/// recorded sizes (whatever its content and options now).
pub(super) fn outputs_present(record: &Record, output_dir: &Path) -> bool {
    record.status == RecordStatus::Done
        && record.outputs.iter().all(|output| {
            std::fs::symlink_metadata(output_dir.join(&output.path))
                .is_ok_and(|m| m.is_file() && m.len() == output.bytes)
        })
}

/// Whether `record` says the input with `content_sha256` is done with `fingerprint` and its
/// outputs are still in `output_dir` with their recorded sizes.
pub(super) fn is_up_to_date(
    record: &Record,
    content_sha256: &str,
    fingerprint: &str,
    output_dir: &Path,
) -> bool {
    record.content_sha256.as_deref() == Some(content_sha256)
        && record.fingerprint == fingerprint
        && outputs_present(record, output_dir)
}

/// The manifest files of `state_dir`, sorted.
fn manifest_files(state_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(state_dir).map_err(|err| Error::io(state_dir, err))? {
        let entry = entry.map_err(|err| Error::io(state_dir, err))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("manifest") && name.ends_with(".log") {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::digest::sha256_hex;

    fn provenance() -> Provenance {
        Provenance {
            model: "Helsinki-NLP/opus-mt-fr-en".into(),
            revision: Some("main".into()),
            decoding: "beams=4".into(),
            passeur_version: "0.1.0".into(),
        }
    }

    fn done(input: &str, at: u64, output: &str, bytes: u64) -> Record {
        Record {
            input: input.into(),
            status: RecordStatus::Done,
            content_sha256: Some(sha256_hex(b"x")),
            input_bytes: 1,
            fingerprint: "f".into(),
            model: "m".into(),
            revision: None,
            decoding: "d".into(),
            encoding: None,
            sentences: 1,
            flagged: 0,
            outputs: vec![OutputRecord {
                path: output.into(),
                bytes,
                sha256: String::new(),
            }],
            reason: None,
            recorded_at_ms: at,
        }
    }

    #[test]
    fn fingerprint_changes_with_every_option_that_changes_outputs() {
        let base = fingerprint(&provenance(), &[Format::Markdown], 512, None);
        assert_eq!(base.len(), 16);
        assert_eq!(
            base,
            fingerprint(&provenance(), &[Format::Markdown], 512, None)
        );
        let mut others = vec![
            fingerprint(&provenance(), &[Format::Html], 512, None),
            fingerprint(&provenance(), &[Format::Markdown, Format::Html], 512, None),
            fingerprint(&provenance(), &[Format::Markdown], 256, None),
            fingerprint(
                &provenance(),
                &[Format::Markdown],
                512,
                Some("windows-1252"),
            ),
        ];
        for change in [
            |p: &mut Provenance| p.model = "other".into(),
            |p: &mut Provenance| p.revision = Some("refs/pr/4".into()),
            |p: &mut Provenance| p.decoding = "beams=1".into(),
            |p: &mut Provenance| p.passeur_version = "0.2.0".into(),
        ] {
            let mut changed = provenance();
            change(&mut changed);
            others.push(fingerprint(&changed, &[Format::Markdown], 512, None));
        }
        for other in &others {
            assert_ne!(&base, other);
        }
    }

    #[test]
    fn latest_record_wins_across_shard_files_and_outputs_are_checked() {
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("a.txt.md"), "12345").unwrap();
        {
            let mut shard = Manifest::open(out.path(), Some("1-of-2")).unwrap();
            shard.record(done("a.txt", 20, "a.txt.md", 5)).unwrap();
        }
        {
            let mut plain = Manifest::open(out.path(), None).unwrap();
            plain.record(done("a.txt", 10, "a.txt.md", 4)).unwrap();
            plain.record(done("b.txt", 10, "b.txt.md", 4)).unwrap();
        }
        let manifest = Manifest::open(out.path(), None).unwrap();
        let a = manifest.latest("a.txt").unwrap();
        assert_eq!(a.recorded_at_ms, 20, "the shard's later record wins");
        assert!(is_up_to_date(a, &sha256_hex(b"x"), "f", out.path()));
        assert!(!is_up_to_date(a, &sha256_hex(b"y"), "f", out.path()));
        assert!(!is_up_to_date(a, &sha256_hex(b"x"), "g", out.path()));
        let b = manifest.latest("b.txt").unwrap();
        assert!(
            !is_up_to_date(b, &sha256_hex(b"x"), "f", out.path()),
            "its output is missing"
        );
        std::fs::write(out.path().join("a.txt.md"), "1234").unwrap();
        assert!(
            !is_up_to_date(a, &sha256_hex(b"x"), "f", out.path()),
            "its output changed size"
        );
    }
}
