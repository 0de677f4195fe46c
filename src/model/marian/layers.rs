//! The layers of the Marian encoder and decoder, each loaded from the checkpoint by its own
//! `load(loader, prefix, …)` and run by its own `forward`.
//!
//! On CPU in f32 the arithmetic runs in passeur's kernels (packed products, fused LayerNorm and
//! attention: see `fused` and `packed`), with no candle operation on the hot path; on other
//! devices the candle operations compute the same thing.

use super::super::config::{Activation, MarianConfig};
use super::super::fused::{self, KeyValues};
use super::super::linear::{Linear, Quantization};
use super::super::weights::WeightsFile;
use super::Context;
use crate::Result;
use candle_core::{DType, Device, Module, Tensor, D};

/// LayerNorm epsilon of transformers' Marian layers.
const LAYER_NORM_EPS: f64 = 1e-5;

/// Reads the tensors of one checkpoint in the model's dtype and device, and prepares weight
/// matrices for the requested quantization.
pub(super) struct Loader<'a> {
    pub(super) file: &'a WeightsFile,
    pub(super) device: &'a Device,
    pub(super) dtype: DType,
    pub(super) quantization: Quantization,
}

impl Loader<'_> {
    /// Tensor `name`, which must have `shape`.
    pub(super) fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.file.load(name, shape, self.device, self.dtype)
    }

    /// The dense layer `prefix` (`weight` `[out, in]`, `bias` `[out]`), not yet prepared.
    fn raw_linear(&self, prefix: &str, out: usize, inp: usize) -> Result<Linear> {
        Linear::new(
            self.tensor(&format!("{prefix}.weight"), &[out, inp])?,
            self.tensor(&format!("{prefix}.bias"), &[out])?,
        )
    }

    /// The dense layer `prefix` in its computing form.
    fn linear(&self, prefix: &str, out: usize, inp: usize) -> Result<Linear> {
        self.raw_linear(prefix, out, inp)?
            .prepare(self.quantization)
    }

    /// The projections of attention block `prefix`: q (scaled by head_dim^-½, exact for the
    /// power-of-two head sizes of Marian), k and v not yet prepared (the caller fuses them), and
    /// the output projection prepared.
    fn attention(&self, prefix: &str, d: usize, heads: usize) -> Result<[Linear; 4]> {
        let scaling = ((d / heads) as f64).powf(-0.5);
        Ok([
            self.raw_linear(&format!("{prefix}.q_proj"), d, d)?
                .scaled(scaling)?,
            self.raw_linear(&format!("{prefix}.k_proj"), d, d)?,
            self.raw_linear(&format!("{prefix}.v_proj"), d, d)?,
            self.linear(&format!("{prefix}.out_proj"), d, d)?,
        ])
    }
}

/// LayerNorm over the last dimension, computed in two passes (mean, then variance of the
/// centred values) for the same precision as PyTorch's.
#[derive(Debug, Clone)]
pub(super) struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    /// The same as plain numbers, for the fused CPU path.
    weight_values: Vec<f32>,
    bias_values: Vec<f32>,
}

impl LayerNorm {
    fn load(ld: &Loader, prefix: &str, dim: usize) -> Result<Self> {
        let weight = ld.tensor(&format!("{prefix}.weight"), &[dim])?;
        let bias = ld.tensor(&format!("{prefix}.bias"), &[dim])?;
        let values = |t: &Tensor| {
            t.to_dtype(DType::F32)
                .and_then(|t| t.to_vec1::<f32>())
                .context("loading a layer norm")
        };
        Ok(Self {
            weight_values: values(&weight)?,
            bias_values: values(&bias)?,
            weight,
            bias,
        })
    }

    /// `LayerNorm(x + residual)`.
    fn forward_residual(&self, x: &Tensor, residual: &Tensor) -> candle_core::Result<Tensor> {
        if fused::applies(x) {
            fused::add_layer_norm(
                x,
                residual,
                &self.weight_values,
                &self.bias_values,
                LAYER_NORM_EPS as f32,
            )
        } else {
            self.forward(&(x + residual)?)
        }
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let inv_std = (variance + LAYER_NORM_EPS)?.sqrt()?.recip()?;
        centred
            .broadcast_mul(&inv_std)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// The two-layer feed-forward block.
#[derive(Debug, Clone)]
struct FeedForward {
    fc1: Linear,
    fc2: Linear,
    activation: Activation,
}

impl FeedForward {
    fn load(
        ld: &Loader,
        prefix: &str,
        d: usize,
        inner: usize,
        activation: Activation,
    ) -> Result<Self> {
        Ok(FeedForward {
            fc1: ld.linear(&format!("{prefix}.fc1"), inner, d)?,
            fc2: ld.linear(&format!("{prefix}.fc2"), d, inner)?,
            activation,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.fc1.forward_activated(x, self.activation)?;
        self.fc2.forward(&h)
    }
}

/// Softmax over the last dimension, then the weighted sum of `values`.
fn attend(scores: &Tensor, values: &Tensor) -> candle_core::Result<Tensor> {
    candle_nn::ops::softmax_last_dim(scores)?.matmul(values)
}

/// One encoder layer.
#[derive(Debug, Clone)]
pub(super) struct EncoderLayer {
    /// q (pre-scaled), k and v projections fused: `[3·d, d]`.
    qkv: Linear,
    out: Linear,
    attn_norm: LayerNorm,
    ffn: FeedForward,
    ffn_norm: LayerNorm,
    heads: usize,
}

impl EncoderLayer {
    /// Layer `index` of the encoder.
    pub(super) fn load(ld: &Loader, c: &MarianConfig, index: usize) -> Result<Self> {
        let p = format!("model.encoder.layers.{index}");
        let d = c.d_model;
        let [q, k, v, out] =
            ld.attention(&format!("{p}.self_attn"), d, c.encoder_attention_heads)?;
        Ok(EncoderLayer {
            qkv: Linear::fuse(&[q, k, v])?.prepare(ld.quantization)?,
            out,
            attn_norm: LayerNorm::load(ld, &format!("{p}.self_attn_layer_norm"), d)?,
            ffn: FeedForward::load(ld, &p, d, c.encoder_ffn_dim, c.activation)?,
            ffn_norm: LayerNorm::load(ld, &format!("{p}.final_layer_norm"), d)?,
            heads: c.encoder_attention_heads,
        })
    }

    /// `x`: `[b, L, d]`; `mask`: additive, `[b, 1, 1, L]`.
    pub(super) fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, len, d) = x.dims3()?;
        let hd = d / self.heads;
        let qkv = self.qkv.forward(x)?;
        let attn = if fused::applies(x) {
            fused::self_attention(&qkv, &mask.reshape((b, len))?, self.heads)?
        } else {
            let qkv = qkv
                .reshape((b, len, 3, self.heads, hd))?
                .permute((2, 0, 3, 1, 4))?;
            let q = qkv.get(0)?.contiguous()?;
            let k = qkv.get(1)?.contiguous()?;
            let v = qkv.get(2)?.contiguous()?;
            let scores = q.matmul(&k.t()?)?.broadcast_add(mask)?;
            attend(&scores, &v)?.transpose(1, 2)?.reshape((b, len, d))?
        };
        let x = self
            .attn_norm
            .forward_residual(x, &self.out.forward(&attn)?)?;
        self.ffn_norm.forward_residual(&x, &self.ffn.forward(&x)?)
    }
}

/// One decoder layer.
#[derive(Debug, Clone)]
pub(super) struct DecoderLayer {
    self_qkv: Linear,
    self_out: Linear,
    self_norm: LayerNorm,
    /// Cross-attention query projection (pre-scaled).
    cross_q: Linear,
    /// Cross-attention key and value projections fused: `[2·d, d]`.
    pub(super) cross_kv: Linear,
    cross_out: Linear,
    cross_norm: LayerNorm,
    ffn: FeedForward,
    ffn_norm: LayerNorm,
}

/// What one decoder layer attends to at one step.
pub(super) struct StepInputs<'a> {
    /// This layer's self-attention cache, `[row capacity, heads, capacity, hd]`, this step's
    /// keys and values already written at `position`.
    pub(super) cache: (&'a Tensor, &'a Tensor),
    /// Decoder steps so far, this one included.
    pub(super) positions: usize,
    /// This layer's cross-attention keys and values `[sentence capacity, heads, L, hd]`.
    pub(super) cross: (&'a Tensor, &'a Tensor),
    /// Additive source mask `[sentences, 1, 1, L]`.
    pub(super) mask: &'a Tensor,
    pub(super) sentences: usize,
    pub(super) beams: usize,
    pub(super) heads: usize,
}

impl DecoderLayer {
    /// Layer `index` of the decoder.
    pub(super) fn load(ld: &Loader, c: &MarianConfig, index: usize) -> Result<Self> {
        let p = format!("model.decoder.layers.{index}");
        let d = c.d_model;
        let heads = c.decoder_attention_heads;
        let [q, k, v, self_out] = ld.attention(&format!("{p}.self_attn"), d, heads)?;
        let [cross_q, ck, cv, cross_out] = ld.attention(&format!("{p}.encoder_attn"), d, heads)?;
        Ok(DecoderLayer {
            self_qkv: Linear::fuse(&[q, k, v])?.prepare(ld.quantization)?,
            self_out,
            self_norm: LayerNorm::load(ld, &format!("{p}.self_attn_layer_norm"), d)?,
            cross_q: cross_q.prepare(ld.quantization)?,
            cross_kv: Linear::fuse(&[ck, cv])?.prepare(ld.quantization)?,
            cross_out,
            cross_norm: LayerNorm::load(ld, &format!("{p}.encoder_attn_layer_norm"), d)?,
            ffn: FeedForward::load(ld, &p, d, c.decoder_ffn_dim, c.activation)?,
            ffn_norm: LayerNorm::load(ld, &format!("{p}.final_layer_norm"), d)?,
        })
    }

    /// The fused q/k/v projection of this step's input `x` `[rows, d]`: `[rows, 3·d]`.
    pub(super) fn self_qkv(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.self_qkv.forward(x)
    }

    /// The rest of the layer once this step's keys and values are in the cache: self-attention
    /// of `qkv`'s queries, cross-attention, feed-forward.
    pub(super) fn forward_step(
        &self,
        x: &Tensor,
        qkv: &Tensor,
        step: &StepInputs,
    ) -> candle_core::Result<Tensor> {
        let (rows, d) = x.dims2()?;
        let (heads, sentences, beams) = (step.heads, step.sentences, step.beams);
        let hd = d / heads;
        let q = qkv.narrow(1, 0, d)?;
        let (keys, values) = step.cache;
        let attn = if fused::applies(x) {
            let self_kv = KeyValues {
                keys,
                values,
                len: step.positions,
                queries_per_key_row: 1,
                mask: None,
            };
            fused::attend_one_query(&q, &self_kv, heads)?
        } else {
            let q = q.reshape((rows, heads, 1, hd))?;
            let keys = keys.narrow(0, 0, rows)?.narrow(2, 0, step.positions)?;
            let values = values.narrow(0, 0, rows)?.narrow(2, 0, step.positions)?;
            attend(&q.matmul(&keys.t()?)?, &values)?.reshape((rows, d))?
        };
        let x = self
            .self_norm
            .forward_residual(x, &self.self_out.forward(&attn)?)?;

        // Cross-attention: the beams of a sentence are the query rows against its keys.
        let (cross_keys, cross_values) = step.cross;
        let q = self.cross_q.forward(&x)?;
        let attn = if fused::applies(&x) {
            let len = cross_keys.dim(2)?;
            let cross_kv = KeyValues {
                keys: cross_keys,
                values: cross_values,
                len,
                queries_per_key_row: beams,
                mask: Some(&step.mask.reshape((sentences, len))?),
            };
            fused::attend_one_query(&q, &cross_kv, heads)?
        } else {
            let q = q
                .reshape((sentences, beams, heads, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let scores = q
                .matmul(&cross_keys.narrow(0, 0, sentences)?.t()?)?
                .broadcast_add(step.mask)?;
            attend(&scores, &cross_values.narrow(0, 0, sentences)?)?
                .transpose(1, 2)?
                .reshape((rows, d))?
        };
        let x = self
            .cross_norm
            .forward_residual(&x, &self.cross_out.forward(&attn)?)?;
        self.ffn_norm.forward_residual(&x, &self.ffn.forward(&x)?)
    }
}
