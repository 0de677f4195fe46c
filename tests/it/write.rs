//! The five writers, checked with real parsers: serde_json for JSONL, quick-xml for TMX, scraper
//! (html5ever) for HTML, and plain text reasoning for Markdown and text.

use crate::support;

use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::verdict::{Defect, Verdict};
use passeur::write::{self, Format};
use passeur::Bilingual;
use passeur::Syntax;
use scraper::Html;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use support::{
    check_all_formats, legal_xml_char, parse_tmx, select, Scripted, ARTICLE_MD, ARTICLE_TXT,
};

fn bilingual_with(translator: &Scripted, source: &str, syntax: Syntax) -> Bilingual {
    let options = PipelineOptions {
        syntax,
        ..PipelineOptions::default()
    };
    Pipeline::new(translator, options)
        .translate(source)
        .unwrap()
}

fn bilingual(source: &str, syntax: Syntax) -> Bilingual {
    bilingual_with(&Scripted::new(), source, syntax)
}

/// A translator whose English is full of markup and control characters.
fn nasty(text: &str) -> String {
    format!("{text} <script>alert('x')</script> & \"q\" \u{1}\u{b}.")
}

// ---------------------------------------------------------------- JSONL

#[test]
fn jsonl_has_every_sentence_once_with_a_range_that_slices_back() {
    for (source, syntax) in [(ARTICLE_TXT, Syntax::Text), (ARTICLE_MD, Syntax::Markdown)] {
        let bilingual = bilingual(source, syntax);
        let jsonl = write::jsonl(&bilingual);
        assert!(jsonl.ends_with('\n'));
        let lines: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), bilingual.document.sentence_count());

        let mut seen = HashSet::new();
        let mut previous: Option<(u64, u64, u64)> = None;
        for (line, pair) in lines.iter().zip(bilingual.pairs()) {
            let start = line["start"].as_u64().unwrap() as usize;
            let end = line["end"].as_u64().unwrap() as usize;
            assert_eq!(line["source"].as_str().unwrap(), &source[start..end]);
            assert!(seen.insert((start, end)), "sentence {start}..{end} twice");
            assert_eq!(
                line["target"].as_str().unwrap(),
                pair.target.text.to_markdown()
            );
            assert_eq!(line["provenance"]["model"], "scripted/shout");
            assert_eq!(line["provenance"]["revision"], "test-rev");
            assert_eq!(
                line["provenance"]["passeur_version"],
                env!("CARGO_PKG_VERSION")
            );
            let (paragraph, sentence) = (
                line["paragraph"].as_u64().unwrap(),
                line["sentence"].as_u64().unwrap(),
            );
            if let Some((last_paragraph, last_sentence, last_end)) = previous {
                assert!(start as u64 >= last_end, "sentences in source order");
                if paragraph == last_paragraph {
                    assert_eq!(sentence, last_sentence + 1);
                } else {
                    assert!(paragraph > last_paragraph);
                    assert_eq!(sentence, 0);
                }
            }
            previous = Some((paragraph, sentence, end as u64));
            match line["status"].as_str().unwrap() {
                "passthrough" => {
                    assert!(line["score"].is_null());
                    assert_eq!(line["target"], line["source"]);
                }
                "translated" => assert!(line["score"].is_f64()),
                other => panic!("unknown status {other}"),
            }
            assert_eq!(line["pieces"], 1);
            assert_eq!(line["flags"], Value::Array(Vec::new()));
        }
    }
}

// ---------------------------------------------------------------- TMX

#[test]
fn tmx_is_well_formed_and_holds_every_pair_once() {
    let bilingual = bilingual(ARTICLE_TXT, Syntax::Text);
    let xml = write::tmx(&bilingual);
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">"
    ));
    let tmx = parse_tmx(&xml);
    for (key, value) in [
        ("creationtool", "passeur"),
        ("creationtoolversion", env!("CARGO_PKG_VERSION")),
        ("srclang", "fr"),
        ("adminlang", "en"),
        ("segtype", "sentence"),
        ("datatype", "plaintext"),
        ("o-tmf", "passeur"),
    ] {
        assert_eq!(
            tmx.header.get(key).map(String::as_str),
            Some(value),
            "header {key}"
        );
    }
    assert_eq!(tmx.header_props["x-passeur-model"], "scripted/shout");
    assert_eq!(tmx.header_props["x-passeur-revision"], "test-rev");
    assert_eq!(tmx.header_props["x-passeur-decoding"], "scripted");

    assert_eq!(tmx.units.len(), bilingual.document.sentence_count());
    let ids: HashSet<&str> = tmx.units.iter().map(|u| u.tuid.as_str()).collect();
    assert_eq!(ids.len(), tmx.units.len(), "tuids are unique");
    for (unit, pair) in tmx.units.iter().zip(bilingual.pairs()) {
        assert_eq!(unit.segs["fr"], pair.source.text.text);
        assert_eq!(unit.segs["en"], pair.target.text.text);
        let range = &pair.source.range;
        assert_eq!(
            unit.props["x-source-range"],
            format!("{}-{}", range.start, range.end)
        );
        assert_eq!(unit.props["x-paragraph"], pair.block.to_string());
        assert_eq!(unit.props["x-status"], pair.target.verdict.name());
        assert_eq!(
            unit.props.contains_key("x-score"),
            pair.target.score.is_some()
        );
    }
}

#[test]
fn tmx_escapes_markup_and_control_characters() {
    let source = "Le signe < et & sont « spéciaux ».\u{1}\n\nUne autre ligne.";
    let bilingual = bilingual_with(&Scripted::with(nasty), source, Syntax::Text);
    let xml = write::tmx(&bilingual);
    if let Some(bad) = xml.chars().find(|c| !legal_xml_char(*c)) {
        panic!("U+{:04X} is not allowed in XML", bad as u32);
    }
    let tmx = parse_tmx(&xml);
    let first = &tmx.units[0];
    assert_eq!(
        first.segs["fr"],
        "Le signe < et & sont « spéciaux ».{ph:U+0001}"
    );
    assert_eq!(
        first.segs["en"],
        "Le signe < et & sont « spéciaux ».\u{1} <script>alert('x')</script> & \"q\" \u{1}\u{b}."
            .replace('\u{1}', "{ph:U+0001}")
            .replace('\u{b}', "{ph:U+000B}")
    );
}

// ---------------------------------------------------------------- HTML

#[test]
fn html_is_self_contained_and_valid() {
    let bilingual = bilingual(ARTICLE_MD, Syntax::Markdown);
    let html = write::html(&bilingual);
    let document = Html::parse_document(&html);
    assert!(
        document.errors.is_empty(),
        "parse errors: {:?}",
        document.errors
    );
    assert_eq!(select(&document, "meta[charset=utf-8]").len(), 1);
    let viewport = select(&document, "meta[name=viewport]");
    assert!(viewport[0]
        .attr("content")
        .unwrap()
        .contains("width=device-width"));
    let generator = select(&document, "meta[name=generator]");
    assert_eq!(
        generator[0].attr("content").unwrap(),
        format!("passeur {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        select(&document, "meta[name=passeur-model]")[0].attr("content"),
        Some("scripted/shout")
    );
    assert!(
        select(&document, "[src], link, img, iframe, object").is_empty(),
        "no external asset"
    );
    assert_eq!(select(&document, "script").len(), 1);
    assert!(
        html.contains("@media (max-width: 48em)"),
        "columns stack on narrow screens"
    );
    assert_eq!(
        select(&document, "title")[0].text().collect::<String>(),
        "LA FINLANDE ET LA CHINE RENFORCENT LEUR COOPÉRATION"
    );
    // Structure survives: headings in both columns, a quote in both, code once.
    assert_eq!(select(&document, ".fr h1").len(), 1);
    assert_eq!(select(&document, ".en h1").len(), 1);
    assert_eq!(select(&document, ".en h2").len(), 2);
    assert_eq!(select(&document, ".fr blockquote, .en blockquote").len(), 2);
    assert_eq!(
        select(&document, "pre code").len(),
        2,
        "fenced and indented code, once each"
    );
    let hrefs: Vec<&str> = select(&document, ".en a[href]")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    assert!(
        hrefs.contains(&"https://www.example.fi/accord"),
        "{hrefs:?}"
    );
    assert!(hrefs.contains(&"https://www.example.fi/suite"), "{hrefs:?}");
}

#[test]
fn html_rows_pair_each_unit_and_the_page_reads_well_everywhere() {
    let bilingual = bilingual(ARTICLE_TXT, Syntax::Text);
    let html = write::html(&bilingual);
    let document = Html::parse_document(&html);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    // Every row of the grid holds one French cell and one English cell, in that order (or one
    // full-width cell): the French and English of a paragraph, heading or list item side by side.
    let rows = select(&document, "main .row:not(.labels)");
    assert!(rows.len() > 10);
    for row in &rows {
        let cells: Vec<String> = row
            .children()
            .filter_map(scraper::ElementRef::wrap)
            .map(|cell| cell.value().attr("class").unwrap_or("").to_owned())
            .collect();
        let classes = row.value().attr("class").unwrap();
        assert!(
            cells == ["fr", "en"] || (classes.contains("full") && cells.len() == 1),
            "{classes}: {cells:?}"
        );
    }
    // Each list item is its own row, so items line up across the columns.
    let items = select(&document, ".fr .li").len();
    assert!(items >= 3);
    for row in select(&document, "main .row").iter().filter(|r| {
        scraper::ElementRef::wrap(r.first_child().unwrap())
            .is_some_and(|c| c.select(&scraper::Selector::parse(".li").unwrap()).count() > 0)
    }) {
        assert_eq!(
            row.select(&scraper::Selector::parse(".fr .li").unwrap())
                .count(),
            1
        );
    }
    // Columns of equal width on every row; words and URLs wrap; dark mode; print.
    for rule in [
        "grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)",
        "overflow-wrap: anywhere",
        "@media (prefers-color-scheme: dark)",
        "@media print",
        "white-space: pre-wrap",
    ] {
        assert!(html.contains(rule), "{rule}");
    }
    // The title is the headline, not the breadcrumb of the first line.
    assert_eq!(
        select(&document, "title")[0].text().collect::<String>(),
        "LA FINLANDE ET LA CHINE SIGNENT ONZE ACCORDS DE COOPÉRATION"
    );
    // The header counts every outcome, and the legend explains the marks.
    let header: String = select(&document, "header")[0].text().collect();
    let stats = &bilingual.stats.verdicts;
    assert!(
        header.contains(&format!(
            "{} sentences: {} translated, {} copied unchanged, {} recovered after a defect, {} \
             flagged as doubtful",
            stats.sentences, stats.translated, stats.passthrough, stats.recovered, stats.flagged
        )),
        "{header}"
    );
    assert!(header.contains("Grey: copied unchanged"), "{header}");
}

#[test]
fn html_legend_explains_flags_when_there_are_some() {
    let mut bilingual = bilingual("Il a vendu 5.000 voitures.", Syntax::Text);
    let legend = |b: &Bilingual| -> String {
        let html = write::html(b);
        let document = Html::parse_document(&html);
        select(&document, ".legend")[0].text().collect()
    };
    assert!(!legend(&bilingual).contains("flagged"));
    bilingual.targets[0].verdict = Verdict::Flagged {
        defects: vec![Defect::NumberMissing {
            number: "5.000".to_string(),
        }],
        recovery: None,
    };
    bilingual.stats.verdicts.flagged = 1;
    assert!(legend(&bilingual).contains("Wavy underline: flagged as doubtful"));
}

#[test]
fn html_sentences_link_to_their_counterparts() {
    let bilingual = bilingual(ARTICLE_TXT, Syntax::Text);
    let document = Html::parse_document(&write::html(&bilingual));
    let sentences = select(&document, "[data-pair]");
    assert_eq!(sentences.len(), 2 * bilingual.document.sentence_count());
    let by_id: BTreeMap<&str, &scraper::ElementRef> = sentences
        .iter()
        .map(|e| (e.attr("id").unwrap(), e))
        .collect();
    assert_eq!(by_id.len(), sentences.len(), "ids are unique");
    for sentence in &sentences {
        let id = sentence.attr("id").unwrap();
        let other = by_id
            .get(sentence.attr("data-pair").unwrap())
            .unwrap_or_else(|| panic!("{id} links to nothing"));
        assert_eq!(
            other.attr("data-pair"),
            Some(id),
            "{id}: the link goes both ways"
        );
        assert_eq!(
            sentence.attr("tabindex"),
            Some("0"),
            "{id} is keyboard-focusable"
        );
    }
    for pair in bilingual.pairs() {
        let index = pair.source.index;
        let text = |id: String| by_id[id.as_str()].text().collect::<String>();
        assert_eq!(text(format!("fr-{index}")), pair.source.text.text);
        assert_eq!(text(format!("en-{index}")), pair.target.text.text);
        let fr = by_id[format!("fr-{index}").as_str()];
        let column = fr
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .find(|e| e.attr("lang").is_some());
        assert_eq!(column.and_then(|c| c.attr("lang")), Some("fr"));
    }
}

#[test]
fn html_escapes_text_and_refuses_script_urls() {
    let source = "Le signe < et & sont « spéciaux ».\u{1}\n\nVoir [ce lien](javascript:alert(1)) et [celui-ci](https://ex.fr/?a=1&b=\"2\").";
    let bilingual = bilingual_with(&Scripted::with(nasty), source, Syntax::Markdown);
    let html = write::html(&bilingual);
    let document = Html::parse_document(&html);
    assert!(
        document.errors.is_empty(),
        "parse errors: {:?}",
        document.errors
    );
    assert_eq!(
        select(&document, "script").len(),
        1,
        "the translation's <script> stays text"
    );
    let en0 = select(&document, "#en-0")[0].text().collect::<String>();
    assert_eq!(
        en0,
        "Le signe < et & sont « spéciaux ».\u{2401} <script>alert('x')</script> & \"q\" \u{2401}\u{240b}."
    );
    let hrefs: Vec<&str> = select(&document, "a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    assert!(
        hrefs.iter().all(|h| !h.starts_with("javascript")),
        "{hrefs:?}"
    );
    assert!(hrefs.contains(&"https://ex.fr/?a=1&b=\"2\""), "{hrefs:?}");
}

// ---------------------------------------------------------------- Markdown and text

/// The Markdown body after the front matter, split into chunks at blank lines.
fn markdown_chunks(markdown: &str) -> (String, Vec<String>) {
    let rest = markdown.strip_prefix("---\n").expect("front matter first");
    let (front, body) = rest.split_once("\n---\n").expect("front matter closed");
    let chunks = body
        .split("\n\n")
        .map(|c| c.trim_matches('\n').to_string())
        .filter(|c| !c.is_empty())
        .collect();
    (front.to_string(), chunks)
}

#[test]
fn markdown_gives_each_block_in_french_then_english() {
    let bilingual = bilingual(ARTICLE_MD, Syntax::Markdown);
    let markdown = write::markdown(&bilingual);
    let (front, chunks) = markdown_chunks(&markdown);
    assert!(front.contains("model: \"scripted/shout\""), "{front}");
    assert!(front.contains("revision: \"test-rev\""), "{front}");
    assert!(front.contains(&format!(
        "generator: \"passeur {}\"",
        env!("CARGO_PKG_VERSION")
    )));

    // Each block in French, then in English, each side under its label, unless identical (then
    // once, unlabelled); `<!-- -->` before such a chunk when it starts with a list item after one
    // that ends with a list item (lists would merge otherwise).
    let is_item = |unit: Option<&passeur::document::Unit>| {
        unit.is_some_and(|u| u.kind == passeur::document::UnitKind::ListItem)
    };
    let mut expected = Vec::new();
    let mut after_item = false;
    for block in &bilingual.document.blocks {
        let french = ARTICLE_MD[block.range.clone()].to_string();
        let english = bilingual.block_english(block);
        let sides = if english == french {
            vec![french]
        } else {
            vec![
                format!("<!-- French -->\n{french}"),
                format!("<!-- English -->\n{english}"),
            ]
        };
        let labelled = sides.len() == 2;
        for side in sides {
            if !labelled && after_item && is_item(block.units.first()) {
                expected.push("<!-- -->".to_string());
            }
            expected.push(side);
            after_item = is_item(block.units.last());
        }
    }
    // Chunks of the fenced code block hold no blank line, so splitting at blank lines is exact.
    assert_eq!(chunks, expected);
    assert!(chunks.contains(&"<!-- French -->\n## Les points clés ##".to_string()));
    assert!(chunks.contains(&"<!-- English -->\n## LES POINTS CLÉS ##".to_string()));
}

#[test]
fn markdown_from_plain_text_escapes_and_keeps_lines() {
    let source = "Accueil> INTERNATIONAL.\nPar : Justine | Mots clés : *Finlande*.\n\n2013\n\n- un point ;\n- un autre.\n\nFin.";
    let bilingual = bilingual(source, Syntax::Text);
    let (_, chunks) = markdown_chunks(&write::markdown(&bilingual));
    assert_eq!(
        chunks,
        [
            "<!-- French -->\nAccueil> INTERNATIONAL.\\\nPar : Justine | Mots clés : \\*Finlande\\*.",
            "<!-- English -->\nACCUEIL> INTERNATIONAL.\\\nPAR : JUSTINE | MOTS CLÉS : \\*FINLANDE\\*.",
            "2013",
            "<!-- French -->\n- un point ;\n- un autre.",
            "<!-- English -->\n- UN POINT ;\n- UN AUTRE.",
            "<!-- French -->\nFin.",
            "<!-- English -->\nFIN.",
        ]
    );
}

#[test]
fn text_is_the_english_in_the_source_layout() {
    let bilingual = bilingual(ARTICLE_TXT, Syntax::Text);
    let text = write::text(&bilingual);
    assert_eq!(text, bilingual.english());
    assert_eq!(
        text.matches("\n\n").count(),
        ARTICLE_TXT.matches("\n\n").count()
    );
    assert!(text.ends_with(".\n") || text.ends_with("PAGE\n"));
    assert!(text.contains("\n- LA CRÉATION D'UN FONDS COMMUN D'INVESTISSEMENT ;\n"));
    assert!(!text.contains("scripted"), "no provenance in plain text");
}

// ---------------------------------------------------------------- every format

#[test]
fn every_format_passes_the_structural_checks() {
    check_all_formats(ARTICLE_TXT, &bilingual(ARTICLE_TXT, Syntax::Text));
    check_all_formats(ARTICLE_MD, &bilingual(ARTICLE_MD, Syntax::Markdown));
    let awkward =
        "Le signe < et & sont « spéciaux ».\u{1}\n\n[Lien](https://ex.fr/?a=1&b=2) \u{7f}";
    let translator = Scripted::with(nasty);
    check_all_formats(
        awkward,
        &bilingual_with(&translator, awkward, Syntax::Markdown),
    );
}

#[test]
fn flags_show_in_every_format_but_text() {
    let mut bilingual = bilingual("Il a vendu 5.000 voitures. Une autre phrase.", Syntax::Text);
    bilingual.targets[0].verdict = Verdict::Flagged {
        defects: vec![Defect::NumberMissing {
            number: "5.000".to_string(),
        }],
        recovery: None,
    };
    let markdown = write::markdown(&bilingual);
    assert!(
        markdown.contains(" ⚠ _(\"5.000\" in the source has no counterpart in the translation)_"),
        "{markdown}"
    );

    let document = Html::parse_document(&write::html(&bilingual));
    let flagged = select(&document, "#en-0")[0];
    assert!(flagged.value().classes().any(|c| c == "flag"));
    assert_eq!(
        flagged.attr("title"),
        Some("\"5.000\" in the source has no counterpart in the translation")
    );
    assert_eq!(flagged.attr("data-flags"), Some("number_missing"));
    assert!(!select(&document, "#en-1")[0]
        .value()
        .classes()
        .any(|c| c == "flag"));

    let first: Value =
        serde_json::from_str(write::jsonl(&bilingual).lines().next().unwrap()).unwrap();
    assert_eq!(first["flags"][0]["code"], "number_missing");
    assert_eq!(
        first["flags"][0]["reason"],
        "\"5.000\" in the source has no counterpart in the translation"
    );

    let tmx = parse_tmx(&write::tmx(&bilingual));
    assert_eq!(
        tmx.units[0].notes,
        ["number_missing: \"5.000\" in the source has no counterpart in the translation"]
    );
    assert!(tmx.units[1].notes.is_empty());

    assert!(!write::text(&bilingual).contains('⚠'));
}

#[test]
fn output_is_deterministic() {
    for format in Format::ALL {
        let first = format.render(&bilingual(ARTICLE_MD, Syntax::Markdown));
        let second = format.render(&bilingual(ARTICLE_MD, Syntax::Markdown));
        assert_eq!(first, second, "{format} differs between two runs");
    }
}

#[test]
fn an_empty_document_gives_valid_empty_outputs() {
    let bilingual = bilingual("", Syntax::Text);
    assert_eq!(write::jsonl(&bilingual), "");
    assert_eq!(write::text(&bilingual), "");
    assert!(parse_tmx(&write::tmx(&bilingual)).units.is_empty());
    let html = Html::parse_document(&write::html(&bilingual));
    assert!(html.errors.is_empty());
    assert!(select(&html, "[data-pair]").is_empty());
    let (front, chunks) = markdown_chunks(&write::markdown(&bilingual));
    assert!(front.contains("scripted/shout"));
    assert!(chunks.is_empty());
}

#[test]
fn formats_from_names_and_extensions() {
    for format in Format::ALL {
        assert_eq!(format.name().parse::<Format>().unwrap(), format);
        if format == Format::Page {
            // A page is written to .html, which alone means the side-by-side page.
            continue;
        }
        let path = std::path::PathBuf::from(format!("out.{}", format.extension().to_uppercase()));
        assert_eq!(Format::from_path(&path), Some(format));
    }
    assert_eq!(Format::from_path("a.htm".as_ref()), Some(Format::Html));
    assert_eq!(Format::from_path("a.json".as_ref()), None);
    let message = "docx".parse::<Format>().unwrap_err().to_string();
    assert!(message.contains("docx") && message.contains("md, html, txt, jsonl, tmx or page"));
}
