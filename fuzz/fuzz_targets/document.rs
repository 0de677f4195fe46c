//! Any text, parsed as plain text, as Markdown and as HTML, planned with a small token budget (so long
//! sentences are split), "translated" by copying and rendered in every output format: no panic,
//! every range inside the source on character boundaries, JSONL lines valid JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use passeur::{document::Document, Syntax};
use passeur::pipeline::Plan;
use passeur::translate::{Provenance, SentenceTranslation};
use passeur::write::Format;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for syntax in [Syntax::Text, Syntax::Markdown, Syntax::Html] {
        let document = Document::parse(text.as_ref(), syntax);
        for sentence in document.sentences() {
            let range = sentence.range.clone();
            assert!(range.start <= range.end && range.end <= document.source.len());
            assert!(document.source.is_char_boundary(range.start));
            assert!(document.source.is_char_boundary(range.end));
        }
        let words = |s: &str| s.split_whitespace().count() + 1;
        let plan = Plan::new(document, &words, 8);
        let translations: Vec<SentenceTranslation> = plan
            .requests()
            .iter()
            .map(|request| SentenceTranslation::new(request.text.to_uppercase(), Some(-1.0)))
            .collect();
        let provenance = Provenance {
            model: "fuzz".into(),
            revision: None,
            decoding: "copy".into(),
            passeur_version: "0".into(),
        };
        let bilingual = plan
            .assemble(translations, provenance)
            .expect("one translation per request assembles");
        for format in Format::ALL {
            let rendered = format.render(&bilingual);
            if format == Format::Jsonl {
                for line in rendered.lines() {
                    serde_json::from_str::<serde_json::Value>(line).expect("JSONL is JSON");
                }
            }
        }
    }
});
