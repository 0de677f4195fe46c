//! `passeur serve` as a process: a real LibreTranslate client (libretranslatepy) against it,
//! SIGTERM during load, and start-up errors.

#![cfg(feature = "serve")]

use passeur::fidelity::{Guard, Guarded};
use passeur::hub::resolve_local;
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::translate::{Translator, TranslatorOptions};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const FIXTURE: &str = "tests/fixtures/marian-tiny";

/// The English `passeur translate` gives for `text` with the fixture model.
fn english(text: &str) -> String {
    let files = resolve_local(Path::new(FIXTURE)).unwrap();
    let translator = Translator::from_files(files, TranslatorOptions::default()).unwrap();
    let guard = Guard::default();
    let guarded = Guarded {
        guard: &guard,
        engine: &translator,
    };
    Pipeline::new(&guarded, PipelineOptions::default())
        .translate(text)
        .unwrap()
        .english()
}

/// A `passeur serve` process on a free port, its stderr read on a thread.
struct ServeProcess {
    child: Child,
    url: String,
    stderr: Receiver<String>,
    agent: ureq::Agent,
}

impl ServeProcess {
    fn start(extra: &[&str]) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_passeur"))
            .args(["serve", "--model", FIXTURE, "--port", "0", "--threads", "1"])
            .args(extra)
            .env("HF_HUB_OFFLINE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, stderr) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stderr.recv_timeout(Duration::from_secs(60)).unwrap();
        let url = first
            .strip_prefix("passeur: listening on ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .new_agent();
        let server = ServeProcess {
            child,
            url,
            stderr,
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.get("/health").0 != 200 {
            assert!(Instant::now() < deadline, "the model never loaded");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .agent
            .get(&format!("{}{path}", self.url))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.into_body().read_to_string().unwrap())
    }

    fn metric(&self, name: &str) -> Option<f64> {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
    }

    /// The rest of stderr, until the process closes it.
    fn remaining_stderr(&self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.stderr.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => return lines,
                Err(RecvTimeoutError::Timeout) => panic!("stderr still open: {lines:?}"),
            }
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn libretranslatepy_translates_through_passeur_serve() {
    let python = Command::new("python3")
        .args(["-c", "import libretranslatepy"])
        .output();
    if !python.is_ok_and(|out| out.status.success()) {
        // CI installs the client and sets PASSEUR_REQUIRE_PEERS (.ci/run): there, a missing
        // client is a failure, never a silent pass.
        assert!(
            std::env::var_os("PASSEUR_REQUIRE_PEERS").is_none(),
            "PASSEUR_REQUIRE_PEERS is set but python3 cannot import libretranslatepy \
             (python3 -m pip install libretranslatepy==2.1.4)"
        );
        eprintln!(
            "SKIPPED libretranslatepy_translates_through_passeur_serve: needs python3 with \
             libretranslatepy (python3 -m pip install libretranslatepy==2.1.4)"
        );
        return;
    }
    let directory = tempfile::tempdir().unwrap();
    let keys = directory.path().join("keys.txt");
    std::fs::write(&keys, "# test clients\nlt-test-key\n").unwrap();
    let texts = [
        "Bonjour le monde.",
        "Il y avait 5.000 personnes à Paris.\n\nDeuxième paragraphe.",
        "Merci beaucoup.",
    ];
    let expected: serde_json::Map<String, Value> = texts
        .iter()
        .map(|text| (text.to_string(), json!(english(text))))
        .collect();
    let expected_path = directory.path().join("expected.json");
    std::fs::write(&expected_path, Value::Object(expected).to_string()).unwrap();

    let server = ServeProcess::start(&["--api-keys", keys.to_str().unwrap()]);
    let output = Command::new("python3")
        .arg("tests/serve_libretranslatepy.py")
        .arg(&server.url)
        .arg("lt-test-key")
        .arg(&expected_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn sigterm_during_load_finishes_every_accepted_request_and_exits_0() {
    // Eight different articles of distinct sentences (a repeated sentence is translated once),
    // long enough that all eight are accepted and none is answered when the signal comes: the
    // eight requests arrive within milliseconds, one article of 40 sentences takes about half a
    // second (1.4 s for 120 in a debug build).
    let article = |client: usize| -> String {
        (0..20)
            .map(|i| {
                format!(
                    "Le Conseil {client} a adopté le texte {i} mercredi soir après un long \
                     débat. Il y avait {i} personnes devant le bâtiment {client}. "
                )
            })
            .collect()
    };
    let server = ServeProcess::start(&[]);
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let agent = server.agent.clone();
            let url = format!("{}/translate", server.url);
            let body = json!({"q": article(client), "source": "fr", "target": "en"}).to_string();
            std::thread::spawn(move || {
                let response = agent
                    .post(&url)
                    .content_type("application/json")
                    .send(body)
                    .map_err(|err| err.to_string())?;
                let status = response.status().as_u16();
                let text = response
                    .into_body()
                    .read_to_string()
                    .map_err(|err| err.to_string())?;
                Ok::<_, String>((status, text))
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.metric("passeur_queue_documents") != Some(8.0) {
        assert!(
            Instant::now() < deadline,
            "the 8 documents were never in the queue together"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(killed, 0);
    for (client, thread) in clients.into_iter().enumerate() {
        let (status, text) = thread
            .join()
            .unwrap()
            .expect("every accepted request is answered");
        assert_eq!(status, 200, "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        let want = english(&article(client));
        assert_eq!(body["translatedText"].as_str(), Some(want.as_str()));
    }
    let mut server = server;
    let status = server.child.wait().unwrap();
    let log = server.remaining_stderr();
    assert_eq!(status.code(), Some(0), "{log:#?}");
    assert!(
        log.iter().any(|line| line.contains("shutting down")),
        "{log:#?}"
    );
}

#[test]
fn start_up_errors_name_the_problem() {
    let passeur = || Command::new(env!("CARGO_BIN_EXE_passeur"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = passeur()
        .args(["serve", "--model", FIXTURE, "--port", &port])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );

    let output = passeur()
        .args([
            "serve",
            "--model",
            FIXTURE,
            "--port",
            "0",
            "--api-keys",
            "no/such/keys.txt",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no/such/keys.txt"), "{stderr}");

    let directory = tempfile::tempdir().unwrap();
    let output = passeur()
        .args(["serve", "--port", "0", "--model"])
        .arg(directory.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("loading the model"), "{stderr}");
}
