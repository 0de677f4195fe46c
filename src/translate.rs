//! The Translator: tokenizer, model and search together.
//!
//! [`SentenceTranslator`] is the seam between the pipeline and the engine: the pipeline (and the
//! fidelity guard in front of the engine) hands over sentences and gets a [`SentenceTranslation`]
//! back for each, and never knows about tokens or tensors. The engine-backed implementation is
//! [`Translator`]; tests use scripted implementations. [`Translator::translate`] is the engine's
//! own call, below the seam: ids and scores ([`Translation`]), for evaluation.
//!
//! [`Translator::translate`] sorts the sentences of a call by token length, cuts them into batches
//! under a sentence count and a token budget (so padding stays small and the decoder caches stay
//! bounded; see `crate::rebatch`), runs each batch through [`generate`], and returns the results
//! in the callers' order.
//! Empty or whitespace-only sentences never reach the model.

// The engine's items (`Translator` and what it needs) build with the feature `engine` only; the
// seam above them (`SentenceTranslator` and its types) is always there.
#[cfg(feature = "engine")]
use {
    crate::generate::{generate, GenerationConfig, GenerationOptions},
    crate::hub::{self, ModelFiles, ResolveOptions},
    crate::model::{MarianConfig, MarianModel, Quantization},
    crate::rebatch::{rebatch, BatchLimits, LengthOrder, Reordered},
    crate::tokenizer::MarianTokenizer,
    crate::Error,
    candle_core::{DType, Device},
    std::path::Path,
};

use crate::verdict::Verdict;
use crate::Result;

/// One text's English and how it was made: what a [`SentenceTranslator`] returns, what the
/// fidelity guard returns and the sentence cache keeps, carried unchanged to the document.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceTranslation {
    /// The English text.
    pub text: String,
    /// The model's score for the kept hypothesis (mean log-probability per generated token), when
    /// the translation came from the model.
    pub score: Option<f32>,
    /// What happened: translated, recovered by a fidelity step, or flagged.
    pub verdict: Verdict,
}

impl SentenceTranslation {
    /// A translation with a score and nothing to report about it ([`Verdict::Translated`]).
    pub fn new(text: impl Into<String>, score: Option<f32>) -> Self {
        SentenceTranslation {
            text: text.into(),
            score,
            verdict: Verdict::Translated,
        }
    }
}

/// Where translations came from, recorded in every output format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// Model name or hub repo id (or local folder path).
    pub model: String,
    /// Hub revision (branch, tag or commit) when the model came from the hub.
    pub revision: Option<String>,
    /// Decoding options in words, e.g. `beams=4 max_new_tokens=512`.
    pub decoding: String,
    /// passeur's version.
    pub passeur_version: String,
}

/// Anything that translates French sentences into English.
///
/// Only [`translate_sentences`](Self::translate_sentences) is required; a test double is a few
/// lines:
///
/// ```
/// use passeur::translate::{SentenceTranslation, SentenceTranslator};
///
/// struct Shouting;
/// impl SentenceTranslator for Shouting {
///     fn translate_sentences(&self, texts: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
///         Ok(texts.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
///     }
/// }
/// assert_eq!(Shouting.token_count("Deux mots."), 3);
/// assert_eq!(Shouting.max_source_tokens(), 512);
/// ```
pub trait SentenceTranslator {
    /// Translates `sentences`, returning exactly one translation per input, in order.
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>>;

    /// Number of source tokens `sentence` becomes (end-of-sentence token included). By default
    /// its whitespace-separated words plus one, a stand-in for translators without a tokenizer.
    fn token_count(&self, sentence: &str) -> usize {
        sentence.split_whitespace().count() + 1
    }

    /// Largest number of source tokens one sentence may have; by default 512, opus-mt's limit.
    fn max_source_tokens(&self) -> usize {
        512
    }

    /// Model and decoding settings, for the outputs' provenance. By default the translator's
    /// type name as the model, no revision, and `unspecified` decoding.
    fn provenance(&self) -> Provenance {
        Provenance {
            model: std::any::type_name::<Self>().to_string(),
            revision: None,
            decoding: "unspecified".to_string(),
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The model-level result for one sentence: what `passeur lines --jsonl` prints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Translation {
    /// Source token ids, `</s>` included (empty for an empty sentence).
    pub source_ids: Vec<u32>,
    /// Generated ids after the decoder start token, up to and including `</s>`.
    pub ids: Vec<u32>,
    /// The generated ids as text, special tokens dropped.
    pub text: String,
    /// The hypothesis score (see [`crate::generate::Hypothesis::score`]); `None` for an empty
    /// sentence, which is not sent to the model.
    pub score: Option<f32>,
}

#[cfg(feature = "engine")]
/// How a [`Translator`] runs: device, batching and decoding overrides.
#[derive(Debug, Clone)]
pub struct TranslatorOptions {
    /// Where the model runs.
    pub device: Device,
    /// User overrides of the model's decoding defaults (generation_config.json).
    pub generation: GenerationOptions,
    /// Most sentences decoded together.
    pub max_batch_sentences: usize,
    /// Most source tokens in one batch, padding included (longest sentence × sentences).
    pub max_batch_tokens: usize,
    /// How the model's weight matrices are stored ([`Quantization::Int8`], [`Quantization::Bf16`]:
    /// faster on CPU, not exactly transformers' results).
    pub quantization: Quantization,
    /// Compute threads of this translator. Its loading and all its work (passeur's kernels and
    /// the candle operations it uses) run on a pool of its own with this many threads, so two
    /// translators with one thread each, used from two threads of a program, use two cores.
    /// `None`: [`crate::cpu::default_threads`] (`RAYON_NUM_THREADS`, else the physical cores).
    pub threads: Option<usize>,
}

#[cfg(feature = "engine")]
impl Default for TranslatorOptions {
    fn default() -> Self {
        TranslatorOptions {
            device: Device::Cpu,
            generation: GenerationOptions::default(),
            max_batch_sentences: 16,
            max_batch_tokens: 4096,
            quantization: Quantization::None,
            threads: None,
        }
    }
}

#[cfg(feature = "engine")]
/// A loaded translation engine: MarianTokenizer, Marian model and generation settings.
///
/// ```
/// use passeur::translate::{Translator, TranslatorOptions};
/// use passeur::hub::resolve_local;
///
/// // A random-weight model in the layout of an opus-mt hub repo: real decoding, gibberish English.
/// let files = resolve_local(std::path::Path::new("tests/fixtures/marian-tiny"))?;
/// let translator = Translator::from_files(files, TranslatorOptions::default())?;
/// let out = translator.translate(&["Bonjour le monde.", ""])?;
/// assert_eq!(out.len(), 2);
/// assert_eq!(out[0].ids.last(), Some(&translator.tokenizer().eos_id()));
/// assert!(out[1].ids.is_empty()); // empty input never reaches the model
/// # Ok::<(), passeur::Error>(())
/// ```
#[derive(Debug)]
pub struct Translator {
    files: ModelFiles,
    tokenizer: MarianTokenizer,
    model: MarianModel,
    generation: GenerationConfig,
    options: TranslatorOptions,
    /// The threads everything this translator computes runs on.
    pool: rayon::ThreadPool,
}

#[cfg(feature = "engine")]
impl Translator {
    /// Resolves `model` (a models.toml name, a hub repo id or a local folder; downloading when
    /// allowed) and loads it.
    pub fn load(model: &str, resolve: &ResolveOptions, options: TranslatorOptions) -> Result<Self> {
        let files = hub::resolve(model, resolve)?;
        Self::from_files(files, options)
    }

    /// Loads the model whose files are `files`.
    pub fn from_files(files: ModelFiles, options: TranslatorOptions) -> Result<Self> {
        if options.max_batch_sentences == 0 || options.max_batch_tokens == 0 {
            return Err(Error::GenerationOption {
                option: "batch size",
                problem: "must be at least 1".into(),
            });
        }
        let pool = thread_pool(options.threads)?;
        let tokenizer = MarianTokenizer::from_model_files(&files)?;
        let config = MarianConfig::from_file(&files.config)?;
        check_tokenizer_matches(&tokenizer, &config, &files.vocab)?;
        // Packing the weights is parallel work too: it stays on this translator's threads.
        let model = pool.install(|| {
            MarianModel::load_with(
                &config,
                &files.weights,
                &options.device,
                DType::F32,
                options.quantization,
            )
        })?;
        let generation = GenerationConfig::from_files(&config, files.generation_config.as_deref())?
            .with_options(&files.generation_defaults)
            .with_options(&options.generation);
        generation.check(&config)?;
        Ok(Translator {
            files,
            tokenizer,
            model,
            generation,
            options,
            pool,
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &MarianTokenizer {
        &self.tokenizer
    }

    /// The model.
    pub fn model(&self) -> &MarianModel {
        &self.model
    }

    /// The model's files and where they came from.
    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// The number of compute threads this translator uses.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The decoding settings in force (model defaults with the options applied).
    pub fn generation(&self) -> &GenerationConfig {
        &self.generation
    }

    /// Translates `sentences` with the decoding settings in force.
    pub fn translate(&self, sentences: &[&str]) -> Result<Vec<Translation>> {
        self.translate_with(sentences, &self.generation)
    }

    /// Translates `sentences` with other decoding settings (for example a retry with a repetition
    /// guard), derived from the ones in force by `options`.
    pub fn translate_with_options(
        &self,
        sentences: &[&str],
        options: &GenerationOptions,
    ) -> Result<Vec<Translation>> {
        let generation = self.generation.with_options(options);
        generation.check(self.model.config())?;
        self.translate_with(sentences, &generation)
    }

    fn translate_with(
        &self,
        sentences: &[&str],
        generation: &GenerationConfig,
    ) -> Result<Vec<Translation>> {
        let sources: Vec<Vec<u32>> = sentences
            .iter()
            .map(|s| {
                if s.trim().is_empty() {
                    Vec::new()
                } else {
                    self.tokenizer.encode(s)
                }
            })
            .collect();
        // Refuse over-long sentences before any decoding, naming the caller's index.
        let max = self.model.config().max_position_embeddings;
        if let Some(index) = sources.iter().position(|ids| ids.len() > max) {
            return Err(Error::InvalidSource {
                index,
                problem: format!(
                    "{} tokens, more than the model's {max} positions (max_position_embeddings); \
                     split the sentence into shorter pieces",
                    sources[index].len()
                ),
            });
        }
        // Empty sentences never reach the model.
        let to_model: Vec<usize> = (0..sources.len())
            .filter(|&i| !sources[i].is_empty())
            .collect();
        let lengths: Vec<usize> = to_model.iter().map(|&i| sources[i].len()).collect();
        let limits = BatchLimits {
            max_items: self.options.max_batch_sentences,
            max_tokens: self.options.max_batch_tokens,
            order: LengthOrder::LongestFirst,
        };
        let mut generated = Reordered::new(to_model.len());
        for batch in rebatch(&lengths, &limits) {
            let batch_sources: Vec<Vec<u32>> = batch
                .iter()
                .map(|&k| sources[to_model[k]].clone())
                .collect();
            let hypotheses = self
                .pool
                .install(|| generate(&self.model, &batch_sources, generation))?;
            generated.put(&batch, hypotheses, "generation")?;
        }
        let mut generated = to_model.into_iter().zip(generated.finish()).peekable();
        Ok(sources
            .into_iter()
            .enumerate()
            .map(
                |(index, source_ids)| match generated.next_if(|(i, _)| *i == index) {
                    Some((_, hypothesis)) => Translation {
                        text: self.tokenizer.decode(&hypothesis.ids),
                        source_ids,
                        ids: hypothesis.ids,
                        score: Some(hypothesis.score),
                    },
                    None => Translation {
                        source_ids,
                        ids: Vec::new(),
                        text: String::new(),
                        score: None,
                    },
                },
            )
            .collect())
    }
}

#[cfg(feature = "engine")]
impl SentenceTranslator for Translator {
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
        Ok(self
            .translate(sentences)?
            .into_iter()
            .map(|t| SentenceTranslation::new(t.text, t.score))
            .collect())
    }

    fn token_count(&self, sentence: &str) -> usize {
        self.tokenizer.encode(sentence).len()
    }

    fn max_source_tokens(&self) -> usize {
        self.model.config().max_position_embeddings
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            model: self.files.source.model_label(),
            revision: self.files.source.revision_label(),
            // The weight form changes outputs too (so batch fingerprints and front matter say it);
            // exact f32 adds nothing, which keeps earlier records' fingerprints.
            decoding: match self.model.quantization() {
                Quantization::None => self.generation.to_string(),
                weights => format!("{} weights={weights}", self.generation),
            },
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

#[cfg(feature = "engine")]
/// The pool of `threads` compute threads (default: [`crate::cpu::default_threads`]).
fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let threads = threads.unwrap_or_else(crate::cpu::default_threads);
    if threads == 0 {
        return Err(Error::GenerationOption {
            option: "threads",
            problem: "must be at least 1".into(),
        });
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("passeur-compute-{i}"))
        .build()
        .map_err(|e| Error::Message(format!("cannot start {threads} compute threads: {e}")))
}

#[cfg(feature = "engine")]
/// Fails when the tokenizer's special ids do not match the model's configuration: the model would
/// run, but on the wrong ids, and silently produce nonsense.
fn check_tokenizer_matches(
    tokenizer: &MarianTokenizer,
    config: &MarianConfig,
    vocab: &Path,
) -> Result<()> {
    let checks = [
        ("eos_token_id", tokenizer.eos_id(), config.eos_token_id),
        ("pad_token_id", tokenizer.pad_id(), config.pad_token_id),
    ];
    for (key, from_vocab, from_config) in checks {
        if from_vocab != from_config {
            return Err(Error::ModelConfig {
                path: config.path.clone(),
                field: key.to_string(),
                problem: format!(
                    "is {from_config}, but {} gives the token id {from_vocab}: the tokenizer and \
                     the model do not belong together",
                    vocab.display()
                ),
            });
        }
    }
    if tokenizer.vocab_size() > config.vocab_size {
        return Err(Error::ModelConfig {
            path: config.path.clone(),
            field: "vocab_size".to_string(),
            problem: format!(
                "is {}, smaller than the {} entries of {}",
                config.vocab_size,
                tokenizer.vocab_size(),
                vocab.display()
            ),
        });
    }
    Ok(())
}
