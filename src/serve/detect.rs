//! Language detection for `/detect` and `source: auto`, with whatlang (trigram models of 70
//! languages, no data files).

/// A detected language: its code (ISO 639-1 where it has one, as LibreTranslate writes it; else
/// ISO 639-3) and a confidence from 0 to 100.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(super) struct Detection {
    pub(super) confidence: f64,
    pub(super) language: String,
}

/// The languages told apart in Latin script: the main western European ones. Among all of
/// whatlang's, short French texts ("Bonjour", "Merci") come out as Uzbek or Indonesian.
const LATIN_LANGUAGES: [whatlang::Lang; 7] = {
    use whatlang::Lang::*;
    [Fra, Eng, Deu, Spa, Ita, Por, Nld]
};

/// The language of `text`. Text whose language cannot be told (no letters) is reported as
/// French, passeur's one source language, with confidence 0.
pub(super) fn detect(text: &str) -> Detection {
    static LATIN: std::sync::LazyLock<whatlang::Detector> =
        std::sync::LazyLock::new(|| whatlang::Detector::with_allowlist(LATIN_LANGUAGES.to_vec()));
    let info = match whatlang::detect_script(text) {
        Some(whatlang::Script::Latin) => LATIN.detect(text),
        _ => whatlang::detect(text),
    };
    match info {
        Some(info) => Detection {
            confidence: (info.confidence() * 1000.0).round() / 10.0,
            language: iso_639_1(info.lang().code()).to_string(),
        },
        None => Detection {
            confidence: 0.0,
            language: "fr".to_string(),
        },
    }
}

/// The two-letter code of a three-letter one, for the languages whatlang knows.
fn iso_639_1(code: &'static str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("afr", "af"),
        ("aka", "ak"),
        ("amh", "am"),
        ("ara", "ar"),
        ("aze", "az"),
        ("bel", "be"),
        ("ben", "bn"),
        ("bul", "bg"),
        ("cat", "ca"),
        ("ces", "cs"),
        ("cmn", "zh"),
        ("cym", "cy"),
        ("dan", "da"),
        ("deu", "de"),
        ("ell", "el"),
        ("eng", "en"),
        ("epo", "eo"),
        ("est", "et"),
        ("fin", "fi"),
        ("fra", "fr"),
        ("guj", "gu"),
        ("heb", "he"),
        ("hin", "hi"),
        ("hrv", "hr"),
        ("hun", "hu"),
        ("hye", "hy"),
        ("ind", "id"),
        ("ita", "it"),
        ("jav", "jv"),
        ("jpn", "ja"),
        ("kan", "kn"),
        ("kat", "ka"),
        ("khm", "km"),
        ("kor", "ko"),
        ("lat", "la"),
        ("lav", "lv"),
        ("lit", "lt"),
        ("mal", "ml"),
        ("mar", "mr"),
        ("mkd", "mk"),
        ("mya", "my"),
        ("nep", "ne"),
        ("nld", "nl"),
        ("nob", "nb"),
        ("ori", "or"),
        ("pan", "pa"),
        ("pes", "fa"),
        ("pol", "pl"),
        ("por", "pt"),
        ("ron", "ro"),
        ("rus", "ru"),
        ("sin", "si"),
        ("slk", "sk"),
        ("slv", "sl"),
        ("sna", "sn"),
        ("spa", "es"),
        ("srp", "sr"),
        ("swe", "sv"),
        ("tam", "ta"),
        ("tel", "te"),
        ("tgl", "tl"),
        ("tha", "th"),
        ("tuk", "tk"),
        ("tur", "tr"),
        ("ukr", "uk"),
        ("urd", "ur"),
        ("uzb", "uz"),
        ("vie", "vi"),
        ("yid", "yi"),
        ("zul", "zu"),
    ];
    CODES
        .iter()
        .find(|(three, _)| *three == code)
        .map_or(code, |(_, two)| two)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_are_told_apart() {
        let french = detect("Le gouvernement a présenté mercredi son projet de loi de finances.");
        assert_eq!(french.language, "fr");
        assert!(french.confidence > 50.0, "{french:?}");
        let english = detect("The government presented its budget bill on Wednesday.");
        assert_eq!(english.language, "en");
        for short in ["Bonjour", "Bonjour le monde.", "Où est la gare ?"] {
            assert_eq!(detect(short).language, "fr", "{short}");
        }
        assert_eq!(detect("Привет, как дела?").language, "ru");
        assert_eq!(detect("12 345").confidence, 0.0);
    }

    #[test]
    fn every_whatlang_language_has_a_two_letter_code() {
        for lang in whatlang::Lang::all() {
            assert_eq!(iso_639_1(lang.code()).len(), 2, "{lang:?}");
        }
    }
}
