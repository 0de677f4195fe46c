//! Finding the spans the model must not touch: URLs, e-mail addresses, @handles, #hashtags, bare
//! domain names and `inline code`.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What kind of span is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// `http://…`, `https://…`, `ftp://…`, `www.…`.
    Url,
    /// `name@domain.tld`.
    Email,
    /// `@name`.
    Handle,
    /// `#word`.
    Hashtag,
    /// `service-public.fr`, `French.china.org.cn`: a host name with a common top-level domain.
    Domain,
    /// `` `code` `` in backticks.
    Code,
}

/// One span found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// What it is.
    pub kind: SpanKind,
    /// Its byte range in the text it was found in.
    pub range: Range<usize>,
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>«»"“”]+"#).expect("URL pattern")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.[A-Za-z]{2,}")
        .expect("e-mail pattern")
});
static HANDLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@[A-Za-z0-9_]+").expect("handle pattern"));
static HASHTAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*").expect("hashtag pattern"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:fr|com|org|net|eu|be|ch|ca|lu|qc|info|gouv|gov|edu|int|io|cn|uk|de|it|es|ma|dz|tn|sn|ci|tv|co|me|biz|news)\b(?:/[^\s<>«»"“”]*)?"#,
    )
    .expect("domain pattern")
});
static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`[^`\n]+`").expect("code pattern"));

/// Finds the spans to protect in `text`, in order, without overlaps (at one position the longest
/// candidate wins). Trailing sentence punctuation is not part of a URL or domain.
pub fn find_spans(text: &str) -> Vec<Span> {
    let mut candidates: Vec<Span> = Vec::new();
    let mut add = |kind: SpanKind, range: Range<usize>| {
        if !range.is_empty() {
            candidates.push(Span { kind, range });
        }
    };
    for m in URL.find_iter(text) {
        add(SpanKind::Url, m.start()..trim_trailing(text, m.range()));
    }
    for m in EMAIL.find_iter(text) {
        add(SpanKind::Email, m.range());
    }
    for m in HANDLE.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        if !before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            add(SpanKind::Handle, m.range());
        }
    }
    for m in HASHTAG.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '&') {
            add(SpanKind::Hashtag, m.range());
        }
    }
    for m in DOMAIN.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        if !before.is_some_and(|c| matches!(c, '@' | '.' | '/' | '-')) {
            add(SpanKind::Domain, m.start()..trim_trailing(text, m.range()));
        }
    }
    for m in CODE.find_iter(text) {
        add(SpanKind::Code, m.range());
    }
    candidates.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
    });
    let mut spans: Vec<Span> = Vec::new();
    for candidate in candidates {
        if spans
            .last()
            .is_none_or(|last| candidate.range.start >= last.range.end)
        {
            spans.push(candidate);
        }
    }
    spans
}

/// End of a URL-like match once trailing punctuation that belongs to the sentence is removed
/// (a closing parenthesis stays when the URL opened one).
fn trim_trailing(text: &str, range: Range<usize>) -> usize {
    let mut end = range.end;
    while let Some(c) = text[range.start..end].chars().next_back() {
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | '"' | '»' | ']' | '}' => true,
            ')' => {
                let inner = &text[range.start..end];
                inner.matches('(').count() < inner.matches(')').count()
            }
            _ => false,
        };
        if !drop {
            break;
        }
        end -= c.len_utf8();
    }
    end
}

/// `text` with every protected span replaced by one space: what the checks look at when spans
/// must not count (digits in a URL are not numbers of the sentence, letters of a handle are not
/// words to translate).
pub fn strip_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in find_spans(text) {
        out.push_str(&text[at..span.range.start]);
        out.push(' ');
        at = span.range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(SpanKind, &str)> {
        find_spans(text)
            .into_iter()
            .map(|s| (s.kind, &text[s.range]))
            .collect()
    }

    #[test]
    fn finds_urls_emails_handles_hashtags_domains_and_code() {
        let text = "Voir https://www.lemonde.fr/article?id=5 (source), écrire à contact@afp.com, \
                    suivre @AFP et #JeSuisCharlie sur French.china.org.cn ou `cargo test`.";
        assert_eq!(
            kinds(text),
            vec![
                (SpanKind::Url, "https://www.lemonde.fr/article?id=5"),
                (SpanKind::Email, "contact@afp.com"),
                (SpanKind::Handle, "@AFP"),
                (SpanKind::Hashtag, "#JeSuisCharlie"),
                (SpanKind::Domain, "French.china.org.cn"),
                (SpanKind::Code, "`cargo test`"),
            ]
        );
    }

    #[test]
    fn leaves_sentence_punctuation_and_ordinary_words_alone() {
        assert_eq!(
            kinds("Rendez-vous sur www.service-public.fr."),
            vec![(SpanKind::Url, "www.service-public.fr")]
        );
        assert_eq!(
            kinds("Lire (voir http://x.org/a_(b)) ici."),
            vec![(SpanKind::Url, "http://x.org/a_(b)")]
        );
        assert!(kinds("M. Wang a déclaré que 5.000 personnes etc. étaient là.").is_empty());
        assert!(kinds("Le numéro #5 et l'entité &#39; ne sont pas des hashtags.").is_empty());
    }

    #[test]
    fn strip_spans_hides_spans_from_checks() {
        assert_eq!(
            strip_spans("Voir https://x.fr/2013/5 et 3 pages."),
            "Voir   et 3 pages."
        );
    }
}
