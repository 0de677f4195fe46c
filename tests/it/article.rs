//! `--article` on the test articles: the boilerplate lines of the scraped text are dropped and
//! nothing else; on a web page, the article is kept without its navigation and footer.

use crate::support;

use passeur::article;
use passeur::{document::Document, Syntax};
use support::{ARTICLE_MD, ARTICLE_TXT};

fn sentences(document: &Document) -> Vec<String> {
    document
        .sentences()
        .map(|s| document.source_of(s).to_string())
        .collect()
}

#[test]
fn the_scraped_article_loses_exactly_its_boilerplate() {
    let all = sentences(&Document::parse(ARTICLE_TXT, Syntax::Text));
    let kept = article::extract(Document::parse(ARTICLE_TXT, Syntax::Text));
    let kept_sentences = sentences(&kept);
    let dropped: Vec<&String> = all.iter().filter(|s| !kept_sentences.contains(s)).collect();
    assert_eq!(
        dropped,
        [
            "Accueil> INTERNATIONAL",
            "Par : Justine | Mots clés : Finlande, Chine, commerce",
            "Retournez en haut de la page",
            "Commentaires (2)",
            "Jean-Pierre, le 18/11/2013 à 15 h 30 : Bonne nouvelle pour nos exportateurs.",
            "Marie, le 18/11/2013 à 16 h 02 : Et l'environnement dans tout ça ?",
            "Retournez en haut de la page",
        ]
    );
    assert_eq!(kept_sentences.len(), all.len() - dropped.len());
    let indexes: Vec<usize> = kept.sentences().map(|s| s.index).collect();
    assert_eq!(indexes, (0..kept_sentences.len()).collect::<Vec<_>>());
    // The English of what is kept starts with the site and date line (a domain name and a date:
    // copied unchanged): nothing dropped leaks into the layout-preserving writers.
    let translator = support::Scripted::new();
    let options = passeur::pipeline::PipelineOptions::default();
    let bilingual = passeur::pipeline::Pipeline::new(&translator, options)
        .translate_document(kept, &mut |_| {})
        .unwrap();
    let english = passeur::write::text(&bilingual);
    assert!(
        english.starts_with("French.china.org.cn | 18. 11. 2013\n\nLA FINLANDE"),
        "{english}"
    );
    assert!(
        !english.contains("Accueil") && !english.contains("Retournez"),
        "{english}"
    );
}

#[test]
fn the_markdown_article_has_no_boilerplate_to_lose() {
    let all = sentences(&Document::parse(ARTICLE_MD, Syntax::Markdown));
    let kept = sentences(&article::extract(Document::parse(
        ARTICLE_MD,
        Syntax::Markdown,
    )));
    assert_eq!(kept, all);
}

#[test]
fn a_web_page_keeps_title_byline_date_and_body() {
    let page = include_str!("../data/web/page.html");
    let document = article::extract(Document::parse(page, Syntax::Html));
    let texts: Vec<String> = document.sentences().map(|s| s.text.text.clone()).collect();
    assert_eq!(
        texts[0],
        "La Finlande et la Chine signent onze accords de coopération"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("Par Justine Martin")),
        "{texts:?}"
    );
    for boilerplate in [
        "Accueil",
        "International",
        "Tous droits réservés.",
        "Retournez en haut de la page",
    ] {
        assert!(
            !texts.iter().any(|t| t == boilerplate),
            "{boilerplate}: {texts:?}"
        );
    }
    assert!(texts
        .iter()
        .any(|t| t == "Les deux présidents à Pékin, lundi."));
    let html = document.html.as_ref().unwrap();
    assert_eq!(
        html.units.len(),
        document.blocks.iter().map(|b| b.units.len()).sum::<usize>()
    );
}

#[test]
fn a_short_byline_keeps_one_paragraph_not_every_photo_credit() {
    // Readability finds the byline "AFP" on Libération's page: the byline line is kept, the
    // photo credits and the lone "AFP" that also hold it are not (they are not in
    // readability's article either).
    let page = include_str!("../data/web/liberation-1.html");
    let document = article::extract(Document::parse(page, Syntax::Html));
    let units: Vec<String> = document
        .blocks
        .iter()
        .flat_map(|b| &b.units)
        .map(article::paragraph_text)
        .collect();
    assert!(
        units
            .iter()
            .any(|u| u.starts_with("AFP 30 avril 2015 à 07:19")),
        "{units:#?}"
    );
    for credit in [
        "AFP",
        "(photo AFP)",
        "(photo AFP/Bundespolizei)",
        "Un Népalais prie à Katmandou, le 30 avril 2015. (Photo Prakash Mathema. AFP)",
    ] {
        assert!(!units.iter().any(|u| u == credit), "{credit}: {units:#?}");
    }
    assert!(
        units
            .iter()
            .any(|u| u.starts_with("Un troisième Français a été tué")),
        "the article's body is kept: {units:#?}"
    );
}
