//! Whole articles through the real engine (the fixture model: random weights, so the English is
//! gibberish, but tokenizer, batching, model and search are the real ones): structure, ranges,
//! every format, the CLI, and over-long sentences.

use crate::support;

use assert_cmd::Command;
use passeur::generate::GenerationOptions;
use passeur::hub::resolve_local;
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::translate::{SentenceTranslator, Translator, TranslatorOptions};
use passeur::write::Format;
use passeur::Syntax;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{check_all_formats, ARTICLE_MD, ARTICLE_TXT};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

fn engine() -> Translator {
    let options = TranslatorOptions {
        generation: GenerationOptions {
            num_beams: Some(1),
            max_new_tokens: Some(24),
            ..GenerationOptions::default()
        },
        ..TranslatorOptions::default()
    };
    Translator::from_files(resolve_local(&fixture()).unwrap(), options).unwrap()
}

#[test]
fn the_test_articles_pass_every_structural_check_with_the_real_engine() {
    let engine = engine();
    for (source, syntax) in [(ARTICLE_TXT, Syntax::Text), (ARTICLE_MD, Syntax::Markdown)] {
        let options = PipelineOptions {
            syntax,
            ..PipelineOptions::default()
        };
        let bilingual = Pipeline::new(&engine, options).translate(source).unwrap();
        assert!(
            bilingual.stats.verdicts.translated > 10,
            "{:?}",
            bilingual.stats
        );
        for target in &bilingual.targets {
            assert!(!target.text.text.is_empty(), "every sentence has English");
        }
        check_all_formats(source, &bilingual);
        assert!(bilingual.provenance.decoding.starts_with("beams=1"));
    }
}

#[test]
fn a_sentence_over_the_models_position_limit_is_split_and_fully_present() {
    let engine = engine();
    let clause = "les exportations de bois et de papier ont progressé de 3,5 % sur un an";
    let sentence = format!("{} ; {}.", vec![clause; 30].join(", "), clause);
    assert!(engine.token_count(&sentence) > engine.max_source_tokens());
    let bilingual = Pipeline::new(&engine, PipelineOptions::default())
        .translate(&sentence)
        .unwrap();
    assert_eq!(bilingual.stats.verdicts.sentences, 1);
    assert_eq!(bilingual.stats.split_sentences, 1);
    let target = &bilingual.targets[0];
    assert!(target.pieces > 1);
    let jsonl = Format::Jsonl.render(&bilingual);
    let line: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["source"],
        sentence.as_str(),
        "the whole sentence, not a piece"
    );
}

fn passeur() -> Command {
    let mut command = Command::cargo_bin("passeur").unwrap();
    command.env("HF_HUB_OFFLINE", "1");
    command
}

#[test]
fn translate_writes_every_format_atomically_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("article.txt");
    std::fs::write(&input, ARTICLE_TXT).unwrap();
    for (i, format) in Format::ALL.into_iter().enumerate() {
        // Two formats share an extension (html: side by side, and the page): one file each.
        let output = dir.path().join(format!("out{i}.{}", format.extension()));
        passeur()
            .arg("translate")
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .args(["--beams", "1", "--max-new-tokens", "16", "-q", "-m"])
            .arg(fixture())
            .assert()
            .success()
            .stderr("");
        let written = std::fs::read_to_string(&output).unwrap();
        assert!(!written.is_empty(), "{format}");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        1 + Format::ALL.len(),
        "no temporary file left: {names:?}"
    );
}

#[test]
fn translate_to_stdout_is_deterministic() {
    let run = || {
        passeur()
            .args([
                "translate",
                "-",
                "--format",
                "jsonl",
                "-q",
                "--max-new-tokens",
                "16",
                "-m",
            ])
            .arg(fixture())
            .write_stdin(ARTICLE_TXT)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}
