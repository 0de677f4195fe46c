//! Comparing the mentions of a source and a translation: two bipartite matchings (see the
//! [module docs](super)).

use super::extract::extract;
use super::value::{Lang, Mention};

/// The outcome of comparing the numbers of a source and a translation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberCheck {
    /// Hard mentions of the source with no counterpart in the translation.
    pub missing: Vec<Mention>,
    /// Hard mentions of the translation with no counterpart in the source.
    pub added: Vec<Mention>,
}

impl NumberCheck {
    /// Whether the numbers agree.
    pub fn is_consistent(&self) -> bool {
        self.missing.is_empty() && self.added.is_empty()
    }
}

/// Compares the numbers of a French `source` and its English `translation`.
pub fn compare(source: &str, translation: &str) -> NumberCheck {
    let french = extract(source, Lang::French);
    let english = extract(translation, Lang::English);
    NumberCheck {
        missing: unmatched(&french, &english),
        added: unmatched(&english, &french),
    }
}

/// The hard mentions of `required` that no matching with `others` can cover (Kuhn's augmenting
/// paths).
fn unmatched(required: &[Mention], others: &[Mention]) -> Vec<Mention> {
    let compatible = |a: &Mention, b: &Mention| a.values.iter().any(|v| b.values.contains(v));
    let mut owner: Vec<Option<usize>> = vec![None; others.len()];
    let mut missing = Vec::new();
    fn augment(
        r: usize,
        required: &[Mention],
        others: &[Mention],
        owner: &mut [Option<usize>],
        seen: &mut [bool],
        compatible: &dyn Fn(&Mention, &Mention) -> bool,
    ) -> bool {
        for o in 0..others.len() {
            if seen[o] || !compatible(&required[r], &others[o]) {
                continue;
            }
            seen[o] = true;
            if owner[o].is_none_or(|r2| augment(r2, required, others, owner, seen, compatible)) {
                owner[o] = Some(r);
                return true;
            }
        }
        false
    }
    for (r, mention) in required.iter().enumerate() {
        if !mention.hard {
            continue;
        }
        let mut seen = vec![false; others.len()];
        if !augment(r, required, others, &mut owner, &mut seen, &compatible) {
            missing.push(mention.clone());
        }
    }
    missing
}
