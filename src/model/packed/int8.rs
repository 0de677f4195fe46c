//! The opt-in int8 path: 8-bit weights with one scale per output, and the activations quantized
//! at each product for the integer kernels (see `notes/perf.md`, "The opt-in int8 path").
//!
//! Three layouts, chosen at packing time by the process's instruction-set decision:
//! * `Int8Dot` (AVX-512 VNNI): weights in groups of four steps, activations in two 8-bit levels
//!   ([`QuantizedRows`]), multiplied in `vpdpbusd`;
//! * `Int8Pairs` (AVX2): weights in pairs of steps, activations in 13 bits ([`Rows16`]),
//!   multiplied in `vpmaddwd`;
//! * `Int8` (portable): weights widened to f32 in the kernel.

use super::{pages, PackedMatrix, PanelPair, PanelQuad, PanelRowInt8, Panels, PANEL};
use crate::cpu::KernelPath;
use rayon::prelude::*;

impl PackedMatrix {
    /// Packs `weights` (row-major `out × inp`) as 8-bit integers with one scale per output
    /// (symmetric: the largest magnitude of each row maps to 127). Where the CPU has integer
    /// dot products (AVX-512 VNNI), activations are quantized too, row by row, at each product,
    /// in two 8-bit levels; with AVX2 alone, to 13 bits for 16-bit multiply-adds (inner
    /// dimensions up to [`MAX_PAIRS_INP`]); elsewhere the weights are widened to f32.
    pub(crate) fn pack_int8(weights: &[f32], out: usize, inp: usize) -> Self {
        let cpu = crate::cpu::cpu();
        if cpu.int8_dot {
            Self::pack_int8_dot(weights, out, inp)
        } else if cpu.path >= KernelPath::Avx2 && inp <= MAX_PAIRS_INP {
            Self::pack_int8_pairs(weights, out, inp)
        } else {
            Self::pack_int8_widened(weights, out, inp)
        }
    }

    /// One scale per row of `weights`: its largest magnitude over 127.
    fn int8_scales(weights: &[f32], inp: usize) -> Vec<f32> {
        weights
            .par_chunks(inp)
            .map(|row| row.iter().fold(0f32, |m, w| m.max(w.abs())) / 127.0)
            .collect()
    }

    #[inline(always)]
    fn quantize(w: f32, scale: f32) -> i8 {
        // 1.5 · 2^23: adding and subtracting it rounds |v| < 2^22 to the nearest integer (ties
        // to even) in plain arithmetic, without a libm call per weight.
        const ROUND: f32 = 12_582_912.0;
        if scale > 0.0 {
            let v = (w / scale).clamp(-127.0, 127.0);
            // A NaN weight becomes 0, as `as` would make it; unlike `as`, this vectorizes.
            let v = if v.is_nan() { 0.0 } else { (v + ROUND) - ROUND };
            // SAFETY: finite and within ±127.
            unsafe { v.to_int_unchecked::<i32>() as i8 }
        } else {
            0
        }
    }

    /// [`Self::quantize`] over one row of weights, into `out`.
    fn quantize_weight_row(row: &[f32], scale: f32, out: &mut [i8]) {
        with_avx2(
            #[inline(always)]
            || {
                for (q, &w) in out.iter_mut().zip(row) {
                    *q = Self::quantize(w, scale);
                }
            },
        )
    }

    /// Quantizes `weights` (row-major `out × inp`) row by row and lays the 8-bit values out in
    /// panels of `per_panel` blocks each, starting from `empty` blocks (zero padding):
    /// `place(panel, j, q)` stores the weights `q` of column `j` of the panel, step by step.
    /// Returns the blocks and the scale of each row.
    fn pack_int8_blocks<B: Copy + Send + Sync>(
        weights: &[f32],
        out: usize,
        inp: usize,
        per_panel: usize,
        empty: B,
        place: impl Fn(&mut [B], usize, &[i8]) + Sync,
    ) -> (pages::Pages<B>, Vec<f32>) {
        assert_eq!(weights.len(), out * inp, "weights must be out × inp");
        let scales = Self::int8_scales(weights, inp);
        let mut blocks = pages::Pages::filled(out.div_ceil(PANEL) * per_panel, empty);
        blocks.par_chunks_mut(per_panel).enumerate().for_each_init(
            || vec![0i8; inp],
            |quantized, (p, panel)| {
                for j in 0..PANEL.min(out - p * PANEL) {
                    let column = p * PANEL + j;
                    let row = &weights[column * inp..][..inp];
                    Self::quantize_weight_row(row, scales[column], quantized);
                    place(panel, j, quantized);
                }
            },
        );
        (blocks, scales)
    }

    /// [`Self::pack_int8`] for integer dot products.
    pub(super) fn pack_int8_dot(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelQuad([0; 4 * PANEL]);
        let (quads, scales) =
            Self::pack_int8_blocks(weights, out, inp, inp.div_ceil(4), empty, |panel, j, q| {
                place_in_groups::<4, _>(panel, j, q, |quad| &mut quad.0)
            });
        let offsets = weights
            .par_chunks(inp)
            .zip(&scales)
            .map(|(row, &scale)| {
                row.iter()
                    .map(|&w| 128 * Self::quantize(w, scale) as i32)
                    .sum()
            })
            .collect();
        Self {
            out,
            inp,
            panels: Panels::Int8Dot {
                quads,
                scales,
                offsets,
            },
        }
    }

    /// [`Self::pack_int8`] for 16-bit multiply-adds.
    pub(super) fn pack_int8_pairs(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelPair([0; 2 * PANEL]);
        let (pairs, scales) =
            Self::pack_int8_blocks(weights, out, inp, inp.div_ceil(2), empty, |panel, j, q| {
                place_in_groups::<2, _>(panel, j, q, |pair| &mut pair.0)
            });
        Self {
            out,
            inp,
            panels: Panels::Int8Pairs { pairs, scales },
        }
    }

    /// [`Self::pack_int8`] for widening to f32.
    pub(super) fn pack_int8_widened(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelRowInt8([0; PANEL]);
        let (panels, scales) =
            Self::pack_int8_blocks(weights, out, inp, inp, empty, |panel, j, q| {
                for (row, &value) in panel.iter_mut().zip(q) {
                    row.0[j] = value;
                }
            });
        Self {
            out,
            inp,
            panels: Panels::Int8 { panels, scales },
        }
    }

    /// Row `r` of quantized weights, dequantized, appended to `into`.
    pub(super) fn quantized_row_into(&self, panels: &Panels, r: usize, into: &mut Vec<f32>) {
        let start = (r / PANEL) * self.inp;
        match panels {
            Panels::F32(_) | Panels::Bf16(_) => unreachable!("float rows are read directly"),
            Panels::Int8 { panels, scales } => into.extend(
                panels[start..][..self.inp]
                    .iter()
                    .map(|row| row.0[r % PANEL] as f32 * scales[r]),
            ),
            Panels::Int8Dot { quads, scales, .. } => {
                let quads = &quads[(r / PANEL) * self.inp.div_ceil(4)..];
                into.extend(
                    (0..self.inp)
                        .map(|k| quads[k / 4].0[(r % PANEL) * 4 + k % 4] as f32 * scales[r]),
                )
            }
            Panels::Int8Pairs { pairs, scales } => {
                let pairs = &pairs[(r / PANEL) * self.inp.div_ceil(2)..];
                into.extend(
                    (0..self.inp)
                        .map(|k| pairs[k / 2].0[(r % PANEL) * 2 + k % 2] as f32 * scales[r]),
                )
            }
        }
    }
}

/// Places the quantized steps `q` of column `j` into `panel`, whose blocks hold `N` consecutive
/// steps of every column (`values(block)`: column 0's `N` steps, then column 1's, …): whole
/// groups in fixed-size moves, then the last, zero-padded one.
fn place_in_groups<const N: usize, B>(
    panel: &mut [B],
    j: usize,
    q: &[i8],
    values: impl Fn(&mut B) -> &mut [i8],
) {
    let groups = q.chunks_exact(N);
    let last = groups.remainder();
    for (block, steps) in panel.iter_mut().zip(groups) {
        let steps: [i8; N] = steps.try_into().expect("groups of N steps");
        values(block)[j * N..][..N].copy_from_slice(&steps);
    }
    if !last.is_empty() {
        values(&mut panel[q.len() / N])[j * N..][..last.len()].copy_from_slice(last);
    }
}

/// Activation rows quantized for integer dot products, in two levels: a coarse one, and a fine
/// one for what the coarse one leaves out, so that
/// `x[i][k] ≈ coarse_scale[i] · (coarse[i][k] − 128) + fine_scale[i] · (fine[i][k] − 128)`.
///
/// One level (8 bits per row, scaled to the row's largest magnitude) moved too many of the
/// fixture's greedy tokens (86 % agreement with f32); the second level makes the activations
/// about 15-bit precise for a second dot product per step, still half the cost of f32
/// multiply-adds. Rows are padded with 128 (zero) to a multiple of four steps.
pub(super) struct QuantizedRows {
    pub(super) coarse: Vec<u8>,
    pub(super) fine: Vec<u8>,
    pub(super) stride: usize,
    pub(super) coarse_scales: Vec<f32>,
    pub(super) fine_scales: Vec<f32>,
}

/// Runs `build` compiled for AVX2 where the CPU has it, so that the loops it inlines vectorize.
/// `build` must be an `#[inline(always)]` closure: otherwise LLVM compiles it on its own, for the
/// baseline CPU (notes/perf.md, change J).
#[inline(always)]
fn with_avx2<T>(build: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::has_avx2() {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn compiled_for_avx2<T>(build: impl FnOnce() -> T) -> T {
            build()
        }
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { compiled_for_avx2(build) };
    }
    build()
}

/// The largest magnitude in `row`, or `None` if it holds a NaN or an infinity.
///
/// Eight lanes over whole chunks of eight, so that the loop runs in registers: with partial
/// chunks LLVM kept the lanes on the stack, and this scan was half of the activations'
/// quantization (notes/perf.md, change R). Non-finite values are found by `v · 0`, which is 0
/// for every finite `v` and NaN otherwise, summed per lane.
#[inline(always)]
fn finite_max_abs(row: &[f32]) -> Option<f32> {
    let mut lanes = [0f32; 8];
    let mut probe = [0f32; 8];
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        let chunk: &[f32; 8] = chunk.try_into().expect("chunks of eight");
        for l in 0..8 {
            let v = chunk[l].abs();
            lanes[l] = if v > lanes[l] { v } else { lanes[l] };
            probe[l] += chunk[l] * 0.0;
        }
    }
    for (l, &v) in tail.iter().enumerate() {
        lanes[l] = if v.abs() > lanes[l] {
            v.abs()
        } else {
            lanes[l]
        };
        probe[l] += v * 0.0;
    }
    let max = lanes.iter().fold(0f32, |m, &v| if v > m { v } else { m });
    let finite = probe.iter().sum::<f32>() == 0.0;
    (finite && max.is_finite()).then_some(max)
}

/// `limit / max`, which maps a row whose largest magnitude is `max` onto ±`limit`, or `None` when
/// the row counts as zero: `max` is 0, or so small (below ~1e-35) that the factor overflows, and
/// 0 · ∞ would give a NaN, which `to_int_unchecked` must not see.
#[inline(always)]
fn scaling(limit: f32, max: f32) -> Option<f32> {
    let inverse = limit / max;
    inverse.is_finite().then_some(inverse)
}

/// Quantizes `row` into `out` (symmetric: the largest magnitude maps to 127, then +128) and
/// returns the scale; NaN or infinity gives a NaN scale, which keeps them visible in the output.
#[inline(always)]
fn quantize_row(row: &[f32], out: &mut [u8]) -> f32 {
    let Some(max) = finite_max_abs(row) else {
        return f32::NAN;
    };
    let Some(inverse) = scaling(127.0, max) else {
        return 0.0;
    };
    for (o, &v) in out.iter_mut().zip(row) {
        // In [1.5, 255.5] before truncation: rounds to the nearest step.
        let shifted = (v * inverse + 128.5).clamp(0.0, 255.0);
        // SAFETY: finite (checked above) and within 0..=255 (clamped).
        *o = unsafe { shifted.to_int_unchecked::<i32>() } as u8;
    }
    max / 127.0
}

impl QuantizedRows {
    /// Quantizes the rows of `x` (`inp` values each), in parallel over groups of rows when there
    /// are enough of them ([`rows_per_job`]).
    pub(super) fn new(x: &[f32], inp: usize) -> Self {
        let stride = inp.div_ceil(4) * 4;
        let rows = x.len() / inp;
        let mut coarse = vec![128u8; rows * stride];
        let mut fine = vec![128u8; rows * stride];
        let mut coarse_scales = vec![0f32; rows];
        let mut fine_scales = vec![0f32; rows];
        let build = |x: &[f32],
                     coarse: &mut [u8],
                     fine: &mut [u8],
                     coarse_scales: &mut [f32],
                     fine_scales: &mut [f32]| {
            with_avx2(
                #[inline(always)]
                || Self::build(x, inp, stride, coarse, fine, coarse_scales, fine_scales),
            )
        };
        match rows_per_job(rows, inp) {
            None => build(
                x,
                &mut coarse,
                &mut fine,
                &mut coarse_scales,
                &mut fine_scales,
            ),
            Some(job_rows) => x
                .par_chunks(job_rows * inp)
                .zip(coarse.par_chunks_mut(job_rows * stride))
                .zip(fine.par_chunks_mut(job_rows * stride))
                .zip(coarse_scales.par_chunks_mut(job_rows))
                .zip(fine_scales.par_chunks_mut(job_rows))
                .for_each(|((((x, coarse), fine), coarse_scales), fine_scales)| {
                    build(x, coarse, fine, coarse_scales, fine_scales)
                }),
        }
        Self {
            coarse,
            fine,
            stride,
            coarse_scales,
            fine_scales,
        }
    }

    /// Quantizes the rows of `x` into `coarse`, `fine` and their scales (one group of rows).
    #[inline(always)]
    fn build(
        x: &[f32],
        inp: usize,
        stride: usize,
        coarse: &mut [u8],
        fine: &mut [u8],
        coarse_scales: &mut [f32],
        fine_scales: &mut [f32],
    ) {
        let mut residual = vec![0f32; inp];
        for (i, row) in x.chunks(inp).enumerate() {
            let c = &mut coarse[i * stride..(i + 1) * stride];
            let scale = quantize_row(row, c);
            coarse_scales[i] = scale;
            if !scale.is_finite() || scale == 0.0 {
                continue;
            }
            for ((r, &v), &q) in residual.iter_mut().zip(row).zip(c.iter()) {
                *r = v - scale * (q as f32 - 128.0);
            }
            fine_scales[i] = quantize_row(&residual, &mut fine[i * stride..(i + 1) * stride]);
        }
    }

    pub(super) fn rows(&self, first: usize, count: usize) -> QuantizedTile<'_> {
        let values = first * self.stride..(first + count) * self.stride;
        QuantizedTile {
            coarse: &self.coarse[values.clone()],
            fine: &self.fine[values],
            stride: self.stride,
            coarse_scales: &self.coarse_scales[first..first + count],
            fine_scales: &self.fine_scales[first..first + count],
        }
    }
}

/// Activation values below which a product's rows are quantized on the calling thread alone.
pub(super) const PARALLEL_QUANTIZE_MIN: usize = 1 << 14;

/// Rows per parallel job when quantizing `rows` activation rows of `inp` values: an even share
/// per thread, or `None` (the calling thread alone, without going through rayon) below
/// [`PARALLEL_QUANTIZE_MIN`] values or with one thread. At beam 4 over 16 sentences, quantizing
/// on one thread left the other idle for 5 % of the run (notes/perf.md, change V).
fn rows_per_job(rows: usize, inp: usize) -> Option<usize> {
    let threads = rayon::current_num_threads();
    (rows * inp >= PARALLEL_QUANTIZE_MIN && threads > 1).then(|| rows.div_ceil(threads).max(1))
}

/// Largest inner dimension for [`Panels::Int8Pairs`]: with activations within ±4095 and weights
/// within ±127, a sum of up to 4096 products stays inside `i32` (4096 · 4095 · 127 < 2³¹).
pub(super) const MAX_PAIRS_INP: usize = 4096;

/// Largest magnitude of a 13-bit activation.
pub(super) const ROWS16_MAX: f32 = 4095.0;

/// Activation rows quantized for 16-bit multiply-adds: `x[i][k] ≈ scales[i] · values[i][k]`, the
/// row's largest magnitude mapped to ±4095 (13 bits: 32 times finer than one 8-bit level, and
/// small enough that the `i32` sums cannot overflow, see [`MAX_PAIRS_INP`]). Rows are padded
/// with zeros to an even length.
pub(super) struct Rows16 {
    pub(super) values: Vec<i16>,
    pub(super) stride: usize,
    pub(super) scales: Vec<f32>,
}

impl Rows16 {
    /// Quantizes the rows of `x` (`inp` values each), in parallel over groups of rows when there
    /// are enough of them ([`rows_per_job`]).
    pub(super) fn new(x: &[f32], inp: usize) -> Self {
        let stride = inp.div_ceil(2) * 2;
        let rows = x.len() / inp;
        let mut values = vec![0i16; rows * stride];
        let mut scales = vec![0f32; rows];
        let build = |x: &[f32], values: &mut [i16], scales: &mut [f32]| {
            with_avx2(
                #[inline(always)]
                || Self::build(x, inp, stride, values, scales),
            )
        };
        match rows_per_job(rows, inp) {
            None => build(x, &mut values, &mut scales),
            Some(job_rows) => x
                .par_chunks(job_rows * inp)
                .zip(values.par_chunks_mut(job_rows * stride))
                .zip(scales.par_chunks_mut(job_rows))
                .for_each(|((x, values), scales)| build(x, values, scales)),
        }
        Self {
            values,
            stride,
            scales,
        }
    }

    /// Quantizes the rows of `x` into `values` and `scales` (one group of rows).
    #[inline(always)]
    fn build(x: &[f32], inp: usize, stride: usize, values: &mut [i16], scales: &mut [f32]) {
        // 1.5 · 2^23: adding and subtracting it rounds to the nearest integer (ties to even).
        const ROUND: f32 = 12_582_912.0;
        for (i, row) in x.chunks(inp).enumerate() {
            let Some(max) = finite_max_abs(row) else {
                // NaN or infinity: a NaN scale keeps them visible in the output.
                scales[i] = f32::NAN;
                continue;
            };
            let Some(inverse) = scaling(ROWS16_MAX, max) else {
                continue;
            };
            for (q, &v) in values[i * stride..].iter_mut().zip(row) {
                let scaled = (v * inverse).clamp(-ROWS16_MAX, ROWS16_MAX);
                // SAFETY: finite (checked above) and within ±4095 (clamped); unlike `as`, this
                // conversion vectorizes.
                *q = unsafe { ((scaled + ROUND) - ROUND).to_int_unchecked::<i32>() } as i16;
            }
            scales[i] = max / ROWS16_MAX;
        }
    }

    pub(super) fn rows(&self, first: usize, count: usize) -> Rows16Tile<'_> {
        Rows16Tile {
            values: &self.values[first * self.stride..(first + count) * self.stride],
            stride: self.stride,
            scales: &self.scales[first..first + count],
        }
    }
}

/// The 13-bit rows of one tile.
#[derive(Clone, Copy)]
pub(super) struct Rows16Tile<'a> {
    pub(super) values: &'a [i16],
    pub(super) stride: usize,
    pub(super) scales: &'a [f32],
}

/// The quantized rows of one tile.
#[derive(Clone, Copy)]
pub(super) struct QuantizedTile<'a> {
    pub(super) coarse: &'a [u8],
    pub(super) fine: &'a [u8],
    pub(super) stride: usize,
    pub(super) coarse_scales: &'a [f32],
    pub(super) fine_scales: &'a [f32],
}
