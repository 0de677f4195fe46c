//! Web pages through the library with a scripted translator (every word upper-cased), so that
//! where each tag lands in the English can be checked exactly: pages of our own making with
//! nested inline markup, tables, lists, `translate="no"`, scripts, comments, entities and a
//! Windows-1252 charset; the two French pages of Mozilla's Readability test set; bad HTML.
//!
//! Every check on the page reads it back with an HTML5 parser (scraper), never with string
//! matching on markup.

use crate::support;

use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::write;
use passeur::Bilingual;
use passeur::{document::Document, Syntax};
use scraper::{ElementRef, Html};
use support::{check_all_formats, Scripted};

const PAGE: &str = include_str!("../data/web/page.html");
const LEMONDE: &str = include_str!("../data/web/lemonde-1.html");
const LIBERATION: &str = include_str!("../data/web/liberation-1.html");

fn translate_with(translator: &Scripted, html: &str) -> Bilingual {
    let options = PipelineOptions {
        syntax: Syntax::Html,
        ..PipelineOptions::default()
    };
    Pipeline::new(translator, options).translate(html).unwrap()
}

fn translate(html: &str) -> Bilingual {
    translate_with(&Scripted::new(), html)
}

/// Elements in document order with their attributes (sorted), leaving out `lang` and the
/// provenance `<meta>`s passeur adds; the values of the attributes passeur translates (`alt`,
/// `title`) are left out, their names kept.
pub(crate) fn elements(html: &Html) -> Vec<(String, Vec<(String, String)>)> {
    html.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            let name = e.value().attr("name").unwrap_or("");
            !(e.value().name() == "meta" && (name == "generator" || name.starts_with("passeur-")))
        })
        .map(|e| {
            let mut attrs: Vec<(String, String)> = e
                .value()
                .attrs()
                .filter(|(k, _)| *k != "lang" && *k != "xml:lang")
                .map(|(k, v)| {
                    let translated = matches!(k, "alt" | "title");
                    (
                        k.to_string(),
                        if translated {
                            String::new()
                        } else {
                            v.to_string()
                        },
                    )
                })
                .collect();
            attrs.sort();
            (e.value().name().to_string(), attrs)
        })
        .collect()
}

/// The text of every `script`, `style`, `pre`, `code`, `template` and `svg`, in order.
fn untouchable(html: &Html) -> Vec<String> {
    html.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            matches!(
                e.value().name(),
                "script" | "style" | "pre" | "code" | "svg" | "textarea"
            )
        })
        .map(|e| e.inner_html())
        .collect()
}

fn comments(html: &Html) -> Vec<String> {
    html.tree
        .nodes()
        .filter_map(|n| n.value().as_comment().map(|c| c.to_string()))
        .collect()
}

/// Whether text inside `e` is never translated.
fn kept_as_is(e: ElementRef<'_>) -> bool {
    let v = e.value();
    matches!(
        v.name(),
        "script"
            | "style"
            | "pre"
            | "code"
            | "template"
            | "svg"
            | "noscript"
            | "textarea"
            | "head"
            | "select"
            | "video"
            | "audio"
            | "iframe"
            | "object"
            | "canvas"
    ) || v.attr("translate") == Some("no")
        || v.classes().any(|c| c == "notranslate")
        || v.attr("lang")
            .is_some_and(|l| !l.starts_with("fr") && v.name() != "html")
}

/// The visible text nodes of the body that hold French words, and how many of them the
/// translated page holds in English (upper case, as the scripted translator writes it).
fn translated_share(page: &Html) -> (usize, usize) {
    let body = page
        .root_element()
        .descendants()
        .find(|n| ElementRef::wrap(*n).is_some_and(|e| e.value().name() == "body"))
        .expect("a body");
    let mut visible = 0;
    let mut english = 0;
    for node in body.descendants() {
        let Some(text) = node.value().as_text() else {
            continue;
        };
        let kept = node
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(kept_as_is);
        if kept || !text.chars().any(char::is_alphabetic) {
            continue;
        }
        visible += 1;
        if !text.chars().any(char::is_lowercase) {
            english += 1;
        }
    }
    (visible, english)
}

fn inner(html: &Html, selector: &str) -> Vec<String> {
    support::select(html, selector)
        .into_iter()
        .map(|e| e.inner_html())
        .collect()
}

#[test]
fn the_page_keeps_its_elements_attributes_and_untranslated_parts() {
    let bilingual = translate(PAGE);
    let out = write::page(&bilingual);
    let (source, page) = (Html::parse_document(PAGE), Html::parse_document(&out));
    assert_eq!(elements(&page), elements(&source));
    assert_eq!(untouchable(&page), untouchable(&source));
    assert_eq!(comments(&page), comments(&source));
    let html = support::select(&page, "html");
    assert_eq!(html[0].value().attr("lang"), Some("en"));
    let meta = |name: &str| {
        support::select(&page, &format!("meta[name=\"{name}\"]"))
            .first()
            .and_then(|m| m.value().attr("content").map(str::to_string))
    };
    assert_eq!(meta("passeur-model").as_deref(), Some("scripted/shout"));
    assert_eq!(meta("passeur-revision").as_deref(), Some("test-rev"));
    assert!(meta("generator").unwrap().starts_with("passeur "));
    assert!(!out.starts_with('\u{feff}'), "the page declares UTF-8");
    // Untranslated by request, and the same bytes.
    for kept in [
        "<p class=\"notranslate\">Ne traduisez pas ce paragraphe.</p>",
        "<p lang=\"en\">This paragraph is already in English.</p>",
        "<span translate=\"no\">Tianjin Eco-City</span>",
        "<code>inscrire(&quot;forum&quot;)</code>",
        "<!-- Ceci est un commentaire : il ne faut pas le traduire. -->",
        "<script>var retour = \"<p>Ne pas traduire</p>\"; if (a < b && c > d) { console.log('Bonjour'); }</script>",
        "href=\"https://www.example.fi/accords?x=1&amp;y=2\"",
    ] {
        assert!(out.contains(kept), "{kept}");
    }
}

#[test]
fn inline_tags_surround_the_right_english_words() {
    let page = Html::parse_document(&write::page(&translate(PAGE)));
    assert_eq!(
        inner(&page, "h1"),
        ["LA FINLANDE ET LA <em>CHINE</em> SIGNENT ONZE ACCORDS DE COOPÉRATION"]
    );
    assert_eq!(
        inner(&page, "strong"),
        ["HOMOLOGUE <em>FINLANDAIS</em>"],
        "nested elements, each placed on its own words"
    );
    let link = support::select(&page, "a[title]");
    assert_eq!(link[0].inner_html(), "ONZE ACCORDS DE COOPÉRATION");
    assert_eq!(
        link[0].value().attr("title"),
        Some("LISTE DES ACCORDS SIGNÉS"),
        "a link's title is translated"
    );
    let image = support::select(&page, "img");
    assert_eq!(
        image[0].value().attr("alt"),
        Some("LES DEUX PRÉSIDENTS PENDANT LA SIGNATURE DES ACCORDS")
    );
    assert_eq!(image[0].value().attr("src"), Some("/images/signature.jpg"));
    assert_eq!(inner(&page, "b"), ["FONDS COMMUN"]);
    assert_eq!(inner(&page, "time"), ["18 NOVEMBRE 2013"]);
    let items = inner(&page, "li");
    assert!(
        items.contains(
            &"UN CENTRE D'ESSAIS À <span translate=\"no\">Tianjin Eco-City</span>.".to_string()
        ),
        "{items:?}"
    );
    let paragraphs = inner(&page, "p");
    assert!(
        paragraphs.iter().any(|p| p
            == "POUR SUIVRE LE FORUM, APPELEZ LA FONCTION <code>inscrire(\"forum\")</code> AVANT LE 30 SEPTEMBRE."),
        "{paragraphs:?}"
    );
    assert!(
        paragraphs
            .iter()
            .any(|p| p.contains("DU COMMERCE</span>, LORS") && p.contains(".<br>SELON LUI")),
        "a span and a line break between two sentences: {paragraphs:?}"
    );
    assert!(
        paragraphs
            .iter()
            .any(|p| p.contains("3,5 % SUR UN AN &amp; LES")),
        "entities decoded for the model and written back escaped: {paragraphs:?}"
    );
    assert_eq!(inner(&page, "th"), ["SECTEUR", "PART DES EXPORTATIONS"]);
    assert_eq!(
        inner(&page, "title"),
        ["LA FINLANDE ET LA CHINE SIGNENT ONZE ACCORDS"]
    );
}

#[test]
fn what_reaches_the_model_is_text_without_markup() {
    let translator = Scripted::new();
    let bilingual = translate_with(&translator, PAGE);
    let requests = translator.requests();
    for request in &requests {
        assert!(
            !request.contains('<') && !request.contains("&amp;"),
            "{request}"
        );
    }
    for never in [
        "Ne pas traduire",
        "Bonjour",
        "Modèle jamais",
        "Texte SVG",
        "Ceci est un commentaire",
        "Ne traduisez pas",
        "already in English",
        "toucher",
    ] {
        assert!(
            !requests.iter().any(|r| r.contains(never)),
            "{never} reached the model"
        );
    }
    assert!(requests.contains(
        &"Pour suivre le forum, appelez la fonction `inscrire(\"forum\")` avant le 30 septembre."
            .to_string()
    ));
    // Each inline element's text is also translated on its own, to be found in the English.
    assert!(requests.contains(&"homologue finlandais".to_string()));
    assert!(requests.contains(&"finlandais".to_string()));
    check_all_formats(PAGE, &bilingual);
}

#[test]
fn jsonl_ranges_are_byte_ranges_of_the_page() {
    let bilingual = translate(PAGE);
    let sentences: Vec<_> = bilingual.pairs().collect();
    let first = sentences
        .iter()
        .find(|p| p.source.text.text.starts_with("Le président chinois"))
        .unwrap();
    assert_eq!(
        first.source_text,
        "Le président chinois a reçu lundi à Pékin son <strong>homologue <em>finlandais</em></strong> pour une visite d'État de trois jours."
    );
    let link = sentences
        .iter()
        .find(|p| p.source.text.text.starts_with("Les deux pays"))
        .unwrap();
    assert!(
        link.source_text.ends_with("propres."),
        "{}",
        link.source_text
    );
    assert_eq!(
        link.source.text.links[0].destination,
        "https://www.example.fi/accords?x=1&y=2"
    );
    assert_eq!(
        link.target.text.to_markdown(),
        "LES DEUX PAYS ONT SIGNÉ [ONZE ACCORDS DE COOPÉRATION](https://www.example.fi/accords?x=1&y=2), DONT UN CONSACRÉ AUX TECHNOLOGIES PROPRES."
    );
    for pair in &sentences {
        assert_eq!(&PAGE[pair.source.range.clone()], pair.source_text);
    }
}

#[test]
fn french_articles_from_the_readability_test_set() {
    for (name, source) in [("lemonde-1", LEMONDE), ("liberation-1", LIBERATION)] {
        let bilingual = translate(source);
        let out = write::page(&bilingual);
        let (before, after) = (Html::parse_document(source), Html::parse_document(&out));
        assert_eq!(elements(&after), elements(&before), "{name}");
        assert_eq!(untouchable(&after), untouchable(&before), "{name}");
        assert_eq!(comments(&after), comments(&before), "{name}");
        let (visible, english) = translated_share(&after);
        assert!(visible > 50, "{name}: {visible}");
        assert!(
            english * 100 >= visible * 95,
            "{name}: {english} of {visible} visible text nodes translated"
        );
        // Inline elements hold the English of their own French words (the scripted translator
        // upper-cases each word, so the English of a fragment is known exactly).
        let (mut inline, mut misplaced) = (0, Vec::new());
        let pairs = inline_elements(&before)
            .into_iter()
            .zip(inline_elements(&after));
        for (b, a) in pairs {
            assert_eq!(b.value().name(), a.value().name(), "{name}");
            let french = words(b);
            if !french.chars().any(char::is_alphabetic) {
                continue;
            }
            inline += 1;
            if words(a).to_lowercase() != french.to_lowercase() {
                misplaced.push(format!("{} → {}", b.html(), a.html()));
            }
        }
        assert!(inline > 50, "{name}: {inline}");
        assert!(misplaced.is_empty(), "{name}: {misplaced:#?}");
        check_all_formats(source, &bilingual);
    }
}

/// The inline elements of the body outside what is never translated, in document order.
fn inline_elements(html: &Html) -> Vec<ElementRef<'_>> {
    support::select(
        html,
        "body a, body em, body strong, body b, body i, body span",
    )
    .into_iter()
    .filter(|e| {
        !e.ancestors()
            .filter_map(ElementRef::wrap)
            .chain(std::iter::once(*e))
            .any(kept_as_is)
    })
    .collect()
}

/// An element's text, whitespace collapsed.
fn words(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_windows_1252_page_is_read_by_its_meta_charset_and_written_in_utf8() {
    let utf8 = "<html><head><meta charset=\"windows-1252\"><title>Le cœur</title></head>\
                <body><p>Il coûte 5 € à l’unité.</p></body></html>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(utf8);
    assert!(!unmappable);
    assert!(
        bytes.contains(&0x80) && bytes.contains(&0x9c),
        "€ and œ in Windows-1252"
    );
    let decoded = passeur::html::decode(&bytes, "page.html", None, None).unwrap();
    assert_eq!(decoded.text, utf8);
    let out = write::page(&translate(&decoded.text));
    assert!(
        out.starts_with('\u{feff}'),
        "a byte-order mark overrides the declaration"
    );
    let page = Html::parse_document(out.trim_start_matches('\u{feff}'));
    assert_eq!(inner(&page, "p"), ["IL COÛTE 5 € À L’UNITÉ."]);
    assert_eq!(
        support::select(&page, "meta[charset]")[0]
            .value()
            .attr("charset"),
        Some("windows-1252"),
        "attributes unchanged"
    );
}

#[test]
fn a_page_without_html_tag_gets_one_with_lang() {
    let out = write::page(&translate("<p>Bonjour <i>tout</i> le monde.</p>"));
    let page = Html::parse_document(out.trim_start_matches('\u{feff}'));
    assert_eq!(
        support::select(&page, "html")[0].value().attr("lang"),
        Some("en")
    );
    assert_eq!(inner(&page, "p"), ["BONJOUR <i>TOUT</i> LE MONDE."]);
}

#[test]
fn bad_html_never_panics_and_stays_bounded() {
    let deep = |tag: &str, n: usize| {
        format!(
            "{}Texte profond.{}",
            format!("<{tag}>").repeat(n),
            format!("</{tag}>").repeat(n)
        )
    };
    let cases = [
        "<p>Paragraphe <b>non fermé <i>du tout".to_string(),
        "<table><tr><td>Cellule<p>texte</table> après <b>x</p></b>".to_string(),
        "</p></p><p><a href=x><a href=y>lien</a></a>&#0;&#x110000;&bogus; &amp".to_string(),
        deep("div", 100_000),
        deep("span", 100_000),
        format!("<p>{}", "<b id=x>un ".repeat(20_000)),
        "<svg><p>dans svg<math><mi>x</mi></math><![CDATA[ <p> ]]></svg>".to_string(),
        "<p>\u{0}\u{1}\u{7f}\u{feff}\u{ffff}".to_string(),
    ];
    for html in &cases {
        let started = std::time::Instant::now();
        let bilingual = translate(html);
        let out = write::page(&bilingual);
        // passeur's own parser: html5ever alone takes minutes on 100,000 nested elements.
        passeur::html::parse(&out);
        let _ = write::jsonl(&bilingual);
        let _ = write::markdown(&bilingual);
        for pair in bilingual.pairs() {
            assert_eq!(&html[pair.source.range.clone()], pair.source_text);
        }
        // Generous: the point is "not quadratic", not a speed figure.
        assert!(
            started.elapsed().as_secs() < 60,
            "{}",
            &html[..40.min(html.len())]
        );
    }
}

#[test]
fn a_ten_megabyte_page_parses() {
    let paragraph = "<p>Le chat <a href=\"/x\">dort</a> sur le <em>canapé</em>.</p>\n";
    let html = paragraph.repeat(10_000_000 / paragraph.len());
    let document = Document::parse(html.as_str(), Syntax::Html);
    assert_eq!(document.blocks.len(), 10_000_000 / paragraph.len());
}
