//! The portable kernel: plain loops over the packed layouts, for CPUs without AVX2 and as the
//! reference the vector kernels are tested against.

use super::{Epilogue, Tile, Weights, PANEL};

/// A tile in plain loops (every weight layout).
///
/// # Safety
/// As [`super::Kernel::tile`].
pub(super) unsafe fn tile(tile: &Tile, rows: usize) {
    match tile.weights {
        Weights::F32(weights) => return float_tile(tile, rows, weights, |w| w.0),
        Weights::Bf16(weights) => {
            return float_tile(tile, rows, weights, |w| w.0.map(super::bf16::widen))
        }
        _ => {}
    }
    let inp = tile.inp;
    for i in 0..rows {
        let mut acc = [0f32; PANEL];
        let a = &tile.a[i * inp..(i + 1) * inp];
        match tile.weights {
            Weights::F32(_) | Weights::Bf16(_) => unreachable!("handled above"),
            Weights::Int8(weights, scales) => {
                for (&x, w) in a.iter().zip(weights) {
                    for (acc, &w) in acc.iter_mut().zip(&w.0) {
                        *acc = x.mul_add(w as f32, *acc);
                    }
                }
                for (acc, scale) in acc.iter_mut().zip(scales) {
                    *acc *= scale;
                }
            }
            Weights::Int8Dot(quads, scales, offsets) => {
                let q = tile
                    .quantized
                    .expect("int8 dot weights come with quantized rows");
                let dot = |values: &[u8]| {
                    let row = &values[i * q.stride..(i + 1) * q.stride];
                    let mut sums = [0i32; PANEL];
                    for (group, quad) in row.chunks(4).zip(quads) {
                        for (j, sum) in sums.iter_mut().enumerate() {
                            for (t, &a) in group.iter().enumerate() {
                                *sum += a as i32 * quad.0[j * 4 + t] as i32;
                            }
                        }
                    }
                    sums
                };
                let (coarse, fine) = (dot(q.coarse), dot(q.fine));
                for (j, a) in acc.iter_mut().enumerate() {
                    let coarse = (coarse[j] - offsets[j]) as f32 * q.coarse_scales[i];
                    let fine = (fine[j] - offsets[j]) as f32 * q.fine_scales[i];
                    *a = (coarse + fine) * scales[j];
                }
            }
            Weights::Int8Pairs(pairs, scales) => {
                let q = tile
                    .rows16
                    .expect("int8 pair weights come with 13-bit rows");
                let row = &q.values[i * q.stride..(i + 1) * q.stride];
                let mut sums = [0i32; PANEL];
                for (two, pair) in row.chunks(2).zip(pairs) {
                    for (j, sum) in sums.iter_mut().enumerate() {
                        *sum += two[0] as i32 * pair.0[j * 2] as i32
                            + two[1] as i32 * pair.0[j * 2 + 1] as i32;
                    }
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = sums[j] as f32 * q.scales[i] * scales[j];
                }
            }
        }
        for (j, value) in acc.iter().enumerate() {
            *tile.out.add(i * tile.out_stride + j) = activate(value + tile.bias[j], tile.epilogue);
        }
    }
}

/// A tile of f32 weights, or of others widened to f32 by `widen`, one or more panels: one after
/// the other, each like a tile of its own.
///
/// # Safety
/// As [`super::Kernel::tile`].
unsafe fn float_tile<R>(
    tile: &Tile,
    rows: usize,
    weights: &[R],
    widen: impl Fn(&R) -> [f32; PANEL],
) {
    for (c, panel) in weights.chunks(tile.inp).enumerate() {
        for i in 0..rows {
            let a = &tile.a[i * tile.inp..(i + 1) * tile.inp];
            let mut acc = [0f32; PANEL];
            for (&x, w) in a.iter().zip(panel) {
                for (acc, w) in acc.iter_mut().zip(widen(w)) {
                    *acc = x.mul_add(w, *acc);
                }
            }
            for (j, value) in acc.iter().enumerate() {
                let column = c * PANEL + j;
                *tile.out.add(i * tile.out_stride + column) =
                    activate(value + tile.bias[column], tile.epilogue);
            }
        }
    }
}

/// The epilogue on one value (the portable kernel's, and the reference for the vector one).
pub(crate) fn activate(value: f32, epilogue: Epilogue) -> f32 {
    match epilogue {
        Epilogue::Bias => value,
        Epilogue::BiasSilu => value / (1.0 + (-value).exp()),
        Epilogue::BiasRelu => value.max(0.0),
    }
}
