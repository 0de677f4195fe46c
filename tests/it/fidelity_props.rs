//! Property tests: protection + restoration never loses or duplicates a protected span, whatever
//! the model outputs; nothing in the fidelity guard panics on arbitrary Unicode; typography is
//! idempotent.

use passeur::fidelity::numbers::{compare, extract, Lang};
use passeur::fidelity::protect::{find_spans, Protected};
use passeur::fidelity::{degeneration, is_passthrough, FixedDecoding, Guard};
use passeur::translate::{SentenceTranslation, SentenceTranslator};
use proptest::prelude::*;

/// A protected span with a unique id, so it cannot occur by accident in generated words.
fn span(kind: u8, id: usize) -> String {
    match kind % 5 {
        0 => format!("https://site{id}.fr/page?q={id}"),
        1 => format!("redaction{id}@journal.fr"),
        2 => format!("@compte{id}"),
        3 => format!("#mot{id}"),
        _ => format!("www.portail{id}.gouv.fr"),
    }
}

/// Plain words without digits, `@`, `#`, `/` or dots, so they never contain a span.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Zéèàçœ«»’',;:!?\\- ]{1,10}"
}

/// A source sentence: words with spans between them.
fn source() -> impl Strategy<Value = (String, Vec<String>)> {
    prop::collection::vec((word(), prop::option::of(any::<u8>())), 1..8).prop_map(|pieces| {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (i, (w, kind)) in pieces.into_iter().enumerate() {
            text.push_str(&w);
            text.push(' ');
            if let Some(kind) = kind {
                let s = span(kind, i);
                text.push_str(&s);
                text.push(' ');
                spans.push(s);
            }
        }
        (text, spans)
    })
}

/// What a model might do with the placeholders: keep, drop, duplicate, mangle, re-case, glue.
#[derive(Debug, Clone)]
enum Piece {
    Word(String),
    Placeholder(usize),
    Lower(usize),
    Glued(usize, String),
    Fragment(usize),
    Unicode(String),
}

fn model_output() -> impl Strategy<Value = Vec<Piece>> {
    prop::collection::vec(
        prop_oneof![
            word().prop_map(Piece::Word),
            (0usize..12).prop_map(Piece::Placeholder),
            (0usize..12).prop_map(Piece::Lower),
            ((0usize..12), "[a-z]{1,3}").prop_map(|(i, s)| Piece::Glued(i, s)),
            (0usize..12).prop_map(Piece::Fragment),
            "\\PC{0,6}".prop_map(Piece::Unicode),
        ],
        0..16,
    )
}

fn render(pieces: &[Piece], protected: &Protected) -> String {
    let n = protected.spans().len().max(1);
    let mut out = String::new();
    for piece in pieces {
        let text = match piece {
            Piece::Word(w) => w.clone(),
            Piece::Placeholder(i) => protected.placeholder(i % n),
            Piece::Lower(i) => protected.placeholder(i % n).to_lowercase(),
            Piece::Glued(i, s) => format!("{}{s}", protected.placeholder(i % n)),
            Piece::Fragment(i) => {
                let p = protected.placeholder(i % n);
                format!("{} {}", &p[..2], &p[2..])
            }
            // Arbitrary Unicode, minus the characters spans are made of, so that the count of
            // each span in the result is the guard's doing alone.
            Piece::Unicode(u) => u.replace(['@', '#', '/', '.'], ""),
        };
        out.push_str(&text);
        out.push(' ');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn restoration_places_every_span_exactly_once((source, spans) in source(), pieces in model_output()) {
        let protected = Protected::new(&source);
        prop_assert_eq!(protected.spans(), &spans[..]);
        let output = render(&pieces, &protected);
        let restored = protected.restore(&output);
        prop_assert_eq!(restored.placements.len(), spans.len());
        for (span, range) in spans.iter().zip(&restored.placements) {
            prop_assert_eq!(&restored.text[range.clone()], span.as_str());
            prop_assert_eq!(restored.text.matches(span.as_str()).count(), 1, "{:?} in {:?}", span, restored.text);
        }
        // No placeholder or fragment of one survives outside the spans (a sentence without
        // spans has no placeholders, and its output is left alone; a source that itself contains
        // "zq" or "qx" turns fragment removal off, as documented).
        let mut rest = restored.text.clone();
        let mut ranges = restored.placements.clone();
        ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
        for r in ranges {
            rest.replace_range(r, " ");
        }
        let lower = rest.to_lowercase();
        let source_lower = source.to_lowercase();
        let scrubbing = !source_lower.contains("zq") && !source_lower.contains("qx");
        if !spans.is_empty() && scrubbing {
            prop_assert!(!lower.contains("zq") && !lower.contains("qx"), "{:?}", restored.text);
        }
    }

    #[test]
    fn placeholders_that_survive_intact_restore_the_source_exactly((source, _spans) in source()) {
        let protected = Protected::new(&source);
        let restored = protected.restore(&protected.text);
        prop_assert!(restored.placed_by_guess.is_empty());
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let expected = squash(&source);
        // Restoration tidies spaces before punctuation; compare without them.
        let tidy = |s: &str| s.replace(" ,", ",").replace(" .", ".").replace(" ;", ";").replace(" :", ":").replace(" !", "!").replace(" ?", "?");
        prop_assert_eq!(tidy(&squash(&restored.text)), tidy(&expected));
    }

    #[test]
    fn nothing_panics_on_arbitrary_text(text in "\\PC{0,80}|[\\x00-\\x7f]{0,80}|.{0,80}", other in ".{0,80}") {
        let _ = find_spans(&text);
        let _ = is_passthrough(&text);
        let _ = extract(&text, Lang::French);
        let _ = extract(&text, Lang::English);
        let _ = compare(&text, &other);
        let _ = degeneration::check(&text, &other, &Default::default());
        let protected = Protected::new(&text);
        let restored = protected.restore(&other);
        prop_assert_eq!(restored.placements.len(), protected.spans().len());
    }

    #[test]
    fn the_guard_answers_every_sentence_whatever_the_model_says(
        sources in prop::collection::vec("\\PC{0,40}", 1..6),
        outputs in prop::collection::vec("\\PC{0,60}", 1..6),
    ) {
        let engine = FixedDecoding(Arbitrary { outputs });
        let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
        let out = Guard::default().translate(&engine, &refs).unwrap();
        prop_assert_eq!(out.len(), sources.len());
        for (source, sentence) in sources.iter().zip(&out) {
            for s in find_spans(source) {
                prop_assert!(sentence.text.contains(&source[s.range.clone()]), "{:?} lost from {:?}", &source[s.range], sentence.text);
            }
        }
    }
}

/// A model that answers arbitrary text, cycling through `outputs`.
struct Arbitrary {
    outputs: Vec<String>,
}

impl SentenceTranslator for Arbitrary {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        Ok((0..sentences.len())
            .map(|i| SentenceTranslation::new(self.outputs[i % self.outputs.len()].clone(), None))
            .collect())
    }
    fn token_count(&self, sentence: &str) -> usize {
        sentence.len()
    }
}
