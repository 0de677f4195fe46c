//! The AVX2 + FMA kernels: tiles of up to 6 rows × one panel (two 8-lane vectors per row).

use super::{Epilogue, FloatPanelRow, PanelPair, PanelRowInt8, Tile, PANEL};
use crate::model::simd::exp256;
use std::arch::x86_64::*;

/// [`tile`] (or [`tile_one_row`]) for `rows` rows (1..=6) of f32 weights (or bf16, widened to
/// f32 as loaded).
///
/// # Safety
/// As [`tile`].
pub(super) unsafe fn tile_f32<R: FloatPanelRow>(t: &Tile, w: &[R], rows: usize) {
    match rows {
        1 => tile_one_row(t, w),
        2 => tile::<2, R>(t, w),
        3 => tile::<3, R>(t, w),
        4 => tile::<4, R>(t, w),
        5 => tile::<5, R>(t, w),
        _ => tile::<6, R>(t, w),
    }
}

/// Eight bf16 values as f32 (exact: each becomes the upper half of its lane). A function with the
/// target features rather than a closure, so that it is inlined into the tiles.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn widen_bf16(half: __m128i) -> __m256 {
    _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(half)))
}

/// Panel row `row` of `w` as f32, in two halves of 8 lanes: loaded, or for bf16 loaded and
/// widened.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn load_row<R: FloatPanelRow>(w: *const R, row: usize) -> (__m256, __m256) {
    if R::BF16 {
        let bits = w.add(row) as *const __m128i;
        (
            widen_bf16(_mm_load_si128(bits)),
            widen_bf16(_mm_load_si128(bits.add(1))),
        )
    } else {
        let values = w.add(row) as *const f32;
        (_mm256_load_ps(values), _mm256_load_ps(values.add(8)))
    }
}

/// [`tile_int8`] for `rows` rows (1..=6), with more independent sums when rows are few.
///
/// # Safety
/// As [`tile`].
pub(super) unsafe fn tile_int8_rows(t: &Tile, w: &[PanelRowInt8], s: &[f32; PANEL], rows: usize) {
    match rows {
        1 => tile_int8::<1, 4>(t, w, s),
        2 => tile_int8::<2, 2>(t, w, s),
        3 => tile_int8::<3, 1>(t, w, s),
        4 => tile_int8::<4, 1>(t, w, s),
        5 => tile_int8::<5, 1>(t, w, s),
        _ => tile_int8::<6, 1>(t, w, s),
    }
}

/// [`tile_int8_pairs`] for `rows` rows (1..=6).
///
/// # Safety
/// As [`tile_int8_pairs`].
pub(super) unsafe fn tile_int8_pairs_rows(
    t: &Tile,
    w: &[PanelPair],
    s: &[f32; PANEL],
    rows: usize,
) {
    match rows {
        1 => tile_int8_pairs::<1>(t, w, s),
        2 => tile_int8_pairs::<2>(t, w, s),
        3 => tile_int8_pairs::<3>(t, w, s),
        4 => tile_int8_pairs::<4>(t, w, s),
        5 => tile_int8_pairs::<5>(t, w, s),
        _ => tile_int8_pairs::<6>(t, w, s),
    }
}

/// `ROWS × PANEL` outputs held in `2·ROWS` registers while the inner dimension is walked.
///
/// # Safety
/// The CPU has AVX2 and FMA; `tile` satisfies [`super::Kernel::tile`]'s contract.
#[target_feature(enable = "avx2,fma")]
unsafe fn tile<const ROWS: usize, R: FloatPanelRow>(tile: &Tile, weights: &[R]) {
    let inp = tile.inp;
    debug_assert!(tile.a.len() >= ROWS * inp && weights.len() >= inp);
    let mut lo = [_mm256_setzero_ps(); ROWS];
    let mut hi = [_mm256_setzero_ps(); ROWS];
    let a = tile.a.as_ptr();
    let w = weights.as_ptr();
    // The loop is written twice so that the prefetch choice stays out of the hot loop. The next
    // panel goes to L2 (T1): fetched into L1 it evicted the panel this block's other tiles still
    // read, which cost a Zen 4 a third of its 16-row speed (notes/perf.md, change X).
    if tile.next.is_null() {
        for k in 0..inp {
            let (w_lo, w_hi) = load_row(w, k);
            for i in 0..ROWS {
                let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
                lo[i] = _mm256_fmadd_ps(x, w_lo, lo[i]);
                hi[i] = _mm256_fmadd_ps(x, w_hi, hi[i]);
            }
        }
    } else {
        for k in 0..inp {
            _mm_prefetch::<_MM_HINT_T1>(tile.next.wrapping_add(k * size_of::<R>()) as *const i8);
            let (w_lo, w_hi) = load_row(w, k);
            for i in 0..ROWS {
                let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
                lo[i] = _mm256_fmadd_ps(x, w_lo, lo[i]);
                hi[i] = _mm256_fmadd_ps(x, w_hi, hi[i]);
            }
        }
    }
    let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
    let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
    for i in 0..ROWS {
        let y_lo = activate(_mm256_add_ps(lo[i], b_lo), tile.epilogue);
        let y_hi = activate(_mm256_add_ps(hi[i], b_hi), tile.epilogue);
        let out = tile.out.add(i * tile.out_stride);
        _mm256_storeu_ps(out, y_lo);
        _mm256_storeu_ps(out.add(8), y_hi);
    }
}

/// One activation row against one panel (matrix-vector products: batch 1). The inner
/// dimension is split four ways so that four independent chains of multiply-adds hide the
/// FMA latency; the partial sums are added at the end.
///
/// # Safety
/// As [`tile`].
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_one_row<R: FloatPanelRow>(tile: &Tile, weights: &[R]) {
    let inp = tile.inp;
    debug_assert!(tile.a.len() >= inp && weights.len() >= inp);
    let a = tile.a.as_ptr();
    let w = weights.as_ptr();
    let mut lo = [_mm256_setzero_ps(); 4];
    let mut hi = [_mm256_setzero_ps(); 4];
    let unrolled = inp - inp % 4;
    for k in (0..unrolled).step_by(4) {
        for u in 0..4 {
            let x = _mm256_broadcast_ss(&*a.add(k + u));
            let (w_lo, w_hi) = load_row(w, k + u);
            lo[u] = _mm256_fmadd_ps(x, w_lo, lo[u]);
            hi[u] = _mm256_fmadd_ps(x, w_hi, hi[u]);
        }
    }
    for k in unrolled..inp {
        let x = _mm256_broadcast_ss(&*a.add(k));
        let (w_lo, w_hi) = load_row(w, k);
        lo[0] = _mm256_fmadd_ps(x, w_lo, lo[0]);
        hi[0] = _mm256_fmadd_ps(x, w_hi, hi[0]);
    }
    let sum = |v: [__m256; 4]| _mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3]));
    let y_lo = _mm256_add_ps(sum(lo), _mm256_loadu_ps(tile.bias.as_ptr()));
    let y_hi = _mm256_add_ps(sum(hi), _mm256_loadu_ps(tile.bias.as_ptr().add(8)));
    _mm256_storeu_ps(tile.out, activate(y_lo, tile.epilogue));
    _mm256_storeu_ps(tile.out.add(8), activate(y_hi, tile.epilogue));
}

/// [`tile`] for 8-bit weights: each panel row is widened to f32 once and used for every row
/// of the tile; the column scales are applied before the bias.
///
/// # Safety
/// As [`tile`].
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_int8<const ROWS: usize, const CHAINS: usize>(
    tile: &Tile,
    weights: &[PanelRowInt8],
    scales: &[f32; PANEL],
) {
    let inp = tile.inp;
    debug_assert!(tile.a.len() >= ROWS * inp && weights.len() >= inp);
    // `CHAINS` independent sums per accumulator (over alternate k) hide the FMA latency
    // when the tile has few rows.
    let mut lo = [[_mm256_setzero_ps(); ROWS]; CHAINS];
    let mut hi = [[_mm256_setzero_ps(); ROWS]; CHAINS];
    let a = tile.a.as_ptr();
    let w = weights.as_ptr() as *const i8;
    let widen = |k: usize| {
        let bytes = _mm_load_si128(w.add(k * PANEL) as *const __m128i);
        (
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(bytes, bytes))),
        )
    };
    let unrolled = inp - inp % CHAINS;
    for k in (0..unrolled).step_by(CHAINS) {
        if !tile.next.is_null() {
            _mm_prefetch::<_MM_HINT_T0>(tile.next.wrapping_add(k * PANEL) as *const i8);
        }
        for c in 0..CHAINS {
            let (w_lo, w_hi) = widen(k + c);
            for i in 0..ROWS {
                let x = _mm256_broadcast_ss(&*a.add(i * inp + k + c));
                lo[c][i] = _mm256_fmadd_ps(x, w_lo, lo[c][i]);
                hi[c][i] = _mm256_fmadd_ps(x, w_hi, hi[c][i]);
            }
        }
    }
    for k in unrolled..inp {
        let (w_lo, w_hi) = widen(k);
        for i in 0..ROWS {
            let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
            lo[0][i] = _mm256_fmadd_ps(x, w_lo, lo[0][i]);
            hi[0][i] = _mm256_fmadd_ps(x, w_hi, hi[0][i]);
        }
    }
    let s_lo = _mm256_loadu_ps(scales.as_ptr());
    let s_hi = _mm256_loadu_ps(scales.as_ptr().add(8));
    let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
    let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
    for i in 0..ROWS {
        let (mut sum_lo, mut sum_hi) = (lo[0][i], hi[0][i]);
        for c in 1..CHAINS {
            sum_lo = _mm256_add_ps(sum_lo, lo[c][i]);
            sum_hi = _mm256_add_ps(sum_hi, hi[c][i]);
        }
        let y_lo = activate(_mm256_fmadd_ps(sum_lo, s_lo, b_lo), tile.epilogue);
        let y_hi = activate(_mm256_fmadd_ps(sum_hi, s_hi, b_hi), tile.epilogue);
        let out = tile.out.add(i * tile.out_stride);
        _mm256_storeu_ps(out, y_lo);
        _mm256_storeu_ps(out.add(8), y_hi);
    }
}

/// [`tile`] for 8-bit weights in pairs of steps and 13-bit activations: per pair of steps,
/// the panel's 32 weights are widened to 16 bits once, and each row's two activations
/// (broadcast as one 32-bit lane) multiply them in `vpmaddwd`, which sums each column's two
/// products into 32 bits. Exact integer sums; the scales are applied at the end.
///
/// # Safety
/// As [`tile`]; `tile` carries 13-bit rows and `inp` ≤ `MAX_PAIRS_INP`.
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_int8_pairs<const ROWS: usize>(
    tile: &Tile,
    pairs: &[PanelPair],
    scales: &[f32; PANEL],
) {
    let q = tile
        .rows16
        .expect("int8 pair weights come with 13-bit rows");
    debug_assert!(q.values.len() >= ROWS * q.stride && pairs.len() * 2 >= q.stride);
    let mut lo = [_mm256_setzero_si256(); ROWS];
    let mut hi = [_mm256_setzero_si256(); ROWS];
    let a = q.values.as_ptr();
    for (g, pair) in pairs.iter().enumerate() {
        if !tile.next.is_null() {
            _mm_prefetch::<_MM_HINT_T0>(tile.next.wrapping_add(g * 2 * PANEL) as *const i8);
        }
        let bytes = _mm256_load_si256(pair.0.as_ptr() as *const __m256i);
        let w_lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(bytes));
        let w_hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256::<1>(bytes));
        for i in 0..ROWS {
            let two = (a.add(i * q.stride + 2 * g) as *const i32).read_unaligned();
            let x = _mm256_set1_epi32(two);
            lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(x, w_lo));
            hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(x, w_hi));
        }
    }
    let s_lo = _mm256_loadu_ps(scales.as_ptr());
    let s_hi = _mm256_loadu_ps(scales.as_ptr().add(8));
    let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
    let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
    for i in 0..ROWS {
        let row_scale = _mm256_set1_ps(q.scales[i]);
        let sum_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(lo[i]), row_scale);
        let sum_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(hi[i]), row_scale);
        let y_lo = activate(_mm256_fmadd_ps(sum_lo, s_lo, b_lo), tile.epilogue);
        let y_hi = activate(_mm256_fmadd_ps(sum_hi, s_hi, b_hi), tile.epilogue);
        let out = tile.out.add(i * tile.out_stride);
        _mm256_storeu_ps(out, y_lo);
        _mm256_storeu_ps(out.add(8), y_hi);
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn activate(v: __m256, epilogue: Epilogue) -> __m256 {
    match epilogue {
        Epilogue::Bias => v,
        Epilogue::BiasRelu => _mm256_max_ps(v, _mm256_setzero_ps()),
        Epilogue::BiasSilu => {
            let one = _mm256_set1_ps(1.0);
            let e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), v));
            _mm256_div_ps(v, _mm256_add_ps(one, e))
        }
    }
}
