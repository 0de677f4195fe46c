//! The reader thread of a batch run: it reads, hashes, decodes and parses inputs ahead of the
//! translator and hands them over through a bounded queue, so the model never waits for the disk
//! and at most the queue's bound of parsed documents wait in memory. Inputs that an earlier run
//! did (same content hash as in the manifest) are reported as skipped without being parsed.
//!
//! An input is opened without following a symbolic link unless the walk reached it through one it
//! accepted, and without blocking, and must still be a regular file: an entry that was replaced by
//! a link or a FIFO after the walk fails with that reason instead of leading the run elsewhere or
//! hanging it. It is read with the size limit and binary sniffing of [`input::read_limited`].

use super::digest::sha256_hex;
use super::InputFile;
use crate::document::{Document, Syntax};
use crate::input;
use crate::Error;
use encoding_rs::Encoding;
use std::sync::mpsc::SyncSender;

/// An input as the reader thread hands it over.
pub(super) enum Loaded {
    /// Done by an earlier run, unchanged.
    Skipped { index: usize },
    /// Could not be read or decoded.
    Failed {
        index: usize,
        reason: String,
        content_sha256: Option<String>,
        bytes: u64,
    },
    /// Parsed and ready to plan.
    Ready {
        index: usize,
        content_sha256: String,
        bytes: u64,
        encoding: String,
        document: Document,
    },
}

/// The reader thread: reads, hashes, decodes and parses each input in order, and sends it (or
/// that it is skipped or failed) through the bounded `sender`. Stops when the receiver is gone.
pub(super) fn read_inputs(
    inputs: &[InputFile],
    skip_if: &[Option<String>],
    forced: Option<&'static Encoding>,
    max_bytes: u64,
    sender: SyncSender<Loaded>,
) {
    for (index, input) in inputs.iter().enumerate() {
        let loaded = load(index, input, skip_if[index].as_deref(), forced, max_bytes);
        if sender.send(loaded).is_err() {
            return;
        }
    }
}

/// Opens `input` as the module docs say.
fn open(input: &InputFile) -> crate::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if input.linked { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | no_follow);
    }
    let file = options.open(&input.path).map_err(|err| {
        #[cfg(unix)]
        if err.raw_os_error() == Some(libc::ELOOP) {
            return Error::io(
                &input.path,
                std::io::Error::other(
                    "now a symbolic link (it changed since the walk); not followed",
                ),
            );
        }
        Error::io(&input.path, err)
    })?;
    let metadata = file.metadata().map_err(|err| Error::io(&input.path, err))?;
    if !metadata.is_file() {
        return Err(Error::io(
            &input.path,
            std::io::Error::other("not a regular file any more (it changed since the walk)"),
        ));
    }
    Ok(file)
}

fn load(
    index: usize,
    input: &InputFile,
    skip_if: Option<&str>,
    forced: Option<&'static Encoding>,
    max_bytes: u64,
) -> Loaded {
    let name = input.path.display().to_string();
    let read = open(input).and_then(|file| {
        let size = file.metadata().ok().map(|m| m.len());
        input::read_limited(file, &name, forced, max_bytes, size)
    });
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(err) => {
            return Loaded::Failed {
                index,
                reason: err.to_string(),
                content_sha256: None,
                bytes: 0,
            }
        }
    };
    let content_sha256 = sha256_hex(&bytes);
    if skip_if == Some(content_sha256.as_str()) {
        return Loaded::Skipped { index };
    }
    let size = bytes.len() as u64;
    let syntax = Syntax::from_path(&input.path);
    let name = input.path.display().to_string();
    let decoded = match syntax {
        // A web page's own charset declaration counts (see `crate::html::decode`).
        Syntax::Html => crate::html::decode(&bytes, &name, forced, None),
        _ => input::decode(&bytes, &name, forced),
    };
    match decoded {
        Ok(decoded) => Loaded::Ready {
            index,
            content_sha256,
            bytes: size,
            encoding: decoded.describe_encoding(),
            document: Document::parse(decoded.text, syntax),
        },
        Err(err) => Loaded::Failed {
            index,
            reason: err.to_string(),
            content_sha256: Some(content_sha256),
            bytes: size,
        },
    }
}
