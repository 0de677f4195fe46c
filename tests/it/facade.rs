//! `passeur::Passeur`, the way in: the names embedders use compile and translate with the fixture
//! model, the guard is on unless turned off, and streams come back in order, batched across
//! items, before their input is read to the end.

use passeur::fidelity::{FixedDecoding, GuardOptions, QuoteStyle};
use passeur::translate::{SentenceTranslation, SentenceTranslator};
use passeur::{Bilingual, Device, Passeur, Syntax};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn fixture() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/marian-tiny")
}

/// The sentence whose number the fixture model (random weights) loses.
const NUMBER: &str = "Il y avait 5.000 personnes.";

fn number_missing(doc: &Bilingual) -> bool {
    doc.pairs().any(|pair| {
        pair.target
            .verdict
            .flags()
            .iter()
            .any(|defect| defect.code() == "number_missing")
    })
}

#[test]
fn the_names_embedders_use_translate_with_the_fixture_model() -> passeur::Result<()> {
    let passeur = passeur::Passeur::new(fixture())?;
    assert!(passeur.guarded());
    let english: String = passeur.translate("Le texte. Deux phrases.\n\nUn autre paragraphe.")?;
    assert_eq!(
        english.matches("\n\n").count(),
        1,
        "paragraphs kept: {english:?}"
    );
    assert!(!english.trim().is_empty());
    let doc: passeur::Bilingual = passeur.translate_document("Le texte. Deux phrases.")?;
    let sources: Vec<&str> = doc.pairs().map(|pair| pair.source_text).collect();
    assert_eq!(sources, ["Le texte.", "Deux phrases."], "segmented");
    assert_eq!(doc.english(), passeur.translate("Le texte. Deux phrases.")?);

    let passeur = passeur::Passeur::builder(fixture())
        .beams(1)
        .threads(2)
        .guard(false)
        .build()?;
    assert!(!passeur.guarded());
    assert_eq!(passeur.translator().map(|t| t.threads()), Some(2));
    assert_eq!(passeur.translator().unwrap().generation().num_beams, 1);
    assert!(!passeur.translate("Bonjour le monde.")?.is_empty());
    Ok(())
}

#[test]
fn the_guard_is_on_by_default_and_flags_a_lost_number() -> passeur::Result<()> {
    let guarded = Passeur::builder(fixture()).beams(1).build()?;
    let doc = guarded.translate_document(NUMBER)?;
    assert!(number_missing(&doc), "flagged: {:?}", doc.targets);
    assert_eq!(doc.stats.verdicts.flagged, 1);
    assert!(guarded.provenance().decoding.contains("fidelity_guard=on"));

    let bare = Passeur::builder(fixture()).beams(1).guard(false).build()?;
    let doc = bare.translate_document(NUMBER)?;
    assert_eq!(doc.stats.verdicts.flagged, 0, "no guard, no flags");
    assert!(!bare.provenance().decoding.contains("fidelity_guard"));
    Ok(())
}

/// A translator for streams and the guard: upper-cases, drops a `5.000` it finds (so the guard
/// has a number to miss), counts tokens as words + 1, and records every call.
#[derive(Default, Clone)]
struct Shouting {
    calls: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Shouting {
    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

impl SentenceTranslator for Shouting {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        self.calls
            .lock()
            .unwrap()
            .push(sentences.iter().map(|s| s.to_string()).collect());
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation::new(s.replace("5.000", "500").to_uppercase(), None))
            .collect())
    }
}

fn shouting() -> (Shouting, Passeur) {
    let shouting = Shouting::default();
    let passeur = Passeur::with_translator(FixedDecoding(shouting.clone()))
        .build()
        .unwrap();
    (shouting, passeur)
}

/// Translates a few words, and drops the thousands of `5.000`.
struct Dropping;

impl SentenceTranslator for Dropping {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        let english = |s: &str| {
            s.replace("Il y avait", "There were")
                .replace("personnes", "people")
                .replace("5.000", "500")
        };
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation::new(english(s), Some(-0.5)))
            .collect())
    }
}

#[test]
fn a_given_translator_is_guarded_too() -> passeur::Result<()> {
    let passeur = Passeur::with_translator(FixedDecoding(Dropping)).build()?;
    let doc = passeur.translate_document("Il y avait 50 personnes. Il y avait 5.000 personnes.")?;
    let flagged: Vec<bool> = doc
        .pairs()
        .map(|pair| pair.target.verdict.is_flagged())
        .collect();
    assert_eq!(flagged, [false, true], "{:?}", doc.targets);
    assert!(number_missing(&doc));
    assert_eq!(
        doc.english(),
        "There were 50 people. There were 500 people."
    );
    // Straight quotes through the guard's options.
    let passeur = Passeur::with_translator(FixedDecoding(Shouting::default()))
        .guard_options(GuardOptions {
            quotes: QuoteStyle::Straight,
            ..GuardOptions::default()
        })
        .build()?;
    assert_eq!(passeur.translate("« Oui », dit-il.")?, "\"OUI\", DIT-IL.");
    Ok(())
}

#[test]
fn engine_settings_with_a_given_translator_are_refused() {
    let err = Passeur::with_translator(FixedDecoding(Shouting::default()))
        .beams(1)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`beams`"), "{err}");
}

#[test]
fn markdown_syntax_keeps_code_untranslated() -> passeur::Result<()> {
    let shouting = Shouting::default();
    let passeur = Passeur::with_translator(FixedDecoding(shouting.clone()))
        .syntax(Syntax::Markdown)
        .build()?;
    let english = passeur.translate("# Titre\n\n```\ncode ici\n```\n")?;
    assert_eq!(english, "# TITRE\n\n```\ncode ici\n```\n");
    Ok(())
}

#[test]
fn devices_parse_and_print() {
    assert_eq!("cpu".parse::<Device>().unwrap(), Device::Cpu);
    assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
    assert_eq!("cuda:3".parse::<Device>().unwrap().to_string(), "cuda:3");
    assert!("gpu".parse::<Device>().is_err());
    assert!("cuda:x".parse::<Device>().is_err());
    if !cfg!(feature = "cuda") {
        let err = Passeur::builder(fixture())
            .device(Device::Cuda(0))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("without GPU support"), "{err}");
    }
}

#[test]
fn a_stream_yields_in_order_and_batches_across_items() -> passeur::Result<()> {
    let shouting = Shouting::default();
    let passeur = Passeur::with_translator(FixedDecoding(shouting.clone()))
        .look_ahead(8)
        .build()?;
    let items: Vec<String> = (0..20)
        .map(|i| format!("Paragraphe {i}, une seule phrase."))
        .collect();
    let english: Vec<String> = passeur
        .translate_stream(items.clone())
        .map(|doc| doc.map(|doc| doc.english()))
        .collect::<passeur::Result<_>>()?;
    let expected: Vec<String> = items.iter().map(|item| item.to_uppercase()).collect();
    assert_eq!(english, expected, "in order");
    // The first 8 items were read before anything was translated, and went to the model in one
    // call: sentences of several items in one batch.
    let calls = shouting.calls();
    assert_eq!(calls[0].len(), 8, "{calls:?}");
    assert!(calls.len() < items.len(), "{} calls", calls.len());
    Ok(())
}

/// A reader that gives at most 64 bytes a call and records how far it has been read.
struct Recorded {
    data: Vec<u8>,
    at: usize,
    read: Arc<AtomicUsize>,
    /// Fail once this many bytes are read.
    fail_at: Option<usize>,
}

impl Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at.is_some_and(|at| self.at >= at) {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf.len().min(64).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        self.read.store(self.at, Ordering::SeqCst);
        Ok(n)
    }
}

fn long_document(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|i| format!("Le paragraphe {i} commence. Il finit ici.\n\n"))
        .collect()
}

#[test]
fn a_long_document_yields_its_first_paragraph_before_the_last_is_read() -> passeur::Result<()> {
    let (_, passeur) = shouting();
    let text = long_document(300);
    let read = Arc::new(AtomicUsize::new(0));
    let reader = Recorded {
        data: text.clone().into_bytes(),
        at: 0,
        read: Arc::clone(&read),
        fail_at: None,
    };
    let mut stream = passeur.translate_reader(reader)?;
    let first = stream.next().expect("a first paragraph")?;
    let read_then = read.load(Ordering::SeqCst);
    assert_eq!(
        first.english(),
        "LE PARAGRAPHE 0 COMMENCE. IL FINIT ICI.\n\n"
    );
    assert!(
        read_then < text.len() / 4,
        "{read_then} of {} bytes read when the first paragraph came out",
        text.len()
    );
    let mut english = first.english();
    for doc in stream {
        english.push_str(&doc?.english());
    }
    assert_eq!(
        english,
        passeur.translate(&text)?,
        "the same English as whole"
    );
    assert_eq!(read.load(Ordering::SeqCst), text.len());
    Ok(())
}

#[test]
fn a_read_error_ends_the_stream_after_what_was_read() {
    let (_, passeur) = shouting();
    let text = long_document(40);
    let reader = Recorded {
        data: text.into_bytes(),
        at: 0,
        read: Arc::default(),
        fail_at: Some(64 * 10),
    };
    let results: Vec<passeur::Result<Bilingual>> =
        passeur.translate_reader(reader).unwrap().collect();
    let (last, before) = results.split_last().unwrap();
    assert!(
        before.len() >= 5,
        "{} paragraphs before the error",
        before.len()
    );
    assert!(before.iter().all(Result::is_ok));
    assert!(
        last.as_ref()
            .unwrap_err()
            .to_string()
            .contains("the disk went away"),
        "{:?}",
        last.as_ref().err()
    );
}

#[test]
fn reader_paragraphs_never_cut_a_markdown_fence() -> passeur::Result<()> {
    let (shouting, passeur) = {
        let shouting = Shouting::default();
        let passeur = Passeur::with_translator(FixedDecoding(shouting.clone()))
            .syntax(Syntax::Markdown)
            .build()?;
        (shouting, passeur)
    };
    let text = "Avant.\n\n```\nun\n\ndeux\n```\n\nAprès.\n";
    let items: Vec<String> = passeur
        .translate_reader(text.as_bytes())?
        .map(|doc| doc.map(|doc| doc.english()))
        .collect::<passeur::Result<_>>()?;
    assert_eq!(
        items,
        ["AVANT.\n\n", "```\nun\n\ndeux\n```\n\n", "APRÈS.\n"]
    );
    assert!(!shouting.requests_contain("un"));
    Ok(())
}

impl Shouting {
    fn requests_contain(&self, text: &str) -> bool {
        self.calls().iter().flatten().any(|request| request == text)
    }
}

/// The README's Library code is the crate documentation's first example (which `cargo test
/// --doc` runs with the fixture model): the visible lines of one are the lines of the other.
#[test]
fn the_readme_library_code_is_the_doctested_crate_example() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let library = &readme[readme.find("\n## Library\n").expect("a Library section")..];
    let code = &library[library.find("```rust\n").unwrap() + "```rust\n".len()..];
    let readme_lines: Vec<&str> = code[..code.find("```\n").unwrap()].lines().collect();

    let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
    let docs: Vec<&str> = lib
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| {
            line.strip_prefix("//! ")
                .unwrap_or(line.trim_start_matches("//!"))
        })
        .collect();
    let open = docs.iter().position(|line| *line == "```").unwrap();
    let close = open + 1 + docs[open + 1..].iter().position(|l| *l == "```").unwrap();
    let visible: Vec<&str> = docs[open + 1..close]
        .iter()
        .copied()
        .filter(|line| !(line.trim_start().starts_with("# ") || line.trim() == "#"))
        .collect();
    assert_eq!(readme_lines, visible);
}
