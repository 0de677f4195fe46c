//! transformers' logits processors, applied to one row of next-token logits at a time.
//!
//! Order and effect follow transformers' `_get_logits_processor` for the processors passeur
//! implements: no-repeat n-grams, bad words, minimum new tokens (each bans tokens by setting them
//! to −∞), then forced end-of-sentence at the last allowed step (every token but the forced ones
//! to −∞, the forced ones to 0). Working row by row in place allocates nothing per step but the
//! few banned-token lists.

use super::options::GenerationConfig;
use crate::Error;

/// log Σ exp(row), stable; −∞ for a row where everything is banned.
pub(crate) fn log_sum_exp(row: &[f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return max;
    }
    let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
    max + sum.ln()
}

/// Tokens that would repeat an n-gram of `history` (transformers' `NoRepeatNGramLogitsProcessor`,
/// whose history includes the decoder start token).
fn repeated_ngram_tokens(history: &[u32], n: usize) -> Vec<u32> {
    if n == 0 || history.len() + 1 < n {
        return Vec::new();
    }
    if n == 1 {
        return history.to_vec();
    }
    let prefix = &history[history.len() + 1 - n..];
    history
        .windows(n)
        .filter(|gram| &gram[..n - 1] == prefix)
        .map(|gram| gram[n - 1])
        .collect()
}

/// Applies the processors to `row` (logits or log-probabilities of the next token after
/// `history`, which starts with the decoder start token). Returns whether the step was forced.
pub(crate) fn apply_processors(
    row: &mut [f32],
    history: &[u32],
    config: &GenerationConfig,
) -> bool {
    let generated = history.len().saturating_sub(1);
    if !config.forced_eos_token_ids.is_empty() && generated + 1 == config.max_new_tokens {
        row.fill(f32::NEG_INFINITY);
        for &id in &config.forced_eos_token_ids {
            row[id as usize] = 0.0;
        }
        return true;
    }
    let mut ban = |id: u32| row[id as usize] = f32::NEG_INFINITY;
    for id in repeated_ngram_tokens(history, config.no_repeat_ngram_size) {
        ban(id);
    }
    for words in &config.bad_words_ids {
        let (last, prefix) = words
            .split_last()
            .expect("bad words sequences are non-empty");
        if history.ends_with(prefix) {
            ban(*last);
        }
    }
    if generated < config.min_new_tokens {
        for &id in &config.eos_token_ids {
            ban(id);
        }
    }
    false
}

/// The token with the highest value (the first one on ties, like `torch.argmax`).
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best
}

/// The `k` highest values of `row` with their indices, highest first (lower index first on ties).
pub(crate) fn top_k(row: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut top: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    for (i, &x) in row.iter().enumerate() {
        if top.len() == k && x <= top[k - 1].1 {
            continue;
        }
        let at = top.iter().rposition(|&(_, y)| y >= x).map_or(0, |p| p + 1);
        top.insert(at, (i as u32, x));
        top.truncate(k);
    }
    top
}

/// The error for a row with no token left to choose (only possible with contradictory settings
/// or a model that produced NaN).
pub(crate) fn no_token_left(step: usize, normalizer: f32) -> Error {
    let problem = if normalizer.is_nan() {
        format!("the model produced NaN logits at step {step}; the weights are probably corrupt")
    } else {
        format!("every token is banned at step {step}; the banned words, minimum length and n-gram settings leave nothing to generate")
    };
    Error::GenerationOption {
        option: "bad_words_ids",
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::options::EarlyStopping;

    fn config() -> GenerationConfig {
        GenerationConfig {
            decoder_start_token_id: 9,
            eos_token_ids: vec![0],
            pad_token_id: 9,
            bad_words_ids: vec![vec![9], vec![3, 4]],
            forced_eos_token_ids: vec![0],
            max_new_tokens: 5,
            min_new_tokens: 2,
            num_beams: 1,
            length_penalty: 1.0,
            early_stopping: EarlyStopping::Heuristic,
            renormalize_logits: true,
            no_repeat_ngram_size: 2,
        }
    }

    #[test]
    fn bans_follow_transformers_processors() {
        let c = config();
        let mut row = vec![1.0f32; 10];
        // History [start, 5, 6, 5]: bigram (5, 6) seen, so 6 after 5 is banned; 1 generated < 2 min.
        assert!(!apply_processors(&mut row, &[9, 5, 6, 5], &c));
        let banned: Vec<usize> = (0..10).filter(|&i| row[i] == f32::NEG_INFINITY).collect();
        assert_eq!(
            banned,
            vec![6, 9],
            "pad and the repeated bigram; eos allowed after 3 tokens"
        );
        let mut row = vec![1.0f32; 10];
        apply_processors(&mut row, &[9, 3], &c);
        let banned: Vec<usize> = (0..10).filter(|&i| row[i] == f32::NEG_INFINITY).collect();
        assert_eq!(
            banned,
            vec![0, 4, 9],
            "eos before 2 tokens, 4 after 3, pad always"
        );
    }

    #[test]
    fn last_step_forces_eos() {
        let c = config();
        let mut row = vec![1.0f32; 10];
        assert!(apply_processors(&mut row, &[9, 1, 2, 3, 4], &c));
        assert_eq!(row[0], 0.0);
        assert!(row[1..].iter().all(|&x| x == f32::NEG_INFINITY));
    }

    #[test]
    fn top_k_and_argmax_prefer_lower_indices_on_ties() {
        let row = [0.5, 2.0, f32::NEG_INFINITY, 2.0, 1.0, 3.0];
        assert_eq!(top_k(&row, 3), vec![(5, 3.0), (1, 2.0), (3, 2.0)]);
        assert_eq!(top_k(&row, 6).last(), Some(&(2, f32::NEG_INFINITY)));
        assert_eq!(argmax(&row), 5);
        assert_eq!(argmax(&[1.0, 1.0]), 0);
    }

    #[test]
    fn log_sum_exp_is_stable() {
        let lse = log_sum_exp(&[1000.0, 1000.0]);
        assert!((lse - (1000.0 + 2f32.ln())).abs() < 1e-3);
        assert_eq!(log_sum_exp(&[f32::NEG_INFINITY; 3]), f32::NEG_INFINITY);
    }
}
