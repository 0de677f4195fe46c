//! Translate a French string and print bilingual Markdown.
//!
//! ```text
//! cargo run --example translate_string
//! ```
//!
//! The library's document layer works with anything that implements
//! [`SentenceTranslator`]. Until the engine (tokenizer, Marian model, beam search) is wired in,
//! this example uses a tiny glossary that translates word by word, so it runs anywhere, offline,
//! in a second; swap `Glossary` for the engine's translator to get real English.

use passeur::document::{Pipeline, PipelineOptions, Syntax};
use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};

/// A stand-in translator: a handful of words, the rest kept as they are.
struct Glossary;

impl SentenceTranslator for Glossary {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        const WORDS: &[(&str, &str)] = &[
            ("Le", "The"),
            ("le", "the"),
            ("la", "the"),
            ("les", "the"),
            ("a", "has"),
            ("président", "president"),
            ("reçu", "received"),
            ("signé", "signed"),
            ("accords", "agreements"),
            ("onze", "eleven"),
            ("Les", "The"),
            ("deux", "two"),
            ("pays", "countries"),
            ("ont", "have"),
            ("Points", "Key"),
            ("clés", "points"),
            ("Un", "A"),
            ("fonds", "fund"),
            ("commun", "joint"),
            ("Des", "Some"),
            ("échanges", "exchanges"),
            ("d'étudiants", "of students"),
            ("lundi", "on Monday"),
        ];
        Ok(sentences
            .iter()
            .map(|sentence| {
                let words: Vec<&str> = sentence
                    .split_whitespace()
                    .map(|w| {
                        WORDS
                            .iter()
                            .find(|(fr, _)| *fr == w)
                            .map_or(w, |(_, en)| en)
                    })
                    .collect();
                SentenceTranslation::new(words.join(" "), None)
            })
            .collect())
    }

    fn token_count(&self, sentence: &str) -> usize {
        sentence.split_whitespace().count() + 1
    }

    fn max_source_tokens(&self) -> usize {
        512
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            model: "example glossary".to_string(),
            revision: None,
            decoding: "word by word".to_string(),
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

fn main() -> passeur::Result<()> {
    let article = "## Points clés\n\n\
                   Le président a reçu lundi M. Wang. Les deux pays ont signé onze accords.\n\n\
                   - Un fonds commun.\n\
                   - Des échanges d'étudiants.\n";
    let options = PipelineOptions {
        syntax: Syntax::Markdown,
        ..PipelineOptions::default()
    };
    let bilingual = Pipeline::new(&Glossary, options).translate(article)?;
    print!("{}", passeur::write::markdown(&bilingual));
    eprintln!(
        "{} sentences, {} sent to the translator",
        bilingual.stats.sentences, bilingual.stats.requests
    );
    Ok(())
}
