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
//! * symbolic links never lead the run outside IN_DIR unless it is asked to
//!   (`follow_symlinks`, `--follow-symlinks`): a link to a file inside IN_DIR is an input like the
//!   file; a link to a file outside it, or to a directory, is left out with its reason. With
//!   `follow_symlinks`, links to files are inputs wherever they point and links to directories
//!   are entered, each directory once (so a loop ends);
//! * what cannot be an input although its name says it is — a FIFO, a device, a socket, a
//!   dangling link, a link loop, a link refused by the rule above — is left out and listed with
//!   why ([`Found::left_out`]), never skipped in silence (and never opened: a FIFO would block);
//! * entries are listed in byte order of their names, so runs and shards see the same order;
//! * a directory that cannot be read is reported, with the reason, and the walk goes on.
//!
//! Only paths are collected, never contents: a folder of a million files costs its path names.

use super::names::slash_name;
use crate::{Error, Result};
use glob::{MatchOptions, Pattern};
use std::collections::HashSet;
use std::fs::FileType;
use std::path::{Path, PathBuf};

/// The patterns used when no `--include` is given.
pub(super) const DEFAULT_INCLUDE: [&str; 4] = ["*.txt", "*.md", "*.html", "*.htm"];

/// Which files of the input directory are inputs.
#[derive(Debug, Clone)]
pub struct Filter {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

impl Filter {
    /// A filter from `--include` patterns (`DEFAULT_INCLUDE` when empty) and `--exclude`
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
    /// Whether a symbolic link leads to it (its last component, or a directory link entered with
    /// `follow_symlinks`); otherwise it is opened without following links.
    pub linked: bool,
}

/// An entry whose name makes it an input but that is not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// Its path relative to the input directory, `/`-separated.
    pub entry: String,
    /// Why it is left out, e.g. `a FIFO, not a regular file`.
    pub reason: String,
}

/// What a walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Found {
    /// The inputs, sorted by relative path.
    pub inputs: Vec<InputFile>,
    /// Directories that could not be listed.
    pub unreadable: Vec<UnreadableDirectory>,
    /// Entries left out (special files, dangling or refused links), in walk order.
    pub left_out: Vec<LeftOut>,
}

/// A directory that could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UnreadableDirectory {
    /// Its path relative to the input directory, `/`-separated.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// Lists the inputs under `input_dir` (see the module docs), skipping `output_dir`, without
/// following symbolic links out of `input_dir`.
#[cfg(test)]
fn find_inputs(
    input_dir: &Path,
    output_dir: &Path,
    filter: &Filter,
) -> Result<(Vec<InputFile>, Vec<UnreadableDirectory>)> {
    let found = walk(input_dir, output_dir, filter, false)?;
    Ok((found.inputs, found.unreadable))
}

/// Walks `input_dir` (see the module docs), skipping `output_dir`; `follow_symlinks` lets links
/// lead anywhere.
pub(super) fn walk(
    input_dir: &Path,
    output_dir: &Path,
    filter: &Filter,
    follow_symlinks: bool,
) -> Result<Found> {
    let output_dir = output_dir.canonicalize().ok();
    let root = input_dir
        .canonicalize()
        .map_err(|err| Error::BatchDirectory {
            path: input_dir.to_path_buf(),
            problem: format!("cannot list the input directory: {err}"),
        })?;
    let mut found = Found::default();
    let mut entered: HashSet<PathBuf> = HashSet::from([root.clone()]);
    let mut pending = vec![(PathBuf::new(), false)];
    while let Some((relative_dir, linked_dir)) = pending.pop() {
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
                found.unreadable.push(UnreadableDirectory {
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
            let path = input_dir.join(&relative);
            let leave_out = |found: &mut Found, reason: String| {
                if filter.is_input(&name) {
                    found.left_out.push(LeftOut {
                        entry: name.clone(),
                        reason,
                    });
                }
            };
            if file_type.is_dir() {
                if !filter.excludes_directory(&name) {
                    subdirectories.push((relative, linked_dir));
                }
            } else if file_type.is_file() {
                if filter.is_input(&name) {
                    found.inputs.push(InputFile {
                        path,
                        relative,
                        name,
                        linked: linked_dir,
                    });
                }
            } else if file_type.is_symlink() {
                let target = match std::fs::metadata(&path) {
                    Ok(metadata) => metadata,
                    Err(err) => {
                        leave_out(&mut found, broken_link(&path, &err));
                        continue;
                    }
                };
                if target.is_dir() {
                    if filter.excludes_directory(&name) {
                        continue;
                    }
                    let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
                    if !follow_symlinks {
                        found.left_out.push(LeftOut {
                            entry: name,
                            reason: "a symbolic link to a directory, not entered (pass \
                                     --follow-symlinks to enter it)"
                                .to_string(),
                        });
                    } else if entered.insert(canonical.clone()) {
                        subdirectories.push((relative, true));
                    } else {
                        found.left_out.push(LeftOut {
                            entry: name,
                            reason: format!(
                                "a symbolic link to {}, a directory already walked (a loop or a \
                                 second way in)",
                                canonical.display()
                            ),
                        });
                    }
                } else if target.is_file() {
                    let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
                    if !filter.is_input(&name) {
                        continue;
                    }
                    if follow_symlinks || canonical.starts_with(&root) {
                        found.inputs.push(InputFile {
                            path,
                            relative,
                            name,
                            linked: true,
                        });
                    } else {
                        leave_out(
                            &mut found,
                            format!(
                                "a symbolic link to {}, outside the input directory (pass \
                             --follow-symlinks to read it)",
                                canonical.display()
                            ),
                        );
                    }
                } else {
                    let kind = special_kind(&target.file_type());
                    leave_out(
                        &mut found,
                        format!("a symbolic link to {kind}, not a regular file"),
                    );
                }
            } else {
                let kind = special_kind(&file_type);
                leave_out(&mut found, format!("{kind}, not a regular file"));
            }
        }
        // Reversed so that the stack pops them in name order.
        pending.extend(subdirectories.into_iter().rev());
    }
    found.inputs.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}

/// Why the symbolic link at `path` leads nowhere, given the error of following it.
fn broken_link(path: &Path, err: &std::io::Error) -> String {
    let target = std::fs::read_link(path)
        .map(|t| format!(" (to {})", t.display()))
        .unwrap_or_default();
    if err.kind() == std::io::ErrorKind::NotFound {
        format!("a dangling symbolic link{target}: its target does not exist")
    } else if is_link_loop(err) {
        format!("a symbolic link loop{target}")
    } else {
        format!("a symbolic link that cannot be followed{target}: {err}")
    }
}

fn is_link_loop(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    return err.raw_os_error() == Some(libc::ELOOP);
    #[cfg(not(unix))]
    return false;
}

/// What a special file is, in words: `a FIFO`, `a character device`…
fn special_kind(file_type: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        } else if file_type.is_char_device() {
            return "a character device";
        } else if file_type.is_block_device() {
            return "a block device";
        } else if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = file_type;
    "a special file"
}

/// The entries of `directory`, sorted by name.
fn list(directory: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    let mut entries = std::fs::read_dir(directory)?.collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    Ok(entries)
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
        assert!(!default.is_input("c.pdf"));
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
