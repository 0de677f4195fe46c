//! Segments with nothing to translate, copied to the output and never sent to the model.
//!
//! Marian models hallucinate on such input ("-" → "- No, no, no…", a digit string → a web
//! address), and a copy is the right English for them anyway. The rule is conservative: a segment
//! passes through only if *every* whitespace-separated token is non-verbal, that is
//! - has no letter (numbers, dates, punctuation, symbols, bullets, emoji: `5.000`, `17-11-2013`,
//!   `—`, `***`, `1.`),
//! - or lies in a protected span (URL, e-mail, @handle, #hashtag, domain, `code`),
//! - or is code-like (`snake_case`, `f(x)`, `a::b`, `x->y`, `a==b`, `{…}`, `/usr/bin`, `rapport.pdf`,
//!   Markdown link syntax such as `![](logo.png)`),
//! - or is a number with a unit or ordinal suffix (`15h30`, `1er`, `XIXe`, `10km`), or a unit right
//!   after a number (`15 h 30`, `3 km`),
//! - or is a one-letter list marker (`a)`, `B.`).
//!
//! One ordinary word — "Oui.", "OK", "Paris", "M. Wang", a month name in a date — and the segment
//! goes to the model.

use super::protect::strip_spans;

/// Letters that may follow a number without making it a word to translate: French and English
/// ordinal suffixes and common units. Compared in lower case.
const SUFFIXES: &[&str] = &[
    "er", "re", "ère", "ers", "res", "ères", "e", "è", "ème", "èmes", "es", "nd", "nde", "nds",
    "ndes", "st", "rd", "th", "h", "min", "mn", "s", "ms", "km", "m", "cm", "mm", "kg", "g", "mg",
    "t", "l", "ml", "cl", "ha", "kw", "mw", "gw", "kwh", "mwh", "gwh", "w", "v", "mo", "go", "ko",
    "to", "gb", "mb", "kb", "tb", "hz", "khz", "mhz", "ghz", "k", "md", "mds", "mrd", "c", "f",
];

/// Known file extensions: `name.ext` is a file name, copied as is.
const FILE_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "csv", "txt", "rtf", "ppt", "pptx", "jpg",
    "jpeg", "png", "gif", "svg", "zip", "gz", "tar", "html", "htm", "json", "xml", "yaml", "yml",
    "toml", "mp3", "mp4", "avi", "mov", "wav", "py", "rs", "js", "ts", "sh", "exe", "md",
];

/// Whether `segment` has nothing to translate and should be copied as it is.
pub fn is_passthrough(segment: &str) -> bool {
    let stripped = strip_spans(segment);
    let tokens: Vec<&str> = stripped.split_whitespace().collect();
    tokens.iter().enumerate().all(|(i, token)| {
        let after_number = i > 0 && tokens[i - 1].chars().any(|c| c.is_ascii_digit());
        is_non_verbal(token, after_number)
    })
}

fn is_non_verbal(token: &str, after_number: bool) -> bool {
    if !token.chars().any(char::is_alphabetic) || is_code_like(token) || is_list_marker(token) {
        return true;
    }
    let core = token.trim_matches(|c: char| !c.is_alphanumeric());
    let letters: String = core
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    let suffix_ok = SUFFIXES.contains(&letters.as_str());
    if core.chars().any(|c| c.is_ascii_digit()) {
        // Letters glued to a number (`1er`, `15h30`, `10km`): only a unit or ordinal suffix.
        return suffix_ok;
    }
    if after_number && suffix_ok && core.chars().all(char::is_alphabetic) {
        return true;
    }
    is_roman_ordinal(core)
}

/// `XIXe`, `IIIème`, `Ier`: a Roman numeral with a French ordinal suffix.
fn is_roman_ordinal(word: &str) -> bool {
    let numeral_end = word
        .char_indices()
        .find(|&(_, c)| !matches!(c, 'I' | 'V' | 'X' | 'L' | 'C' | 'D' | 'M'))
        .map_or(word.len(), |(i, _)| i);
    numeral_end > 0
        && matches!(
            &word[numeral_end..],
            "e" | "er" | "ère" | "ème" | "è" | "es" | "èmes"
        )
}

fn is_code_like(token: &str) -> bool {
    let t = token.trim_end_matches(['.', ',', ';', ':', '!', '?']);
    let has_word_char = t.chars().any(char::is_alphanumeric);
    if !has_word_char {
        return false;
    }
    let snake = t.split('_').filter(|part| !part.is_empty()).count() >= 2
        && t.chars().all(|c| c.is_alphanumeric() || c == '_');
    let call = t.ends_with(')')
        && t.find('(').is_some_and(|open| {
            open > 0
                && t[..open]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
        });
    // `](` is Markdown link or image syntax left in the text (`![](logo.png)`).
    let operators = [
        "::", "->", "=>", "==", "!=", "&&", "||", "</", "/>", "{", "}", "](",
    ]
    .iter()
    .any(|op| t.contains(op));
    let path = (t.starts_with('/') || t.starts_with("~/") || t.starts_with("./"))
        && t.len() > 1
        && !t.contains(char::is_whitespace);
    let windows_path = t.len() > 3 && t.as_bytes()[1] == b':' && t.as_bytes()[2] == b'\\';
    let file_name = t.rsplit_once('.').is_some_and(|(name, ext)| {
        !name.is_empty()
            && !name.ends_with('.')
            && FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    });
    snake || call || operators || path || windows_path || file_name
}

/// `a)`, `(b)`, `A.`: one ASCII letter used as a list marker.
fn is_list_marker(token: &str) -> bool {
    let inner = token
        .strip_prefix('(')
        .unwrap_or(token)
        .strip_suffix([')', '.'])
        .unwrap_or("");
    inner.len() == 1 && inner.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_segments_with_nothing_to_translate() {
        for segment in [
            "",
            "   ",
            "5.000",
            "17-11-2013",
            "www.service-public.fr",
            "@AFP",
            "—",
            "1.",
            "***",
            "-",
            "26.469,89",
            "3,5 %",
            "15 h 30",
            "15h30",
            "1er",
            "XIXe",
            "10 km",
            "• • •",
            "https://example.org/a?b=c",
            "contact@afp.com",
            "#JeSuisCharlie",
            "`cargo test`",
            "snake_case_name",
            "print(x)",
            "std::io::Result",
            "/usr/bin/env",
            "rapport_2013.pdf",
            "a)",
            "(b)",
            "B.",
            "+33 1 23 45 67 89",
            "👍",
            "1/2",
            "[1]",
            "…",
            "(1)",
            "« 2 »",
            "12:30",
            "<redaction@example.fr>",
            "@passeur_fr",
            "1. 2. 3.",
            "€",
            "2 × 3 = 6",
            "5.000 – 26.469,89 (17-11-2013)",
            "https://www.service-public.fr/a?b=c, contact@example.fr",
            "French.china.org.cn",
            "![](logo.png)",
        ] {
            assert!(is_passthrough(segment), "{segment:?} should pass through");
        }
    }

    #[test]
    fn sends_segments_with_words_to_the_model() {
        for segment in [
            "M. Wang",
            "Oui.",
            "OK",
            "Paris",
            "17 novembre 2013",
            "5.000 personnes",
            "Voir www.service-public.fr",
            "A",
            "a",
            "à.",
            "15 heures",
            "XIV",
            "km",
            "Fin.",
            "n° 5",
            "rapport.",
            "3D",
            "Lire : https://example.fr",
            "a@b",
            "Ça",
            "Été 2013",
            "XIXe siècle",
        ] {
            assert!(!is_passthrough(segment), "{segment:?} should be translated");
        }
    }
}
