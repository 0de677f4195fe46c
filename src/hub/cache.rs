//! Read-only lookups in the Hugging Face hub cache, in the layout Python's `huggingface_hub` writes:
//!
//! ```text
//! <cache>/models--Owner--name/
//!     blobs/<etag>                      file contents
//!     refs/<revision>                   a branch, tag or refs/pr/N → the commit it pointed to
//!     snapshots/<commit>/<file>         links to blobs, one folder per commit
//!     .no_exist/<commit>/<file>         empty markers: the hub said this file does not exist
//! ```
//!
//! The lookup follows `huggingface_hub.try_to_load_from_cache`: a revision is first resolved through
//! `refs/`, else taken as a commit; the file must then exist under that commit's snapshot. Nothing
//! here touches the network, so the same code answers offline runs and `passeur models`; the
//! writes the downloader needs (a ref, a snapshot link) are here too, in the same layout.

use std::path::{Path, PathBuf};

use super::spec::is_commit_hash;
use super::{DEFAULT_WEIGHTS_FILES, REQUIRED_FILES};

/// What the cache knows about one file of one repo revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLookup {
    /// The file is there.
    Found(PathBuf),
    /// A previous download learned that the hub has no such file at this revision.
    KnownAbsent,
    /// The cache does not have it.
    Missing,
}

/// A Hugging Face hub cache folder (the one holding `models--*` folders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubCache {
    dir: PathBuf,
}

impl HubCache {
    /// The cache at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        HubCache { dir: dir.into() }
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of one model repo: `models--Owner--name`.
    pub fn repo_dir(&self, repo: &str) -> PathBuf {
        self.dir
            .join(format!("models--{}", repo.replace('/', "--")))
    }

    /// What `refs/<revision>` says the revision points to, else the revision itself (a commit).
    fn resolve_ref(&self, repo: &str, revision: &str) -> String {
        std::fs::read_to_string(self.repo_dir(repo).join("refs").join(revision))
            .ok()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| revision.to_owned())
    }

    /// The commit a revision stands for, when the cache holds a snapshot of it.
    pub fn commit(&self, repo: &str, revision: &str) -> Option<String> {
        let commit = self.resolve_ref(repo, revision);
        let snapshot = self.repo_dir(repo).join("snapshots").join(&commit);
        snapshot.is_dir().then_some(commit)
    }

    /// Looks up `file` of `repo` at `revision`.
    pub fn lookup(&self, repo: &str, revision: &str, file: &str) -> CacheLookup {
        let repo_dir = self.repo_dir(repo);
        let commit = self.resolve_ref(repo, revision);
        if repo_dir
            .join(".no_exist")
            .join(&commit)
            .join(file)
            .is_file()
        {
            return CacheLookup::KnownAbsent;
        }
        let path = repo_dir.join("snapshots").join(&commit).join(file);
        // `is_file` follows the snapshot's link: a link to a deleted blob counts as missing.
        if path.is_file() {
            CacheLookup::Found(path)
        } else {
            CacheLookup::Missing
        }
    }

    /// Records, as Python does, that the hub has no `file` at `revision`, so that later runs do
    /// not ask again. Only possible once the revision's commit is known from a cached snapshot;
    /// failing to write the marker only costs a request next time, so errors are ignored.
    pub fn mark_absent(&self, repo: &str, revision: &str, file: &str) {
        if let Some(commit) = self.commit(repo, revision) {
            let marker = self
                .repo_dir(repo)
                .join(".no_exist")
                .join(commit)
                .join(file);
            if let Some(parent) = marker.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(marker, b"");
        }
    }

    /// Says, in terms of the cache layout, why `file` of `repo` at `revision` is not found: the
    /// ref that does not exist, the snapshot folder that lacks the file, or the snapshot link whose
    /// blob is gone. Paths are relative to the repo's folder (`models--Owner--name/`).
    pub fn explain_miss(&self, repo: &str, revision: &str, file: &str) -> String {
        let repo_dir = self.repo_dir(repo);
        if !repo_dir.is_dir() {
            return format!(
                "the cache has no folder {} for this repo",
                repo_dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            );
        }
        let ref_path = repo_dir.join("refs").join(revision);
        let commit = match std::fs::read_to_string(&ref_path) {
            Ok(text) if !text.trim().is_empty() => text.trim().to_owned(),
            _ if is_commit_hash(revision) => revision.to_owned(),
            _ => {
                return format!(
                    "refs/{revision} does not exist: no file of revision {revision} was ever \
                     downloaded into this cache"
                )
            }
        };
        let via = if commit == revision {
            String::new()
        } else {
            format!("refs/{revision} points to commit {commit}, but ")
        };
        let snapshot = repo_dir.join("snapshots").join(&commit);
        if repo_dir
            .join(".no_exist")
            .join(&commit)
            .join(file)
            .is_file()
        {
            return format!(
                "{via}.no_exist/{commit}/{file} records that the hub has no such file at that commit"
            );
        }
        if !snapshot.is_dir() {
            return format!("{via}snapshots/{commit}/ does not exist");
        }
        let path = snapshot.join(file);
        match std::fs::read_link(&path) {
            Ok(target) if !path.exists() => format!(
                "{via}snapshots/{commit}/{file} is a link to {}, which does not exist",
                target.display()
            ),
            _ => format!("{via}snapshots/{commit}/ has no {file}"),
        }
    }

    /// The revisions at which the cache holds a complete model of `repo` (every required file and
    /// a weights file in one snapshot): each ref of `refs/`, then each other snapshot by its
    /// commit, with the commit. What a user can pass after `@` and have work offline.
    pub fn complete_revisions(&self, repo: &str) -> Vec<(String, String)> {
        let complete = |commit: &str| {
            let found =
                |file: &str| matches!(self.lookup(repo, commit, file), CacheLookup::Found(_));
            REQUIRED_FILES.iter().all(|(file, _)| found(file))
                && DEFAULT_WEIGHTS_FILES.iter().any(|file| found(file))
        };
        let mut revisions: Vec<(String, String)> = self
            .cached_refs(repo)
            .into_iter()
            .filter(|(_, commit)| complete(commit))
            .collect();
        let Ok(entries) = std::fs::read_dir(self.repo_dir(repo).join("snapshots")) else {
            return revisions;
        };
        let mut others: Vec<(String, String)> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
            .filter(|commit| is_commit_hash(commit) && complete(commit))
            .filter(|commit| !revisions.iter().any(|(_, c)| c == commit))
            .map(|commit| (commit.clone(), commit))
            .collect();
        others.sort();
        revisions.extend(others);
        revisions
    }

    /// Records that `revision` of `repo` points to `commit`, as `refs/<revision>` (written to a
    /// temporary file, then renamed). Nothing is written for a revision that is itself a commit,
    /// as Python does.
    pub(crate) fn write_ref(
        &self,
        repo: &str,
        revision: &str,
        commit: &str,
    ) -> std::io::Result<()> {
        if revision == commit || is_commit_hash(revision) {
            return Ok(());
        }
        let path = self.repo_dir(repo).join("refs").join(revision);
        if std::fs::read_to_string(&path).is_ok_and(|text| text.trim() == commit) {
            return Ok(());
        }
        let parent = path.parent().expect("a ref path has a parent");
        std::fs::create_dir_all(parent)?;
        let mut temporary = tempfile::NamedTempFile::new_in(parent)?;
        std::io::Write::write_all(&mut temporary, commit.as_bytes())?;
        temporary.persist(&path).map_err(|err| err.error)?;
        Ok(())
    }

    /// Makes `snapshots/<commit>/<file>` point to `blob` (a relative symbolic link, as Python
    /// makes; a copy where links cannot be made) and returns its path.
    pub(crate) fn link_snapshot(
        &self,
        repo: &str,
        commit: &str,
        file: &str,
        blob: &Path,
    ) -> std::io::Result<PathBuf> {
        let pointer = self
            .repo_dir(repo)
            .join("snapshots")
            .join(commit)
            .join(file);
        let parent = pointer.parent().expect("a snapshot path has a parent");
        std::fs::create_dir_all(parent)?;
        if std::fs::symlink_metadata(&pointer).is_ok() {
            std::fs::remove_file(&pointer)?;
        }
        // From snapshots/<commit>/<dirs…>/ up to the repo folder, then into blobs/.
        let depth = 2 + file.matches('/').count();
        let mut target = PathBuf::new();
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(blob.file_name().expect("a blob has a file name"));
        #[cfg(unix)]
        let linked = std::os::unix::fs::symlink(&target, &pointer);
        #[cfg(not(unix))]
        let linked: std::io::Result<()> = Err(std::io::ErrorKind::Unsupported.into());
        if linked.is_err() {
            std::fs::copy(blob, &pointer)?;
        }
        Ok(pointer)
    }

    /// The revisions named in `refs/` for `repo`, with their commits, sorted (for error hints).
    pub fn cached_refs(&self, repo: &str) -> Vec<(String, String)> {
        let refs_dir = self.repo_dir(repo).join("refs");
        let mut refs = Vec::new();
        collect_refs(&refs_dir, &refs_dir, &mut refs);
        refs.sort();
        refs
    }
}

fn collect_refs(root: &Path, dir: &Path, refs: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_refs(root, &path, refs);
        } else if let (Ok(name), Ok(commit)) =
            (path.strip_prefix(root), std::fs::read_to_string(&path))
        {
            let name = name
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            refs.push((name, commit.trim().to_owned()));
        }
    }
}

/// The commit of a file's snapshot folder, when `path` is `…/snapshots/<commit>/<file>`.
pub(crate) fn snapshot_commit(path: &Path) -> Option<String> {
    let commit_dir = path.parent()?;
    let snapshots = commit_dir.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    Some(commit_dir.file_name()?.to_string_lossy().into_owned())
}
