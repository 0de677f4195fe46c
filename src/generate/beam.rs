//! Beam search with the semantics of transformers' `_beam_search` (transformers ≥ 4.50).
//!
//! Per sentence and step, as transformers does it:
//! 1. Each running beam's next-token log-probabilities go through the processors (and are
//!    re-normalised when `renormalize_logits`), and are added to the beam's running score (f32).
//! 2. The best `2·num_beams` continuations over all beams are kept (`max(2, 1 + #eos)·num_beams`).
//! 3. A continuation *stops* when its token is an end-of-sentence token or when it reaches
//!    `max_new_tokens`. Stopped continuations ranked among the first `num_beams` become finished
//!    hypotheses, scored `sum / generated_length^length_penalty`; at most `num_beams` finished
//!    hypotheses are kept, the best ones.
//! 4. The best `num_beams` continuations, stopped ones pushed down by −1e9, run on.
//! 5. Early stopping (`false`): the sentence is done when the best running score divided by
//!    the current length^length_penalty cannot beat the worst of `num_beams` finished hypotheses;
//!    `true`: done as soon as there are `num_beams` finished hypotheses; `"never"`: the best running
//!    score is divided by `max_new_tokens`^length_penalty instead (when length_penalty > 0).
//!
//! The result is the best finished hypothesis and its score (transformers' `sequences_scores`).
//!
//! Differences that do not change results: a sentence that is done leaves the running batch
//! (transformers keeps computing it and ignores the output), and new beams take their parent's
//! cache row when they can, so that reordering copies as few rows as possible (transformers keeps
//! beams in score order; the order of beams plays no part in the algorithm).

use super::logits::{apply_processors, log_sum_exp, no_token_left, top_k};
use super::options::EarlyStopping;
use super::{next_logits, GenerationConfig, Hypothesis};
use crate::model::{EncoderOutput, MarianModel};
use crate::Result;
use rayon::prelude::*;

/// The penalty transformers adds to scores that must not be chosen.
const EXCLUDED: f32 = -1.0e9;

/// A running beam.
#[derive(Clone)]
struct Beam {
    /// Decoder tokens so far, start token first.
    tokens: Vec<u32>,
    /// Sum of processed log-probabilities (with −1e9 if it had to continue a stopped candidate).
    score: f32,
}

/// A continuation of a beam by one token.
#[derive(Clone, Copy)]
struct Candidate {
    score: f32,
    slot: usize,
    token: u32,
}

/// The search state of one sentence.
struct SentenceSearch {
    /// Position in the batch.
    index: usize,
    /// `num_beams` running beams; beam `j` is row `j` of the sentence in the decoder state.
    beams: Vec<Beam>,
    /// Finished hypotheses (score, tokens), best first, at most `num_beams`.
    finished: Vec<(f32, Vec<u32>)>,
    /// transformers' `is_early_stop_heuristic_unsatisfied`.
    can_improve: bool,
}

/// What one step decided for a sentence.
enum Outcome {
    /// Running on: new beam `j` continues the old beam `parents[j]`.
    Continue { parents: Vec<usize> },
    /// The sentence is done.
    Done,
}

impl SentenceSearch {
    fn new(index: usize, beams: usize, start: u32) -> Self {
        // Only the first beam counts at the start: the others begin at −1e9, as in transformers.
        let beams = (0..beams)
            .map(|j| Beam {
                tokens: vec![start],
                score: if j == 0 { 0.0 } else { EXCLUDED },
            })
            .collect();
        Self {
            index,
            beams,
            finished: Vec::new(),
            can_improve: true,
        }
    }

    fn is_full(&self, beams: usize) -> bool {
        self.finished.len() == beams
    }

    fn add_finished(&mut self, score: f32, tokens: Vec<u32>, beams: usize) {
        if self.is_full(beams) {
            if score <= self.finished[beams - 1].0 {
                return;
            }
            self.finished.pop();
        }
        let at = self
            .finished
            .iter()
            .position(|(s, _)| score > *s)
            .unwrap_or(self.finished.len());
        self.finished.insert(at, (score, tokens));
    }

    /// One step for this sentence; `rows` holds the logits of its beams, row after row.
    fn step(
        &mut self,
        rows: &mut [f32],
        vocab: usize,
        step: usize,
        config: &GenerationConfig,
    ) -> Result<Outcome> {
        let k = config.num_beams;
        let keep = 2usize.max(1 + config.eos_token_ids.len()) * k;

        let mut candidates = Vec::with_capacity(k * keep);
        for (slot, (row, beam)) in rows.chunks_mut(vocab).zip(&self.beams).enumerate() {
            // transformers normalizes before the processors (after them when renormalizing or
            // when the step is forced); the processors only ban tokens (or force some), so with
            // a finite normalizer the row has a token left exactly when its best value is finite.
            let before = if config.renormalize_logits {
                0.0
            } else {
                log_sum_exp(row)
            };
            if !before.is_finite() {
                return Err(no_token_left(step, before));
            }
            let forced = apply_processors(row, &beam.tokens, config);
            let normalizer = if config.renormalize_logits || forced {
                log_sum_exp(row)
            } else {
                before
            };
            let best = top_k(row, keep);
            let left = best.first().map_or(f32::NEG_INFINITY, |&(_, value)| value);
            if !normalizer.is_finite() || left == f32::NEG_INFINITY {
                let problem = if normalizer.is_finite() {
                    left
                } else {
                    normalizer
                };
                return Err(no_token_left(step, problem));
            }
            for (token, value) in best {
                candidates.push(Candidate {
                    score: beam.score + (value - normalizer),
                    slot,
                    token,
                });
            }
        }
        let flat = |c: &Candidate| c.slot * vocab + c.token as usize;
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(flat(a).cmp(&flat(b))));
        candidates.truncate(keep);

        let generated = step + 1;
        let at_max_length = generated >= config.max_new_tokens;
        let stops = |c: &Candidate| at_max_length || config.eos_token_ids.contains(&c.token);

        // Finished hypotheses: stopped candidates among the first num_beams.
        let blocked = !self.can_improve
            || (config.early_stopping == EarlyStopping::WhenFull && self.is_full(k));
        if !blocked {
            let divisor = (generated as f64).powf(config.length_penalty as f64) as f32;
            for c in candidates.iter().take(k).filter(|c| stops(c)) {
                let mut tokens = self.beams[c.slot].tokens.clone();
                tokens.push(c.token);
                self.add_finished(c.score / divisor, tokens, k);
            }
        }

        // Running beams: the best num_beams, stopped candidates pushed down.
        let mut running: Vec<(f32, usize)> = candidates
            .iter()
            .enumerate()
            .map(|(rank, c)| (c.score + if stops(c) { EXCLUDED } else { 0.0 }, rank))
            .collect();
        running.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        running.truncate(k);

        // The early-stopping heuristic, with the running scores of the next step.
        let best_running = running[0].0;
        let hypothetical_length =
            if config.early_stopping == EarlyStopping::Never && config.length_penalty > 0.0 {
                config.max_new_tokens
            } else {
                generated
            };
        let best_possible =
            best_running / (hypothetical_length as f64).powf(config.length_penalty as f64) as f32;
        let worst_finished = if self.is_full(k) {
            self.finished[k - 1].0
        } else {
            EXCLUDED
        };
        self.can_improve = self.can_improve && best_possible > worst_finished;

        let done = at_max_length
            || !self.can_improve
            || (config.early_stopping == EarlyStopping::WhenFull && self.is_full(k));
        if done {
            return Ok(Outcome::Done);
        }

        // New beams keep their parent's slot (and cache row) when it is free.
        let mut slot_of = vec![usize::MAX; k];
        let mut taken = vec![false; k];
        for (i, &(_, rank)) in running.iter().enumerate() {
            let parent = candidates[rank].slot;
            if !taken[parent] {
                taken[parent] = true;
                slot_of[i] = parent;
            }
        }
        let mut free = (0..k).filter(|&s| !taken[s]);
        for slot in slot_of.iter_mut().filter(|s| **s == usize::MAX) {
            *slot = free.next().expect("as many slots as beams");
        }
        let mut parents = vec![0; k];
        let mut beams = self.beams.clone();
        for (&(score, rank), &slot) in running.iter().zip(&slot_of) {
            let c = candidates[rank];
            let mut tokens = self.beams[c.slot].tokens.clone();
            tokens.push(c.token);
            beams[slot] = Beam { tokens, score };
            parents[slot] = c.slot;
        }
        self.beams = beams;
        Ok(Outcome::Continue { parents })
    }

    /// The best finished hypothesis.
    fn best(mut self) -> Hypothesis {
        if self.finished.is_empty() {
            // Unreachable with forced end-of-sentence or max length; keep the best running beam.
            let beam = self.beams.swap_remove(0);
            let length = beam.tokens.len() - 1;
            self.finished
                .push((beam.score / length.max(1) as f32, beam.tokens));
        }
        let (score, mut tokens) = self.finished.swap_remove(0);
        Hypothesis {
            ids: tokens.split_off(1),
            score,
        }
    }
}

/// Runs beam search over `encoded` with `config.num_beams` beams per sentence.
pub(crate) fn beam_search(
    model: &MarianModel,
    encoded: &EncoderOutput,
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>> {
    let batch = encoded.batch();
    let k = config.num_beams;
    let vocab = model.config().decoder_vocab_size;
    let mut state = model.start_decoding(encoded, k, config.max_new_tokens)?;
    let mut live: Vec<SentenceSearch> = (0..batch)
        .map(|index| SentenceSearch::new(index, k, config.decoder_start_token_id))
        .collect();
    let mut results: Vec<Option<Hypothesis>> = (0..batch).map(|_| None).collect();

    let mut logits = Vec::new();
    for step in 0..config.max_new_tokens {
        let inputs: Vec<u32> = live
            .iter()
            .flat_map(|s| {
                s.beams
                    .iter()
                    .map(|b| *b.tokens.last().expect("start token"))
            })
            .collect();
        next_logits(model, &mut state, &inputs, &mut logits)?;
        let outcomes: Vec<Outcome> = logits
            .par_chunks_mut(k * vocab)
            .zip(live.par_iter_mut())
            .map(|(rows, sentence)| sentence.step(rows, vocab, step, config))
            .collect::<Result<_>>()?;

        let mut rows = Vec::with_capacity(live.len() * k);
        let mut sentences = Vec::with_capacity(live.len());
        let mut still_live = Vec::with_capacity(live.len());
        for (s, (sentence, outcome)) in live.into_iter().zip(outcomes).enumerate() {
            match outcome {
                Outcome::Continue { parents } => {
                    rows.extend(parents.iter().map(|p| s * k + p));
                    sentences.push(s);
                    still_live.push(sentence);
                }
                Outcome::Done => {
                    let index = sentence.index;
                    results[index] = Some(sentence.best());
                }
            }
        }
        live = still_live;
        if live.is_empty() {
            break;
        }
        state.reorder(&rows, &sentences)?;
    }
    for sentence in live {
        let index = sentence.index;
        results[index] = Some(sentence.best());
    }
    Ok(results
        .into_iter()
        .map(|h| h.expect("every sentence gets a hypothesis"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn config(renormalize_logits: bool) -> GenerationConfig {
        GenerationConfig {
            decoder_start_token_id: 3,
            eos_token_ids: vec![0],
            pad_token_id: 3,
            bad_words_ids: vec![vec![2]],
            forced_eos_token_ids: vec![0],
            max_new_tokens: 5,
            min_new_tokens: 0,
            num_beams: 2,
            length_penalty: 1.0,
            early_stopping: EarlyStopping::Heuristic,
            renormalize_logits,
            no_repeat_ngram_size: 0,
        }
    }

    #[test]
    fn a_step_with_every_token_banned_or_a_nan_row_is_an_error_naming_the_cause() {
        let n = f32::NEG_INFINITY;
        for renormalize in [false, true] {
            let config = config(renormalize);
            // The only finite token of each beam is a bad word.
            let mut search = SentenceSearch::new(0, 2, 3);
            let mut rows = vec![n, n, 1.0, n, n, n, 1.0, n];
            let err = search.step(&mut rows, 4, 0, &config).err().unwrap();
            assert!(
                matches!(
                    err,
                    Error::GenerationOption {
                        option: "bad_words_ids",
                        ..
                    }
                ),
                "{err:?}"
            );
            let mut search = SentenceSearch::new(0, 2, 3);
            let mut rows = vec![0.5, f32::NAN, 1.0, 0.0, 0.5, 0.1, 1.0, 0.0];
            let err = search.step(&mut rows, 4, 0, &config).err().unwrap();
            assert!(
                matches!(err, Error::NonFiniteModelOutput { step: 0 }),
                "{err:?}"
            );
            // One allowed token left is enough.
            let mut search = SentenceSearch::new(0, 2, 3);
            let mut rows = vec![n, 0.5, 1.0, n, n, n, 1.0, 0.25];
            assert!(search.step(&mut rows, 4, 0, &config).is_ok());
        }
    }
}
