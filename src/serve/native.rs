//! `POST /v1/translate`: the aligned bilingual result, as `passeur translate --format jsonl`
//! writes it.
//!
//! The text comes as JSON (`{"text": "…", "input_format": "markdown", "api_key": "…"}`) or as a
//! `text/plain` body (options then in the query string). A plain-text body is decoded like a
//! file given to `passeur translate` (byte-order marks, UTF-16, legacy encodings, binary input
//! refused), so the byte ranges of the answer mean the same thing.

use super::body::{self, Kind, Params};
use super::metrics::Sentences;
use super::reply::ApiError;
use super::App;
use crate::document::{Document, Syntax};
use crate::input;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::sync::Arc;

/// `POST /v1/translate`.
pub(super) async fn translate(
    State(app): State<Arc<App>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read(
        &parts,
        body,
        app.options.body_limit(),
        app.options.body_timeout,
    )
    .await?;
    let (params, text) = if Kind::of(&parts) == Kind::PlainText {
        let params = Params::parse(&parts, Vec::new()).await?;
        let decoded = input::decode(&bytes, "request body", None)
            .map_err(|err| ApiError::bad_request(format!("Invalid request: {err}")))?;
        (params, decoded.text)
    } else {
        let params = Params::parse(&parts, bytes).await?;
        let text = params
            .string("text")?
            .ok_or_else(|| {
                ApiError::bad_request(
                    "Invalid request: missing text parameter (send {\"text\": \"…\"} or a \
                     text/plain body)",
                )
            })?
            .to_string();
        (params, input::normalize_newlines(&text).0)
    };
    app.check_key(params.string("api_key")?)?;
    let syntax = match params.string("input_format")? {
        None => Syntax::Text,
        Some(name) => name.parse::<Syntax>().map_err(|_| {
            ApiError::bad_request(format!(
                "Invalid request: input_format `{name}` is not supported: use text, markdown or html"
            ))
        })?,
    };
    app.check_chars([text.as_str()])?;
    let bilingual = app
        .translate(vec![Document::parse(text, syntax)])
        .await?
        .pop()
        .expect("one document in, one out");
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        Extension(Sentences(bilingual.stats.verdicts.sentences)),
        crate::write::jsonl(&bilingual),
    )
        .into_response())
}
