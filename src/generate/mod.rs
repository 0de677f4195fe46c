//! Greedy and beam search with transformers' semantics, over a [`MarianModel`].
//!
//! [`generate`] takes token ids (each source ending with `</s>`) and returns, for each, the ids
//! transformers' `generate` would return — after the decoder start token, up to and including the
//! end-of-sentence token — with a score. The settings come from the model's files
//! ([`GenerationConfig::from_files`]) with the user's [`GenerationOptions`] applied.
//!
//! The caller chooses the batch: sources of different lengths are padded and masked, and every
//! sentence gets exactly the tokens it would get alone. Within a batch the encoder runs once,
//! cross-attention keys and values are computed once per sentence, and sentences that finish leave
//! the running batch.
//!
//! ```
//! use candle_core::{DType, Device};
//! use passeur::generate::{generate, GenerationConfig, GenerationOptions};
//! use passeur::model::{MarianConfig, MarianModel};
//! use std::path::Path;
//!
//! let dir = Path::new("tests/fixtures/marian-tiny"); // a random-weight model in the hub layout
//! let config = MarianConfig::from_file(&dir.join("config.json"))?;
//! let model = MarianModel::load(&config, &dir.join("model.safetensors"), &Device::Cpu, DType::F32)?;
//! let defaults = GenerationConfig::from_files(&config, Some(&dir.join("generation_config.json")))?;
//! let settings = defaults.with_options(&GenerationOptions { num_beams: Some(1), ..Default::default() });
//! let out = generate(&model, &[vec![217, 2, 28, 0]], &settings)?;
//! assert_eq!(out[0].ids.last(), Some(&0)); // ends with </s>
//! # Ok::<(), passeur::Error>(())
//! ```

mod awake;
mod beam;
mod greedy;
mod logits;
mod options;

pub use options::{EarlyStopping, GenerationConfig, GenerationOptions};

use crate::model::{DecoderState, MarianModel};
use crate::{Error, Result};

/// One output of [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// Generated token ids: after the decoder start token, up to and including end-of-sentence
    /// (which is absent only when `max_new_tokens` ran out and no forced end-of-sentence is set).
    pub ids: Vec<u32>,
    /// Beam search: transformers' `sequences_scores` (sum of processed log-probabilities divided
    /// by length^length_penalty). Greedy search: the mean processed log-probability per generated
    /// token. Both count the end-of-sentence token; closer to 0 is more confident.
    pub score: f32,
}

/// Translates `sources` (token ids, each ending with `</s>`) with `config`, in one batch.
pub fn generate(
    model: &MarianModel,
    sources: &[Vec<u32>],
    config: &GenerationConfig,
) -> Result<Vec<Hypothesis>> {
    config.check(model.config())?;
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    // The other CPU threads wait on the CPU's products, not a GPU's.
    let _awake = model.device().is_cpu().then(awake::KeepAwake::start);
    let encoded = model.encode(sources)?;
    if config.num_beams == 1 {
        greedy::greedy_search(model, &encoded, config)
    } else {
        beam::beam_search(model, &encoded, config)
    }
}

/// The first decoder step's raw logits for each source (decoder input: the start token), before
/// any processor: `[sources][decoder_vocab_size]`.
///
/// Public only for the parity tests (tests/it/parity.rs and others compare it with transformers'
/// logits); not part of the API.
#[doc(hidden)]
pub fn first_step_logits(
    model: &MarianModel,
    sources: &[Vec<u32>],
    config: &GenerationConfig,
) -> Result<Vec<Vec<f32>>> {
    config.check(model.config())?;
    let encoded = model.encode(sources)?;
    let mut state = model.start_decoding(&encoded, 1, 1)?;
    let logits = model.decode_step(
        &mut state,
        &vec![config.decoder_start_token_id; sources.len()],
    )?;
    let vocab = model.config().decoder_vocab_size;
    let data = logits
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(|e| Error::compute("reading logits", e))?;
    Ok(data.chunks(vocab).map(<[f32]>::to_vec).collect())
}

/// One decoder step; the logits, `final_logits_bias` added, land in `rows` (reused between steps).
fn next_logits(
    model: &MarianModel,
    state: &mut DecoderState,
    tokens: &[u32],
    rows: &mut Vec<f32>,
) -> Result<()> {
    model.decode_step_into(state, tokens, rows)
}
