//! `passeur models` (what models.toml knows and what the cache holds) and `passeur fetch` (download a
//! model ahead of time, e.g. before going offline).

use std::path::Path;
use std::process::ExitCode;

use passeur::hub::{
    self, cache_status, CacheStatus, HubCache, ModelFiles, ModelSource, ResolveOptions,
    DEFAULT_MODEL,
};
use passeur::tokenizer::MarianTokenizer;

/// Arguments of `passeur models`.
#[derive(clap::Args)]
pub struct ModelsArgs {}

/// Arguments of `passeur fetch`.
#[derive(clap::Args)]
pub struct FetchArgs {
    /// A name from `passeur models`, a hub repo id (Owner/name or Owner/name@revision), or a local
    /// folder to check.
    #[arg(value_name = "MODEL", default_value = DEFAULT_MODEL)]
    model: String,

    /// No progress bars.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `passeur models`: every models.toml entry and whether it is in the cache (no network).
pub fn run_models(_args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let options = ResolveOptions::from_env();
    let cache = HubCache::new(&options.cache_dir);
    for entry in hub::catalog()? {
        let default = if entry.name == DEFAULT_MODEL {
            "  (default)"
        } else {
            ""
        };
        let status = match cache_status(entry, &cache) {
            CacheStatus::Complete => "cached".to_owned(),
            CacheStatus::Absent => "not cached".to_owned(),
            CacheStatus::Partial { missing } => {
                format!("partly cached (missing {})", missing.join(", "))
            }
        };
        println!("{}{default}: {status}", entry.name);
        println!("    {} @ {}", entry.repo, entry.revision);
        println!("    {}", entry.description);
        let defaults = describe_generation(&entry.generation);
        if !defaults.is_empty() {
            println!("    decoding defaults: {defaults}");
        }
    }
    println!();
    println!("Hugging Face cache: {}", options.cache_dir.display());
    if options.offline {
        println!("HF_HUB_OFFLINE is set: models that are not cached cannot be used.");
    }
    println!(
        "--model also accepts any hub repo id (Owner/name or Owner/name@revision) and any local \
         folder laid out like an opus-mt repo."
    );
    Ok(ExitCode::SUCCESS)
}

/// `beams 4, max_new_tokens 256` for the settings an entry's `[model.generation]` table makes.
fn describe_generation(generation: &hub::GenerationDefaults) -> String {
    [
        ("beams", generation.num_beams),
        ("max_new_tokens", generation.max_new_tokens),
        ("min_new_tokens", generation.min_new_tokens),
        ("no_repeat_ngram_size", generation.no_repeat_ngram_size),
    ]
    .iter()
    .filter_map(|(name, value)| value.map(|v| format!("{name} {v}")))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Runs `passeur fetch`: resolves (downloading what is missing) and checks the tokenizer files.
pub fn run_fetch(args: FetchArgs) -> anyhow::Result<ExitCode> {
    let mut options = ResolveOptions::from_env();
    if args.quiet {
        options.progress = false;
    }
    let files = hub::resolve(&args.model, &options)?;
    let tokenizer = MarianTokenizer::from_model_files(&files)?;
    print_files(&args.model, &files, tokenizer.vocab_size());
    Ok(ExitCode::SUCCESS)
}

fn print_files(spec: &str, files: &ModelFiles, vocab_size: usize) {
    match &files.source {
        ModelSource::Local { dir } => println!("{spec}: complete model folder {}", dir.display()),
        ModelSource::Hub(origin) => {
            let commit = origin.commit.as_deref().unwrap_or("unknown commit");
            println!(
                "{spec}: ready in the cache ({} at {}, commit {commit})",
                origin.repo, origin.revision
            );
        }
    }
    let show = |role: &str, path: &Path| println!("  {role:<24}{}", path.display());
    show("config", &files.config);
    if let Some(path) = &files.generation_config {
        show("generation config", path);
    }
    if let Some(path) = &files.tokenizer_config {
        show("tokenizer config", path);
    }
    show("source SentencePiece", &files.source_spm);
    show("target SentencePiece", &files.target_spm);
    show("vocabulary", &files.vocab);
    show("weights", &files.weights);
    if let ModelSource::Hub(origin) = &files.source {
        if origin.weights_revision != origin.revision {
            let commit = origin.weights_commit.as_deref().unwrap_or("unknown commit");
            println!(
                "  (weights from revision {}, commit {commit})",
                origin.weights_revision
            );
        }
    }
    println!("  tokenizer checked: {vocab_size} vocabulary entries");
}
