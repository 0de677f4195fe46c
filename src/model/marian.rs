//! The Marian encoder-decoder on candle, computing what transformers' `MarianMTModel` computes.
//!
//! The arithmetic follows transformers step for step: token embeddings × √d_model (when
//! `scale_embedding`) plus a static sinusoidal table (sin in the first half of each vector, cos in
//! the second, positions from 0 in encoder and decoder); post-norm layers (LayerNorm, eps 1e-5,
//! after each residual add); attention scaled by head_dim^-½; logits = h · Eᵀ + `final_logits_bias`.
//!
//! What differs from candle-transformers' marian.rs, by design:
//! * Padding masks: padded source positions are masked in encoder self-attention and in
//!   cross-attention, so a sentence gives the same result alone or in a padded batch.
//! * No hidden state between calls: [`MarianModel`] is immutable; everything a decoding needs lives
//!   in a [`DecoderState`] made for it.
//! * Cross-attention keys and values are computed once per sentence (not per step, not per beam):
//!   the beams of a sentence share them, and the attention runs with the beams as query rows.
//! * Decoder self-attention caches are preallocated and written in place; they grow by doubling,
//!   and beam reordering or finished sentences move only the rows that change (see `rows`).
//! * The compute dtype is a parameter (f32 on CPU); f16 and bf16 weights are converted at load.
//! * Sources longer than `max_position_embeddings`, or decodings longer than it, are errors.

use super::config::MarianConfig;
use super::fused::{self, KeyValues};
use super::linear::{Embedding, Linear, Matrix, OutputProjection, Quantization};
use super::rows::{gather_rows, gather_rows_by_copy, RowLayout};
use super::weights::WeightsFile;
use crate::{Error, Result};
use candle_core::{DType, Device, Module, Tensor, D};
use std::path::Path;

/// LayerNorm epsilon of transformers' Marian layers.
const LAYER_NORM_EPS: f64 = 1e-5;

/// Converts candle errors into [`Error::Compute`] with a description of the step.
trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
}

impl<T> Context<T> for candle_core::Result<T> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| Error::compute(what, e))
    }
}

impl Linear {
    fn load(file: &WeightsFile, prefix: &str, out: usize, inp: usize, ld: &Loader) -> Result<Self> {
        Linear::new(
            ld.tensor(file, &format!("{prefix}.weight"), &[out, inp])?,
            ld.tensor(file, &format!("{prefix}.bias"), &[out])?,
        )
    }
}

/// LayerNorm over the last dimension, computed in two passes (mean, then variance of the
/// centred values) for the same precision as PyTorch's.
#[derive(Debug, Clone)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    /// The same as plain numbers, for the fused CPU path.
    weight_values: Vec<f32>,
    bias_values: Vec<f32>,
}

impl LayerNorm {
    fn load(file: &WeightsFile, prefix: &str, dim: usize, ld: &Loader) -> Result<Self> {
        let weight = ld.tensor(file, &format!("{prefix}.weight"), &[dim])?;
        let bias = ld.tensor(file, &format!("{prefix}.bias"), &[dim])?;
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
    activation: super::config::Activation,
}

impl FeedForward {
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
struct EncoderLayer {
    /// q (pre-scaled), k and v projections fused: `[3·d, d]`.
    qkv: Linear,
    out: Linear,
    attn_norm: LayerNorm,
    ffn: FeedForward,
    ffn_norm: LayerNorm,
    heads: usize,
}

impl EncoderLayer {
    /// `x`: `[b, L, d]`; `mask`: additive, `[b, 1, 1, L]`.
    fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, len, d) = x.dims3()?;
        let hd = d / self.heads;
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((b, len, 3, self.heads, hd))?
            .permute((2, 0, 3, 1, 4))?;
        let q = qkv.get(0)?.contiguous()?;
        let k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(mask)?;
        let attn = attend(&scores, &v)?.transpose(1, 2)?.reshape((b, len, d))?;
        let x = self
            .attn_norm
            .forward_residual(x, &self.out.forward(&attn)?)?;
        self.ffn_norm.forward_residual(&x, &self.ffn.forward(&x)?)
    }
}

/// One decoder layer.
#[derive(Debug, Clone)]
struct DecoderLayer {
    self_qkv: Linear,
    self_out: Linear,
    self_norm: LayerNorm,
    /// Cross-attention query projection (pre-scaled).
    cross_q: Linear,
    /// Cross-attention key and value projections fused: `[2·d, d]`.
    cross_kv: Linear,
    cross_out: Linear,
    cross_norm: LayerNorm,
    ffn: FeedForward,
    ffn_norm: LayerNorm,
}

/// The decoder's self-attention keys and values of one layer, preallocated as
/// `[row capacity, heads, position capacity, head_dim]`.
#[derive(Debug, Clone)]
struct KvCache {
    keys: Tensor,
    values: Tensor,
}

impl KvCache {
    fn new(
        rows: usize,
        heads: usize,
        positions: usize,
        hd: usize,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            keys: Tensor::zeros((rows, heads, positions, hd), dtype, device)?,
            values: Tensor::zeros((rows, heads, positions, hd), dtype, device)?,
        })
    }

    fn positions(&self) -> usize {
        self.keys.dims()[2]
    }

    /// Makes room for at least `needed` positions, keeping the first `filled`.
    fn reserve(&mut self, needed: usize, limit: usize) -> candle_core::Result<()> {
        let capacity = self.positions();
        if needed <= capacity {
            return Ok(());
        }
        let new_capacity = (capacity * 2).max(needed).min(limit.max(needed));
        let (rows, heads, _, hd) = self.keys.dims4()?;
        let grown = Self::new(
            rows,
            heads,
            new_capacity,
            hd,
            self.keys.dtype(),
            self.keys.device(),
        )?;
        grown.keys.slice_set(&self.keys, 2, 0)?;
        grown.values.slice_set(&self.values, 2, 0)?;
        *self = grown;
        Ok(())
    }

    fn row_layout(&self, filled: usize) -> RowLayout {
        let (_, heads, positions, hd) = self.keys.dims4().expect("rank 4");
        RowLayout {
            row_stride: heads * positions * hd,
            segments: heads,
            segment_stride: positions * hd,
            segment_len: filled * hd,
        }
    }
}

/// Everything one decoding needs between steps: the cross-attention keys and values of its
/// sentences, the source mask, and the self-attention caches of its rows.
///
/// Rows are grouped by sentence: the rows of live sentence `s` are `s·beams .. (s+1)·beams`.
#[derive(Debug)]
pub struct DecoderState {
    /// Live sentences.
    sentences: usize,
    /// Rows per sentence.
    beams: usize,
    /// Tokens fed so far: the position of the next decoder input.
    position: usize,
    /// Most decoder steps this state may run (bounded by `max_position_embeddings`).
    max_steps: usize,
    /// Additive source mask `[sentence capacity, 1, 1, L]`.
    mask: Tensor,
    /// Per decoder layer: keys and values of the encoder output, `[sentence capacity, heads, L, hd]`.
    cross: Vec<(Tensor, Tensor)>,
    /// Per decoder layer.
    caches: Vec<KvCache>,
}

impl DecoderState {
    /// Live sentences.
    pub fn sentences(&self) -> usize {
        self.sentences
    }

    /// Rows per live sentence.
    pub fn beams(&self) -> usize {
        self.beams
    }

    /// Rows (sentences × beams).
    pub fn rows(&self) -> usize {
        self.sentences * self.beams
    }

    /// Decoder steps run so far.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Rearranges the state for the next step: new row `i` continues old row `rows[i]`, new
    /// sentence `j` is old sentence `sentences[j]`. `rows` must list, sentence by sentence, rows of
    /// the sentence it continues, and the same number of rows for every sentence.
    pub fn reorder(&mut self, rows: &[usize], sentences: &[usize]) -> Result<()> {
        let invalid = |problem: String| {
            Error::compute("reordering decoder rows", candle_core::Error::Msg(problem))
        };
        if sentences.is_empty() {
            if !rows.is_empty() {
                return Err(invalid("rows given without sentences".into()));
            }
            self.sentences = 0;
            return Ok(());
        }
        if !rows.len().is_multiple_of(sentences.len()) {
            return Err(invalid(format!(
                "{} rows for {} sentences",
                rows.len(),
                sentences.len()
            )));
        }
        let beams = rows.len() / sentences.len();
        for (i, &row) in rows.iter().enumerate() {
            let old_sentence = row / self.beams;
            let ok = row < self.rows() && sentences.get(i / beams) == Some(&old_sentence);
            if !ok {
                return Err(invalid(format!("row {i} cannot continue old row {row}")));
            }
        }
        if sentences.iter().enumerate().any(|(j, &s)| s != j) {
            self.mask =
                gather_rows_by_copy(&self.mask, sentences).context("reordering the source mask")?;
            for (keys, values) in &mut self.cross {
                let (_, heads, len, hd) = keys.dims4().context("reordering cross-attention")?;
                let layout = RowLayout {
                    row_stride: heads * len * hd,
                    segments: 1,
                    segment_stride: 0,
                    segment_len: heads * len * hd,
                };
                *keys =
                    gather_rows(keys, sentences, layout).context("reordering cross-attention")?;
                *values =
                    gather_rows(values, sentences, layout).context("reordering cross-attention")?;
            }
        }
        for cache in &mut self.caches {
            let layout = cache.row_layout(self.position);
            cache.keys =
                gather_rows(&cache.keys, rows, layout).context("reordering the decoder cache")?;
            cache.values =
                gather_rows(&cache.values, rows, layout).context("reordering the decoder cache")?;
        }
        self.sentences = sentences.len();
        self.beams = beams;
        Ok(())
    }
}

/// Encoder output for a batch of sources.
#[derive(Debug)]
pub struct EncoderOutput {
    /// Hidden states `[batch, L, d]` (padded positions hold values that are never attended to).
    hidden: Tensor,
    /// Additive mask `[batch, 1, 1, L]`: 0 for real tokens, the dtype's minimum for padding.
    mask: Tensor,
    /// Real length of each source.
    lengths: Vec<usize>,
}

impl EncoderOutput {
    /// Number of sources.
    pub fn batch(&self) -> usize {
        self.lengths.len()
    }

    /// Token count of each source.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }
}

/// A loaded Marian model: immutable, shareable across threads, with no state between calls.
#[derive(Debug)]
pub struct MarianModel {
    config: MarianConfig,
    device: Device,
    dtype: DType,
    quantization: Quantization,
    encoder_embedding: Embedding,
    decoder_embedding: Embedding,
    /// Output projection `[decoder_vocab, d]` (the decoder embedding when tied) and
    /// `final_logits_bias`.
    output: OutputProjection,
    /// Sinusoidal table `[max_position_embeddings, d]`.
    positions: Tensor,
    embed_scale: f64,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
}

/// Loads tensors in the model's dtype and device.
struct Loader<'a> {
    device: &'a Device,
    dtype: DType,
}

impl Loader<'_> {
    fn tensor(&self, file: &WeightsFile, name: &str, shape: &[usize]) -> Result<Tensor> {
        file.load(name, shape, self.device, self.dtype)
    }
}

/// The sinusoidal position table of transformers' `MarianSinusoidalPositionalEmbedding`,
/// computed in f64 and rounded once: row `p`, column `j < ⌈d/2⌉` is sin(p / 10000^(2j/d)), column
/// `⌈d/2⌉ + j` is cos(p / 10000^(2j/d)).
pub fn sinusoidal_positions(positions: usize, dim: usize) -> Vec<f32> {
    let sin_columns = dim.div_ceil(2);
    let mut table = vec![0f32; positions * dim];
    for p in 0..positions {
        let row = &mut table[p * dim..(p + 1) * dim];
        for j in 0..sin_columns {
            let angle = p as f64 / 10000f64.powf((2 * j) as f64 / dim as f64);
            row[j] = angle.sin() as f32;
            if sin_columns + j < dim {
                row[sin_columns + j] = angle.cos() as f32;
            }
        }
    }
    table
}

impl MarianModel {
    /// Loads the weights in `weights` (`model.safetensors` or `pytorch_model.bin`) for the
    /// architecture `config` describes, converted to `dtype` on `device`.
    ///
    /// On CPU the compute dtype must be f32 (candle's CPU kernels for f16/bf16 are slower and
    /// less precise); half-precision files are widened at load.
    pub fn load(
        config: &MarianConfig,
        weights: &Path,
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        Self::load_with(config, weights, device, dtype, Quantization::None)
    }

    /// [`Self::load`] with the weight matrices stored as `quantization` says (the embeddings,
    /// biases and norms always keep the compute dtype).
    pub fn load_with(
        config: &MarianConfig,
        weights: &Path,
        device: &Device,
        dtype: DType,
        quantization: Quantization,
    ) -> Result<Self> {
        if quantization != Quantization::None && !device.is_cpu() {
            return Err(Error::GenerationOption {
                option: "quantize",
                problem: format!(
                    "{quantization} weights are computed on CPU only; drop the quantization to run \
                     on this device"
                ),
            });
        }
        if device.is_cpu() && dtype != DType::F32 {
            return Err(Error::GenerationOption {
                option: "dtype",
                problem: format!("{dtype:?} computation is not supported on CPU; use f32"),
            });
        }
        if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
            return Err(Error::GenerationOption {
                option: "dtype",
                problem: format!("{dtype:?} is not a floating-point compute type"),
            });
        }
        let file = WeightsFile::open(weights)?;
        let ld = Loader { device, dtype };
        let c = config;
        let d = c.d_model;

        let shared = [
            "model.shared.weight",
            "model.encoder.embed_tokens.weight",
            "model.decoder.embed_tokens.weight",
        ];
        // Each matrix is prepared (packed on CPU) as soon as it is read, so that the checkpoint
        // layout and the computing layout of the whole model never coexist in memory.
        let (encoder_embedding, decoder_embedding) = if c.share_encoder_decoder_embeddings {
            let name = shared
                .iter()
                .copied()
                .find(|n| file.contains(n))
                .unwrap_or(shared[0]);
            let e = Embedding::prepare(ld.tensor(&file, name, &[c.vocab_size, d])?)?;
            (e.clone(), e)
        } else {
            (
                Embedding::prepare(ld.tensor(
                    &file,
                    "model.encoder.embed_tokens.weight",
                    &[c.vocab_size, d],
                )?)?,
                Embedding::prepare(ld.tensor(
                    &file,
                    "model.decoder.embed_tokens.weight",
                    &[c.decoder_vocab_size, d],
                )?)?,
            )
        };
        let lm_head = if c.tie_word_embeddings {
            match decoder_embedding.as_projection(quantization) {
                Some(shared) => shared,
                None => Matrix::prepare(decoder_embedding.to_tensor(device)?, quantization)?,
            }
        } else {
            Matrix::prepare(
                ld.tensor(&file, "lm_head.weight", &[c.decoder_vocab_size, d])?,
                quantization,
            )?
        };
        let final_logits_bias = ld
            .tensor(&file, "final_logits_bias", &[1, c.decoder_vocab_size])?
            .to_dtype(DType::F32)
            .context("loading final_logits_bias")?;
        let output = OutputProjection::new(lm_head, final_logits_bias)?;
        let linear = |prefix: &str, out: usize, inp: usize| -> Result<Linear> {
            Linear::load(&file, prefix, out, inp, &ld)?.prepare(quantization)
        };

        let ffn = |prefix: &str, inner: usize| -> Result<FeedForward> {
            Ok(FeedForward {
                fc1: linear(&format!("{prefix}.fc1"), inner, d)?,
                fc2: linear(&format!("{prefix}.fc2"), d, inner)?,
                activation: c.activation,
            })
        };
        let attention = |prefix: &str, heads: usize| -> Result<(Linear, Linear, Linear, Linear)> {
            let scaling = ((d / heads) as f64).powf(-0.5);
            Ok((
                Linear::load(&file, &format!("{prefix}.q_proj"), d, d, &ld)?.scaled(scaling)?,
                Linear::load(&file, &format!("{prefix}.k_proj"), d, d, &ld)?,
                Linear::load(&file, &format!("{prefix}.v_proj"), d, d, &ld)?,
                linear(&format!("{prefix}.out_proj"), d, d)?,
            ))
        };

        let mut encoder = Vec::with_capacity(c.encoder_layers);
        for i in 0..c.encoder_layers {
            let p = format!("model.encoder.layers.{i}");
            let (q, k, v, out) = attention(&format!("{p}.self_attn"), c.encoder_attention_heads)?;
            encoder.push(EncoderLayer {
                qkv: Linear::fuse(&[q, k, v])?.prepare(quantization)?,
                out,
                attn_norm: LayerNorm::load(&file, &format!("{p}.self_attn_layer_norm"), d, &ld)?,
                ffn: ffn(&p, c.encoder_ffn_dim)?,
                ffn_norm: LayerNorm::load(&file, &format!("{p}.final_layer_norm"), d, &ld)?,
                heads: c.encoder_attention_heads,
            });
        }
        let mut decoder = Vec::with_capacity(c.decoder_layers);
        for i in 0..c.decoder_layers {
            let p = format!("model.decoder.layers.{i}");
            let heads = c.decoder_attention_heads;
            let (q, k, v, self_out) = attention(&format!("{p}.self_attn"), heads)?;
            let (cross_q, ck, cv, cross_out) = attention(&format!("{p}.encoder_attn"), heads)?;
            decoder.push(DecoderLayer {
                self_qkv: Linear::fuse(&[q, k, v])?.prepare(quantization)?,
                self_out,
                self_norm: LayerNorm::load(&file, &format!("{p}.self_attn_layer_norm"), d, &ld)?,
                cross_q: cross_q.prepare(quantization)?,
                cross_kv: Linear::fuse(&[ck, cv])?.prepare(quantization)?,
                cross_out,
                cross_norm: LayerNorm::load(
                    &file,
                    &format!("{p}.encoder_attn_layer_norm"),
                    d,
                    &ld,
                )?,
                ffn: ffn(&p, c.decoder_ffn_dim)?,
                ffn_norm: LayerNorm::load(&file, &format!("{p}.final_layer_norm"), d, &ld)?,
            });
        }

        let table = sinusoidal_positions(c.max_position_embeddings, d);
        let positions = Tensor::from_vec(table, (c.max_position_embeddings, d), device)
            .and_then(|t| t.to_dtype(dtype))
            .context("building the position table")?;
        Ok(Self {
            config: config.clone(),
            device: device.clone(),
            dtype,
            quantization,
            encoder_embedding,
            decoder_embedding,
            output,
            positions,
            embed_scale: if c.scale_embedding {
                (d as f64).sqrt()
            } else {
                1.0
            },
            encoder,
            decoder,
        })
    }

    /// The model's configuration.
    pub fn config(&self) -> &MarianConfig {
        &self.config
    }

    /// The device the model runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The compute dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// How the weight matrices are stored.
    pub fn quantization(&self) -> Quantization {
        self.quantization
    }

    /// Checks that every source is non-empty, within `max_position_embeddings` and made of ids of
    /// the source vocabulary.
    pub fn check_sources(&self, sources: &[Vec<u32>]) -> Result<()> {
        let max = self.config.max_position_embeddings;
        for (index, source) in sources.iter().enumerate() {
            if source.is_empty() {
                return Err(Error::InvalidSource {
                    index,
                    problem: "no tokens (a tokenized sentence ends with </s> at least)".into(),
                });
            }
            if source.len() > max {
                return Err(Error::InvalidSource {
                    index,
                    problem: format!(
                        "{} tokens, more than the model's {max} positions (max_position_embeddings); \
                         split the sentence into shorter pieces",
                        source.len()
                    ),
                });
            }
            if let Some(&id) = source
                .iter()
                .find(|&&id| id as usize >= self.config.vocab_size)
            {
                return Err(Error::InvalidSource {
                    index,
                    problem: format!(
                        "token id {id} is outside the vocabulary (vocab_size {})",
                        self.config.vocab_size
                    ),
                });
            }
        }
        Ok(())
    }

    /// Runs the encoder over `sources` (token ids, `</s>` included), padded to the longest.
    pub fn encode(&self, sources: &[Vec<u32>]) -> Result<EncoderOutput> {
        self.check_sources(sources)?;
        let batch = sources.len();
        let lengths: Vec<usize> = sources.iter().map(Vec::len).collect();
        let len = lengths.iter().copied().max().unwrap_or(0);
        if batch == 0 {
            return Err(Error::InvalidSource {
                index: 0,
                problem: "empty batch".into(),
            });
        }
        let pad = self.config.pad_token_id;
        let mut ids = Vec::with_capacity(batch * len);
        let mut mask = Vec::with_capacity(batch * len);
        for source in sources {
            ids.extend(
                source
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(pad, len - source.len())),
            );
            mask.extend((0..len).map(|i| if i < source.len() { 0f32 } else { f32::MIN }));
        }
        let run = || -> candle_core::Result<(Tensor, Tensor)> {
            let mask =
                Tensor::from_vec(mask, (batch, 1, 1, len), &self.device)?.to_dtype(self.dtype)?;
            let mut x = self
                .encoder_embedding
                .lookup(&ids, &self.device)?
                .affine(self.embed_scale, 0.0)?
                .reshape((batch, len, self.config.d_model))?
                .broadcast_add(&self.positions.narrow(0, 0, len)?)?;
            for layer in &self.encoder {
                x = layer.forward(&x, &mask)?;
            }
            Ok((x, mask))
        };
        let (hidden, mask) = run().context("running the encoder")?;
        Ok(EncoderOutput {
            hidden,
            mask,
            lengths,
        })
    }

    /// Prepares decoding of `encoded` with `beams` rows per sentence and at most `max_steps`
    /// decoder steps: computes every layer's cross-attention keys and values once, and allocates
    /// the self-attention caches.
    pub fn start_decoding(
        &self,
        encoded: &EncoderOutput,
        beams: usize,
        max_steps: usize,
    ) -> Result<DecoderState> {
        let max_positions = self.config.max_position_embeddings;
        if max_steps > max_positions {
            return Err(Error::GenerationOption {
                option: "max_new_tokens",
                problem: format!(
                    "{max_steps} decoder steps need more than the model's {max_positions} positions \
                     (max_position_embeddings); ask for at most {max_positions} new tokens"
                ),
            });
        }
        if beams == 0 {
            return Err(Error::GenerationOption {
                option: "num_beams",
                problem: "must be at least 1".into(),
            });
        }
        let heads = self.config.decoder_attention_heads;
        let hd = self.config.decoder_head_dim();
        let (batch, len, _) = encoded.hidden.dims3().context("starting the decoder")?;
        let mut cross = Vec::with_capacity(self.decoder.len());
        for layer in &self.decoder {
            let kv = layer
                .cross_kv
                .forward(&encoded.hidden)
                .and_then(|kv| kv.reshape((batch, len, 2, heads, hd)))
                .and_then(|kv| kv.permute((2, 0, 3, 1, 4)))
                .context("computing cross-attention keys and values")?;
            let keys = kv
                .get(0)
                .and_then(|t| t.contiguous())
                .context("computing cross-attention keys")?;
            let values = kv
                .get(1)
                .and_then(|t| t.contiguous())
                .context("computing cross-attention values")?;
            cross.push((keys, values));
        }
        // Most translations are shorter than 64 tokens; longer ones grow the caches by doubling.
        let initial = max_steps.clamp(1, 64);
        let caches = (0..self.decoder.len())
            .map(|_| KvCache::new(batch * beams, heads, initial, hd, self.dtype, &self.device))
            .collect::<candle_core::Result<Vec<_>>>()
            .context("allocating decoder caches")?;
        Ok(DecoderState {
            sentences: batch,
            beams,
            position: 0,
            max_steps,
            mask: encoded.mask.clone(),
            cross,
            caches,
        })
    }

    /// Feeds one token per row (`tokens.len() == state.rows()`) and returns the next-token logits,
    /// `[rows, decoder_vocab_size]` in f32, `final_logits_bias` included.
    pub fn decode_step(&self, state: &mut DecoderState, tokens: &[u32]) -> Result<Tensor> {
        let hidden = self.decoder_hidden(state, tokens)?;
        self.output.logits(&hidden).context("computing the logits")
    }

    /// [`Self::decode_step`] with the logits written into `logits` (row after row, resized to
    /// `rows × decoder_vocab_size`): a caller that keeps the buffer between steps allocates
    /// nothing for the largest output of a step.
    pub fn decode_step_into(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
        logits: &mut Vec<f32>,
    ) -> Result<()> {
        let hidden = self.decoder_hidden(state, tokens)?;
        self.output
            .logits_into(&hidden, logits)
            .context("computing the logits")
    }

    /// `final_logits_bias`, `[decoder_vocab_size]`.
    pub fn final_logits_bias(&self) -> &[f32] {
        self.output.bias()
    }

    /// Checks `tokens` against the state, runs the decoder layers and returns the last hidden
    /// states `[rows, d]`.
    fn decoder_hidden(&self, state: &mut DecoderState, tokens: &[u32]) -> Result<Tensor> {
        if tokens.len() != state.rows() || tokens.is_empty() {
            return Err(Error::compute(
                "decoding a step",
                candle_core::Error::Msg(format!(
                    "{} tokens for {} rows",
                    tokens.len(),
                    state.rows()
                )),
            ));
        }
        if state.position >= state.max_steps {
            return Err(Error::GenerationOption {
                option: "max_new_tokens",
                problem: format!(
                    "decoder step {} is past the {} steps prepared",
                    state.position + 1,
                    state.max_steps
                ),
            });
        }
        if let Some(&id) = tokens
            .iter()
            .find(|&&id| id as usize >= self.config.decoder_vocab_size)
        {
            return Err(Error::compute(
                "decoding a step",
                candle_core::Error::Msg(format!("token id {id} is outside the decoder vocabulary")),
            ));
        }
        self.decode_step_inner(state, tokens)
            .context("running a decoder step")
    }

    fn decode_step_inner(
        &self,
        state: &mut DecoderState,
        tokens: &[u32],
    ) -> candle_core::Result<Tensor> {
        let rows = tokens.len();
        let (sentences, beams) = (state.sentences, state.beams);
        let d = self.config.d_model;
        let heads = self.config.decoder_attention_heads;
        let hd = d / heads;
        let pos = state.position;
        let mut x = self
            .decoder_embedding
            .lookup(tokens, &self.device)?
            .affine(self.embed_scale, 0.0)?
            .broadcast_add(&self.positions.narrow(0, pos, 1)?)?;
        let mask = state.mask.narrow(0, 0, sentences)?;
        for (i, layer) in self.decoder.iter().enumerate() {
            // Self-attention over the cached positions plus this one.
            let cache = &mut state.caches[i];
            cache.reserve(pos + 1, state.max_steps)?;
            let qkv = layer.self_qkv.forward(&x)?;
            let q = qkv.narrow(1, 0, d)?.reshape((rows, heads, 1, hd))?;
            let k = qkv.narrow(1, d, d)?.reshape((rows, heads, 1, hd))?;
            let v = qkv.narrow(1, 2 * d, d)?.reshape((rows, heads, 1, hd))?;
            let keys = cache.keys.narrow(0, 0, rows)?;
            let values = cache.values.narrow(0, 0, rows)?;
            keys.slice_set(&k, 2, pos)?;
            values.slice_set(&v, 2, pos)?;
            let attn = if fused::applies(&x) {
                let self_kv = KeyValues {
                    keys: &cache.keys,
                    values: &cache.values,
                    len: pos + 1,
                    queries_per_key_row: 1,
                    mask: None,
                };
                fused::attend_one_query(&qkv.narrow(1, 0, d)?, &self_kv, heads)?
            } else {
                let keys = keys.narrow(2, 0, pos + 1)?;
                let values = values.narrow(2, 0, pos + 1)?;
                attend(&q.matmul(&keys.t()?)?, &values)?.reshape((rows, d))?
            };
            x = layer
                .self_norm
                .forward_residual(&x, &layer.self_out.forward(&attn)?)?;

            // Cross-attention: the beams of a sentence are the query rows against its keys.
            let (cross_keys, cross_values) = &state.cross[i];
            let q = layer.cross_q.forward(&x)?;
            let attn = if fused::applies(&x) {
                let len = cross_keys.dim(2)?;
                let cross_kv = KeyValues {
                    keys: cross_keys,
                    values: cross_values,
                    len,
                    queries_per_key_row: beams,
                    mask: Some(&mask.reshape((sentences, len))?),
                };
                fused::attend_one_query(&q, &cross_kv, heads)?
            } else {
                let q = q
                    .reshape((sentences, beams, heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()?;
                let scores = q
                    .matmul(&cross_keys.narrow(0, 0, sentences)?.t()?)?
                    .broadcast_add(&mask)?;
                attend(&scores, &cross_values.narrow(0, 0, sentences)?)?
                    .transpose(1, 2)?
                    .reshape((rows, d))?
            };
            x = layer
                .cross_norm
                .forward_residual(&x, &layer.cross_out.forward(&attn)?)?;

            x = layer
                .ffn_norm
                .forward_residual(&x, &layer.ffn.forward(&x)?)?;
        }
        state.position += 1;
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinusoid_puts_sines_first_then_cosines() {
        let table = sinusoidal_positions(3, 4);
        // Position 0: sin 0 = 0, cos 0 = 1.
        assert_eq!(&table[0..4], &[0.0, 0.0, 1.0, 1.0]);
        // Position 2, column 1: frequency 10000^(-2/4) = 0.01.
        assert!((table[2 * 4 + 1] - (0.02f64).sin() as f32).abs() < 1e-7);
        assert!((table[2 * 4 + 3] - (0.02f64).cos() as f32).abs() < 1e-7);
        // Odd width: three sines, two cosines.
        let odd = sinusoidal_positions(2, 5);
        assert_eq!(&odd[0..5], &[0.0, 0.0, 0.0, 1.0, 1.0]);
    }
}
