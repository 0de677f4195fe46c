//! Measures the fidelity checks on human text, to calibrate and verify their thresholds.
//!
//! Usage: `cargo run --example fidelity-calibrate -- ENGLISH.txt PAIRS.tsv...`
//! - ENGLISH.txt: English sentences, one a line;
//! - PAIRS.tsv: `french<TAB>english` human translations, one pair a line (lines starting with `#`
//!   are comments).
//!
//! Prints, for each pairs file, the length-ratio distribution, how many pairs fall outside
//! candidate bands, and how often each check fires on the human pairs (false alarms); then how
//! often the repetition and untranslated rules fire on the English sentences on their own.
//! `scripts/calibrate-fidelity` prepares the files from public texts and runs this.

use std::collections::BTreeMap;
use std::process::ExitCode;

use passeur::fidelity::degeneration::{self, visible_len};
use passeur::fidelity::{degeneration::LengthBand, Guard};

fn percentile(sorted: &[f32], p: f32) -> f32 {
    let i = ((sorted.len() - 1) as f32 * p).round() as usize;
    sorted[i]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((english_path, pair_paths)) = args.split_first().filter(|(_, p)| !p.is_empty()) else {
        eprintln!("usage: fidelity-calibrate ENGLISH.txt PAIRS.tsv...");
        return ExitCode::from(2);
    };
    let read = |path: &str| match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(err) => {
            eprintln!("fidelity-calibrate: {path}: {err}");
            None
        }
    };
    for path in pair_paths {
        let Some(text) = read(path) else {
            return ExitCode::FAILURE;
        };
        report_pairs(path, &text);
    }
    let Some(english_text) = read(english_path) else {
        return ExitCode::FAILURE;
    };
    report_english(english_path, &english_text);
    ExitCode::SUCCESS
}

fn report_pairs(path: &str, text: &str) {
    let pairs: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, e)| (f, e.split('\t').next().unwrap_or(e)))
        .filter(|(f, e)| !f.trim().is_empty() && !e.trim().is_empty())
        .collect();
    println!("== {path}: {} pairs", pairs.len());
    if pairs.is_empty() {
        return;
    }
    let mut ratios: Vec<f32> = pairs
        .iter()
        .map(|(f, e)| visible_len(e) as f32 / visible_len(f).max(1) as f32)
        .collect();
    ratios.sort_by(f32::total_cmp);
    let mean = ratios.iter().sum::<f32>() / ratios.len() as f32;
    println!(
        "length ratio en/fr (non-space characters): mean {mean:.3}, p0.5 {:.3}, p1 {:.3}, p5 {:.3}, median {:.3}, p95 {:.3}, p99 {:.3}, p99.5 {:.3}",
        percentile(&ratios, 0.005),
        percentile(&ratios, 0.01),
        percentile(&ratios, 0.05),
        percentile(&ratios, 0.5),
        percentile(&ratios, 0.95),
        percentile(&ratios, 0.99),
        percentile(&ratios, 0.995),
    );
    let default = LengthBand::default();
    println!(
        "pairs outside the band (slack {} characters), by min × max:",
        default.slack
    );
    let maxes = [1.2f32, 1.3, 1.4, 1.5, 1.6, 1.7];
    println!("  min\\max {}", maxes.map(|m| format!("{m:>6.2}")).join(""));
    for min in [0.5f32, 0.6, 0.65, 0.7, 0.75, 0.8] {
        let row: Vec<String> = maxes
            .iter()
            .map(|&max| {
                let band = LengthBand {
                    min,
                    max,
                    ..default
                };
                let outside = pairs
                    .iter()
                    .filter(|(f, e)| degeneration::length_ratio(f, e, &band).is_some())
                    .count();
                format!("{outside:>6}")
            })
            .collect();
        println!("  {min:>7.2} {}", row.join(""));
    }

    let guard = Guard::default();
    let mut fired: BTreeMap<&'static str, Vec<(&str, &str, String)>> = BTreeMap::new();
    for (french, english) in &pairs {
        for defect in guard.check(french, english) {
            fired
                .entry(defect.code())
                .or_default()
                .push((french, english, defect.to_string()));
        }
    }
    println!(
        "checks firing on these human translations (band {:.2}-{:.2}):",
        default.min, default.max
    );
    if fired.is_empty() {
        println!("  none");
    }
    for (code, hits) in &fired {
        println!(
            "  {code}: {} of {} ({:.2}%)",
            hits.len(),
            pairs.len(),
            100.0 * hits.len() as f32 / pairs.len() as f32
        );
        for (french, english, message) in hits.iter().take(3) {
            println!("    e.g. {message}\n      fr: {french}\n      en: {english}");
        }
    }
}

fn report_english(path: &str, text: &str) {
    let sentences: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let repeated: Vec<_> = sentences
        .iter()
        .filter_map(|s| degeneration::repetition("", s).map(|d| (s, d)))
        .collect();
    let untranslated = sentences
        .iter()
        .filter(|s| degeneration::is_untranslated("", s))
        .count();
    println!("== {path}: {} English sentences", sentences.len());
    println!(
        "  repetition rule fires (with no source to excuse it): {}",
        repeated.len()
    );
    for (sentence, defect) in repeated.iter().take(5) {
        println!("    e.g. {defect}: {sentence}");
    }
    println!("  untranslated rule fires: {untranslated}");
}
