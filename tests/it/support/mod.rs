//! Shared by the document and writer tests.
//!
//! * [`Scripted`], a stand-in for the translation engine: it "translates" with a plain function of
//!   the text (by default: every word upper-cased, words joined by single spaces), counts tokens as
//!   words + 1 (the end-of-sentence token), gives each translation a score derived from its length,
//!   and records every call it receives, so tests can check what reached the model and in what
//!   order.
//! * Readers for the outputs ([`parse_tmx`] with quick-xml, [`select`] with scraper) and
//!   [`check_all_formats`], the structural checks every translator must pass on any document;
//!   with the real engine (the fixture model), call it on the test articles.

#![allow(dead_code)]

use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use passeur::write::{self, Format};
use passeur::Bilingual;
use passeur::Syntax;
use quick_xml::events::Event;
use scraper::{Html, Selector};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};

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
            .map(|s| SentenceTranslation::new((self.translate)(s), Some(-(words(s) as f32) / 8.0)))
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
pub const ARTICLE_TXT: &str = include_str!("../../data/article.txt");
/// The test article in Markdown.
pub const ARTICLE_MD: &str = include_str!("../../data/article.md");

/// What the test reads back from a TMX file.
#[derive(Default, Debug)]
pub struct Tmx {
    pub header: BTreeMap<String, String>,
    pub header_props: BTreeMap<String, String>,
    pub units: Vec<Unit>,
}

#[derive(Default, Debug)]
pub struct Unit {
    pub tuid: String,
    pub props: BTreeMap<String, String>,
    pub notes: Vec<String>,
    pub segs: BTreeMap<String, String>,
}

/// Parses TMX with quick-xml (end tags checked), turning `<ph>` elements into `{ph:…}`.
pub fn parse_tmx(xml: &str) -> Tmx {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut tmx = Tmx::default();
    let mut path: Vec<String> = Vec::new();
    let mut attributes: Vec<BTreeMap<String, String>> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                let name = start.name().as_ref().to_string();
                let attrs = start
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let key = a.key.as_ref().to_string();
                        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0);
                        (key, value.unwrap().into_owned())
                    })
                    .collect::<BTreeMap<_, _>>();
                match name.as_str() {
                    "tu" => tmx.units.push(Unit {
                        tuid: attrs["tuid"].clone(),
                        ..Unit::default()
                    }),
                    "header" => tmx.header = attrs.clone(),
                    "ph" => text.push_str("{ph:"),
                    _ => {}
                }
                if name != "ph" {
                    text.clear();
                }
                path.push(name);
                attributes.push(attrs);
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref().unwrap() {
                Some(c) => text.push(c),
                None => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&r.into_inner())
                        .expect("known entity"),
                ),
            },
            Event::End(_) => {
                let name = path.pop().unwrap();
                let attrs = attributes.pop().unwrap();
                let parent = path.last().map(String::as_str);
                match (name.as_str(), parent) {
                    ("ph", _) => text.push('}'),
                    ("prop", Some("header")) => {
                        tmx.header_props.insert(attrs["type"].clone(), text.clone());
                    }
                    ("prop", Some("tu")) => {
                        let unit = tmx.units.last_mut().unwrap();
                        unit.props.insert(attrs["type"].clone(), text.clone());
                    }
                    ("note", Some("tu")) => tmx.units.last_mut().unwrap().notes.push(text.clone()),
                    ("seg", _) => {
                        let language = attributes.last().unwrap()["xml:lang"].clone();
                        tmx.units
                            .last_mut()
                            .unwrap()
                            .segs
                            .insert(language, text.clone());
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "unclosed elements: {path:?}");
    tmx
}

/// Whether XML 1.0 allows `c` in a document (written independently of the writer's own check).
pub fn legal_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The elements of `document` that `selector` matches.
pub fn select<'a>(document: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    document
        .select(&Selector::parse(selector).unwrap())
        .collect()
}

/// `text` as [`parse_tmx`] reads it back: characters XML forbids become `{ph:U+XXXX}`.
pub fn as_read_from_tmx(text: &str) -> String {
    text.chars()
        .map(|c| match legal_xml_char(c) {
            true => c.to_string(),
            false => format!("{{ph:U+{:04X}}}", c as u32),
        })
        .collect()
}

/// Paragraphs as a reader sees them, found without the library: runs of non-blank lines, each
/// exactly as written (inner line endings kept, the last one excluded).
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        if content.trim().is_empty() {
            if let Some((start, end)) = run.take() {
                paragraphs.push(text[start..end].to_string());
            }
        } else {
            let start = run.map_or(at, |(start, _)| start);
            run = Some((start, at + content.len()));
        }
        at += line.len();
    }
    if let Some((start, end)) = run {
        paragraphs.push(text[start..end].to_string());
    }
    paragraphs
}

/// What must hold for any translator on any document: paragraphs kept in number and order (plain
/// text), every source sentence exactly once in JSONL with a range that slices back to it, TMX
/// well-formed with one unit per sentence and the source in its French segments, HTML free of
/// parse errors with every sentence linked both ways, Markdown opening with its provenance, and
/// each format rendering to the same bytes twice.
pub fn check_all_formats(source: &str, bilingual: &Bilingual) {
    let sentences = bilingual.document.sentence_count();
    if bilingual.document.syntax == Syntax::Text {
        let blocks: Vec<&str> = bilingual
            .document
            .blocks
            .iter()
            .map(|b| &source[b.range.clone()])
            .collect();
        assert_eq!(
            blocks,
            paragraphs(source),
            "paragraphs kept in number and order"
        );
        assert_eq!(paragraphs(&write::text(bilingual)).len(), blocks.len());
    }

    let jsonl = write::jsonl(bilingual);
    let mut ranges = HashSet::new();
    for line in jsonl.lines() {
        let line: Value = serde_json::from_str(line).expect("each line is JSON");
        let start = line["start"].as_u64().unwrap() as usize;
        let end = line["end"].as_u64().unwrap() as usize;
        assert_eq!(line["source"].as_str().unwrap(), &source[start..end]);
        assert!(ranges.insert((start, end)), "sentence {start}..{end} twice");
    }
    let expected: HashSet<(usize, usize)> = bilingual
        .document
        .sentences()
        .map(|s| (s.range.start, s.range.end))
        .collect();
    assert_eq!(ranges, expected, "every source sentence once");

    let xml = write::tmx(bilingual);
    assert!(xml.chars().all(legal_xml_char));
    let tmx = parse_tmx(&xml);
    assert_eq!(tmx.units.len(), sentences);
    for (unit, pair) in tmx.units.iter().zip(bilingual.pairs()) {
        assert_eq!(
            unit.segs["fr"],
            as_read_from_tmx(&pair.source.text.to_markdown())
        );
        assert!(unit.segs.contains_key("en"));
    }

    let html = Html::parse_document(&write::html(bilingual));
    assert!(
        html.errors.is_empty(),
        "HTML parse errors: {:?}",
        html.errors
    );
    let linked = select(&html, "[data-pair]");
    assert_eq!(linked.len(), 2 * sentences);
    let by_id: BTreeMap<&str, &scraper::ElementRef> =
        linked.iter().map(|e| (e.attr("id").unwrap(), e)).collect();
    assert_eq!(by_id.len(), linked.len(), "sentence ids are unique");
    for (id, element) in &by_id {
        let other = element.attr("data-pair").unwrap();
        let back = by_id.get(other).and_then(|o| o.attr("data-pair"));
        assert_eq!(back, Some(*id), "{id} and {other} are not linked both ways");
    }

    let markdown = write::markdown(bilingual);
    assert!(markdown.starts_with("---\ngenerator: \"passeur "));
    assert!(markdown.contains(&format!("model: {:?}", bilingual.provenance.model)));

    for format in Format::ALL {
        assert_eq!(
            format.render(bilingual),
            format.render(bilingual),
            "{format} is deterministic"
        );
    }
}
