//! Request bodies: read within a byte limit and a deadline, then turned into parameters.
//!
//! LibreTranslate (Flask) takes its parameters from a JSON object, a URL-encoded form, a
//! multipart form (what browsers' `FormData` sends) or the query string; so does passeur. In a
//! form, a parameter given several times (`q=…&q=…`) is an array.

use super::reply::ApiError;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use std::time::Duration;

/// How a body is written, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Json,
    Form,
    Multipart,
    PlainText,
    Other,
}

impl Kind {
    pub(super) fn of(parts: &Parts) -> Kind {
        let Some(value) = parts.headers.get(header::CONTENT_TYPE) else {
            return Kind::Form;
        };
        let mime = value
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" => Kind::Json,
            m if m.starts_with("application/") && m.ends_with("+json") => Kind::Json,
            "application/x-www-form-urlencoded" | "" => Kind::Form,
            "multipart/form-data" => Kind::Multipart,
            "text/plain" => Kind::PlainText,
            _ => Kind::Other,
        }
    }
}

/// Reads the whole body: 413 past `limit` bytes, 408 if it takes longer than `deadline`.
pub(super) async fn read(
    parts: &Parts,
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Invalid request: the body is larger than this server's limit of {limit} bytes"
            ),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let reading = async {
        let mut body = body;
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|err| {
                ApiError::bad_request(format!(
                    "Invalid request: the body could not be read: {err}"
                ))
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    };
    tokio::time::timeout(deadline, reading)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "Invalid request: the body took longer than {} s to arrive",
                    deadline.as_secs_f64()
                ),
            ))
        })
}

/// A request's parameters: the query string's, overridden by the body's.
#[derive(Debug, Default)]
pub(super) struct Params {
    fields: Map<String, Value>,
}

/// One text or several, as `q` gave them.
#[derive(Debug)]
pub(super) struct Texts {
    pub(super) items: Vec<String>,
    /// Whether `q` was an array (the answer is then an array too).
    pub(super) array: bool,
}

impl Params {
    /// Parses a JSON, form or multipart body and the query string.
    pub(super) async fn parse(parts: &Parts, bytes: Vec<u8>) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Some(query) = parts.uri.query() {
            params.add_form(query.as_bytes());
        }
        match Kind::of(parts) {
            Kind::Json => params.add_json(&bytes)?,
            Kind::Form => params.add_form(&bytes),
            Kind::Multipart => params.add_multipart(parts, bytes).await?,
            Kind::PlainText | Kind::Other if bytes.is_empty() => {}
            Kind::PlainText | Kind::Other => {
                return Err(ApiError::bad_request(
                    "Invalid request: send the parameters as JSON (Content-Type: \
                     application/json), a form (application/x-www-form-urlencoded or \
                     multipart/form-data) or in the query string",
                ))
            }
        }
        Ok(params)
    }

    fn add_json(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|err| ApiError::bad_request(format!("Invalid JSON format: {err}")))?;
        let Value::Object(fields) = value else {
            return Err(ApiError::bad_request(
                "Invalid JSON format: the body must be a JSON object",
            ));
        };
        self.fields.extend(fields);
        Ok(())
    }

    fn add_form(&mut self, bytes: &[u8]) {
        let mut form = Params::default();
        for (name, value) in form_urlencoded::parse(bytes) {
            form.push(name.into_owned(), value.into_owned());
        }
        self.fields.extend(form.fields);
    }

    async fn add_multipart(&mut self, parts: &Parts, bytes: Vec<u8>) -> Result<(), ApiError> {
        let invalid = |err: axum::extract::multipart::MultipartError| {
            ApiError::bad_request(format!(
                "Invalid request: malformed multipart form: {}",
                err.body_text()
            ))
        };
        let mut request = Request::new(Body::from(bytes));
        *request.headers_mut() = parts.headers.clone();
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|rejection| {
                ApiError::bad_request(format!("Invalid request: {}", rejection.body_text()))
            })?;
        let mut form = Params::default();
        while let Some(field) = multipart.next_field().await.map_err(invalid)? {
            let Some(name) = field.name().map(str::to_string) else {
                continue;
            };
            let value = field.text().await.map_err(invalid)?;
            form.push(name, value);
        }
        self.fields.extend(form.fields);
        Ok(())
    }

    /// Adds a form value; a repeated name becomes an array.
    fn push(&mut self, name: String, value: String) {
        match self.fields.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                self.fields
                    .insert(name, Value::Array(vec![first, Value::String(value)]));
            }
            None => {
                self.fields.insert(name, Value::String(value));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|value| !value.is_null())
    }

    /// A string parameter; `None` when absent or null.
    pub(super) fn string(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value)),
            Some(_) => Err(ApiError::bad_request(format!(
                "Invalid request: {name} must be a string"
            ))),
        }
    }

    /// A string or an array of strings.
    pub(super) fn texts(&self, name: &str) -> Result<Option<Texts>, ApiError> {
        let wrong = || {
            ApiError::bad_request(format!(
                "Invalid request: {name} must be a string or an array of strings"
            ))
        };
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(Texts {
                items: vec![text.clone()],
                array: false,
            })),
            Some(Value::Array(values)) => {
                let items = values
                    .iter()
                    .map(|value| value.as_str().map(str::to_string).ok_or_else(wrong))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Texts { items, array: true }))
            }
            Some(_) => Err(wrong()),
        }
    }

    /// A whole number, written as a JSON number or a string.
    pub(super) fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let wrong =
            || ApiError::bad_request(format!("Invalid request: {name} parameter is not a number"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(wrong),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| wrong()),
            Some(_) => Err(wrong()),
        }
    }
}
