//! The case table `tests/segment/cases.txt` (format and provenance in its header), parsed. Shared by
//! the case test and the speed benchmark, which include this file by path.

/// One paragraph of the table and the sentences a reader cuts it into.
pub struct Case {
    /// The category (`## name`) the case belongs to.
    pub category: String,
    /// Line of `cases.txt` where the case starts.
    pub line: usize,
    /// The paragraph, escapes resolved.
    pub input: String,
    /// The expected sentences, escapes resolved, line breaks written as one space.
    pub expected: Vec<String>,
}

/// The table's text, compiled in.
pub const CASES: &str = include_str!("../segment/cases.txt");

/// Resolves the table's escapes ({nbsp}, {nnbsp}, {tab}, {cr}, {lf}, {zwsp}).
pub fn unescape(text: &str) -> String {
    text.replace("{nbsp}", "\u{a0}")
        .replace("{nnbsp}", "\u{202f}")
        .replace("{tab}", "\t")
        .replace("{cr}", "\r")
        .replace("{lf}", "\n")
        .replace("{zwsp}", "\u{200b}")
}

/// Every case of the table, in order; panics with the line number on a malformed entry.
pub fn parse_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut category = String::new();
    let mut current: Option<Case> = None;
    for (index, line) in CASES.lines().enumerate() {
        if line.trim().is_empty() {
            cases.extend(current.take());
        } else if let Some(name) = line.strip_prefix("## ") {
            assert!(
                current.is_none(),
                "cases.txt:{}: category inside a case",
                index + 1
            );
            category = name.trim().to_string();
        } else if line.starts_with('#') && current.is_none() {
            continue;
        } else if let Some(sentence) = line.strip_prefix("| ") {
            let case = current
                .as_mut()
                .unwrap_or_else(|| panic!("cases.txt:{}: sentence without input", index + 1));
            case.expected.push(unescape(sentence));
        } else {
            match current.as_mut() {
                Some(case) => {
                    assert!(
                        case.expected.is_empty(),
                        "cases.txt:{}: input after sentences",
                        index + 1
                    );
                    case.input.push('\n');
                    case.input.push_str(&unescape(line));
                }
                None => {
                    current = Some(Case {
                        category: category.clone(),
                        line: index + 1,
                        input: unescape(line),
                        expected: Vec::new(),
                    })
                }
            }
        }
    }
    cases.extend(current);
    for case in &cases {
        assert!(
            !case.expected.is_empty(),
            "cases.txt:{}: case without sentences",
            case.line
        );
    }
    cases
}
