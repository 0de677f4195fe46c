//! API keys: a file of keys, one per line.

use crate::{Error, Result};
use std::collections::HashSet;
use std::path::Path;

/// The keys a client may send as `api_key`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKeys {
    keys: HashSet<String>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the keys themselves (logs, panics).
        write!(f, "ApiKeys({} keys)", self.keys.len())
    }
}

impl ApiKeys {
    /// Reads `path`: one key per line, surrounding spaces trimmed; blank lines and lines
    /// starting with `#` are skipped. A file with no key is an error (it would lock everyone
    /// out).
    pub fn from_file(path: &Path) -> Result<ApiKeys> {
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
        let keys = ApiKeys::parse(&text);
        if keys.keys.is_empty() {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "no API key in this file (one key per line; lines starting with # are \
                     comments)",
                ),
            ));
        }
        Ok(keys)
    }

    /// The keys of a text laid out like the file.
    pub fn parse(text: &str) -> ApiKeys {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
            .collect();
        ApiKeys { keys }
    }

    /// Whether `key` is one of the keys.
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_spaces_are_not_keys() {
        let keys = ApiKeys::parse("# clients\n  alpha \n\n#beta\ngamma\r\n");
        assert_eq!(keys.len(), 2);
        assert!(keys.contains("alpha") && keys.contains("gamma"));
        assert!(!keys.contains("#beta") && !keys.contains(""));
        assert_eq!(format!("{keys:?}"), "ApiKeys(2 keys)");
    }
}
