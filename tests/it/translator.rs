//! The Translator end to end — text in, text out — against transformers' recorded outputs for the
//! fixture model (tokenizer, batching, model and search together), and `passeur lines`.

use assert_cmd::Command;
use passeur::generate::GenerationOptions;
use passeur::hub::resolve_local;
use passeur::translate::{SentenceTranslator, Translator, TranslatorOptions};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Reference {
    source: String,
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    greedy_text: String,
    beam4_ids: Vec<u32>,
    beam4_text: String,
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

fn references() -> Vec<Reference> {
    std::fs::read_to_string(fixture().join("reference.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn translator(generation: GenerationOptions, batch: usize) -> Translator {
    let options = TranslatorOptions {
        generation,
        max_batch_sentences: batch,
        ..TranslatorOptions::default()
    };
    Translator::from_files(resolve_local(&fixture()).unwrap(), options).unwrap()
}

fn greedy(max_new_tokens: usize) -> GenerationOptions {
    GenerationOptions {
        num_beams: Some(1),
        max_new_tokens: Some(max_new_tokens),
        ..GenerationOptions::default()
    }
}

#[test]
fn default_decoding_is_beam_4_and_matches_transformers_text_for_text() {
    let refs = references();
    let engine = translator(
        GenerationOptions {
            max_new_tokens: Some(64),
            ..GenerationOptions::default()
        },
        8,
    );
    assert_eq!(
        engine.generation().num_beams,
        4,
        "generation_config.json says 4 beams"
    );
    let sources: Vec<&str> = refs.iter().map(|r| r.source.as_str()).collect();
    let out = engine.translate(&sources).unwrap();
    for (r, t) in refs.iter().zip(&out) {
        assert_eq!(t.source_ids, r.source_ids, "{}", r.source);
        assert_eq!(t.ids, r.beam4_ids, "{}", r.source);
        assert_eq!(t.text, r.beam4_text, "{}", r.source);
    }
}

#[test]
fn greedy_matches_transformers_in_any_batch_size_and_order() {
    let refs = references();
    let mut sources: Vec<&str> = refs.iter().map(|r| r.source.as_str()).collect();
    sources.reverse();
    for batch in [1, 5, 16] {
        let out = translator(greedy(64), batch).translate(&sources).unwrap();
        for (r, t) in refs.iter().rev().zip(&out) {
            assert_eq!(t.ids, r.greedy_ids, "batch {batch}: {}", r.source);
            assert_eq!(t.text, r.greedy_text, "batch {batch}: {}", r.source);
        }
    }
}

#[test]
fn empty_sentences_never_reach_the_model_and_keep_their_place() {
    let refs = references();
    let engine = translator(greedy(64), 4);
    let out = engine
        .translate(&["", &refs[0].source, "   ", &refs[1].source])
        .unwrap();
    assert_eq!(out.len(), 4);
    assert!(out[0].ids.is_empty() && out[0].text.is_empty() && out[0].score.is_none());
    assert!(out[2].ids.is_empty() && out[2].score.is_none());
    assert_eq!(out[1].ids, refs[0].greedy_ids);
    assert_eq!(out[3].ids, refs[1].greedy_ids);
}

#[test]
fn an_over_long_sentence_is_an_error_naming_it_not_a_panic() {
    let engine = translator(greedy(8), 4);
    let long = "mot ".repeat(600);
    match engine.translate(&["Bonjour.", &long]) {
        Err(passeur::Error::InvalidSource { index: 1, problem }) => {
            assert!(problem.contains("512"), "{problem}")
        }
        other => panic!("expected InvalidSource for sentence 1, got {other:?}"),
    }
    assert!(engine.token_count(&long) > engine.max_source_tokens());
}

#[test]
fn models_toml_defaults_sit_between_generation_config_and_the_callers_options() {
    let mut files = resolve_local(&fixture()).unwrap();
    files.generation_defaults.num_beams = Some(2);
    let from_catalog = Translator::from_files(files.clone(), TranslatorOptions::default()).unwrap();
    assert_eq!(
        from_catalog.generation().num_beams,
        2,
        "models.toml over generation_config.json"
    );
    let options = TranslatorOptions {
        generation: greedy(64),
        ..TranslatorOptions::default()
    };
    let from_caller = Translator::from_files(files, options).unwrap();
    assert_eq!(
        from_caller.generation().num_beams,
        1,
        "the caller's options win"
    );
}

#[test]
fn provenance_names_the_model_folder_and_the_decoding() {
    let engine = translator(greedy(64), 4);
    let provenance = engine.provenance();
    assert!(provenance.model.ends_with("marian-tiny"));
    assert_eq!(provenance.revision, None);
    assert!(provenance.decoding.starts_with("beams=1 max_new_tokens=64"));
    assert_eq!(provenance.passeur_version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_tokenizer_from_another_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    let config = config.replace("\"eos_token_id\": 0", "\"eos_token_id\": 5");
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    let err = Translator::from_files(
        resolve_local(dir.path()).unwrap(),
        TranslatorOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("eos_token_id") && err.contains("vocab.json"),
        "{err}"
    );
}

fn passeur() -> Command {
    let mut command = Command::cargo_bin("passeur").unwrap();
    command.env("HF_HUB_OFFLINE", "1");
    command
}

/// (Every kernel path, portable included, is checked against the same reference by
/// tests/it/kernel_paths.rs.)
#[test]
fn lines_jsonl_reproduces_the_reference_line_for_line() {
    let refs = references();
    let mut input: String = refs.iter().map(|r| format!("{}\n", r.source)).collect();
    input.push('\n'); // a trailing empty line stays an empty line
    let output = passeur()
        .args([
            "lines",
            "--jsonl",
            "--beams",
            "1",
            "--max-new-tokens",
            "64",
            "-m",
        ])
        .arg(fixture())
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), refs.len() + 1);
    for (r, line) in refs.iter().zip(&lines) {
        assert_eq!(line["source"], r.source.as_str());
        assert_eq!(line["source_ids"], serde_json::json!(r.source_ids));
        assert_eq!(line["ids"], serde_json::json!(r.greedy_ids));
        assert_eq!(line["text"], r.greedy_text.as_str());
    }
    let last = &lines[refs.len()];
    assert_eq!(last["source"], "");
    assert_eq!(last["ids"], serde_json::json!([]));
}

#[test]
fn lines_prints_one_translation_per_line_with_empty_lines_kept() {
    let refs = references();
    let input = format!("{}\n\n{}\n", refs[2].source, refs[3].source);
    let output = passeur()
        .args(["lines", "-m"])
        .arg(fixture())
        .args(["--max-new-tokens", "64"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![refs[2].beam4_text.as_str(), "", refs[3].beam4_text.as_str()]
    );
}

#[test]
fn lines_names_the_over_long_line() {
    let input = format!("Bonjour.\n{}\n", "mot ".repeat(600));
    let assert = passeur()
        .args(["lines", "-m"])
        .arg(fixture())
        .write_stdin(input)
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("<stdin>:2:") && stderr.contains("512"),
        "{stderr}"
    );
}

#[test]
fn lines_with_only_empty_lines_needs_no_model() {
    passeur()
        .args(["lines", "-m", "/nonexistent/model"])
        .write_stdin("\n\n")
        .assert()
        .success()
        .stdout("\n\n");
}

#[test]
fn lines_refuses_binary_input() {
    let assert = passeur()
        .args(["lines", "-m"])
        .arg(fixture())
        .write_stdin(&b"abc\0def\n"[..])
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("binary"), "{stderr}");
}

/// Without the `cuda` feature, asking for a GPU is a clear error, not a silent CPU run.
#[cfg(not(feature = "cuda"))]
#[test]
fn a_gpu_device_without_the_cuda_feature_is_refused_with_the_remedy() {
    let output = passeur()
        .args(["lines", "--device", "cuda:1", "-m"])
        .arg(fixture())
        .write_stdin("Bonjour.\n")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--features cuda"), "{stderr}");
}

#[test]
fn an_unknown_device_is_a_usage_error() {
    for device in ["gpu", "cuda:x"] {
        let output = passeur()
            .args(["lines", "--device", device, "-m"])
            .arg(fixture())
            .write_stdin("Bonjour.\n")
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(&format!("`{device}`")), "{stderr}");
    }
}
