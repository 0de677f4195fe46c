//! Downloads from the Hugging Face hub into the standard cache, through hf-hub's blocking client,
//! with one indicatif progress bar per file on stderr.
//!
//! hf-hub writes Python's cache layout (`blobs/`, `snapshots/<commit>/`, `refs/<revision>`), so what
//! passeur downloads, Python transformers reuses, and the other way round.

use std::path::PathBuf;

use hf_hub::api::sync::{Api, ApiBuilder, ApiError};
use hf_hub::api::Progress;
use hf_hub::{Cache, Repo, RepoType};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{is_commit_hash, HubCache, ResolveOptions};
use crate::{Error, Result};

/// A hub client bound to one cache folder.
pub(crate) struct Downloader {
    api: Api,
    cache: HubCache,
    progress: bool,
}

impl Downloader {
    pub(crate) fn new(options: &ResolveOptions) -> Result<Self> {
        let api = ApiBuilder::from_cache(Cache::new(options.cache_dir.clone()))
            .with_endpoint(options.endpoint.clone())
            .with_token(options.token.clone())
            .with_user_agent("passeur", env!("CARGO_PKG_VERSION"))
            .with_progress(false)
            .build()
            .map_err(|err| Error::Message(format!("cannot set up the hub client: {err}")))?;
        Ok(Downloader {
            api,
            cache: HubCache::new(options.cache_dir.clone()),
            progress: options.progress,
        })
    }

    /// Downloads `file` of `repo` at `revision` into the cache and returns its snapshot path.
    pub(crate) fn download(&self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        let ref_path = self.cache.repo_dir(repo).join("refs").join(revision);
        let ref_existed = ref_path.exists();
        let api_repo = self.api.repo(Repo::with_revision(
            repo.to_owned(),
            RepoType::Model,
            revision.to_owned(),
        ));
        let progress = FileProgress::new(self.progress);
        let downloaded = api_repo.download_with_progress(file, progress);
        // hf-hub records every revision under refs/, commits included; Python never writes a ref
        // for a commit, so neither do we.
        if is_commit_hash(revision) && !ref_existed {
            let _ = std::fs::remove_file(&ref_path);
        }
        downloaded.map_err(|err| download_error(repo, revision, file, err))
    }
}

fn download_error(repo: &str, revision: &str, file: &str, err: ApiError) -> Error {
    if let ApiError::RequestError(request) = &err {
        if let ureq::Error::StatusCode(status) = **request {
            let hint = match status {
                401 | 403 => "the repo does not exist or is private: check the name, or log in \
                              (HF_TOKEN) if it is yours"
                    .to_owned(),
                404 => "check the repo name and revision".to_owned(),
                _ => String::new(),
            };
            if matches!(status, 401 | 403 | 404) {
                return Error::HubNotFound {
                    repo: repo.to_owned(),
                    revision: revision.to_owned(),
                    file: file.to_owned(),
                    status,
                    hint,
                };
            }
        }
    }
    Error::Download {
        repo: repo.to_owned(),
        revision: revision.to_owned(),
        file: file.to_owned(),
        reason: err.to_string(),
    }
}

/// One progress bar for one downloaded file: bytes, rate, ETA; hidden when asked to be quiet or
/// when stderr is not a terminal (indicatif checks that itself).
struct FileProgress {
    bar: ProgressBar,
}

impl FileProgress {
    fn new(visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let style = ProgressStyle::with_template(
            "{msg:>22} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} ETA {eta}",
        )
        .expect("the progress template is valid")
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(None, target).with_style(style);
        FileProgress { bar }
    }
}

impl Progress for FileProgress {
    fn init(&mut self, size: usize, filename: &str) {
        // hf-hub calls init again before resuming a partial download, then reports the bytes
        // already there: start from zero each time so they are not counted twice.
        self.bar.set_length(size as u64);
        self.bar.set_position(0);
        self.bar.set_message(filename.to_owned());
    }

    fn update(&mut self, size: usize) {
        self.bar.inc(size as u64);
    }

    fn finish(&mut self) {
        self.bar.finish();
    }
}
