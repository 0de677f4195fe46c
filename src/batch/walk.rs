//! Finding the inputs of a batch: a recursive walk of the input directory.
//!
//! The rules:
//! * files and directories whose name starts with `.` are skipped (`.git`, `.DS_Store`, editor
//!   swap files), and so is the output directory when it lies inside the input directory;
//! * a pattern without `/` is matched against a file's (or directory's) name, a pattern with `/`
//!   against its path relative to the input directory, where `*` and `?` stay within one
//!   component and `**` crosses any number of directories (`2024/**/*.txt`);
//! * a file is an input when it matches an `--include` pattern (by default `*.txt`, `*.md`, `*.html` and `*.htm`) and
//!   no `--exclude` pattern; a directory matching an `--exclude` pattern is not entered;
//! * symbolic links to files are followed; links to directories are not (no cycles, no leaving
//!   the tree);
//! * entries are listed in byte order of their names, so runs and shards see the same order;
//! * a directory that cannot be read is reported, with the reason, and the walk goes on.
//!
//! Only paths are collected, never contents: a folder of a million files costs its path names.

use crate::{Error, Result};
use glob::{MatchOptions, Pattern};
use std::path::{Path, PathBuf};

/// The patterns used when no `--include` is given.
pub const DEFAULT_INCLUDE: [&str; 4] = ["*.txt", "*.md", "*.html", "*.htm"];

/// Which files of the input directory are inputs.
#[derive(Debug, Clone)]
pub struct Filter {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

impl Filter {
    /// A filter from `--include` patterns ([`DEFAULT_INCLUDE`] when empty) and `--exclude`
    /// patterns.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter> {
        let compile = |patterns: &[String]| -> Result<Vec<Pattern>> {
            patterns
                .iter()
                .map(|pattern| {
                    Pattern::new(pattern).map_err(|err| Error::BadPattern {
                        pattern: pattern.clone(),
                        detail: err.msg.to_string(),
                    })
                })
                .collect()
        };
        let include = if include.is_empty() {
            DEFAULT_INCLUDE.iter().map(|p| p.to_string()).collect()
        } else {
            include.to_vec()
        };
        Ok(Filter {
            include: compile(&include)?,
            exclude: compile(exclude)?,
        })
    }

    /// Whether the file at `relative` (components joined by `/`) is an input.
    pub fn is_input(&self, relative: &str) -> bool {
        matches_any(&self.include, relative) && !matches_any(&self.exclude, relative)
    }

    /// Whether the directory at `relative` is excluded (and so not entered).
    pub fn excludes_directory(&self, relative: &str) -> bool {
        matches_any(&self.exclude, relative)
    }
}

fn matches_any(patterns: &[Pattern], relative: &str) -> bool {
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let name = relative.rsplit('/').next().unwrap_or(relative);
    patterns.iter().any(|pattern| {
        let subject = if pattern.as_str().contains('/') {
            relative
        } else {
            name
        };
        pattern.matches_with(subject, options)
    })
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path relative to the input directory.
    pub relative: PathBuf,
    /// The relative path with `/` between components (lossy for names that are not UTF-8): the
    /// input's name in the manifest, the summary and shard selection.
    pub name: String,
    /// The path to read it from.
    pub path: PathBuf,
}

/// A directory that could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableDirectory {
    /// Its path relative to the input directory, `/`-separated.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// Lists the inputs under `input_dir` (see the module docs), skipping `output_dir`.
pub fn find_inputs(
    input_dir: &Path,
    output_dir: &Path,
    filter: &Filter,
) -> Result<(Vec<InputFile>, Vec<UnreadableDirectory>)> {
    let output_dir = output_dir.canonicalize().ok();
    let mut inputs = Vec::new();
    let mut unreadable = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative_dir) = pending.pop() {
        let directory = input_dir.join(&relative_dir);
        if output_dir.is_some() && directory.canonicalize().ok() == output_dir {
            continue;
        }
        let entries = match list(&directory) {
            Ok(entries) => entries,
            Err(err) if relative_dir.as_os_str().is_empty() => {
                return Err(Error::BatchDirectory {
                    path: input_dir.to_path_buf(),
                    problem: format!("cannot list the input directory: {err}"),
                })
            }
            Err(err) => {
                unreadable.push(UnreadableDirectory {
                    name: slash_name(&relative_dir),
                    reason: format!("cannot list this directory: {err}"),
                });
                continue;
            }
        };
        let mut subdirectories = Vec::new();
        for entry in entries {
            let file_name = entry.file_name();
            if file_name.to_string_lossy().starts_with('.') {
                continue;
            }
            let relative = relative_dir.join(&file_name);
            let name = slash_name(&relative);
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let is_file = if file_type.is_symlink() {
                std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file())
            } else {
                file_type.is_file()
            };
            if file_type.is_dir() {
                if !filter.excludes_directory(&name) {
                    subdirectories.push(relative);
                }
            } else if is_file && filter.is_input(&name) {
                inputs.push(InputFile {
                    path: input_dir.join(&relative),
                    relative,
                    name,
                });
            }
        }
        // Reversed so that the stack pops them in name order.
        pending.extend(subdirectories.into_iter().rev());
    }
    inputs.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok((inputs, unreadable))
}

/// The entries of `directory`, sorted by name.
fn list(directory: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    let mut entries = std::fs::read_dir(directory)?.collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    Ok(entries)
}

/// `relative` with `/` between components.
pub fn slash_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Filter {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Filter::new(&owned(include), &owned(exclude)).unwrap()
    }

    #[test]
    fn patterns_without_slash_match_names_with_slash_whole_paths() {
        let default = filter(&[], &[]);
        assert!(default.is_input("a.txt"));
        assert!(default.is_input("deep/er/b.md"));
        assert!(!default.is_input("c.html"));
        let by_path = filter(&["2024/*.txt"], &[]);
        assert!(by_path.is_input("2024/a.txt"));
        assert!(
            !by_path.is_input("2024/mars/a.txt"),
            "* stays in one component"
        );
        assert!(!by_path.is_input("a.txt"));
        let deep = filter(&["2024/**/*.txt"], &["brouillon*"]);
        assert!(deep.is_input("2024/mars/a.txt"));
        assert!(deep.is_input("2024/a.txt"));
        assert!(!deep.is_input("2024/mars/brouillon-1.txt"));
        assert!(deep.excludes_directory("2024/brouillons"));
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let err = Filter::new(&["[abc".to_string()], &[]).unwrap_err();
        assert!(err.to_string().contains("`[abc`"), "{err}");
    }

    #[test]
    fn walk_skips_hidden_entries_excluded_directories_and_the_output_directory() {
        let root = tempfile::tempdir().unwrap();
        let make = |path: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        };
        for path in [
            "b.txt",
            "a.md",
            "image.png",
            ".cache.txt",
            ".git/HEAD.txt",
            "z/nested/c.txt",
            "drafts/d.txt",
            "out/old.txt.md",
        ] {
            make(path);
        }
        let output_dir = root.path().join("out");
        let (inputs, unreadable) =
            find_inputs(root.path(), &output_dir, &filter(&[], &["drafts"])).unwrap();
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a.md", "b.txt", "z/nested/c.txt"]);
        assert!(unreadable.is_empty());
        assert_eq!(inputs[2].path, root.path().join("z/nested/c.txt"));
    }

    #[test]
    fn a_missing_input_directory_is_an_error_naming_it() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("nowhere");
        let err = find_inputs(&missing, root.path(), &filter(&[], &[])).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }
}
