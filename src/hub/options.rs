//! Where models come from: the cache folder, the hub endpoint, the token, offline mode and the
//! network's timeouts, read from the environment as Python's `huggingface_hub` reads it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// The Hugging Face hub, unless HF_ENDPOINT names another.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Where the hub cache is, whether the network may be used, and how downloads look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The hub cache folder (the one holding `models--*` folders).
    pub cache_dir: PathBuf,
    /// Never touch the network (HF_HUB_OFFLINE).
    pub offline: bool,
    /// Show a progress bar per downloaded file on stderr.
    pub progress: bool,
    /// The hub's base URL (HF_ENDPOINT).
    pub endpoint: String,
    /// Access token for private repos (HF_TOKEN, or the token file `huggingface-cli login` writes).
    pub token: Option<String>,
    /// Timeouts and retries of downloads.
    pub network: NetworkOptions,
}

/// How downloads behave on a slow or broken network.
///
/// Every wait is bounded: a hub that accepts connections and then says nothing is given up on
/// after [`NetworkOptions::read_timeout`], and a transfer that breaks is resumed where it stopped,
/// up to [`NetworkOptions::retries`] times in a row without progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkOptions {
    /// Longest wait to connect (name resolution, TCP and TLS set-up).
    pub connect_timeout: Duration,
    /// Longest wait for the hub's answer about a file: its commit, size and checksum
    /// (HF_HUB_ETAG_TIMEOUT, in seconds, as in Python).
    pub metadata_timeout: Duration,
    /// Longest silence while receiving a file before the transfer counts as stalled
    /// (HF_HUB_DOWNLOAD_TIMEOUT, in seconds, as in Python).
    pub read_timeout: Duration,
    /// Further attempts after a failed one that received nothing new (PASSEUR_DOWNLOAD_RETRIES);
    /// each attempt resumes the file where the previous one stopped.
    pub retries: u32,
    /// Wait before the first retry; it doubles at each retry, up to eight times this.
    pub retry_wait: Duration,
}

impl Default for NetworkOptions {
    /// 10 s to connect, 10 s for metadata, 10 s of silence, 4 retries waiting 1, 2, 4 and 8 s.
    fn default() -> Self {
        NetworkOptions {
            connect_timeout: Duration::from_secs(10),
            metadata_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            retries: 4,
            retry_wait: Duration::from_secs(1),
        }
    }
}

impl ResolveOptions {
    /// Online, no progress bar, the public hub, no token, the given cache folder.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        ResolveOptions {
            cache_dir: cache_dir.into(),
            offline: false,
            progress: false,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
            network: NetworkOptions::default(),
        }
    }

    /// The options the environment asks for, as Python's `huggingface_hub` reads them; progress
    /// bars only when stderr is a terminal.
    pub fn from_env() -> Self {
        Self::from_vars(
            |name| std::env::var(name).ok(),
            std::io::stderr().is_terminal(),
        )
    }

    /// [`ResolveOptions::from_env`] with the variables read through `var` (empty values count as
    /// unset; timeouts that are not positive numbers of seconds too).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>, stderr_is_terminal: bool) -> Self {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from)
            .unwrap_or_default();
        let expand = |value: String| match value.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None if value == "~" => home.clone(),
            None => PathBuf::from(value),
        };
        let hf_home = var("HF_HOME").map(expand).unwrap_or_else(|| {
            var("XDG_CACHE_HOME")
                .map(expand)
                .unwrap_or_else(|| home.join(".cache"))
                .join("huggingface")
        });
        let cache_dir = var("HF_HUB_CACHE")
            .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
            .map(expand)
            .unwrap_or_else(|| hf_home.join("hub"));
        let is_true = |name: &str| {
            var(name).is_some_and(|value| {
                matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                )
            })
        };
        let offline = is_true("HF_HUB_OFFLINE") || is_true("TRANSFORMERS_OFFLINE");
        let progress = stderr_is_terminal && !is_true("HF_HUB_DISABLE_PROGRESS_BARS");
        let endpoint = var("HF_ENDPOINT")
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let token = var("HF_TOKEN").or_else(|| {
            let path = var("HF_TOKEN_PATH")
                .map(expand)
                .unwrap_or_else(|| hf_home.join("token"));
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
        });
        let seconds = |name: &str| {
            var(name)
                .and_then(|value| value.trim().parse::<f64>().ok())
                .filter(|secs| secs.is_finite() && *secs > 0.0)
                .map(|secs| Duration::from_secs_f64(secs.min(86_400.0)))
        };
        let defaults = NetworkOptions::default();
        let network = NetworkOptions {
            metadata_timeout: seconds("HF_HUB_ETAG_TIMEOUT").unwrap_or(defaults.metadata_timeout),
            read_timeout: seconds("HF_HUB_DOWNLOAD_TIMEOUT").unwrap_or(defaults.read_timeout),
            retries: var("PASSEUR_DOWNLOAD_RETRIES")
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(defaults.retries),
            ..defaults
        };
        ResolveOptions {
            cache_dir,
            offline,
            progress,
            endpoint,
            token,
            network,
        }
    }
}
