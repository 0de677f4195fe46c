//! The AVX-512 kernels: f32 tiles of up to [`F32_TILE_ROWS`] rows × two panels (one 16-lane
//! register per row and panel), and the integer dot-product kernel (VNNI) for 8-bit weights.
//!
//! Each output is the same chain of multiply-adds along the inner dimension as in the AVX2
//! kernels, lane for lane, so both paths give the same bits; the wider registers halve the
//! instructions per multiply-add and let a tile cover 32 columns, so that each broadcast
//! activation feeds two multiply-adds and each weight load `F32_TILE_ROWS` of them.

use super::int8::QuantizedTile;
use super::{Epilogue, FloatPanelRow, PanelQuad, Tile, PANEL};
use crate::model::simd::exp512;
use std::arch::x86_64::*;

/// Activation rows per f32 tile: 12 rows × 2 panels = 24 accumulators. Measured on a Xeon
/// (Emerald Rapids, `notes/perf.md`, issue 16): the generic tile ran fastest at 5–6 rows and
/// fell to half speed from 7 rows, because LLVM then kept its accumulators in memory; with the
/// tiles of 7 to 12 rows written out (`tile_rows!` below), 8 rows beat 6 by 1.1–1.2× on one thread in
/// every decoder shape, and 12 beat 8 by 3–10 % at 64 rows (beam 4 × 16).
pub(super) const F32_TILE_ROWS: usize = 12;

/// A tile of `rows` rows (1..=F32_TILE_ROWS) against the one or two panels of `weights` (f32,
/// or bf16 widened to f32 as loaded).
///
/// # Safety
/// The CPU has AVX-512 F/BW/VL/DQ, AVX2 and FMA; `tile` satisfies `Kernel::tile`'s contract.
pub(super) unsafe fn tile_f32<R: FloatPanelRow>(t: &Tile, w: &[R], rows: usize) {
    macro_rules! by_rows {
        ($p:literal) => {
            match rows {
                1 => tile_one_row::<$p, R>(t, w),
                2 => tile::<2, $p, R>(t, w),
                3 => tile::<3, $p, R>(t, w),
                4 => tile::<4, $p, R>(t, w),
                5 => tile::<5, $p, R>(t, w),
                6 => tile::<6, $p, R>(t, w),
                7 => tile_rows7::<$p, R>(t, w),
                8 => tile_rows8::<$p, R>(t, w),
                9 => tile_rows9::<$p, R>(t, w),
                10 => tile_rows10::<$p, R>(t, w),
                11 => tile_rows11::<$p, R>(t, w),
                _ => tile_rows12::<$p, R>(t, w),
            }
        };
    }
    if w.len() == 2 * t.inp {
        by_rows!(2)
    } else {
        by_rows!(1)
    }
}

/// Panel row `row` of `w` (16 weights) as f32: loaded, or for bf16 loaded and widened.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn load_row<R: FloatPanelRow>(w: *const R, row: usize) -> __m512 {
    if R::BF16 {
        let half = _mm256_load_si256(w.add(row) as *const __m256i);
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(half)))
    } else {
        _mm512_load_ps(w.add(row) as *const f32)
    }
}

/// `ROWS × (PANELS·16)` outputs held in `ROWS·PANELS` registers while the inner dimension is
/// walked.
///
/// # Safety
/// As [`tile_f32`].
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn tile<const ROWS: usize, const PANELS: usize, R: FloatPanelRow>(
    tile: &Tile,
    weights: &[R],
) {
    let inp = tile.inp;
    debug_assert!(tile.a.len() >= ROWS * inp && weights.len() >= PANELS * inp);
    let mut acc = [[_mm512_setzero_ps(); PANELS]; ROWS];
    let a = tile.a.as_ptr();
    let w = weights.as_ptr();
    // One step of the inner dimension: PANELS weight vectors, one broadcast per row (a macro,
    // not a closure, so that the accumulators stay in registers).
    macro_rules! step {
        ($k:expr) => {{
            let k = $k;
            let mut wk = [_mm512_setzero_ps(); PANELS];
            for (c, wk) in wk.iter_mut().enumerate() {
                *wk = load_row(w, c * inp + k);
            }
            for (i, acc) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*a.add(i * inp + k));
                for (acc, &wk) in acc.iter_mut().zip(&wk) {
                    *acc = _mm512_fmadd_ps(x, wk, *acc);
                }
            }
        }};
    }
    // The loop is written twice so that the prefetch choice stays out of the hot loop: one line
    // of the next block's panel per step.
    if tile.next.is_null() {
        for k in 0..inp {
            step!(k);
        }
    } else {
        for k in 0..inp {
            _mm_prefetch::<_MM_HINT_T1>(tile.next.wrapping_add(k * size_of::<R>()) as *const i8);
            step!(k);
        }
    }
    for c in 0..PANELS {
        let bias = _mm512_loadu_ps(tile.bias.as_ptr().add(c * PANEL));
        for (i, acc) in acc.iter().enumerate() {
            let y = activate(_mm512_add_ps(acc[c], bias), tile.epilogue);
            _mm512_storeu_ps(tile.out.add(i * tile.out_stride + c * PANEL), y);
        }
    }
}

/// Defines `$name`: [`tile`] for `$n` rows with every row's statements written out. In the
/// generic tile LLVM keeps the accumulators of more than six rows in memory (the row loop is not
/// unrolled), which halved its speed (notes/perf.md, stop 21).
macro_rules! tile_rows {
    ($name:ident, $n:literal, $($i:literal)*) => {
        /// # Safety
        /// As [`tile_f32`].
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
        unsafe fn $name<const PANELS: usize, R: FloatPanelRow>(tile: &Tile, weights: &[R]) {
            let inp = tile.inp;
            debug_assert!(tile.a.len() >= $n * inp && weights.len() >= PANELS * inp);
            let a = tile.a.as_ptr();
            let w = weights.as_ptr();
            let mut acc = [[_mm512_setzero_ps(); PANELS]; $n];
            // As in `tile`: the same multiply-adds in the same order, so the same bits.
            macro_rules! step {
                ($k:expr) => {{
                    let k = $k;
                    let w0 = load_row(w, k);
                    let w1 = if PANELS == 2 {
                        load_row(w, inp + k)
                    } else {
                        w0
                    };
                    $(
                        let x = _mm512_set1_ps(*a.add($i * inp + k));
                        acc[$i][0] = _mm512_fmadd_ps(x, w0, acc[$i][0]);
                        if PANELS == 2 {
                            acc[$i][PANELS - 1] = _mm512_fmadd_ps(x, w1, acc[$i][PANELS - 1]);
                        }
                    )*
                }};
            }
            if tile.next.is_null() {
                for k in 0..inp {
                    step!(k);
                }
            } else {
                for k in 0..inp {
                    let line = tile.next.wrapping_add(k * size_of::<R>());
                    _mm_prefetch::<_MM_HINT_T1>(line as *const i8);
                    step!(k);
                }
            }
            let bias0 = _mm512_loadu_ps(tile.bias.as_ptr());
            let bias1 = _mm512_loadu_ps(tile.bias.as_ptr().add((PANELS - 1) * PANEL));
            $(
                let out = tile.out.add($i * tile.out_stride);
                let y = _mm512_add_ps(acc[$i][0], bias0);
                _mm512_storeu_ps(out, activate(y, tile.epilogue));
                if PANELS == 2 {
                    let y = _mm512_add_ps(acc[$i][PANELS - 1], bias1);
                    _mm512_storeu_ps(out.add(PANEL), activate(y, tile.epilogue));
                }
            )*
        }
    };
}

tile_rows!(tile_rows7, 7, 0 1 2 3 4 5 6);
tile_rows!(tile_rows8, 8, 0 1 2 3 4 5 6 7);
tile_rows!(tile_rows9, 9, 0 1 2 3 4 5 6 7 8);
tile_rows!(tile_rows10, 10, 0 1 2 3 4 5 6 7 8 9);
tile_rows!(tile_rows11, 11, 0 1 2 3 4 5 6 7 8 9 10);
tile_rows!(tile_rows12, 12, 0 1 2 3 4 5 6 7 8 9 10 11);

/// One activation row against one or two panels (matrix-vector products: batch 1). The inner
/// dimension is split four ways, as in the AVX2 kernel, so that four independent chains of
/// multiply-adds hide the FMA latency; the partial sums are added at the end in the same order.
///
/// # Safety
/// As [`tile_f32`].
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
unsafe fn tile_one_row<const PANELS: usize, R: FloatPanelRow>(tile: &Tile, weights: &[R]) {
    let inp = tile.inp;
    debug_assert!(tile.a.len() >= inp && weights.len() >= PANELS * inp);
    let a = tile.a.as_ptr();
    let w = weights.as_ptr();
    let mut acc = [[_mm512_setzero_ps(); 4]; PANELS];
    let unrolled = inp - inp % 4;
    for k in (0..unrolled).step_by(4) {
        for u in 0..4 {
            let x = _mm512_set1_ps(*a.add(k + u));
            for (c, acc) in acc.iter_mut().enumerate() {
                let wk = load_row(w, c * inp + k + u);
                acc[u] = _mm512_fmadd_ps(x, wk, acc[u]);
            }
        }
    }
    for k in unrolled..inp {
        let x = _mm512_set1_ps(*a.add(k));
        for (c, acc) in acc.iter_mut().enumerate() {
            acc[0] = _mm512_fmadd_ps(x, load_row(w, c * inp + k), acc[0]);
        }
    }
    for (c, v) in acc.iter().enumerate() {
        let sum = _mm512_add_ps(_mm512_add_ps(v[0], v[1]), _mm512_add_ps(v[2], v[3]));
        let y = _mm512_add_ps(sum, _mm512_loadu_ps(tile.bias.as_ptr().add(c * PANEL)));
        _mm512_storeu_ps(tile.out.add(c * PANEL), activate(y, tile.epilogue));
    }
}

/// [`tile_int8_dot_rows`] for `rows` rows (1..=6) against the one or two panels of `quads`.
///
/// # Safety
/// As [`tile_int8_dot_rows`].
pub(super) unsafe fn tile_int8_dot(
    t: &Tile,
    quads: &[PanelQuad],
    scales: &[f32],
    offsets: &[i32],
    rows: usize,
) {
    macro_rules! by_rows {
        ($p:literal) => {
            match rows {
                1 => tile_int8_dot_rows::<1, $p>(t, quads, scales, offsets),
                2 => tile_int8_dot_rows::<2, $p>(t, quads, scales, offsets),
                3 => tile_int8_dot_rows::<3, $p>(t, quads, scales, offsets),
                4 => tile_int8_dot_rows::<4, $p>(t, quads, scales, offsets),
                5 => tile_int8_dot_rows::<5, $p>(t, quads, scales, offsets),
                _ => tile_int8_dot_rows::<6, $p>(t, quads, scales, offsets),
            }
        };
    }
    if quads.len() == 2 * t.inp.div_ceil(4) {
        by_rows!(2)
    } else {
        by_rows!(1)
    }
}

/// `ROWS × (PANELS·16)` outputs, two 16-lane integer accumulators per row and panel (coarse and
/// fine activations): each `vpdpbusd` adds four steps of one row (broadcast) times four steps of
/// 16 columns, and each broadcast feeds `PANELS` of them.
///
/// # Safety
/// The CPU has AVX-512 F/BW/VNNI and AVX2/FMA; `tile` satisfies `Kernel::tile`'s contract
/// and carries quantized rows; `quads` holds `PANELS` panels.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
unsafe fn tile_int8_dot_rows<const ROWS: usize, const PANELS: usize>(
    tile: &Tile,
    quads: &[PanelQuad],
    scales: &[f32],
    offsets: &[i32],
) {
    let q = tile
        .quantized
        .expect("int8 dot weights come with quantized rows");
    let per_panel = quads.len() / PANELS;
    debug_assert!(q.coarse.len() >= ROWS * q.stride && per_panel * 4 >= q.stride);
    debug_assert!(scales.len() >= PANELS * PANEL && offsets.len() >= PANELS * PANEL);
    let mut coarse = [[_mm512_setzero_si512(); PANELS]; ROWS];
    let mut fine = [[_mm512_setzero_si512(); PANELS]; ROWS];
    let (c, f) = (q.coarse.as_ptr(), q.fine.as_ptr());
    let w = quads.as_ptr();
    for g in 0..per_panel {
        let mut wg = [_mm512_setzero_si512(); PANELS];
        for (p, wg) in wg.iter_mut().enumerate() {
            if !tile.next.is_null() {
                let line = tile.next.wrapping_add((p * per_panel + g) * 4 * PANEL) as *const i8;
                // Two panels (16 KB at 512 steps) and the next two no longer sit in a 32 KB L1
                // together: the next block goes to L2 (notes/perf.md, change Z).
                if PANELS == 1 {
                    _mm_prefetch::<_MM_HINT_T0>(line);
                } else {
                    _mm_prefetch::<_MM_HINT_T1>(line);
                }
            }
            *wg = _mm512_load_si512(w.add(p * per_panel + g) as *const __m512i);
        }
        for i in 0..ROWS {
            let at = i * q.stride + 4 * g;
            let four = _mm512_set1_epi32((c.add(at) as *const i32).read_unaligned());
            for (acc, &wg) in coarse[i].iter_mut().zip(&wg) {
                *acc = _mm512_dpbusd_epi32(*acc, four, wg);
            }
            let four = _mm512_set1_epi32((f.add(at) as *const i32).read_unaligned());
            for (acc, &wg) in fine[i].iter_mut().zip(&wg) {
                *acc = _mm512_dpbusd_epi32(*acc, four, wg);
            }
        }
    }
    for i in 0..ROWS {
        for p in 0..PANELS {
            store_int8_dot_row(tile, &q, i, p, coarse[i][p], fine[i][p], scales, offsets);
        }
    }
}

/// Writes output row `i`, panel `panel` of an int8 dot-product tile from its integer sums over
/// the coarse and the fine activations: undoes the activations' +128, scales, adds the bias,
/// applies the epilogue. Shared by the VNNI and the AMX kernels, so that equal sums give equal
/// bits.
///
/// # Safety
/// The CPU has AVX-512 F/BW, AVX2 and FMA; `tile.out` is valid for row `i`'s columns of
/// `panel`.
#[inline]
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
pub(super) unsafe fn store_int8_dot_row(
    tile: &Tile,
    q: &QuantizedTile,
    i: usize,
    panel: usize,
    coarse: __m512i,
    fine: __m512i,
    scales: &[f32],
    offsets: &[i32],
) {
    let columns = panel * PANEL..(panel + 1) * PANEL;
    let (scales, offsets) = (&scales[columns.clone()], &offsets[columns.clone()]);
    let bias = &tile.bias[columns];
    let offset = _mm512_loadu_si512(offsets.as_ptr() as *const __m512i);
    let to_f32 = |acc| _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, offset));
    let sums = _mm512_fmadd_ps(
        to_f32(fine),
        _mm512_set1_ps(q.fine_scales[i]),
        _mm512_mul_ps(to_f32(coarse), _mm512_set1_ps(q.coarse_scales[i])),
    );
    let y = _mm512_fmadd_ps(
        sums,
        _mm512_loadu_ps(scales.as_ptr()),
        _mm512_loadu_ps(bias.as_ptr()),
    );
    _mm512_storeu_ps(
        tile.out.add(i * tile.out_stride + panel * PANEL),
        activate(y, tile.epilogue),
    );
}

/// The epilogue on 16 lanes: the same operations as the AVX2 kernels' on 8.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn activate(v: __m512, epilogue: Epilogue) -> __m512 {
    match epilogue {
        Epilogue::Bias => v,
        Epilogue::BiasRelu => _mm512_max_ps(v, _mm512_setzero_ps()),
        Epilogue::BiasSilu => {
            let e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), v));
            _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0), e))
        }
    }
}
