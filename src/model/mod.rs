//! The Marian encoder-decoder (opus-mt models) on candle.
//!
//! * [`MarianConfig`] reads and checks `config.json`.
//! * [`MarianModel::load`] reads `model.safetensors` or `pytorch_model.bin`, checking every
//!   tensor's presence and shape against the config.
//! * [`MarianModel::encode`], [`MarianModel::start_decoding`] and [`MarianModel::decode_step`]
//!   are the steps [`crate::generate`] drives; they are public so that a caller (or a test) can
//!   look at logits directly.
//!
//! The model holds no state between calls: the same loaded model can encode sentence A, then B,
//! and B's result does not depend on A.
//!
//! On CPU the arithmetic runs outside candle where candle is slow for this model's shapes:
//! weight matrices packed once at load for a register-blocked kernel (`packed`, through
//! `linear`), and fused LayerNorm and one-query attention (`fused`). Results differ from
//! candle's only by rounding; other devices (CUDA) keep candle's operations. The opt-in
//! [`Quantization::Int8`] stores weight matrices in 8 bits (see `notes/perf.md`).

mod attention;
mod config;
mod fused;
mod json;
mod linear;
mod marian;
pub(crate) mod packed;
mod rows;
pub(crate) mod simd;
mod weights;

pub(crate) use json::{ConfigKind, Fields};

pub use config::{Activation, MarianConfig};
pub use linear::Quantization;
pub use marian::{sinusoidal_positions, DecoderState, EncoderOutput, MarianModel};
