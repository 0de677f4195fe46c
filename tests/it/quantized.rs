//! The opt-in int8 path (`--quantize int8`) and bf16 weights (`--dtype bf16`) against
//! transformers' f32 reference.
//!
//! Quantized weights change the logits a little, so exact parity is not expected. What is
//! required (issue 6): on the fixture's 43 reference lines, greedy decoding with int8 weights
//! agrees with transformers' f32 greedy ids on at least 95 % of token positions.
//!
//! Agreement metric: for each line, the positions where both sequences have the same id, over
//! the length of the longer sequence (a hypothesis that stops early or runs on disagrees on
//! every position the other has); summed over all lines.

use crate::fixture_model;

use passeur::generate::{first_step_logits, generate, GenerationConfig, GenerationOptions};
use passeur::model::{MarianModel, Quantization};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    beam4_ids: Vec<u32>,
    step0_logsumexp: f32,
}

fn references() -> Vec<Reference> {
    let text = std::fs::read_to_string(fixture_model::dir().join("reference.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn load(quantization: Quantization) -> (MarianModel, GenerationConfig) {
    let (model, defaults) = fixture_model::load_with(quantization);
    let greedy = defaults.with_options(&GenerationOptions {
        num_beams: Some(1),
        max_new_tokens: Some(64),
        ..Default::default()
    });
    (model, greedy)
}

/// (agreeing positions, compared positions) of `got` against `expected`.
fn agreement(got: &[u32], expected: &[u32]) -> (usize, usize) {
    let same = got.iter().zip(expected).filter(|(a, b)| a == b).count();
    (same, got.len().max(expected.len()))
}

#[test]
fn int8_greedy_agrees_with_f32_reference_on_95_percent_of_tokens() {
    let (model, greedy) = load(Quantization::Int8);
    assert_eq!(model.quantization(), Quantization::Int8);
    let refs = references();
    let sources: Vec<Vec<u32>> = refs.iter().map(|r| r.source_ids.clone()).collect();
    let mut same = 0;
    let mut total = 0;
    for (reference, source) in refs.iter().zip(&sources) {
        let got = generate(&model, std::slice::from_ref(source), &greedy).unwrap();
        let (s, t) = agreement(&got[0].ids, &reference.greedy_ids);
        same += s;
        total += t;
    }
    let rate = same as f64 / total as f64;
    eprintln!(
        "int8 greedy agreement with f32: {same}/{total} = {:.2} %",
        rate * 100.0
    );
    assert!(
        rate >= 0.95,
        "int8 agrees on {same} of {total} positions ({:.2} %)",
        rate * 100.0
    );
}

#[test]
fn int8_weights_change_the_logits_but_only_slightly() {
    // Proves the quantized path is the one running (logits differ from f32) and that it stays
    // close: every logit within 2 % of its row's largest magnitude, and the first step's
    // normalizer within 1 % of transformers'.
    let (f32_model, greedy) = load(Quantization::None);
    let (int8_model, _) = load(Quantization::Int8);
    let refs = references();
    let sources: Vec<Vec<u32>> = refs.iter().take(8).map(|r| r.source_ids.clone()).collect();
    let exact = first_step_logits(&f32_model, &sources, &greedy).unwrap();
    let quantized = first_step_logits(&int8_model, &sources, &greedy).unwrap();
    let mut largest_relative = 0f32;
    for ((a, b), reference) in exact.iter().zip(&quantized).zip(&refs) {
        let scale = a.iter().fold(0f32, |m, x| m.max(x.abs()));
        for (x, y) in a.iter().zip(b) {
            largest_relative = largest_relative.max((x - y).abs() / scale);
        }
        let lse = |row: &[f32]| {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            max + row.iter().map(|v| (v - max).exp()).sum::<f32>().ln()
        };
        let relative = (lse(b) - reference.step0_logsumexp).abs() / reference.step0_logsumexp.abs();
        assert!(relative < 0.01, "first-step log-sum-exp off by {relative}");
    }
    assert!(
        largest_relative > 0.0,
        "int8 logits are identical to f32: not quantized"
    );
    assert!(
        largest_relative < 0.02,
        "int8 logits differ from f32 by up to {:.2} % of the row's largest logit",
        largest_relative * 100.0
    );
}

#[test]
fn quantization_names_parse_and_unknown_ones_are_named() {
    assert_eq!("int8".parse::<Quantization>(), Ok(Quantization::Int8));
    assert_eq!("none".parse::<Quantization>(), Ok(Quantization::None));
    let err = "int4".parse::<Quantization>().unwrap_err();
    assert!(err.contains("int4") && err.contains("int8"), "{err}");
}

/// The JSON lines of a successful `passeur lines --jsonl` run.
fn jsonl_lines(out: std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn cli_quantize_int8_translates_every_line_and_refuses_unknown_names() {
    let fixture = fixture_model::dir();
    let input = "Bonjour le monde.\n\nLe chat dort sur le canapé.\n";
    let run = |quantize: &str| {
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_passeur"))
            .args([
                "lines",
                "--quiet",
                "--jsonl",
                "--beams",
                "1",
                "--quantize",
                quantize,
            ])
            .arg("--model")
            .arg(&fixture)
            .write_stdin(input)
            .output()
            .unwrap()
    };
    let lines = jsonl_lines(run("int8"));
    assert_eq!(lines.len(), 3, "one output line per input line");
    // Real sentences reach the model and end with </s>; the empty line does not.
    for i in [0, 2] {
        let ids = lines[i]["ids"].as_array().unwrap();
        assert_eq!(
            ids.last().and_then(|v| v.as_u64()),
            Some(0),
            "line {i}: {ids:?}"
        );
    }
    assert!(lines[1]["ids"].as_array().unwrap().is_empty());

    let refused = run("int4");
    assert_eq!(refused.status.code(), Some(2), "clap rejects the value");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("int4") && stderr.contains("int8"),
        "{stderr}"
    );
}

// The int8 path of every kernel (portable, AVX2 16-bit multiply-adds, AVX-512 VNNI) run end to
// end through `passeur lines`, greedy and beam 4: tests/it/kernel_paths.rs.

/// bf16 weights (`--dtype bf16`): each weight rounded to 16 bits, the arithmetic in f32.
///
/// The fixture's random model has near-ties (its `greedy_min_gap`), and one flipped token moves
/// every position after it, so position agreement mostly counts where the first flip falls.
/// Measured (every kernel path alike): greedy 798/876 positions = 91.1 %, 39 of 43 lines
/// identical (int8: 97.45 %, 37 lines: its flips come later); beam 4 897/924 = 97.1 %, 41 lines.
#[test]
fn bf16_greedy_and_beam_agree_with_f32_reference() {
    let (model, greedy) = load(Quantization::Bf16);
    assert_eq!(model.quantization(), Quantization::Bf16);
    let beam = greedy.with_options(&GenerationOptions {
        num_beams: Some(4),
        ..Default::default()
    });
    let refs = references();
    for (config, name) in [(&greedy, "greedy"), (&beam, "beam 4")] {
        let (mut same, mut total, mut identical) = (0, 0, 0);
        for reference in &refs {
            let got =
                generate(&model, std::slice::from_ref(&reference.source_ids), config).unwrap();
            let expected = if config.num_beams == 1 {
                &reference.greedy_ids
            } else {
                &reference.beam4_ids
            };
            let (s, t) = agreement(&got[0].ids, expected);
            same += s;
            total += t;
            identical += usize::from(&got[0].ids == expected);
        }
        let rate = same as f64 / total as f64;
        eprintln!(
            "bf16 {name} agreement with f32: {same}/{total} = {:.2} %, {identical} of {} lines identical",
            rate * 100.0,
            refs.len()
        );
        assert!(
            rate >= 0.90 && identical * 100 >= 85 * refs.len(),
            "bf16 {name}: {same} of {total} positions, {identical} lines identical"
        );
    }
}

#[test]
fn bf16_weights_change_the_logits_less_than_int8() {
    let (f32_model, greedy) = load(Quantization::None);
    let (bf16_model, _) = load(Quantization::Bf16);
    let (int8_model, _) = load(Quantization::Int8);
    let sources: Vec<Vec<u32>> = references()
        .iter()
        .take(8)
        .map(|r| r.source_ids.clone())
        .collect();
    let exact = first_step_logits(&f32_model, &sources, &greedy).unwrap();
    let largest_relative = |model: &MarianModel| {
        let logits = first_step_logits(model, &sources, &greedy).unwrap();
        let mut largest = 0f32;
        for (a, b) in exact.iter().zip(&logits) {
            let scale = a.iter().fold(0f32, |m, x| m.max(x.abs()));
            for (x, y) in a.iter().zip(b) {
                largest = largest.max((x - y).abs() / scale);
            }
        }
        largest
    };
    let (bf16, int8) = (largest_relative(&bf16_model), largest_relative(&int8_model));
    eprintln!(
        "largest logit change, relative to the row's largest: bf16 {bf16:.2e}, int8 {int8:.2e}"
    );
    assert!(bf16 > 0.0, "bf16 logits are identical to f32: not rounded");
    assert!(
        bf16 < int8,
        "bf16 moves the logits as much as int8 ({bf16} vs {int8})"
    );
    assert!(bf16 < 0.01, "bf16 logits differ from f32 by up to {bf16}");
}

#[test]
fn cli_dtype_bf16_translates_and_cannot_be_combined_with_quantize() {
    let fixture = fixture_model::dir();
    let run = |extra: &[&str]| {
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_passeur"))
            .args(["lines", "--quiet", "--jsonl", "--beams", "1"])
            .args(extra)
            .arg("--model")
            .arg(&fixture)
            .write_stdin("Bonjour le monde.\nLe chat dort sur le canapé.\n")
            .output()
            .unwrap()
    };
    let lines = jsonl_lines(run(&["--dtype", "bf16"]));
    assert_eq!(lines.len(), 2, "one output line per input line");
    for line in &lines {
        let ids = line["ids"].as_array().unwrap();
        assert_eq!(ids.last().and_then(|v| v.as_u64()), Some(0), "{ids:?}");
    }
    // The rounded weights really ran: the scores are not the f32 model's (the same ids here).
    let exact = jsonl_lines(run(&["--dtype", "f32"]));
    let moved = lines
        .iter()
        .zip(&exact)
        .filter(|(b, f)| b["score"] != f["score"])
        .count();
    assert!(moved > 0, "bf16 scores equal f32's: {lines:?}");
    let both = run(&["--dtype", "bf16", "--quantize", "int8"]);
    assert_eq!(both.status.code(), Some(2), "clap rejects the pair");
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert!(
        stderr.contains("--dtype") && stderr.contains("--quantize"),
        "{stderr}"
    );
    let unknown = run(&["--dtype", "f16"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("bf16"));
    // One way to ask for bf16: --quantize points to --dtype.
    let quantize_bf16 = run(&["--quantize", "bf16"]);
    assert_eq!(quantize_bf16.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&quantize_bf16.stderr).contains("--dtype bf16"));
}

#[test]
fn the_weight_form_is_part_of_a_translators_provenance() {
    // Batch fingerprints and front matter come from the provenance: an int8 or bf16 run must not
    // pass for an f32 one (a resumed batch would keep the other form's outputs).
    use passeur::translate::{SentenceTranslator, Translator, TranslatorOptions};
    let decoding = |quantization| {
        let files = passeur::hub::resolve_local(&fixture_model::dir()).unwrap();
        let options = TranslatorOptions {
            quantization,
            ..TranslatorOptions::default()
        };
        Translator::from_files(files, options)
            .unwrap()
            .provenance()
            .decoding
    };
    let exact = decoding(Quantization::None);
    assert!(!exact.contains("weights="), "{exact}");
    for (form, name) in [(Quantization::Int8, "int8"), (Quantization::Bf16, "bf16")] {
        assert_eq!(decoding(form), format!("{exact} weights={name}"));
    }
}
