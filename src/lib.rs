//! passeur — translate French articles into English on your own machine, with the French kept alongside.
//!
//! The pipeline flows one way, one module per stage:
//!
//! ```text
//! bytes ──input──▶ text ──document──▶ blocks ──segment──▶ sentences with byte ranges
//!                                                            │
//!      write ◀── bilingual document ◀──translate (tokenizer → model → generate)
//! ```
//!
//! * [`input`] turns bytes into text (BOM, UTF-8/16, legacy encodings, binary detection).
//! * [`document`] splits text into blocks (paragraphs, headings, list items, code) and realigns translations.
//! * [`segment`] splits French prose into sentences with byte ranges.
//! * [`hub`] resolves a model name, hub repo id or local folder to files on disk.
//! * [`tokenizer`] is MarianTokenizer in pure Rust (SentencePiece + vocab.json).
//! * [`model`] is the Marian encoder-decoder on candle; [`generate`] is greedy and beam search.
//! * [`translate`] ties tokenizer, model and search into a `Translator`.
//! * [`mod@write`] renders a bilingual document as Markdown, HTML, text, JSONL or TMX.
//! * [`batch`] runs whole directories.
//! * [`html`] reads web pages (charset, HTML5 parsing with source spans); [`article`] keeps the
//!   main content of a page or article; [`web`] downloads a page.

pub mod article;
pub mod batch;
pub mod document;
pub mod error;
pub mod fidelity;
pub mod generate;
pub mod html;
pub mod hub;
pub mod input;
pub mod model;
pub mod segment;
pub mod tokenizer;
pub mod translate;
pub mod web;
pub mod write;

pub use error::{Error, Result};
