//! The fidelity guard inside the document pipeline: passthrough, recovery and flags reach every
//! output format, and `--strict` turns remaining flags into a failure.

use crate::support;

use assert_cmd::Command;
use passeur::fidelity::{FixedDecoding, Guard, Guarded};
use passeur::pipeline::{Pipeline, PipelineOptions, Plan};
use passeur::verdict::{Recovery, Verdict};
use passeur::write;
use passeur::{document::Document, Syntax};
use scraper::Html;
use serde_json::Value;
use support::{parse_tmx, select, Scripted};

/// Drops numbers, loops on ALL-CAPS text, translates the rest.
fn flawed(sentence: &str) -> String {
    let english = if !sentence.chars().any(char::is_lowercase) {
        "THE THE THE THE THE THE THE THE THE THE"
    } else if sentence.contains("vendu") {
        "He sold cars."
    } else if sentence.to_lowercase().contains("envole") {
        "The market is soaring"
    } else {
        "The market is calm."
    };
    english.to_string()
}

const ARTICLE: &str = "Il a vendu 5.000 voitures en 2013.\n\nLe marché est calme.\n\n\
                       17-11-2013\n\nLE MARCHÉ S'ENVOLE\n";

#[test]
fn passthrough_recovery_and_flags_reach_every_format() {
    let engine = FixedDecoding(Scripted::with(flawed));
    let guard = Guard::default();
    let guarded = Guarded {
        guard: &guard,
        engine: &engine,
    };
    let bilingual = Pipeline::new(&guarded, PipelineOptions::default())
        .translate(ARTICLE)
        .unwrap();
    let statuses: Vec<&str> = bilingual.targets.iter().map(|t| t.verdict.name()).collect();
    assert_eq!(
        statuses,
        ["flagged", "translated", "passthrough", "recovered"]
    );
    assert!(
        !engine.0.requests().iter().any(|s| s.contains("17-11")),
        "the date never reached the model"
    );
    let verdicts = &bilingual.stats.verdicts;
    assert_eq!(
        (verdicts.flagged, verdicts.recovered, verdicts.passthrough),
        (1, 1, 1)
    );
    assert_eq!(
        bilingual.targets[3].verdict.recovery(),
        Some(Recovery::LowerCased)
    );
    assert!(bilingual.provenance.decoding.contains("fidelity_guard=on"));

    let jsonl: Vec<Value> = write::jsonl(&bilingual)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status: Vec<&str> = jsonl
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["flagged", "translated", "passthrough", "recovered"]
    );
    let codes: Vec<&str> = jsonl[0]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"number_missing"), "{codes:?}");
    assert_eq!(jsonl[3]["recovery"], "lower_cased");
    assert_eq!(jsonl[2]["target"], "17-11-2013");

    let tmx = parse_tmx(&write::tmx(&bilingual));
    assert!(tmx.units[0]
        .notes
        .iter()
        .any(|n| n.starts_with("number_missing")));
    assert!(tmx.units[1].notes.is_empty());
    let xml = write::tmx(&bilingual);
    assert!(xml.contains("<prop type=\"x-status\">passthrough</prop>"));
    assert!(xml.contains("<prop type=\"x-recovery\">lower_cased</prop>"));

    let html = Html::parse_document(&write::html(&bilingual));
    let flagged = select(&html, "#en-0")[0];
    assert!(flagged.value().classes().any(|c| c == "flag"));
    assert!(
        flagged.attr("title").unwrap().contains("5000")
            || flagged.attr("title").unwrap().contains("5.000")
    );
    assert!(select(&html, "#en-2")[0]
        .value()
        .classes()
        .any(|c| c == "pt"));
    assert!(!select(&html, "#en-1")[0]
        .value()
        .classes()
        .any(|c| c == "flag"));

    let markdown = write::markdown(&bilingual);
    assert_eq!(markdown.matches('⚠').count(), 1, "{markdown}");
}

#[test]
fn segments_with_nothing_to_translate_never_reach_the_model_guarded_or_not() {
    let document = "—\n\n5.000\n\n17-11-2013\n\nwww.service-public.fr\n\n@AFP\n\nBonjour.\n\n***\n";
    let guard = Guard::default();
    for guarded in [true, false] {
        let engine = FixedDecoding(Scripted::new());
        let guarded_engine = Guarded {
            guard: &guard,
            engine: &engine,
        };
        let translator: &dyn passeur::translate::SentenceTranslator =
            if guarded { &guarded_engine } else { &engine };
        let bilingual = Pipeline::new(translator, PipelineOptions::default())
            .translate(document)
            .unwrap();
        assert_eq!(engine.0.requests(), ["Bonjour."], "guarded: {guarded}");
        for pair in bilingual.pairs() {
            if pair.source_text != "Bonjour." {
                assert_eq!(pair.target.verdict, Verdict::Passthrough);
                assert_eq!(pair.target.text.text, pair.source_text);
                assert_eq!(pair.target.score, None);
            }
        }
        assert_eq!(bilingual.stats.verdicts.passthrough, 6);
    }
    let nothing = Document::parse("—\n\n1.\n\n2013", Syntax::Text);
    assert!(!Plan::needs_model(&nothing));
    let plan = Plan::new(nothing, &|_| 1, 512);
    assert!(
        plan.requests().is_empty(),
        "only passthrough: no request at all"
    );
}

#[test]
fn strict_fails_after_writing_when_sentences_stay_flagged() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    // The fixture's random weights cannot keep "5.000" and "2013": the guard flags the sentence.
    let assert = Command::cargo_bin("passeur")
        .unwrap()
        .args(["translate", "-", "--strict", "--max-new-tokens", "24", "-o"])
        .arg(&output)
        .arg("-m")
        .arg(&fixture)
        .write_stdin("Il a vendu 5.000 voitures en 2013.\n")
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("--strict") && stderr.contains("number_missing"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&output).unwrap();
    let line: Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["status"], "flagged",
        "the output is written, with the flag"
    );

    Command::cargo_bin("passeur")
        .unwrap()
        .args(["translate", "-", "--max-new-tokens", "24", "-q", "-m"])
        .arg(&fixture)
        .write_stdin("Il a vendu 5.000 voitures en 2013.\n")
        .assert()
        .success();
}
