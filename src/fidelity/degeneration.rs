//! Checks for the ways a neural translation degenerates: empty, cut short, copied French, looping
//! repetition, implausible length.
//!
//! Each check compares the translation with its source, so that what the source itself does is
//! allowed: "Non, non, non !" may become "No, no, no!", a sentence without final punctuation may
//! be translated without one.
//!
//! # Calibration
//!
//! The thresholds were measured with `scripts/calibrate-fidelity` (which says where its texts come
//! from and prints the figures):
//! - repetition on 3,700+ sentences of English news (the Lee corpus of ABC news shipped with
//!   gensim's tests): no sentence repeats a word three times in a row, nor any two-or-more-word
//!   sequence twice in a row, nor a 3-word sequence three times — so these are the limits, and
//!   English stop words alone never count as a repeated sequence;
//! - the length band on human French → English translations (Django's French catalogue and our
//!   own news sentences in `tests/data/fidelity/parallel.tsv`): see [`LengthBand::default`].

use super::defect::Defect;

/// The accepted range of translation length / source length, in characters other than
/// whitespace.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LengthBand {
    /// Lowest ratio.
    pub min: f32,
    /// Highest ratio.
    pub max: f32,
    /// Characters of leeway on each side, so that short sentences ("Oui." → "Yes.") are judged
    /// fairly.
    pub slack: usize,
}

impl Default for LengthBand {
    /// The band measured by `scripts/calibrate-fidelity` on human translations: English runs at
    /// 0.90 of French length on average; with 12 characters of slack, every measured pair but the
    /// far tails falls within 0.5 – 1.7.
    fn default() -> Self {
        LengthBand {
            min: 0.5,
            max: 1.7,
            slack: 12,
        }
    }
}

/// Words of `text` in lower case: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// French words that are not English words: a translation full of them was not translated.
const FRENCH_ONLY: &[&str] = &[
    "le", "la", "les", "des", "du", "et", "est", "une", "dans", "pour", "que", "qui", "avec",
    "sur", "pas", "au", "aux", "ce", "cette", "ces", "il", "elle", "ils", "elles", "sont", "été",
    "être", "ont", "mais", "où", "leur", "leurs", "nous", "vous", "selon", "entre", "après",
    "très", "sa", "ses", "lui", "ne", "se", "je", "tu", "ou", "comme", "aussi", "déjà", "avait",
    "était", "fait", "cela", "sans", "sous", "chez", "depuis", "dont", "encore", "ainsi", "alors",
    "lors", "contre", "vers", "notre", "votre", "nos", "vos", "ceux", "celle", "celui", "mon",
    "ton", "ma", "ta", "mes", "tes", "avoir", "faire", "peut", "doit", "d", "l", "qu", "c", "j",
    "n", "s",
];

/// Stop words that do not make a repeated sequence degenerate on their own ("of the … of the").
const ENGLISH_STOP: &[&str] = &[
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "but", "is", "are", "was",
    "were", "be", "been", "has", "have", "had", "it", "its", "that", "this", "with", "by", "from",
    "as", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "not", "s", "said",
    "will", "would", "which", "who",
];

/// Empty: no letter or digit in the translation of a source that had letters.
pub fn is_empty(source: &str, translation: &str) -> bool {
    source.chars().any(char::is_alphabetic) && !translation.chars().any(char::is_alphanumeric)
}

/// The sentence-final mark of `text`, looking through closing quotes and brackets.
fn final_mark(text: &str) -> Option<char> {
    text.trim_end()
        .trim_end_matches(|c: char| {
            matches!(c, '»' | '"' | '”' | '’' | '\'' | ')' | ']') || c.is_whitespace()
        })
        .chars()
        .next_back()
        .filter(|c| matches!(c, '.' | '!' | '?' | '…'))
}

/// Truncated: the source ends with `. ! ? …` and the translation does not.
pub fn is_truncated(source: &str, translation: &str) -> bool {
    final_mark(source).is_some() && final_mark(translation).is_none()
}

/// Untranslated: the translation is the source copied (a sentence of three or more words with
/// French function words), or at least a quarter of its words, and three or more, are French
/// function words.
pub fn is_untranslated(source: &str, translation: &str) -> bool {
    let target = words(translation);
    let french = target
        .iter()
        .filter(|w| FRENCH_ONLY.contains(&w.as_str()))
        .count();
    let copied = target == words(source) && target.len() >= 3 && french >= 1;
    copied || (french >= 3 && french * 4 >= target.len())
}

/// The most repeated back-to-back word sequence of `words`: (sequence length, repeats, start).
fn longest_run(words: &[String]) -> (usize, usize, usize) {
    let mut best = (0, 1, 0);
    for n in 1..=8.min(words.len()) {
        for i in 0..words.len() {
            let mut k = 1;
            while i + (k + 1) * n <= words.len()
                && words[i + k * n..i + (k + 1) * n] == words[i..i + n]
            {
                k += 1;
            }
            if k > best.1 || (k == best.1 && k > 1 && n > best.0) {
                best = (n, k, i);
            }
        }
    }
    best
}

/// The most frequent sequence of three or more words that is not stop words only:
/// (sequence, count).
fn most_frequent_sequence(words: &[String]) -> Option<(Vec<String>, usize)> {
    let mut best: Option<(Vec<String>, usize)> = None;
    for n in 3..=6.min(words.len()) {
        let mut counts: std::collections::HashMap<&[String], usize> = Default::default();
        for gram in words.windows(n) {
            if gram.iter().all(|w| ENGLISH_STOP.contains(&w.as_str())) {
                continue;
            }
            *counts.entry(gram).or_default() += 1;
        }
        for (gram, count) in counts {
            if best.as_ref().is_none_or(|(_, c)| count > *c) {
                best = Some((gram.to_vec(), count));
            }
        }
    }
    best
}

/// Repetition the source does not have: a word three times in a row, a sequence of two or more
/// words twice in a row, or a sequence of three or more words three times anywhere.
pub fn repetition(source: &str, translation: &str) -> Option<Defect> {
    let target = words(translation);
    let source_words = words(source);
    let (n, k, start) = longest_run(&target);
    let (_, source_k, _) = longest_run(&source_words);
    let looping = (n == 1 && k >= 3) || (n >= 2 && k >= 2);
    if looping && k > source_k {
        let ngram = target[start..start + n].join(" ");
        return Some(Defect::Repetition { ngram, count: k });
    }
    let (gram, count) = most_frequent_sequence(&target)?;
    let source_count = most_frequent_sequence(&source_words).map_or(1, |(_, c)| c);
    (count >= 3 && count > source_count).then(|| Defect::Repetition {
        ngram: gram.join(" "),
        count,
    })
}

/// Length of `text` in characters other than whitespace.
pub fn visible_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// The translation's length is outside `band` for its source.
pub fn length_ratio(source: &str, translation: &str, band: &LengthBand) -> Option<Defect> {
    let s = visible_len(source) as f32;
    let t = visible_len(translation) as f32;
    let slack = band.slack as f32;
    let outside = t < band.min * s - slack || t > band.max * s + slack;
    (outside && s > 0.0).then(|| Defect::LengthRatio {
        ratio: t / s,
        min: band.min,
        max: band.max,
    })
}

/// Every degeneration check; an empty translation reports only that.
pub fn check(source: &str, translation: &str, band: &LengthBand) -> Vec<Defect> {
    if is_empty(source, translation) {
        return vec![Defect::Empty];
    }
    let mut defects = Vec::new();
    if is_untranslated(source, translation) {
        defects.push(Defect::Untranslated);
    }
    if is_truncated(source, translation) {
        defects.push(Defect::Truncated);
    }
    defects.extend(repetition(source, translation));
    defects.extend(length_ratio(source, translation, band));
    defects
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "Le gouvernement a annoncé mardi un plan de relance pour l'industrie.";
    const GOOD: &str = "The government announced a recovery plan for industry on Tuesday.";

    #[test]
    fn a_good_translation_passes_every_check() {
        assert!(check(SOURCE, GOOD, &LengthBand::default()).is_empty());
    }

    #[test]
    fn empty_fires_on_no_words_and_not_on_punctuation_sources() {
        assert!(is_empty("Oui.", ""));
        assert!(is_empty("Oui.", " . "));
        assert!(!is_empty("Oui.", "Yes."));
        assert!(!is_empty("—", ""));
        assert_eq!(
            check("Oui.", "", &LengthBand::default()),
            vec![Defect::Empty]
        );
    }

    #[test]
    fn truncated_fires_only_when_the_source_had_final_punctuation() {
        assert!(is_truncated(
            SOURCE,
            "The government announced a recovery plan"
        ));
        assert!(is_truncated("« Pourquoi ? »", "Why"));
        assert!(!is_truncated(SOURCE, GOOD));
        assert!(!is_truncated("« Pourquoi ? »", "“Why?”"));
        assert!(!is_truncated(
            "Accueil > International",
            "Home > International"
        ));
    }

    #[test]
    fn untranslated_fires_on_copies_and_french_leftovers() {
        assert!(is_untranslated(SOURCE, SOURCE));
        assert!(is_untranslated(SOURCE, "The government a annoncé mardi un plan de relance pour les entreprises et la industrie."));
        assert!(!is_untranslated(SOURCE, GOOD));
        assert!(!is_untranslated("Emmanuel Macron.", "Emmanuel Macron."));
        assert!(!is_untranslated("Le Monde", "Le Monde"));
        assert!(!is_untranslated(
            "Marine Le Pen et Jean-Marie Le Pen.",
            "Marine Le Pen and Jean-Marie Le Pen."
        ));
    }

    #[test]
    fn repetition_fires_on_loops_and_respects_the_source() {
        let looped = repetition("Non.", "No, no, no, no, no.").expect("loop");
        assert_eq!(
            looped,
            Defect::Repetition {
                ngram: "no".into(),
                count: 5
            }
        );
        assert!(repetition("Non, non, non !", "No, no, no!").is_none());
        assert!(repetition(
            "LA CHINE ET LA FINLANDE",
            "CHINA AND FINLAND CHINA AND FINLAND"
        )
        .is_some());
        assert!(repetition(
            "Le ministre des Affaires étrangères.",
            "The Minister of Foreign Affairs, the Minister of Foreign Affairs of the Minister of Foreign Affairs."
        )
        .is_some());
        assert!(repetition(SOURCE, GOOD).is_none());
        assert!(repetition("x", "He said that that was fine, very very fine.").is_none());
    }

    #[test]
    fn length_ratio_fires_outside_the_band_only() {
        let band = LengthBand::default();
        assert!(length_ratio(SOURCE, GOOD, &band).is_none());
        assert!(length_ratio(SOURCE, "The government.", &band).is_some());
        let long = format!("{GOOD} {GOOD} {GOOD}");
        assert!(length_ratio(SOURCE, &long, &band).is_some());
        assert!(length_ratio("Oui.", "Yes, indeed.", &band).is_none());
    }
}
