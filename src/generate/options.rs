//! Decoding settings: the model's defaults (`generation_config.json`) and the user's overrides.
//!
//! Rules, following transformers' `GenerationConfig`:
//! * With a `generation_config.json`, its keys are the defaults; token ids it lacks come from
//!   `config.json`. Without one, the generation keys of `config.json` are used (transformers'
//!   `GenerationConfig.from_model_config`).
//! * `max_new_tokens` wins over `max_length`; `max_length` counts the decoder start token, so it
//!   allows `max_length - 1` new tokens. Deliberate difference: where neither is set, transformers
//!   falls back to `max_length = 20` and silently cuts translations at 19 tokens; passeur allows
//!   `max_position_embeddings` new tokens instead.
//! * `min_length` counts the start token too and becomes `min_new_tokens = min_length - 1`.
//! * `bad_words_ids` entries equal to an end-of-sentence id are dropped, as transformers does.
//! * Settings that change results and that passeur does not implement (sampling, repetition
//!   penalties, diverse beams…) are refused when set to anything but their neutral value, and so
//!   is any unknown key: decoding differently from what the file asks would go unnoticed.

use crate::model::{ConfigKind, Fields, MarianConfig};
use crate::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// When beam search stops (transformers' `early_stopping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyStopping {
    /// `false` (the default): stop a sentence when no running beam, scored at the current length,
    /// can beat the worst of its `num_beams` finished hypotheses.
    Heuristic,
    /// `true`: stop a sentence as soon as it has `num_beams` finished hypotheses.
    WhenFull,
    /// `"never"`: stop only when no running beam can beat them even at the maximum length
    /// (canonical beam search when `length_penalty` > 0).
    Never,
}

/// User overrides of the model's decoding defaults; `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerationOptions {
    /// Beam width; 1 is greedy search.
    pub num_beams: Option<usize>,
    /// Most tokens generated per sentence, end-of-sentence included.
    pub max_new_tokens: Option<usize>,
    /// Fewest tokens generated before end-of-sentence is allowed.
    pub min_new_tokens: Option<usize>,
    /// Exponent of the length normalisation of beam scores (score = sum of log-probs / length^p).
    pub length_penalty: Option<f32>,
    /// Beam stopping rule.
    pub early_stopping: Option<EarlyStopping>,
    /// When > 0, no n-gram of this size occurs twice in an output (transformers'
    /// `no_repeat_ngram_size`; the decoder start token counts as part of the output).
    pub no_repeat_ngram_size: Option<usize>,
}

/// The complete, resolved decoding settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    /// First decoder input.
    pub decoder_start_token_id: u32,
    /// Tokens that end a hypothesis.
    pub eos_token_ids: Vec<u32>,
    /// Padding token (banned by the opus-mt configs through `bad_words_ids`).
    pub pad_token_id: u32,
    /// Token sequences never generated: the last token of a sequence is banned after its prefix.
    pub bad_words_ids: Vec<Vec<u32>>,
    /// Tokens forced (all others banned) at the last step allowed by `max_new_tokens`.
    pub forced_eos_token_ids: Vec<u32>,
    /// Most tokens generated per sentence.
    pub max_new_tokens: usize,
    /// End-of-sentence is banned while fewer tokens than this have been generated.
    pub min_new_tokens: usize,
    /// Beam width; 1 is greedy search.
    pub num_beams: usize,
    /// Exponent of the length normalisation of finished beam hypotheses.
    pub length_penalty: f32,
    /// Beam stopping rule.
    pub early_stopping: EarlyStopping,
    /// Re-apply log-softmax after banning and forcing tokens (changes beam scores only).
    pub renormalize_logits: bool,
    /// When > 0, n-grams of this size are never repeated.
    pub no_repeat_ngram_size: usize,
}

/// Keys passeur reads.
const SUPPORTED_KEYS: &[&str] = &[
    "decoder_start_token_id",
    "eos_token_id",
    "pad_token_id",
    "bos_token_id",
    "bad_words_ids",
    "forced_eos_token_id",
    "max_length",
    "max_new_tokens",
    "min_length",
    "min_new_tokens",
    "num_beams",
    "length_penalty",
    "early_stopping",
    "renormalize_logits",
    "no_repeat_ngram_size",
];

/// Keys with no effect on deterministic decoding of the best hypothesis.
const IGNORED_KEYS: &[&str] = &[
    "transformers_version",
    "_from_model_config",
    "use_cache",
    "output_scores",
    "output_logits",
    "output_attentions",
    "output_hidden_states",
    "return_dict_in_generate",
    "num_return_sequences",
    "temperature",
    "top_k",
    "top_p",
    "typical_p",
    "min_p",
    "epsilon_cutoff",
    "eta_cutoff",
    "cache_implementation",
    "is_assistant",
];

/// Keys passeur does not implement, accepted only at their neutral value.
fn neutral(key: &str, value: &Value) -> Option<bool> {
    let is_empty = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
    Some(match key {
        "do_sample" | "remove_invalid_values" | "low_memory" => {
            value == &Value::Bool(false) || value.is_null()
        }
        "repetition_penalty" | "encoder_repetition_penalty" | "guidance_scale" => {
            value.is_null() || value.as_f64() == Some(1.0)
        }
        "num_beam_groups" => value.is_null() || value.as_u64() == Some(1),
        "diversity_penalty" => value.is_null() || value.as_f64() == Some(0.0),
        "encoder_no_repeat_ngram_size" => value.is_null() || value.as_u64() == Some(0),
        "forced_bos_token_id"
        | "suppress_tokens"
        | "begin_suppress_tokens"
        | "exponential_decay_length_penalty"
        | "sequence_bias"
        | "penalty_alpha"
        | "constraints"
        | "force_words_ids"
        | "forced_decoder_ids"
        | "max_time"
        | "stop_strings" => is_empty(value),
        _ => return None,
    })
}

impl GenerationConfig {
    /// The model's decoding defaults: `generation_config` when the model has that file, else the
    /// generation keys of `config.json`.
    pub fn from_files(model: &MarianConfig, generation_config: Option<&Path>) -> Result<Self> {
        let fields = match generation_config {
            Some(path) => Fields::read(path, ConfigKind::Generation)?,
            None => Fields::from_map(
                model.generation_keys.clone(),
                &model.path,
                ConfigKind::Generation,
            ),
        };
        Self::from_fields(model, &fields)
    }

    /// Like [`Self::from_files`], from the text of a `generation_config.json` read from `path`.
    pub fn from_json_str(model: &MarianConfig, text: &str, path: &Path) -> Result<Self> {
        Self::from_fields(model, &Fields::parse(text, path, ConfigKind::Generation)?)
    }

    fn from_fields(model: &MarianConfig, f: &Fields) -> Result<Self> {
        for (key, value) in f.map() {
            if SUPPORTED_KEYS.contains(&key.as_str()) || IGNORED_KEYS.contains(&key.as_str()) {
                continue;
            }
            match neutral(key, value) {
                Some(true) => {}
                Some(false) => {
                    return Err(f.error(
                        key,
                        format!("{value} asks for a decoding feature passeur does not implement; remove the key or set it to its neutral value"),
                    ))
                }
                None => {
                    return Err(f.error(
                        key,
                        "unknown generation setting; passeur refuses settings it cannot honour. Remove the key",
                    ))
                }
            }
        }
        let eos_token_ids = f
            .opt_tokens("eos_token_id")?
            .unwrap_or_else(|| vec![model.eos_token_id]);
        let bad_words_ids = f
            .opt_token_lists("bad_words_ids")?
            .unwrap_or_default()
            .into_iter()
            .filter(|seq| !(seq.len() == 1 && eos_token_ids.contains(&seq[0])))
            .collect();
        let max_new_tokens = match (f.opt_usize("max_new_tokens")?, f.opt_usize("max_length")?) {
            (Some(n), _) => n,
            (None, Some(length)) if length >= 2 => length - 1,
            (None, Some(length)) => {
                return Err(f.error(
                    "max_length",
                    format!("{length} leaves no room for a generated token (it counts the decoder start token)"),
                ))
            }
            (None, None) => model.max_position_embeddings,
        };
        let min_new_tokens = f
            .opt_usize("min_new_tokens")?
            .unwrap_or(0)
            .max(f.opt_usize("min_length")?.unwrap_or(0).saturating_sub(1));
        let early_stopping = match f.get("early_stopping") {
            None | Some(Value::Bool(false)) => EarlyStopping::Heuristic,
            Some(Value::Bool(true)) => EarlyStopping::WhenFull,
            Some(Value::String(s)) if s == "never" => EarlyStopping::Never,
            Some(v) => {
                return Err(f.error(
                    "early_stopping",
                    format!("expected true, false or \"never\", found {v}"),
                ))
            }
        };
        let config = Self {
            decoder_start_token_id: f
                .opt_token("decoder_start_token_id")?
                .unwrap_or(model.decoder_start_token_id),
            eos_token_ids,
            pad_token_id: f.opt_token("pad_token_id")?.unwrap_or(model.pad_token_id),
            bad_words_ids,
            forced_eos_token_ids: f.opt_tokens("forced_eos_token_id")?.unwrap_or_default(),
            max_new_tokens,
            min_new_tokens,
            num_beams: f.opt_usize("num_beams")?.unwrap_or(1),
            length_penalty: f.opt_f64("length_penalty")?.unwrap_or(1.0) as f32,
            early_stopping,
            renormalize_logits: f.opt_bool("renormalize_logits")?.unwrap_or(false),
            no_repeat_ngram_size: f.opt_usize("no_repeat_ngram_size")?.unwrap_or(0),
        };
        config.check(model).map_err(|e| match e {
            Error::GenerationOption { option, problem } => f.error(option, problem),
            other => other,
        })?;
        Ok(config)
    }

    /// These settings with the user's overrides applied.
    pub fn with_options(&self, options: &GenerationOptions) -> Self {
        Self {
            num_beams: options.num_beams.unwrap_or(self.num_beams),
            max_new_tokens: options.max_new_tokens.unwrap_or(self.max_new_tokens),
            min_new_tokens: options.min_new_tokens.unwrap_or(self.min_new_tokens),
            length_penalty: options.length_penalty.unwrap_or(self.length_penalty),
            early_stopping: options.early_stopping.unwrap_or(self.early_stopping),
            no_repeat_ngram_size: options
                .no_repeat_ngram_size
                .unwrap_or(self.no_repeat_ngram_size),
            ..self.clone()
        }
    }

    /// Checks that these settings can run on `model`.
    pub fn check(&self, model: &MarianConfig) -> Result<()> {
        let fail = |option: &'static str, problem: String| {
            Err(Error::GenerationOption { option, problem })
        };
        let vocab = model.decoder_vocab_size;
        if self.num_beams == 0 {
            return fail("num_beams", "must be at least 1".into());
        }
        if self.num_beams > 256 || 2 * self.num_beams > vocab {
            return fail(
                "num_beams",
                format!(
                    "{} beams is more than passeur supports (at most 256, and half the vocabulary)",
                    self.num_beams
                ),
            );
        }
        if self.max_new_tokens == 0 {
            return fail("max_new_tokens", "must be at least 1".into());
        }
        let positions = model.max_position_embeddings;
        if self.max_new_tokens > positions {
            return fail(
                "max_new_tokens",
                format!(
                    "{} is more than the model's {positions} decoder positions (max_position_embeddings); ask for at most {positions}",
                    self.max_new_tokens
                ),
            );
        }
        if !self.length_penalty.is_finite() {
            return fail(
                "length_penalty",
                format!("{} is not a finite number", self.length_penalty),
            );
        }
        let ids = [
            ("decoder_start_token_id", self.decoder_start_token_id),
            ("pad_token_id", self.pad_token_id),
        ]
        .into_iter()
        .chain(self.eos_token_ids.iter().map(|&id| ("eos_token_id", id)))
        .chain(
            self.forced_eos_token_ids
                .iter()
                .map(|&id| ("forced_eos_token_id", id)),
        )
        .chain(
            self.bad_words_ids
                .iter()
                .flatten()
                .map(|&id| ("bad_words_ids", id)),
        );
        for (option, id) in ids {
            if id as usize >= vocab {
                return fail(
                    option,
                    format!("token {id} is outside the decoder vocabulary ({vocab})"),
                );
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for GenerationConfig {
    /// The settings that shape results, in words, e.g. for provenance records.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stopping = match self.early_stopping {
            EarlyStopping::Heuristic => "false",
            EarlyStopping::WhenFull => "true",
            EarlyStopping::Never => "never",
        };
        write!(
            f,
            "beams={} max_new_tokens={} min_new_tokens={} length_penalty={} early_stopping={stopping}",
            self.num_beams, self.max_new_tokens, self.min_new_tokens, self.length_penalty
        )?;
        if self.no_repeat_ngram_size > 0 {
            write!(f, " no_repeat_ngram_size={}", self.no_repeat_ngram_size)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_model() -> MarianConfig {
        let text = include_str!("../../tests/fixtures/marian-tiny/config.json");
        MarianConfig::from_json_str(text, Path::new("config.json")).unwrap()
    }

    const FIXTURE_GENERATION: &str =
        include_str!("../../tests/fixtures/marian-tiny/generation_config.json");

    #[test]
    fn fixture_generation_config_matches_transformers_defaults() {
        let model = fixture_model();
        let g = GenerationConfig::from_json_str(
            &model,
            FIXTURE_GENERATION,
            Path::new("generation_config.json"),
        )
        .unwrap();
        assert_eq!(g.decoder_start_token_id, 938);
        assert_eq!(g.eos_token_ids, vec![0]);
        assert_eq!(g.pad_token_id, 938);
        assert_eq!(g.bad_words_ids, vec![vec![938]]);
        assert_eq!(g.forced_eos_token_ids, vec![0]);
        assert_eq!(g.max_new_tokens, 511);
        assert_eq!((g.min_new_tokens, g.num_beams), (0, 4));
        assert_eq!(g.length_penalty, 1.0);
        assert_eq!(g.early_stopping, EarlyStopping::Heuristic);
        assert!(g.renormalize_logits);
        assert_eq!(g.no_repeat_ngram_size, 0);
    }

    #[test]
    fn without_generation_config_the_model_config_keys_are_used() {
        let model = fixture_model();
        let g = GenerationConfig::from_files(&model, None).unwrap();
        assert_eq!(g.num_beams, 4);
        assert_eq!(g.max_new_tokens, 511);
        assert_eq!(g.bad_words_ids, vec![vec![938]]);
        assert_eq!(g.forced_eos_token_ids, vec![0]);
        assert!(
            !g.renormalize_logits,
            "config.json has no renormalize_logits"
        );
    }

    #[test]
    fn options_override_defaults() {
        let model = fixture_model();
        let g = GenerationConfig::from_json_str(&model, FIXTURE_GENERATION, Path::new("g.json"))
            .unwrap();
        let o = g.with_options(&GenerationOptions {
            num_beams: Some(1),
            max_new_tokens: Some(16),
            early_stopping: Some(EarlyStopping::Never),
            ..Default::default()
        });
        assert_eq!(
            (o.num_beams, o.max_new_tokens, o.early_stopping),
            (1, 16, EarlyStopping::Never)
        );
        assert_eq!(o.min_new_tokens, 0);
        assert_eq!(
            o.to_string(),
            "beams=1 max_new_tokens=16 min_new_tokens=0 length_penalty=1 early_stopping=never"
        );
    }

    #[test]
    fn eos_is_dropped_from_bad_words_and_min_length_counts_the_start_token() {
        let model = fixture_model();
        let text =
            r#"{"bad_words_ids": [[0], [938], [5, 6]], "min_length": 3, "eos_token_id": [0, 7]}"#;
        let g = GenerationConfig::from_json_str(&model, text, Path::new("g.json")).unwrap();
        assert_eq!(g.bad_words_ids, vec![vec![938], vec![5, 6]]);
        assert_eq!(g.min_new_tokens, 2);
        assert_eq!(g.eos_token_ids, vec![0, 7]);
        assert_eq!(
            g.max_new_tokens, 512,
            "no max_length: max_position_embeddings"
        );
    }

    #[test]
    fn unsupported_settings_are_refused_with_their_key() {
        let model = fixture_model();
        for (text, key) in [
            (r#"{"do_sample": true}"#, "`do_sample`"),
            (r#"{"repetition_penalty": 1.2}"#, "`repetition_penalty`"),
            (r#"{"watermarking_config": {}}"#, "`watermarking_config`"),
            (r#"{"max_length": 1}"#, "`max_length`"),
            (r#"{"early_stopping": "sometimes"}"#, "`early_stopping`"),
            (r#"{"num_beams": 0}"#, "`num_beams`"),
            (r#"{"max_new_tokens": 600}"#, "`max_new_tokens`"),
            (r#"{"eos_token_id": 939}"#, "`eos_token_id`"),
        ] {
            let err = GenerationConfig::from_json_str(&model, text, Path::new("gen.json"))
                .expect_err(text)
                .to_string();
            assert!(
                err.contains("gen.json") && err.contains(key),
                "{text}: {err}"
            );
        }
        let neutral = r#"{"do_sample": false, "repetition_penalty": 1.0, "temperature": 0.7}"#;
        assert!(GenerationConfig::from_json_str(&model, neutral, Path::new("g.json")).is_ok());
    }
}
