//! The hand-written case table (`tests/segment/cases.txt`, format and provenance in its header): every
//! paragraph must segment exactly into the sentences written under it.

use crate::segment_invariants as invariants;
use crate::segment_table as table;

use passeur::segment::segment;
use std::collections::{BTreeMap, BTreeSet};
use table::parse_cases;

/// The categories of issue 3, each of which must have cases.
const CATEGORIES: [&str; 10] = [
    "abbreviations",
    "initials",
    "numbers",
    "web",
    "ellipsis",
    "questions-exclamations",
    "quotes",
    "dialogue-brackets-lists",
    "lines",
    "news",
];

/// A sentence as written in the table: runs of whitespace that hold a line break become one space.
fn as_written(sentence: &str) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut run = String::new();
    for c in sentence.chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            if run.contains(['\n', '\r']) {
                out.push(' ');
            } else {
                out.push_str(&run);
            }
            run.clear();
        }
        out.push(c);
    }
    out
}

/// The sentence boundaries of a segmentation, as counts of non-whitespace characters before each
/// boundary (so that expected and found segmentations compare whatever their spacing).
fn boundaries(sentences: &[String]) -> BTreeSet<usize> {
    let mut seen = 0;
    let mut out = BTreeSet::new();
    for sentence in sentences {
        seen += sentence.chars().filter(|c| !c.is_whitespace()).count();
        out.insert(seen);
    }
    out.remove(&seen);
    out
}

#[test]
fn the_table_is_large_and_covers_every_category() {
    let cases = parse_cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        assert!(
            CATEGORIES.contains(&case.category.as_str()),
            "cases.txt:{}: unknown category {:?}",
            case.line,
            case.category
        );
        *per_category.entry(&case.category).or_default() += 1;
    }
    for category in CATEGORIES {
        let count = per_category.get(category).copied().unwrap_or(0);
        assert!(count >= 15, "category {category} has only {count} cases");
    }
}

#[test]
fn expected_sentences_hold_exactly_the_input() {
    // Guards the table against typos: the sentences must be the input, cut, nothing added or lost.
    for case in parse_cases() {
        let input: String = case.input.chars().filter(|c| !c.is_whitespace()).collect();
        let joined: String = case
            .expected
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(
            joined, input,
            "cases.txt:{}: the sentences do not spell the input",
            case.line
        );
    }
}

#[test]
fn every_case_segments_as_written() {
    let cases = parse_cases();
    let mut failures = Vec::new();
    let (mut found_total, mut expected_total, mut correct_total) = (0, 0, 0);
    for case in &cases {
        let sentences = segment(&case.input);
        if let Err(problem) =
            invariants::check(&case.input, sentences.iter().map(|s| s.range.clone()))
        {
            failures.push(format!(
                "cases.txt:{}: invariant broken: {problem}",
                case.line
            ));
            continue;
        }
        let found: Vec<String> = sentences
            .iter()
            .map(|s| as_written(s.text(&case.input)))
            .collect();
        let (found_bounds, expected_bounds) = (boundaries(&found), boundaries(&case.expected));
        found_total += found_bounds.len();
        expected_total += expected_bounds.len();
        correct_total += found_bounds.intersection(&expected_bounds).count();
        if found != case.expected {
            failures.push(format!(
                "cases.txt:{} [{}]\n  expected: {:#?}\n  found:    {:#?}",
                case.line, case.category, case.expected, found
            ));
        }
    }
    let precision = correct_total as f64 / found_total.max(1) as f64;
    let recall = correct_total as f64 / expected_total.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(f64::EPSILON);
    println!(
        "{} cases, {expected_total} expected boundaries: precision {precision:.4}, recall {recall:.4}, F1 {f1:.4}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
