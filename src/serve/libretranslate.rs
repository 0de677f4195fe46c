//! LibreTranslate's endpoints: `/translate`, `/detect`, `/languages`, `/frontend/settings`.
//!
//! Shapes and messages follow LibreTranslate's `app.py` (see the [module docs](super)).

use super::body::{self, Params};
use super::detect::detect;
use super::metrics::Sentences;
use super::reply::ApiError;
use super::App;
use crate::document::{Document, Syntax};
use crate::input::normalize_newlines;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::sync::Arc;

/// The one language pair.
const SOURCE: (&str, &str) = ("fr", "French");
const TARGET: (&str, &str) = ("en", "English");

/// Reads a request's parameters within the server's limits.
pub(super) async fn params(app: &App, request: Request) -> Result<Params, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read(
        &parts,
        body,
        app.options.body_limit(),
        app.options.body_timeout,
    )
    .await?;
    Params::parse(&parts, bytes).await
}

fn missing(name: &str) -> ApiError {
    ApiError::bad_request(format!("Invalid request: missing {name} parameter"))
}

/// `POST /translate`.
pub(super) async fn translate(
    State(app): State<Arc<App>>,
    request: Request,
) -> Result<Response, ApiError> {
    let params = params(&app, request).await?;
    app.check_key(params.string("api_key")?)?;
    let q = params
        .texts("q")?
        .filter(|q| q.array && !q.items.is_empty() || !q.array && !q.items[0].is_empty())
        .ok_or_else(|| missing("q"))?;
    let source = params
        .string("source")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("source"))?
        .to_ascii_lowercase();
    let target = params
        .string("target")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("target"))?
        .to_ascii_lowercase();
    let alternatives = params.integer("alternatives")?.unwrap_or(0).max(0);
    if q.items.len() > app.options.max_texts {
        return Err(ApiError::bad_request(format!(
            "Invalid request: {} texts in q, more than this server's limit of {}",
            q.items.len(),
            app.options.max_texts
        )));
    }
    app.check_chars(q.items.iter().map(String::as_str))?;
    if source != SOURCE.0 && source != "auto" {
        return Err(ApiError::bad_request(format!("{source} is not supported")));
    }
    if target != TARGET.0 {
        return Err(ApiError::bad_request(format!("{target} is not supported")));
    }
    let html = match params.string("format")? {
        None | Some("") | Some("text") => false,
        Some("html") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{other} format is not supported"
            )))
        }
    };
    let detected: Option<Vec<Value>> =
        (source == "auto").then(|| q.items.iter().map(|text| json!(detect(text))).collect());
    let (english, sentences) = translate_texts(&app, q.items, html).await?;
    let mut answer = serde_json::Map::new();
    if q.array {
        answer.insert("translatedText".into(), json!(english));
        if let Some(detected) = detected {
            answer.insert("detectedLanguage".into(), Value::Array(detected));
        }
        if alternatives > 0 {
            answer.insert(
                "alternatives".into(),
                json!(vec![Vec::<String>::new(); english.len()]),
            );
        }
    } else {
        answer.insert("translatedText".into(), json!(english[0]));
        if let Some(mut detected) = detected {
            answer.insert("detectedLanguage".into(), detected.remove(0));
        }
        if alternatives > 0 {
            answer.insert("alternatives".into(), json!([]));
        }
    }
    Ok((Extension(Sentences(sentences)), Json(Value::Object(answer))).into_response())
}

/// Translates each text as one document through the queue: the English of each, in order, and
/// the number of sentences. `format: html` reads each text as HTML (a fragment or a whole page)
/// and answers the same markup with its text in English (inline tags placed, attributes and code
/// untouched); its sentences are batched with everyone else's all the same.
async fn translate_texts(
    app: &App,
    texts: Vec<String>,
    html: bool,
) -> Result<(Vec<String>, usize), ApiError> {
    let syntax = if html { Syntax::Html } else { Syntax::Text };
    let documents = texts
        .iter()
        .map(|text| Document::parse(normalize_newlines(text).0, syntax))
        .collect();
    let translated = app.translate(documents).await?;
    let sentences = translated.iter().map(|b| b.stats.verdicts.sentences).sum();
    let english = translated
        .iter()
        .map(|b| {
            if html {
                crate::write::page_fragment(b)
            } else {
                b.english()
            }
        })
        .collect();
    Ok((english, sentences))
}

/// `POST /detect`.
pub(super) async fn detect_language(
    State(app): State<Arc<App>>,
    request: Request,
) -> Result<Response, ApiError> {
    let params = params(&app, request).await?;
    app.check_key(params.string("api_key")?)?;
    let q = params
        .string("q")?
        .filter(|q| !q.is_empty())
        .ok_or_else(|| missing("q"))?;
    app.check_chars([q])?;
    Ok(Json(json!([detect(q)])).into_response())
}

/// `GET /languages`.
pub(super) async fn languages() -> Json<Value> {
    Json(json!([
        {"code": TARGET.0, "name": TARGET.1, "targets": []},
        {"code": SOURCE.0, "name": SOURCE.1, "targets": [TARGET.0]},
    ]))
}

/// `GET /frontend/settings`.
pub(super) async fn frontend_settings(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "charLimit": app.options.max_chars,
        "frontendTimeout": 500,
        "apiKeys": app.options.api_keys.is_some(),
        "keyRequired": app.options.api_keys.is_some(),
        "suggestions": false,
        "filesTranslation": false,
        "supportedFilesFormat": [],
        "language": {
            "source": {"code": SOURCE.0, "name": SOURCE.1},
            "target": {"code": TARGET.0, "name": TARGET.1},
        },
    }))
}
