//! The sentence cache: a text translated once is never sent to the model again.
//!
//! Site boilerplate ("Retournez en haut de la page", bylines, cookie notices) repeats across a
//! folder; the batch runner looks every request up here before translating it, and stores every
//! new translation. Without `--cache` the cache lives in an anonymous temporary file for one run;
//! with `--cache PATH` it is kept in PATH, so reruns and overlapping corpora cost nothing twice.
//!
//! A cache file is a [record log](super::log) of [`CachedTranslation`]s, each holding the French
//! text and everything the translator said about it: the English, the model's score, the fidelity
//! recovery step and flags, so a cached translation is reported exactly as a fresh one. Entries are
//! keyed by the SHA-256 of a namespace (model, revision, decoding options and passeur version: see
//! [`namespace`]) and the text, so one file can hold the translations of several models and options
//! without mixing them.
//!
//! Memory stays small however large the cache: only an index from key (16 bytes) to the record's
//! place in the file is kept, and a hit reads its record back from the file. A hit is used only if
//! its record's checksum holds and its French text is the one asked for (a hash collision or a
//! damaged record is a miss). The file is locked while open; to share a cache between concurrent
//! processes, give each its own and merge them afterwards: `cat a.log b.log > merged.log` is a
//! valid cache (a torn record at the end of one file costs only that record), and [`merge`]
//! (`passeur cache merge`, `passeur cache compact`) writes one without repeats or damaged lines.
//! The directory of a cache file is created if needed.

use super::log::{self, RecordLog};
use crate::translate::{Provenance, SentenceTranslation};
use crate::verdict::Verdict;
use crate::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// One cached translation, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedTranslation {
    /// The key: SHA-256 of namespace and text, first 16 bytes, hex.
    pub key: String,
    /// The French text.
    pub source: String,
    /// Its translation.
    pub text: String,
    /// The model's score.
    pub score: Option<f32>,
    /// What happened to the translation: translated, recovered or flagged, with its reasons.
    /// (Records of earlier passeur versions, without it, do not parse and are never used.)
    pub verdict: Verdict,
}

/// The namespace of translations made with `provenance`: its model, revision, decoding options
/// and passeur version.
pub fn namespace(provenance: &Provenance) -> String {
    serde_json::json!({
        "model": provenance.model,
        "revision": provenance.revision,
        "decoding": provenance.decoding,
        "passeur_version": provenance.passeur_version,
    })
    .to_string()
}

/// Where a record lies in the file.
#[derive(Debug, Clone, Copy)]
struct Location {
    offset: u64,
    len: usize,
}

/// Counts of a cache's use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Entries when the cache was opened (all namespaces).
    pub entries_at_open: usize,
    /// Damaged lines found when it was opened (ignored).
    pub damaged_at_open: usize,
    /// Look-ups answered.
    pub hits: usize,
    /// Translations added.
    pub inserted: usize,
}

/// A sentence cache (see the module docs).
#[derive(Debug)]
pub struct SentenceCache {
    log: RecordLog,
    namespace: String,
    index: HashMap<[u8; 16], Location>,
    stats: CacheStats,
}

impl SentenceCache {
    /// Opens (creating it if needed) and locks the cache file at `path`, for translations made
    /// with `provenance`.
    pub fn open(path: &Path, provenance: &Provenance) -> Result<SentenceCache> {
        let mut log = RecordLog::open(path, "the sentence cache")?;
        let mut index = HashMap::new();
        let path = log.path().to_path_buf();
        let report = log::read_records(
            log.file(),
            &path,
            |offset, len, entry: CachedTranslation| {
                if let Some(key) = parse_key(&entry.key) {
                    index.insert(key, Location { offset, len });
                }
            },
        )?;
        Ok(SentenceCache {
            log,
            namespace: namespace(provenance),
            stats: CacheStats {
                entries_at_open: report.records,
                damaged_at_open: report.damaged,
                ..CacheStats::default()
            },
            index,
        })
    }

    /// A cache for one run, in an anonymous temporary file in `directory`.
    pub fn temporary(directory: &Path, provenance: &Provenance) -> Result<SentenceCache> {
        Ok(SentenceCache {
            log: RecordLog::temporary(directory)?,
            namespace: namespace(provenance),
            index: HashMap::new(),
            stats: CacheStats::default(),
        })
    }

    /// The translation of `source`, if it is cached.
    pub fn get(&mut self, source: &str) -> Result<Option<SentenceTranslation>> {
        let key = self.key(source);
        let Some(&Location { offset, len }) = self.index.get(&key) else {
            return Ok(None);
        };
        let path = self.log.path().to_path_buf();
        let entry: Option<CachedTranslation> =
            log::read_record_at(self.log.file(), &path, offset, len)?;
        match entry {
            Some(entry) if entry.source == source => {
                self.stats.hits += 1;
                Ok(Some(SentenceTranslation {
                    text: entry.text,
                    score: entry.score,
                    verdict: entry.verdict,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Stores the translation of `source`.
    pub fn insert(&mut self, source: &str, translation: &SentenceTranslation) -> Result<()> {
        let key = self.key(source);
        let entry = CachedTranslation {
            key: super::digest::hex(&key),
            source: source.to_string(),
            text: translation.text.clone(),
            score: translation.score,
            verdict: translation.verdict.clone(),
        };
        let (offset, len) = self.log.append(&entry)?;
        self.index.insert(key, Location { offset, len });
        self.stats.inserted += 1;
        Ok(())
    }

    /// How the cache was used so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Flushes new entries to disk.
    pub fn sync(&mut self) -> Result<()> {
        self.log.sync()
    }

    fn key(&self, source: &str) -> [u8; 16] {
        let mut hasher = Sha256::new();
        hasher.update(self.namespace.as_bytes());
        hasher.update([0]);
        hasher.update(source.as_bytes());
        hasher.finalize()[..16].try_into().expect("16 bytes")
    }
}

/// What [`merge`] read and wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Files read.
    pub files: usize,
    /// Valid records read in all of them.
    pub records: usize,
    /// Damaged lines left out.
    pub damaged: usize,
    /// Records left out because a later one has the same key.
    pub repeats: usize,
    /// Records written.
    pub written: usize,
}

/// Writes to `output` every distinct entry of the caches `inputs` once (the last one read of each
/// key, in the order keys first appear), without damaged lines, in the current record format.
/// `output` may be one of the inputs (`passeur cache compact`): it is written to a temporary file
/// in its directory and renamed over, all or nothing, and locked meanwhile, so that no run uses it
/// half-merged. Memory holds one small index entry per distinct key, not the translations.
pub fn merge(inputs: &[&Path], output: &Path) -> Result<MergeReport> {
    use std::io::Write;
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|err| crate::Error::io(parent, err))?;
    // Held until the merged file replaces it: a batch run cannot use the cache meanwhile.
    let _lock = RecordLog::open(output, "the sentence cache")?;
    let mut report = MergeReport {
        files: inputs.len(),
        ..MergeReport::default()
    };
    let mut files = Vec::with_capacity(inputs.len());
    let mut order: Vec<[u8; 16]> = Vec::new();
    let mut latest: HashMap<[u8; 16], (usize, Location)> = HashMap::new();
    for (index, &path) in inputs.iter().enumerate() {
        let mut file = std::fs::File::open(path).map_err(|err| crate::Error::io(path, err))?;
        let read = log::read_records(&mut file, path, |offset, len, entry: CachedTranslation| {
            let Some(key) = parse_key(&entry.key) else {
                return;
            };
            if latest
                .insert(key, (index, Location { offset, len }))
                .is_none()
            {
                order.push(key);
            }
        })?;
        report.records += read.records;
        report.damaged += read.damaged;
        files.push(file);
    }
    report.repeats = report.records - order.len();
    let mut temporary = tempfile::Builder::new()
        .prefix(".cache-merge.")
        .suffix(".passeur-tmp")
        .tempfile_in(parent)
        .map_err(|err| crate::Error::io(parent, err))?;
    {
        let mut writer = std::io::BufWriter::new(temporary.as_file_mut());
        for key in &order {
            let (index, location) = latest[key];
            let entry: Option<CachedTranslation> = log::read_record_at(
                &mut files[index],
                inputs[index],
                location.offset,
                location.len,
            )?;
            if let Some(entry) = entry {
                writer
                    .write_all(&log::encode_line(&entry))
                    .map_err(|err| crate::Error::io(output, err))?;
                report.written += 1;
            }
        }
        writer
            .flush()
            .map_err(|err| crate::Error::io(output, err))?;
    }
    if let Ok(metadata) = std::fs::metadata(output) {
        let _ = temporary.as_file().set_permissions(metadata.permissions());
    }
    temporary
        .as_file()
        .sync_all()
        .map_err(|err| crate::Error::io(output, err))?;
    temporary
        .persist(output)
        .map_err(|err| crate::Error::io(output, err.error))?;
    Ok(report)
}

fn parse_key(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 16];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Defect, Recovery};

    fn provenance(model: &str) -> Provenance {
        Provenance {
            model: model.into(),
            revision: None,
            decoding: "beams=4".into(),
            passeur_version: "0.1.0".into(),
        }
    }

    fn translation(text: &str) -> SentenceTranslation {
        SentenceTranslation::new(text, Some(-0.5))
    }

    #[test]
    fn recovery_and_flags_come_back_from_the_cache() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("cache.log");
        let doubtful = SentenceTranslation {
            verdict: Verdict::Flagged {
                defects: vec![Defect::NumberMissing {
                    number: "5.000".into(),
                }],
                recovery: Some(Recovery::ClauseSplit),
            },
            ..translation("Five thousand.")
        };
        {
            let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
            cache.insert("Cinq mille.", &doubtful).unwrap();
        }
        let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
        assert_eq!(cache.get("Cinq mille.").unwrap(), Some(doubtful));
    }

    #[test]
    fn a_kept_cache_answers_after_reopening_within_its_namespace_only() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("cache.log");
        {
            let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
            assert_eq!(cache.get("Bonjour.").unwrap(), None);
            cache.insert("Bonjour.", &translation("Hello.")).unwrap();
            assert_eq!(cache.get("Bonjour.").unwrap(), Some(translation("Hello.")));
        }
        let mut same = SentenceCache::open(&path, &provenance("a")).unwrap();
        assert_eq!(same.stats().entries_at_open, 1);
        assert_eq!(same.get("Bonjour.").unwrap(), Some(translation("Hello.")));
        assert_eq!(same.get("Bonsoir.").unwrap(), None);
        assert_eq!(same.stats().hits, 1);
        drop(same);
        let mut other_model = SentenceCache::open(&path, &provenance("b")).unwrap();
        assert_eq!(other_model.get("Bonjour.").unwrap(), None);
    }

    #[test]
    fn a_record_from_before_verdicts_is_a_miss() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("cache.log");
        let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
        let key = super::super::digest::hex(&cache.key("Un."));
        let old = serde_json::json!({
            "key": key, "source": "Un.", "text": "One.", "score": -0.5,
            "recovery": null, "flags": [["number_missing", "1 is missing"]],
        });
        std::fs::write(&path, log::encode_line(&old)).unwrap();
        drop(cache);
        cache = SentenceCache::open(&path, &provenance("a")).unwrap();
        assert_eq!(cache.stats().damaged_at_open, 1);
        assert_eq!(cache.get("Un.").unwrap(), None);
    }

    #[test]
    fn a_damaged_record_is_a_miss_not_an_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("cache.log");
        {
            let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
            cache.insert("Un.", &translation("One.")).unwrap();
            cache.insert("Deux.", &translation("Two.")).unwrap();
        }
        // Damage the translation of "Un." after the index was built from it.
        let mut cache = SentenceCache::open(&path, &provenance("a")).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(4).position(|w| w == b"One.").unwrap();
        let mut damaged = bytes.clone();
        damaged[at] = b'X';
        std::fs::write(&path, damaged).unwrap();
        assert_eq!(cache.get("Un.").unwrap(), None);
        assert_eq!(cache.get("Deux.").unwrap(), Some(translation("Two.")));
    }

    #[test]
    fn the_directory_of_a_cache_is_created() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("scratch/user/cache-1.log");
        let mut cache = SentenceCache::open(&path, &provenance("m")).unwrap();
        cache.insert("Un.", &translation("One.")).unwrap();
        assert!(path.is_file());
    }

    #[test]
    fn merge_keeps_one_entry_per_key_and_compacts_in_place() {
        let directory = tempfile::tempdir().unwrap();
        let (a, b) = (
            directory.path().join("a.log"),
            directory.path().join("b.log"),
        );
        {
            let mut cache = SentenceCache::open(&a, &provenance("m")).unwrap();
            cache.insert("Un.", &translation("One.")).unwrap();
            cache.insert("Deux.", &translation("Two.")).unwrap();
            let mut other_model = SentenceCache::open(&b, &provenance("n")).unwrap();
            other_model.insert("Un.", &translation("Uno.")).unwrap();
        }
        {
            let mut again = SentenceCache::open(&b, &provenance("m")).unwrap();
            again.insert("Un.", &translation("One!")).unwrap();
            again.insert("Trois.", &translation("Three.")).unwrap();
        }
        // A torn record at the end of b.
        let mut bytes = std::fs::read(&b).unwrap();
        bytes.extend_from_slice(b"\x1e0123abcd {\"key\":\"");
        std::fs::write(&b, bytes).unwrap();
        let merged = directory.path().join("out/merged.log");
        let report = merge(&[a.as_path(), b.as_path()], &merged).unwrap();
        assert_eq!(
            report,
            MergeReport {
                files: 2,
                records: 5,
                damaged: 1,
                repeats: 1,
                written: 4
            }
        );
        let mut cache = SentenceCache::open(&merged, &provenance("m")).unwrap();
        assert_eq!(cache.stats().entries_at_open, 4);
        assert_eq!(
            cache.get("Un.").unwrap(),
            Some(translation("One!")),
            "the last wins"
        );
        assert_eq!(cache.get("Trois.").unwrap(), Some(translation("Three.")));
        drop(cache);
        // Compacting a compact cache changes nothing; a cache in use is refused.
        let before = std::fs::read(&merged).unwrap();
        let again = merge(&[merged.as_path()], &merged).unwrap();
        assert_eq!((again.repeats, again.written), (0, 4));
        assert_eq!(std::fs::read(&merged).unwrap(), before);
        let _in_use = SentenceCache::open(&merged, &provenance("m")).unwrap();
        let err = merge(&[a.as_path()], &merged).unwrap_err().to_string();
        assert!(err.contains("in use"), "{err}");
    }

    #[test]
    fn concatenated_caches_are_a_cache() {
        let directory = tempfile::tempdir().unwrap();
        let (a, b) = (directory.path().join("a"), directory.path().join("b"));
        SentenceCache::open(&a, &provenance("m"))
            .unwrap()
            .insert("Un.", &translation("One."))
            .unwrap();
        SentenceCache::open(&b, &provenance("m"))
            .unwrap()
            .insert("Deux.", &translation("Two."))
            .unwrap();
        let merged = directory.path().join("merged");
        let mut bytes = std::fs::read(&a).unwrap();
        bytes.extend(std::fs::read(&b).unwrap());
        std::fs::write(&merged, bytes).unwrap();
        let mut cache = SentenceCache::open(&merged, &provenance("m")).unwrap();
        assert_eq!(cache.get("Un.").unwrap(), Some(translation("One.")));
        assert_eq!(cache.get("Deux.").unwrap(), Some(translation("Two.")));
    }
}
