//! `passeur serve`: a local translation server that LibreTranslate clients already speak.
//!
//! The HTTP shell over the library's [`Queue`]: every request's texts become documents, the queue
//! batches their sentences with those of concurrent requests through one engine, and each request
//! is answered when its own sentences are done.
//!
//! # Endpoints
//!
//! LibreTranslate's API (the shapes of its `app.py`; bodies as JSON, URL-encoded or multipart
//! forms, parameters also in the query string):
//!
//! * `POST /translate`: `q` (a string or an array of strings), `source` (`fr` or `auto`),
//!   `target` (`en`), `format` (`text`, the default, or `html`), `api_key`; answers
//!   `{"translatedText": …}` in the shape of `q`, with `detectedLanguage` when `source` is
//!   `auto` (and `alternatives: []` when alternatives were asked for: passeur gives none);
//! * `POST /detect`: `q`; answers `[{"confidence": 0–100, "language": "fr"}]`;
//! * `GET /languages`: French with target English, and English;
//! * `GET /frontend/settings`: the character limit, whether API keys are on, the language pair.
//!
//! Errors are `{"error": "…"}` with LibreTranslate's status codes: 400 for a bad request (missing
//! or wrong parameters, malformed JSON, text over `--max-chars`), 403 for an invalid API key, 413
//! for a body over the byte limit, 429 when the queue is full, 500 when the engine fails, 503
//! while the model loads or the server shuts down, 404 and 405 for unknown routes and methods.
//!
//! passeur's own:
//!
//! * `POST /v1/translate`: `{"text": "…", "input_format": "text" | "markdown"}` (or a
//!   `text/plain` body): the aligned bilingual result as JSON lines, exactly what
//!   `passeur translate --format jsonl` writes ([`crate::write::jsonl`]);
//! * `GET /health`: 200 `{"status": "ok"}` once the model is loaded, 503 before;
//! * `GET /metrics`: Prometheus metrics (`metrics`).
//!
//! # Operations
//!
//! The model loads in the background while the server already listens. Slow clients are cut off
//! ([`ServeOptions::header_timeout`], [`ServeOptions::body_timeout`]); bodies, texts and
//! connections are bounded; a client that disconnects withdraws its sentences from the queue.
//! On shutdown (the future given to [`serve`]: SIGTERM or Ctrl-C for the CLI) the server stops
//! accepting connections, finishes every request it has read, then stops the queue.

mod body;
mod detect;
mod keys;
mod libretranslate;
mod listen;
mod metrics;
mod native;
mod reply;

pub use keys::ApiKeys;

use crate::bilingual::Bilingual;
use crate::document::Document;
use crate::fidelity::{Guard, Guarded};
use crate::queue::{Engine, Queue, QueueOptions};
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator, Translator};
use axum::http;
use axum::routing::{get, post};
use axum::Router;
use metrics::Metrics;
use reply::ApiError;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Most characters of text in one request (all texts of `q` together).
    pub max_chars: usize,
    /// Most texts in one `q` array.
    pub max_texts: usize,
    /// When set, `/translate`, `/detect` and `/v1/translate` need one of these keys.
    pub api_keys: Option<ApiKeys>,
    /// How the queue batches.
    pub queue: QueueOptions,
    /// Longest time a client may take to send a request's headers (and longest idle time of a
    /// kept-alive connection).
    pub header_timeout: Duration,
    /// Longest time a client may take to send a request's body.
    pub body_timeout: Duration,
    /// Most connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ServeOptions {
    /// 50,000 characters and 1,000 texts per request, no API keys, the queue's defaults, 10 s for
    /// headers, 30 s for a body, 4,096 connections.
    fn default() -> Self {
        ServeOptions {
            max_chars: 50_000,
            max_texts: 1_000,
            api_keys: None,
            queue: QueueOptions::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

impl ServeOptions {
    /// Largest request body accepted: room for `max_chars` characters written as JSON `\uXXXX`
    /// escapes or URL-encoded UTF-8 (6 bytes each), plus 64 KiB for the rest.
    pub fn body_limit(&self) -> usize {
        self.max_chars.saturating_mul(6).saturating_add(64 * 1024)
    }
}

/// Why the engine could not be loaded.
pub type LoadError = Box<dyn std::error::Error + Send + Sync>;

/// Loads the engine (on a blocking thread, while the server already answers `/health` with 503).
/// The CLI's loader puts the `Translator` behind the fidelity guard.
pub type Loader = Box<dyn FnOnce() -> Result<Arc<Engine>, LoadError> + Send>;

/// A translator behind the fidelity guard (or bare, with `guard` `None`), owned, as the queue's
/// engine: what `passeur serve` translates with.
pub fn guarded_engine(translator: Translator, guard: Option<Guard>) -> Arc<Engine> {
    Arc::new(GuardedEngine { translator, guard })
}

struct GuardedEngine {
    translator: Translator,
    guard: Option<Guard>,
}

impl GuardedEngine {
    fn with<R>(&self, f: impl FnOnce(&dyn SentenceTranslator) -> R) -> R {
        match &self.guard {
            Some(guard) => f(&Guarded {
                guard,
                engine: &self.translator,
            }),
            None => f(&self.translator),
        }
    }
}

impl SentenceTranslator for GuardedEngine {
    fn translate_sentences(&self, sentences: &[&str]) -> crate::Result<Vec<SentenceTranslation>> {
        self.with(|engine| engine.translate_sentences(sentences))
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.translator.token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.translator.max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        self.with(|engine| engine.provenance())
    }
}

/// What every handler shares.
struct App {
    options: ServeOptions,
    queue: OnceLock<Arc<Queue>>,
    metrics: Metrics,
}

impl App {
    /// The queue, once the model is loaded.
    fn queue(&self) -> Result<&Arc<Queue>, ApiError> {
        self.queue.get().ok_or_else(ApiError::loading)
    }

    /// Translates `documents` through the queue (all accepted, or none), in order.
    async fn translate(&self, documents: Vec<Document>) -> Result<Vec<Bilingual>, ApiError> {
        let queue = Arc::clone(self.queue()?);
        // Planning tokenizes every sentence: off the async threads.
        let tickets = tokio::task::spawn_blocking(move || queue.submit_all(documents))
            .await
            .map_err(|err| {
                ApiError::from_engine(crate::Error::EngineFailed {
                    problem: err.to_string(),
                })
            })?
            .map_err(ApiError::from_engine)?;
        let mut translated = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            translated.push(ticket.await.map_err(ApiError::from_engine)?);
        }
        Ok(translated)
    }

    /// Checks the total length of `texts` against `--max-chars`.
    fn check_chars<'t>(&self, texts: impl IntoIterator<Item = &'t str>) -> Result<(), ApiError> {
        let chars: usize = texts.into_iter().map(|t| t.chars().count()).sum();
        let limit = self.options.max_chars;
        if chars > limit {
            return Err(ApiError::bad_request(format!(
                "Invalid request: request ({chars}) exceeds text limit ({limit})"
            )));
        }
        Ok(())
    }

    /// Checks `key` against the API keys, if the server has any.
    fn check_key(&self, key: Option<&str>) -> Result<(), ApiError> {
        let Some(keys) = &self.options.api_keys else {
            return Ok(());
        };
        match key {
            None | Some("") => Err(ApiError::bad_request(
                "Invalid request: missing api_key parameter (this server needs an API key: ask \
                 its operator for one)",
            )),
            Some(key) if keys.contains(key) => Ok(()),
            Some(_) => Err(ApiError::forbidden("Invalid API key")),
        }
    }
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight and
/// returns; fails (after the same drain) if `load` fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    load: Loader,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), LoadError> {
    let app = Arc::new(App {
        options,
        queue: OnceLock::new(),
        metrics: Metrics::new(),
    });
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<LoadError>();
    let loading = {
        let app = Arc::clone(&app);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(load))
                .unwrap_or_else(|_| Err("the model loader panicked".into()));
            match loaded {
                Ok(engine) => {
                    let observer = app.metrics.batch_observer();
                    let queue = Queue::start_observed(engine, app.options.queue.clone(), observer);
                    tracing::info!(
                        seconds = started.elapsed().as_secs_f64(),
                        model = %queue.provenance().model,
                        decoding = %queue.provenance().decoding,
                        "model loaded; ready"
                    );
                    let _ = app.queue.set(Arc::new(queue));
                    app.metrics.set_ready();
                }
                Err(err) => {
                    let _ = failed_tx.send(err);
                }
            }
        })
    };
    let mut load_error = None;
    let stop = async {
        tokio::select! {
            () = shutdown => tracing::info!("shutting down: finishing the requests in flight"),
            Ok(err) = failed_rx => {
                tracing::error!(error = %err, "the model could not be loaded");
                load_error = Some(err);
            }
        }
    };
    listen::accept(listener, router(Arc::clone(&app)), &app.options, stop).await;
    if let Some(queue) = app.queue.get().cloned() {
        let _ = tokio::task::spawn_blocking(move || queue.shutdown()).await;
    }
    drop(loading);
    tracing::info!("stopped");
    match load_error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// The routes, with CORS, request logs and metrics.
fn router(app: Arc<App>) -> Router {
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([http::header::CONTENT_TYPE, http::header::AUTHORIZATION])
        .max_age(Duration::from_secs(24 * 3600));
    Router::new()
        .route("/translate", post(libretranslate::translate))
        .route("/detect", post(libretranslate::detect_language))
        .route("/languages", get(libretranslate::languages))
        .route("/frontend/settings", get(libretranslate::frontend_settings))
        .route("/v1/translate", post(native::translate))
        .route("/health", get(metrics::health))
        .route("/metrics", get(metrics::metrics))
        .fallback(reply::not_found)
        .method_not_allowed_fallback(reply::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            metrics::observe,
        ))
        .layer(cors)
        .with_state(app)
}
