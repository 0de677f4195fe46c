//! passeur — translate French articles into English on your own machine, with the French kept alongside.
//!
//! [`Passeur`] is the way in: a model, the fidelity guard in front of it (on by default) and the
//! document pipeline around it. (This example is the README's Library section; a test keeps
//! them the same.)
//!
//! ```
//! # let model = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/marian-tiny");
//! # /*
//! let passeur = passeur::Passeur::new("opus-mt-fr-en")?; // a models.toml name, a hub repo id or a folder
//! # */
//! # let passeur = passeur::Passeur::new(model)?;
//! let english: String = passeur.translate("Le texte. Deux phrases.\n\nUn second paragraphe.")?;
//!
//! // Each sentence with its English, score and verdict (translated, copied, recovered or flagged).
//! let doc: passeur::Bilingual = passeur.translate_document("Il y avait 5.000 personnes.")?;
//! for pair in doc.pairs() {
//!     let verdict = &pair.target.verdict;
//!     println!("{} → {} [{}]", pair.source_text, pair.target.text.text, verdict.name());
//! }
//! print!("{}", passeur::write::markdown(&doc));
//!
//! // Greedy decoding, two compute threads of its own, no fidelity guard, Markdown input.
//! # /*
//! let passeur = passeur::Passeur::builder("opus-mt-fr-en")
//! # */
//! # let passeur = passeur::Passeur::builder(model)
//!     .beams(1)
//!     .threads(2)
//!     .guard(false)
//!     .syntax(passeur::Syntax::Markdown)
//!     .build()?;
//! // Many documents (or the paragraphs of a long one), in order, their sentences batched together.
//! for doc in passeur.translate_stream(["# Premier", "Second article."]) {
//!     print!("{}", doc?.english());
//! }
//! # let _ = english;
//! # Ok::<(), passeur::Error>(())
//! ```
//!
//! Below it, the pipeline flows one way, one module per stage:
//!
//! ```text
//! bytes ──input──▶ text ──document──▶ blocks ──segment──▶ sentences ──pipeline──▶ requests
//!                                                                                   │
//!   write ◀── bilingual ◀── pipeline ◀── fidelity guard ◀── translate (tokenizer → model → generate)
//! ```
//!
//! * [`input`] turns bytes into text (BOM, UTF-8/16, legacy encodings, binary detection).
//! * [`document`] splits text into blocks (paragraphs, headings, list items, code) and sentences.
//! * [`segment`] splits French prose into sentences with byte ranges.
//! * [`hub`] resolves a model name, hub repo id or local folder to files on disk.
//! * [`tokenizer`] is MarianTokenizer in pure Rust (SentencePiece + vocab.json).
//! * [`model`] is the Marian encoder-decoder on candle; [`generate`] is greedy and beam search.
//! * [`translate`] ties tokenizer, model and search into a `Translator`, behind the
//!   `SentenceTranslator` seam (one length-sorted batching rule serves every caller).
//! * [`fidelity`] guards translations: passthrough rule, protection, checks, recovery, flags.
//! * [`pipeline`] plans a document's requests (passthrough decided once), translates them and
//!   realigns the English into a [`Bilingual`] document; [`verdict`] says what happened to each
//!   sentence.
//! * [`mod@write`] renders a bilingual document as Markdown, HTML, text, JSONL or TMX.
//! * [`batch`] runs whole directories.
//! * [`queue`] batches the sentences of many callers' documents through one engine; [`serve`]
//!   (feature `serve`) is the HTTP server on top of it.
//! * [`html`] reads web pages (charset, HTML5 parsing with source spans); [`article`] keeps the
//!   main content of a page or article; [`web`] downloads a page.
//!
//! Features: `engine` (the model, tokenizer, decoding, [`hub`] and [`Passeur`]), `download`
//! (HTTPS, for [`web`] and model downloads), `cli` (the `passeur` binary), `serve` and `cuda`;
//! the default is `cli` and `serve`. With `default-features = false`, segmentation, input
//! decoding, document parsing, the pipeline, the fidelity rules and the writers build without
//! candle, HTTP/TLS or the command line.

#![warn(unreachable_pub, unnameable_types)]

pub mod article;
pub mod batch;
mod bilingual;
pub mod cpu;
pub mod document;
mod error;
#[cfg(feature = "engine")]
mod facade;
pub mod fidelity;
#[cfg(feature = "engine")]
pub mod generate;
pub mod html;
#[cfg(feature = "engine")]
pub mod hub;
pub mod input;
#[cfg(feature = "engine")]
pub mod model;
pub mod pipeline;
pub mod queue;
mod rebatch;
pub mod segment;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "engine")]
pub mod tokenizer;
pub mod translate;
pub mod verdict;
#[cfg(feature = "download")]
pub mod web;
pub mod write;

pub use bilingual::{Bilingual, SentencePair, TargetSentence, TranslationStats};
pub use document::structure::Syntax;
pub use error::{Error, OfflineMiss, Result};
#[cfg(feature = "engine")]
pub use facade::{Device, Passeur, PasseurBuilder, Stream};
