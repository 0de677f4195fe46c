//! How a batch run names files: inputs and outputs by their path relative to their directory,
//! with `/` between components on every platform (the manifest's keys), and each output as its
//! input's path with the format's extension appended.

use crate::write::Format;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `relative` with `/` between components.
pub(super) fn slash_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The output path of `relative` (an input's path relative to IN_DIR) in `format`, relative to
/// OUT_DIR: the input's path with the format's extension appended; for the translated page of an
/// HTML input, the input's own path, so OUT_DIR mirrors the site in English (its relative links
/// still work).
pub fn output_relative_path(relative: &Path, format: Format) -> PathBuf {
    if format == Format::Page {
        return relative.to_path_buf();
    }
    let mut name = OsString::from(relative.as_os_str());
    name.push(".");
    name.push(format.extension());
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_keep_the_source_extension() {
        assert_eq!(
            output_relative_path(Path::new("2024/mars/a.txt"), Format::Html),
            Path::new("2024/mars/a.txt.html")
        );
        assert_eq!(
            output_relative_path(Path::new("a.md"), Format::Markdown),
            Path::new("a.md.md")
        );
        assert_eq!(
            slash_name(Path::new("2024").join("mars").as_path()),
            "2024/mars"
        );
    }
}
