//! The batch runner as a library, with a scripted translator: outputs, failures, resume, shards,
//! the sentence cache, cross-file batching, a translator failure, and a real child process killed
//! with SIGKILL in the middle of a run.
//!
//! The folder is made by `batch_corpus::generate` (see its docs). Every output is compared with
//! what translating that input alone with [`Pipeline`] gives, so batching across files must not
//! change a byte.

use crate::batch_corpus;

use batch_corpus::{generate, good_inputs, BINARY_INPUT, BOILERPLATE, LEGACY_TEXT};
use passeur::batch::{self, BatchOptions, Event, InputReport, Outcome, Shard, Summary};
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use passeur::write::Format;
use passeur::{document::Document, Syntax};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A stand-in for the engine: upper-cases every word, counts tokens as words + 1, records calls.
struct Shouting {
    calls: RefCell<Vec<Vec<String>>>,
    /// Sleep this long in every call (the SIGKILL test's child uses it to last long enough).
    delay: Duration,
    /// Fail on every call from this one (0-based) on, as a broken engine would.
    fail_from_call: Option<usize>,
    /// Fail on any call that holds this text, as an engine choking on one input would.
    fail_on_text: Option<&'static str>,
    call_count: Cell<usize>,
}

impl Shouting {
    fn new() -> Shouting {
        Shouting {
            calls: RefCell::new(Vec::new()),
            delay: Duration::ZERO,
            fail_from_call: None,
            fail_on_text: None,
            call_count: Cell::new(0),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.calls.borrow().iter().flatten().cloned().collect()
    }
}

fn shout(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

impl SentenceTranslator for Shouting {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        let call = self.call_count.get();
        self.call_count.set(call + 1);
        if self.fail_from_call.is_some_and(|first| call >= first) {
            return Err(passeur::Error::Message(
                "the engine ran out of memory".to_string(),
            ));
        }
        if let Some(text) = self.fail_on_text {
            if sentences.contains(&text) {
                return Err(passeur::Error::Message(format!(
                    "cannot translate `{text}`"
                )));
            }
        }
        std::thread::sleep(self.delay);
        self.calls
            .borrow_mut()
            .push(sentences.iter().map(|s| s.to_string()).collect());
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation::new(shout(s), Some(-(s.len() as f32) / 100.0)))
            .collect())
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            model: "shouting".to_string(),
            revision: Some("v1".to_string()),
            decoding: "upper-case".to_string(),
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

const FORMATS: [Format; 2] = [Format::Markdown, Format::Jsonl];

fn options(input_dir: &Path, output_dir: &Path) -> BatchOptions {
    BatchOptions {
        formats: FORMATS.to_vec(),
        ..BatchOptions::new(input_dir, output_dir)
    }
}

/// Runs a batch, returning its summary (or error) and the per-input reports.
fn run(
    options: &BatchOptions,
    translator: &Shouting,
) -> (passeur::Result<Summary>, Vec<InputReport>) {
    let mut reports = Vec::new();
    let summary = batch::run(options, translator, &mut |event| {
        if let Event::Finished(report) = event {
            reports.push(report.clone());
        }
    });
    (summary, reports)
}

/// What translating `relative` alone gives in `format`.
fn reference_output(input_dir: &Path, relative: &str, format: Format) -> String {
    let path = input_dir.join(relative);
    let decoded = passeur::input::read_file(&path, None).unwrap();
    let syntax = Syntax::from_path(&path);
    let translator = Shouting::new();
    let pipeline = Pipeline::new(
        &translator,
        PipelineOptions {
            syntax,
            ..PipelineOptions::default()
        },
    );
    let bilingual = pipeline
        .translate_document(Document::parse(decoded.text, syntax), &mut |_| {})
        .unwrap();
    format.render(&bilingual)
}

/// Every file under `directory`, relative and `/`-separated, with its bytes (hidden ones too).
fn all_files(directory: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(directory).unwrap().to_path_buf();
                let name = relative.to_string_lossy().replace('\\', "/");
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

/// The visible outputs: files of `output_dir` outside `.passeur/`, not hidden, other than the
/// summaries.
fn outputs(output_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    all_files(output_dir)
        .into_iter()
        .filter(|(name, _)| {
            let file_name = name.rsplit('/').next().unwrap();
            !name.starts_with(".passeur/")
                && !file_name.starts_with('.')
                && !name.starts_with("summary")
        })
        .collect()
}

fn modification_times(output_dir: &Path) -> BTreeMap<String, SystemTime> {
    outputs(output_dir)
        .into_keys()
        .map(|name| {
            let modified = std::fs::metadata(output_dir.join(&name))
                .unwrap()
                .modified()
                .unwrap();
            (name, modified)
        })
        .collect()
}

fn expected_output_names() -> BTreeSet<String> {
    good_inputs()
        .iter()
        .flat_map(|input| FORMATS.map(|f| format!("{input}.{}", f.extension())))
        .collect()
}

fn manifest_lines(output_dir: &Path) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    let state_dir = output_dir.join(".passeur");
    if !state_dir.exists() {
        return lines;
    }
    for (name, bytes) in all_files(&state_dir) {
        if !name.starts_with("manifest") {
            continue;
        }
        for line in String::from_utf8(bytes).unwrap().lines() {
            if let Some((_, json)) = line.split_once(' ') {
                if let Ok(value) = serde_json::from_str(json) {
                    lines.push(value);
                }
            }
        }
    }
    lines
}

struct Folder {
    _root: tempfile::TempDir,
    input: PathBuf,
    output: PathBuf,
}

fn folder() -> Folder {
    let root = tempfile::tempdir().unwrap();
    let input = generate(&root.path().join("in"));
    let output = root.path().join("out");
    Folder {
        _root: root,
        input,
        output,
    }
}

#[test]
fn every_good_input_gets_its_outputs_and_the_binary_one_a_reason() {
    let folder = folder();
    let translator = Shouting::new();
    let (summary, reports) = run(&options(&folder.input, &folder.output), &translator);
    let summary = summary.unwrap();

    assert_eq!(summary.inputs, good_inputs().len() + 1);
    assert_eq!(summary.done, good_inputs().len());
    assert_eq!((summary.skipped, summary.failed), (0, 1));
    assert_eq!(summary.failures[0].input, BINARY_INPUT);
    let reason = &summary.failures[0].reason;
    assert!(
        reason.contains("binary") && reason.contains("photo.txt"),
        "{reason}"
    );
    assert_eq!(reports.len(), summary.inputs);

    let written = outputs(&folder.output);
    let names: BTreeSet<String> = written.keys().cloned().collect();
    assert_eq!(
        names,
        expected_output_names(),
        "hidden files, .png and the binary input have no outputs"
    );
    for input in good_inputs() {
        for format in FORMATS {
            let name = format!("{input}.{}", format.extension());
            assert_eq!(
                String::from_utf8(written[&name].clone()).unwrap(),
                reference_output(&folder.input, &input, format),
                "{name} differs from translating {input} alone"
            );
        }
    }
    let legacy = String::from_utf8(written["divers/ancien.txt.md"].clone()).unwrap();
    assert!(legacy.contains(LEGACY_TEXT), "{legacy}");
    assert!(legacy.contains(&shout(LEGACY_TEXT)), "{legacy}");

    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.output.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["done"], summary.done);
    assert_eq!(on_disk["failed"], 1);
    assert_eq!(on_disk["failures"][0]["input"], BINARY_INPUT);
    assert_eq!(on_disk["sentences"], summary.sentences);
    assert!(summary.sentences > 100, "{}", summary.sentences);
}

#[test]
fn sentences_of_many_files_share_calls_and_repeats_reach_the_model_once() {
    let folder = folder();
    let translator = Shouting::new();
    let (summary, _) = run(&options(&folder.input, &folder.output), &translator);
    let summary = summary.unwrap();

    let requests = translator.requests();
    let boilerplate = shout(BOILERPLATE);
    assert_eq!(
        requests.iter().filter(|r| shout(r) == boilerplate).count(),
        1,
        "the line shared by 30 articles is translated once"
    );
    let distinct: BTreeSet<&String> = requests.iter().collect();
    assert_eq!(distinct.len(), requests.len(), "no text is sent twice");
    assert_eq!(summary.model_requests, requests.len());
    assert_eq!(
        summary.cache_hits + summary.model_requests,
        summary.requests
    );
    assert!(summary.cache_hits >= 29, "{}", summary.cache_hits);
    // Titles of different files are short: they travel in the same call.
    let calls = translator.calls.borrow();
    assert!(
        calls
            .iter()
            .any(|call| ["Article 1", "Article 2", "Article 29"]
                .iter()
                .all(|title| call.iter().any(|text| text == title))),
        "{calls:?}"
    );
    assert!(calls.len() < 10, "{} calls", calls.len());
    // Within a call, texts come sorted by token count.
    for call in calls.iter() {
        let tokens: Vec<usize> = call.iter().map(|t| translator.token_count(t)).collect();
        assert!(tokens.windows(2).all(|w| w[0] <= w[1]), "{tokens:?}");
    }
}

#[test]
fn a_rerun_skips_everything_and_rewrites_nothing() {
    let folder = folder();
    let options = options(&folder.input, &folder.output);
    run(&options, &Shouting::new()).0.unwrap();
    let before = modification_times(&folder.output);
    let contents = outputs(&folder.output);

    let translator = Shouting::new();
    let (summary, reports) = run(&options, &translator);
    let summary = summary.unwrap();
    assert_eq!(summary.skipped, good_inputs().len());
    assert_eq!(
        (summary.done, summary.failed),
        (0, 1),
        "the binary input fails again"
    );
    assert!(
        translator.calls.borrow().is_empty(),
        "nothing reached the model"
    );
    assert!(reports
        .iter()
        .all(|r| r.outcome == Outcome::Skipped || r.input == BINARY_INPUT));
    assert_eq!(modification_times(&folder.output), before);
    assert_eq!(outputs(&folder.output), contents);
}

#[test]
fn a_changed_input_is_redone_alone_and_changed_options_redo_all() {
    let folder = folder();
    let options = options(&folder.input, &folder.output);
    run(&options, &Shouting::new()).0.unwrap();
    let before = modification_times(&folder.output);

    let changed = batch_corpus::article_path(7);
    std::fs::write(
        folder.input.join(&changed),
        "Article 7\n\nUn texte tout neuf.\n",
    )
    .unwrap();
    let translator = Shouting::new();
    let (summary, _) = run(&options, &translator);
    let summary = summary.unwrap();
    assert_eq!(summary.done, 1);
    assert_eq!(summary.skipped, good_inputs().len() - 1);
    assert_eq!(translator.requests(), ["Article 7", "Un texte tout neuf."]);
    let after = modification_times(&folder.output);
    for (name, modified) in &after {
        let redone = name.starts_with(&format!("{changed}."));
        assert_eq!(modified != &before[name], redone, "{name}");
    }
    let markdown = std::fs::read_to_string(folder.output.join(format!("{changed}.md"))).unwrap();
    assert!(markdown.contains("UN TEXTE TOUT NEUF."), "{markdown}");

    // A deleted output is rewritten.
    let deleted = folder.output.join("divers/vide.txt.jsonl");
    std::fs::remove_file(&deleted).unwrap();
    let (summary, _) = run(&options, &Shouting::new());
    assert_eq!(summary.unwrap().done, 1);
    assert!(deleted.exists());

    // Another set of formats changes the fingerprint: everything is redone.
    let html = BatchOptions {
        formats: vec![Format::Markdown, Format::Html],
        ..options.clone()
    };
    let (summary, _) = run(&html, &Shouting::new());
    assert_eq!(summary.unwrap().done, good_inputs().len());
    assert!(folder.output.join("divers/ancien.txt.html").exists());
}

#[test]
fn two_shards_cover_the_folder_exactly_once_and_a_full_rerun_skips_their_work() {
    let folder = folder();
    let mut done_by_shard = Vec::new();
    for k in 1..=2 {
        let options = BatchOptions {
            shard: Some(Shard::new(k, 2).unwrap()),
            ..options(&folder.input, &folder.output)
        };
        let (summary, reports) = run(&options, &Shouting::new());
        let summary = summary.unwrap();
        assert_eq!(summary.shard.as_deref(), Some(format!("{k}/2").as_str()));
        assert!(folder
            .output
            .join(format!("summary.{k}-of-2.json"))
            .exists());
        let inputs: BTreeSet<String> = reports.into_iter().map(|r| r.input).collect();
        assert!(!inputs.is_empty(), "shard {k} is not empty");
        done_by_shard.push(inputs);
    }
    assert!(done_by_shard[0].is_disjoint(&done_by_shard[1]));
    let union: BTreeSet<String> = done_by_shard[0].union(&done_by_shard[1]).cloned().collect();
    let mut all: BTreeSet<String> = good_inputs().into_iter().collect();
    all.insert(BINARY_INPUT.to_string());
    assert_eq!(union, all);
    assert_eq!(
        outputs(&folder.output)
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected_output_names()
    );
    assert!(folder.output.join(".passeur/manifest.1-of-2.log").exists());
    assert!(folder.output.join(".passeur/manifest.2-of-2.log").exists());

    let (summary, _) = run(&options(&folder.input, &folder.output), &Shouting::new());
    assert_eq!(summary.unwrap().skipped, good_inputs().len());
}

#[test]
fn a_kept_cache_makes_another_folder_with_the_same_sentences_cost_nothing() {
    let folder = folder();
    let cache = folder.output.with_file_name("cache.log");
    let with_cache = BatchOptions {
        cache: Some(cache.clone()),
        ..options(&folder.input, &folder.output)
    };
    let first = run(&with_cache, &Shouting::new()).0.unwrap();
    assert!(first.model_requests > 0 && first.model_requests < first.requests);

    let elsewhere = folder.output.with_file_name("out-again");
    let translator = Shouting::new();
    let again = BatchOptions {
        output_dir: elsewhere.clone(),
        ..with_cache
    };
    let (summary, _) = run(&again, &translator);
    let summary = summary.unwrap();
    assert_eq!(summary.done, good_inputs().len());
    assert_eq!(summary.model_requests, 0);
    assert_eq!(summary.cache_hits, summary.requests);
    assert!(translator.calls.borrow().is_empty());
    assert_eq!(outputs(&elsewhere), outputs(&folder.output));
}

#[test]
fn a_translator_failure_stops_the_batch_and_a_rerun_finishes_it() {
    let folder = folder();
    let small_waves = BatchOptions {
        wave_requests: 16,
        chunk_size: 8,
        ..options(&folder.input, &folder.output)
    };
    let failing = Shouting {
        fail_from_call: Some(6),
        ..Shouting::new()
    };
    let (result, reports) = run(&small_waves, &failing);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("ran out of memory"), "{err}");
    assert!(err.contains("summary.json"), "{err}");
    assert!(
        err.contains(&format!("of {} inputs", good_inputs().len() + 1)),
        "{err}"
    );
    let finished_before = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Done)
        .count();
    assert!(finished_before > 0 && finished_before < good_inputs().len());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.output.join("summary.json")).unwrap())
            .unwrap();
    assert!(summary["aborted"]
        .as_str()
        .unwrap()
        .contains("ran out of memory"));
    let translator_failures = summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let reason = f["reason"].as_str().unwrap();
            reason.contains("the translator failed on this input")
        })
        .count();
    assert!(
        translator_failures >= 2,
        "two documents fail before the third stops the run: {summary}"
    );

    let (summary, _) = run(&small_waves, &Shouting::new());
    let summary = summary.unwrap();
    assert_eq!(summary.skipped, finished_before);
    assert_eq!(summary.done + summary.skipped, good_inputs().len());
    assert_eq!(
        outputs(&folder.output)
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected_output_names()
    );
}

#[test]
fn an_input_the_translator_fails_on_fails_alone_and_the_batch_goes_on() {
    let folder = folder();
    let choking = Shouting {
        fail_on_text: Some("Article 7"),
        ..Shouting::new()
    };
    let (summary, _) = run(&options(&folder.input, &folder.output), &choking);
    let summary = summary.unwrap();
    let article_7 = batch_corpus::article_path(7);
    assert_eq!(summary.done, good_inputs().len() - 1);
    let failed: Vec<&str> = summary.failures.iter().map(|f| f.input.as_str()).collect();
    assert_eq!(failed, [BINARY_INPUT, article_7.as_str()]);
    let reason = &summary.failures[1].reason;
    assert!(
        reason.contains("the translator failed on this input")
            && reason.contains("cannot translate `Article 7`"),
        "{reason}"
    );
    assert!(!folder.output.join(format!("{article_7}.md")).exists());
    for input in good_inputs().iter().filter(|i| **i != article_7) {
        assert_eq!(
            std::fs::read_to_string(folder.output.join(format!("{input}.md"))).unwrap(),
            reference_output(&folder.input, input, Format::Markdown)
        );
    }
}

#[test]
fn bad_directories_and_options_are_refused_with_the_path() {
    let folder = folder();
    let same = options(&folder.input, &folder.input);
    let err = run(&same, &Shouting::new()).0.unwrap_err().to_string();
    assert!(
        err.contains("the output directory is the input directory"),
        "{err}"
    );

    let missing = options(&folder.input.join("nowhere"), &folder.output);
    let err = run(&missing, &Shouting::new()).0.unwrap_err().to_string();
    assert!(
        err.contains("nowhere") && err.contains("no such directory"),
        "{err}"
    );

    let bad_pattern = BatchOptions {
        include: vec!["[".to_string()],
        ..options(&folder.input, &folder.output)
    };
    let err = run(&bad_pattern, &Shouting::new())
        .0
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid pattern `[`"), "{err}");
}

#[test]
fn include_and_exclude_select_the_inputs() {
    let folder = folder();
    let selected = BatchOptions {
        include: vec!["2024/**/*.txt".to_string()],
        exclude: vec!["mars".to_string()],
        ..options(&folder.input, &folder.output)
    };
    let (summary, reports) = run(&selected, &Shouting::new());
    summary.unwrap();
    let inputs: Vec<String> = reports.into_iter().map(|r| r.input).collect();
    let expected: Vec<String> = (0..batch_corpus::ARTICLES)
        .map(batch_corpus::article_path)
        .filter(|p| p.starts_with("2024/") && p.ends_with(".txt") && !p.contains("/mars/"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(inputs, expected);
}

/// Environment variable that makes [`sigkill_child`] run (it names IN_DIR and OUT_DIR).
const CHILD_DIRS: &str = "PASSEUR_BATCH_SIGKILL_CHILD";

/// The child process of [`a_run_killed_with_sigkill_leaves_no_partial_output`]: a slow batch run
/// that the parent kills. Not a test of its own.
#[test]
#[ignore = "the child process of the SIGKILL test, which runs it"]
fn sigkill_child() {
    let Ok(dirs) = std::env::var(CHILD_DIRS) else {
        // Run by `--ignored` without its parent: there is nothing to do.
        return;
    };
    let (input, output) = dirs.split_once('\n').unwrap();
    let slow = Shouting {
        delay: Duration::from_millis(15),
        ..Shouting::new()
    };
    let options = BatchOptions {
        wave_requests: 8,
        chunk_size: 4,
        ..options(Path::new(input), Path::new(output))
    };
    run(&options, &slow).0.unwrap();
}

#[cfg(unix)]
#[test]
fn a_run_killed_with_sigkill_leaves_no_partial_output() {
    use std::os::unix::process::ExitStatusExt;

    let folder = folder();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "batch::sigkill_child",
            "--ignored",
            "--nocapture",
        ])
        .env(
            CHILD_DIRS,
            format!("{}\n{}", folder.input.display(), folder.output.display()),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill once a few inputs are recorded done; poll rather than sleep a fixed time.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let done_records = |output: &Path| {
        manifest_lines(output)
            .iter()
            .filter(|r| r["status"] == "done")
            .count()
    };
    while done_records(&folder.output) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the child made no progress"
        );
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not finished");

    // Manifest consistent: every input recorded done has its outputs, complete.
    let records = manifest_lines(&folder.output);
    let recorded_done: BTreeSet<String> = records
        .iter()
        .filter(|r| r["status"] == "done")
        .map(|r| r["input"].as_str().unwrap().to_string())
        .collect();
    assert!(recorded_done.len() < good_inputs().len(), "killed mid-way");
    for record in records.iter().filter(|r| r["status"] == "done") {
        assert_eq!(record["model"], "shouting");
        assert_eq!(record["revision"], "v1");
        let input_bytes =
            std::fs::read(folder.input.join(record["input"].as_str().unwrap())).unwrap();
        assert_eq!(
            record["content_sha256"].as_str().unwrap(),
            sha256_hex(&input_bytes)
        );
        for output in record["outputs"].as_array().unwrap() {
            let bytes =
                std::fs::read(folder.output.join(output["path"].as_str().unwrap())).unwrap();
            assert_eq!(bytes.len() as u64, output["bytes"].as_u64().unwrap());
            assert_eq!(sha256_hex(&bytes), output["sha256"].as_str().unwrap());
        }
    }
    // Every visible file is complete: the rerun, which writes the same bytes, must leave it as is.
    let visible_after_kill = outputs(&folder.output);

    let (summary, _) = run(&options(&folder.input, &folder.output), &Shouting::new());
    let summary = summary.unwrap();
    assert_eq!(summary.skipped, recorded_done.len());
    assert_eq!(summary.done + summary.skipped, good_inputs().len());
    let files = all_files(&folder.output);
    assert!(
        files.keys().all(|name| !name.ends_with(".passeur-tmp")),
        "temporary files are cleaned: {:?}",
        files.keys().collect::<Vec<_>>()
    );
    let final_outputs = outputs(&folder.output);
    for (name, bytes) in &visible_after_kill {
        assert_eq!(&final_outputs[name], bytes, "{name} was partial");
    }
    for input in good_inputs() {
        for format in FORMATS {
            let name = format!("{input}.{}", format.extension());
            assert_eq!(
                String::from_utf8(final_outputs[&name].clone()).unwrap(),
                reference_output(&folder.input, &input, format),
                "{name}"
            );
        }
    }
}

/// A SHA-256 digest in lower-case hexadecimal, as `sha256sum` prints it (computed here, not by
/// the code under test).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}
