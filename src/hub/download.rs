//! Downloads from the Hugging Face hub (or the mirror HF_ENDPOINT names) into the cache, the way
//! Python's `huggingface_hub` does, on a plain blocking HTTP client (ureq), with one indicatif
//! progress bar per file on stderr.
//!
//! For each file:
//! 1. **Metadata**: `HEAD {endpoint}/{repo}/resolve/{revision}/{file}` without following absolute
//!    redirects gives the commit (`X-Repo-Commit`), the checksum (`X-Linked-Etag` for files stored
//!    with Git LFS: their SHA-256; else `ETag`: the git blob id, a SHA-1), the size
//!    (`X-Linked-Size` or `Content-Length`) and, for LFS files, where the bytes are (`Location`).
//!    The revision's ref (`refs/<revision>`) is written then, as Python does.
//! 2. **Transfer** into `blobs/<etag>.incomplete`, under a lock file (`.locks/…/<etag>.lock`, the
//!    one Python takes), so two processes never write the same file. A connection that breaks
//!    or stalls (nothing received for [`NetworkOptions::read_timeout`]) is retried with a
//!    doubling wait, and each attempt resumes where the previous one stopped (`Range`); a
//!    partial file left by an earlier run is resumed too.
//! 3. **Check**: the size, and the SHA-256 (LFS files) or git blob SHA-1 (other files) against the
//!    hub's etag. A mismatch deletes the bytes and downloads once more from scratch, then fails:
//!    nothing unchecked ever becomes `blobs/<etag>`.
//! 4. **Install**: rename to `blobs/<etag>`, link `snapshots/<commit>/<file>` to it.
//!
//! hf-hub 0.5, used before, has no timeouts (a hub that stops answering hung passeur forever),
//! does not check checksums, and does not let its HTTP agent be configured; this file replaces
//! it with the same layout (see notes/first-ten-minutes.md).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use ureq::Agent;

use super::cache::HubCache;
use super::options::{NetworkOptions, ResolveOptions};
use super::spec::is_commit_hash;
use crate::{Error, Result};

/// A hub client bound to one cache folder.
pub(crate) struct Downloader {
    /// Follows redirects: transfers (the bytes of LFS files live on another host).
    agent: Agent,
    /// Follows none: metadata, whose headers are on the hub's own answer.
    metadata_agent: Agent,
    endpoint: String,
    token: Option<String>,
    cache: HubCache,
    network: NetworkOptions,
    progress: bool,
}

/// What the hub says about one file.
#[derive(Debug)]
struct Metadata {
    /// The commit the revision resolved to.
    commit: String,
    /// The file's etag, quotes and `W/` removed: its SHA-256 (LFS) or git blob SHA-1.
    etag: String,
    /// Its size in bytes, when the hub says.
    size: Option<u64>,
    /// Where to fetch the bytes.
    location: String,
}

/// Why one attempt failed, and whether another may succeed.
enum Failure {
    /// The network or the server failed; worth another attempt.
    Transient(String),
    /// The download cannot succeed; why, in words.
    Fatal(String),
    /// A failure with its own error (the hub has no such file, the cache cannot be written).
    Error(Error),
}

impl Downloader {
    pub(crate) fn new(options: &ResolveOptions) -> Result<Self> {
        let network = options.network.clone();
        let config = |redirects: u32, call_timeout: Option<Duration>| {
            Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(redirects)
                .timeout_resolve(Some(network.connect_timeout))
                .timeout_connect(Some(network.connect_timeout))
                .timeout_per_read(Some(network.read_timeout))
                .timeout_per_write(Some(network.read_timeout))
                .timeout_per_call(call_timeout)
                .user_agent(format!("passeur/{}", env!("CARGO_PKG_VERSION")))
                .build()
        };
        Ok(Downloader {
            agent: config(10, None).into(),
            metadata_agent: config(0, Some(network.metadata_timeout)).into(),
            endpoint: options.endpoint.trim_end_matches('/').to_owned(),
            token: options.token.clone(),
            cache: HubCache::new(options.cache_dir.clone()),
            network,
            progress: options.progress,
        })
    }

    /// Downloads `file` of `repo` at `revision` into the cache and returns its snapshot path.
    pub(crate) fn download(&self, repo: &str, revision: &str, file: &str) -> Result<PathBuf> {
        let url = format!(
            "{}/{repo}/resolve/{}/{}",
            self.endpoint,
            percent_encode(revision, false),
            percent_encode(file, true)
        );
        let error = |reason: String| Error::Download {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            file: file.to_owned(),
            endpoint: self.endpoint.clone(),
            reason,
        };
        let failed = |failure| match failure {
            Failure::Error(err) => err,
            Failure::Transient(reason) | Failure::Fatal(reason) => error(reason),
        };
        let metadata = self
            .with_retries(file, || self.metadata(&url, repo, revision, file))
            .map_err(failed)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |err| Error::io(path, err)
        };
        let repo_dir = self.cache.repo_dir(repo);
        self.cache
            .write_ref(repo, revision, &metadata.commit)
            .map_err(io(&repo_dir.join("refs").join(revision)))?;
        let pointer = repo_dir.join("snapshots").join(&metadata.commit).join(file);
        if pointer.is_file() {
            return Ok(pointer);
        }
        let blob = repo_dir.join("blobs").join(&metadata.etag);
        if !blob.is_file() {
            let blobs = repo_dir.join("blobs");
            std::fs::create_dir_all(&blobs).map_err(io(&blobs))?;
            let lock_path = self
                .cache
                .dir()
                .join(".locks")
                .join(repo_dir.file_name().expect("a repo folder has a name"))
                .join(format!("{}.lock", metadata.etag));
            let lock = lock_file(&lock_path).map_err(io(&lock_path))?;
            // Another process may have finished it while this one waited for the lock.
            if !blob.is_file() {
                self.transfer(&metadata, &blob, file).map_err(failed)?;
            }
            drop(lock);
        }
        self.cache
            .link_snapshot(repo, &metadata.commit, file, &blob)
            .map_err(io(&pointer))
    }

    /// Runs `attempt` until it succeeds, fails for good, or has failed transiently
    /// `1 + retries` times, waiting longer before each retry.
    fn with_retries<T>(
        &self,
        file: &str,
        mut attempt: impl FnMut() -> std::result::Result<T, Failure>,
    ) -> std::result::Result<T, Failure> {
        let mut failures = 0;
        loop {
            match attempt() {
                Err(Failure::Transient(reason)) if failures < self.network.retries => {
                    failures += 1;
                    self.wait_before_retry(file, &reason, failures);
                }
                Err(Failure::Transient(reason)) => {
                    return Err(Failure::Transient(attempts(reason, failures)))
                }
                other => return other,
            }
        }
    }

    fn wait_before_retry(&self, file: &str, reason: &str, retry: u32) {
        let wait = self
            .network
            .retry_wait
            .saturating_mul(1 << (retry - 1).min(3));
        if self.progress {
            eprintln!(
                "passeur: {file}: {reason}; trying again in {:.0} s ({retry} of {})",
                wait.as_secs_f64().ceil(),
                self.network.retries
            );
        }
        std::thread::sleep(wait);
    }

    fn request(
        &self,
        agent: &Agent,
        method: &str,
        url: &str,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut request = if method == "HEAD" {
            agent.head(url)
        } else {
            agent.get(url)
        };
        // The bytes as stored: their size and checksum are what the hub's metadata describes.
        request = request.header("Accept-Encoding", "identity");
        if let Some(token) = &self.token {
            // Only on the hub's own URLs: a redirect to another host drops it (ureq's default).
            if url.starts_with(&self.endpoint) {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
        }
        request
    }

    /// Asks the hub about `url`, following its relative redirects (a renamed repo) but not the
    /// absolute ones (where LFS files are stored): those give the transfer's location.
    fn metadata(
        &self,
        url: &str,
        repo: &str,
        revision: &str,
        file: &str,
    ) -> std::result::Result<Metadata, Failure> {
        let mut current = url.to_owned();
        for _ in 0..10 {
            let response = self
                .request(&self.metadata_agent, "HEAD", &current)
                .call()
                .map_err(|err| self.network_failure(err))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_owned())
            };
            let mut location = header("location");
            if (300..400).contains(&status) {
                if let Some(target) = location.as_deref().filter(|l| l.starts_with('/')) {
                    let absolute = format!("{}{target}", origin(&current));
                    if header("x-linked-etag").is_some() {
                        // Where an LFS file's bytes are, on the same host (some mirrors).
                        location = Some(absolute);
                    } else {
                        // A renamed repo: ask again there.
                        current = absolute;
                        continue;
                    }
                }
            }
            match status {
                200..=399 => {}
                401 | 403 | 404 => {
                    let detail = header("x-error-message")
                        .or_else(|| header("x-error-code"))
                        .unwrap_or_default();
                    return Err(Failure::Error(Error::HubNotFound {
                        repo: repo.to_owned(),
                        revision: revision.to_owned(),
                        file: file.to_owned(),
                        status,
                        detail,
                    }));
                }
                408 | 429 | 500..=599 => {
                    return Err(Failure::Transient(format!(
                        "the server answered HTTP {status}"
                    )))
                }
                _ => {
                    return Err(Failure::Fatal(format!(
                        "the server answered HTTP {status} to {current}"
                    )))
                }
            }
            let missing = |name: &str| {
                Failure::Fatal(format!(
                    "the server's answer has no valid {name} header: {} does not behave like a \
                     Hugging Face hub",
                    self.endpoint
                ))
            };
            let commit = header("x-repo-commit")
                .filter(|c| is_commit_hash(c))
                .ok_or_else(|| missing("X-Repo-Commit"))?;
            let etag = header("x-linked-etag")
                .or_else(|| header("etag"))
                .map(|etag| normalize_etag(&etag))
                .filter(|etag| is_safe_etag(etag))
                .ok_or_else(|| missing("ETag"))?;
            let size = header("x-linked-size")
                .or_else(|| header("content-length"))
                .and_then(|size| size.parse().ok());
            let location = match location {
                Some(target) if (300..400).contains(&status) => target,
                _ => current,
            };
            return Ok(Metadata {
                commit,
                etag,
                size,
                location,
            });
        }
        Err(Failure::Fatal(format!("more than 10 redirects from {url}")))
    }

    /// Fetches the bytes into `<blob>.incomplete`, checks them and renames the file to `blob`.
    fn transfer(
        &self,
        metadata: &Metadata,
        blob: &Path,
        file: &str,
    ) -> std::result::Result<(), Failure> {
        let partial = blob.with_extension("incomplete");
        let io = |err: std::io::Error| Failure::Error(Error::io(&partial, err));
        let bar = FileProgress::new(self.progress, file, metadata.size);
        let mut started_over = false;
        loop {
            let mut failures = 0;
            let mut out = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&partial)
                .map_err(io)?;
            loop {
                let before = out.metadata().map_err(io)?.len();
                match self.fetch_from(metadata, &partial, &mut out, before, &bar) {
                    Ok(()) => break,
                    Err(Failure::Transient(reason)) => {
                        let after = out.metadata().map_err(io)?.len();
                        // Progress resets the count: only attempts that bring nothing add up.
                        if after > before {
                            failures = 0;
                        }
                        if failures >= self.network.retries {
                            bar.abandon();
                            return Err(Failure::Transient(attempts(
                                format!("{reason} (after receiving {after} bytes)"),
                                failures,
                            )));
                        }
                        failures += 1;
                        self.wait_before_retry(file, &reason, failures);
                    }
                    Err(fatal) => {
                        bar.abandon();
                        return Err(fatal);
                    }
                }
            }
            drop(out);
            match verify(&partial, metadata) {
                Ok(()) => break,
                Err(problem) => {
                    std::fs::remove_file(&partial).map_err(io)?;
                    if started_over {
                        bar.abandon();
                        return Err(Failure::Fatal(format!(
                            "{problem}, twice; the copy was deleted (a proxy or mirror may be \
                             altering the file)"
                        )));
                    }
                    started_over = true;
                    if self.progress {
                        eprintln!("passeur: {file}: {problem}; downloading it again");
                    }
                }
            }
        }
        bar.finish();
        std::fs::rename(&partial, blob).map_err(|err| Failure::Error(Error::io(blob, err)))
    }

    /// One GET of the bytes from `have` on, appended to `out`.
    fn fetch_from(
        &self,
        metadata: &Metadata,
        partial: &Path,
        out: &mut File,
        have: u64,
        bar: &FileProgress,
    ) -> std::result::Result<(), Failure> {
        let io = |err: std::io::Error| Failure::Transient(describe_io(&err, &self.network));
        if metadata.size == Some(have) && have > 0 {
            return Ok(());
        }
        let mut request = self.request(&self.agent, "GET", &metadata.location);
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
        }
        let response = request.call().map_err(|err| self.network_failure(err))?;
        let status = response.status().as_u16();
        let resumed = match status {
            206 => {
                let start = response
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if start != Some(have) {
                    // Not the range asked for: start over rather than splice wrong bytes.
                    out.set_len(0).map_err(io)?;
                    return Err(Failure::Transient(
                        "the server sent another range than the one asked for".into(),
                    ));
                }
                true
            }
            200 => false,
            416 => {
                // The partial file is as long as the server's: the check decides.
                return Ok(());
            }
            408 | 429 | 500..=599 => {
                return Err(Failure::Transient(format!(
                    "the server answered HTTP {status}"
                )))
            }
            _ => {
                return Err(Failure::Fatal(format!(
                    "the server answered HTTP {status} to {}",
                    metadata.location
                )))
            }
        };
        if !resumed && have > 0 {
            // The server ignored the range: the whole file comes again.
            out.set_len(0).map_err(io)?;
        }
        let mut position = out.seek(SeekFrom::End(0)).map_err(io)?;
        bar.set_position(position);
        let mut reader = response.into_body().into_reader();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = reader.read(&mut buffer).map_err(io)?;
            if read == 0 {
                break;
            }
            out.write_all(&buffer[..read])
                .map_err(|err| Failure::Error(Error::io(partial, err)))?;
            position += read as u64;
            bar.set_position(position);
            if metadata.size.is_some_and(|size| position > size) {
                out.set_len(0).map_err(io)?;
                return Err(Failure::Transient(
                    "the server sent more bytes than the file has".into(),
                ));
            }
        }
        out.flush().map_err(io)?;
        match metadata.size {
            Some(size) if position < size => Err(Failure::Transient(format!(
                "the connection closed after {position} of {size} bytes"
            ))),
            _ => Ok(()),
        }
    }

    fn network_failure(&self, err: ureq::Error) -> Failure {
        let reason = match &err {
            ureq::Error::Timeout(_) => format!(
                "no answer within {} (the connection stalled)",
                seconds(self.network.read_timeout.min(self.network.metadata_timeout))
            ),
            ureq::Error::HostNotFound => {
                // No network at all, or no DNS: retrying would only delay the message.
                return Failure::Fatal(format!(
                    "cannot resolve the host name of {}",
                    self.endpoint
                ));
            }
            ureq::Error::ConnectionFailed => format!("cannot connect to {}", self.endpoint),
            ureq::Error::Io(io) => describe_io(io, &self.network),
            other => other.to_string(),
        };
        Failure::Transient(reason)
    }
}

/// `reason` with how many attempts were made, when more than one.
fn attempts(reason: String, retries: u32) -> String {
    if retries == 0 {
        reason
    } else {
        format!("{reason}; {} attempts", retries + 1)
    }
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

fn describe_io(err: &std::io::Error, network: &NetworkOptions) -> String {
    match err.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
            "nothing received for {} (the connection stalled)",
            seconds(network.read_timeout)
        ),
        std::io::ErrorKind::UnexpectedEof => "the connection closed before the end".into(),
        _ => err.to_string(),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`), as Python's
/// `urllib.parse.quote` does for revisions (`refs/pr/4` → `refs%2Fpr%2F4`) and file paths.
fn percent_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An etag without its weak marker and quotes, as Python normalises it.
fn normalize_etag(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned()
}

/// Whether an etag can name a file in `blobs/`: letters, digits, `-` and `_`, at most 128.
fn is_safe_etag(etag: &str) -> bool {
    !etag.is_empty()
        && etag.len() <= 128
        && etag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a downloaded file against the hub's size and checksum: SHA-256 for a 64-hex-digit etag
/// (Git LFS), git's blob SHA-1 for a 40-hex-digit one; other etags (some mirrors) are not
/// checksums, and only the size is checked.
fn verify(path: &Path, metadata: &Metadata) -> std::result::Result<(), String> {
    let length = std::fs::metadata(path)
        .map_err(|err| err.to_string())?
        .len();
    if let Some(size) = metadata.size {
        if length != size {
            return Err(format!(
                "the downloaded file has {length} bytes, the hub says {size}"
            ));
        }
    }
    let expected = metadata.etag.to_ascii_lowercase();
    let is_hex = |n: usize| expected.len() == n && expected.bytes().all(|b| b.is_ascii_hexdigit());
    let (algorithm, actual) = if is_hex(64) {
        ("SHA-256", hash_file::<Sha256>(path, None))
    } else if is_hex(40) {
        let header = format!("blob {length}\0");
        (
            "git blob SHA-1",
            hash_file::<Sha1>(path, Some(header.as_bytes())),
        )
    } else {
        return Ok(());
    };
    let actual = actual.map_err(|err| err.to_string())?;
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "the downloaded file's {algorithm} is {actual}, the hub says {expected}"
        ))
    }
}

fn hash_file<D: Digest>(path: &Path, prefix: Option<&[u8]>) -> std::io::Result<String> {
    let mut hasher = D::new();
    if let Some(prefix) = prefix {
        hasher.update(prefix);
    }
    let mut file = File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Opens (creating it) and locks the lock file; the lock goes with the returned file.
fn lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.lock()?;
    Ok(file)
}

/// One progress bar for one downloaded file: bytes, rate, ETA; hidden when asked to be quiet or
/// when stderr is not a terminal (indicatif checks that itself).
struct FileProgress {
    bar: ProgressBar,
}

impl FileProgress {
    fn new(visible: bool, file: &str, size: Option<u64>) -> Self {
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
        let bar = ProgressBar::with_draw_target(size, target).with_style(style);
        bar.set_message(file.to_owned());
        FileProgress { bar }
    }

    fn set_position(&self, position: u64) {
        self.bar.set_position(position);
    }

    fn finish(&self) {
        self.bar.finish();
    }

    fn abandon(&self) {
        self.bar.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_paths_are_encoded_as_python_does() {
        assert_eq!(percent_encode("refs/pr/4", false), "refs%2Fpr%2F4");
        assert_eq!(percent_encode("main", false), "main");
        assert_eq!(
            percent_encode("dir/model v2.bin", true),
            "dir/model%20v2.bin"
        );
    }

    #[test]
    fn etags_are_normalised_and_checked_before_naming_a_blob() {
        assert_eq!(normalize_etag("W/\"abc123\""), "abc123");
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert!(is_safe_etag("0123abcdef"));
        assert!(!is_safe_etag("../../etc/passwd"));
        assert!(!is_safe_etag(""));
    }

    #[test]
    fn origins_keep_scheme_host_and_port() {
        assert_eq!(origin("http://127.0.0.1:8080/a/b"), "http://127.0.0.1:8080");
        assert_eq!(origin("https://huggingface.co"), "https://huggingface.co");
    }

    #[test]
    fn files_are_checked_against_sha256_and_git_blob_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello\n").unwrap();
        let metadata = |etag: &str, size| Metadata {
            commit: String::new(),
            etag: etag.to_owned(),
            size,
            location: String::new(),
        };
        // `printf 'hello\n' | sha256sum` and `printf 'hello\n' | git hash-object --stdin`.
        let sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
        let git = "ce013625030ba8dba906f756967f9e9ca394464a";
        assert_eq!(verify(&path, &metadata(sha256, Some(6))), Ok(()));
        assert_eq!(verify(&path, &metadata(git, Some(6))), Ok(()));
        assert_eq!(verify(&path, &metadata("not-a-digest", None)), Ok(()));
        let wrong = verify(&path, &metadata(&sha256.replace('5', "6"), Some(6))).unwrap_err();
        assert!(wrong.contains("SHA-256 is 5891b5b5"), "{wrong}");
        let short = verify(&path, &metadata(sha256, Some(7))).unwrap_err();
        assert!(short.contains("6 bytes, the hub says 7"), "{short}");
    }
}
