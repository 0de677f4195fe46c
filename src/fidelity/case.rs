//! ALL-CAPS text: detected, lower-cased for the model, and capitalised again afterwards.
//!
//! Marian models saw little upper-case text; an ALL-CAPS headline tends to come back as repeated
//! phrases or copied French. Sentence case is what they translate best. The case of the source is
//! restored by upper-casing the whole translation, since every letter of the source was a capital.
//! Limit: acronyms are lower-cased with the rest, so the model may not recognise "ONU" as "onu"
//! and may translate it less well; this step only runs when the sentence was already defective.

/// Whether `text` is written in capitals: at least two words of two or more letters, at least six
/// capitals in all, and no lower-case letter. A lone acronym ("ONU") is not ALL-CAPS text.
pub(super) fn is_all_caps(text: &str) -> bool {
    if text.chars().any(char::is_lowercase) {
        return false;
    }
    let capitals = text.chars().filter(|c| c.is_uppercase()).count();
    let words = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .count();
    words >= 2 && capitals >= 6
}

/// `text` in sentence case: all lower case, then the first letter upper case.
pub(super) fn lower_for_model(text: &str) -> String {
    let lower = text.to_lowercase();
    match lower.char_indices().find(|(_, c)| c.is_alphabetic()) {
        Some((i, c)) => {
            let mut out = String::with_capacity(lower.len());
            out.push_str(&lower[..i]);
            out.extend(c.to_uppercase());
            out.push_str(&lower[i + c.len_utf8()..]);
            out
        }
        None => lower,
    }
}

/// The translation of ALL-CAPS text, in capitals again.
pub(super) fn restore_caps(translation: &str) -> String {
    translation.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_all_caps_headlines_only() {
        assert!(is_all_caps("LA CHINE ET LA FINLANDE SIGNENT UN ACCORD"));
        assert!(is_all_caps("ÉLECTIONS : LE PS EN TÊTE"));
        assert!(!is_all_caps("ONU"));
        assert!(!is_all_caps("L'ONU et la FAO"));
        assert!(!is_all_caps("La Chine signe un accord"));
        assert!(!is_all_caps("5.000 — 17-11-2013"));
        assert!(!is_all_caps("A B"));
    }

    #[test]
    fn lowers_to_sentence_case_and_restores_capitals() {
        assert_eq!(lower_for_model("« LA CHINE SIGNE »"), "« La chine signe »");
        assert_eq!(lower_for_model("ÉTÉ 2013"), "Été 2013");
        assert_eq!(
            restore_caps("China signs an agreement"),
            "CHINA SIGNS AN AGREEMENT"
        );
    }
}
