//! Splitting a sentence at clause punctuation for a second chance, and joining the translated
//! parts back.
//!
//! A sentence the model mistranslates whole (its second half dropped, a loop) is often translated
//! well in shorter parts. The split uses the strongest punctuation the sentence has: `;`, then
//! `:`, then dashes (` — `, ` – `, ` - `), then commas; a part shorter than three words is merged
//! with its neighbour so that no fragment loses its meaning. The punctuation stays with the part
//! before it (a dash with the part after it).

/// Words a clause may start with that are lower-case in English unless they start a sentence.
const LOWER_CASE_STARTS: &[&str] = &[
    "the",
    "a",
    "an",
    "and",
    "but",
    "or",
    "which",
    "who",
    "whom",
    "whose",
    "that",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "of",
    "from",
    "by",
    "as",
    "it",
    "he",
    "she",
    "they",
    "we",
    "this",
    "these",
    "those",
    "its",
    "his",
    "her",
    "their",
    "while",
    "when",
    "where",
    "because",
    "if",
    "so",
    "not",
    "no",
    "according",
    "after",
    "before",
    "since",
    "although",
    "though",
    "then",
];

/// Splits `text` into clauses as described in the module documentation; a sentence with no usable
/// split point comes back whole.
pub(super) fn split_clauses(text: &str) -> Vec<&str> {
    type Cut = fn(&str, usize, char) -> bool;
    let after_mark: Cut = |text, i, c| text[i + c.len_utf8()..].starts_with(char::is_whitespace);
    let before_dash: Cut = |text, i, _| text[..i].ends_with(char::is_whitespace);
    let levels: [(&[char], Cut, bool); 4] = [
        (&[';'], after_mark, true),
        (&[':'], after_mark, true),
        (&['—', '–', '-'], before_dash, false),
        (&[','], after_mark, true),
    ];
    for (marks, cut_here, cut_after) in levels {
        let mut cuts = Vec::new();
        for (i, c) in text.char_indices() {
            if marks.contains(&c) && cut_here(text, i, c) {
                let dash_spaced =
                    cut_after || text[i + c.len_utf8()..].starts_with(char::is_whitespace);
                if dash_spaced {
                    cuts.push(if cut_after { i + c.len_utf8() } else { i });
                }
            }
        }
        let parts = merge_short(text, &cuts);
        if parts.len() >= 2 {
            return parts;
        }
    }
    vec![text.trim()]
}

/// The parts of `text` between `cuts`, trimmed, with parts under three words merged into a
/// neighbour.
fn merge_short<'a>(text: &'a str, cuts: &[usize]) -> Vec<&'a str> {
    let mut bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .chain(std::iter::once(text.len()))
        .collect();
    bounds.dedup();
    let word_count = |a: usize, b: usize| {
        text[a..b]
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count()
    };
    // Drop interior bounds that leave a short part, until none does.
    loop {
        let short = (0..bounds.len() - 1).find(|&k| word_count(bounds[k], bounds[k + 1]) < 3);
        match short {
            Some(_) if bounds.len() <= 2 => break,
            // A short part merges with the next, or with the previous when it is the last.
            Some(k) if k + 1 < bounds.len() - 1 => {
                bounds.remove(k + 1);
            }
            Some(k) => {
                bounds.remove(k);
            }
            None => break,
        }
    }
    bounds
        .windows(2)
        .map(|w| text[w[0]..w[1]].trim())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Joins the translations of the parts of a split sentence: a part that ended with `, ; :` in the
/// source keeps that mark instead of the full stop the model tends to add, and a part that started
/// in lower case does not start with a capitalised function word.
pub(super) fn join_clauses(source_parts: &[&str], translations: &[String]) -> String {
    let mut joined = String::new();
    let last = translations.len().saturating_sub(1);
    for (k, (source, translation)) in source_parts.iter().zip(translations).enumerate() {
        let mut part = translation.trim().to_string();
        if k < last {
            if let Some(mark) = source
                .trim_end()
                .chars()
                .next_back()
                .filter(|c| matches!(c, ',' | ';' | ':'))
            {
                if part.ends_with('.') && !part.ends_with("...") {
                    part.pop();
                }
                if !part.ends_with([',', ';', ':', '.', '!', '?']) {
                    part.push(mark);
                }
            }
        }
        if k > 0 && source.trim_start().starts_with(|c: char| c.is_lowercase()) {
            part = lower_first_function_word(&part);
        }
        if !joined.is_empty() && !part.is_empty() {
            joined.push(' ');
        }
        joined.push_str(&part);
    }
    joined
}

fn lower_first_function_word(part: &str) -> String {
    let first_word: String = part.chars().take_while(|c| c.is_alphabetic()).collect();
    if LOWER_CASE_STARTS.contains(&first_word.to_lowercase().as_str()) {
        let mut out = first_word.to_lowercase();
        out.push_str(&part[first_word.len()..]);
        out
    } else {
        part.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_strongest_punctuation_present() {
        assert_eq!(
            split_clauses("Le ministre est parti ; il reviendra demain, dit-on, avant midi."),
            vec![
                "Le ministre est parti ;",
                "il reviendra demain, dit-on, avant midi."
            ]
        );
        assert_eq!(
            split_clauses("Il a déclaré : « Nous ne céderons pas sur ce point. »"),
            vec!["Il a déclaré :", "« Nous ne céderons pas sur ce point. »"]
        );
        assert_eq!(
            split_clauses("La réforme — votée hier soir — entre en vigueur lundi."),
            vec!["La réforme — votée hier soir", "— entre en vigueur lundi."]
        );
        assert_eq!(
            split_clauses(
                "Selon le rapport publié mardi, les prix ont augmenté de 3,5 % en un an."
            ),
            vec![
                "Selon le rapport publié mardi,",
                "les prix ont augmenté de 3,5 % en un an."
            ]
        );
    }

    #[test]
    fn keeps_short_fragments_together_and_unsplittable_sentences_whole() {
        assert_eq!(
            split_clauses("Oui, bien sûr, il viendra demain matin avec sa famille."),
            vec!["Oui, bien sûr,", "il viendra demain matin avec sa famille."]
        );
        assert_eq!(split_clauses("Oui, merci."), vec!["Oui, merci."]);
        assert_eq!(
            split_clauses("Il est 15:30 à Paris."),
            vec!["Il est 15:30 à Paris."]
        );
        assert_eq!(split_clauses("Un mot-clé ici."), vec!["Un mot-clé ici."]);
    }

    #[test]
    fn joins_with_the_source_clause_marks_and_lower_case_continuations() {
        let parts = [
            "Selon le rapport publié mardi,",
            "les prix ont augmenté de 3,5 %.",
        ];
        let translations = [
            "According to the report published on Tuesday.".to_string(),
            "The prices rose by 3.5%.".to_string(),
        ];
        assert_eq!(
            join_clauses(&parts, &translations),
            "According to the report published on Tuesday, the prices rose by 3.5%."
        );
        let parts = ["Le ministre est parti ;", "Paris attend."];
        let translations = ["The minister left".to_string(), "Paris waits.".to_string()];
        assert_eq!(
            join_clauses(&parts, &translations),
            "The minister left; Paris waits."
        );
    }
}
