//! From a hub repo and revision to files on disk: each file is taken from the cache when it is
//! there, else downloaded (unless offline); an offline miss says exactly what the cache lacks.

use std::path::PathBuf;

use super::cache::{snapshot_commit, CacheLookup, HubCache};
use super::catalog::WeightsCandidate;
use super::download::Downloader;
use super::files::{HubOrigin, ModelFiles, ModelSource};
use super::options::ResolveOptions;
use super::{GENERATION_CONFIG, REQUIRED_FILES, TOKENIZER_CONFIG};
use crate::error::OfflineMiss;
use crate::generate::GenerationOptions;
use crate::{Error, Result};

/// Finds hub files in the cache and downloads the missing ones.
pub(super) struct HubResolver<'a> {
    options: &'a ResolveOptions,
    cache: HubCache,
    /// The model as the user named it, for error messages.
    spec: &'a str,
    downloader: Option<Downloader>,
}

impl<'a> HubResolver<'a> {
    pub(super) fn new(options: &'a ResolveOptions, spec: &'a str) -> Self {
        HubResolver {
            options,
            cache: HubCache::new(options.cache_dir.clone()),
            spec,
            downloader: None,
        }
    }

    pub(super) fn resolve(
        mut self,
        name: Option<&str>,
        repo: &str,
        revision: &str,
        weights: &[WeightsCandidate],
    ) -> Result<ModelFiles> {
        let mut required = Vec::with_capacity(REQUIRED_FILES.len());
        for (file, _) in REQUIRED_FILES {
            required.push(self.required(repo, revision, file)?);
        }
        let generation_config = self.optional(repo, revision, GENERATION_CONFIG)?;
        let tokenizer_config = self.optional(repo, revision, TOKENIZER_CONFIG)?;
        let (weights, weights_revision) = self.weights(repo, revision, weights)?;
        let [config, source_spm, target_spm, vocab] =
            <[PathBuf; 4]>::try_from(required).expect("four required files");
        let source = ModelSource::Hub(HubOrigin {
            name: name.map(str::to_owned),
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            commit: snapshot_commit(&config),
            weights_revision,
            weights_commit: snapshot_commit(&weights),
        });
        Ok(ModelFiles {
            config,
            generation_config,
            tokenizer_config,
            source_spm,
            target_spm,
            vocab,
            weights,
            source,
            generation_defaults: GenerationOptions::default(),
        })
    }

    fn required(&mut self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        match self.cache.lookup(repo, revision, file) {
            CacheLookup::Found(path) => Ok(path),
            _ if self.options.offline => {
                let detail = self.cache.explain_miss(repo, revision, file);
                Err(self.offline_miss(repo, revision, file, detail))
            }
            _ => self.download(repo, revision, file),
        }
    }

    fn optional(&mut self, repo: &str, revision: &str, file: &str) -> Result<Option<PathBuf>> {
        match self.cache.lookup(repo, revision, file) {
            CacheLookup::Found(path) => Ok(Some(path)),
            CacheLookup::KnownAbsent => Ok(None),
            CacheLookup::Missing if self.options.offline => Ok(None),
            CacheLookup::Missing => match self.download(repo, revision, file) {
                Ok(path) => Ok(Some(path)),
                Err(Error::HubNotFound { status: 404, .. }) => {
                    self.cache.mark_absent(repo, revision, file);
                    Ok(None)
                }
                Err(err) => Err(err),
            },
        }
    }

    /// The first weights candidate in the cache; else, online, the first one the hub has.
    fn weights(
        &mut self,
        repo: &str,
        revision: &str,
        candidates: &[WeightsCandidate],
    ) -> Result<(PathBuf, String)> {
        let revision_of = |c: &WeightsCandidate| c.revision.clone().unwrap_or(revision.to_owned());
        for candidate in candidates {
            let candidate_revision = revision_of(candidate);
            if let CacheLookup::Found(path) =
                self.cache
                    .lookup(repo, &candidate_revision, &candidate.file)
            {
                return Ok((path, candidate_revision));
            }
        }
        let tried = candidates
            .iter()
            .map(|c| format!("{} at {}", c.file, revision_of(c)))
            .collect::<Vec<_>>()
            .join(", ");
        if self.options.offline {
            let detail = candidates
                .iter()
                .map(|c| {
                    let explained = self.cache.explain_miss(repo, &revision_of(c), &c.file);
                    format!("{}: {explained}", c.file)
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(self.offline_miss(
                repo,
                revision,
                &format!("a weights file ({tried})"),
                detail,
            ));
        }
        for candidate in candidates {
            let candidate_revision = revision_of(candidate);
            if self
                .cache
                .lookup(repo, &candidate_revision, &candidate.file)
                == CacheLookup::KnownAbsent
            {
                continue;
            }
            match self.download(repo, &candidate_revision, &candidate.file) {
                Ok(path) => return Ok((path, candidate_revision)),
                Err(Error::HubNotFound { status: 404, .. }) => {
                    self.cache
                        .mark_absent(repo, &candidate_revision, &candidate.file);
                }
                Err(err) => return Err(err),
            }
        }
        Err(Error::NoWeightsOnHub {
            repo: repo.to_owned(),
            tried,
        })
    }

    fn download(&mut self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        if self.downloader.is_none() {
            self.downloader = Some(Downloader::new(self.options)?);
        }
        self.downloader
            .as_ref()
            .expect("set just above")
            .download(repo, revision, file)
    }

    fn offline_miss(&self, repo: &str, revision: &str, file: &str, detail: String) -> Error {
        Error::OfflineCacheMiss(Box::new(OfflineMiss {
            model: self.spec.to_owned(),
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            file: file.to_owned(),
            cache_dir: self.cache.dir().to_owned(),
            detail,
            complete_revisions: self.cache.complete_revisions(repo),
        }))
    }
}
