//! Human translations stay silent: on every French/English news pair of
//! tests/data/fidelity/parallel.tsv, written by hand and faithful, no check of the guard fires.

use passeur::fidelity::Guard;

const PAIRS: &str = include_str!("../data/fidelity/parallel.tsv");

#[test]
fn no_check_fires_on_human_translations() {
    let guard = Guard::default();
    let mut pairs = 0;
    let mut alarms = Vec::new();
    for (i, line) in PAIRS.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (french, english) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("parallel.tsv line {}: no tab", i + 1));
        pairs += 1;
        let defects = guard.check(french, english);
        if !defects.is_empty() {
            let reasons: Vec<String> = defects.iter().map(ToString::to_string).collect();
            alarms.push(format!(
                "line {}: {}\n  fr: {french}\n  en: {english}",
                i + 1,
                reasons.join("; ")
            ));
        }
    }
    assert!(pairs >= 80, "{pairs} pairs");
    assert!(
        alarms.is_empty(),
        "{} false alarms:\n{}",
        alarms.len(),
        alarms.join("\n")
    );
}
