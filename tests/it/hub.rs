//! Model resolution: models.toml, local folders, the Hugging Face cache in Python's layout (built
//! here in temp folders, as huggingface_hub lays it out), offline rules, and downloads from a fake
//! hub served on 127.0.0.1 (the real hub is never contacted).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use passeur::hub::{
    self, cache_status, CacheLookup, CacheStatus, FileState, HubCache, ModelSource, ModelSpec,
    NetworkOptions, ResolveOptions, WeightsFormat,
};
use passeur::tokenizer::MarianTokenizer;
use passeur::Error;

const FR_EN: &str = "Helsinki-NLP/opus-mt-fr-en";
/// The revision models.toml pins for opus-mt-fr-en.
const FR_EN_MAIN: &str = "b4a9a384c2ec68a224bbd2ee3fd5df0c71ca5b1b";
const PR4_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKENIZER_AND_CONFIG: [&str; 6] = [
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "source.spm",
    "target.spm",
    "vocab.json",
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

fn fixture_file(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap()
}

fn offline(cache: &Path) -> ResolveOptions {
    ResolveOptions {
        offline: true,
        ..ResolveOptions::new(cache)
    }
}

/// Writes files into a hub cache the way Python's huggingface_hub does: contents in `blobs/`,
/// relative symlinks in `snapshots/<commit>/`, and `refs/<ref>` holding the commit.
fn python_cache(cache: &Path, repo: &str, commit: &str, refs: &[&str], files: &[(&str, Vec<u8>)]) {
    let repo_dir = cache.join(format!("models--{}", repo.replace('/', "--")));
    let snapshot = repo_dir.join("snapshots").join(commit);
    std::fs::create_dir_all(repo_dir.join("blobs")).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    for (name, contents) in files {
        let blob = format!("{:016x}{:016x}", fnv(contents), contents.len());
        std::fs::write(repo_dir.join("blobs").join(&blob), contents).unwrap();
        let link = snapshot.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(Path::new("../../blobs").join(&blob), &link).unwrap();
    }
    for reference in refs {
        let path = repo_dir.join("refs").join(reference);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, commit).unwrap();
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn fixture_files(names: &[&str]) -> Vec<(&'static str, Vec<u8>)> {
    names
        .iter()
        .map(|name| {
            let name: &'static str = Box::leak(name.to_string().into_boxed_str());
            (name, fixture_file(name))
        })
        .collect()
}

/// The fixture's files as Python transformers caches opus-mt-fr-en from main: pytorch_model.bin,
/// no safetensors file.
fn python_cache_of_main(cache: &Path) {
    let mut files = fixture_files(&TOKENIZER_AND_CONFIG);
    files.push(("pytorch_model.bin", b"not really a pickle".to_vec()));
    python_cache(cache, FR_EN, FR_EN_MAIN, &["main"], &files);
}

// ---------------------------------------------------------------------------------------------
// models.toml

#[test]
fn models_toml_pins_both_french_models() {
    let catalog = hub::catalog().expect("the compiled-in models.toml parses");
    let names: Vec<&str> = catalog.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["opus-mt-fr-en", "opus-mt-tc-big-fr-en"]);

    let fr_en = &catalog[0];
    assert_eq!(fr_en.repo, FR_EN);
    assert_eq!(fr_en.revision, FR_EN_MAIN);
    let weights: Vec<(&str, Option<&str>)> = fr_en
        .weights
        .iter()
        .map(|w| (w.file.as_str(), w.revision.as_deref()))
        .collect();
    assert_eq!(
        weights,
        [
            ("model.safetensors", Some("refs/pr/4")),
            ("pytorch_model.bin", None)
        ]
    );
    assert_eq!(catalog[1].repo, "Helsinki-NLP/opus-mt-tc-big-fr-en");
    assert_eq!(hub::DEFAULT_MODEL, "opus-mt-fr-en");
}

#[test]
fn models_toml_mistakes_are_reported() {
    let entry = |extra: &str| {
        format!(
            "[[model]]\nname = \"x\"\nrepo = \"A/b\"\nrevision = \"main\"\ndescription = \"d\"\n\
             weights = [{{ file = \"model.safetensors\" }}]\n{extra}"
        )
    };
    assert!(hub::parse_catalog(&entry("")).is_ok());
    for (text, words) in [
        (entry("typo = 1"), "typo"),
        (format!("{}\n{}", entry(""), entry("")), "twice"),
        (entry("").replace("A/b", "not a repo"), "Owner/name"),
        (entry("").replace("\"main\"", "\"../x\""), "revision"),
        (
            entry("").replace("[{ file = \"model.safetensors\" }]", "[]"),
            "no weights",
        ),
    ] {
        let err = hub::parse_catalog(&text).unwrap_err();
        assert!(matches!(err, Error::ModelsToml { .. }));
        assert!(err.to_string().contains(words), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Model specs

#[test]
fn specs_are_names_folders_or_repo_ids() {
    assert!(matches!(
        ModelSpec::parse("opus-mt-fr-en").unwrap(),
        ModelSpec::Catalog(entry) if entry.repo == FR_EN
    ));
    let dir = fixture_dir();
    assert_eq!(
        ModelSpec::parse(dir.to_str().unwrap()).unwrap(),
        ModelSpec::Local(dir.clone())
    );
    assert_eq!(
        ModelSpec::parse("Helsinki-NLP/opus-mt-de-en").unwrap(),
        ModelSpec::Hub {
            repo: "Helsinki-NLP/opus-mt-de-en".into(),
            revision: "main".into()
        }
    );
    assert_eq!(
        ModelSpec::parse("Helsinki-NLP/opus-mt-fr-en@refs/pr/4").unwrap(),
        ModelSpec::Hub {
            repo: FR_EN.into(),
            revision: "refs/pr/4".into()
        }
    );
    // A models.toml name at another revision keeps the name's repo (what --revision gives).
    assert!(matches!(
        ModelSpec::parse("opus-mt-fr-en@refs/pr/4").unwrap(),
        ModelSpec::CatalogAt { entry, revision } if entry.repo == FR_EN && revision == "refs/pr/4"
    ));
    assert!(ModelSpec::parse("opus-mt-fr-en@../x")
        .unwrap_err()
        .to_string()
        .contains("not a valid revision"));
}

#[test]
fn models_toml_generation_defaults_are_read_and_checked() {
    let entry = hub::catalog()
        .unwrap()
        .iter()
        .find(|e| e.name == "opus-mt-fr-en")
        .unwrap();
    assert_eq!(entry.generation.num_beams, Some(4));
    let with = |table: &str| {
        format!(
            "[[model]]\nname = \"m\"\nrepo = \"O/m\"\nrevision = \"main\"\ndescription = \"d\"\n\
             weights = [{{ file = \"model.safetensors\" }}]\ngeneration = {table}\n"
        )
    };
    let parsed = hub::parse_catalog(&with("{ num_beams = 2, max_new_tokens = 100 }")).unwrap();
    let options = parsed[0].generation.to_options();
    assert_eq!(
        (options.num_beams, options.max_new_tokens),
        (Some(2), Some(100))
    );
    for (table, words) in [
        ("{ num_beams = 0 }", "at least 1"),
        ("{ beams = 2 }", "unknown field"),
    ] {
        let err = hub::parse_catalog(&with(table)).unwrap_err().to_string();
        assert!(err.contains(words), "{table}: {err}");
    }
}

#[test]
fn bad_specs_say_what_is_wrong() {
    let message = |spec: &str| ModelSpec::parse(spec).unwrap_err().to_string();
    let unknown = message("opus-mt-fr-em");
    assert!(
        unknown.contains("unknown model `opus-mt-fr-em`"),
        "{unknown}"
    );
    assert!(
        unknown.contains("opus-mt-fr-en, opus-mt-tc-big-fr-en"),
        "{unknown}"
    );
    assert!(message("./no/such/model").contains("no such folder"));
    assert!(message("/no/such/model").contains("no such folder"));
    assert!(message("Owner/name@").contains("revision after '@' is empty"));
    assert!(message("Owner/na me").contains("may only contain"));
    assert!(message("Owner/x@../../etc").contains("not a valid revision"));
    assert!(message("").contains("empty"));
    let file = fixture_dir().join("config.json");
    assert!(message(file.to_str().unwrap()).contains("this is a file"));
}

// ---------------------------------------------------------------------------------------------
// Local folders

/// A copy of the fixture folder without `missing` files.
fn fixture_copy_without(missing: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !missing.contains(&name.to_str().unwrap()) {
            std::fs::copy(entry.path(), tmp.path().join(name)).unwrap();
        }
    }
    tmp
}

#[test]
fn a_complete_local_folder_resolves_to_its_files() {
    let dir = fixture_dir();
    let files = hub::resolve(dir.to_str().unwrap(), &offline(Path::new("/nonexistent"))).unwrap();
    assert_eq!(files.config, dir.join("config.json"));
    assert_eq!(files.source_spm, dir.join("source.spm"));
    assert_eq!(files.target_spm, dir.join("target.spm"));
    assert_eq!(files.vocab, dir.join("vocab.json"));
    assert_eq!(files.weights, dir.join("model.safetensors"));
    assert_eq!(files.weights_format(), WeightsFormat::Safetensors);
    assert_eq!(
        files.generation_config,
        Some(dir.join("generation_config.json"))
    );
    assert_eq!(
        files.tokenizer_config,
        Some(dir.join("tokenizer_config.json"))
    );
    assert_eq!(files.source, ModelSource::Local { dir: dir.clone() });
    assert_eq!(files.source.revision_label(), None);
    assert_eq!(files.source.model_label(), dir.display().to_string());
}

#[test]
fn each_missing_required_file_is_named() {
    for (file, role) in [
        ("config.json", "the model configuration"),
        ("source.spm", "the source-language SentencePiece model"),
        ("target.spm", "the target-language SentencePiece model"),
        ("vocab.json", "the token vocabulary"),
    ] {
        let tmp = fixture_copy_without(&[file]);
        let err = hub::resolve_local(tmp.path()).unwrap_err();
        match &err {
            Error::ModelFileMissing {
                dir,
                file: missing,
                role: why,
            } => {
                assert_eq!(dir, tmp.path());
                assert_eq!(missing, file);
                assert_eq!(why, role);
            }
            other => panic!("{file}: unexpected error {other}"),
        }
        let message = err.to_string();
        assert!(
            message.contains(&tmp.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains(&format!("missing {file}")), "{message}");
    }
}

#[test]
fn a_folder_without_weights_is_named() {
    let tmp = fixture_copy_without(&["model.safetensors"]);
    let err = hub::resolve_local(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::NoWeightsFile { ref dir } if dir == tmp.path()));
    assert!(err
        .to_string()
        .contains("neither model.safetensors nor pytorch_model.bin"));
}

#[test]
fn a_folder_with_only_pytorch_weights_uses_them() {
    let tmp = fixture_copy_without(&["model.safetensors", "generation_config.json"]);
    std::fs::write(tmp.path().join("pytorch_model.bin"), b"pickle").unwrap();
    let files = hub::resolve_local(tmp.path()).unwrap();
    assert_eq!(files.weights, tmp.path().join("pytorch_model.bin"));
    assert_eq!(files.weights_format(), WeightsFormat::PytorchPickle);
    assert_eq!(files.generation_config, None);
}

#[test]
fn a_directory_named_like_a_file_is_not_taken_for_it() {
    let tmp = fixture_copy_without(&["config.json"]);
    std::fs::create_dir(tmp.path().join("config.json")).unwrap();
    let err = hub::resolve_local(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("missing config.json"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The Hugging Face cache, offline

#[test]
fn a_model_cached_by_python_from_main_is_reused_offline() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());

    let files = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap();
    let snapshot = cache
        .path()
        .join("models--Helsinki-NLP--opus-mt-fr-en/snapshots")
        .join(FR_EN_MAIN);
    assert_eq!(files.config, snapshot.join("config.json"));
    assert_eq!(files.vocab, snapshot.join("vocab.json"));
    assert_eq!(files.weights, snapshot.join("pytorch_model.bin"));
    assert_eq!(files.weights_format(), WeightsFormat::PytorchPickle);
    assert_eq!(
        files.generation_config,
        Some(snapshot.join("generation_config.json"))
    );
    let ModelSource::Hub(origin) = &files.source else {
        panic!("expected a hub source");
    };
    assert_eq!(origin.name.as_deref(), Some("opus-mt-fr-en"));
    assert_eq!(origin.repo, FR_EN);
    assert_eq!(origin.commit.as_deref(), Some(FR_EN_MAIN));
    assert_eq!(origin.weights_revision, FR_EN_MAIN);
    assert_eq!(files.source.revision_label().as_deref(), Some(FR_EN_MAIN));

    // The files are usable as they are.
    let tokenizer = MarianTokenizer::from_model_files(&files).unwrap();
    assert_eq!(
        tokenizer.encode("Bonjour"),
        vec![2, 321, 82, 410, 164, 12, 0]
    );
}

#[test]
fn the_safetensors_of_the_pull_request_revision_is_preferred() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());
    // transformers fetches the safetensors conversion from the PR and records refs/refs/pr/4.
    python_cache(
        cache.path(),
        FR_EN,
        PR4_COMMIT,
        &["refs/pr/4"],
        &fixture_files(&["model.safetensors"]),
    );
    let files = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap();
    assert!(files
        .weights
        .ends_with(format!("snapshots/{PR4_COMMIT}/model.safetensors")));
    assert!(files
        .config
        .ends_with(format!("snapshots/{FR_EN_MAIN}/config.json")));
    let ModelSource::Hub(origin) = &files.source else {
        panic!("expected a hub source");
    };
    assert_eq!(origin.weights_revision, "refs/pr/4");
    assert_eq!(origin.weights_commit.as_deref(), Some(PR4_COMMIT));
    assert_eq!(
        files.source.revision_label().unwrap(),
        format!("{FR_EN_MAIN} (weights: refs/pr/4 = {PR4_COMMIT})")
    );
}

#[test]
fn an_offline_cache_miss_names_repo_revision_and_file_and_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    let err = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap_err();
    match &err {
        Error::OfflineCacheMiss(miss) => {
            assert_eq!(miss.repo, FR_EN);
            assert_eq!(miss.revision, FR_EN_MAIN);
            assert_eq!(miss.file, "config.json");
            assert_eq!(miss.cache_dir, cache.path());
        }
        other => panic!("unexpected error {other}"),
    }
    let message = err.to_string();
    for words in [
        FR_EN,
        FR_EN_MAIN,
        "config.json",
        "HF_HUB_OFFLINE forbids downloading it",
        "the cache has no folder models--Helsinki-NLP--opus-mt-fr-en",
    ] {
        assert!(message.contains(words), "{message:?} lacks {words:?}");
    }
    // The library describes; the command line gives the advice (tested with the CLI below).
    assert!(!message.contains("passeur fetch"), "{message}");
}

#[test]
fn an_offline_miss_of_one_file_names_that_file() {
    let cache = tempfile::tempdir().unwrap();
    let mut files = fixture_files(&["config.json", "source.spm", "target.spm"]);
    files.push(("pytorch_model.bin", b"x".to_vec()));
    python_cache(cache.path(), FR_EN, FR_EN_MAIN, &["main"], &files);
    let err = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap_err();
    assert!(
        matches!(&err, Error::OfflineCacheMiss(miss) if miss.file == "vocab.json"),
        "{err}"
    );
}

#[test]
fn an_offline_miss_of_the_weights_lists_what_was_looked_for() {
    let cache = tempfile::tempdir().unwrap();
    python_cache(
        cache.path(),
        FR_EN,
        FR_EN_MAIN,
        &["main"],
        &fixture_files(&TOKENIZER_AND_CONFIG),
    );
    let message = hub::resolve("opus-mt-fr-en", &offline(cache.path()))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(&format!(
            "a weights file (model.safetensors at refs/pr/4, pytorch_model.bin at {FR_EN_MAIN})"
        )),
        "{message}"
    );
    // Exactly what is missing, in the cache's own terms.
    assert!(
        message.contains("model.safetensors: refs/refs/pr/4 does not exist"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "pytorch_model.bin: snapshots/{FR_EN_MAIN}/ has no pytorch_model.bin"
        )),
        "{message}"
    );
}

#[test]
fn an_offline_miss_says_which_snapshot_lacks_the_file_the_ref_points_to() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());
    // refs/refs/pr/4 copied, its snapshot not.
    let pr_ref = cache
        .path()
        .join("models--Helsinki-NLP--opus-mt-fr-en/refs/refs/pr/4");
    std::fs::create_dir_all(pr_ref.parent().unwrap()).unwrap();
    std::fs::write(&pr_ref, PR4_COMMIT).unwrap();
    let catalog = hub::catalog().unwrap();
    let report = hub::inspect(&catalog[0], &HubCache::new(cache.path()));
    let safetensors = report
        .files
        .iter()
        .find(|f| f.file == "model.safetensors")
        .unwrap();
    assert_eq!(safetensors.revision, "refs/pr/4");
    assert_eq!(
        safetensors.state,
        FileState::Missing(format!(
            "refs/refs/pr/4 points to commit {PR4_COMMIT}, but snapshots/{PR4_COMMIT}/ does not exist"
        ))
    );
    // pytorch_model.bin from main is there: the model is complete all the same.
    assert_eq!(report.status(), CacheStatus::Complete);
}

#[test]
fn an_offline_miss_mentions_other_cached_revisions() {
    let cache = tempfile::tempdir().unwrap();
    let other = "fedcba9876543210fedcba9876543210fedcba98";
    let mut files = fixture_files(&TOKENIZER_AND_CONFIG);
    files.push(("pytorch_model.bin", b"x".to_vec()));
    python_cache(cache.path(), FR_EN, other, &["main"], &files);
    // A revision holding only the safetensors weights, as huggingface_hub leaves refs/pr/4: not
    // a complete model, so never offered.
    python_cache(
        cache.path(),
        FR_EN,
        PR4_COMMIT,
        &["refs/pr/4"],
        &fixture_files(&["model.safetensors"]),
    );
    let err = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "the cache holds a complete model of this repo at main (= {other})"
        )),
        "{message}"
    );
    let Error::OfflineCacheMiss(miss) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        miss.complete_revisions,
        [("main".to_owned(), other.to_owned())]
    );
    // ... and each revision offered works when asked for, by name or repo id.
    for spec in ["opus-mt-fr-en@main".to_owned(), format!("{FR_EN}@main")] {
        let files = hub::resolve(&spec, &offline(cache.path())).unwrap();
        assert!(files
            .config
            .ends_with(format!("snapshots/{other}/config.json")));
    }
}

#[test]
fn a_snapshot_link_to_a_deleted_blob_counts_as_missing() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());
    let vocab = cache
        .path()
        .join("models--Helsinki-NLP--opus-mt-fr-en/snapshots")
        .join(FR_EN_MAIN)
        .join("vocab.json");
    std::fs::remove_file(std::fs::canonicalize(&vocab).unwrap()).unwrap();
    let err = hub::resolve("opus-mt-fr-en", &offline(cache.path())).unwrap_err();
    assert!(
        matches!(&err, Error::OfflineCacheMiss(miss) if miss.file == "vocab.json"),
        "{err}"
    );
}

#[test]
fn cache_lookups_follow_refs_commits_and_no_exist_markers() {
    let cache_dir = tempfile::tempdir().unwrap();
    python_cache_of_main(cache_dir.path());
    let no_exist = cache_dir
        .path()
        .join("models--Helsinki-NLP--opus-mt-fr-en/.no_exist")
        .join(FR_EN_MAIN);
    std::fs::create_dir_all(&no_exist).unwrap();
    std::fs::write(no_exist.join("model.safetensors"), b"").unwrap();

    let cache = HubCache::new(cache_dir.path());
    assert!(matches!(
        cache.lookup(FR_EN, "main", "config.json"),
        CacheLookup::Found(_)
    ));
    assert!(matches!(
        cache.lookup(FR_EN, FR_EN_MAIN, "config.json"),
        CacheLookup::Found(_)
    ));
    assert_eq!(
        cache.lookup(FR_EN, "main", "model.safetensors"),
        CacheLookup::KnownAbsent
    );
    assert_eq!(
        cache.lookup(FR_EN, "main", "flax_model.msgpack"),
        CacheLookup::Missing
    );
    assert_eq!(
        cache.lookup(FR_EN, "v2", "config.json"),
        CacheLookup::Missing
    );
    assert_eq!(
        cache.lookup("Other/repo", "main", "config.json"),
        CacheLookup::Missing
    );
    assert_eq!(cache.commit(FR_EN, "main").as_deref(), Some(FR_EN_MAIN));
    assert_eq!(cache.commit(FR_EN, "v2"), None);
}

#[test]
fn cache_status_tells_complete_partial_and_absent() {
    let catalog = hub::catalog().unwrap();
    let fr_en = &catalog[0];
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = HubCache::new(cache_dir.path());
    assert_eq!(cache_status(fr_en, &cache), CacheStatus::Absent);

    python_cache(
        cache_dir.path(),
        FR_EN,
        FR_EN_MAIN,
        &["main"],
        &fixture_files(&["config.json", "source.spm"]),
    );
    assert_eq!(
        cache_status(fr_en, &cache),
        CacheStatus::Partial {
            missing: vec![
                "target.spm".into(),
                "vocab.json".into(),
                "model.safetensors or pytorch_model.bin".into()
            ]
        }
    );
    python_cache_of_main(cache_dir.path());
    assert_eq!(cache_status(fr_en, &cache), CacheStatus::Complete);
}

// ---------------------------------------------------------------------------------------------
// Environment

#[test]
fn the_cache_location_follows_huggingface_hub_precedence() {
    let options = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ResolveOptions::from_vars(|name| vars.get(name).cloned(), true)
    };
    let home = [("HOME", "/home/ana")];
    assert_eq!(
        options(&home).cache_dir,
        Path::new("/home/ana/.cache/huggingface/hub")
    );
    assert_eq!(
        options(&[home[0], ("XDG_CACHE_HOME", "/xdg")]).cache_dir,
        Path::new("/xdg/huggingface/hub")
    );
    assert_eq!(
        options(&[home[0], ("XDG_CACHE_HOME", "/xdg"), ("HF_HOME", "~/hf")]).cache_dir,
        Path::new("/home/ana/hf/hub")
    );
    assert_eq!(
        options(&[
            home[0],
            ("HF_HOME", "/hf"),
            ("HUGGINGFACE_HUB_CACHE", "/old")
        ])
        .cache_dir,
        Path::new("/old")
    );
    assert_eq!(
        options(&[
            home[0],
            ("HF_HOME", "/hf"),
            ("HUGGINGFACE_HUB_CACHE", "/old"),
            ("HF_HUB_CACHE", "/new")
        ])
        .cache_dir,
        Path::new("/new")
    );
    // An empty variable counts as unset.
    assert_eq!(
        options(&[home[0], ("HF_HUB_CACHE", "")]).cache_dir,
        Path::new("/home/ana/.cache/huggingface/hub")
    );
}

#[test]
fn offline_endpoint_token_and_progress_come_from_the_environment() {
    let options = |vars: &[(&str, &str)], terminal: bool| {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ResolveOptions::from_vars(|name| vars.get(name).cloned(), terminal)
    };
    for value in ["1", "true", "YES", "On"] {
        assert!(
            options(&[("HF_HUB_OFFLINE", value)], true).offline,
            "{value}"
        );
    }
    for value in ["0", "false", "no", ""] {
        assert!(
            !options(&[("HF_HUB_OFFLINE", value)], true).offline,
            "{value}"
        );
    }
    assert!(options(&[("TRANSFORMERS_OFFLINE", "1")], true).offline);

    let defaults = options(&[("HOME", "/nonexistent")], true);
    assert_eq!(defaults.endpoint, "https://huggingface.co");
    assert_eq!(defaults.token, None);
    assert!(defaults.progress);
    assert!(!options(&[], false).progress);
    assert!(!options(&[("HF_HUB_DISABLE_PROGRESS_BARS", "1")], true).progress);
    assert_eq!(
        options(&[("HF_ENDPOINT", "http://mirror.local/")], true).endpoint,
        "http://mirror.local"
    );
    assert_eq!(
        options(&[("HF_TOKEN", "hf_abc")], true).token.as_deref(),
        Some("hf_abc")
    );

    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("hf")).unwrap();
    std::fs::write(home.path().join("hf/token"), "hf_from_file\n").unwrap();
    let hf_home = home.path().join("hf");
    let with_file = options(&[("HF_HOME", hf_home.to_str().unwrap())], true);
    assert_eq!(with_file.token.as_deref(), Some("hf_from_file"));
}

// ---------------------------------------------------------------------------------------------
// Downloads, from a fake hub on 127.0.0.1

/// One file the fake hub serves.
#[derive(Clone)]
enum Route {
    /// A file kept in git: `HEAD` gives its commit, git blob id (`ETag`) and size; `GET` its bytes.
    File {
        commit: String,
        body: Vec<u8>,
    },
    /// A file kept in Git LFS, as the real hub serves it: `HEAD` answers 302 to `/cdn/<sha256>`
    /// with `X-Linked-Etag` (the SHA-256) and `X-Linked-Size`; the bytes come from the
    /// `Route::Cdn` registered there.
    Lfs {
        commit: String,
        body: Vec<u8>,
    },
    /// The bytes of an LFS file; each `GET` takes the next fault of the list (none when empty).
    Cdn {
        body: Vec<u8>,
        faults: Arc<Mutex<VecDeque<Fault>>>,
    },
    Status(u16),
}

/// What goes wrong with one transfer.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Send the headers and this many bytes, then close the connection.
    DropAfter(usize),
    /// Send the headers and this many bytes, then say nothing for this long.
    StallAfter(usize, Duration),
    /// Send every byte, with one of them changed.
    Corrupt,
}

/// Each request's method, path and `Range` header.
type RequestLog = Mutex<Vec<(String, String, Option<String>)>>;

/// A tiny HTTP/1.1 server answering passeur's requests as the hub does (`HEAD` for metadata,
/// then `GET` with `Range: bytes=N-` to resume), one thread per connection, so that a stalled
/// transfer does not block the next one. It stops by itself after 60 s, or when dropped.
struct FakeHub {
    endpoint: String,
    log: Arc<RequestLog>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeHub {
    fn start(routes: HashMap<String, Route>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (requests, stopped) = (log.clone(), stop.clone());
        let routes = Arc::new(routes);
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stopped.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (routes, requests) = (routes.clone(), requests.clone());
                        std::thread::spawn(move || serve(stream, &routes, &requests));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeHub {
            endpoint,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// The paths asked for, in order.
    fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(_, path, _)| path.clone())
            .collect()
    }

    /// The `GET`s of `path`, each with its `Range` header.
    fn gets(&self, path: &str) -> Vec<Option<String>> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(method, p, _)| method == "GET" && p == path)
            .map(|(_, _, range)| range.clone())
            .collect()
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn git_blob_id(body: &[u8]) -> String {
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", body.len()).as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

fn sha256(body: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(body))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn serve(stream: TcpStream, routes: &HashMap<String, Route>, log: &RequestLog) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // `Range: bytes=START-` or `bytes=START-END` (inclusive).
    let mut range: (usize, Option<usize>) = (0, None);
    let mut range_header = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some(value) = header.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range_header = Some(format!("bytes={}", value.trim()));
            let (start, end) = value.trim().split_once('-').unwrap_or(("0", ""));
            range = (start.parse().unwrap_or(0), end.parse().ok());
        }
    }
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let path = words.next().unwrap_or("").to_owned();
    log.lock()
        .unwrap()
        .push((method.clone(), path.clone(), range_header));
    let head = method == "HEAD";
    let mut stream = stream;
    let body_part = |body: &[u8]| {
        let start = range.0.min(body.len());
        let end = range.1.map_or(body.len(), |end| (end + 1).min(body.len()));
        let part = body[start..end.max(start)].to_vec();
        let status = if range.0 > 0 || range.1.is_some() {
            format!(
                "206 Partial Content\r\nContent-Range: bytes {start}-{}/{}",
                (start + part.len()).saturating_sub(1),
                body.len()
            )
        } else {
            "200 OK".to_owned()
        };
        (status, part)
    };
    let (head_lines, body, fault): (String, Vec<u8>, Option<Fault>) = match routes.get(&path) {
        Some(Route::File { commit, body }) => {
            let (status, part) = body_part(body);
            let headers = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: \"{}\"\r\nX-Repo-Commit: {commit}\r\n",
                if head { body.len() } else { part.len() },
                git_blob_id(body),
            );
            (headers, part, None)
        }
        Some(Route::Lfs { commit, body }) => {
            let sha = sha256(body);
            let headers = format!(
                "HTTP/1.1 302 Found\r\nLocation: http://{}/cdn/{sha}\r\nContent-Length: 0\r\n\
                 X-Linked-Etag: \"{sha}\"\r\nX-Linked-Size: {}\r\nX-Repo-Commit: {commit}\r\n",
                stream.local_addr().unwrap(),
                body.len()
            );
            (headers, Vec::new(), None)
        }
        Some(Route::Cdn { body, faults }) => {
            let fault = if head {
                None
            } else {
                faults.lock().unwrap().pop_front()
            };
            let (status, mut part) = body_part(body);
            if let Some(Fault::Corrupt) = fault {
                let middle = part.len() / 2;
                part[middle] ^= 0x55;
            }
            let headers = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", part.len());
            (headers, part, fault)
        }
        Some(Route::Status(status)) => (
            format!("HTTP/1.1 {status} Nope\r\nContent-Length: 0\r\nX-Error-Message: Repository not found\r\n"),
            Vec::new(),
            None,
        ),
        None => (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n".to_owned(),
            Vec::new(),
            None,
        ),
    };
    let _ = stream.write_all(head_lines.as_bytes());
    let _ = stream.write_all(b"Connection: close\r\n\r\n");
    if !head {
        match fault {
            Some(Fault::DropAfter(n)) => {
                let _ = stream.write_all(&body[..n.min(body.len())]);
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
                return;
            }
            Some(Fault::StallAfter(n, pause)) => {
                let _ = stream.write_all(&body[..n.min(body.len())]);
                let _ = stream.flush();
                std::thread::sleep(pause);
                return;
            }
            _ => {
                let _ = stream.write_all(&body);
            }
        }
    }
    let _ = stream.flush();
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
}

fn file_route(commit: &str, body: Vec<u8>) -> Route {
    Route::File {
        commit: commit.to_owned(),
        body,
    }
}

/// `path` as an LFS file whose bytes come from `/cdn/<sha256>`, with these faults in turn.
fn lfs_routes(
    routes: &mut HashMap<String, Route>,
    path: &str,
    body: Vec<u8>,
    faults: &[Fault],
) -> Arc<Mutex<VecDeque<Fault>>> {
    let faults = Arc::new(Mutex::new(faults.iter().copied().collect::<VecDeque<_>>()));
    routes.insert(
        format!("/cdn/{}", sha256(&body)),
        Route::Cdn {
            body: body.clone(),
            faults: faults.clone(),
        },
    );
    routes.insert(
        path.to_owned(),
        Route::Lfs {
            commit: TEST_COMMIT.to_owned(),
            body,
        },
    );
    faults
}

fn online(cache: &Path, hub: &FakeHub) -> ResolveOptions {
    ResolveOptions {
        endpoint: hub.endpoint.clone(),
        ..ResolveOptions::new(cache)
    }
}

const TEST_REPO: &str = "Test/tiny-marian";
const TEST_COMMIT: &str = "1111111111111111111111111111111111111111";

fn test_repo_routes(revision: &str, weights: &[(&str, Route)]) -> HashMap<String, Route> {
    let mut routes: HashMap<String, Route> = TOKENIZER_AND_CONFIG
        .iter()
        .map(|file| {
            (
                format!("/{TEST_REPO}/resolve/{revision}/{file}"),
                file_route(TEST_COMMIT, fixture_file(file)),
            )
        })
        .collect();
    for (path, route) in weights {
        routes.insert(path.to_string(), route.clone());
    }
    routes
}

#[test]
fn downloads_land_in_the_python_layout_and_are_reused() {
    let routes = test_repo_routes(
        "main",
        &[(
            "/Test/tiny-marian/resolve/main/model.safetensors",
            file_route(TEST_COMMIT, fixture_file("model.safetensors")),
        )],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();

    let files = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap();
    let repo_dir = cache.path().join("models--Test--tiny-marian");
    let snapshot = repo_dir.join("snapshots").join(TEST_COMMIT);
    assert_eq!(files.config, snapshot.join("config.json"));
    assert_eq!(files.weights, snapshot.join("model.safetensors"));
    assert_eq!(
        std::fs::read_to_string(repo_dir.join("refs/main")).unwrap(),
        TEST_COMMIT
    );
    // Snapshot entries are links into blobs/, holding exactly the served bytes.
    let link = std::fs::read_link(snapshot.join("vocab.json")).unwrap();
    assert!(link.starts_with("../../blobs"), "{}", link.display());
    assert_eq!(
        std::fs::read(snapshot.join("vocab.json")).unwrap(),
        fixture_file("vocab.json")
    );
    assert_eq!(
        std::fs::read(&files.weights).unwrap(),
        fixture_file("model.safetensors")
    );
    let ModelSource::Hub(origin) = &files.source else {
        panic!("expected a hub source")
    };
    assert_eq!(origin.commit.as_deref(), Some(TEST_COMMIT));
    let downloaded = hub.requests().len();
    assert!(downloaded >= 14, "{:?}", hub.requests());

    // A second resolution, online or not, finds everything in the cache without any request.
    let again = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap();
    assert_eq!(again, files);
    let offline_again = hub::resolve(TEST_REPO, &offline(cache.path())).unwrap();
    assert_eq!(offline_again.config, files.config);
    assert_eq!(hub.requests().len(), downloaded);
}

#[test]
fn files_the_hub_lacks_are_remembered_and_not_asked_for_again() {
    let mut routes = test_repo_routes(
        "main",
        &[(
            "/Test/tiny-marian/resolve/main/model.safetensors",
            file_route(TEST_COMMIT, fixture_file("model.safetensors")),
        )],
    );
    routes.remove("/Test/tiny-marian/resolve/main/generation_config.json");
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let files = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap();
    assert_eq!(files.generation_config, None);
    let marker = cache
        .path()
        .join("models--Test--tiny-marian/.no_exist")
        .join(TEST_COMMIT)
        .join("generation_config.json");
    assert!(marker.is_file(), "Python's .no_exist marker is written");
    let requests = hub.requests().len();
    let again = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap();
    assert_eq!(again, files);
    assert_eq!(hub.requests().len(), requests, "{:?}", hub.requests());
}

#[test]
fn without_safetensors_on_the_hub_the_pytorch_weights_are_downloaded() {
    let routes = test_repo_routes(
        "main",
        &[(
            "/Test/tiny-marian/resolve/main/pytorch_model.bin",
            file_route(TEST_COMMIT, b"pickled weights".to_vec()),
        )],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let files = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap();
    assert!(files.weights.ends_with("pytorch_model.bin"));
    assert_eq!(std::fs::read(&files.weights).unwrap(), b"pickled weights");
    assert!(hub
        .requests()
        .contains(&"/Test/tiny-marian/resolve/main/model.safetensors".to_owned()));
}

#[test]
fn commit_revisions_leave_no_ref_and_missing_weights_are_reported() {
    let hub = FakeHub::start(test_repo_routes(TEST_COMMIT, &[]));
    let cache = tempfile::tempdir().unwrap();
    let spec = format!("{TEST_REPO}@{TEST_COMMIT}");
    let err = hub::resolve(&spec, &online(cache.path(), &hub)).unwrap_err();
    assert!(matches!(err, Error::NoWeightsOnHub { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "tried model.safetensors at {TEST_COMMIT}, pytorch_model.bin at {TEST_COMMIT}"
        )),
        "{err}"
    );
    let repo_dir = cache.path().join("models--Test--tiny-marian");
    assert!(repo_dir
        .join("snapshots")
        .join(TEST_COMMIT)
        .join("config.json")
        .is_file());
    // Python never records a ref for a commit; neither do we.
    assert!(!repo_dir.join("refs").join(TEST_COMMIT).exists());
}

#[test]
fn a_missing_required_file_on_the_hub_is_named() {
    let mut routes = test_repo_routes("main", &[]);
    routes.remove("/Test/tiny-marian/resolve/main/target.spm");
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let err = hub::resolve(TEST_REPO, &online(cache.path(), &hub)).unwrap_err();
    assert!(
        matches!(&err, Error::HubNotFound { status: 404, file, .. } if file == "target.spm"),
        "{err}"
    );
}

#[test]
fn a_catalog_style_weights_revision_is_downloaded_from_its_own_revision() {
    // The same layout as opus-mt-fr-en: config at a commit, safetensors in refs/pr/4.
    let pr_commit = "2222222222222222222222222222222222222222";
    let routes = test_repo_routes(
        TEST_COMMIT,
        &[(
            "/Test/tiny-marian/resolve/refs%2Fpr%2F4/model.safetensors",
            file_route(pr_commit, fixture_file("model.safetensors")),
        )],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let catalog = hub::parse_catalog(&format!(
        "[[model]]\nname = \"tiny\"\nrepo = \"{TEST_REPO}\"\nrevision = \"{TEST_COMMIT}\"\n\
         description = \"test\"\nweights = [{{ file = \"model.safetensors\", revision = \"refs/pr/4\" }}, \
         {{ file = \"pytorch_model.bin\" }}]\n"
    ))
    .unwrap();
    let files = hub::resolve_entry(&catalog[0], &online(cache.path(), &hub)).unwrap();
    let repo_dir = cache.path().join("models--Test--tiny-marian");
    assert_eq!(
        files.weights,
        repo_dir
            .join("snapshots")
            .join(pr_commit)
            .join("model.safetensors")
    );
    assert_eq!(
        std::fs::read_to_string(repo_dir.join("refs/refs/pr/4")).unwrap(),
        pr_commit
    );
    let ModelSource::Hub(origin) = &files.source else {
        panic!("expected a hub source")
    };
    assert_eq!(origin.weights_revision, "refs/pr/4");
    assert_eq!(origin.weights_commit.as_deref(), Some(pr_commit));
    // Offline now, the same entry resolves from the cache alone.
    let cached = hub::resolve_entry(&catalog[0], &offline(cache.path())).unwrap();
    assert_eq!(cached, files);
}

#[test]
fn a_private_or_missing_repo_is_a_clear_error() {
    let mut routes = HashMap::new();
    routes.insert(
        "/Test/secret/resolve/main/config.json".to_owned(),
        Route::Status(401),
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let err = hub::resolve("Test/secret", &online(cache.path(), &hub)).unwrap_err();
    assert!(
        matches!(&err, Error::HubNotFound { status: 401, file, .. } if file == "config.json"),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("Test/secret"), "{message}");
    assert!(
        message.contains("(HTTP 401: Repository not found)"),
        "the hub's own words: {message}"
    );
}

#[test]
fn an_unreachable_hub_is_a_download_error_naming_the_file() {
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = tempfile::tempdir().unwrap();
    let options = ResolveOptions {
        endpoint: format!("http://127.0.0.1:{port}"),
        network: quick_network(),
        ..ResolveOptions::new(cache.path())
    };
    let err = hub::resolve(TEST_REPO, &options).unwrap_err();
    assert!(
        matches!(&err, Error::Download { file, .. } if file == "config.json"),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("from http://127.0.0.1:{port}: ")),
        "{message}"
    );
    assert!(message.contains("; 3 attempts"), "{message}");
}

/// Short timeouts and waits, so that failing transfers fail fast in tests. The read timeout stays
/// well above what a busy 2-core CI machine may pause the fake hub's thread for (a spurious
/// timeout would add a GET to the sequences the tests check), and well below the 3 s stall.
fn quick_network() -> NetworkOptions {
    NetworkOptions {
        connect_timeout: Duration::from_secs(2),
        metadata_timeout: Duration::from_millis(1500),
        read_timeout: Duration::from_secs(1),
        retries: 2,
        retry_wait: Duration::from_millis(10),
    }
}

fn quick(cache: &Path, hub: &FakeHub) -> ResolveOptions {
    ResolveOptions {
        network: quick_network(),
        ..online(cache, hub)
    }
}

const WEIGHTS_PATH: &str = "/Test/tiny-marian/resolve/main/model.safetensors";

#[test]
fn lfs_weights_are_fetched_where_the_hub_redirects_and_checked() {
    let mut routes = test_repo_routes("main", &[]);
    let weights = fixture_file("model.safetensors");
    lfs_routes(&mut routes, WEIGHTS_PATH, weights.clone(), &[]);
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let files = hub::resolve(TEST_REPO, &quick(cache.path(), &hub)).unwrap();
    assert_eq!(std::fs::read(&files.weights).unwrap(), weights);
    // Named by its SHA-256 in blobs/, as huggingface_hub names LFS files.
    let blob = std::fs::canonicalize(&files.weights).unwrap();
    assert_eq!(
        blob.file_name().unwrap().to_str().unwrap(),
        sha256(&weights)
    );
    // Small files are named by their git blob id.
    let config = std::fs::canonicalize(&files.config).unwrap();
    assert_eq!(
        config.file_name().unwrap().to_str().unwrap(),
        git_blob_id(&fixture_file("config.json"))
    );
}

#[test]
fn a_transfer_that_drops_or_stalls_is_resumed_where_it_stopped() {
    let mut routes = test_repo_routes("main", &[]);
    let weights = fixture_file("model.safetensors");
    assert!(weights.len() > 20_000);
    let cdn = format!("/cdn/{}", sha256(&weights));
    lfs_routes(
        &mut routes,
        WEIGHTS_PATH,
        weights.clone(),
        &[
            Fault::DropAfter(5_000),
            Fault::StallAfter(3_000, Duration::from_secs(3)),
        ],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let files = hub::resolve(TEST_REPO, &quick(cache.path(), &hub)).unwrap();
    assert_eq!(std::fs::read(&files.weights).unwrap(), weights);
    // Whole, then from where the dropped connection stopped, then after the stall.
    assert_eq!(
        hub.gets(&cdn),
        [
            None,
            Some("bytes=5000-".to_owned()),
            Some("bytes=8000-".to_owned())
        ]
    );
    let blobs = cache.path().join("models--Test--tiny-marian/blobs");
    let leftovers: Vec<_> = std::fs::read_dir(&blobs)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".incomplete"))
        .collect();
    assert!(leftovers.is_empty(), "no partial file is left");
}

#[test]
fn a_partial_file_left_by_an_earlier_run_is_resumed() {
    let mut routes = test_repo_routes("main", &[]);
    let weights = fixture_file("model.safetensors");
    let cdn = format!("/cdn/{}", sha256(&weights));
    lfs_routes(&mut routes, WEIGHTS_PATH, weights.clone(), &[]);
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let blobs = cache.path().join("models--Test--tiny-marian/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(
        blobs.join(format!("{}.incomplete", sha256(&weights))),
        &weights[..7_000],
    )
    .unwrap();
    let files = hub::resolve(TEST_REPO, &quick(cache.path(), &hub)).unwrap();
    assert_eq!(std::fs::read(&files.weights).unwrap(), weights);
    assert_eq!(hub.gets(&cdn), [Some("bytes=7000-".to_owned())]);
}

#[test]
fn a_corrupted_file_is_downloaded_again_then_refused_and_never_installed() {
    let weights = fixture_file("model.safetensors");
    let cdn = format!("/cdn/{}", sha256(&weights));

    // Corrupted once: downloaded again from scratch, and the good copy is kept.
    let mut routes = test_repo_routes("main", &[]);
    lfs_routes(
        &mut routes,
        WEIGHTS_PATH,
        weights.clone(),
        &[Fault::Corrupt],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let files = hub::resolve(TEST_REPO, &quick(cache.path(), &hub)).unwrap();
    assert_eq!(std::fs::read(&files.weights).unwrap(), weights);
    assert_eq!(hub.gets(&cdn), [None, None]);

    // Corrupted every time: an error naming the checksums, and nothing in the cache.
    let mut routes = test_repo_routes("main", &[]);
    lfs_routes(
        &mut routes,
        WEIGHTS_PATH,
        weights.clone(),
        &[Fault::Corrupt, Fault::Corrupt],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let err = hub::resolve(TEST_REPO, &quick(cache.path(), &hub)).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, Error::Download { file, .. } if file == "model.safetensors"),
        "{message}"
    );
    assert!(
        message.contains(&format!("the hub says {}", sha256(&weights))),
        "{message}"
    );
    let repo_dir = cache.path().join("models--Test--tiny-marian");
    let blobs: Vec<String> = std::fs::read_dir(repo_dir.join("blobs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !blobs.iter().any(|b| b.starts_with(&sha256(&weights))),
        "{blobs:?}"
    );
    assert!(!repo_dir
        .join("snapshots")
        .join(TEST_COMMIT)
        .join("model.safetensors")
        .exists());
}

#[test]
fn a_hub_that_accepts_connections_and_never_answers_is_given_up_on() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accepts every connection and keeps it open without a word.
    let silent = std::thread::spawn(move || {
        let mut open = Vec::new();
        for _ in 0..3 {
            if let Ok((stream, _)) = listener.accept() {
                open.push(stream);
            }
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let cache = tempfile::tempdir().unwrap();
    let options = ResolveOptions {
        endpoint,
        network: quick_network(),
        ..ResolveOptions::new(cache.path())
    };
    let err = hub::resolve(TEST_REPO, &options).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Download { .. }), "{message}");
    assert!(message.contains("stalled"), "{message}");
    drop(silent);
}

// ---------------------------------------------------------------------------------------------
// The command line

fn passeur() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("passeur").unwrap();
    for var in [
        "HF_HOME",
        "HUGGINGFACE_HUB_CACHE",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_ENDPOINT",
        "HF_TOKEN",
        "HF_HUB_DOWNLOAD_TIMEOUT",
        "HF_HUB_ETAG_TIMEOUT",
        "PASSEUR_DOWNLOAD_RETRIES",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn passeur_models_lists_entries_and_cache_state() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());
    let output = passeur()
        .arg("models")
        .env("HF_HUB_CACHE", cache.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    assert!(text.contains("opus-mt-fr-en  (default): cached"), "{text}");
    // File by file: what is there and where, what is missing and why.
    assert!(
        text.contains(&format!(
            "      vocab.json                         present  snapshots/{FR_EN_MAIN}/vocab.json"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "      model.safetensors @ refs/pr/4      MISSING  refs/refs/pr/4 does not exist"
        ),
        "{text}"
    );
    assert!(text.contains("\nCPU: "), "{text}");
    assert!(text.contains("\nThreads: "), "{text}");
    assert!(text.contains("opus-mt-tc-big-fr-en: not cached"), "{text}");
    assert!(text.contains(&format!("{FR_EN} @ {FR_EN_MAIN}")), "{text}");
    assert!(
        text.contains(&format!("Hugging Face cache: {}", cache.path().display())),
        "{text}"
    );
}

#[test]
fn passeur_fetch_offline_miss_fails_with_the_message() {
    let cache = tempfile::tempdir().unwrap();
    let assert = passeur()
        .args(["fetch", "opus-mt-fr-en"])
        .env("HF_HUB_CACHE", cache.path())
        .env("HF_HUB_OFFLINE", "1")
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("passeur: error: "), "{stderr}");
    assert!(
        stderr.contains("config.json is not in the Hugging Face cache"),
        "{stderr}"
    );
    // Then what to do, on its own line: every way that leads somewhere.
    let help = stderr
        .lines()
        .find(|l| l.starts_with("passeur: help: "))
        .unwrap_or_else(|| panic!("no advice: {stderr}"));
    for words in [
        "passeur fetch opus-mt-fr-en",
        "models--Helsinki-NLP--opus-mt-fr-en",
        "--model with a folder",
        "unset HF_HUB_OFFLINE",
        "HF_ENDPOINT",
    ] {
        assert!(help.contains(words), "{help:?} lacks {words:?}");
    }
}

/// The cache of a machine that ran `passeur fetch opus-mt-fr-en`, built from the fixture model
/// in huggingface_hub's layout: the configuration and tokenizer files at the pinned commit of
/// main, the safetensors weights in the snapshot that `refs/refs/pr/4` points to.
fn fetched_cache(cache: &Path) {
    python_cache(
        cache,
        FR_EN,
        FR_EN_MAIN,
        &[],
        &fixture_files(&TOKENIZER_AND_CONFIG),
    );
    python_cache(
        cache,
        FR_EN,
        PR4_COMMIT,
        &["refs/pr/4"],
        &fixture_files(&["model.safetensors"]),
    );
}

#[test]
fn a_copied_cache_works_offline_as_the_readme_says() {
    let machine = tempfile::tempdir().unwrap();
    fetched_cache(machine.path());
    // "Copy the whole cache folder, links kept" (README: No internet on this machine?).
    let here = tempfile::tempdir().unwrap();
    let copied = here.path().join("hub");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(machine.path())
        .arg(&copied)
        .status()
        .unwrap();
    assert!(status.success());
    let models = passeur()
        .arg("models")
        .env("HF_HUB_CACHE", &copied)
        .assert()
        .success();
    let text = String::from_utf8(models.get_output().stdout.clone()).unwrap();
    assert!(text.contains("opus-mt-fr-en  (default): cached"), "{text}");
    assert!(
        text.contains(&format!(
            "model.safetensors @ refs/pr/4      present  snapshots/{PR4_COMMIT}/model.safetensors"
        )),
        "{text}"
    );
    let input = here.path().join("article.txt");
    std::fs::write(&input, "Le président a signé 11 accords lundi.\n").unwrap();
    let output = here.path().join("article.md");
    passeur()
        .arg("translate")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .env("HF_HUB_CACHE", &copied)
        .env("HF_HUB_OFFLINE", "1")
        .assert()
        .success();
    let markdown = std::fs::read_to_string(&output).unwrap();
    assert!(
        markdown.contains(&format!(
            "revision: \"{FR_EN_MAIN} (weights: refs/pr/4 = {PR4_COMMIT})\""
        )),
        "{markdown}"
    );

    // Without refs/refs/pr/4, the error says so, and the advice is a way that works.
    std::fs::remove_file(copied.join("models--Helsinki-NLP--opus-mt-fr-en/refs/refs/pr/4"))
        .unwrap();
    let failed = passeur()
        .arg("translate")
        .arg(&input)
        .env("HF_HUB_CACHE", &copied)
        .env("HF_HUB_OFFLINE", "1")
        .assert()
        .code(1);
    let stderr = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("model.safetensors: refs/refs/pr/4 does not exist"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("@pr/4") && !stderr.contains("@refs/pr/4"),
        "{stderr}"
    );
}

#[test]
fn passeur_fetch_survives_a_dropped_connection_and_refuses_a_corrupted_file() {
    let weights = fixture_file("model.safetensors");
    let mut routes = test_repo_routes("main", &[]);
    let faults = lfs_routes(
        &mut routes,
        WEIGHTS_PATH,
        weights.clone(),
        &[Fault::DropAfter(4_000)],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let fetch = || {
        let mut command = passeur();
        command
            .args(["fetch", TEST_REPO])
            .env("HF_HUB_CACHE", cache.path())
            .env("HF_ENDPOINT", &hub.endpoint)
            .env("HF_HUB_DOWNLOAD_TIMEOUT", "0.5");
        command
    };
    fetch().assert().success();
    let snapshot = cache
        .path()
        .join("models--Test--tiny-marian/snapshots")
        .join(TEST_COMMIT);
    assert_eq!(
        std::fs::read(snapshot.join("model.safetensors")).unwrap(),
        weights
    );

    // The same file, corrupted twice, after the cached copy is removed.
    std::fs::remove_dir_all(cache.path().join("models--Test--tiny-marian")).unwrap();
    faults
        .lock()
        .unwrap()
        .extend([Fault::Corrupt, Fault::Corrupt]);
    let failed = fetch().assert().code(1);
    let stderr = String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("SHA-256"), "{stderr}");
    assert!(
        stderr.contains("passeur: help: running the command again"),
        "{stderr}"
    );
    assert!(!snapshot.join("model.safetensors").exists());
}

#[test]
fn passeur_fetch_checks_a_cached_model_and_prints_its_files() {
    let cache = tempfile::tempdir().unwrap();
    python_cache_of_main(cache.path());
    let assert = passeur()
        .args(["fetch", "--quiet"])
        .env("HF_HUB_CACHE", cache.path())
        .env("HF_HUB_OFFLINE", "1")
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains(&format!(
            "opus-mt-fr-en: ready in the cache ({FR_EN} at {FR_EN_MAIN}, commit {FR_EN_MAIN})"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("pytorch_model.bin"), "{stdout}");
    assert!(
        stdout.contains("tokenizer checked: 939 vocabulary entries"),
        "{stdout}"
    );
}

#[test]
fn passeur_fetch_of_a_broken_folder_names_the_missing_file() {
    let tmp = fixture_copy_without(&["vocab.json"]);
    let assert = passeur()
        .args(["fetch", tmp.path().to_str().unwrap()])
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("missing vocab.json"), "{stderr}");
}

#[test]
fn passeur_fetch_downloads_from_the_hub_endpoint() {
    let routes = test_repo_routes(
        "main",
        &[(
            "/Test/tiny-marian/resolve/main/model.safetensors",
            file_route(TEST_COMMIT, fixture_file("model.safetensors")),
        )],
    );
    let hub = FakeHub::start(routes);
    let cache = tempfile::tempdir().unwrap();
    let assert = passeur()
        .args(["fetch", TEST_REPO])
        .env("HF_HUB_CACHE", cache.path())
        .env("HF_ENDPOINT", &hub.endpoint)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains(&format!("commit {TEST_COMMIT}")),
        "{stdout}"
    );
    assert!(cache
        .path()
        .join("models--Test--tiny-marian/snapshots")
        .join(TEST_COMMIT)
        .join("model.safetensors")
        .is_file());
}
