//! `--article` measured on Mozilla Readability's test pages:
//! `cargo run --release --example article_eval -- READABILITY_CHECKOUT [PAGE…]`
//! (or `scripts/article-eval`).
//!
//! Three extractors side by side: what `--article` keeps ([`passeur::article::kept_units`]:
//! dom_smoothie's article matched by text to passeur's paragraphs, passeur's own scoring as the
//! fallback), passeur's own scoring alone ([`passeur::article::select`]), and the readability.js
//! port dom_smoothie alone (its article's paragraphs as it writes them).
//!
//! For each `test/test-pages/NAME/`: the paragraphs (units: paragraphs, headings, list items,
//! cells, image texts, as passeur's HTML reader splits a page) of `expected.html` are the truth;
//! the paragraphs of what each extractor keeps of `source.html` are compared with them, by text
//! (whitespace collapsed). *Recovered* is the share of expected paragraphs found, *extra* the
//! share of kept paragraphs that are not expected. passeur's title, byline and date (kept apart
//! from the body, as readability keeps them in its metadata) are left out of the comparison.
//! Totals are over all paragraphs of all pages; the two French pages are also shown alone.
//! With `ARTICLE_EVAL_VERBOSE=1`, the paragraphs `--article` keeps that are not expected, and
//! those it misses, are listed under each page.

use passeur::{document::Document, Syntax};
use std::collections::HashMap;
use std::path::Path;

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The paragraphs of `document` (each unit's text), optionally only the units `keep` accepts.
fn paragraphs(document: &Document, keep: &dyn Fn(usize) -> bool) -> Vec<String> {
    document
        .blocks
        .iter()
        .flat_map(|b| &b.units)
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, unit)| {
            let texts: Vec<&str> = unit
                .sentences
                .iter()
                .map(|s| s.text.text.as_str())
                .collect();
            normalise(&texts.join(" "))
        })
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .collect()
}

/// (expected found, expected, kept that were expected, kept).
fn compare(expected: &[String], kept: &[String]) -> [usize; 4] {
    let mut remaining: HashMap<&str, usize> = HashMap::new();
    for p in expected {
        *remaining.entry(p).or_default() += 1;
    }
    let mut matched = 0;
    for p in kept {
        if let Some(count) = remaining.get_mut(p.as_str()).filter(|c| **c > 0) {
            *count -= 1;
            matched += 1;
        }
    }
    [matched, expected.len(), matched, kept.len()]
}

/// What `--article` keeps, less the title, byline and date.
fn article_body(source: &str) -> Vec<String> {
    let document = Document::parse(source, Syntax::Html);
    let html = document.html.clone().expect("an HTML document");
    let selection = passeur::article::select(&html.dom);
    let kept = passeur::article::kept_units(&document, &selection).expect("a page");
    paragraphs(&document, &|i| kept.keep[i] && !kept.meta[i])
}

/// passeur's own scoring alone, less the title, byline and date.
fn passeur_body(source: &str) -> Vec<String> {
    let document = Document::parse(source, Syntax::Html);
    let html = document.html.clone().expect("an HTML document");
    let selection = passeur::article::select(&html.dom);
    let in_body = |container: usize| {
        let mut body = selection.clone();
        body.title = None;
        body.byline = None;
        body.date = None;
        body.contains(&html.dom, container)
    };
    paragraphs(&document, &|i| in_body(html.units[i].container))
}

fn smoothie_body(source: &str) -> Vec<String> {
    let parsed = dom_smoothie::Readability::new(source, None, None).and_then(|mut r| r.parse());
    match parsed {
        Ok(article) => {
            let document = Document::parse(article.content.to_string(), Syntax::Html);
            paragraphs(&document, &|_| true)
        }
        Err(_) => Vec::new(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(checkout) = args.first() else {
        eprintln!("usage: article_eval READABILITY_CHECKOUT [PAGE…]");
        std::process::exit(2);
    };
    let pages_dir = Path::new(checkout).join("test/test-pages");
    let mut pages: Vec<String> = match args.len() {
        1 => std::fs::read_dir(&pages_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", pages_dir.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        _ => args[1..].to_vec(),
    };
    pages.sort();
    const N: usize = 3;
    let mut totals = [[0usize; 4]; N];
    let mut french = [[0usize; 4]; N];
    println!(
        "| page | --article recovered | --article extra | own scoring recovered | own scoring extra | dom_smoothie recovered | dom_smoothie extra |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut pages_seen = 0;
    for page in &pages {
        let dir = pages_dir.join(page);
        let (Ok(source), Ok(expected)) = (
            std::fs::read_to_string(dir.join("source.html")),
            std::fs::read_to_string(dir.join("expected.html")),
        ) else {
            continue;
        };
        pages_seen += 1;
        let truth = paragraphs(&Document::parse(expected, Syntax::Html), &|_| true);
        if std::env::var_os("ARTICLE_EVAL_VERBOSE").is_some() {
            // What --article keeps that is not expected, and what it misses.
            let kept = article_body(&source);
            for p in kept.iter().filter(|p| !truth.contains(p)) {
                println!(
                    "  {page} extra: {}",
                    p.chars().take(120).collect::<String>()
                );
            }
            for p in truth.iter().filter(|p| !kept.contains(p)) {
                println!(
                    "  {page} missed: {}",
                    p.chars().take(120).collect::<String>()
                );
            }
        }
        let scores = [
            compare(&truth, &article_body(&source)),
            compare(&truth, &passeur_body(&source)),
            compare(&truth, &smoothie_body(&source)),
        ];
        let mut row = format!("| {page} |");
        for (k, s) in scores.iter().enumerate() {
            row.push_str(&format!(
                " {} | {} |",
                percent(s[0], s[1]),
                percent(s[3] - s[2], s[3])
            ));
            for i in 0..4 {
                totals[k][i] += s[i];
                if page == "lemonde-1" || page == "liberation-1" {
                    french[k][i] += s[i];
                }
            }
        }
        println!("{row}");
    }
    println!(
        "\n{} pages; totals over all paragraphs (expected {}, kept by --article {})",
        pages_seen, totals[0][1], totals[0][3]
    );
    println!("\n| | --article recovered | --article extra | own scoring recovered | own scoring extra | dom_smoothie recovered | dom_smoothie extra |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, sums) in [("all pages", totals), ("lemonde-1 + liberation-1", french)] {
        let mut row = format!("| **{name}** |");
        for s in &sums {
            row.push_str(&format!(
                " **{}** | **{}** |",
                percent(s[0], s[1]),
                percent(s[3] - s[2], s[3])
            ));
        }
        println!("{row}");
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".to_string()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}
