//! `passeur::serve` in process: the LibreTranslate endpoints, passeur's own, the operations
//! endpoints, and the server's behaviour with bad or hostile clients.
//!
//! Each test starts its own server on 127.0.0.1 (a free port) with either the fixture model
//! behind the fidelity guard, or [`Gated`], a scripted engine the test can hold still to look at
//! the server while requests wait.

#![cfg(feature = "serve")]

use passeur::fidelity::{Guard, Guarded};
use passeur::hub::resolve_local;
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::queue::Engine;
use passeur::serve::{self, ApiKeys, Loader, ServeOptions};
use passeur::translate::{
    Provenance, SentenceTranslation, SentenceTranslator, Translator, TranslatorOptions,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FIXTURE: &str = "tests/fixtures/marian-tiny";

fn fixture_translator() -> Translator {
    let files = resolve_local(Path::new(FIXTURE)).unwrap();
    Translator::from_files(files, TranslatorOptions::default()).unwrap()
}

fn fixture_loader() -> Loader {
    Box::new(|| {
        Ok(serve::guarded_engine(
            fixture_translator(),
            Some(Guard::default()),
        ))
    })
}

/// What `passeur translate` gives for `text`: the fixture model behind the guard, through the
/// document pipeline, one text at a time.
fn expected(text: &str) -> passeur::Bilingual {
    let translator = fixture_translator();
    let guard = Guard::default();
    let guarded = Guarded {
        guard: &guard,
        engine: &translator,
    };
    Pipeline::new(&guarded, PipelineOptions::default())
        .translate(text)
        .unwrap()
}

/// Upper-cases; blocks while the test holds `gate`.
#[derive(Default)]
struct Gated {
    gate: Mutex<()>,
    entered: AtomicUsize,
}

impl SentenceTranslator for Gated {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        drop(self.gate.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation::new(s.to_uppercase(), Some(-0.5)))
            .collect())
    }
    fn token_count(&self, sentence: &str) -> usize {
        sentence.split_whitespace().count() + 1
    }
    fn max_source_tokens(&self) -> usize {
        512
    }
    fn provenance(&self) -> Provenance {
        Provenance {
            model: "gated".into(),
            revision: None,
            decoding: "none".into(),
            passeur_version: "test".into(),
        }
    }
}

impl Gated {
    fn hold(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap()
    }
}

fn gated() -> (Arc<Gated>, Loader) {
    let engine = Arc::new(Gated::default());
    let shared = Arc::clone(&engine);
    (engine, Box::new(move || Ok(shared as Arc<Engine>)))
}

/// A server running on its own thread and runtime until stopped or dropped.
struct Server {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), String>>>,
    agent: ureq::Agent,
}

impl Server {
    fn start(options: ServeOptions, load: Loader) -> Server {
        let server = Server::start_loading(options, load);
        server.wait_until_ready();
        server
    }

    fn start_loading(options: ServeOptions, load: Loader) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let stop = async {
                    let _ = stopped.await;
                };
                serve::serve(listener, options, load, stop)
                    .await
                    .map_err(|err| err.to_string())
            })
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        Server {
            address,
            stop: Some(stop),
            thread: Some(thread),
            agent,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.get("/health").0 != 200 {
            assert!(Instant::now() < deadline, "the model never loaded");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let response = self.agent.get(&self.url(path)).call().unwrap();
        read(response)
    }

    fn post(&self, path: &str, content_type: &str, body: impl AsRef<[u8]>) -> (u16, String) {
        let response = self
            .agent
            .post(&self.url(path))
            .content_type(content_type)
            .send(body.as_ref())
            .unwrap();
        read(response)
    }

    fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.post(path, "application/json", body.to_string());
        (status, serde_json::from_str(&text).unwrap())
    }

    /// The value of the metric line starting with `name` (labels included), if any.
    fn metric(&self, name: &str) -> Option<f64> {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
    }

    /// Waits until `metric` reaches `value`.
    fn wait_for_metric(&self, name: &str, value: f64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.metric(name) != Some(value) {
            assert!(
                Instant::now() < deadline,
                "{name} never reached {value}: {:?}",
                self.metric(name)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn trigger_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    fn stop(mut self) -> Result<(), String> {
        self.trigger_stop();
        self.join()
    }

    /// Waits until the server stops by itself.
    fn join(mut self) -> Result<(), String> {
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.trigger_stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read(response: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.into_body().read_to_string().unwrap())
}

/// Sends raw bytes on a new connection and reads until the server closes it (or 30 s pass).
fn raw_exchange(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn error_of(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"))
}

const ARTICLE: &str = "Le Conseil a adopté le texte mercredi. Il y avait 5.000 personnes.\n\n\
                       Voir https://example.fr pour les détails.";

#[test]
fn translate_answers_in_the_shape_of_q_as_passeur_translate_would() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let single = expected(ARTICLE).english();
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": ARTICLE, "source": "fr", "target": "en", "format": "text"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "translatedText": single }));

    let texts = ["Bonjour le monde.", "", ARTICLE, "Merci."];
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": texts, "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200, "{body}");
    let want: Vec<String> = texts.iter().map(|t| expected(t).english()).collect();
    assert_eq!(body, json!({ "translatedText": want }));

    // CRLF line endings are normalised like in files.
    let (_, body) = server.post_json(
        "/translate",
        &json!({"q": ARTICLE.replace('\n', "\r\n"), "source": "fr", "target": "en"}),
    );
    assert_eq!(body["translatedText"], json!(single));
}

#[test]
fn html_comes_back_as_the_same_markup_in_english() {
    // The upper-casing engine makes the English predictable: every tag must wrap the same words.
    let (engine, loader) = gated();
    let server = Server::start(ServeOptions::default(), loader);
    let html = "<p>Il a lu <a href=\"https://exemple.fr/a?x=1&amp;y=2\">le rapport</a> et \
                <b>ri</b>.</p><pre>code() &lt; 2</pre><p translate=\"no\">Ne pas traduire.</p>";
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": html, "source": "fr", "target": "en", "format": "html"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["translatedText"],
        json!(
            "<p>IL A LU <a href=\"https://exemple.fr/a?x=1&amp;y=2\">LE RAPPORT</a> ET \
             <b>RI</b>.</p><pre>code() &lt; 2</pre><p translate=\"no\">Ne pas traduire.</p>"
        )
    );
    assert!(engine.entered.load(Ordering::SeqCst) > 0);
}

#[test]
fn form_multipart_and_query_parameters_work_like_json() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let want = expected("Bonjour le monde.").english();
    let form = "q=Bonjour+le+monde.&source=fr&target=en";
    let (status, text) = server.post("/translate", "application/x-www-form-urlencoded", form);
    assert_eq!(
        (status, text.as_str()),
        (200, json!({ "translatedText": want }).to_string().as_str())
    );

    // A repeated form field is an array.
    let (_, text) = server.post(
        "/translate",
        "application/x-www-form-urlencoded",
        "q=Bonjour+le+monde.&q=Merci.&source=fr&target=en",
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["translatedText"],
        json!([want, expected("Merci.").english()])
    );

    // A browser's FormData.
    let boundary = "XyZpasseur";
    let multipart = ["q", "source", "target", "format"]
        .iter()
        .zip(["Bonjour le monde.", "fr", "en", "text"])
        .map(|(name, value)| {
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        })
        .collect::<String>()
        + &format!("--{boundary}--\r\n");
    let (status, text) = server.post(
        "/translate",
        &format!("multipart/form-data; boundary={boundary}"),
        multipart,
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["translatedText"],
        json!(want)
    );

    // The query string.
    let (status, text) = server.post(
        "/translate?q=Bonjour%20le%20monde.&source=fr&target=en",
        "application/x-www-form-urlencoded",
        "",
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["translatedText"],
        json!(want)
    );
}

#[test]
fn auto_source_reports_the_detected_language() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let (_, body) = server.post_json(
        "/translate",
        &json!({"q": "Le gouvernement a présenté son projet de loi.", "source": "auto", "target": "en"}),
    );
    assert_eq!(body["detectedLanguage"]["language"], "fr", "{body}");
    let confidence = body["detectedLanguage"]["confidence"].as_f64().unwrap();
    assert!(
        (0.0..=100.0).contains(&confidence) && confidence > 50.0,
        "{body}"
    );
    let (_, body) = server.post_json(
        "/translate",
        &json!({"q": ["Bonjour.", "The weather is nice today, isn't it?"], "source": "auto", "target": "en", "alternatives": 2}),
    );
    assert_eq!(body["detectedLanguage"][0]["language"], "fr", "{body}");
    assert_eq!(body["detectedLanguage"][1]["language"], "en", "{body}");
    assert_eq!(body["alternatives"], json!([[], []]));

    let (status, body) = server.post_json(
        "/detect",
        &json!({"q": "Où est la gare, s'il vous plaît ?"}),
    );
    assert_eq!(status, 200);
    assert_eq!(body[0]["language"], "fr", "{body}");
    assert!(body[0]["confidence"].as_f64().unwrap() > 50.0);
    let (status, body) = server.post_json("/detect", &json!({}));
    assert_eq!(
        (status, error_of(&body)),
        (400, "Invalid request: missing q parameter")
    );
}

#[test]
fn bad_requests_get_libretranslate_errors() {
    let server = Server::start(
        ServeOptions {
            max_chars: 40,
            ..ServeOptions::default()
        },
        fixture_loader(),
    );
    let cases = [
        (
            json!({"source": "fr", "target": "en"}),
            "Invalid request: missing q parameter",
        ),
        (
            json!({"q": "", "source": "fr", "target": "en"}),
            "Invalid request: missing q parameter",
        ),
        (
            json!({"q": [], "source": "fr", "target": "en"}),
            "Invalid request: missing q parameter",
        ),
        (
            json!({"q": "Bonjour", "target": "en"}),
            "Invalid request: missing source parameter",
        ),
        (
            json!({"q": "Bonjour", "source": "fr"}),
            "Invalid request: missing target parameter",
        ),
        (
            json!({"q": "Bonjour", "source": "de", "target": "en"}),
            "de is not supported",
        ),
        (
            json!({"q": "Bonjour", "source": "fr", "target": "zz"}),
            "zz is not supported",
        ),
        (
            json!({"q": "Bonjour", "source": "fr", "target": "en", "format": "pdf"}),
            "pdf format is not supported",
        ),
        (
            json!({"q": 5, "source": "fr", "target": "en"}),
            "Invalid request: q must be a string or an array of strings",
        ),
        (
            json!({"q": ["a", 1], "source": "fr", "target": "en"}),
            "Invalid request: q must be a string or an array of strings",
        ),
        (
            json!({"q": "Bonjour", "source": ["fr"], "target": "en"}),
            "Invalid request: source must be a string",
        ),
        (
            json!({"q": "Bonjour", "source": "fr", "target": "en", "alternatives": "many"}),
            "Invalid request: alternatives parameter is not a number",
        ),
        (
            json!({"q": "x".repeat(41), "source": "fr", "target": "en"}),
            "Invalid request: request (41) exceeds text limit (40)",
        ),
        (
            json!({"q": ["é".repeat(20), "à".repeat(21)], "source": "fr", "target": "en"}),
            "Invalid request: request (41) exceeds text limit (40)",
        ),
    ];
    for (request, message) in cases {
        let (status, body) = server.post_json("/translate", &request);
        assert_eq!((status, error_of(&body)), (400, message), "{request}");
    }
    for (body, message) in [
        (
            "{\"q\": ",
            "Invalid JSON format: EOF while parsing a value at line 1 column 6",
        ),
        (
            "[\"q\"]",
            "Invalid JSON format: the body must be a JSON object",
        ),
        (
            "\u{0}\u{1}",
            "Invalid JSON format: expected value at line 1 column 1",
        ),
    ] {
        let (status, text) = server.post("/translate", "application/json", body);
        let answer: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((status, error_of(&answer)), (400, message));
    }
    let (status, text) = server.post("/translate", "application/xml", "<q>Bonjour</q>");
    assert_eq!(status, 400, "{text}");

    // Over the byte limit (6 bytes a character plus 64 KiB): 413 before the body is read.
    let limit = ServeOptions {
        max_chars: 40,
        ..ServeOptions::default()
    }
    .body_limit();
    let answer = raw_exchange(
        server.address,
        format!(
            "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            limit + 1
        )
        .as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.ends_with(&format!(
            "{{\"error\":\"Invalid request: the body is larger than this server's limit of {limit} bytes\"}}"
        )),
        "{answer}"
    );
    // Without a declared length: cut off at the limit.
    let mut chunked = b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                        Transfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for _ in 0..=limit / 4096 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend(std::iter::repeat_n(b' ', 4096));
        chunked.extend_from_slice(b"\r\n");
    }
    let answer = raw_exchange(server.address, &chunked);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let (status, text) = server.get("/nowhere");
    assert_eq!((status, text.as_str()), (404, r#"{"error":"Not found"}"#));
    let (status, text) = server.get("/translate");
    assert_eq!(
        (status, text.as_str()),
        (405, r#"{"error":"Method not allowed"}"#)
    );
    // The server is still fine.
    let (status, _) = server.post_json(
        "/translate",
        &json!({"q": "Bonjour.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200);
}

#[test]
fn api_keys_are_checked_where_libretranslate_checks_them() {
    let options = ServeOptions {
        api_keys: Some(ApiKeys::parse("# keys\nsecret-1\nsecret-2\n")),
        ..ServeOptions::default()
    };
    let server = Server::start(options, fixture_loader());
    let request = |key: Option<&str>| {
        let mut body = json!({"q": "Bonjour.", "source": "fr", "target": "en"});
        if let Some(key) = key {
            body["api_key"] = json!(key);
        }
        server.post_json("/translate", &body)
    };
    let (status, body) = request(None);
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).starts_with("Invalid request: missing api_key parameter"));
    let (status, body) = request(Some("wrong"));
    assert_eq!((status, error_of(&body)), (403, "Invalid API key"));
    assert_eq!(request(Some("secret-2")).0, 200);
    let (status, body) = server.post_json("/detect", &json!({"q": "Bonjour", "api_key": "nope"}));
    assert_eq!((status, error_of(&body)), (403, "Invalid API key"));
    let (status, _) = server.post("/v1/translate?api_key=secret-1", "text/plain", "Bonjour.");
    assert_eq!(status, 200);
    // Open endpoints.
    assert_eq!(server.get("/languages").0, 200);
    let (_, settings) = server.get("/frontend/settings");
    let settings: Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings["apiKeys"], json!(true));
    assert_eq!(settings["keyRequired"], json!(true));
}

#[test]
fn languages_settings_health_and_metrics() {
    let options = ServeOptions {
        max_chars: 1234,
        ..ServeOptions::default()
    };
    let server = Server::start(options, fixture_loader());
    let (status, languages) = server.get("/languages");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&languages).unwrap(),
        json!([
            {"code": "en", "name": "English", "targets": []},
            {"code": "fr", "name": "French", "targets": ["en"]},
        ])
    );
    let (_, settings) = server.get("/frontend/settings");
    let settings: Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings["charLimit"], json!(1234));
    assert_eq!(settings["apiKeys"], json!(false));
    assert_eq!(settings["language"]["source"]["code"], json!("fr"));
    assert_eq!(settings["language"]["target"]["code"], json!("en"));
    assert_eq!(
        server.get("/health"),
        (200, r#"{"status":"ok"}"#.to_string())
    );

    for _ in 0..3 {
        server.post_json(
            "/translate",
            &json!({"q": ARTICLE, "source": "fr", "target": "en"}),
        );
    }
    let sentences = expected(ARTICLE).stats.verdicts.sentences as f64;
    assert_eq!(
        server.metric(r#"passeur_http_requests_total{endpoint="/translate",status="200"}"#),
        Some(3.0)
    );
    assert_eq!(
        server.metric("passeur_sentences_total"),
        Some(3.0 * sentences)
    );
    assert_eq!(
        server.metric(r#"passeur_http_request_duration_seconds_count{endpoint="/translate"}"#),
        Some(3.0)
    );
    assert!(server.metric("passeur_batch_size_count").unwrap() >= 1.0);
    assert!(server.metric("passeur_model_requests_total").unwrap() >= 3.0);
    assert_eq!(server.metric("passeur_queue_waiting_requests"), Some(0.0));
    assert_eq!(server.metric("passeur_model_ready"), Some(1.0));
    let (_, text) = server.get("/metrics");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[test]
fn v1_translate_answers_the_jsonl_of_passeur_translate() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let want = passeur::write::jsonl(&expected(ARTICLE));
    let (status, text) = server.post("/v1/translate", "text/plain; charset=utf-8", ARTICLE);
    assert_eq!((status, text.as_str()), (200, want.as_str()));
    let (status, text) = server.post(
        "/v1/translate",
        "application/json",
        json!({"text": ARTICLE}).to_string(),
    );
    assert_eq!((status, text.as_str()), (200, want.as_str()));
    // Each line's byte range gives its source back.
    for line in text.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let range =
            line["start"].as_u64().unwrap() as usize..line["end"].as_u64().unwrap() as usize;
        assert_eq!(&ARTICLE[range], line["source"].as_str().unwrap());
    }
    let markdown = "# Titre\n\nUn [lien](https://example.fr) ici.";
    let (_, text) = server.post(
        "/v1/translate",
        "application/json",
        json!({"text": markdown, "input_format": "markdown"}).to_string(),
    );
    assert_eq!(text.lines().count(), 2);
    let (status, text) = server.post(
        "/v1/translate",
        "application/json",
        json!({"text": "x", "input_format": "pdf"}).to_string(),
    );
    assert_eq!(status, 400, "{text}");
    let (status, text) = server.post(
        "/v1/translate",
        "text/plain",
        b"\x00\x01\x02binary\x00".as_slice(),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("binary"), "{text}");
}

#[test]
fn health_is_503_until_the_model_is_loaded() {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let load: Loader = Box::new(move || {
        let _ = wait.recv();
        Ok(serve::guarded_engine(fixture_translator(), None))
    });
    let server = Server::start_loading(ServeOptions::default(), load);
    assert_eq!(
        server.get("/health"),
        (503, r#"{"status":"loading"}"#.to_string())
    );
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": "Bonjour.", "source": "fr", "target": "en"}),
    );
    assert_eq!(
        (status, error_of(&body)),
        (503, "The model is still loading; try again in a moment")
    );
    assert_eq!(server.get("/languages").0, 200);
    release.send(()).unwrap();
    server.wait_until_ready();
    assert_eq!(
        server
            .post_json(
                "/translate",
                &json!({"q": "Bonjour.", "source": "fr", "target": "en"})
            )
            .0,
        200
    );
}

#[test]
fn a_failed_model_load_stops_the_server_with_its_error() {
    let load: Loader = Box::new(|| Err("no such model".into()));
    let server = Server::start_loading(ServeOptions::default(), load);
    assert_eq!(server.join(), Err("no such model".to_string()));
}

#[test]
fn concurrent_requests_are_batched_together() {
    let (engine, load) = gated();
    let server = Arc::new(Server::start(ServeOptions::default(), load));
    let gate = engine.hold();
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let server = Arc::clone(&server);
            std::thread::spawn(move || {
                server.post_json(
                    "/translate",
                    &json!({"q": format!("Requête numéro {i}."), "source": "fr", "target": "en"}),
                )
            })
        })
        .collect();
    // The first call holds the engine; the others queue up behind it.
    server.wait_for_metric("passeur_queue_documents", 6.0);
    drop(gate);
    for (i, client) in clients.into_iter().enumerate() {
        let (status, body) = client.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            body["translatedText"],
            json!(format!("REQUÊTE NUMÉRO {i}."))
        );
    }
    // 6 requests in at most 2 calls: the one that was running, and all the rest together.
    let calls = engine.entered.load(Ordering::SeqCst);
    assert!(calls <= 2, "{calls} calls");
    assert_eq!(server.metric("passeur_batch_size_sum"), Some(6.0));
}

#[test]
fn a_full_queue_answers_429() {
    let (engine, load) = gated();
    let options = ServeOptions {
        queue: passeur::queue::QueueOptions {
            capacity: 3,
            ..Default::default()
        },
        ..ServeOptions::default()
    };
    let server = Arc::new(Server::start(options, load));
    let gate = engine.hold();
    let send = |text: &'static str| {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            server.post_json(
                "/translate",
                &json!({"q": text, "source": "fr", "target": "en"}),
            )
        })
    };
    let first = send("Premier.");
    server.wait_for_metric("passeur_queue_documents", 1.0);
    while engine.entered.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let second = send("Un. Deux. Trois.");
    server.wait_for_metric("passeur_queue_waiting_requests", 3.0);
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": "Trop.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 429);
    assert_eq!(
        error_of(&body),
        "Slowdown: the translation queue is full (3 sentences waiting, room for 3); try again shortly"
    );
    drop(gate);
    assert_eq!(first.join().unwrap().0, 200);
    assert_eq!(second.join().unwrap().0, 200);
}

#[test]
fn slow_clients_are_cut_off_without_stalling_others() {
    // Long enough that the normal client below is never cut off on a busy machine.
    let options = ServeOptions {
        header_timeout: Duration::from_millis(1500),
        body_timeout: Duration::from_millis(1500),
        ..ServeOptions::default()
    };
    let server = Server::start(options, fixture_loader());
    // Headers that never end, and a body that never comes.
    let mut slow_headers = TcpStream::connect(server.address).unwrap();
    slow_headers
        .write_all(b"POST /translate HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut slow_body = TcpStream::connect(server.address).unwrap();
    slow_body
        .write_all(
            b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"q\": \"Bon",
        )
        .unwrap();
    // Others are served meanwhile.
    let (status, _) = server.post_json(
        "/translate",
        &json!({"q": "Bonjour.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200);
    for stream in [&mut slow_headers, &mut slow_body] {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
    }
    let mut answer = String::new();
    let _ = slow_body.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("the body took longer than 1.5 s to arrive"),
        "{answer}"
    );
    let mut rest = Vec::new();
    let closed = slow_headers.read_to_end(&mut rest);
    assert!(closed.is_ok(), "the connection was not closed: {closed:?}");
}

#[test]
fn a_thousand_connections_are_all_served() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let mut streams: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(server.address).unwrap())
        .collect();
    // With all of them open, a normal client is served.
    let (status, _) = server.post_json(
        "/translate",
        &json!({"q": "Bonjour.", "source": "fr", "target": "en"}),
    );
    assert_eq!(status, 200);
    for stream in &mut streams {
        stream
            .write_all(b"GET /languages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
    }
    for stream in &mut streams {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#""targets":["en"]}]"#), "{answer}");
    }
}

#[test]
fn connections_over_the_limit_wait_for_a_free_slot() {
    let options = ServeOptions {
        max_connections: 4,
        header_timeout: Duration::from_millis(300),
        ..ServeOptions::default()
    };
    let server = Server::start(options, fixture_loader());
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.address).unwrap())
        .collect();
    // Served once an idle connection times out.
    let answer = raw_exchange(
        server.address,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(idle);
}

#[test]
fn a_client_that_leaves_withdraws_its_request_and_others_go_on() {
    let (engine, load) = gated();
    let server = Arc::new(Server::start(ServeOptions::default(), load));
    let gate = engine.hold();
    let first = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            server.post_json(
                "/translate",
                &json!({"q": "Premier.", "source": "fr", "target": "en"}),
            )
        })
    };
    while engine.entered.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let body =
        json!({"q": "Je pars avant la réponse.", "source": "fr", "target": "en"}).to_string();
    let mut leaving = TcpStream::connect(server.address).unwrap();
    write!(
        leaving,
        "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    server.wait_for_metric("passeur_queue_documents", 2.0);
    drop(leaving);
    server.wait_for_metric(
        r#"passeur_http_requests_total{endpoint="/translate",status="disconnected"}"#,
        1.0,
    );
    drop(gate);
    assert_eq!(first.join().unwrap().0, 200);
    let (status, body) = server.post_json(
        "/translate",
        &json!({"q": "Ensuite.", "source": "fr", "target": "en"}),
    );
    assert_eq!(
        (status, body["translatedText"].as_str()),
        (200, Some("ENSUITE."))
    );
    // The withdrawn sentence never reached the engine: two calls, one sentence each.
    assert_eq!(server.metric("passeur_model_requests_total"), Some(2.0));
}

#[test]
fn shutdown_finishes_every_accepted_request_and_refuses_new_ones() {
    let (engine, load) = gated();
    let mut server = Server::start(ServeOptions::default(), load);
    let gate = engine.hold();
    let url = server.url("/translate");
    let clients: Vec<_> = (0..5)
        .map(|i| {
            let url = url.clone();
            let agent = server.agent.clone();
            std::thread::spawn(move || {
                let body = json!({"q": format!("Phrase {i}."), "source": "fr", "target": "en"});
                let response = agent
                    .post(&url)
                    .content_type("application/json")
                    .send(body.to_string())
                    .unwrap();
                read(response)
            })
        })
        .collect();
    server.wait_for_metric("passeur_queue_documents", 5.0);
    server.trigger_stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(server.address).is_ok() {
        assert!(Instant::now() < deadline, "still accepting connections");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(gate);
    for (i, client) in clients.into_iter().enumerate() {
        let (status, text) = client.join().unwrap();
        assert_eq!(status, 200, "{text}");
        assert_eq!(
            text,
            json!({ "translatedText": format!("PHRASE {i}.") }).to_string()
        );
    }
    assert_eq!(server.stop(), Ok(()));
}

#[test]
fn browsers_may_call_from_other_origins() {
    let server = Server::start(ServeOptions::default(), fixture_loader());
    let preflight = raw_exchange(
        server.address,
        b"OPTIONS /translate HTTP/1.1\r\nHost: x\r\nOrigin: https://example.org\r\n\
          Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\
          Connection: close\r\n\r\n",
    )
    .to_ascii_lowercase();
    assert!(preflight.starts_with("http/1.1 200"), "{preflight}");
    assert!(
        preflight.contains("access-control-allow-origin: *"),
        "{preflight}"
    );
    assert!(
        preflight.contains("access-control-allow-methods: get,post"),
        "{preflight}"
    );
    let answer = raw_exchange(
        server.address,
        b"GET /languages HTTP/1.1\r\nHost: x\r\nOrigin: https://example.org\r\nConnection: close\r\n\r\n",
    )
    .to_ascii_lowercase();
    assert!(
        answer.contains("access-control-allow-origin: *"),
        "{answer}"
    );
}
