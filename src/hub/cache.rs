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
//! here touches the network, so the same code answers offline runs and `passeur models`.

use std::path::{Path, PathBuf};

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
pub fn snapshot_commit(path: &Path) -> Option<String> {
    let commit_dir = path.parent()?;
    let snapshots = commit_dir.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    Some(commit_dir.file_name()?.to_string_lossy().into_owned())
}
