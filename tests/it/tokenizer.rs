//! MarianTokenizer against ground truth from Python: Hugging Face transformers' MarianTokenizer and
//! Google's sentencepiece, never our own output.
//!
//! - `tests/fixtures/marian-tiny/reference.jsonl`: the fixture's reference run (transformers 5.24.0).
//! - `tests/fixtures/tokenizer_cases.jsonl`: edge cases made by `scripts/make-tokenizer-cases.py`
//!   with the same versions (whitespace, NBSP, unknown characters, special-token strings, …).
//! - `tests/fixtures/spm-variants/`: small SentencePiece models trained with unusual normaliser
//!   settings, with the pieces the real library gives (same script).

use std::path::{Path, PathBuf};

use passeur::tokenizer::MarianTokenizer;
use passeur::Error;
use serde_json::Value;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn tiny_tokenizer() -> MarianTokenizer {
    let dir = fixture("marian-tiny");
    MarianTokenizer::from_files(
        dir.join("source.spm"),
        dir.join("target.spm"),
        dir.join("vocab.json"),
    )
    .expect("the fixture tokenizer loads")
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("valid JSON line"))
        .collect()
}

fn ids(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .expect("an array of ids")
        .iter()
        .map(|id| id.as_u64().expect("an integer id") as u32)
        .collect()
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string")
}

#[test]
fn reference_source_ids_match_transformers_for_every_line() {
    let tokenizer = tiny_tokenizer();
    let reference = read_jsonl(&fixture("marian-tiny/reference.jsonl"));
    assert_eq!(reference.len(), 43);
    for record in &reference {
        let source = text(&record["source"]);
        assert_eq!(
            tokenizer.encode(source),
            ids(&record["source_ids"]),
            "line {}: {source:?}",
            record["line"]
        );
    }
}

#[test]
fn reference_outputs_decode_to_transformers_texts_for_every_line() {
    let tokenizer = tiny_tokenizer();
    for record in read_jsonl(&fixture("marian-tiny/reference.jsonl")) {
        for (ids_field, text_field) in [("greedy_ids", "greedy_text"), ("beam4_ids", "beam4_text")]
        {
            assert_eq!(
                tokenizer.decode(&ids(&record[ids_field])),
                text(&record[text_field]),
                "line {} {ids_field}",
                record["line"]
            );
        }
    }
}

/// Checks one case of the generated files against `tokenizer`.
fn check_case(tokenizer: &MarianTokenizer, case: &Value, context: &str) {
    match text(&case["kind"]) {
        "encode" => {
            let source = text(&case["text"]);
            let expected_tokens: Vec<String> =
                serde_json::from_value(case["tokens"].clone()).unwrap();
            assert_eq!(
                tokenizer.tokenize(source),
                expected_tokens,
                "{context}: tokens of {source:?}"
            );
            assert_eq!(
                tokenizer.encode(source),
                ids(&case["ids"]),
                "{context}: ids of {source:?}"
            );
        }
        "encode_ids" => {
            let source = text(&case["text"]);
            assert_eq!(
                tokenizer.encode(source),
                ids(&case["ids"]),
                "{context}: ids of a {}-byte text",
                source.len()
            );
        }
        "decode" => {
            let input = ids(&case["ids"]);
            assert_eq!(
                tokenizer.decode(&input),
                text(&case["text"]),
                "{context}: decode of {input:?}"
            );
        }
        other => panic!("unknown case kind {other}"),
    }
}

#[test]
fn edge_cases_match_transformers_marian_tokenizer() {
    let tokenizer = tiny_tokenizer();
    let cases = read_jsonl(&fixture("tokenizer_cases.jsonl"));
    assert!(cases.len() >= 500, "only {} cases", cases.len());
    for case in &cases {
        check_case(&tokenizer, case, "marian-tiny");
    }
}

#[test]
fn sentencepiece_variants_match_the_real_library() {
    let dir = fixture("spm-variants");
    let cases = read_jsonl(&dir.join("cases.jsonl"));
    let mut tokenizers = std::collections::HashMap::new();
    for case in &cases {
        let variant = text(&case["variant"]).to_owned();
        let tokenizer = tokenizers.entry(variant.clone()).or_insert_with(|| {
            let model = dir.join(&variant).join("model.spm");
            MarianTokenizer::from_files(&model, &model, dir.join(&variant).join("vocab.json"))
                .unwrap_or_else(|err| panic!("{variant}: {err}"))
        });
        check_case(tokenizer, case, &variant);
    }
    assert_eq!(tokenizers.len(), 7, "every variant is exercised");
}

#[test]
fn offsets_cover_the_text_in_order_and_slice_back_to_each_piece() {
    let tokenizer = tiny_tokenizer();
    let source = "  M. Wang a dit : « 5 000 € ? » 你好</s>fin\u{a0}!";
    let tokens = tokenizer.encode_with_offsets(source);
    assert_eq!(
        tokens.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        tokenizer.encode(source)
    );
    let mut previous_end = 0;
    for (id, range) in &tokens {
        assert!(range.start >= previous_end, "{range:?} overlaps");
        assert!(range.end <= source.len());
        assert!(source.is_char_boundary(range.start) && source.is_char_boundary(range.end));
        previous_end = range.end;
        if *id == tokenizer.eos_id() && range.start < source.len() {
            assert_eq!(&source[range.clone()], "</s>");
        }
    }
    // The final </s> sits at the end of the text, and everything but spaces is covered.
    assert_eq!(
        tokens.last().unwrap(),
        &(tokenizer.eos_id(), source.len()..source.len())
    );
    let covered: String = tokens.iter().map(|(_, r)| &source[r.clone()]).collect();
    let without_spaces = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert_eq!(without_spaces(&covered), without_spaces(source));
}

#[test]
fn special_ids_come_from_the_vocabulary() {
    let tokenizer = tiny_tokenizer();
    assert_eq!(tokenizer.eos_id(), 0);
    assert_eq!(tokenizer.unk_id(), 1);
    assert_eq!(tokenizer.pad_id(), 938);
    assert_eq!(tokenizer.vocab_size(), 939);
    assert_eq!(tokenizer.token_to_id("<pad>"), Some(938));
    assert_eq!(tokenizer.id_to_token(2), Some("\u{2581}"));
    assert_eq!(tokenizer.encode(""), vec![0]);
}

#[test]
fn tokenizer_config_renames_special_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("marian-tiny");
    // A vocabulary where the padding token is called <blank>, declared in tokenizer_config.json.
    let vocab = std::fs::read_to_string(dir.join("vocab.json"))
        .unwrap()
        .replace("\"<pad>\"", "\"<blank>\"");
    std::fs::write(tmp.path().join("vocab.json"), vocab).unwrap();
    for file in [
        "source.spm",
        "target.spm",
        "config.json",
        "model.safetensors",
    ] {
        std::fs::copy(dir.join(file), tmp.path().join(file)).unwrap();
    }
    std::fs::write(
        tmp.path().join("tokenizer_config.json"),
        r#"{"pad_token": {"content": "<blank>", "__type": "AddedToken"}, "source_lang": "fr"}"#,
    )
    .unwrap();
    let files = passeur::hub::resolve_local(tmp.path()).unwrap();
    let tokenizer = MarianTokenizer::from_model_files(&files).unwrap();
    assert_eq!(tokenizer.pad_id(), 938);
    assert_eq!(tokenizer.encode("a<blank>b"), vec![33, 938, 191, 0]);
    // transformers decodes these ids (with <pad> as the padding token) to "a b".
    assert_eq!(tokenizer.decode(&[33, 938, 191, 0]), "a b");

    // Without the config, <pad> is not in that vocabulary: a clear error naming the file.
    let err = MarianTokenizer::from_files(
        tmp.path().join("source.spm"),
        tmp.path().join("target.spm"),
        tmp.path().join("vocab.json"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidVocab { .. }), "{err}");
    assert!(err.to_string().contains("vocab.json"), "{err}");
    assert!(err.to_string().contains("\"<pad>\""), "{err}");
}

/// A copy of the fixture's tokenizer files in a temp folder, with `file` replaced by `contents`.
fn load_with(file: &str, contents: &[u8]) -> (tempfile::TempDir, Error) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("marian-tiny");
    for name in ["source.spm", "target.spm", "vocab.json"] {
        std::fs::copy(dir.join(name), tmp.path().join(name)).unwrap();
    }
    std::fs::write(tmp.path().join(file), contents).unwrap();
    let err = MarianTokenizer::from_files(
        tmp.path().join("source.spm"),
        tmp.path().join("target.spm"),
        tmp.path().join("vocab.json"),
    )
    .expect_err("loading must fail");
    (tmp, err)
}

fn assert_names(err: &Error, file: &str, words: &str) {
    let message = err.to_string();
    assert!(message.contains(file), "{message:?} does not name {file}");
    assert!(
        message.contains(words),
        "{message:?} does not say {words:?}"
    );
}

#[test]
fn truncated_spm_is_a_clear_error() {
    let spm = std::fs::read(fixture("marian-tiny/source.spm")).unwrap();
    for cut in [spm.len() / 2, spm.len() - 3, 100] {
        let (_tmp, err) = load_with("source.spm", &spm[..cut]);
        assert!(
            matches!(err, Error::InvalidSentencePiece { .. }),
            "cut {cut}: {err}"
        );
        assert_names(&err, "source.spm", "not a usable SentencePiece model");
    }
}

#[test]
fn spm_cut_at_a_piece_boundary_is_still_detected() {
    // Protobuf decodes a prefix that ends between two fields; the missing specs give it away.
    let spm = std::fs::read(fixture("marian-tiny/target.spm")).unwrap();
    // Field 1 (pieces) entries are `0x0a <len> <bytes>`; walk them and cut after the tenth.
    let mut at = 0;
    for _ in 0..10 {
        assert_eq!(spm[at], 0x0a);
        let (len, len_bytes) = read_varint(&spm[at + 1..]);
        at += 1 + len_bytes + len;
    }
    let (_tmp, err) = load_with("target.spm", &spm[..at]);
    assert_names(&err, "target.spm", "truncated");
}

fn read_varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate() {
        value |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("unterminated varint");
}

#[test]
fn garbage_and_empty_spm_are_clear_errors() {
    let (_tmp, err) = load_with("source.spm", b"this is not a sentencepiece model at all");
    assert_names(&err, "source.spm", "not a usable SentencePiece model");
    let (_tmp, err) = load_with("target.spm", b"");
    assert_names(&err, "target.spm", "empty");
}

#[test]
fn corrupt_normalisation_rules_are_a_clear_error() {
    // The precompiled charsmap fills most of the file: damage it without breaking the protobuf.
    let mut spm = std::fs::read(fixture("marian-tiny/source.spm")).unwrap();
    spm[100_000..100_064].fill(0xFF);
    let (_tmp, err) = load_with("source.spm", &spm);
    assert_names(&err, "source.spm", "precompiled charsmap is invalid");
}

#[test]
fn a_bpe_model_is_refused() {
    let bpe = std::fs::read(fixture("spm-variants/bpe/model.spm")).unwrap();
    let (_tmp, err) = load_with("source.spm", &bpe);
    assert_names(&err, "source.spm", "the model type is BPE");
}

#[test]
fn vocab_that_is_not_an_object_of_ids_is_a_clear_error() {
    for (contents, words) in [
        (&b"[1, 2, 3]"[..], "invalid vocabulary"),
        (b"{\"a\": 1, \"b\": \"two\"}", "\"b\""),
        (b"{\"a\": -1}", "not an integer"),
        (b"{\"a\": 1.5}", "not an integer"),
        (b"{\"a\": 1", "invalid vocabulary"),
        (b"{}", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{\"</s>\": 0, \"<pad>\": 2}", "\"<unk>\""),
    ] {
        let (_tmp, err) = load_with("vocab.json", contents);
        assert!(matches!(err, Error::InvalidVocab { .. }), "{err}");
        assert_names(&err, "vocab.json", words);
    }
}

#[test]
fn missing_tokenizer_file_is_an_io_error_naming_it() {
    let dir = fixture("marian-tiny");
    let err = MarianTokenizer::from_files(
        dir.join("source.spm"),
        dir.join("no-such-target.spm"),
        dir.join("vocab.json"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("no-such-target.spm"), "{err}");
}

#[test]
fn bad_tokenizer_config_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("marian-tiny");
    for file in [
        "source.spm",
        "target.spm",
        "vocab.json",
        "config.json",
        "model.safetensors",
    ] {
        std::fs::copy(dir.join(file), tmp.path().join(file)).unwrap();
    }
    for (contents, words) in [
        ("{\"eos_token\": 5}", "invalid tokenizer configuration"),
        ("not json", "invalid tokenizer configuration"),
        ("{\"separate_vocabs\": true}", "separate_vocabs"),
    ] {
        std::fs::write(tmp.path().join("tokenizer_config.json"), contents).unwrap();
        let files = passeur::hub::resolve_local(tmp.path()).unwrap();
        let err = MarianTokenizer::from_model_files(&files).unwrap_err();
        assert_names(&err, "tokenizer_config.json", words);
    }
}
