//! What the user typed after `--model`, before any file is looked at: a models.toml name, a local
//! folder or a hub repo id, each checked so that no revision or repo id can escape the cache.

use std::path::{Path, PathBuf};

use super::catalog::{self, CatalogEntry};
use crate::{Error, Result};

/// What a model spec names, before any file is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// A models.toml entry.
    Catalog(&'static CatalogEntry),
    /// A models.toml entry at another revision than the pinned one (`NAME@revision`): its repo,
    /// every file at that revision.
    CatalogAt {
        /// The entry.
        entry: &'static CatalogEntry,
        /// Branch, tag, `refs/pr/N` or commit.
        revision: String,
    },
    /// A local folder.
    Local(PathBuf),
    /// A hub repo at a revision.
    Hub {
        /// Hub repo id, `Owner/name`.
        repo: String,
        /// Branch, tag, `refs/pr/N` or commit (`main` unless given after `@`).
        revision: String,
    },
}

impl ModelSpec {
    /// Reads a `--model` value: a models.toml name, an existing folder, or `Owner/name[@revision]`.
    pub fn parse(spec: &str) -> Result<Self> {
        let invalid = |problem: &str| Error::InvalidModelSpec {
            spec: spec.to_owned(),
            problem: problem.to_owned(),
        };
        if spec.trim().is_empty() {
            return Err(invalid("the model name is empty"));
        }
        if let Some(entry) = catalog::find(spec)? {
            return Ok(ModelSpec::Catalog(entry));
        }
        if let Some((name, revision)) = spec.split_once('@') {
            if let Some(entry) = catalog::find(name)? {
                validate_revision(revision).map_err(|problem| invalid(&problem))?;
                return Ok(ModelSpec::CatalogAt {
                    entry,
                    revision: revision.to_owned(),
                });
            }
        }
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(ModelSpec::Local(path.to_owned()));
        }
        // What comes before '@' decides: a revision such as refs/pr/4 has slashes of its own.
        let before_revision = spec.split_once('@').map_or(spec, |(repo, _)| repo);
        let looks_like_path = spec.starts_with(['.', '/', '~', '\\'])
            || spec.contains('\\')
            || before_revision.matches('/').count() > 1
            || path.is_absolute();
        if path.exists() {
            return Err(invalid(
                "this is a file; give the folder that holds config.json, the .spm files, vocab.json \
                 and the weights",
            ));
        }
        if looks_like_path {
            return Err(invalid("no such folder"));
        }
        if !spec.contains('/') {
            let known = catalog::catalog()?
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::UnknownModel {
                spec: spec.to_owned(),
                known,
            });
        }
        let (repo, revision) = match spec.split_once('@') {
            Some((repo, revision)) => (repo, revision),
            None => (spec, "main"),
        };
        validate_repo_id(repo).map_err(|problem| invalid(&problem))?;
        validate_revision(revision).map_err(|problem| invalid(&problem))?;
        Ok(ModelSpec::Hub {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// Whether `revision` is a full commit hash (40 lowercase hex digits).
pub(crate) fn is_commit_hash(revision: &str) -> bool {
    revision.len() == 40
        && revision
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a hub repo id as the hub does: `Owner/name`, letters, digits, `-`, `_`, `.`, no `--` or
/// `..`, at most 96 characters a part.
pub(crate) fn validate_repo_id(repo: &str) -> std::result::Result<(), String> {
    let Some((owner, name)) = repo.split_once('/') else {
        return Err("a hub repo id has the form Owner/name".into());
    };
    for part in [owner, name] {
        if part.is_empty() || part.len() > 96 {
            return Err("each part of Owner/name must have 1 to 96 characters".into());
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(
                "a hub repo id may only contain letters, digits, '-', '_', '.' and one '/'".into(),
            );
        }
        if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
            return Err("a part of a hub repo id cannot start or end with '-' or '.'".into());
        }
    }
    if repo.contains("--") || repo.contains("..") {
        return Err("a hub repo id cannot contain '--' or '..'".into());
    }
    Ok(())
}

/// Checks a revision: a branch, tag, `refs/pr/N` or commit, that cannot escape the cache folder.
pub(crate) fn validate_revision(revision: &str) -> std::result::Result<(), String> {
    if revision.is_empty() {
        return Err("the revision after '@' is empty".into());
    }
    let safe = !revision.starts_with('/')
        && !revision
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && !revision
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if safe {
        Ok(())
    } else {
        Err(format!("{revision:?} is not a valid revision"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_hashes_are_forty_lowercase_hex_digits() {
        assert!(is_commit_hash("b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1b"));
        assert!(!is_commit_hash("main"));
        assert!(!is_commit_hash("B4A9A384C2EC68A224BBD2EE3FD5DF0C71CA5B1B"));
        assert!(!is_commit_hash("b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1"));
    }

    #[test]
    fn repo_ids_are_checked_like_the_hub_does() {
        assert!(validate_repo_id("Helsinki-NLP/opus-mt-fr-en").is_ok());
        assert!(validate_repo_id("a/b.c_d").is_ok());
        for bad in [
            "opus-mt-fr-en",
            "/x",
            "x/",
            "a/b/c",
            "a--b/c",
            "a/b..c",
            "a/b c",
            "-a/b",
            "a/b.",
        ] {
            assert!(validate_repo_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn revisions_cannot_escape_the_cache() {
        for good in [
            "main",
            "refs/pr/4",
            "v1.0",
            "b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1b",
        ] {
            assert!(validate_revision(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../x",
            "refs/../../etc",
            "/etc",
            "a//b",
            "a b",
            "a\\b",
            "refs/pr/",
        ] {
            assert!(validate_revision(bad).is_err(), "{bad}");
        }
    }
}
