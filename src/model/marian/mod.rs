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

mod layers;
mod state;

pub use state::DecoderState;

use super::config::MarianConfig;
use super::fused;
use super::linear::{Embedding, Matrix, OutputProjection, Quantization};
use super::weights::WeightsFile;
use crate::{Error, Result};
use candle_core::{DType, Device, Module, Tensor};
use layers::{DecoderLayer, EncoderLayer, Loader, StepInputs};
use state::KvCache;
use std::path::Path;

/// Converts candle errors into [`Error::Compute`] with a description of the step.
trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
}

impl<T> Context<T> for candle_core::Result<T> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| Error::compute(what, e))
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
    /// The same table as numbers, for the fused CPU path.
    position_values: Vec<f32>,
    embed_scale: f64,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
}

/// The sinusoidal position table of transformers' `MarianSinusoidalPositionalEmbedding`,
/// computed in f64 and rounded once: row `p`, column `j < ⌈d/2⌉` is sin(p / 10000^(2j/d)), column
/// `⌈d/2⌉ + j` is cos(p / 10000^(2j/d)).
///
/// Public only so that tests/it/parity.rs can check it against transformers; not part of the API.
#[doc(hidden)]
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
        let ld = Loader {
            file: &file,
            device,
            dtype,
            quantization,
        };
        let c = config;
        let d = c.d_model;

        let shared = [
            "model.shared.weight",
            "model.encoder.embed_tokens.weight",
            "model.decoder.embed_tokens.weight",
        ];
        // Each matrix is prepared (packed on CPU) as soon as it is read, so that the checkpoint
        // layout and the computing layout of the whole model never coexist in memory. A tied
        // output projection stored differently from the embeddings (int8, bf16) is prepared from the
        // table as read, before the table itself is packed.
        let tied_projection = |table: &Tensor| -> Result<Option<Matrix>> {
            if c.tie_word_embeddings && quantization != Quantization::None {
                Matrix::prepare(table.clone(), quantization).map(Some)
            } else {
                Ok(None)
            }
        };
        let (encoder_embedding, decoder_embedding, tied) = if c.share_encoder_decoder_embeddings {
            let name = shared
                .iter()
                .copied()
                .find(|n| file.contains(n))
                .unwrap_or(shared[0]);
            let table = ld.tensor(name, &[c.vocab_size, d])?;
            let tied = tied_projection(&table)?;
            let e = Embedding::prepare(table)?;
            (e.clone(), e, tied)
        } else {
            let encoder_embedding = Embedding::prepare(
                ld.tensor("model.encoder.embed_tokens.weight", &[c.vocab_size, d])?,
            )?;
            let table = ld.tensor(
                "model.decoder.embed_tokens.weight",
                &[c.decoder_vocab_size, d],
            )?;
            let tied = tied_projection(&table)?;
            (encoder_embedding, Embedding::prepare(table)?, tied)
        };
        let lm_head = if c.tie_word_embeddings {
            match tied {
                Some(projection) => projection,
                None => decoder_embedding.as_projection(),
            }
        } else {
            Matrix::prepare(
                ld.tensor("lm_head.weight", &[c.decoder_vocab_size, d])?,
                quantization,
            )?
        };
        let final_logits_bias = ld
            .tensor("final_logits_bias", &[1, c.decoder_vocab_size])?
            .to_dtype(DType::F32)
            .context("loading final_logits_bias")?;
        let output = OutputProjection::new(lm_head, final_logits_bias)?;
        let encoder = (0..c.encoder_layers)
            .map(|i| EncoderLayer::load(&ld, c, i))
            .collect::<Result<Vec<_>>>()?;
        let decoder = (0..c.decoder_layers)
            .map(|i| DecoderLayer::load(&ld, c, i))
            .collect::<Result<Vec<_>>>()?;

        let table = sinusoidal_positions(c.max_position_embeddings, d);
        let positions = Tensor::from_vec(table.clone(), (c.max_position_embeddings, d), device)
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
            position_values: table,
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
                .embed(&self.encoder_embedding, &ids, |row| row % len)?
                .reshape((batch, len, self.config.d_model))?;
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
        let (sentences, beams) = (state.sentences, state.beams);
        let heads = self.config.decoder_attention_heads;
        let pos = state.position;
        let mut x = self.embed(&self.decoder_embedding, tokens, |_| pos)?;
        let mask = state.mask.narrow(0, 0, sentences)?;
        for (i, layer) in self.decoder.iter().enumerate() {
            // This step's keys and values join the cache; then the layer attends to it.
            let cache = &mut state.caches[i];
            cache.reserve(pos + 1, state.max_steps)?;
            let qkv = layer.self_qkv(&x)?;
            cache.write(&qkv, heads, pos)?;
            let (cross_keys, cross_values) = &state.cross[i];
            let step = StepInputs {
                cache: (&cache.keys, &cache.values),
                positions: pos + 1,
                cross: (cross_keys, cross_values),
                mask: &mask,
                sentences,
                beams,
                heads,
            };
            x = layer.forward_step(&x, &qkv, &step)?;
        }
        state.position += 1;
        Ok(x)
    }

    /// Token embeddings of `ids` × `embed_scale` plus the sinusoid of each row's position
    /// (`position_of(row)`), `[ids.len(), d]`: one pass over the rows on CPU.
    fn embed(
        &self,
        table: &Embedding,
        ids: &[u32],
        position_of: impl Fn(usize) -> usize + Sync,
    ) -> candle_core::Result<Tensor> {
        let d = self.config.d_model;
        match table.lookup_values(ids) {
            Some(rows) => {
                let rows = fused::scale_add_positions(
                    rows,
                    d,
                    self.embed_scale as f32,
                    &self.position_values,
                    position_of,
                );
                Tensor::from_vec(rows, (ids.len(), d), &self.device)
            }
            None => {
                let positions: Vec<u32> = (0..ids.len()).map(|r| position_of(r) as u32).collect();
                let positions = Tensor::from_vec(positions, ids.len(), &self.device)?;
                table
                    .lookup(ids, &self.device)?
                    .affine(self.embed_scale, 0.0)?
                    .add(&self.positions.index_select(&positions, 0)?)
            }
        }
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
