//! Segments with nothing to translate are copied, never sent to the model.
//!
//! Marian models invent text when given none ("-" becomes "- No, no, no…", a column of numbers
//! comes back changed), so a segment goes to the model only if it holds a letter outside URLs,
//! e-mail addresses, @handles and leftover Markdown link syntax (`![](logo.png)`). Everything else
//! (punctuation, numbers, dates such as `17-11-2013`, a bare URL) is its own translation.

/// Whether `text` has nothing for the model to translate (see the module docs).
///
/// ```
/// use passeur::document::has_nothing_to_translate;
/// assert!(has_nothing_to_translate("5.000 – 26.469,89 (17-11-2013)"));
/// assert!(has_nothing_to_translate("https://www.service-public.fr/a?b=c, contact@example.fr"));
/// assert!(!has_nothing_to_translate("M. Wang"));
/// ```
pub fn has_nothing_to_translate(text: &str) -> bool {
    text.split_whitespace().all(|word| {
        let core = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '/');
        is_address(core) || is_address(word) || !core.chars().any(char::is_alphabetic)
    })
}

/// A URL, a `www.` domain, an e-mail address, an @handle, or Markdown link syntax left in the text
/// (an image without alt text, `![](logo.png)`).
fn is_address(word: &str) -> bool {
    let lower = word.to_lowercase();
    let address =
        lower.contains("://") || lower.starts_with("www.") || lower.starts_with("mailto:");
    if address || word.contains("](") {
        return true;
    }
    match word.split_once('@') {
        Some(("", handle)) => !handle.is_empty() && !handle.contains('@'),
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_passes_through() {
        for text in [
            "",
            " ",
            "-",
            "…",
            "***",
            "5.000",
            "3,5 %",
            "17-11-2013",
            "12:30",
            "(1)",
            "« 2 »",
            "https://example.fr/a-b",
            "www.lemonde.fr",
            "<redaction@example.fr>",
            "@passeur_fr",
            "1. 2. 3.",
            "€",
            "2 × 3 = 6",
        ] {
            assert!(
                has_nothing_to_translate(text),
                "{text:?} should pass through"
            );
        }
    }

    #[test]
    fn what_goes_to_the_model() {
        for text in [
            "Oui.",
            "M. Wang",
            "15 h 30",
            "XIXe siècle",
            "Lire : https://example.fr",
            "French.china.org.cn",
            "a@b",
            "Ça",
            "Été 2013",
        ] {
            assert!(
                !has_nothing_to_translate(text),
                "{text:?} should be translated"
            );
        }
    }
}
