//! Token-exact parity with Hugging Face transformers on the random-weight fixture.
//!
//! tests/fixtures/marian-tiny holds a random Marian model in the opus-mt-fr-en layout and
//! reference.jsonl, what transformers 5.24 / torch 2.15 produced from it (see the fixture's
//! README). Every assertion here compares passeur's output with those recorded outputs, starting
//! from the recorded `source_ids` (no tokenizer involved).

use crate::fixture_model;

use candle_core::Device;
use passeur::generate::{
    first_step_logits, generate, GenerationConfig, GenerationOptions, Hypothesis,
};
use passeur::model::{sinusoidal_positions, MarianModel};
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Reference {
    line: usize,
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    beam4_ids: Vec<u32>,
    beam4_score: f32,
    greedy_ids_max16: Vec<u32>,
    beam4_ids_max16: Vec<u32>,
    step0_top5_ids: Vec<u32>,
    step0_top5_logits: Vec<f32>,
    step0_logsumexp: f32,
}

fn references() -> &'static [Reference] {
    static REFS: OnceLock<Vec<Reference>> = OnceLock::new();
    REFS.get_or_init(|| {
        let text = std::fs::read_to_string(fixture_model::dir().join("reference.jsonl")).unwrap();
        let refs: Vec<Reference> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(refs.len(), 43, "the fixture has 43 reference lines");
        refs
    })
}

struct Engine {
    model: MarianModel,
    defaults: GenerationConfig,
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let (model, defaults) = fixture_model::load();
        Engine { model, defaults }
    })
}

fn settings(beams: usize, max_new_tokens: usize) -> GenerationConfig {
    engine().defaults.with_options(&GenerationOptions {
        num_beams: Some(beams),
        max_new_tokens: Some(max_new_tokens),
        ..Default::default()
    })
}

/// Each reference line decoded alone.
fn one_at_a_time(config: &GenerationConfig) -> Vec<Hypothesis> {
    references()
        .iter()
        .map(|r| {
            let mut out =
                generate(&engine().model, std::slice::from_ref(&r.source_ids), config).unwrap();
            assert_eq!(out.len(), 1);
            out.remove(0)
        })
        .collect()
}

fn assert_ids(got: &[Hypothesis], expected: impl Fn(&Reference) -> &Vec<u32>, what: &str) {
    let mut mismatches = Vec::new();
    for (r, h) in references().iter().zip(got) {
        if &h.ids != expected(r) {
            mismatches.push(format!(
                "line {}: got {:?}\n   expected {:?}",
                r.line,
                h.ids,
                expected(r)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{what}: {} of 43 lines differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn greedy_matches_transformers_on_every_line() {
    let got = one_at_a_time(&settings(1, 64));
    assert_ids(&got, |r| &r.greedy_ids, "greedy, max_new_tokens 64");
}

#[test]
fn greedy_with_16_new_tokens_matches_transformers() {
    let got = one_at_a_time(&settings(1, 16));
    assert_ids(&got, |r| &r.greedy_ids_max16, "greedy, max_new_tokens 16");
}

#[test]
fn beam4_matches_transformers_ids_and_scores() {
    let got = one_at_a_time(&settings(4, 64));
    assert_ids(&got, |r| &r.beam4_ids, "beam 4, max_new_tokens 64");
    for (r, h) in references().iter().zip(&got) {
        assert!(
            (h.score - r.beam4_score).abs() < 1e-4,
            "line {}: beam score {} vs transformers' {}",
            r.line,
            h.score,
            r.beam4_score
        );
    }
}

#[test]
fn beam4_with_16_new_tokens_matches_transformers() {
    let got = one_at_a_time(&settings(4, 16));
    assert_ids(&got, |r| &r.beam4_ids_max16, "beam 4, max_new_tokens 16");
    // The forced </s> at the limit: every output of length 16 ends with it.
    assert!(got
        .iter()
        .all(|h| h.ids.len() <= 16 && h.ids.last() == Some(&0)));
}

#[test]
fn first_step_logits_match_transformers() {
    let sources: Vec<Vec<u32>> = references().iter().map(|r| r.source_ids.clone()).collect();
    let rows = first_step_logits(&engine().model, &sources, &settings(1, 64)).unwrap();
    for (r, row) in references().iter().zip(&rows) {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        let top5: Vec<u32> = order[..5].iter().map(|&i| i as u32).collect();
        assert_eq!(top5, r.step0_top5_ids, "line {}: step-0 top-5 ids", r.line);
        for (&i, &expected) in order[..5].iter().zip(&r.step0_top5_logits) {
            assert!(
                (row[i] - expected).abs() < 1e-3,
                "line {}: logit of {i}: {} vs {expected}",
                r.line,
                row[i]
            );
        }
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = max + row.iter().map(|&x| (x - max).exp()).sum::<f32>().ln();
        assert!(
            (lse - r.step0_logsumexp).abs() < 1e-3,
            "line {}: logsumexp {lse} vs {}",
            r.line,
            r.step0_logsumexp
        );
    }
}

#[test]
fn padded_batches_of_8_equal_one_at_a_time() {
    let sources: Vec<Vec<u32>> = references().iter().map(|r| r.source_ids.clone()).collect();
    for beams in [1, 4] {
        let config = settings(beams, 64);
        let alone = one_at_a_time(&config);
        for (chunk, expected) in sources.chunks(8).zip(alone.chunks(8)) {
            let lengths: Vec<usize> = chunk.iter().map(Vec::len).collect();
            assert!(
                lengths.iter().min() != lengths.iter().max(),
                "a batch mixes lengths"
            );
            let batched = generate(&engine().model, chunk, &config).unwrap();
            for (b, a) in batched.iter().zip(expected) {
                assert_eq!(
                    b.ids, a.ids,
                    "beams {beams}: batched ids differ (lengths {lengths:?})"
                );
                assert!(
                    (b.score - a.score).abs() < 1e-4,
                    "beams {beams}: scores {} vs {}",
                    b.score,
                    a.score
                );
            }
        }
        // And the batched results are transformers' too.
        let all = generate(&engine().model, &sources, &config).unwrap();
        if beams == 1 {
            assert_ids(&all, |r| &r.greedy_ids, "greedy, one batch of 43");
        } else {
            assert_ids(&all, |r| &r.beam4_ids, "beam 4, one batch of 43");
        }
    }
}

#[test]
fn a_previous_sentence_leaves_no_trace() {
    let refs = references();
    let (a, b) = (&refs[41].source_ids, &refs[3].source_ids);
    for beams in [1, 4] {
        let config = settings(beams, 64);
        let first = generate(&engine().model, std::slice::from_ref(b), &config).unwrap();
        generate(&engine().model, std::slice::from_ref(a), &config).unwrap();
        let again = generate(&engine().model, std::slice::from_ref(b), &config).unwrap();
        assert_eq!(
            first, again,
            "beams {beams}: B after A differs from B alone"
        );
    }
}

#[test]
fn generation_defaults_decode_with_beam_4() {
    // generation_config.json says num_beams 4: without overrides, the beam-4 reference comes out.
    let config = engine().defaults.with_options(&GenerationOptions {
        max_new_tokens: Some(64),
        ..Default::default()
    });
    assert_eq!(config.num_beams, 4);
    let r = &references()[0];
    let got = generate(
        &engine().model,
        std::slice::from_ref(&r.source_ids),
        &config,
    )
    .unwrap();
    assert_eq!(got[0].ids, r.beam4_ids);
}

#[test]
fn position_table_equals_the_one_stored_in_the_fixture() {
    // The fixture file still carries transformers' sinusoidal tables (which transformers itself
    // recomputes); passeur computes its own, and they must agree.
    let tensors = candle_core::safetensors::load(
        fixture_model::dir().join("model.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    let stored = tensors["model.decoder.embed_positions.weight"]
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let ours = sinusoidal_positions(512, 64);
    let worst = stored
        .iter()
        .zip(&ours)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-6, "largest difference {worst}");
}
