//! Checks for the ways a neural translation degenerates: empty, cut short, copied French, looping
//! repetition, implausible length.
//!
//! Each check compares the translation with its source, so that what the source itself does is
//! allowed: "Non, non, non !" may become "No, no, no!", a sentence without final punctuation may
//! be translated without one.
//!
//! # Calibration
//!
//! The thresholds were measured with `scripts/calibrate-fidelity` (it says where its texts come
//! from and prints every figure below):
//! - repetition and untranslated copies on 2,613 sentences of English news (the Lee corpus of ABC
//!   news shipped in gensim's test data): with the limits below, neither rule fires on any of
//!   them. A first, stricter repetition limit (any 2-word sequence twice in a row) fired on 4 —
//!   "very angry, very angry", "6-4, 6-4", rhetorical anaphora — so short sequences need three
//!   repeats and stop words and numbers alone never make a loop;
//! - the length band on human French → English translations: Django's French catalogue (916
//!   pairs of UI messages, mean ratio 0.87) and our own news sentences
//!   (`tests/data/fidelity/parallel.tsv`, 90 pairs, mean 0.95, range 0.62–1.30). With 12
//!   characters of slack, false alarms start at a minimum of 0.70 (3 Django pairs) and no maximum
//!   down to 1.2 causes any: the default band 0.55–1.5 keeps a margin on both sides while still
//!   catching a sentence that lost its second half.

use crate::verdict::Defect;

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
    /// 0.55 to 1.5 with 12 characters of slack: see the calibration in the module documentation.
    fn default() -> Self {
        LengthBand {
            min: 0.55,
            max: 1.5,
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
    "ton", "ma", "ta", "mes", "tes", "avoir", "faire", "peut", "doit", "l", "qu",
];

/// Function words and pieces of contractions: a repeated sequence needs two words outside this
/// list to look like a loop ("of the … of the", "and don't … and don't" are ordinary English).
const ENGLISH_STOP: &[&str] = &[
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "but", "is", "are", "was",
    "were", "be", "been", "has", "have", "had", "it", "its", "that", "this", "with", "by", "from",
    "as", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "not", "said",
    "will", "would", "which", "who", "s", "t", "d", "m", "ll", "re", "ve", "don", "didn", "doesn",
    "isn", "wasn", "aren", "weren", "won", "can", "couldn", "wouldn", "shouldn", "haven", "hasn",
];

/// Whether `word` carries content: not a stop word, not a number.
fn is_content(word: &str) -> bool {
    !ENGLISH_STOP.contains(&word) && !word.chars().all(|c| c.is_ascii_digit())
}

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

/// Truncated: the source, a sentence of two words or more, ends with `. ! ? …` and the
/// translation does not. (A one-word source such as "avr." ends with an abbreviation's dot.)
pub fn is_truncated(source: &str, translation: &str) -> bool {
    source.split_whitespace().count() >= 2
        && final_mark(source).is_some()
        && final_mark(translation).is_none()
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

/// The longest run of one word repeated back to back: (word, times).
fn same_word_run(words: &[String]) -> (&str, usize) {
    let mut best = ("", 0);
    let mut i = 0;
    while i < words.len() {
        let run = words[i..].iter().take_while(|w| **w == words[i]).count();
        if run > best.1 {
            best = (words[i].as_str(), run);
        }
        i += run;
    }
    best
}

/// The most repeated back-to-back word sequence of `words`: (sequence length, repeats, start).
fn longest_run(words: &[String]) -> (usize, usize, usize) {
    let mut best = (0, 1, 0);
    for n in 1..=8.min(words.len()) {
        for i in 0..=words.len() - n {
            if !words[i..i + n].iter().any(|w| is_content(w)) {
                continue;
            }
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

/// The most frequent sequence of three to six words with at least two content words:
/// (sequence, count).
fn most_frequent_sequence(words: &[String]) -> Option<(Vec<String>, usize)> {
    let mut best: Option<(Vec<String>, usize)> = None;
    for n in 3..=6.min(words.len()) {
        let mut counts: std::collections::HashMap<&[String], usize> = Default::default();
        for gram in words.windows(n) {
            if gram.iter().filter(|w| is_content(w)).count() < 2 {
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

/// Repetition the source does not have: a sequence of one to three words three times in a row, a
/// sequence of four or more words twice in a row, or a sequence of three to six words (two of them
/// content words) three times anywhere. Sequences of stop words or numbers alone do not count,
/// except one word four times in a row ("the the the the"), which no sentence has.
pub fn repetition(source: &str, translation: &str) -> Option<Defect> {
    let target = words(translation);
    let source_words = words(source);
    let (word, times) = same_word_run(&target);
    if times >= 4 && times > same_word_run(&source_words).1 {
        return Some(Defect::Repetition {
            ngram: word.to_string(),
            count: times,
        });
    }
    let (n, k, start) = longest_run(&target);
    let (_, source_k, _) = longest_run(&source_words);
    let looping = (n <= 3 && k >= 3) || (n >= 4 && k >= 2);
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
        assert!(!is_truncated("avr.", "April"));
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
            "CHINA AND FINLAND CHINA AND FINLAND CHINA AND FINLAND"
        )
        .is_some());
        assert!(repetition(
            "Le président de la République française.",
            "The President of the French Republic, the President of the French Republic."
        )
        .is_some());
        assert!(repetition(
            "Le ministre des Affaires étrangères.",
            "The Minister of Foreign Affairs, the Minister of Foreign Affairs of the Minister of Foreign Affairs."
        )
        .is_some());
        assert!(repetition(SOURCE, GOOD).is_none());
        assert_eq!(
            repetition("LE MARCHÉ", "THE THE THE THE THE"),
            Some(Defect::Repetition {
                ngram: "the".into(),
                count: 5
            }),
            "a stop word looping"
        );
        assert!(repetition("x", "It had had had a fine day.").is_none());
        // Ordinary English, measured on news by scripts/calibrate-fidelity.
        assert!(repetition("x", "He said that that was fine, very very fine.").is_none());
        assert!(repetition("x", "I was very angry, very angry.").is_none());
        assert!(repetition("x", "He won 6-4, 6-4 in 91 minutes.").is_none());
        assert!(repetition("x", "Don't break and don't collide and don't go around.").is_none());
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
