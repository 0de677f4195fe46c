//! Fused CPU versions of the small operations around the matrix products.
//!
//! Built from candle's element-wise operations, `LayerNorm(x + residual)` is eight tensors
//! allocated and eight passes, and the attention of one decoder step is two batched matmuls of
//! `rows × heads` tiny products each — thousands of calls per step, whose dispatch costs more
//! than their arithmetic. On CPU these run here as plain loops over the tensors' memory, one pass
//! per row; on other devices the callers keep candle's operations.
//!
//! The arithmetic is the same as the unfused form's (LayerNorm in two passes, softmax shifted by
//! the row maximum), so results differ only by rounding.

use super::attention::{attend_row_on, RowInputs, RowLayout};
use super::linear::cpu_values;
use candle_core::{Storage, Tensor};
use rayon::prelude::*;

/// Work (multiply-adds) below which attention runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 16;

/// Whether the fused path applies: CPU f32 tensors.
pub(crate) fn applies(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == candle_core::DType::F32
}

/// `LayerNorm(x + residual)` over the last dimension (`weight`, `bias` of that size, `eps`).
pub(crate) fn add_layer_norm(
    x: &Tensor,
    residual: &Tensor,
    weight: &[f32],
    bias: &[f32],
    eps: f32,
) -> candle_core::Result<Tensor> {
    if x.shape() != residual.shape() || x.dim(candle_core::D::Minus1)? != weight.len() {
        candle_core::bail!("add_layer_norm: shapes differ");
    }
    let dim = weight.len();
    let mut out = cpu_values(x, |x| x.to_vec())?;
    cpu_values(residual, |residual| {
        for (row, res) in out.chunks_mut(dim).zip(residual.chunks(dim)) {
            for (v, &r) in row.iter_mut().zip(res) {
                *v += r;
            }
            normalize(row, weight, bias, eps);
        }
    })?;
    Tensor::from_vec(out, x.shape(), x.device())
}

/// LayerNorm of one row in place: mean, then the variance of the centred values.
fn normalize(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    for v in row.iter_mut() {
        *v -= mean;
    }
    let variance = sum_squares(row) / n;
    let inv_std = 1.0 / (variance + eps).sqrt();
    for ((v, &w), &b) in row.iter_mut().zip(weight).zip(bias) {
        *v = *v * inv_std * w + b;
    }
}

/// Sum in eight lanes (vectorizes without reassociation).
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

fn sum_squares(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v * v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Where the keys and values of one attention live: tensors `[key rows, heads, capacity, hd]`.
pub(crate) struct KeyValues<'a> {
    pub keys: &'a Tensor,
    pub values: &'a Tensor,
    /// Positions attended to (the first `len` of `capacity`).
    pub len: usize,
    /// Query rows per key row (beams per sentence in cross-attention; 1 in self-attention).
    pub queries_per_key_row: usize,
    /// Additive mask per key row, `[key rows, len]` (padding of the source), if any.
    pub mask: Option<&'a Tensor>,
}

/// Attention of one query per row: `q` `[rows, heads·hd]` (already scaled), returns
/// `[rows, heads·hd]`: for each row and head, softmax(q·Kᵀ + mask)·V over the first `len`
/// positions of the row's key row.
pub(crate) fn attend_one_query(
    q: &Tensor,
    kv: &KeyValues,
    heads: usize,
) -> candle_core::Result<Tensor> {
    let (rows, width) = q.dims2()?;
    let hd = width / heads;
    let (key_rows, kv_heads, capacity, kv_hd) = kv.keys.dims4()?;
    if kv_heads != heads || kv_hd != hd || kv.len > capacity {
        candle_core::bail!("attend_one_query: key/value shape does not match the query");
    }
    if rows.div_ceil(kv.queries_per_key_row) > key_rows || !kv.keys.is_contiguous() {
        candle_core::bail!("attend_one_query: not enough key rows, or keys not contiguous");
    }
    let (k_storage, k_layout) = kv.keys.storage_and_layout();
    let (v_storage, v_layout) = kv.values.storage_and_layout();
    let (Storage::Cpu(k_cpu), Storage::Cpu(v_cpu)) = (&*k_storage, &*v_storage) else {
        candle_core::bail!("attend_one_query: expected CPU tensors");
    };
    let keys = &k_cpu.as_slice::<f32>()?[k_layout.start_offset()..];
    let values = &v_cpu.as_slice::<f32>()?[v_layout.start_offset()..];
    let mask = match kv.mask {
        Some(mask) => Some(cpu_values(mask, |m| m.to_vec())?),
        None => None,
    };
    let mut out = vec![0f32; rows * width];
    let mask = mask.as_deref();
    let path = crate::cpu::path();
    cpu_values(q, |q| {
        let layout = RowLayout {
            heads,
            hd,
            len: kv.len,
            head_stride: capacity * hd,
            position_stride: hd,
            row_stride: heads * capacity * hd,
        };
        let job = |(row, out_row): (usize, &mut [f32])| {
            let key_row = row / kv.queries_per_key_row;
            let inputs = RowInputs {
                query: &q[row * width..(row + 1) * width],
                keys: &keys[key_row * layout.row_stride..],
                values: &values[key_row * layout.row_stride..],
                mask: mask.map(|m| &m[key_row * kv.len..(key_row + 1) * kv.len]),
            };
            attend_row_on(path, &inputs, &layout, out_row);
        };
        if rows * heads * kv.len * hd < PARALLEL_MIN_WORK {
            out.chunks_mut(width).enumerate().for_each(job);
        } else {
            out.par_chunks_mut(width).enumerate().for_each(job);
        }
    })?;
    Tensor::from_vec(out, (rows, width), q.device())
}

/// The encoder's self-attention: `qkv` `[b, L, 3·d]` (queries pre-scaled, then keys, then
/// values, each `heads × hd`), `mask` additive `[b, L]`; returns `[b, L, d]`. Every position of
/// a sentence attends to every unmasked position of the same sentence, read in place from `qkv`.
pub(crate) fn self_attention(
    qkv: &Tensor,
    mask: &Tensor,
    heads: usize,
) -> candle_core::Result<Tensor> {
    let (batch, len, width) = qkv.dims3()?;
    let d = width / 3;
    let hd = d / heads;
    if mask.dims() != [batch, len] || d * 3 != width || hd * heads != d {
        candle_core::bail!("self_attention: shapes do not match");
    }
    let mask = cpu_values(mask, |m| m.to_vec())?;
    let path = crate::cpu::path();
    let mut out = vec![0f32; batch * len * d];
    cpu_values(qkv, |qkv| {
        let layout = RowLayout {
            heads,
            hd,
            len,
            head_stride: hd,
            position_stride: width,
            row_stride: len * width,
        };
        let job = |(row, out_row): (usize, &mut [f32])| {
            let sentence = row / len;
            let base = sentence * layout.row_stride;
            let inputs = RowInputs {
                query: &qkv[row * width..row * width + d],
                keys: &qkv[base + d..],
                values: &qkv[base + 2 * d..],
                mask: Some(&mask[sentence * len..(sentence + 1) * len]),
            };
            attend_row_on(path, &inputs, &layout, out_row);
        };
        if batch * len * heads * len * hd < PARALLEL_MIN_WORK {
            out.chunks_mut(d).enumerate().for_each(job);
        } else {
            out.par_chunks_mut(d).enumerate().for_each(job);
        }
    })?;
    Tensor::from_vec(out, (batch, len, d), qkv.device())
}

/// `rows[r] · scale + positions[position_of(r)]` for each row of `d` values: token embeddings
/// scaled and placed (a multiplication, then an addition, as transformers rounds them).
pub(crate) fn scale_add_positions(
    mut rows: Vec<f32>,
    d: usize,
    scale: f32,
    positions: &[f32],
    position_of: impl Fn(usize) -> usize,
) -> Vec<f32> {
    for (r, row) in rows.chunks_mut(d).enumerate() {
        let position = &positions[position_of(r) * d..][..d];
        for (v, &p) in row.iter_mut().zip(position) {
            *v = *v * scale + p;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, D};

    fn tensor(dims: &[usize], seed: u32) -> Tensor {
        let n: usize = dims.iter().product();
        let data: Vec<f32> = (0..n)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        Tensor::from_vec(data, dims, &Device::Cpu).unwrap()
    }

    fn close(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn add_layer_norm_matches_the_unfused_operations() {
        let x = tensor(&[3, 4, 20], 1);
        let r = tensor(&[3, 4, 20], 2);
        let w = tensor(&[20], 3);
        let b = tensor(&[20], 4);
        let fused =
            add_layer_norm(&x, &r, &w.to_vec1().unwrap(), &b.to_vec1().unwrap(), 1e-5).unwrap();
        let s = (&x + &r).unwrap();
        let mean = s.mean_keepdim(D::Minus1).unwrap();
        let c = s.broadcast_sub(&mean).unwrap();
        let var = c.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
        let expected = c
            .broadcast_div(&(var + 1e-5).unwrap().sqrt().unwrap())
            .unwrap()
            .broadcast_mul(&w)
            .unwrap()
            .broadcast_add(&b)
            .unwrap();
        assert!(close(&fused, &expected) < 1e-5);
    }

    #[test]
    fn one_query_attention_matches_matmul_softmax_matmul() {
        // 2 sentences × 3 beams against keys with capacity 7, of which 5 positions are used;
        // the second sentence has its last two positions masked.
        let (sentences, beams, heads, hd, capacity, len) = (2, 3, 2, 8, 7, 5);
        let rows = sentences * beams;
        let q = tensor(&[rows, heads * hd], 5);
        let keys = tensor(&[sentences, heads, capacity, hd], 6);
        let values = tensor(&[sentences, heads, capacity, hd], 7);
        let mut mask = vec![0f32; sentences * len];
        mask[len + 3] = f32::MIN;
        mask[len + 4] = f32::MIN;
        let mask = Tensor::from_vec(mask, (sentences, len), &Device::Cpu).unwrap();
        let kv = KeyValues {
            keys: &keys,
            values: &values,
            len,
            queries_per_key_row: beams,
            mask: Some(&mask),
        };
        let fused = attend_one_query(&q, &kv, heads).unwrap();

        let k = keys.narrow(2, 0, len).unwrap();
        let v = values.narrow(2, 0, len).unwrap();
        let qs = q
            .reshape((sentences, beams, heads, hd))
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .contiguous()
            .unwrap();
        let scores = qs
            .matmul(&k.t().unwrap())
            .unwrap()
            .broadcast_add(&mask.reshape((sentences, 1, 1, len)).unwrap())
            .unwrap();
        let expected = candle_nn::ops::softmax_last_dim(&scores)
            .unwrap()
            .matmul(&v.contiguous().unwrap())
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .reshape((rows, heads * hd))
            .unwrap();
        assert!(close(&fused, &expected) < 1e-5);
    }
}
