//! Measures `passeur batch` against translating the same folder one file at a time, with the
//! same translator loaded once.
//!
//! ```text
//! scripts/bench-batch [ARTICLES] [MODEL_DIR]   # default 200 articles, tests/fixtures/marian-tiny
//! ```
//!
//! The folder: ARTICLES short articles (a title and two to four sentences, as in a news feed or a
//! scraped site), sentences taken from `tests/data/article.txt` and made distinct by the article's
//! number, so that the sentence cache saves nothing and only batching differs. Decoding is greedy
//! with exactly `TOKENS` (24) generated tokens per sentence (min = max new tokens), so that every
//! sentence costs the same whatever the random weights say.
//!
//! Reported, for each way: wall time, sentences per second over wall time, CPU time (user + system,
//! all threads: less sensitive than wall time to other work on a busy machine), and the sizes of
//! the translator's calls. "engine alone" is every sentence of the folder in one call to the
//! translator, sorted by length (no files, no documents: the ceiling); "one file at a time" is
//! [`Pipeline::translate_document`] per file plus the write (what a shell loop over `passeur
//! translate` does, minus loading the model each time); "batch" is [`passeur::batch::run`]; "batch
//! rerun" is the same run again, where everything is skipped.

use passeur::batch::{self, BatchOptions};
use passeur::generate::GenerationOptions;
use passeur::hub::resolve_local;
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::translate::{
    Provenance, SentenceTranslation, SentenceTranslator, Translator, TranslatorOptions,
};
use passeur::write::{self, Format};
use passeur::{document::Document, Syntax};
use std::cell::RefCell;
use std::path::Path;
use std::time::Instant;

/// The folder the batch tests use for the same purpose (`generate_distinct`).
#[path = "../tests/it/batch_corpus/mod.rs"]
mod batch_corpus;

const TOKENS: usize = 24;

/// The translator, with the size of every call recorded.
struct Counting {
    inner: Translator,
    calls: RefCell<Vec<usize>>,
}

impl SentenceTranslator for Counting {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        self.calls.borrow_mut().push(sentences.len());
        self.inner.translate_sentences(sentences)
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.inner.token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.inner.max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        self.inner.provenance()
    }
}

impl Counting {
    fn take_calls(&self) -> String {
        let calls = std::mem::take(&mut *self.calls.borrow_mut());
        let sentences: usize = calls.iter().sum();
        format!(
            "{} calls, {:.1} sentences per call",
            calls.len(),
            sentences as f64 / calls.len().max(1) as f64
        )
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let articles: usize = args
        .next()
        .map(|n| n.parse().expect("ARTICLES is a number"))
        .unwrap_or(200);
    let model = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/marian-tiny".to_string());

    let root = tempfile::tempdir().expect("a temporary directory");
    let input_dir = batch_corpus::generate_distinct(&root.path().join("in"), articles);

    let files = resolve_local(Path::new(&model)).expect("a model folder");
    let options = TranslatorOptions {
        generation: GenerationOptions {
            num_beams: Some(1),
            max_new_tokens: Some(TOKENS),
            min_new_tokens: Some(TOKENS),
            ..GenerationOptions::default()
        },
        ..TranslatorOptions::default()
    };
    let translator = Counting {
        inner: Translator::from_files(files, options).expect("the model loads"),
        calls: RefCell::new(Vec::new()),
    };

    // The engine alone: every sentence of the folder in one call, sorted by length (the
    // engine's full batched speed, the ceiling for the two ways below).
    let mut inputs: Vec<_> = walk(&input_dir);
    inputs.sort();
    let mut all_sentences: Vec<String> = Vec::new();
    for path in &inputs {
        let decoded = passeur::input::read_file(path, None).unwrap();
        let document = Document::parse(decoded.text, Syntax::Text);
        all_sentences.extend(document.sentences().map(|s| s.text.text.clone()));
    }
    all_sentences.sort_by_key(|s| translator.token_count(s));
    let total_sentences = all_sentences.len();
    println!(
        "{articles} articles, {total_sentences} sentences, model {model}, greedy, {TOKENS} tokens \
         per sentence, RAYON_NUM_THREADS={}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into())
    );
    println!(
        "{:<22} {:>9} {:>14} {:>12}  calls",
        "way", "seconds", "sentences/s", "CPU seconds"
    );
    let mut cpu_before = cpu_seconds();
    let mut report = |way: &str, seconds: f64, calls: String| {
        let cpu = cpu_seconds();
        println!(
            "{way:<22} {seconds:>9.2} {:>14.1} {:>12.2}  {calls}",
            total_sentences as f64 / seconds,
            cpu - cpu_before
        );
        cpu_before = cpu;
    };
    let texts: Vec<&str> = all_sentences.iter().map(String::as_str).collect();
    let started = Instant::now();
    translator.translate_sentences(&texts).unwrap();
    report(
        "engine alone",
        started.elapsed().as_secs_f64(),
        translator.take_calls(),
    );

    // One file at a time.
    let single_out = root.path().join("single");
    let started = Instant::now();
    for path in &inputs {
        let decoded = passeur::input::read_file(path, None).unwrap();
        let pipeline = Pipeline::new(&translator, PipelineOptions::default());
        let bilingual = pipeline
            .translate_document(Document::parse(decoded.text, Syntax::Text), &mut |_| {})
            .unwrap();
        let relative = path.strip_prefix(&input_dir).unwrap();
        let output = single_out.join(batch::output_relative_path(relative, Format::Markdown));
        std::fs::create_dir_all(output.parent().unwrap()).unwrap();
        write::write_atomically(&output, Format::Markdown.render(&bilingual).as_bytes()).unwrap();
    }
    report(
        "one file at a time",
        started.elapsed().as_secs_f64(),
        translator.take_calls(),
    );

    let batch_options = BatchOptions {
        documents_in_flight: std::env::var("BATCH_DOCUMENTS")
            .map_or(BatchOptions::new("", "").documents_in_flight, |n| {
                n.parse().unwrap()
            }),
        ..BatchOptions::new(&input_dir, root.path().join("batch"))
    };
    for way in ["batch", "batch rerun"] {
        let started = Instant::now();
        let summary = batch::run(&batch_options, &translator, &mut |_| {}).unwrap();
        report(
            way,
            started.elapsed().as_secs_f64(),
            translator.take_calls(),
        );
        assert_eq!(summary.done + summary.skipped, articles);
    }
    let same = inputs.iter().all(|path| {
        let relative = path.strip_prefix(&input_dir).unwrap();
        let name = batch::output_relative_path(relative, Format::Markdown);
        std::fs::read(single_out.join(&name)).unwrap()
            == std::fs::read(root.path().join("batch").join(&name)).unwrap()
    });
    println!("outputs identical between the two ways: {same}");
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory: {}",
                line.trim_start_matches("VmHWM:").trim()
            );
        }
    }
}

/// User + system CPU seconds of this process so far, all threads (0 where /proc is missing).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn walk(directory: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
