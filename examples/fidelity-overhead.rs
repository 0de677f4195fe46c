//! Measures what the fidelity guard costs per sentence, apart from the model.
//!
//! Usage: `cargo run --release --example fidelity-overhead [ROUNDS]`
//!
//! Runs [`Guard::translate`] over the 90 news sentences of tests/data/fidelity/parallel.tsv,
//! `ROUNDS` times (default 200), with a stand-in model that answers each sentence's human
//! translation instantly, so the time measured is the guard's: passthrough test, protection,
//! typography, restoration and every check. All answers are good, so no recovery runs: this is
//! the cost every sentence pays.

use std::collections::HashMap;
use std::time::Instant;

use passeur::fidelity::protect::Protected;
use passeur::fidelity::{FixedDecoding, Guard};
use passeur::translate::{SentenceTranslation, SentenceTranslator};
use passeur::verdict::Tally;

const PAIRS: &str = include_str!("../tests/data/fidelity/parallel.tsv");

/// The letters and digits of a sentence: what the guard's typography changes (spaces, quotes)
/// leaves alone, so the model input can be matched to its source without the guard's own code.
fn key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Answers the human translation of each model input, with the same placeholders.
struct HumanModel {
    answers: HashMap<String, String>,
}

impl SentenceTranslator for HumanModel {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        Ok(sentences
            .iter()
            .map(|s| {
                SentenceTranslation::new(
                    self.answers.get(&key(s)).cloned().unwrap_or_default(),
                    Some(-0.2),
                )
            })
            .collect())
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let pairs: Vec<(&str, &str)> = PAIRS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect();
    let answers = pairs
        .iter()
        .map(|(french, english)| {
            let model_input = key(&Protected::new(french).text);
            (model_input, Protected::new(english).text)
        })
        .collect();
    let engine = FixedDecoding(HumanModel { answers });
    let sources: Vec<&str> = pairs.iter().map(|(f, _)| *f).collect();
    let guard = Guard::default();

    let first = guard.translate(&engine, &sources).expect("stand-in model");
    let summary = Tally::of(first.iter().map(|t| &t.verdict));
    let start = Instant::now();
    for _ in 0..rounds {
        let out = guard.translate(&engine, &sources).expect("stand-in model");
        std::hint::black_box(out);
    }
    let elapsed = start.elapsed();
    let sentences = rounds * sources.len();
    println!(
        "{sentences} sentences in {:.3} s: {:.1} µs per sentence ({:.0} sentences/s); statuses: {} ok, {} flagged",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / sentences as f64,
        sentences as f64 / elapsed.as_secs_f64(),
        summary.translated - summary.recovered - summary.flagged,
        summary.flagged,
    );
}
