//! One query row's attention over every head, on each kernel path: scores `q·k + mask`,
//! softmax shifted by the row maximum, weighted sum of the values. The fused attention of
//! `fused` (decoder steps, encoder self-attention) calls [`attend_row_on`] per row.
//!
//! The vector versions keep a head's query and output in registers (`hd / 16` or `hd / 8`
//! vectors, head sizes up to 128) and compute the exponentials and the division by their sum
//! a vector at a time; other head sizes use the portable loop compiled for the path. All of
//! them compute the same thing, to rounding.

use crate::cpu::KernelPath;

/// Strides of one key row's keys (or values) and the attention's sizes.
pub(crate) struct RowLayout {
    pub(crate) heads: usize,
    pub(crate) hd: usize,
    /// Positions attended to.
    pub(crate) len: usize,
    /// Elements between the keys (or values) of consecutive heads.
    pub(crate) head_stride: usize,
    /// Elements between the keys (or values) of consecutive positions.
    pub(crate) position_stride: usize,
    /// Elements between consecutive key rows.
    pub(crate) row_stride: usize,
}

/// One query row and what it attends to (keys and values from its key row on).
pub(crate) struct RowInputs<'a> {
    pub(crate) query: &'a [f32],
    pub(crate) keys: &'a [f32],
    pub(crate) values: &'a [f32],
    pub(crate) mask: Option<&'a [f32]>,
}

/// [`attend_row`] on the kernel path `path`, into `out` (`heads · hd` values, zeroed).
pub(crate) fn attend_row_on(
    path: KernelPath,
    inputs: &RowInputs,
    layout: &RowLayout,
    out: &mut [f32],
) {
    let mut stack = [0f32; 512];
    let mut heap = Vec::new();
    let scores: &mut [f32] = if layout.len <= stack.len() {
        &mut stack[..layout.len]
    } else {
        heap.resize(layout.len, 0f32);
        &mut heap
    };
    match path {
        // SAFETY (both arms): the kernel path is within what the CPU has.
        #[cfg(target_arch = "x86_64")]
        KernelPath::Avx512 | KernelPath::Amx => unsafe {
            avx512::attend_row(inputs, layout, scores, out)
        },
        #[cfg(target_arch = "x86_64")]
        KernelPath::Avx2 => unsafe { avx2::attend_row(inputs, layout, scores, out) },
        _ => attend_row(inputs, layout, scores, out, exp_in_place),
    }
}

/// `e^(x)` over `scores`, in place.
fn exp_in_place(scores: &mut [f32]) {
    for s in scores {
        *s = s.exp();
    }
}

/// Sum in eight lanes (vectorizes without reassociation).
#[inline(always)]
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in ac.zip(bc) {
        for i in 0..8 {
            lanes[i] += ca[i] * cb[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// One row's attention, every head, in plain loops (`scores` holds `len` values of scratch).
#[inline(always)]
fn attend_row(
    inputs: &RowInputs,
    layout: &RowLayout,
    scores: &mut [f32],
    out: &mut [f32],
    exp: impl Fn(&mut [f32]),
) {
    let hd = layout.hd;
    for h in 0..layout.heads {
        let query = &inputs.query[h * hd..(h + 1) * hd];
        let keys = &inputs.keys[h * layout.head_stride..];
        let values = &inputs.values[h * layout.head_stride..];
        let mut max = f32::NEG_INFINITY;
        for (p, score) in scores.iter_mut().enumerate() {
            let m = inputs.mask.map_or(0.0, |m| m[p]);
            let at = p * layout.position_stride;
            *score = dot(query, &keys[at..at + hd]) + m;
            max = max.max(*score);
        }
        for score in scores.iter_mut() {
            *score -= max;
        }
        exp(scores);
        let total = sum(scores);
        let out_head = &mut out[h * hd..(h + 1) * hd];
        for (p, &weight) in scores.iter().enumerate() {
            let weight = weight / total;
            let at = p * layout.position_stride;
            for (o, &v) in out_head.iter_mut().zip(&values[at..at + hd]) {
                *o += weight * v;
            }
        }
    }
}

/// Asks for position `at`'s keys of the next head (if any) and values of this head while the
/// scores of this head are computed, so that both are in L1 when their loops reach them: the
/// key-value caches of a batch of hypotheses are tens of megabytes, read once per step in
/// short per-head runs that the hardware prefetcher does not start on in time.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn prefetch_ahead(next_keys: Option<*const f32>, values: *const f32, at: usize, hd: usize) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    const LINE_FLOATS: usize = 16;
    for offset in (0..hd).step_by(LINE_FLOATS) {
        if let Some(keys) = next_keys {
            _mm_prefetch::<_MM_HINT_T0>(keys.wrapping_add(at + offset) as *const i8);
        }
        _mm_prefetch::<_MM_HINT_T0>(values.wrapping_add(at + offset) as *const i8);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{RowInputs, RowLayout};
    use crate::model::simd::exp512;
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU has AVX-512 F/BW/VL/DQ, AVX2 and FMA; `scores` holds `layout.len` values.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
    pub(super) unsafe fn attend_row(
        inputs: &RowInputs,
        layout: &RowLayout,
        scores: &mut [f32],
        out: &mut [f32],
    ) {
        match layout.hd {
            16 => heads::<1>(inputs, layout, scores, out),
            32 => heads::<2>(inputs, layout, scores, out),
            64 => heads::<4>(inputs, layout, scores, out),
            128 => heads::<8>(inputs, layout, scores, out),
            _ => super::attend_row(inputs, layout, scores, out, |s| exp_in_place(s)),
        }
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn exp_in_place(scores: &mut [f32]) {
        for chunk in scores.chunks_mut(16) {
            let mask = ((1u32 << chunk.len()) - 1) as __mmask16;
            let x = _mm512_maskz_loadu_ps(mask, chunk.as_ptr());
            _mm512_mask_storeu_ps(chunk.as_mut_ptr(), mask, exp512(x));
        }
    }

    /// Every head of one row, `V` 16-lane vectors per head.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
    unsafe fn heads<const V: usize>(
        inputs: &RowInputs,
        layout: &RowLayout,
        scores: &mut [f32],
        out: &mut [f32],
    ) {
        let hd = 16 * V;
        let len = layout.len;
        debug_assert!(scores.len() == len && out.len() >= layout.heads * hd);
        for h in 0..layout.heads {
            let mut q = [_mm512_setzero_ps(); V];
            for (v, q) in q.iter_mut().enumerate() {
                *q = _mm512_loadu_ps(inputs.query.as_ptr().add(h * hd + 16 * v));
            }
            let keys = inputs.keys[h * layout.head_stride..].as_ptr();
            let values = inputs.values[h * layout.head_stride..].as_ptr();
            let next_keys = (h + 1 < layout.heads).then(|| keys.wrapping_add(layout.head_stride));
            let mut max = f32::NEG_INFINITY;
            for (p, score) in scores.iter_mut().enumerate() {
                let k = keys.add(p * layout.position_stride);
                super::prefetch_ahead(next_keys, values, p * layout.position_stride, hd);
                let mut acc = _mm512_mul_ps(q[0], _mm512_loadu_ps(k));
                for (v, &q) in q.iter().enumerate().skip(1) {
                    acc = _mm512_fmadd_ps(q, _mm512_loadu_ps(k.add(16 * v)), acc);
                }
                *score = _mm512_reduce_add_ps(acc) + inputs.mask.map_or(0.0, |m| m[p]);
                max = max.max(*score);
            }
            // e^(s − max), then the weights s / Σ, sixteen at a time.
            let shift = _mm512_set1_ps(max);
            let mut total = _mm512_setzero_ps();
            for chunk in scores.chunks_mut(16) {
                let mask = ((1u32 << chunk.len()) - 1) as __mmask16;
                let x = _mm512_maskz_loadu_ps(mask, chunk.as_ptr());
                let e = _mm512_maskz_mov_ps(mask, exp512(_mm512_sub_ps(x, shift)));
                total = _mm512_add_ps(total, e);
                _mm512_mask_storeu_ps(chunk.as_mut_ptr(), mask, e);
            }
            let total = _mm512_set1_ps(_mm512_reduce_add_ps(total));
            for chunk in scores.chunks_mut(16) {
                let mask = ((1u32 << chunk.len()) - 1) as __mmask16;
                let x = _mm512_maskz_loadu_ps(mask, chunk.as_ptr());
                _mm512_mask_storeu_ps(chunk.as_mut_ptr(), mask, _mm512_div_ps(x, total));
            }
            let mut o = [_mm512_setzero_ps(); V];
            for (p, &weight) in scores.iter().enumerate() {
                let value = values.add(p * layout.position_stride);
                let weight = _mm512_set1_ps(weight);
                for (v, o) in o.iter_mut().enumerate() {
                    *o = _mm512_fmadd_ps(weight, _mm512_loadu_ps(value.add(16 * v)), *o);
                }
            }
            for (v, o) in o.iter().enumerate() {
                _mm512_storeu_ps(out.as_mut_ptr().add(h * hd + 16 * v), *o);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{RowInputs, RowLayout};
    use crate::model::simd::exp256;
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU has AVX2 and FMA; `scores` holds `layout.len` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn attend_row(
        inputs: &RowInputs,
        layout: &RowLayout,
        scores: &mut [f32],
        out: &mut [f32],
    ) {
        match layout.hd {
            16 => heads::<2>(inputs, layout, scores, out),
            32 => heads::<4>(inputs, layout, scores, out),
            64 => heads::<8>(inputs, layout, scores, out),
            _ => super::attend_row(inputs, layout, scores, out, |s| exp_in_place(s)),
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn exp_in_place(scores: &mut [f32]) {
        let mut chunks = scores.chunks_exact_mut(8);
        for chunk in &mut chunks {
            let x = _mm256_loadu_ps(chunk.as_ptr());
            _mm256_storeu_ps(chunk.as_mut_ptr(), exp256(x));
        }
        super::exp_in_place(chunks.into_remainder());
    }

    /// The sum of the eight lanes of `v`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn reduce_add(v: __m256) -> f32 {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)))
    }

    /// Every head of one row, `V` 8-lane vectors per head.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn heads<const V: usize>(
        inputs: &RowInputs,
        layout: &RowLayout,
        scores: &mut [f32],
        out: &mut [f32],
    ) {
        let hd = 8 * V;
        debug_assert!(scores.len() == layout.len && out.len() >= layout.heads * hd);
        for h in 0..layout.heads {
            let query = inputs.query.as_ptr().add(h * hd);
            let keys = inputs.keys[h * layout.head_stride..].as_ptr();
            let values = inputs.values[h * layout.head_stride..].as_ptr();
            let next_keys = (h + 1 < layout.heads).then(|| keys.wrapping_add(layout.head_stride));
            let mut max = f32::NEG_INFINITY;
            for (p, score) in scores.iter_mut().enumerate() {
                let k = keys.add(p * layout.position_stride);
                super::prefetch_ahead(next_keys, values, p * layout.position_stride, hd);
                let mut acc = _mm256_mul_ps(_mm256_loadu_ps(query), _mm256_loadu_ps(k));
                for v in 1..V {
                    let q = _mm256_loadu_ps(query.add(8 * v));
                    acc = _mm256_fmadd_ps(q, _mm256_loadu_ps(k.add(8 * v)), acc);
                }
                *score = reduce_add(acc) + inputs.mask.map_or(0.0, |m| m[p]);
                max = max.max(*score);
            }
            for score in scores.iter_mut() {
                *score -= max;
            }
            exp_in_place(scores);
            let total = super::sum(scores);
            for score in scores.iter_mut() {
                *score /= total;
            }
            let mut o = [_mm256_setzero_ps(); V];
            for (p, &weight) in scores.iter().enumerate() {
                let value = values.add(p * layout.position_stride);
                let weight = _mm256_set1_ps(weight);
                for (v, o) in o.iter_mut().enumerate() {
                    *o = _mm256_fmadd_ps(weight, _mm256_loadu_ps(value.add(8 * v)), *o);
                }
            }
            for (v, o) in o.iter().enumerate() {
                _mm256_storeu_ps(out.as_mut_ptr().add(h * hd + 8 * v), *o);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row attending to 37 positions of 3 heads at a position stride wider than the heads,
    /// with some positions masked, in f64.
    fn reference(inputs: &RowInputs, layout: &RowLayout) -> Vec<f64> {
        let hd = layout.hd;
        let mut out = vec![0f64; layout.heads * hd];
        for h in 0..layout.heads {
            let scores: Vec<f64> = (0..layout.len)
                .map(|p| {
                    let k = &inputs.keys[h * layout.head_stride + p * layout.position_stride..];
                    let dot: f64 = (0..hd)
                        .map(|i| inputs.query[h * hd + i] as f64 * k[i] as f64)
                        .sum();
                    dot + inputs.mask.map_or(0.0, |m| m[p] as f64)
                })
                .collect();
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
            for (p, s) in scores.iter().enumerate() {
                let weight = (s - max).exp() / total;
                let v = &inputs.values[h * layout.head_stride + p * layout.position_stride..];
                for i in 0..hd {
                    out[h * hd + i] += weight * v[i] as f64;
                }
            }
        }
        out
    }

    #[test]
    fn every_path_and_head_size_matches_a_double_precision_attention() {
        let detected = crate::cpu::cpu().detected;
        for hd in [8, 16, 24, 32, 64, 128] {
            let (heads, len) = (3, 37);
            let position_stride = heads * hd + 5;
            let value =
                |i: usize, seed: usize| ((i * 2654435761 + seed) % 1000) as f32 / 500.0 - 1.0;
            let query: Vec<f32> = (0..heads * hd).map(|i| value(i, 1)).collect();
            let keys: Vec<f32> = (0..len * position_stride).map(|i| value(i, 2)).collect();
            let values: Vec<f32> = (0..len * position_stride).map(|i| value(i, 3)).collect();
            let mut mask = vec![0f32; len];
            mask[3] = f32::MIN;
            mask[30] = f32::MIN;
            let inputs = RowInputs {
                query: &query,
                keys: &keys,
                values: &values,
                mask: Some(&mask),
            };
            let layout = RowLayout {
                heads,
                hd,
                len,
                head_stride: hd,
                position_stride,
                row_stride: len * position_stride,
            };
            let want = reference(&inputs, &layout);
            for path in KernelPath::ALL.into_iter().filter(|&p| p <= detected) {
                let mut out = vec![0f32; heads * hd];
                attend_row_on(path, &inputs, &layout, &mut out);
                for (i, (&got, &want)) in out.iter().zip(&want).enumerate() {
                    assert!(
                        (got as f64 - want).abs() < 1e-5,
                        "{path} hd {hd}: element {i} is {got}, expected {want}"
                    );
                }
            }
        }
    }
}
