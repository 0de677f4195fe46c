//! The options every translating subcommand shares, and the one place the engine is built from them.

use anyhow::Context;
use passeur::fidelity::{GuardOptions, QuoteStyle};
use passeur::generate::GenerationOptions;
use passeur::model::Quantization;
use passeur::translate::Translator;
use passeur::verdict::Tally;
use passeur::{Device, Passeur, PasseurBuilder};

/// Model and decoding options of `lines`, `translate` and `batch`.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// Model: a name from models.toml (`passeur models` lists them), a Hugging Face repo id
    /// (Owner/name, optionally @revision) or a local folder laid out like an opus-mt repo.
    #[arg(
        short,
        long,
        value_name = "M",
        default_value = "opus-mt-fr-en",
        env = "PASSEUR_MODEL"
    )]
    pub model: String,

    /// Hub revision of the model (branch, tag or commit) [default: the one pinned in models.toml,
    /// else main].
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// Beam size, 1 for greedy decoding [default: the model's generation_config.json, 4 for
    /// opus-mt-fr-en].
    #[arg(long, value_name = "N", value_parser = parse_beams)]
    pub beams: Option<u32>,

    /// Most tokens generated per sentence, end-of-sentence included [default: the model's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_new_tokens: Option<u32>,

    /// Fewest tokens generated before end-of-sentence is allowed [default: the model's, 0].
    #[arg(long, value_name = "N")]
    pub min_new_tokens: Option<u32>,

    /// Most sentences decoded together.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub batch_size: u32,

    /// Compute threads of the translator [default: the RAYON_NUM_THREADS environment variable,
    /// else the number of physical cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// Store the weight matrices as 8-bit integers (CPU only): faster, especially for one
    /// sentence at a time, but translations may differ slightly from the exact f32 model's.
    #[arg(long, value_name = "int8", value_parser = parse_quantize)]
    pub quantize: Option<Quantization>,

    /// Type of the stored weight matrices (CPU only): f32, exact, or bf16, half the bytes to read
    /// (faster one sentence at a time; the arithmetic stays f32, and translations may differ
    /// slightly from the exact model's, less often than with --quantize int8) [default: f32].
    #[arg(long, value_name = "TYPE", value_parser = parse_dtype, conflicts_with = "quantize")]
    pub dtype: Option<Quantization>,

    /// Where the model runs: `cpu`, or `cuda` / `cuda:N` for an NVIDIA GPU (needs a passeur built
    /// with `--features cuda`).
    #[arg(long, value_name = "DEVICE", default_value = "cpu", value_parser = parse_device)]
    pub device: Device,
}

/// `--quantize`: int8 (or none); bf16 is asked for with `--dtype`.
fn parse_quantize(value: &str) -> Result<Quantization, String> {
    match value.parse()? {
        Quantization::Bf16 => Err("bf16 is a weight type: use --dtype bf16".into()),
        form => Ok(form),
    }
}

/// `--dtype`: the stored type of the weights, f32 or bf16.
fn parse_dtype(value: &str) -> Result<Quantization, String> {
    match value {
        "f32" => Ok(Quantization::None),
        "bf16" => Ok(Quantization::Bf16),
        other => Err(format!("unknown weight type `{other}`: use f32 or bf16")),
    }
}

fn parse_device(value: &str) -> Result<Device, String> {
    value.parse().map_err(|err: passeur::Error| err.to_string())
}

/// Widest beam accepted: beyond it decoding gets slow for no measurable gain.
const MAX_BEAMS: u32 = 64;

fn parse_beams(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(beams) if (1..=MAX_BEAMS).contains(&beams) => Ok(beams),
        _ => Err(format!(
            "`{value}` is not a beam size: use 1 (greedy) or more, up to {MAX_BEAMS}"
        )),
    }
}

impl EngineArgs {
    /// The model spec with `--revision` applied.
    pub fn model_spec(&self) -> anyhow::Result<String> {
        let usage = |message: String| Err(super::UsageError(message).into());
        match &self.revision {
            Some(_) if std::path::Path::new(&self.model).is_dir() => usage(format!(
                "--revision applies to hub models; `{}` is a local folder",
                self.model
            )),
            Some(_) if self.model.contains('@') => usage(format!(
                "`{}` already names a revision after `@`; drop --revision or the `@…`",
                self.model
            )),
            Some(revision) => Ok(format!("{}@{revision}", self.model)),
            None => Ok(self.model.clone()),
        }
    }

    /// The decoding overrides these options ask for.
    pub fn generation(&self) -> GenerationOptions {
        GenerationOptions {
            num_beams: self.beams.map(|n| n as usize),
            max_new_tokens: self.max_new_tokens.map(|n| n as usize),
            min_new_tokens: self.min_new_tokens.map(|n| n as usize),
            ..GenerationOptions::default()
        }
    }

    /// The library's settings these options ask for: the one place the CLI's engine is
    /// decided (the guard is on unless `guard` is `None`).
    pub fn builder(
        &self,
        quiet: bool,
        guard: Option<GuardOptions>,
    ) -> anyhow::Result<PasseurBuilder> {
        if let Some(problem) = passeur::cpu::environment_problem() {
            anyhow::bail!("{problem}");
        }
        if matches!(self.device, Device::Cuda(_)) && !cfg!(feature = "cuda") {
            anyhow::bail!(
                "this passeur was built without GPU support: rebuild it with \
                 `cargo build --release --features cuda` (needs the CUDA toolkit), or drop --device"
            );
        }
        let mut builder = Passeur::builder(self.model_spec()?)
            .generation(self.generation())
            .batch_size(self.batch_size as usize)
            .quantize(self.quantize.or(self.dtype).unwrap_or_default())
            .device(self.device);
        if let Some(threads) = self.threads {
            builder = builder.threads(threads as usize);
        }
        if quiet {
            builder = builder.progress(false);
        }
        Ok(match guard {
            Some(options) => builder.guard_options(options),
            None => builder.guard(false),
        })
    }

    /// Loads the model behind the guard `guard` asks for (none when `None`).
    pub fn build(&self, quiet: bool, guard: Option<GuardOptions>) -> anyhow::Result<Passeur> {
        let spec = self.model_spec()?;
        self.builder(quiet, guard)?
            .build()
            .with_context(|| format!("loading the model `{spec}`"))
    }

    /// Loads the model alone, without guard or pipeline (what `passeur lines` runs).
    pub fn build_translator(&self, quiet: bool) -> anyhow::Result<Translator> {
        let spec = self.model_spec()?;
        self.builder(quiet, None)?
            .build_translator()
            .with_context(|| format!("loading the model `{spec}`"))
    }
}

/// How `translate` and `batch` read their inputs and split over-long sentences.
#[derive(clap::Args, Debug, Clone)]
pub struct DocumentArgs {
    /// Read the input in this encoding instead of detecting it (windows-1252, iso-8859-15,
    /// utf-16le, …); a byte-order mark still wins.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,

    /// Split sentences longer than N source tokens at clause punctuation (; : , —), then between
    /// words; nothing is dropped [default and maximum: the model's position limit].
    #[arg(long, value_name = "N", value_parser = parse_token_budget)]
    pub max_sentence_tokens: Option<usize>,

    /// Refuse an input larger than SIZE (bytes, or with a K, M or G suffix: 64M, 1G); a larger
    /// file is refused before it is read, a stream as soon as it passes the limit.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_input_size: u64,
}

/// Parses a size in bytes: a whole number with an optional K, M, G or T suffix (powers of 1024;
/// `KiB`, `MB` and the like are read the same way).
pub fn parse_size(value: &str) -> Result<u64, String> {
    let trimmed = value.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "`{value}` is not a size: write a number of bytes, or 512K, 64M, 1G"
            ))
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!("`{value}` is not a size: write a number of bytes, or 512K, 64M, 1G")
        })
}

/// Smallest `--max-sentence-tokens` accepted: below it, pieces would be a word or two.
const MIN_TOKEN_BUDGET: usize = 8;

fn parse_token_budget(value: &str) -> Result<usize, String> {
    let budget: usize = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of tokens"))?;
    if budget < MIN_TOKEN_BUDGET {
        return Err(format!("must be at least {MIN_TOKEN_BUDGET} tokens"));
    }
    Ok(budget)
}

impl DocumentArgs {
    /// The encoding `--encoding` names, if given.
    pub fn forced_encoding(&self) -> passeur::Result<Option<&'static encoding_rs::Encoding>> {
        self.encoding
            .as_deref()
            .map(passeur::input::encoding_for_label)
            .transpose()
    }
}

/// Fidelity-guard options of `translate` and `batch`.
#[derive(clap::Args, Debug, Clone)]
pub struct FidelityArgs {
    /// Exit with an error (after writing the output) if any sentence stays flagged as doubtful.
    #[arg(long)]
    pub strict: bool,

    /// Skip the fidelity guard: no span protection, checks, recovery, flags or typography (what
    /// has nothing to translate is still copied, never sent to the model).
    #[arg(long, conflicts_with = "strict")]
    pub no_guard: bool,

    /// Quotes in the English: curly (“ ” ‘ ’) or straight (" ').
    #[arg(long, value_name = "STYLE", default_value = "curly", value_parser = ["curly", "straight"])]
    pub quotes: String,
}

impl FidelityArgs {
    /// The guard settings these options ask for, or `None` with --no-guard.
    pub fn guard(&self) -> Option<GuardOptions> {
        if self.no_guard {
            return None;
        }
        let quotes = match self.quotes.as_str() {
            "straight" => QuoteStyle::Straight,
            _ => QuoteStyle::Curly,
        };
        Some(GuardOptions {
            quotes,
            ..GuardOptions::default()
        })
    }

    /// With --strict, the one strict rule ([`Tally::check_strict`]) applied to `verdicts`.
    pub fn check_strict(&self, verdicts: &Tally) -> passeur::Result<()> {
        if self.strict {
            verdicts.check_strict()
        } else {
            Ok(())
        }
    }
}
