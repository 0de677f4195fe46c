//! A scripted stand-in for the translation engine, shared by the document and writer tests.
//!
//! It "translates" with a plain function of the text (by default: every word upper-cased, words
//! joined by single spaces), counts tokens as words + 1 (the end-of-sentence token), gives each
//! translation a score derived from its length, and records every call it receives, so tests can
//! check what reached the model and in what order.

#![allow(dead_code)]

use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use std::cell::RefCell;

/// The scripted translator.
pub struct Scripted {
    /// Every call's sentences, in call order.
    pub calls: RefCell<Vec<Vec<String>>>,
    /// What `max_source_tokens` answers.
    pub max_tokens: usize,
    /// The translation function.
    pub translate: fn(&str) -> String,
}

impl Scripted {
    /// Upper-casing translator with a 512-token limit.
    pub fn new() -> Self {
        Scripted::with(shout)
    }

    /// A translator using `translate`.
    pub fn with(translate: fn(&str) -> String) -> Self {
        Scripted {
            calls: RefCell::new(Vec::new()),
            max_tokens: 512,
            translate,
        }
    }

    /// Every text the model was asked to translate, in order.
    pub fn requests(&self) -> Vec<String> {
        self.calls.borrow().iter().flatten().cloned().collect()
    }
}

/// The default "translation": each word upper-cased, single spaces between words.
pub fn shout(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Tokens as the scripted translator counts them.
pub fn words(text: &str) -> usize {
    text.split_whitespace().count() + 1
}

impl SentenceTranslator for Scripted {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        self.calls
            .borrow_mut()
            .push(sentences.iter().map(|s| s.to_string()).collect());
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation {
                text: (self.translate)(s),
                score: Some(-(words(s) as f32) / 8.0),
            })
            .collect())
    }

    fn token_count(&self, sentence: &str) -> usize {
        words(sentence)
    }

    fn max_source_tokens(&self) -> usize {
        self.max_tokens
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            model: "scripted/shout".to_string(),
            revision: Some("test-rev".to_string()),
            decoding: "scripted".to_string(),
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The test article in plain text.
pub const ARTICLE_TXT: &str = include_str!("../data/article.txt");
/// The test article in Markdown.
pub const ARTICLE_MD: &str = include_str!("../data/article.md");
