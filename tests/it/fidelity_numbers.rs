//! The number/date table: every French/English pair in tests/data/fidelity/numbers.tsv must be
//! judged as the table says (consistent or not), and the table must hold at least 40 consistent and
//! 20 inconsistent pairs.

use passeur::fidelity::numbers::compare;

const TABLE: &str = include_str!("../data/fidelity/numbers.tsv");

struct Row {
    line: usize,
    consistent: bool,
    french: String,
    english: String,
    note: String,
}

fn rows() -> Vec<Row> {
    let unescape = |s: &str| s.replace("<NBSP>", "\u{a0}").replace("<NNBSP>", "\u{202f}");
    TABLE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                4,
                "numbers.tsv line {}: 4 tab-separated fields",
                i + 1
            );
            let consistent = match fields[0] {
                "consistent" => true,
                "inconsistent" => false,
                other => panic!("numbers.tsv line {}: unknown verdict {other:?}", i + 1),
            };
            Row {
                line: i + 1,
                consistent,
                french: unescape(fields[1]),
                english: unescape(fields[2]),
                note: fields[3].to_string(),
            }
        })
        .collect()
}

#[test]
fn table_is_large_enough() {
    let rows = rows();
    let consistent = rows.iter().filter(|r| r.consistent).count();
    assert!(consistent >= 40, "{consistent} consistent pairs");
    assert!(
        rows.len() - consistent >= 20,
        "{} inconsistent pairs",
        rows.len() - consistent
    );
}

#[test]
fn every_pair_is_judged_as_the_table_says() {
    let mut wrong = Vec::new();
    for row in rows() {
        let check = compare(&row.french, &row.english);
        if check.is_consistent() != row.consistent {
            let missing: Vec<_> = check.missing.iter().map(|m| m.text.as_str()).collect();
            let added: Vec<_> = check.added.iter().map(|m| m.text.as_str()).collect();
            wrong.push(format!(
                "line {} ({}): expected {}, got missing {missing:?} added {added:?}\n  fr: {}\n  en: {}",
                row.line,
                row.note,
                if row.consistent { "consistent" } else { "inconsistent" },
                row.french,
                row.english
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} pairs misjudged:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn inconsistent_pairs_name_the_culprit() {
    let check = compare(
        "Le 1er janvier 2014, la loi entre en vigueur.",
        "On January 1st, 2015, the law comes into force.",
    );
    assert_eq!(
        check
            .missing
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        vec!["2014"]
    );
    assert_eq!(
        check
            .added
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        vec!["2015"]
    );
}
