//! Downloading a web page: `passeur translate https://…`.
//!
//! One GET with ureq (already used by the model downloader), with:
//! * the proxy from the environment (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, lower case too,
//!   and `NO_PROXY`);
//! * a connect timeout and a timeout on every read ([`FetchOptions`]), so a server that stops
//!   answering cannot hang the command, and up to 10 redirects;
//! * a size limit on the (decompressed) body, checked while reading: a larger page is refused
//!   with the limit in the message, never truncated;
//! * the `Content-Type` header kept, for the charset ([`crate::html::decode`]) and to refuse what
//!   is not text (images, PDF…).

use crate::{Error, Result};
use std::time::Duration;

/// How a page is downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Longest wait for the connection (DNS included).
    pub connect_timeout: Duration,
    /// Longest wait for the response headers, and for each read of the body.
    pub read_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for FetchOptions {
    /// 10 s to connect, 30 s per read, 20 MiB.
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_bytes: 20 * 1024 * 1024,
        }
    }
}

/// A downloaded page.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The URL the page was finally read from (after redirects).
    pub url: String,
    /// The body as sent (decompressed).
    pub bytes: Vec<u8>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
}

impl FetchedPage {
    /// Whether the server says the body is plain text rather than HTML (`text/plain`,
    /// `text/markdown`).
    pub fn is_plain_text(&self) -> bool {
        self.media_type()
            .is_some_and(|t| t == "text/plain" || t == "text/markdown")
    }

    fn media_type(&self) -> Option<String> {
        let content_type = self.content_type.as_deref()?;
        let media = content_type.split(';').next().unwrap_or("").trim();
        Some(media.to_ascii_lowercase())
    }
}

/// Whether `input` is an `http://` or `https://` URL.
pub fn is_url(input: &str) -> bool {
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Downloads `url` (see the module docs).
pub fn fetch(url: &str, options: &FetchOptions) -> Result<FetchedPage> {
    let failed = |problem: String| Error::Fetch {
        url: url.to_string(),
        problem,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(ureq::Proxy::try_from_env())
        .timeout_connect(Some(options.connect_timeout))
        .timeout_recv_response(Some(options.read_timeout))
        .timeout_per_read(Some(options.read_timeout))
        .http_status_as_error(false)
        .max_redirects(10)
        // A fresh connection for every hop: a server may close a kept-alive connection
        // without saying so, and a redirect reusing it would then fail with a reset.
        .max_idle_connections(0)
        .user_agent(format!("passeur/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header("Accept", "text/html,application/xhtml+xml,text/plain;q=0.8")
        .call()
        .map_err(|err| failed(describe(err, options)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!(
            "the server answered HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )));
    }
    let final_url = ureq::ResponseExt::get_uri(&response).to_string();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let page = FetchedPage {
        url: final_url,
        bytes: Vec::new(),
        content_type,
    };
    if let Some(media) = page.media_type() {
        let textual = media.starts_with("text/")
            || media.contains("html")
            || media.contains("xml")
            || media.is_empty();
        if !textual {
            return Err(failed(format!(
                "not a web page: the server sends `{media}`; passeur translates HTML and text"
            )));
        }
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(options.max_bytes)
        .read_to_vec()
        .map_err(|err| failed(describe(err, options)))?;
    Ok(FetchedPage { bytes, ..page })
}

/// A ureq error in words, naming the limit that was hit.
fn describe(err: ureq::Error, options: &FetchOptions) -> String {
    match err {
        ureq::Error::BodyExceedsLimit(limit) => format!(
            "the page is larger than the {} MiB limit",
            limit.div_ceil(1024 * 1024)
        ),
        ureq::Error::Timeout(which) => format!(
            "no answer in time ({which}; limits: {} s to connect, {} s per read)",
            options.connect_timeout.as_secs_f64(),
            options.read_timeout.as_secs_f64()
        ),
        ureq::Error::HostNotFound => "the host name could not be resolved".to_string(),
        ureq::Error::ConnectionFailed => "the connection failed".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised() {
        assert!(is_url("https://www.lemonde.fr/a.html"));
        assert!(is_url("HTTP://exemple.fr"));
        assert!(!is_url("article.html"));
        assert!(!is_url("ftp://exemple.fr"));
        assert!(!is_url("http"));
    }
}
