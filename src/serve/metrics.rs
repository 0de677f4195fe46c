//! `/metrics`, `/health` and the request log.
//!
//! Metrics (Prometheus/OpenMetrics text, from the `prometheus-client` crate):
//!
//! | name | type | what |
//! | --- | --- | --- |
//! | `passeur_http_requests_total{endpoint,status}` | counter | requests answered (`status="disconnected"`: the client left first) |
//! | `passeur_http_request_duration_seconds{endpoint}` | histogram | time from the request's arrival to its answer |
//! | `passeur_http_requests_in_flight{endpoint}` | gauge | requests being handled now |
//! | `passeur_sentences_total` | counter | source sentences in the answered translation requests |
//! | `passeur_model_requests_total` | counter | texts the engine translated (sentences, or pieces of long ones) |
//! | `passeur_queue_waiting_requests` | gauge | texts waiting for the engine (the queue depth) |
//! | `passeur_queue_documents` | gauge | documents accepted and not yet answered |
//! | `passeur_batch_size` | histogram | texts per call to the engine |
//! | `passeur_batch_duration_seconds` | histogram | time of each call to the engine |
//! | `passeur_model_ready` | gauge | 1 once the model is loaded |
//!
//! Each request is logged (`tracing`, target `passeur::serve`) with its method, path (never the
//! query string, which may hold text or a key), status, duration, sentences and client address.

use super::listen::Peer;
use super::App;
use crate::queue::{BatchObserver, BatchReport};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

type Labels = Vec<(&'static str, String)>;

/// Number of source sentences a response carried, for the metrics and the log.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sentences(pub(super) usize);

/// The server's metrics.
pub(super) struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    durations: Family<Labels, Histogram, fn() -> Histogram>,
    in_flight: Family<Labels, Gauge>,
    sentences: Counter,
    model_requests: Counter,
    waiting: Gauge,
    documents: Gauge,
    batch_size: Histogram,
    batch_seconds: Histogram,
    ready: Gauge,
}

fn latency_histogram() -> Histogram {
    // 5 ms to about 80 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

impl Metrics {
    pub(super) fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        let durations =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let in_flight = Family::<Labels, Gauge>::default();
        let sentences = Counter::default();
        let model_requests = Counter::default();
        let waiting = Gauge::default();
        let documents = Gauge::default();
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        let batch_seconds = latency_histogram();
        let ready = Gauge::default();
        registry.register(
            "passeur_http_requests",
            "HTTP requests answered",
            requests.clone(),
        );
        registry.register(
            "passeur_http_request_duration_seconds",
            "Time from a request's arrival to its answer",
            durations.clone(),
        );
        registry.register(
            "passeur_http_requests_in_flight",
            "Requests being handled",
            in_flight.clone(),
        );
        registry.register(
            "passeur_sentences",
            "Source sentences in answered translation requests",
            sentences.clone(),
        );
        registry.register(
            "passeur_model_requests",
            "Texts translated by the engine (sentences or pieces of long ones)",
            model_requests.clone(),
        );
        registry.register(
            "passeur_queue_waiting_requests",
            "Texts waiting for the engine",
            waiting.clone(),
        );
        registry.register(
            "passeur_queue_documents",
            "Documents accepted and not yet answered",
            documents.clone(),
        );
        registry.register(
            "passeur_batch_size",
            "Texts per call to the engine",
            batch_size.clone(),
        );
        registry.register(
            "passeur_batch_duration_seconds",
            "Time of each call to the engine",
            batch_seconds.clone(),
        );
        registry.register(
            "passeur_model_ready",
            "1 once the model is loaded",
            ready.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            in_flight,
            sentences,
            model_requests,
            waiting,
            documents,
            batch_size,
            batch_seconds,
            ready,
        }
    }

    pub(super) fn set_ready(&self) {
        self.ready.set(1);
    }

    /// What the queue's worker calls after each call to the engine.
    pub(super) fn batch_observer(&self) -> Option<BatchObserver> {
        let model_requests = self.model_requests.clone();
        let batch_size = self.batch_size.clone();
        let batch_seconds = self.batch_seconds.clone();
        Some(Box::new(move |report: &BatchReport| {
            if !report.failed {
                model_requests.inc_by(report.sentences as u64);
            }
            batch_size.observe(report.sentences as f64);
            batch_seconds.observe(report.elapsed.as_secs_f64());
        }))
    }
}

/// Counts a request in flight until dropped; when dropped before the answer (the client left
/// and the server dropped the request), records and logs that.
struct InFlight<'a> {
    metrics: &'a Metrics,
    endpoint: Labels,
    started: Instant,
    method: String,
    path: String,
    peer: Option<Peer>,
    answered: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight.get_or_create(&self.endpoint).dec();
        if !self.answered {
            let mut labels = self.endpoint.clone();
            labels.push(("status", "disconnected".to_string()));
            self.metrics.requests.get_or_create(&labels).inc();
            tracing::info!(
                method = %self.method,
                path = %self.path,
                ms = milliseconds(self.started),
                peer = %peer_name(self.peer),
                "client disconnected before the answer"
            );
        }
    }
}

/// Time since `started`, in milliseconds to 0.1.
fn milliseconds(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}

fn peer_name(peer: Option<Peer>) -> String {
    peer.map_or("-".to_string(), |peer| peer.0.to_string())
}

/// Middleware: metrics and one log line per request.
pub(super) async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unknown", |path| path.as_str())
        .to_string();
    let mut in_flight = InFlight {
        metrics: &app.metrics,
        endpoint: vec![("endpoint", endpoint)],
        started: Instant::now(),
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        peer: request.extensions().get::<Peer>().copied(),
        answered: false,
    };
    app.metrics
        .in_flight
        .get_or_create(&in_flight.endpoint)
        .inc();
    let response = next.run(request).await;
    in_flight.answered = true;
    let seconds = in_flight.started.elapsed().as_secs_f64();
    let status = response.status();
    let sentences = response.extensions().get::<Sentences>().map_or(0, |s| s.0);
    let mut labels = in_flight.endpoint.clone();
    labels.push(("status", status.as_u16().to_string()));
    let metrics = &app.metrics;
    metrics.requests.get_or_create(&labels).inc();
    metrics
        .durations
        .get_or_create(&in_flight.endpoint)
        .observe(seconds);
    metrics.sentences.inc_by(sentences as u64);
    tracing::info!(
        method = %in_flight.method,
        path = %in_flight.path,
        status = status.as_u16(),
        ms = milliseconds(in_flight.started),
        sentences,
        peer = %peer_name(in_flight.peer),
        "request"
    );
    response
}

/// `GET /health`: 200 once the model is loaded, 503 before.
pub(super) async fn health(State(app): State<Arc<App>>) -> Response {
    if app.queue.get().is_some() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "loading"})),
        )
            .into_response()
    }
}

/// `GET /metrics`.
pub(super) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let metrics = &app.metrics;
    if let Some(queue) = app.queue.get() {
        let stats = queue.stats();
        metrics.waiting.set(stats.waiting as i64);
        metrics.documents.set(stats.documents as i64);
    }
    let mut text = String::new();
    encode(&mut text, &metrics.registry).expect("writing to a String cannot fail");
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
