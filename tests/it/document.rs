//! The document layer and the pipeline, driven by a scripted translator (see `support/mod.rs`):
//! structure found, every byte accounted for, what reaches the model, realignment, splitting.

use crate::support;

use passeur::pipeline::{Pipeline, PipelineOptions, Plan, Progress};
use passeur::translate::{SentenceTranslation, SentenceTranslator};
use passeur::verdict::Verdict;
use passeur::Bilingual;
use passeur::Error;
use passeur::{
    document::{BlockKind, Document},
    Syntax,
};
use support::{paragraphs, shout, words, Scripted, ARTICLE_MD, ARTICLE_TXT};

fn translate_with(translator: &Scripted, text: &str, options: PipelineOptions) -> Bilingual {
    Pipeline::new(translator, options)
        .translate(text)
        .expect("the scripted translator never fails")
}

fn translate(text: &str, syntax: Syntax) -> (Bilingual, Scripted) {
    let translator = Scripted::new();
    let options = PipelineOptions {
        syntax,
        ..PipelineOptions::default()
    };
    (translate_with(&translator, text, options), translator)
}

/// `text` with every whitespace run holding a line break made one space, written independently of
/// the library's own unwrapping.
fn unwrapped(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            out.push_str(if run.contains('\n') { " " } else { &run });
            run.clear();
        }
        out.push(c);
    }
    out
}

#[test]
fn article_keeps_its_paragraph_count_and_order() {
    let (bilingual, _) = translate(ARTICLE_TXT, Syntax::Text);
    let french = paragraphs(ARTICLE_TXT);
    assert_eq!(french.len(), 15, "the test article has 15 paragraphs");
    let blocks = &bilingual.document.blocks;
    assert_eq!(blocks.len(), french.len());
    for (block, paragraph) in blocks.iter().zip(&french) {
        assert_eq!(&ARTICLE_TXT[block.range.clone()], paragraph);
    }

    let english = paragraphs(&bilingual.english());
    assert_eq!(english.len(), french.len());
    for (fr, en) in french.iter().zip(&english) {
        let fr_words: Vec<&str> = fr.split_whitespace().collect();
        let en_words: Vec<&str> = en.split_whitespace().collect();
        assert_eq!(fr_words.len(), en_words.len(), "{fr:?} became {en:?}");
        for (f, e) in fr_words.iter().zip(&en_words) {
            assert!(
                *e == *f || *e == f.to_uppercase(),
                "{f:?} became {e:?} in {en:?}"
            );
        }
    }
    assert!(
        english[1].starts_with("LA FINLANDE ET LA CHINE"),
        "{}",
        english[1]
    );
}

#[test]
fn every_byte_is_in_exactly_one_sentence_or_marker() {
    for (source, syntax) in [(ARTICLE_TXT, Syntax::Text), (ARTICLE_MD, Syntax::Markdown)] {
        let document = Document::parse(source, syntax);
        let mut owners = vec![0u8; source.len()];
        for block in &document.blocks {
            if block.units.is_empty() {
                owners[block.range.clone()].iter_mut().for_each(|o| *o += 1);
            }
            for unit in &block.units {
                owners[unit.marker.clone()].iter_mut().for_each(|o| *o += 1);
                for sentence in &unit.sentences {
                    owners[sentence.range.clone()]
                        .iter_mut()
                        .for_each(|o| *o += 1);
                }
            }
        }
        for (i, byte) in source.bytes().enumerate() {
            assert!(
                owners[i] <= 1,
                "byte {i} of {syntax:?} belongs to two sentences"
            );
            let in_heading_trailer = document
                .blocks
                .iter()
                .any(|b| matches!(b.kind, BlockKind::Heading { .. }) && b.range.contains(&i));
            let line_start = || source[..i].rfind('\n').map_or(0, |n| n + 1);
            let quote_marker = byte == b'>'
                && source[line_start()..i]
                    .chars()
                    .all(|c| c == '>' || c == ' ')
                && document
                    .blocks
                    .iter()
                    .any(|b| b.kind == BlockKind::Quote && b.range.contains(&i));
            let accounted = byte.is_ascii_whitespace() || in_heading_trailer || quote_marker;
            if !accounted && owners[i] != 1 {
                let boundary = (0..=i).rev().find(|&b| source.is_char_boundary(b)).unwrap();
                let before: String = source[..boundary].chars().rev().take(30).collect();
                let before: String = before.chars().rev().collect();
                panic!("byte {i} of {syntax:?} is lost after {before:?}");
            }
        }
    }
}

#[test]
fn sentences_slice_back_and_the_model_sees_them_unwrapped() {
    let document = Document::parse(ARTICLE_TXT, Syntax::Text);
    assert!(document.sentence_count() > 25);
    for sentence in document.sentences() {
        let source = document.source_of(sentence);
        assert_eq!(source, source.trim(), "ranges are trimmed");
        assert!(!source.is_empty());
        assert_eq!(sentence.text.text, unwrapped(source));
    }
    let wrapped = document
        .sentences()
        .find(|s| {
            document.source_of(s).contains('\n') && s.text.text.contains("petites entreprises")
        })
        .expect("the hard-wrapped sentence is one sentence");
    assert!(!wrapped.text.text.contains('\n'));
}

#[test]
fn passthrough_never_reaches_the_model() {
    let (bilingual, translator) = translate(ARTICLE_TXT, Syntax::Text);
    for request in translator.requests() {
        assert!(
            request.chars().any(char::is_alphabetic),
            "{request:?} reached the model"
        );
    }
    let passed: Vec<&str> = bilingual
        .pairs()
        .filter(|p| p.target.verdict == Verdict::Passthrough)
        .map(|p| p.source_text)
        .collect();
    // Whatever else the segmenter isolates (a lone `»`, a date), these two paragraphs pass.
    assert!(passed.contains(&"2013"), "{passed:?}");
    assert!(
        passed.contains(&"https://www.example.fi/forum-2014"),
        "{passed:?}"
    );
    for pair in bilingual.pairs() {
        // Letters outside web addresses, domains and e-mails (which are copied as they are).
        let letters = passeur::fidelity::protect::strip_spans(pair.source_text);
        let has_letters = letters.chars().any(char::is_alphabetic);
        let passthrough = pair.target.verdict == Verdict::Passthrough;
        assert_eq!(passthrough, !has_letters, "{:?}", pair.source_text);
        if passthrough {
            assert_eq!(pair.target.text.text, pair.source_text);
            assert_eq!(pair.target.score, None);
        }
    }
    assert_eq!(bilingual.stats.verdicts.passthrough, passed.len());
}

#[test]
fn repeated_sentences_are_translated_once() {
    let (bilingual, translator) = translate(ARTICLE_TXT, Syntax::Text);
    let requests = translator.requests();
    let boilerplate = "Retournez en haut de la page";
    assert_eq!(requests.iter().filter(|r| *r == boilerplate).count(), 1);
    let targets: Vec<&str> = bilingual
        .pairs()
        .filter(|p| p.source_text == boilerplate)
        .map(|p| p.target.text.text.as_str())
        .collect();
    assert_eq!(targets, ["RETOURNEZ EN HAUT DE LA PAGE"; 2]);
    assert_eq!(bilingual.stats.requests, requests.len());
    assert_eq!(
        bilingual.stats.verdicts.sentences,
        bilingual.document.sentence_count()
    );
}

#[test]
fn requests_go_in_length_sorted_chunks_with_progress() {
    let translator = Scripted::new();
    let options = PipelineOptions {
        chunk_size: 5,
        ..PipelineOptions::default()
    };
    let pipeline = Pipeline::new(&translator, options);
    let mut events: Vec<Progress> = Vec::new();
    let document = Document::parse(ARTICLE_TXT, Syntax::Text);
    let bilingual = pipeline
        .translate_document(document, &mut |p| events.push(p))
        .unwrap();
    let total = bilingual.stats.requests;
    let calls = translator.calls.borrow();
    assert_eq!(calls.len(), total.div_ceil(5));
    assert!(calls.iter().all(|c| !c.is_empty() && c.len() <= 5));
    let lengths: Vec<usize> = calls.iter().flatten().map(|r| words(r)).collect();
    assert!(
        lengths.windows(2).all(|w| w[0] <= w[1]),
        "not sorted: {lengths:?}"
    );
    assert_eq!(events.first(), Some(&Progress { done: 0, total }));
    assert_eq!(events.last(), Some(&Progress { done: total, total }));
    assert!(events.windows(2).all(|w| w[0].done < w[1].done));

    let one_call = Scripted::new();
    translate_with(&one_call, ARTICLE_TXT, PipelineOptions::default());
    assert_eq!(
        one_call.calls.borrow().len(),
        1,
        "the whole article goes in one call"
    );
}

#[test]
fn line_structure_is_kept_and_wrapped_prose_unwrapped() {
    let source = "Première ligne.\nDeuxième ligne.\n\nUne phrase coupée\nau milieu du texte.\n";
    let (bilingual, translator) = translate(source, Syntax::Text);
    assert_eq!(
        bilingual.english(),
        "PREMIÈRE LIGNE.\nDEUXIÈME LIGNE.\n\nUNE PHRASE COUPÉE AU MILIEU DU TEXTE.\n"
    );
    assert!(translator
        .requests()
        .contains(&"Une phrase coupée au milieu du texte.".to_string()));
}

#[test]
fn list_items_keep_their_markers_and_the_model_never_sees_them() {
    let source = "Le texte prévoit :\n- un fonds ;\n• des échanges ;\n2) un centre.";
    let (bilingual, translator) = translate(source, Syntax::Text);
    assert_eq!(
        bilingual.english(),
        "LE TEXTE PRÉVOIT :\n- UN FONDS ;\n• DES ÉCHANGES ;\n2) UN CENTRE."
    );
    // Sorted by token count, ties in document order.
    assert_eq!(
        translator.requests(),
        [
            "un centre.",
            "un fonds ;",
            "des échanges ;",
            "Le texte prévoit :"
        ]
    );
    assert_eq!(bilingual.document.blocks[0].units.len(), 4);
}

#[test]
fn over_long_sentence_is_split_under_the_budget_and_fully_present() {
    let sentence = "Le ministre a rappelé que les accords signés lundi couvrent le commerce, \
                    l'énergie et les transports ; il a ajouté que les entreprises des deux pays \
                    pourraient bientôt investir ensemble, notamment dans les réseaux électriques \
                    intelligents — un secteur où la Finlande excelle depuis longtemps.";
    let translator = Scripted::new();
    let options = PipelineOptions {
        max_sentence_tokens: Some(10),
        ..PipelineOptions::default()
    };
    let bilingual = translate_with(&translator, sentence, options);
    let requests = translator.requests();
    assert!(requests.len() > 3, "{requests:?}");
    for request in &requests {
        assert!(words(request) <= 10, "{request:?} is over the budget");
    }
    assert_eq!(bilingual.stats.split_sentences, 1);
    let target = &bilingual.targets[0];
    assert_eq!(target.pieces, requests.len());
    assert_eq!(
        target.text.text,
        shout(sentence),
        "pieces rejoined in order"
    );

    // The plan lists the pieces in sentence order: together they are the sentence.
    let plan = Plan::new(Document::parse(sentence, Syntax::Text), &words, 10);
    let texts: Vec<&str> = plan.requests().iter().map(|r| r.text.as_str()).collect();
    assert!(plan.requests().iter().all(|r| r.tokens == words(&r.text)));
    assert_eq!(texts.join(" "), sentence, "no byte dropped or reordered");
    assert_eq!(
        texts[..3],
        [
            "Le ministre a rappelé que les accords signés lundi",
            "couvrent le commerce, l'énergie et les transports ;",
            "il a ajouté que les entreprises des deux pays",
        ],
        "cut at `;` or `,` where a piece fits, else between words"
    );

    let small_model = Scripted {
        max_tokens: 6,
        ..Scripted::new()
    };
    let options = PipelineOptions {
        max_sentence_tokens: Some(100),
        ..PipelineOptions::default()
    };
    translate_with(&small_model, sentence, options);
    assert!(
        small_model.requests().iter().all(|r| words(r) <= 6),
        "the model's limit wins"
    );
}

#[test]
fn markdown_structure_is_kept_and_code_never_translated() {
    let (bilingual, translator) = translate(ARTICLE_MD, Syntax::Markdown);
    let requests = translator.requests().join("\n");
    for untouched in [
        "println",
        "Ligne de code indentée",
        "Publicité",
        "[accord]",
        "----",
    ] {
        assert!(
            !requests.contains(untouched),
            "{untouched:?} reached the model"
        );
    }
    let english = bilingual.english();
    for expected in [
        "# LA FINLANDE ET LA CHINE RENFORCENT LEUR COOPÉRATION\n",
        "\n*PUBLIÉ LE 18 NOVEMBRE 2013 PAR LA RÉDACTION.*\n",
        "## LES POINTS CLÉS ##\n",
        "\n- UN FONDS COMMUN D'INVESTISSEMENT.\n- DES ÉCHANGES D'ÉTUDIANTS ET DE CHERCHEURS.\n  \
         LES PREMIERS ARRIVERONT EN 2014.\n- [ ] UN CENTRE D'ESSAIS À TIANJIN.\n",
        "\n1. PREMIÈRE ÉTAPE : LA SIGNATURE.\n2. DEUXIÈME ÉTAPE : LA RATIFICATION.\n",
        "\n> « NOUS VOULONS DOUBLER NOS ÉCHANGES D'ICI À 2020 », A DÉCLARÉ M. WANG.\n\
         > IL A AJOUTÉ QUE 5.000 ENTREPRISES ÉTAIENT DÉJÀ CONCERNÉES.\n>\n> - UNE CITATION EN LISTE.\n",
        "\nLE CONTEXTE ÉCONOMIQUE\n----------------------\n",
        "```rust\nfn main() {\n    println!(\"Bonjour le monde. Ceci n'est pas traduit.\");\n}\n```\n",
        "\n    Ligne de code indentée. Elle ne doit pas être traduite.\n",
        "[UN ACCORD SUR LES TECHNOLOGIES PROPRES](https://www.example.fi/accord \"Texte de l'accord\")",
        "VOIR AUSSI ![LE LOGO DU FORUM](images/logo.png) ET [LA PAGE D'ACCUEIL](https://www.example.fi/).",
        "\n---\n\n[LIRE LA SUITE DE L'ARTICLE](https://www.example.fi/suite)\n",
        "\n<div class=\"publicite\">Publicité : ne pas traduire.</div>\n\n[accord]: https://www.example.fi/accord\n",
    ] {
        assert!(english.contains(expected), "missing {expected:?} in\n{english}");
    }
    let requests = translator.requests();
    assert!(requests.contains(&"un accord sur les technologies propres".to_string()));
    let whole_link = "Lire la suite de l'article";
    assert_eq!(requests.iter().filter(|r| *r == whole_link).count(), 1);

    let linked = bilingual
        .pairs()
        .find(|p| p.source.text.text.contains("technologies propres"))
        .unwrap();
    assert!(linked
        .source_text
        .ends_with("(https://www.example.fi/accord \"Texte de l'accord\")."));
}

#[test]
fn links_missing_from_the_translation_are_appended_with_their_url() {
    fn suffix(text: &str) -> String {
        format!("{text} (en)")
    }
    let translator = Scripted::with(suffix);
    let options = PipelineOptions {
        syntax: Syntax::Markdown,
        ..PipelineOptions::default()
    };
    let bilingual = translate_with(
        &translator,
        "Lisez [le rapport](https://ex.fr/r) en entier.",
        options,
    );
    assert_eq!(
        bilingual.targets[0].text.to_markdown(),
        "Lisez le rapport en entier. (en) ([le rapport (en)](https://ex.fr/r))"
    );
}

/// A translator that breaks the contract by dropping the last translation.
struct Forgetful;

impl SentenceTranslator for Forgetful {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        let keep = sentences.len().saturating_sub(1);
        Ok(sentences[..keep]
            .iter()
            .map(|s| SentenceTranslation::new(s.to_string(), None))
            .collect())
    }
}

#[test]
fn a_translator_returning_too_few_translations_is_an_error() {
    let pipeline = Pipeline::new(&Forgetful, PipelineOptions::default());
    match pipeline.translate("Une phrase. Une autre phrase.") {
        Err(Error::TranslationCount {
            expected: 2,
            got: 1,
            ..
        }) => {}
        other => panic!("expected a TranslationCount error, got {other:?}"),
    }
}

#[test]
fn empty_and_blank_input_is_an_empty_document() {
    for source in ["", "\n\n   \n\t\n"] {
        let (bilingual, translator) = translate(source, Syntax::Text);
        assert!(bilingual.document.blocks.is_empty());
        assert!(bilingual.targets.is_empty());
        assert_eq!(bilingual.english(), source, "the layout is kept");
        assert!(translator.requests().is_empty());
    }
}

mod properties {
    use super::support::{check_all_formats, Scripted};
    use passeur::pipeline::{Pipeline, PipelineOptions};
    use passeur::{document::Document, Syntax};
    use proptest::prelude::*;

    /// Text made of what articles and Markdown are made of, so that structure actually appears.
    fn article_like() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "Le",
            " ",
            "président",
            "M.",
            " Wang",
            "5.000",
            ",",
            ".",
            ";",
            " :",
            "?",
            "»",
            "«",
            "\n",
            "\n\n",
            "\r\n",
            "- ",
            "* ",
            "1. ",
            "# ",
            "## ",
            "> ",
            "    ",
            "```",
            "---",
            "===",
            "[lien](https://ex.fr/a_(b))",
            "![](i.png)",
            "[",
            "]",
            "(",
            ")",
            "<div>",
            "&",
            "é",
            "œ",
            "€",
            "\u{a0}",
            "\t",
            "\u{1}",
            "😀",
            "\\",
            "`",
            "|",
            "www.ex.fr",
            "a@b.fr",
        ]);
        prop::collection::vec(pieces, 0..60).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_with_sound_ranges(text in article_like(), markdown in any::<bool>()) {
            let syntax = if markdown { Syntax::Markdown } else { Syntax::Text };
            let document = Document::parse(text.as_str(), syntax);
            let mut previous_end = 0;
            for sentence in document.sentences() {
                let range = sentence.range.clone();
                prop_assert!(range.start >= previous_end && range.start < range.end);
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
                prop_assert_eq!(text[range.clone()].trim(), &text[range.clone()]);
                prop_assert!(!sentence.text.text.contains('\n'));
                previous_end = range.end;
            }
        }

        /// No text lies between blocks: `Bilingual::english` copies only blank space from there
        /// (text there can only be what `--article` left out), so a parser that left a
        /// non-blank byte outside every block would lose it from the English.
        #[test]
        fn every_non_blank_byte_is_inside_a_block(text in article_like(), markdown in any::<bool>()) {
            let syntax = if markdown { Syntax::Markdown } else { Syntax::Text };
            let document = Document::parse(text.as_str(), syntax);
            for (i, c) in text.char_indices() {
                // `str::trim`'s notion of blank, which `Bilingual::english` uses.
                if !c.is_whitespace() {
                    prop_assert!(
                        document.blocks.iter().any(|b| b.range.contains(&i)),
                        "{:?} at byte {} of {:?} is in no block", c, i, text
                    );
                }
            }
        }

        #[test]
        fn any_text_renders_in_every_format(text in article_like(), markdown in any::<bool>()) {
            let syntax = if markdown { Syntax::Markdown } else { Syntax::Text };
            let translator = Scripted::new();
            let options = PipelineOptions { syntax, max_sentence_tokens: Some(4), ..PipelineOptions::default() };
            let bilingual = Pipeline::new(&translator, options).translate(&text).unwrap();
            check_all_formats(&text, &bilingual);
        }
    }
}

/// Inputs the fuzzer (`scripts/fuzz document`) once failed on: every sentence's range lies on
/// character boundaries of the source, in every syntax.
#[test]
fn fuzzer_finds_stay_fixed() {
    for name in ["document-1.bin"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/fuzz")
            .join(name);
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for syntax in [Syntax::Text, Syntax::Markdown, Syntax::Html] {
            let document = Document::parse(text.as_ref(), syntax);
            for sentence in document.sentences() {
                let range = sentence.range.clone();
                assert!(range.start <= range.end && range.end <= document.source.len());
                assert!(
                    document.source.is_char_boundary(range.start)
                        && document.source.is_char_boundary(range.end),
                    "{name} as {syntax:?}: {range:?} cuts a character: {:?}",
                    &document.source.as_bytes()
                        [range.start.saturating_sub(8)..(range.end + 8).min(document.source.len())]
                );
            }
        }
    }
}
