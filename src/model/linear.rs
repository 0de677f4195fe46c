//! Dense layers and embedding tables, in the form the device computes with fastest.
//!
//! A weight matrix is loaded as a candle tensor `[out, in]` (the checkpoint's layout), then
//! [`Linear::prepare`]d for the device and the requested [`Quantization`]:
//! * On CPU in f32 it is packed for the kernel of [`super::packed`] and the tensor is dropped:
//!   one copy of the weights, read in the order the kernel walks them, with bias and activation
//!   applied in the kernel.
//! * With [`Quantization::Int8`] (CPU only) it becomes 8-bit integers with one f32 scale per
//!   output: a quarter of the memory traffic, the arithmetic still in f32.
//! * With [`Quantization::Bf16`] (CPU only) each weight is rounded to bf16: half the memory
//!   traffic, the arithmetic in f32 on the rounded weights.
//! * On other devices (CUDA) it stays a tensor and runs through candle's matmul.
//!
//! An embedding table is a matrix whose rows are looked up by token id; when the output
//! projection is tied to the embeddings, both share one packed matrix.

use super::config::Activation;
use super::packed::{Epilogue, PackedMatrix};
use crate::{Error, Result};
use candle_core::{DType, Device, Module, Storage, Tensor};
use std::sync::Arc;

/// How weight matrices are stored for computation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Quantization {
    /// The compute dtype (f32 on CPU): results follow transformers' to rounding.
    #[default]
    None,
    /// 8-bit weights with one f32 scale per output (CPU only): about 4× less memory traffic per
    /// decoder step, at the price of small differences in the logits (and so, sometimes, in the
    /// chosen tokens).
    Int8,
    /// bf16 weights (each f32 weight rounded to 16 bits), multiplied in f32 (CPU only): half the
    /// memory traffic per decoder step, which is what bounds one sentence at a time, at the price
    /// of smaller differences than int8's.
    Bf16,
}

impl std::str::FromStr for Quantization {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Self, String> {
        match name {
            "none" | "f32" => Ok(Quantization::None),
            "int8" => Ok(Quantization::Int8),
            "bf16" => Ok(Quantization::Bf16),
            other => Err(format!(
                "unknown weight form `{other}`: use int8, bf16 or none"
            )),
        }
    }
}

impl std::fmt::Display for Quantization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Quantization::None => "none",
            Quantization::Int8 => "int8",
            Quantization::Bf16 => "bf16",
        })
    }
}

/// A weight matrix `[out, in]` in its computing form.
#[derive(Debug, Clone)]
pub(crate) enum Matrix {
    /// A tensor on any device, multiplied through candle.
    Tensor(Tensor),
    /// Packed for the CPU kernel (f32, bf16 or int8).
    Packed(Arc<PackedMatrix>),
}

impl Matrix {
    /// The computing form of `weight` for `device` and `quantization`.
    pub(crate) fn prepare(weight: Tensor, quantization: Quantization) -> Result<Self> {
        let device = weight.device();
        if !device.is_cpu() || weight.dtype() != DType::F32 {
            if quantization != Quantization::None {
                return Err(Error::GenerationOption {
                    option: "quantize",
                    problem: format!("{quantization} weights are computed on the CPU only"),
                });
            }
            return Ok(Matrix::Tensor(weight));
        }
        let (out, inp) = weight
            .dims2()
            .map_err(|e| Error::compute("packing a weight matrix", e))?;
        let packed = cpu_values(&weight, |values| match quantization {
            Quantization::None => PackedMatrix::pack(values, out, inp),
            Quantization::Int8 => PackedMatrix::pack_int8(values, out, inp),
            Quantization::Bf16 => PackedMatrix::pack_bf16(values, out, inp),
        })
        .map_err(|e| Error::compute("packing a weight matrix", e))?;
        Ok(Matrix::Packed(Arc::new(packed)))
    }

    /// `epilogue(x · Wᵀ + bias)` for `x` of `[..., in]`; `bias` holds `out` values (`bias_tensor`
    /// is the same values as a tensor, for the candle path).
    fn forward(
        &self,
        x: &Tensor,
        bias: &[f32],
        bias_tensor: &Tensor,
        epilogue: Epilogue,
    ) -> candle_core::Result<Tensor> {
        let dims = x.dims().to_vec();
        let inp = dims[dims.len() - 1];
        let rows = x.elem_count() / inp;
        let mut out_dims = dims;
        match self {
            Matrix::Packed(packed) => {
                *out_dims.last_mut().expect("rank >= 1") = packed.out_dim();
                let mut y = vec![0f32; rows * packed.out_dim()];
                cpu_values(x, |values| {
                    packed.matmul_into(values, bias, epilogue, &mut y)
                })?;
                Tensor::from_vec(y, out_dims, x.device())
            }
            Matrix::Tensor(weight) => {
                *out_dims.last_mut().expect("rank >= 1") = weight.dim(0)?;
                let y = x
                    .reshape((rows, inp))?
                    .matmul(&weight.t()?)?
                    .broadcast_add(bias_tensor)?;
                let y = match epilogue {
                    Epilogue::Bias => y,
                    Epilogue::BiasSilu => y.silu()?,
                    Epilogue::BiasRelu => y.relu()?,
                };
                y.reshape(out_dims)
            }
        }
    }
}

/// Calls `f` with the values of `tensor` (f32, on CPU), made contiguous if needed.
pub(crate) fn cpu_values<T>(
    tensor: &Tensor,
    f: impl FnOnce(&[f32]) -> T,
) -> candle_core::Result<T> {
    let tensor = tensor.contiguous()?;
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        candle_core::bail!("expected a tensor in CPU memory");
    };
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("expected a contiguous tensor".into()))?;
    Ok(f(&cpu.as_slice::<f32>()?[start..end]))
}

/// A dense layer `x·Wᵀ + b`, W stored as in the checkpoint (`[out, in]`).
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    weight: Matrix,
    bias: Tensor,
    bias_values: Arc<Vec<f32>>,
}

impl Linear {
    /// A layer from its checkpoint tensors (`weight` `[out, in]`, `bias` `[out]`), not yet
    /// prepared.
    pub(crate) fn new(weight: Tensor, bias: Tensor) -> Result<Self> {
        let bias_values = bias
            .to_dtype(DType::F32)
            .and_then(|b| b.to_vec1::<f32>())
            .map_err(|e| Error::compute("reading a bias", e))?;
        Ok(Self {
            weight: Matrix::Tensor(weight),
            bias,
            bias_values: Arc::new(bias_values),
        })
    }

    fn tensor(&self) -> Result<&Tensor> {
        match &self.weight {
            Matrix::Tensor(t) => Ok(t),
            Matrix::Packed(_) => Err(Error::compute(
                "combining projections",
                candle_core::Error::Msg("the layer is already packed".into()),
            )),
        }
    }

    /// Several layers with the same input, fused into one matrix (rows concatenated).
    pub(crate) fn fuse(parts: &[Linear]) -> Result<Self> {
        let weights = parts
            .iter()
            .map(Linear::tensor)
            .collect::<Result<Vec<_>>>()?;
        let biases: Vec<&Tensor> = parts.iter().map(|l| &l.bias).collect();
        Self::new(
            Tensor::cat(&weights, 0).map_err(|e| Error::compute("fusing projections", e))?,
            Tensor::cat(&biases, 0).map_err(|e| Error::compute("fusing projections", e))?,
        )
    }

    /// The layer with its output multiplied by `factor` (exact when `factor` is a power of two).
    pub(crate) fn scaled(&self, factor: f64) -> Result<Self> {
        let scale = |t: &Tensor| {
            t.affine(factor, 0.0)
                .map_err(|e| Error::compute("scaling a projection", e))
        };
        Self::new(scale(self.tensor()?)?, scale(&self.bias)?)
    }

    /// The layer in its computing form (see the module documentation).
    pub(crate) fn prepare(self, quantization: Quantization) -> Result<Self> {
        let weight = match self.weight {
            Matrix::Tensor(t) => Matrix::prepare(t, quantization)?,
            packed => packed,
        };
        Ok(Self { weight, ..self })
    }

    /// `x·Wᵀ + b` followed by `activation` (fused into the product where the kernel can).
    pub(crate) fn forward_activated(
        &self,
        x: &Tensor,
        activation: Activation,
    ) -> candle_core::Result<Tensor> {
        let fused = match activation {
            Activation::Silu => Some(Epilogue::BiasSilu),
            Activation::Relu => Some(Epilogue::BiasRelu),
            Activation::Gelu | Activation::GeluTanh => None,
        };
        match fused {
            Some(epilogue) => self
                .weight
                .forward(x, &self.bias_values, &self.bias, epilogue),
            None => {
                let y = self.forward(x)?;
                match activation {
                    Activation::Gelu => y.gelu_erf(),
                    _ => y.gelu(),
                }
            }
        }
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.weight
            .forward(x, &self.bias_values, &self.bias, Epilogue::Bias)
    }
}

/// A token embedding table `[vocab, d]`.
#[derive(Debug, Clone)]
pub(crate) struct Embedding {
    table: Matrix,
}

impl Embedding {
    /// The table in its computing form (rows are always kept exactly: lookups of a quantized
    /// table would change every input).
    pub(crate) fn prepare(table: Tensor) -> Result<Self> {
        Ok(Self {
            table: Matrix::prepare(table, Quantization::None)?,
        })
    }

    /// Rows `ids`, `[ids.len(), d]`.
    pub(crate) fn lookup(&self, ids: &[u32], device: &Device) -> candle_core::Result<Tensor> {
        match &self.table {
            Matrix::Packed(packed) => Tensor::from_vec(
                packed.gather_rows(ids),
                (ids.len(), packed.in_dim()),
                device,
            ),
            Matrix::Tensor(table) => {
                table.index_select(&Tensor::from_slice(ids, ids.len(), device)?, 0)
            }
        }
    }

    /// Rows `ids` as plain numbers, when the table is on CPU (packed), for fused operations.
    pub(crate) fn lookup_values(&self, ids: &[u32]) -> Option<Vec<f32>> {
        match &self.table {
            Matrix::Packed(packed) => Some(packed.gather_rows(ids)),
            Matrix::Tensor(_) => None,
        }
    }

    /// The table as the matrix of an output projection (tied weights) that computes in the
    /// table's own form.
    pub(crate) fn as_projection(&self) -> Matrix {
        self.table.clone()
    }
}

/// The output projection: `h · Wᵀ + final_logits_bias`, written into a caller's buffer.
#[derive(Debug)]
pub(crate) struct OutputProjection {
    weight: Matrix,
    bias: Tensor,
    bias_values: Vec<f32>,
}

impl OutputProjection {
    pub(crate) fn new(weight: Matrix, bias: Tensor) -> Result<Self> {
        let bias_values = bias
            .flatten_all()
            .and_then(|b| b.to_dtype(DType::F32))
            .and_then(|b| b.to_vec1::<f32>())
            .map_err(|e| Error::compute("loading final_logits_bias", e))?;
        Ok(Self {
            weight,
            bias,
            bias_values,
        })
    }

    /// `final_logits_bias` as numbers.
    pub(crate) fn bias(&self) -> &[f32] {
        &self.bias_values
    }

    /// Logits of `hidden` (`[rows, d]`) as a tensor `[rows, vocab]` (f32).
    pub(crate) fn logits(&self, hidden: &Tensor) -> candle_core::Result<Tensor> {
        match &self.weight {
            Matrix::Tensor(w) => hidden
                .matmul(&w.t()?)?
                .to_dtype(DType::F32)?
                .broadcast_add(&self.bias),
            packed => packed.forward(hidden, &self.bias_values, &self.bias, Epilogue::Bias),
        }
    }

    /// Logits of `hidden` (`[rows, d]`) into `out` (resized to `rows × vocab`, reused between
    /// steps so that no step allocates them).
    pub(crate) fn logits_into(
        &self,
        hidden: &Tensor,
        out: &mut Vec<f32>,
    ) -> candle_core::Result<()> {
        match &self.weight {
            Matrix::Packed(packed) => {
                let rows = hidden.dim(0)?;
                out.resize(rows * packed.out_dim(), 0.0);
                cpu_values(hidden, |h| {
                    packed.matmul_into(h, &self.bias_values, Epilogue::Bias, out)
                })
            }
            Matrix::Tensor(_) => {
                let logits = self.logits(hidden)?.flatten_all()?.to_vec1::<f32>()?;
                out.clear();
                out.extend_from_slice(&logits);
                Ok(())
            }
        }
    }
}
