//! Measures the document layer alone, without a model: decoding, parsing (segmentation included),
//! planning the requests, realigning translations and each writer, on copies of the test article.
//!
//! ```text
//! scripts/bench-document [COPIES]      # or: cargo run --release --example bench_document -- COPIES
//! ```
//!
//! Copies are made distinct (see `main`). Each stage runs 5 times; the best time is reported, with throughput in MB of decoded input per
//! second and the cost per sentence. The stand-in translation (upper-casing) is not timed.

use passeur::pipeline::Plan;
use passeur::translate::{Provenance, SentenceTranslation};
use passeur::write::Format;
use passeur::{document::Document, Syntax};
use std::time::{Duration, Instant};

const ARTICLE: &str = include_str!("../tests/data/article.txt");
const RUNS: usize = 5;

fn best_of<T>(mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let value = run();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("RUNS > 0"))
}

fn words(text: &str) -> usize {
    text.split_whitespace().count() + 1
}

fn main() {
    let copies: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("COPIES is a number"))
        .unwrap_or(300);
    // Each copy's words ending in `e` get the copy's number, so that sentences differ between
    // copies (identical sentences are planned once, which would flatter the plan stage).
    let text = (0..copies)
        .map(|i| ARTICLE.replace("e ", &format!("e{i} ")))
        .collect::<Vec<_>>()
        .join("\n\n");
    let megabytes = text.len() as f64 / 1e6;
    let provenance = Provenance {
        model: "bench".to_string(),
        revision: None,
        decoding: "none".to_string(),
        passeur_version: env!("CARGO_PKG_VERSION").to_string(),
    };

    let (decode, decoded) =
        best_of(|| passeur::input::decode(text.as_bytes(), "bench", None).unwrap());
    let (parse, document) = best_of(|| Document::parse(decoded.text.clone(), Syntax::Text));
    let sentences = document.sentence_count();
    let (plan_time, plan) = best_of(|| Plan::new(document.clone(), &words, 512));
    let translations: Vec<SentenceTranslation> = plan
        .requests()
        .iter()
        .map(|r| SentenceTranslation::new(r.text.to_uppercase(), Some(-0.5)))
        .collect();
    let (assemble, bilingual) = best_of(|| {
        plan.clone()
            .assemble(translations.clone(), provenance.clone())
            .unwrap()
    });

    println!(
        "input: {copies} copies of tests/data/article.txt, {megabytes:.2} MB, {} blocks, \
         {sentences} sentences, {} distinct requests",
        document.blocks.len(),
        plan.requests().len()
    );
    println!(
        "{:<22} {:>10} {:>10} {:>14}",
        "stage", "ms", "MB/s", "µs/sentence"
    );
    let report = |stage: &str, time: Duration| {
        let seconds = time.as_secs_f64();
        println!(
            "{stage:<22} {:>10.2} {:>10.1} {:>14.2}",
            seconds * 1e3,
            megabytes / seconds,
            seconds * 1e6 / sentences as f64
        );
    };
    report("decode", decode);
    report("parse + segment", parse);
    report("plan", plan_time);
    report("assemble", assemble);
    for format in Format::ALL {
        let (time, _) = best_of(|| format.render(&bilingual));
        report(&format!("render {format}"), time);
    }
}
