//! Typed reads of the keys of a Hugging Face JSON config, with errors that name the file and the key.
//!
//! Hugging Face configs are loose dictionaries: keys may be absent, `null`, or of the wrong type.
//! Reading them key by key (rather than through one serde struct) lets every error say which key of
//! which file is wrong, and lets the caller decide, key by key, whether absence means a default.

use crate::{Error, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Which error variant a bad key becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigKind {
    /// `config.json` (the model's architecture).
    Model,
    /// `generation_config.json` (or the generation keys of `config.json`).
    Generation,
}

/// The keys of one JSON object read from `path`.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    path: PathBuf,
    kind: ConfigKind,
    map: Map<String, Value>,
}

impl Fields {
    /// Reads and parses the JSON object in `path`.
    pub(crate) fn read(path: &Path, kind: ConfigKind) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path, kind)
    }

    /// Parses `text`, which came from `path`.
    pub(crate) fn parse(text: &str, path: &Path, kind: ConfigKind) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Self::error_for(
                path,
                kind,
                "(file)",
                format!("not valid JSON ({e}); re-download the file"),
            )
        })?;
        match value {
            Value::Object(map) => Ok(Self {
                path: path.to_path_buf(),
                kind,
                map,
            }),
            _ => Err(Self::error_for(
                path,
                kind,
                "(file)",
                "expected a JSON object at the top level".to_string(),
            )),
        }
    }

    /// Wraps an already parsed object.
    pub(crate) fn from_map(map: Map<String, Value>, path: &Path, kind: ConfigKind) -> Self {
        Self {
            path: path.to_path_buf(),
            kind,
            map,
        }
    }

    /// The file the keys came from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The keys present, with their values.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    fn error_for(path: &Path, kind: ConfigKind, field: &str, problem: String) -> Error {
        match kind {
            ConfigKind::Model => Error::ModelConfig {
                path: path.to_path_buf(),
                field: field.to_string(),
                problem,
            },
            ConfigKind::Generation => Error::GenerationConfig {
                path: path.to_path_buf(),
                field: field.to_string(),
                problem,
            },
        }
    }

    /// An error about `field` of this file.
    pub(crate) fn error(&self, field: &str, problem: impl Into<String>) -> Error {
        Self::error_for(&self.path, self.kind, field, problem.into())
    }

    /// The value of `key`, treating JSON `null` as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required non-negative integer.
    pub(crate) fn usize(&self, key: &str) -> Result<usize> {
        self.opt_usize(key)?
            .ok_or_else(|| self.error(key, "missing; a Marian config must give it"))
    }

    /// An optional non-negative integer.
    pub(crate) fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    self.error(key, format!("expected a non-negative integer, found {v}"))
                }),
        }
    }

    /// A required token id.
    pub(crate) fn token(&self, key: &str) -> Result<u32> {
        self.opt_token(key)?
            .ok_or_else(|| self.error(key, "missing; a Marian config must give it"))
    }

    /// An optional token id.
    pub(crate) fn opt_token(&self, key: &str) -> Result<Option<u32>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Self::as_token(v)
                .map(Some)
                .ok_or_else(|| self.error(key, format!("expected a token id, found {v}"))),
        }
    }

    /// An optional token id or list of token ids (transformers accepts both for eos ids).
    pub(crate) fn opt_tokens(&self, key: &str) -> Result<Option<Vec<u32>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(Self::as_token)
                .collect::<Option<Vec<u32>>>()
                .map(Some)
                .ok_or_else(|| {
                    self.error(
                        key,
                        "expected a token id or a list of token ids".to_string(),
                    )
                }),
            Some(v) => Self::as_token(v).map(|t| Some(vec![t])).ok_or_else(|| {
                self.error(
                    key,
                    format!("expected a token id or a list of token ids, found {v}"),
                )
            }),
        }
    }

    /// An optional list of token-id sequences (`bad_words_ids`).
    pub(crate) fn opt_token_lists(&self, key: &str) -> Result<Option<Vec<Vec<u32>>>> {
        let bad = || self.error(key, "expected a list of lists of token ids, e.g. [[59513]]");
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(lists)) => lists
                .iter()
                .map(|list| match list {
                    Value::Array(ids) if !ids.is_empty() => ids
                        .iter()
                        .map(Self::as_token)
                        .collect::<Option<Vec<u32>>>()
                        .ok_or_else(bad),
                    _ => Err(bad()),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.error(key, format!("expected true or false, found {v}"))),
        }
    }

    /// An optional number.
    pub(crate) fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.error(key, format!("expected a number, found {v}"))),
        }
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.error(key, format!("expected a string, found {v}"))),
        }
    }

    fn as_token(v: &Value) -> Option<u32> {
        v.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}
