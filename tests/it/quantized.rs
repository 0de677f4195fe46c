//! The opt-in int8 path (`--quantize int8`) against transformers' f32 reference.
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
