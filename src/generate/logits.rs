//! transformers' logits processors, applied to one row of next-token logits at a time.
//!
//! Order and effect follow transformers' `_get_logits_processor` for the processors passeur
//! implements: no-repeat n-grams, bad words, minimum new tokens (each bans tokens by setting them
//! to −∞), then forced end-of-sentence at the last allowed step (every token but the forced ones
//! to −∞, the forced ones to 0). Working row by row in place allocates nothing per step but the
//! few banned-token lists.

use super::options::GenerationConfig;
use crate::cpu::KernelPath;
use crate::Error;

/// log Σ exp(row), stable; −∞ for a row where everything is banned, NaN when the row holds NaN.
///
/// Run on every row of every step (59514 values for opus-mt), so the two passes (maximum, then
/// the sum of shifted exponentials) use 16- or 8-lane vectors on the avx512 and avx2 kernel paths
/// ([`crate::cpu::path`]).
pub(crate) fn log_sum_exp(row: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    match crate::cpu::path() {
        // SAFETY: the kernel path is within what the CPU has.
        KernelPath::Avx512 | KernelPath::Amx => return unsafe { vector::log_sum_exp_512(row) },
        KernelPath::Avx2 => return unsafe { vector::log_sum_exp_256(row) },
        KernelPath::Portable => {}
    }
    log_sum_exp_portable(row)
}

/// The log-sum-exp of a row with no finite maximum: −∞ when every value is −∞, NaN when the
/// maximum skipped NaN values.
fn all_banned_or_nan(row: &[f32]) -> f32 {
    if row.iter().any(|x| x.is_nan()) {
        f32::NAN
    } else {
        f32::NEG_INFINITY
    }
}

fn log_sum_exp_portable(row: &[f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return all_banned_or_nan(row);
    }
    let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
    max + sum.ln()
}

#[cfg(target_arch = "x86_64")]
mod vector {
    use crate::model::simd::{exp256, exp512};
    use std::arch::x86_64::*;

    /// [`super::log_sum_exp`] in 8-lane vectors, four independent accumulators.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn log_sum_exp_256(row: &[f32]) -> f32 {
        const BLOCK: usize = 32;
        let blocks = row.len() / BLOCK * BLOCK;
        let p = row.as_ptr();
        let mut m = [_mm256_set1_ps(f32::NEG_INFINITY); 4];
        for i in (0..blocks).step_by(BLOCK) {
            for (j, m) in m.iter_mut().enumerate() {
                *m = _mm256_max_ps(*m, _mm256_loadu_ps(p.add(i + 8 * j)));
            }
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(
            lanes.as_mut_ptr(),
            _mm256_max_ps(_mm256_max_ps(m[0], m[1]), _mm256_max_ps(m[2], m[3])),
        );
        let max = lanes
            .iter()
            .chain(&row[blocks..])
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        if max == f32::NEG_INFINITY {
            return super::all_banned_or_nan(row);
        }
        let shift = _mm256_set1_ps(max);
        let mut s = [_mm256_setzero_ps(); 4];
        for i in (0..blocks).step_by(BLOCK) {
            for (j, s) in s.iter_mut().enumerate() {
                let x = _mm256_sub_ps(_mm256_loadu_ps(p.add(i + 8 * j)), shift);
                *s = _mm256_add_ps(*s, exp256(x));
            }
        }
        _mm256_storeu_ps(
            lanes.as_mut_ptr(),
            _mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])),
        );
        let tail: f32 = row[blocks..].iter().map(|&x| (x - max).exp()).sum();
        max + (lanes.iter().sum::<f32>() + tail).ln()
    }

    /// [`super::log_sum_exp`] in 16-lane vectors, four independent accumulators; the tail in
    /// masked vectors.
    ///
    /// # Safety
    /// The CPU has AVX-512 F (and AVX2, FMA).
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn log_sum_exp_512(row: &[f32]) -> f32 {
        const BLOCK: usize = 64;
        let blocks = row.len() / BLOCK * BLOCK;
        let p = row.as_ptr();
        let mut m = [_mm512_set1_ps(f32::NEG_INFINITY); 4];
        for i in (0..blocks).step_by(BLOCK) {
            for (j, m) in m.iter_mut().enumerate() {
                *m = _mm512_max_ps(*m, _mm512_loadu_ps(p.add(i + 16 * j)));
            }
        }
        let mut max = _mm512_reduce_max_ps(_mm512_max_ps(
            _mm512_max_ps(m[0], m[1]),
            _mm512_max_ps(m[2], m[3]),
        ));
        for &x in &row[blocks..] {
            max = max.max(x);
        }
        if max == f32::NEG_INFINITY || max.is_nan() {
            return super::all_banned_or_nan(row);
        }
        let shift = _mm512_set1_ps(max);
        let mut s = [_mm512_setzero_ps(); 4];
        for i in (0..blocks).step_by(BLOCK) {
            for (j, s) in s.iter_mut().enumerate() {
                let x = _mm512_sub_ps(_mm512_loadu_ps(p.add(i + 16 * j)), shift);
                *s = _mm512_add_ps(*s, exp512(x));
            }
        }
        let mut i = blocks;
        while i < row.len() {
            let mask: __mmask16 = ((1u32 << (row.len() - i).min(16)) - 1) as __mmask16;
            // Masked-off lanes read −∞ and add e^−∞ = 0.
            let x = _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), mask, p.add(i));
            s[0] = _mm512_add_ps(s[0], exp512(_mm512_sub_ps(x, shift)));
            i += 16;
        }
        let sum = _mm512_reduce_add_ps(_mm512_add_ps(
            _mm512_add_ps(s[0], s[1]),
            _mm512_add_ps(s[2], s[3]),
        ));
        max + sum.ln()
    }

    /// The first whole block of 16 values at or after `from` that holds a value above
    /// `threshold` (or the start of the tail of fewer than 16 values when none does), and the bit
    /// mask of those values.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn next_above_256(row: &[f32], from: usize, threshold: f32) -> (usize, u16) {
        let t = _mm256_set1_ps(threshold);
        let p = row.as_ptr();
        let mut i = from;
        while i + 16 <= row.len() {
            let low = _mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_loadu_ps(p.add(i)), t);
            let high = _mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_loadu_ps(p.add(i + 8)), t);
            let mask = _mm256_movemask_ps(low) as u16 | ((_mm256_movemask_ps(high) as u16) << 8);
            if mask != 0 {
                return (i, mask);
            }
            i += 16;
        }
        (i, 0)
    }

    /// [`next_above_256`] in one 16-lane comparison per block.
    ///
    /// # Safety
    /// The CPU has AVX-512 F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn next_above_512(row: &[f32], from: usize, threshold: f32) -> (usize, u16) {
        let t = _mm512_set1_ps(threshold);
        let p = row.as_ptr();
        let mut i = from;
        while i + 16 <= row.len() {
            let mask = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_loadu_ps(p.add(i)), t);
            if mask != 0 {
                return (i, mask);
            }
            i += 16;
        }
        (i, 0)
    }
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

/// The token with the highest value (the first one on ties, like `torch.argmax`), skipping NaN
/// (greedy search has rejected a row holding NaN by its log-sum-exp before); 0 for a row of NaN.
///
/// [`top_k`] of one: its vector block search skips the blocks with nothing above the best so far,
/// where a scalar scan took 6 % of int8 greedy decoding (notes/perf.md, change T).
pub(crate) fn argmax(row: &[f32]) -> usize {
    top_k(row, 1).first().map_or(0, |&(i, _)| i as usize)
}

/// The `k` highest values of `row` with their indices, highest first (lower index first on ties);
/// NaN values are never among them.
pub(crate) fn top_k(row: &[f32], k: usize) -> Vec<(u32, f32)> {
    top_k_with(row, k, crate::cpu::path())
}

/// [`top_k`] with the block search of kernel path `path` (which the CPU must have).
fn top_k_with(row: &[f32], k: usize, path: KernelPath) -> Vec<(u32, f32)> {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = path;
    let mut top: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    let insert = |top: &mut Vec<(u32, f32)>, i: usize, x: f32| {
        if x.is_nan() || (top.len() == k && x <= top[k - 1].1) {
            return;
        }
        let at = top.iter().rposition(|&(_, y)| y >= x).map_or(0, |p| p + 1);
        top.insert(at, (i as u32, x));
        top.truncate(k);
    };
    // Once k values are kept, most blocks of 16 hold none above the k-th: on the avx2 and
    // avx512 paths vector comparisons find the next block worth looking at (comparisons with
    // NaN are false); elsewhere one comparison of a block's maximum (which ignores NaN) skips it.
    const BLOCK: usize = 16;
    let mut start = 0;
    while start < row.len() {
        #[cfg(target_arch = "x86_64")]
        if top.len() == k && path >= KernelPath::Avx2 {
            let threshold = top[k - 1].1;
            // SAFETY: the kernel path is within what the CPU has.
            let (at, mask) = unsafe {
                if path >= KernelPath::Avx512 {
                    vector::next_above_512(row, start, threshold)
                } else {
                    vector::next_above_256(row, start, threshold)
                }
            };
            if mask != 0 {
                for j in (0..BLOCK).filter(|j| mask & (1 << j) != 0) {
                    insert(&mut top, at + j, row[at + j]);
                }
                start = at + BLOCK;
                continue;
            }
            // No whole block left above the k-th: the tail (under 16 values) as below.
            start = at;
            if start >= row.len() {
                break;
            }
        }
        let block = &row[start..(start + BLOCK).min(row.len())];
        let skip = top.len() == k && {
            let mut lanes = [f32::NEG_INFINITY; BLOCK];
            for (l, &x) in lanes.iter_mut().zip(block) {
                *l = l.max(x);
            }
            lanes.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) <= top[k - 1].1
        };
        if !skip {
            for (j, &x) in block.iter().enumerate() {
                insert(&mut top, start + j, x);
            }
        }
        start += BLOCK;
    }
    top
}

/// The error for a row with no token left to choose: a model that produced NaN or infinite
/// values (a model problem), or settings that ban every token.
pub(crate) fn no_token_left(step: usize, normalizer: f32) -> Error {
    if normalizer.is_nan() || normalizer == f32::INFINITY {
        return Error::NonFiniteModelOutput { step };
    }
    Error::GenerationOption {
        option: "bad_words_ids",
        problem: format!("every token is banned at step {step}; the banned words, minimum length and n-gram settings leave nothing to generate"),
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
    fn top_k_over_long_rows_equals_a_full_sort() {
        // Long enough for the block skipping; repeated values test the tie order.
        let row: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 211) as f32 * 0.5).collect();
        let mut sorted: Vec<(u32, f32)> = row
            .iter()
            .enumerate()
            .map(|(i, &x)| (i as u32, x))
            .collect();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for k in [1, 8, 33] {
            for path in wide_options() {
                let got = top_k_with(&row, k, path);
                assert_eq!(got, sorted[..k].to_vec(), "k = {k}, {path:?}");
            }
        }
        // NaN never enters the top, wherever it is (in a block of 16 or in the tail).
        let mut with_nan = row.clone();
        for i in (0..row.len()).step_by(37).chain([row.len() - 1]) {
            with_nan[i] = f32::NAN;
        }
        let mut sorted: Vec<(u32, f32)> = with_nan
            .iter()
            .enumerate()
            .filter(|(_, x)| !x.is_nan())
            .map(|(i, &x)| (i as u32, x))
            .collect();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for path in wide_options() {
            assert_eq!(
                top_k_with(&with_nan, 8, path),
                sorted[..8].to_vec(),
                "{path:?}"
            );
        }
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
    fn argmax_finds_the_first_highest_value_in_any_block_or_the_tail() {
        // 100 values: six whole blocks of 16 and a tail of 4; the highest value first at
        // `first`, again at `again` (a later tie), NaN before it and −∞ around.
        for (first, again) in [
            (0, 99),
            (15, 16),
            (16, 40),
            (47, 48),
            (63, 97),
            (96, 99),
            (99, 99),
        ] {
            let mut row: Vec<f32> = (0..100).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
            row[first] = 7.0;
            row[again] = 7.0;
            if first > 0 {
                row[first - 1] = f32::NAN;
            }
            row[(first + 50) % 100] = f32::NEG_INFINITY;
            if (first + 50) % 100 == again {
                row[again] = 7.0;
            }
            assert_eq!(
                argmax(&row),
                first,
                "highest first at {first}, again at {again}"
            );
        }
        assert_eq!(argmax(&[f32::NEG_INFINITY; 40]), 0);
    }

    /// Every log-sum-exp this CPU can run, whatever `PASSEUR_KERNEL` says.
    fn implementations() -> Vec<fn(&[f32]) -> f32> {
        #[allow(unused_mut)]
        let mut all: Vec<fn(&[f32]) -> f32> = vec![log_sum_exp, log_sum_exp_portable];
        #[cfg(target_arch = "x86_64")]
        {
            let detected = crate::cpu::cpu().detected;
            if detected >= KernelPath::Avx2 {
                // SAFETY: the CPU has AVX2 and FMA.
                all.push(|row| unsafe { vector::log_sum_exp_256(row) });
            }
            if detected >= KernelPath::Avx512 {
                // SAFETY: the CPU has AVX-512.
                all.push(|row| unsafe { vector::log_sum_exp_512(row) });
            }
        }
        all
    }

    /// The top-k searches this CPU can run.
    fn wide_options() -> Vec<KernelPath> {
        let detected = crate::cpu::cpu().detected;
        KernelPath::ALL
            .into_iter()
            .filter(|&path| path <= detected)
            .collect()
    }

    #[test]
    fn log_sum_exp_is_stable() {
        for lse in implementations() {
            let value = lse(&[1000.0, 1000.0]);
            assert!((value - (1000.0 + 2f32.ln())).abs() < 1e-3);
            assert_eq!(lse(&[f32::NEG_INFINITY; 3]), f32::NEG_INFINITY);
            assert_eq!(lse(&[f32::NEG_INFINITY; 70]), f32::NEG_INFINITY);
        }
    }

    #[test]
    fn log_sum_exp_matches_a_double_precision_sum() {
        // Long rows go through the vector blocks and the tail; NaN anywhere gives NaN.
        for len in [1, 31, 32, 33, 100, 59514] {
            let row: Vec<f32> = (0..len)
                .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 0.02)
                .collect();
            let max = row
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, |m, x| m.max(x as f64));
            let want = max
                + row
                    .iter()
                    .map(|&x| (x as f64 - max).exp())
                    .sum::<f64>()
                    .ln();
            for lse in implementations() {
                let got = lse(&row) as f64;
                assert!(
                    (got - want).abs() < 1e-5 * want.abs().max(1.0),
                    "len {len}: {got} vs {want}"
                );
                let mut with_nan = row.clone();
                with_nan[len / 2] = f32::NAN;
                assert!(lse(&with_nan).is_nan(), "len {len}");
            }
        }
    }
}
