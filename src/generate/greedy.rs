//! Greedy search: at each step every live sentence takes its highest-scoring allowed token.
//!
//! As in transformers' `_sample` without sampling: the processors act on the raw logits, the
//! argmax is taken (first index on ties), and a sentence ends at an end-of-sentence token or when
//! `max_new_tokens` are generated. Finished sentences leave the running batch at once.
//!
//! The score of a greedy hypothesis is the mean, over its generated tokens (end-of-sentence
//! included), of the log-probability of each chosen token after the processors (renormalized
//! over the allowed tokens; 0 for a forced end-of-sentence).

use super::logits::{apply_processors, argmax, log_sum_exp, no_token_left};
use super::{next_logits, GenerationConfig, Hypothesis};
use crate::model::{EncoderOutput, MarianModel};
use crate::Result;
use rayon::prelude::*;

/// One sentence being decoded.
struct Running {
    /// Position in the batch.
    index: usize,
    /// Decoder tokens so far, start token first.
    tokens: Vec<u32>,
    log_prob_sum: f32,
}

/// Runs greedy search over `encoded` (one row per sentence).
pub(crate) fn greedy_search(
    model: &MarianModel,
    encoded: &EncoderOutput,
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>> {
    let batch = encoded.batch();
    let vocab = model.config().decoder_vocab_size;
    let mut state = model.start_decoding(encoded, 1, config.max_new_tokens)?;
    let mut live: Vec<Running> = (0..batch)
        .map(|index| Running {
            index,
            tokens: vec![config.decoder_start_token_id],
            log_prob_sum: 0.0,
        })
        .collect();
    let mut results: Vec<Option<Hypothesis>> = (0..batch).map(|_| None).collect();

    let mut logits = Vec::new();
    for step in 0..config.max_new_tokens {
        let inputs: Vec<u32> = live
            .iter()
            .map(|r| *r.tokens.last().expect("start token"))
            .collect();
        next_logits(model, &mut state, &inputs, &mut logits)?;
        let choices: Vec<(u32, f32)> = logits
            .par_chunks_mut(vocab)
            .zip(live.par_iter())
            .map(|(row, running)| {
                apply_processors(row, &running.tokens, config);
                let normalizer = log_sum_exp(row);
                if !normalizer.is_finite() {
                    return Err(no_token_left(step, normalizer));
                }
                let token = argmax(row);
                Ok((token as u32, row[token] - normalizer))
            })
            .collect::<Result<_>>()?;

        let mut keep = Vec::with_capacity(live.len());
        let mut still_live = Vec::with_capacity(live.len());
        for (row, (mut running, (token, log_prob))) in live.into_iter().zip(choices).enumerate() {
            running.tokens.push(token);
            running.log_prob_sum += log_prob;
            let generated = running.tokens.len() - 1;
            if config.eos_token_ids.contains(&token) || generated >= config.max_new_tokens {
                results[running.index] = Some(Hypothesis {
                    score: running.log_prob_sum / generated as f32,
                    ids: running.tokens.split_off(1),
                });
            } else {
                keep.push(row);
                still_live.push(running);
            }
        }
        live = still_live;
        if live.is_empty() {
            break;
        }
        state.reorder(&keep, &keep)?;
    }
    Ok(results
        .into_iter()
        .map(|h| h.expect("every sentence ends by max_new_tokens"))
        .collect())
}
