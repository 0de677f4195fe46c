//! `passeur models` (what models.toml knows, what the cache holds of each model file by file, and
//! the CPU path) and `passeur fetch` (download a model ahead of time, e.g. before going offline).

use std::path::Path;
use std::process::ExitCode;

use passeur::hub::{
    self, CacheStatus, FileNeed, FileState, HubCache, ModelFiles, ModelSource, ResolveOptions,
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

/// Runs `passeur models`: every models.toml entry, file by file as the cache holds it, then the
/// CPU path and threads translation would use (no network).
pub fn run_models(_args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let options = ResolveOptions::from_env();
    let cache = HubCache::new(&options.cache_dir);
    for entry in hub::catalog()? {
        let default = if entry.name == DEFAULT_MODEL {
            "  (default)"
        } else {
            ""
        };
        let report = hub::inspect(entry, &cache);
        let status = report.status();
        let summary = match &status {
            CacheStatus::Complete => "cached".to_owned(),
            CacheStatus::Absent => "not cached".to_owned(),
            CacheStatus::Partial { missing } => {
                format!("partly cached (missing {})", missing.join(", "))
            }
        };
        println!("{}{default}: {summary}", entry.name);
        println!("    {} @ {}", entry.repo, entry.revision);
        println!("    {}", entry.description);
        let defaults = describe_generation(&entry.generation);
        if !defaults.is_empty() {
            println!("    decoding defaults: {defaults}");
        }
        if status == CacheStatus::Absent {
            println!(
                "    files: none in {} (`passeur fetch {}` downloads them)",
                report.repo_dir.display(),
                entry.name
            );
        } else {
            print_report(&report);
        }
    }
    println!();
    println!("Hugging Face cache: {}", options.cache_dir.display());
    if options.offline {
        println!("HF_HUB_OFFLINE is set: models that are not cached cannot be used.");
    } else if options.endpoint != hub::DEFAULT_ENDPOINT {
        println!("Downloads from: {} (HF_ENDPOINT)", options.endpoint);
    }
    println!(
        "--model also accepts any hub repo id (Owner/name or Owner/name@revision) and any local \
         folder laid out like an opus-mt repo."
    );
    println!("CPU: {}", passeur::cpu::describe());
    println!(
        "Threads: {} by default (RAYON_NUM_THREADS, else one per physical core; --threads N to change)",
        passeur::cpu::default_threads()
    );
    Ok(ExitCode::SUCCESS)
}

/// One line per file: present (and where, under the repo's folder) or what exactly is missing.
fn print_report(report: &hub::ModelReport) {
    println!("    files in {}:", report.repo_dir.display());
    let mut weights_header = false;
    for file in &report.files {
        if file.need == FileNeed::Weights && !weights_header {
            println!("      weights, the first one present is used:");
            weights_header = true;
        }
        let name = if file.need == FileNeed::Weights {
            format!("{} @ {}", file.file, file.revision)
        } else {
            file.file.clone()
        };
        let state = match &file.state {
            FileState::Present(path) => {
                let shown = path.strip_prefix(&report.repo_dir).unwrap_or(path);
                format!("present  {}", shown.display())
            }
            FileState::KnownAbsent => "absent   (the hub has no such file)".to_owned(),
            FileState::Missing(_) if file.need == FileNeed::Optional => {
                "not cached (optional)".to_owned()
            }
            FileState::Missing(detail) => format!("MISSING  {detail}"),
        };
        println!("      {name:<34} {state}");
    }
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
