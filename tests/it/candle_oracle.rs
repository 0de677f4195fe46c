//! A second, independent reference for the model: candle-transformers' own Marian.
//!
//! reference.jsonl pins passeur to transformers on 43 lines. candle-transformers 0.11's
//! `marian::MTModel` is correct for one unpadded sentence at a time (its limits, the reason
//! passeur has its own model module, are padding and cache handling; see src/model/marian.rs), so
//! run one sentence at a time it is an oracle for any input, not just the recorded ones. Here it
//! checks passeur on a hundred-odd French sentences that transformers never saw, decoded the way
//! passeur really decodes them: in padded batches of mixed lengths, step by step.

use crate::fixture_model;

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::marian;
use passeur::generate::{generate, GenerationOptions};
use passeur::tokenizer::MarianTokenizer;
use std::path::Path;

const MAX_NEW_TOKENS: usize = 24;
const BATCH: usize = 16;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// French sentences of the repository that are not in the fixture's inputs: the comparison
/// script's news sentences and the lines of the test article.
fn sources(tokenizer: &MarianTokenizer) -> Vec<Vec<u32>> {
    let mut texts = Vec::new();
    for file in [
        "scripts/compare-data/sentences.fr.txt",
        "tests/data/article.txt",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        texts.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    assert!(texts.len() >= 80, "only {} sentences", texts.len());
    // Over-long lines are outside both models' 512 positions; none here comes close.
    texts.iter().map(|t| tokenizer.encode(t)).collect()
}

struct Oracle {
    model: marian::MTModel,
    pad: u32,
    start: u32,
    eos: u32,
    forced_eos: u32,
}

impl Oracle {
    fn load() -> Self {
        let dir = fixture_model::dir();
        let config: marian::Config =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        // SAFETY: the fixture file is not modified while the test runs.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                &[dir.join("model.safetensors")],
                DType::F32,
                &Device::Cpu,
            )
            .unwrap()
        };
        Oracle {
            model: marian::MTModel::new(&config, vb).unwrap(),
            pad: config.pad_token_id,
            start: config.decoder_start_token_id,
            eos: config.eos_token_id,
            forced_eos: config.forced_eos_token_id,
        }
    }

    /// Greedy decoding of one sentence as transformers does it with the fixture's generation
    /// settings (the pad token banned by `bad_words_ids`, end-of-sentence forced at the length
    /// limit): the chosen ids and the raw logits of every step.
    fn greedy(&mut self, source: &[u32]) -> (Vec<u32>, Vec<Vec<f32>>) {
        // Its encoder keeps a key/value cache across calls: without a reset the previous
        // sentence leaks into this one.
        self.model.reset_kv_cache();
        let input = Tensor::new(source, &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let encoded = self.model.encoder().forward(&input, 0).unwrap();
        let (mut ids, mut steps) = (Vec::new(), Vec::new());
        let mut token = self.start;
        for position in 0..MAX_NEW_TOKENS {
            let input = Tensor::new(&[[token]], &Device::Cpu).unwrap();
            let logits = self
                .model
                .decode(&input, &encoded, position)
                .unwrap()
                .i((0, 0))
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            // transformers' forced_eos_token_id: the last allowed token is end-of-sentence.
            token = if position + 1 == MAX_NEW_TOKENS {
                self.forced_eos
            } else {
                argmax_except(&logits, self.pad)
            };
            steps.push(logits);
            ids.push(token);
            if token == self.eos {
                break;
            }
        }
        (ids, steps)
    }
}

fn argmax_except(row: &[f32], banned: u32) -> u32 {
    let mut best = None;
    for (id, &value) in row.iter().enumerate() {
        if id as u32 != banned && best.is_none_or(|(_, v)| value > v) {
            best = Some((id as u32, value));
        }
    }
    best.unwrap().0
}

fn tokenizer() -> MarianTokenizer {
    let dir = fixture_model::dir();
    MarianTokenizer::from_files(
        dir.join("source.spm"),
        dir.join("target.spm"),
        dir.join("vocab.json"),
    )
    .unwrap()
}

/// Largest |a − b| relative to the row's largest |b|.
fn relative_difference(ours: &[f32], oracle: &[f32]) -> f32 {
    let scale = oracle.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    let worst = ours
        .iter()
        .zip(oracle)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    worst / scale
}

#[test]
fn padded_batches_give_the_logits_of_one_sentence_at_a_time() {
    let sources = sources(&tokenizer());
    let (model, _) = fixture_model::load();
    let mut oracle = Oracle::load();
    let vocab = model.config().decoder_vocab_size;
    let mut compared_rows = 0;
    for batch in sources.chunks(BATCH) {
        let lengths: Vec<usize> = batch.iter().map(Vec::len).collect();
        assert!(
            lengths.iter().min() < lengths.iter().max(),
            "a batch of equal lengths would not exercise padding"
        );
        let expected: Vec<_> = batch.iter().map(|s| oracle.greedy(s)).collect();
        // Teacher forcing: every row is fed the oracle's own choices, so the logits can be
        // compared at every step even where a near-tie could make two correct engines differ.
        let encoded = model.encode(batch).unwrap();
        let mut state = model.start_decoding(&encoded, 1, MAX_NEW_TOKENS).unwrap();
        let longest = expected.iter().map(|(ids, _)| ids.len()).max().unwrap();
        let mut tokens = vec![oracle.start; batch.len()];
        let mut logits = Vec::new();
        for step in 0..longest {
            model
                .decode_step_into(&mut state, &tokens, &mut logits)
                .unwrap();
            for (row, (ids, steps)) in expected.iter().enumerate() {
                if step >= ids.len() {
                    continue; // finished: its row keeps decoding padding, not compared
                }
                let ours = &logits[row * vocab..(row + 1) * vocab];
                let difference = relative_difference(ours, &steps[step]);
                assert!(
                    difference < 1e-4,
                    "row {row} step {step}: logits differ by {difference:e} of their scale"
                );
                compared_rows += 1;
            }
            for (row, (ids, _)) in expected.iter().enumerate() {
                tokens[row] = ids.get(step).copied().unwrap_or(oracle.eos);
            }
        }
    }
    assert!(
        compared_rows > sources.len(),
        "compared {compared_rows} steps"
    );
}

#[test]
fn batched_greedy_search_chooses_the_tokens_of_one_sentence_at_a_time() {
    let sources = sources(&tokenizer());
    let (model, defaults) = fixture_model::load();
    let config = defaults.with_options(&GenerationOptions {
        num_beams: Some(1),
        max_new_tokens: Some(MAX_NEW_TOKENS),
        ..Default::default()
    });
    let mut oracle = Oracle::load();
    let mut differing = Vec::new();
    for (chunk, batch) in sources.chunks(BATCH).enumerate() {
        let hypotheses = generate(&model, batch, &config).unwrap();
        for (row, (source, hypothesis)) in batch.iter().zip(&hypotheses).enumerate() {
            let (ids, _) = oracle.greedy(source);
            if hypothesis.ids != ids {
                differing.push((chunk * BATCH + row, hypothesis.ids.clone(), ids));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} sentences differ from candle-transformers, first: {:?}",
        differing.len(),
        sources.len(),
        differing.first()
    );
}
