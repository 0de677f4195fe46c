//! `passeur translate PAGE.html --format page -o OUT.html` and `passeur translate URL` end to end
//! with the fixture model (random weights: gibberish English, but real decoding), URLs served by
//! an HTTP server the test starts on 127.0.0.1, and `passeur batch` over web pages.

use crate::web::elements;
use assert_cmd::Command;
use scraper::{ElementRef, Html};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const MODEL: &str = "tests/fixtures/marian-tiny";

fn passeur() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_passeur"));
    for variable in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(variable);
    }
    command.env("HF_HUB_OFFLINE", "1");
    command
}

/// Whether text directly inside `e` is never translated.
fn kept_as_is(e: ElementRef<'_>) -> bool {
    e.ancestors()
        .filter_map(ElementRef::wrap)
        .chain(std::iter::once(e))
        .any(|a| {
            let v = a.value();
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
                    | "select"
                    | "iframe"
                    | "object"
                    | "head"
                    | "math"
            ) || v.attr("translate") == Some("no")
                || v.classes().any(|c| c == "notranslate")
                || v.attr("lang")
                    .is_some_and(|l| !l.starts_with("fr") && v.name() != "html")
        })
}

/// Each element's own text (its text children, whitespace collapsed).
fn own_text(e: ElementRef<'_>) -> String {
    e.children()
        .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn body_elements(html: &Html) -> Vec<ElementRef<'_>> {
    html.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            e.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "body")
        })
        .collect()
}

/// Of the elements of the body with French words of their own, how many have other words in
/// the translated page (the two pages have the same elements in the same order).
fn translated_share(source: &Html, page: &Html) -> (usize, usize) {
    let (before, after) = (body_elements(source), body_elements(page));
    assert_eq!(before.len(), after.len());
    let mut french = 0;
    let mut translated = 0;
    for (b, a) in before.iter().zip(&after) {
        let text = own_text(*b);
        if kept_as_is(*b) || !text.chars().any(char::is_alphabetic) {
            continue;
        }
        french += 1;
        if own_text(*a) != text {
            translated += 1;
        }
    }
    (french, translated)
}

fn script_texts(html: &Html) -> Vec<String> {
    html.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| matches!(e.value().name(), "script" | "style" | "pre" | "code"))
        .map(|e| e.inner_html())
        .collect()
}

/// The elements of a page as passeur's parser (html5gum's spans, html5ever's tree) reads them,
/// leaving out passeur's provenance `<meta>`s.
fn spanned_elements(dom: &passeur::html::Dom) -> Vec<&passeur::html::Element> {
    dom.nodes
        .iter()
        .filter_map(|n| match &n.data {
            passeur::html::NodeData::Element(e) => Some(e),
            _ => None,
        })
        .filter(|e| {
            let name = e.attr("name").unwrap_or("");
            !(e.html_name() == Some("meta")
                && (name == "generator" || name.starts_with("passeur-")))
        })
        .collect()
}

/// Byte for byte: every attribute value as written (but `lang`, `alt` and `title`, which
/// passeur sets or translates), every `script`, `style`, `pre`, `code`, `textarea`, `template`,
/// `svg` and `math` from its start tag to its end tag, and every comment. The sequences of
/// elements are known to be the same (checked with scraper before).
fn check_bytes_kept(source_path: &str, source: &str, page: &str) {
    let (before, after) = (passeur::html::parse(source), passeur::html::parse(page));
    let (b, a) = (spanned_elements(&before), spanned_elements(&after));
    assert_eq!(b.len(), a.len(), "{source_path}");
    let mut links = 0;
    let mut untouched = 0;
    for (b, a) in b.iter().zip(&a) {
        assert_eq!(b.name, a.name, "{source_path}");
        for (x, y) in b.attributes.iter().zip(&a.attributes) {
            let name = &*x.name.local;
            if matches!(name, "lang" | "alt" | "title") {
                continue;
            }
            let raw = |page: &str, attr: &passeur::html::Attr| {
                attr.value_span.clone().map(|r| page[r].to_string())
            };
            assert_eq!(
                raw(page, y),
                raw(source, x),
                "{source_path}: attribute {name} of <{}>",
                b.name.local
            );
            links += usize::from(matches!(name, "href" | "src"));
        }
        let kept = matches!(
            &*b.name.local,
            "script" | "style" | "pre" | "code" | "textarea" | "template" | "svg" | "math"
        );
        if kept {
            let span = |page: &str, e: &passeur::html::Element| {
                let start = e.start_tag.as_ref().map_or(e.content_start, |t| t.start);
                let end = e
                    .end_tag
                    .as_ref()
                    .map_or(e.content_end.unwrap_or(start), |t| t.end);
                page[start..end].to_string()
            };
            assert_eq!(span(page, a), span(source, b), "{source_path}");
            untouched += 1;
        }
    }
    let comments = |dom: &passeur::html::Dom, page: &str| -> Vec<String> {
        dom.nodes
            .iter()
            .filter_map(|n| match &n.data {
                passeur::html::NodeData::Comment(Some(span)) => {
                    Some(page[span.clone()].to_string())
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        comments(&after, page),
        comments(&before, source),
        "{source_path}"
    );
    assert!(
        links > 5 && untouched > 0,
        "{source_path}: {links} links, {untouched} untouched"
    );
}

fn check_page(source_path: &str) {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out.html");
    passeur()
        .args(["translate", source_path, "--format", "page", "-o"])
        .arg(&out)
        // Greedy: what is checked here is the page around the translations, and the real pages'
        // hundreds of sentences took twice as long in beam 4 (other tests cover beam 4).
        .args(["--model", MODEL, "--quiet", "--beams", "1"])
        .assert()
        .success();
    let source = std::fs::read_to_string(source_path).unwrap();
    let page = std::fs::read_to_string(&out).unwrap();
    let (before, after) = (Html::parse_document(&source), Html::parse_document(&page));
    assert_eq!(elements(&after), elements(&before), "{source_path}");
    assert_eq!(script_texts(&after), script_texts(&before), "{source_path}");
    check_bytes_kept(source_path, &source, &page);
    let html = after.root_element().value().attr("lang");
    assert_eq!(html, Some("en"));
    let (french, translated) = translated_share(&before, &after);
    assert!(french > 20, "{source_path}: {french}");
    assert!(
        translated * 100 >= french * 95,
        "{source_path}: {translated} of {french} elements with French text translated"
    );
    let model = scraper::Selector::parse("meta[name=passeur-model]").unwrap();
    let meta = after.select(&model).next().expect("provenance");
    assert_eq!(meta.value().attr("content"), Some(MODEL));
}

#[test]
fn our_page_in_english_with_the_fixture_model() {
    check_page("tests/data/web/page.html");
}

#[test]
fn lemonde_in_english_with_the_fixture_model() {
    check_page("tests/data/web/lemonde-1.html");
}

#[test]
fn liberation_in_english_with_the_fixture_model() {
    check_page("tests/data/web/liberation-1.html");
}

#[test]
fn output_to_html_is_the_page_and_format_html_is_side_by_side() {
    let directory = tempfile::tempdir().unwrap();
    let page = directory.path().join("page.html");
    let side = directory.path().join("side.html");
    passeur()
        .args([
            "translate",
            "tests/data/web/page.html",
            "--model",
            MODEL,
            "--quiet",
            "-o",
        ])
        .arg(&page)
        .assert()
        .success();
    passeur()
        .args([
            "translate",
            "tests/data/web/page.html",
            "--model",
            MODEL,
            "--quiet",
        ])
        .args(["--format", "html", "-o"])
        .arg(&side)
        .assert()
        .success();
    let page = std::fs::read_to_string(page).unwrap();
    let side = std::fs::read_to_string(side).unwrap();
    assert!(page.contains("<nav class=\"menu\">"), "the page itself");
    assert!(
        side.contains("data-pair") && !side.contains("<nav"),
        "side by side"
    );
}

#[test]
fn article_keeps_the_article() {
    let output = passeur()
        .args([
            "translate",
            "tests/data/web/page.html",
            "--article",
            "--format",
            "jsonl",
        ])
        .args(["--model", MODEL, "--quiet"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let sources = jsonl_sources(&output.stdout);
    let all = sources.join("\n");
    assert!(all.contains("Le président chinois"), "{all}");
    assert!(
        all.contains("La Finlande et la <em>Chine</em>"),
        "the title: {all}"
    );
    assert!(all.contains("Justine Martin"), "the byline: {all}");
    for boilerplate in [
        "Accueil",
        "International",
        "Tous droits réservés",
        "Retournez en haut",
    ] {
        assert!(!all.contains(boilerplate), "{boilerplate} in {all}");
    }
}

#[test]
fn binary_and_broken_pages_write_nothing_or_a_whole_page() {
    let directory = tempfile::tempdir().unwrap();
    let binary = directory.path().join("photo.html");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    let out = directory.path().join("out.html");
    let result = passeur()
        .args(["translate"])
        .arg(&binary)
        .arg("-o")
        .arg(&out)
        .args(["--model", MODEL])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&result.stderr).contains("binary"));
    assert!(!out.exists());
    let broken = directory.path().join("broken.html");
    std::fs::write(
        &broken,
        "<p>Un paragraphe <b>jamais fermé <table><td>et une cellule",
    )
    .unwrap();
    passeur()
        .arg("translate")
        .arg(&broken)
        .arg("-o")
        .arg(&out)
        .args(["--model", MODEL, "--quiet"])
        .assert()
        .success();
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.contains("<table><td>") && page.contains("<b>"),
        "{page}"
    );
}

#[test]
fn a_latin1_file_declared_by_http_equiv_becomes_a_utf8_page() {
    let directory = tempfile::tempdir().unwrap();
    let source = "<!DOCTYPE html><html lang=\"fr\"><head>\
        <meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\
        <title>L'été à Noël</title></head><body><h1>Déjà vu</h1>\
        <p>Le cœur de l'été coûte <a href=\"/prix?a=1&amp;b=é\">cinq écus</a>.</p></body></html>";
    // iso-8859-1 is windows-1252 to the HTML standard (and to encoding_rs): œ is 0x9C.
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(source);
    assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
    let input = directory.path().join("latin.html");
    std::fs::write(&input, &bytes).unwrap();
    let out = directory.path().join("out.html");
    passeur()
        .arg("translate")
        .arg(&input)
        .args(["--format", "page", "--model", MODEL, "--quiet", "-o"])
        .arg(&out)
        .assert()
        .success();
    let written = std::fs::read(&out).unwrap();
    let page = String::from_utf8(written).expect("the page is written in UTF-8");
    assert!(
        page.starts_with('\u{feff}'),
        "a byte-order mark, which overrides the page's declaration"
    );
    assert!(!page.contains('\u{fffd}'), "{page}");
    let page = page.trim_start_matches('\u{feff}');
    let (before, after) = (Html::parse_document(source), Html::parse_document(page));
    assert_eq!(elements(&after), elements(&before));
    let link = scraper::Selector::parse("a").unwrap();
    assert_eq!(
        after.select(&link).next().unwrap().value().attr("href"),
        Some("/prix?a=1&b=é"),
        "decoded from Latin-1 and written back as the same characters"
    );
    let p = scraper::Selector::parse("p").unwrap();
    let english: String = after.select(&p).next().unwrap().text().collect();
    assert_ne!(english, "Le cœur de l'été coûte cinq écus.");
    // What the model was given: the decoded French.
    let output = passeur()
        .arg("translate")
        .arg(&input)
        .args(["--format", "jsonl", "--model", MODEL, "--quiet"])
        .output()
        .unwrap();
    let sources = jsonl_sources(&output.stdout);
    assert!(
        sources.iter().any(|s| s.contains("Le cœur de l'été coûte")),
        "{sources:?}"
    );
}

#[test]
fn big_deep_and_binary_pages_end_in_a_whole_page_or_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out.html");
    // An output from before is left alone when the input is refused.
    std::fs::write(&out, "ancienne page").unwrap();
    for binary in [
        &b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"[..],
        &b"<html><body><p>Texte\x00\x00\x00\x01\x02 puis du binaire"[..],
    ] {
        let input = directory.path().join("binary.html");
        std::fs::write(&input, binary).unwrap();
        let result = passeur()
            .arg("translate")
            .arg(&input)
            .args(["--format", "page", "--model", MODEL, "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(result.status.code(), Some(1));
        let message = String::from_utf8_lossy(&result.stderr);
        assert!(message.contains("binary"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "ancienne page");
    }
    // 10 MB: a page that is mostly script, style and preformatted text, with a few paragraphs.
    let script = format!(
        "<script>var d = \"{}\"; if (a < b && c > d) {{}}</script>",
        "<p>pas du texte</p>".repeat(500_000)
    );
    let style = format!(
        "<style>{}</style>",
        "p > a { color: red; }\n".repeat(40_000)
    );
    let pre = format!(
        "<pre>{}</pre>",
        "ligne <b>préformatée</b> &amp; gardée\n".repeat(20_000)
    );
    let big = format!(
        "<!DOCTYPE html><html><head><title>Une grande page</title>{style}</head><body>\
         <p>Le chat <a href=\"/chat?x=1&amp;y=2\">dort</a> sur le <em>canapé</em>.</p>{script}{pre}\
         <p>Il fait beau.</p></body></html>"
    );
    assert!(big.len() >= 10_000_000, "{}", big.len());
    // 100,000 nested elements around one sentence.
    let deep = format!(
        "<html><body>{}<p>Un texte <b>profond</b>.</p>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    for (name, source) in [("big", &big), ("deep", &deep)] {
        let input = directory.path().join(format!("{name}.html"));
        std::fs::write(&input, source).unwrap();
        let result = passeur()
            .arg("translate")
            .arg(&input)
            .args(["--format", "page", "--model", MODEL, "--quiet", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let page = std::fs::read_to_string(&out).unwrap();
        // Whole: everything after the last translated paragraph is the source's, to the end.
        let tail = &source[source.rfind("</p>").unwrap()..];
        assert!(page.ends_with(tail), "{name}: the page is cut short");
        // html5ever's own parser takes minutes on 100,000 nested elements: passeur's (bounded).
        let dom = passeur::html::parse(&page);
        assert!(dom.nodes.len() > 10, "{name}");
        if name == "big" {
            assert!(page.contains(&script) && page.contains(&style) && page.contains(&pre));
            assert!(page.contains("href=\"/chat?x=1&amp;y=2\""));
            assert!(!page.contains("Le chat"), "translated");
        } else {
            assert!(page.contains(&"<div>".repeat(100_000)));
            assert!(!page.contains("Un texte"), "translated");
        }
    }
}

/// A tiny HTTP server on 127.0.0.1: answers each request with `respond(request line)`; records
/// the request lines.
struct Server {
    address: String,
    requests: Arc<Mutex<Vec<String>>>,
}

type Respond = fn(&str, &mut TcpStream);

fn serve(respond: Respond) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                seen.lock().unwrap().push(line.trim().to_string());
                if line.starts_with("CONNECT ") {
                    // A proxy tunnel (ureq tunnels plain HTTP too): the request comes through it.
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let mut inner = String::new();
                    if reader.read_line(&mut inner).is_err() {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    seen.lock().unwrap().push(inner.trim().to_string());
                    respond(inner.trim(), &mut stream);
                    return;
                }
                respond(line.trim(), &mut stream);
            });
        }
    });
    Server { address, requests }
}

fn reply(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// French in Windows-1252, declared only by the HTTP header.
fn latin_page() -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252
        .encode("<html><body><p>Le cœur de l'été coûte 5 €.</p></body></html>");
    bytes.into_owned()
}

fn site(request: &str, stream: &mut TcpStream) {
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let path = path
        .rsplit_once("//")
        .map_or(path, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    match path {
        "/article.html" => reply(
            stream,
            "200 OK",
            "text/html; charset=windows-1252",
            &latin_page(),
        ),
        "/redirect" => {
            let _ = stream.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: /article.html\r\nContent-Length: 0\r\n\r\n",
            );
            // Kept alive, as HTTP/1.1 allows, then closed when a next request comes on it, as a
            // server closing an idle connection does: a client that reuses the connection for
            // the redirect fails here every time, not only when the race goes badly.
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let _ = stream.read(&mut [0u8; 1]);
        }
        "/photo.png" => reply(stream, "200 OK", "image/png", b"\x89PNG"),
        "/big.html" => {
            let body = format!("<p>{}</p>", "Un mot. ".repeat(400_000));
            reply(stream, "200 OK", "text/html", body.as_bytes())
        }
        "/stall.html" => std::thread::sleep(std::time::Duration::from_secs(30)),
        _ => reply(stream, "404 Not Found", "text/html", b"<p>Introuvable</p>"),
    }
}

#[test]
fn a_url_is_downloaded_decoded_by_its_header_and_translated() {
    let server = serve(site);
    let output = passeur()
        .args(["translate", &format!("http://{}/redirect", server.address)])
        .args(["--format", "jsonl", "--model", MODEL, "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: serde_json::Value = serde_json::from_str(
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(line["source"], "Le cœur de l'été coûte 5 €.");
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        ["GET /redirect HTTP/1.1", "GET /article.html HTTP/1.1"]
    );
}

#[test]
fn a_url_goes_through_http_proxy() {
    let proxy = serve(site);
    let output = passeur()
        .args([
            "translate",
            "http://journal.example/article.html",
            "--format",
            "txt",
        ])
        .args(["--model", MODEL, "--quiet"])
        .env("HTTP_PROXY", format!("http://{}", proxy.address))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = proxy.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            "CONNECT journal.example:80 HTTP/1.1",
            "GET /article.html HTTP/1.1"
        ]
    );
}

#[test]
fn url_failures_are_named_and_write_nothing() {
    let server = serve(site);
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("out.html");
    for (path, expected) in [
        ("/missing.html", "HTTP 404"),
        ("/photo.png", "not a web page"),
    ] {
        let url = format!("http://{}{path}", server.address);
        let output = passeur()
            .args(["translate", &url, "--model", MODEL, "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains(&url) && message.contains(expected),
            "{message}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn downloads_have_a_size_limit_and_timeouts() {
    let server = serve(site);
    let options = passeur::web::FetchOptions {
        connect_timeout: std::time::Duration::from_secs(5),
        read_timeout: std::time::Duration::from_secs(2),
        max_bytes: 1024 * 1024,
    };
    let big = passeur::web::fetch(&format!("http://{}/big.html", server.address), &options);
    let message = big.unwrap_err().to_string();
    assert!(message.contains("larger than the 1 MiB limit"), "{message}");
    let started = std::time::Instant::now();
    let stall = passeur::web::fetch(&format!("http://{}/stall.html", server.address), &options);
    let message = stall.unwrap_err().to_string();
    assert!(message.contains("no answer in time"), "{message}");
    assert!(started.elapsed().as_secs() < 20);
    // A closed port: refused at once.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = passeur::web::fetch(&format!("http://127.0.0.1:{port}/"), &options);
    assert!(refused.is_err());
}

#[test]
fn batch_mirrors_a_site_in_english() {
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("site");
    std::fs::create_dir_all(site.join("monde")).unwrap();
    std::fs::copy("tests/data/web/page.html", site.join("monde/page.html")).unwrap();
    std::fs::write(
        site.join("index.htm"),
        "<p>Voir <a href=\"monde/page.html\">l'article</a>.</p>",
    )
    .unwrap();
    std::fs::write(site.join("note.txt"), "Une note.").unwrap();
    let out = root.path().join("site-en");
    passeur()
        .arg("batch")
        .arg(&site)
        .arg("-o")
        .arg(&out)
        .args(["-f", "md,jsonl", "--model", MODEL, "--quiet"])
        .assert()
        .success();
    for written in [
        "monde/page.html",
        "monde/page.html.md",
        "monde/page.html.jsonl",
        "index.htm",
        "index.htm.md",
        "note.txt.md",
        "note.txt.jsonl",
    ] {
        assert!(out.join(written).is_file(), "{written}");
    }
    assert!(!out.join("note.txt").exists(), "pages only for web pages");
    let index = std::fs::read_to_string(out.join("index.htm")).unwrap();
    assert!(index.contains("<a href=\"monde/page.html\">"), "{index}");
    let page = Html::parse_document(&std::fs::read_to_string(out.join("monde/page.html")).unwrap());
    let source = Html::parse_document(include_str!("../data/web/page.html"));
    assert_eq!(elements(&page), elements(&source));
}

/// The `source` of each line of `passeur translate --format jsonl` output.
fn jsonl_sources(stdout: &[u8]) -> Vec<String> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}
