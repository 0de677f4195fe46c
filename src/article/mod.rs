//! The main content of a page or an article (`--article`): title, byline, date and body,
//! without navigation, footers, share buttons, related links, comments or cookie banners.
//!
//! * HTML: the body is what [dom_smoothie](https://crates.io/crates/dom_smoothie) (a Rust port
//!   of Mozilla's readability.js, the algorithm of Firefox Reader View) keeps: the paragraphs of
//!   its article, matched by their text to the paragraphs of passeur's own reading of the page,
//!   so that what is kept keeps its byte ranges in the page. On `scripts/article-eval` it agrees
//!   with readability.js far better than passeur's own scoring ([`select`], kept as the fallback
//!   when dom_smoothie finds nothing, fails, or the page nests deeper than
//!   `crate::html::MAX_DEPTH`, which its parser would take minutes over).
//! * [`select`], passeur's own scoring in the manner of readability, also gives the title,
//!   byline and date: Elements that cannot be content are set aside (hidden ones; `nav`, `aside`,
//!   `footer`, `header`, `form`, `dialog`; class or id naming a menu, share bar, comments,
//!   cookie banner… unless they also name the content); every paragraph of 25 characters or more
//!   scores 1, plus its commas, plus one per 100 characters (at most 3), for its parent, half for
//!   its grandparent, a third of that further up; a block's own score starts from its kind
//!   (`div` +5, `pre`/`td`/`blockquote` +3, lists −3, headings −5) and its class and id (±25);
//!   each score is multiplied by the share of text that is not link text. The best block wins,
//!   with its siblings that score at least a fifth of it (or are long paragraphs with few
//!   links); inside it, lists, tables and blocks that are mostly links are dropped. The title is
//!   the first `h1` (else the `<title>`); a byline (class or id `author`, `byline`, `auteur`,
//!   `signature`, or `rel="author"`) and a date (`<time>`, or class `date`, `published`) are kept
//!   when they are short.
//! * Plain text and Markdown (`is_boilerplate`): lines a scraped page leaves around the
//!   article are dropped: breadcrumbs (`Accueil > …`), keyword and tag lines (`Mots clés : …`),
//!   "back to top" links, share and print buttons, newsletter and cookie notices, and a comments
//!   section (a `Commentaires (2)` line and the rest of its paragraph).
//!
//! [`extract`] applies either to a parsed [`Document`]; the sentences kept keep their ranges
//! in the source and are renumbered.

use crate::document::{Document, HtmlSource, Syntax};
use crate::html::{Dom, Element, NodeData, NodeId};
use std::collections::HashMap;
use std::sync::Arc;

/// Which units of a page the article keeps: for each of `html.units`, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptUnits {
    /// Kept: title, byline, date or body.
    pub keep: Vec<bool>,
    /// Title, byline or date, as passeur's own scoring ([`select`]) finds them.
    pub meta: Vec<bool>,
    /// Whether the body is dom_smoothie's (else passeur's own scoring, the fallback).
    pub readable: bool,
}

/// What [`extract`] keeps of a page parsed as HTML (`document.html`), given passeur's own
/// [`select`]ion: the units dom_smoothie keeps (matched by their text) plus the title, byline
/// and date, or the selection's units when dom_smoothie finds nothing. `None` for a document
/// that is not a page. `examples/article_eval.rs` measures it.
pub fn kept_units(document: &Document, selection: &Selection) -> Option<KeptUnits> {
    let html = document.html.as_ref()?;
    let texts: Vec<String> = document
        .blocks
        .iter()
        .flat_map(|b| &b.units)
        .map(paragraph_text)
        .collect();
    let mut meta = selection.clone();
    meta.body.clear();
    let in_meta: Vec<bool> = html
        .units
        .iter()
        .map(|unit| meta.contains(&html.dom, unit.container))
        .collect();
    let readable = (html.dom.too_deep == 0)
        .then(|| readable_paragraphs(&document.source))
        .flatten();
    let found = readable.is_some();
    let keep: Vec<bool> = match readable {
        Some(readable) => {
            let mut wanted: HashMap<String, usize> = HashMap::new();
            for paragraph in readable.paragraphs {
                *wanted.entry(paragraph).or_default() += 1;
            }
            // Readability takes the byline out of the content into its metadata: the short
            // paragraph that holds it is kept too, the first one only (a byline "AFP" is also
            // in every photo credit), and none when passeur's own byline already holds it.
            let byline = readable.byline.as_deref().filter(|b| !b.is_empty());
            let holds_byline =
                |text: &String| byline.is_some_and(|b| text.len() < 200 && text.contains(b));
            let byline_unit = if texts
                .iter()
                .zip(&in_meta)
                .any(|(t, &m)| m && holds_byline(t))
            {
                None
            } else {
                texts.iter().position(holds_byline)
            };
            texts
                .iter()
                .zip(&in_meta)
                .enumerate()
                .map(|(i, (text, &meta))| {
                    let found = wanted.get_mut(text).filter(|n| **n > 0);
                    let found = found.map(|n| *n -= 1).is_some();
                    meta || found || byline_unit == Some(i)
                })
                .collect()
        }
        None => html
            .units
            .iter()
            .map(|unit| selection.contains(&html.dom, unit.container))
            .collect(),
    };
    Some(KeptUnits {
        keep,
        meta: in_meta,
        readable: found,
    })
}

/// Keeps only the article of `document` (see the module docs).
pub fn extract(document: Document) -> Document {
    match (&document.syntax, &document.html) {
        (Syntax::Html, Some(html)) => {
            let selection = select(&html.dom);
            let html = Arc::clone(html);
            let keep = kept_units(&document, &selection)
                .expect("a page parsed as HTML")
                .keep;
            let layout = layout(&html, &keep);
            let spans: Vec<std::ops::Range<usize>> = selection
                .body
                .iter()
                .filter_map(|&id| html.dom.element(id))
                .map(|e| {
                    let start = e.start_tag.as_ref().map_or(e.content_start, |s| s.start);
                    let end = e
                        .end_tag
                        .as_ref()
                        .map_or(e.content_end.unwrap_or(start), |s| s.end);
                    start..end
                })
                .collect();
            let keep_code = |range: &std::ops::Range<usize>| {
                spans
                    .iter()
                    .any(|s| s.start <= range.start && range.end <= s.end)
            };
            let mut article = retain_units(document, &keep, &keep_code);
            if let Some(source) = &mut article.html {
                Arc::make_mut(source).article = Some(layout);
            }
            article
        }
        _ => retain_text(document),
    }
}

/// A unit's text as one line (whitespace collapsed): how paragraphs are compared.
pub fn paragraph_text(unit: &crate::document::Unit) -> String {
    let texts: Vec<&str> = unit
        .sentences
        .iter()
        .map(|s| s.text.text.as_str())
        .collect();
    texts
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What dom_smoothie keeps of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readable {
    /// The paragraphs of its article, as [`paragraph_text`] gives them.
    pub paragraphs: Vec<String>,
    /// The byline it found (whitespace collapsed), which it leaves out of the paragraphs.
    pub byline: Option<String>,
}

/// The article dom_smoothie finds in `source`; none if it finds nothing or fails.
pub(crate) fn readable_paragraphs(source: &str) -> Option<Readable> {
    let parse = || {
        let mut readability = dom_smoothie::Readability::new(source, None, None).ok()?;
        readability.parse().ok()
    };
    // A failure of the crate, even a panic, leaves passeur's own scoring in charge.
    let article = std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).ok()??;
    let document = Document::parse(article.content.to_string(), Syntax::Html);
    let paragraphs: Vec<String> = document
        .blocks
        .iter()
        .flat_map(|b| &b.units)
        .map(paragraph_text)
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .collect();
    let byline = article
        .byline
        .as_deref()
        .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "));
    (!paragraphs.is_empty()).then_some(Readable { paragraphs, byline })
}

/// How the article of a page is written as a page of its own ([`crate::write::page`]): the
/// page up to its body, then each part (title, byline and date when they lie outside the rest,
/// and the element holding every other kept paragraph), without what `removed` covers inside
/// them (blocks holding only paragraphs that were not kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleLayout {
    /// The elements written, in document order.
    pub parts: Vec<NodeId>,
    /// Source ranges left out of the parts.
    pub removed: Vec<std::ops::Range<usize>>,
}

/// The source span of element `id`, from its start tag to its end tag, when both are known.
fn element_span(dom: &Dom, id: NodeId) -> Option<std::ops::Range<usize>> {
    let e = dom.element(id)?;
    let start = e.start_tag.as_ref()?.start;
    let end = e.end_tag.as_ref().map(|s| s.end).or(e.content_end)?;
    (start <= end).then_some(start..end)
}

/// The [`ArticleLayout`] of the units `keep` selects.
fn layout(html: &HtmlSource, keep: &[bool]) -> ArticleLayout {
    let dom = &html.dom;
    let kept: Vec<NodeId> = html
        .units
        .iter()
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|(u, _)| u.container)
        .collect();
    let Some(&first) = kept.first() else {
        return ArticleLayout::default();
    };
    // The deepest element holding most kept paragraphs: the common ancestor of those past the
    // first few (title, byline and date usually come first, outside it).
    let path = |id: NodeId| -> Vec<NodeId> {
        let mut path: Vec<NodeId> = std::iter::once(id).chain(dom.ancestors(id)).collect();
        path.reverse();
        path
    };
    let common = |ids: &[NodeId]| -> NodeId {
        let mut shared = path(ids[0]);
        for &id in &ids[1..] {
            let other = path(id);
            let same = shared
                .iter()
                .zip(&other)
                .take_while(|(a, b)| a == b)
                .count();
            shared.truncate(same);
        }
        shared.last().copied().unwrap_or(0)
    };
    let body = kept.len().saturating_sub(3).max(1);
    let mut root = common(&kept[kept.len() - body..]);
    // A part must be written as a whole element.
    while element_span(dom, root).is_none()
        || dom.element(root).and_then(Element::html_name) == Some("html")
    {
        match dom.nodes[root].parent {
            Some(parent) if dom.element(parent).is_some() => root = parent,
            _ => break,
        }
    }
    let mut parts = vec![root];
    for &container in &kept {
        let inside = std::iter::once(container)
            .chain(dom.ancestors(container))
            .any(|a| a == root);
        if !inside && !parts.contains(&container) && element_span(dom, container).is_some() {
            parts.push(container);
        }
    }
    parts.sort_unstable_by_key(|&id| element_span(dom, id).map_or(0, |s| s.start));
    let _ = first;
    // Inside the root: the highest elements holding dropped paragraphs and no kept one.
    let mut counts: HashMap<NodeId, (usize, usize)> = HashMap::new();
    for (unit, &k) in html.units.iter().zip(keep) {
        for id in std::iter::once(unit.container).chain(dom.ancestors(unit.container)) {
            let entry = counts.entry(id).or_default();
            if k {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
            if id == root {
                break;
            }
        }
    }
    let mut removed = Vec::new();
    let mut skip_until = 0;
    for id in dom.descendants(root).skip(1) {
        let Some(span) = element_span(dom, id) else {
            continue;
        };
        if span.start < skip_until {
            continue;
        }
        if counts
            .get(&id)
            .is_some_and(|&(kept, dropped)| kept == 0 && dropped > 0)
        {
            skip_until = span.end;
            removed.push(span);
        }
    }
    ArticleLayout { parts, removed }
}

/// What [`select`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The title's element (`h1`, else `title`).
    pub title: Option<NodeId>,
    /// The byline's element.
    pub byline: Option<NodeId>,
    /// The date's element.
    pub date: Option<NodeId>,
    /// The blocks holding the body, in document order.
    pub body: Vec<NodeId>,
    /// Elements inside the body that are set aside (link lists, share bars…).
    pub dropped: Vec<NodeId>,
}

impl Selection {
    /// Every element kept, in document order: title, byline, date and body blocks (a node
    /// inside another is not repeated).
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self
            .title
            .iter()
            .chain(&self.byline)
            .chain(&self.date)
            .chain(&self.body)
            .copied()
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// Whether text held by `node` is part of the article.
    pub fn contains(&self, dom: &Dom, node: NodeId) -> bool {
        let mut inside_kept = false;
        for id in std::iter::once(node).chain(dom.ancestors(node)) {
            if self.dropped.contains(&id) {
                return false;
            }
            if Some(id) == self.title
                || Some(id) == self.byline
                || Some(id) == self.date
                || self.body.contains(&id)
            {
                inside_kept = true;
            }
        }
        inside_kept
    }
}

/// Class and id words of elements that are not content.
const UNLIKELY: [&str; 40] = [
    "banner",
    "breadcrumb",
    "fil-ariane",
    "ariane",
    "combx",
    "comment",
    "commentaire",
    "community",
    "cookie",
    "consent",
    "disqus",
    "footer",
    "gdpr",
    "header",
    "legend",
    "menu",
    "navigation",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "share",
    "partage",
    "newsletter",
    "promo",
    "advert",
    "pub-",
    "publicite",
    "popup",
    "pagination",
    "pager",
    "outbrain",
    "taboola",
    "tags",
    "toolbar",
];

/// Class and id words that rescue an element from [`UNLIKELY`].
const MAYBE: [&str; 7] = [
    "and", "article", "body", "column", "content", "main", "shadow",
];

/// Class and id words of content.
const POSITIVE: [&str; 12] = [
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
    "blog", "story",
];

/// Class and id words of what surrounds content.
const NEGATIVE: [&str; 22] = [
    "-ad-", "hidden", "banner", "combx", "comment", "com-", "contact", "foot", "footer",
    "footnote", "masthead", "media", "meta", "outbrain", "promo", "related", "scroll", "share",
    "shoutbox", "sidebar", "sponsor", "widget",
];

/// Text measures of a subtree.
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    /// Characters of text (whitespace runs counted once).
    chars: usize,
    /// Characters of text inside links.
    link_chars: usize,
    /// Commas (`,` and `،`).
    commas: usize,
}

fn class_and_id(element: &Element) -> String {
    let mut words = element.attr("class").unwrap_or("").to_ascii_lowercase();
    words.push(' ');
    words.push_str(&element.attr("id").unwrap_or("").to_ascii_lowercase());
    words
}

fn names_any(words: &str, list: &[&str]) -> bool {
    list.iter().any(|w| words.contains(w))
}

/// Whether `element` is hidden, or by its kind, class or id cannot be content.
fn set_aside(element: &Element) -> bool {
    let name = element.html_name().unwrap_or("");
    if matches!(
        name,
        "nav" | "aside" | "footer" | "header" | "form" | "dialog" | "button" | "menu"
    ) {
        return true;
    }
    let hidden = element.attr("hidden").is_some()
        || element
            .attr("aria-hidden")
            .is_some_and(|v| v.trim() == "true")
        || element.attr("style").is_some_and(|s| {
            let s = s.to_ascii_lowercase().replace(' ', "");
            s.contains("display:none") || s.contains("visibility:hidden")
        })
        || element.attr("role").is_some_and(|r| {
            matches!(
                r,
                "navigation" | "banner" | "complementary" | "contentinfo" | "dialog"
            )
        });
    if hidden {
        return true;
    }
    let words = class_and_id(element);
    !matches!(name, "body" | "html" | "article" | "main")
        && names_any(&words, &UNLIKELY)
        && !names_any(&words, &MAYBE)
}

/// The article of a page (see the module docs).
pub fn select(dom: &Dom) -> Selection {
    let order: Vec<NodeId> = dom.descendants(0).collect();
    // Nodes set aside, with everything under them.
    let mut aside = vec![false; dom.nodes.len()];
    for &id in &order {
        let parent_aside = dom.nodes[id].parent.is_some_and(|p| aside[p]);
        aside[id] = parent_aside || dom.element(id).is_some_and(set_aside);
    }
    let measures = measure(dom, &order, &aside);
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for &id in &order {
        if aside[id] {
            continue;
        }
        let Some(element) = dom.element(id) else {
            continue;
        };
        let paragraph_like = matches!(
            element.html_name(),
            Some("p" | "pre" | "td" | "blockquote" | "li" | "dd")
        ) || (element.html_name() == Some("div") && !has_block_child(dom, id));
        if !paragraph_like {
            continue;
        }
        let m = measures[id];
        if m.chars < 25 {
            continue;
        }
        let score = 1.0 + m.commas as f64 + (m.chars / 100).min(3) as f64;
        for (level, ancestor) in dom.ancestors(id).take(5).enumerate() {
            if dom.element(ancestor).is_none() || aside[ancestor] {
                break;
            }
            let share = match level {
                0 => 1.0,
                1 => 0.5,
                _ => 1.0 / (level as f64 * 3.0),
            };
            *scores
                .entry(ancestor)
                .or_insert_with(|| initial_score(dom.element(ancestor))) += score * share;
        }
    }
    let density = |id: NodeId| {
        let m = measures[id];
        if m.chars == 0 {
            0.0
        } else {
            m.link_chars as f64 / m.chars as f64
        }
    };
    let final_score = |id: NodeId, score: f64| score * (1.0 - density(id));
    let top = scores
        .iter()
        .map(|(&id, &score)| (id, final_score(id, score)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let mut selection = Selection::default();
    match top {
        Some((top, top_score)) => {
            let threshold = (top_score * 0.2).max(10.0);
            let siblings: Vec<NodeId> = match dom.nodes[top].parent {
                Some(parent) => dom.children(parent).collect(),
                None => vec![top],
            };
            for sibling in siblings {
                if sibling == top {
                    selection.body.push(top);
                    continue;
                }
                if aside[sibling] || dom.element(sibling).is_none() {
                    continue;
                }
                let score = scores.get(&sibling).map(|&s| final_score(sibling, s));
                let m = measures[sibling];
                let paragraph = dom.element(sibling).and_then(Element::html_name) == Some("p")
                    && ((m.chars > 80 && density(sibling) < 0.25)
                        || (m.chars > 0 && density(sibling) == 0.0 && ends_sentence(dom, sibling)));
                if score.is_some_and(|s| s >= threshold) || paragraph {
                    selection.body.push(sibling);
                }
            }
        }
        None => selection.body.extend(dom.find("body")),
    }
    // Inside the body: what is set aside, and link lists and blocks that are mostly links.
    for &root in &selection.body {
        for id in dom.descendants(root).skip(1) {
            let Some(element) = dom.element(id) else {
                continue;
            };
            let name = element.html_name().unwrap_or("");
            let mostly_links = matches!(name, "ul" | "ol" | "div" | "section" | "table" | "dl")
                && density(id) > 0.5
                && measures[id].commas < 10;
            if aside[id] || mostly_links {
                selection.dropped.push(id);
            }
        }
    }
    let inside_body = |id: NodeId| {
        std::iter::once(id)
            .chain(dom.ancestors(id))
            .any(|a| selection.body.contains(&a))
    };
    selection.title = order
        .iter()
        .copied()
        .find(|&id| dom.element(id).and_then(Element::html_name) == Some("h1") && !aside[id])
        .or_else(|| dom.find("title"));
    selection.byline = order.iter().copied().find(|&id| {
        !inside_body(id) && !aside[id] && measures[id].chars > 0 && measures[id].chars < 100 && {
            dom.element(id).is_some_and(|e| {
                let words = class_and_id(e);
                e.attr("rel") == Some("author")
                    || names_any(
                        &words,
                        &["byline", "author", "auteur", "signature", "writtenby"],
                    )
            })
        }
    });
    selection.date = order.iter().copied().find(|&id| {
        !inside_body(id) && !aside[id] && measures[id].chars > 0 && measures[id].chars < 80 && {
            dom.element(id).is_some_and(|e| {
                e.html_name() == Some("time")
                    || names_any(&class_and_id(e), &["date", "published", "timestamp"])
            })
        }
    });
    selection
}

/// The starting score of a block, from its kind, class and id.
fn initial_score(element: Option<&Element>) -> f64 {
    let Some(element) = element else {
        return 0.0;
    };
    let kind = match element.html_name().unwrap_or("") {
        "div" | "article" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let words = class_and_id(element);
    let mut weight = 0.0;
    if names_any(&words, &POSITIVE) {
        weight += 25.0;
    }
    if names_any(&words, &NEGATIVE) {
        weight -= 25.0;
    }
    kind + weight
}

fn has_block_child(dom: &Dom, id: NodeId) -> bool {
    dom.children(id).any(|c| {
        dom.element(c).is_some_and(|e| {
            matches!(
                e.html_name(),
                Some(
                    "p" | "div"
                        | "section"
                        | "article"
                        | "ul"
                        | "ol"
                        | "table"
                        | "blockquote"
                        | "pre"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "figure"
                        | "dl"
                )
            )
        })
    })
}

fn ends_sentence(dom: &Dom, id: NodeId) -> bool {
    dom.text_content(id)
        .trim_end()
        .ends_with(['.', '!', '?', '…', '»'])
}

/// Text measures of every node, bottom-up without recursion (set-aside nodes count nothing).
fn measure(dom: &Dom, order: &[NodeId], aside: &[bool]) -> Vec<Measure> {
    let mut measures = vec![Measure::default(); dom.nodes.len()];
    for &id in order.iter().rev() {
        if aside[id] {
            continue;
        }
        let mut m = Measure::default();
        match &dom.nodes[id].data {
            NodeData::Text(text) => {
                let mut last_space = true;
                for c in text.text.chars() {
                    let space = c.is_whitespace();
                    if !(space && last_space) {
                        m.chars += 1;
                    }
                    last_space = space;
                    if c == ',' {
                        m.commas += 1;
                    }
                }
            }
            NodeData::Element(element) => {
                if crate::html::role(element.html_name()) == crate::html::Role::Skip {
                    continue;
                }
                for child in dom.children(id) {
                    let c = measures[child];
                    m.chars += c.chars;
                    m.link_chars += c.link_chars;
                    m.commas += c.commas;
                }
                if element.html_name() == Some("a") {
                    m.link_chars = m.chars;
                }
            }
            _ => {}
        }
        measures[id] = m;
    }
    measures
}

/// Whether a line of scraped text is boilerplate rather than article (see the module docs).
pub(crate) fn is_boilerplate(line: &str) -> bool {
    let line = line.trim();
    let lower = line.to_lowercase();
    let words = lower.split_whitespace().count();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| lower.starts_with(p));
    let breadcrumb = ["accueil", "home"].iter().any(|home| {
        lower
            .strip_prefix(home)
            .is_some_and(|rest| rest.trim_start().starts_with(['>', '»', '›', '/', '|']))
    }) || (words <= 12 && line.matches(" > ").count() >= 2);
    let keywords = [
        "mots clés",
        "mots-clés",
        "mots clefs",
        "tags :",
        "thèmes :",
        "sujets :",
    ]
    .iter()
    .any(|k| lower.contains(k));
    let navigation = words <= 10
        && starts(&[
            "retournez en haut",
            "retour en haut",
            "haut de page",
            "retour à l'accueil",
            "back to top",
            "partager",
            "imprimer",
            "envoyer par e-mail",
            "envoyer à un ami",
            "abonnez-vous",
            "inscrivez-vous à la newsletter",
            "recevez notre newsletter",
            "publicité",
            "lire aussi",
            "à lire aussi",
            "sur le même sujet",
            "articles liés",
            "nous utilisons des cookies",
            "ce site utilise des cookies",
            "accepter les cookies",
            "tous droits réservés",
            "© ",
            "suivez-nous",
        ]);
    breadcrumb || keywords || navigation
}

/// Whether `line` opens a comments section (`Commentaires (2)`, `3 commentaires`, `Réagir`).
fn opens_comments(line: &str) -> bool {
    let lower = line.trim().trim_end_matches(':').trim().to_lowercase();
    let bare = lower
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ')
        .trim_end_matches(|c: char| c.is_ascii_digit() || "() ".contains(c));
    matches!(
        bare,
        "commentaires" | "commentaire" | "réactions" | "réagir" | "vos réactions"
    )
}

/// The text version of [`extract`]: boilerplate sentences dropped, and a comments section.
fn retain_text(document: Document) -> Document {
    let mut keep = Vec::new();
    for block in &document.blocks {
        let mut in_comments = false;
        for unit in &block.units {
            for sentence in &unit.sentences {
                let text = document.source_of(sentence);
                in_comments |= opens_comments(text);
                keep.push(!in_comments && !is_boilerplate(text));
            }
        }
    }
    retain_sentences(document, &keep)
}

/// `document` with only the sentences whose flag is set (in document order), renumbered; units
/// and blocks left without sentences are dropped (code blocks stay). A unit or block that lost
/// its first or last sentences starts and ends with what is kept, so nothing dropped is copied
/// into the English.
pub(crate) fn retain_sentences(mut document: Document, keep: &[bool]) -> Document {
    let mut index = 0;
    let mut next = 0;
    document.blocks.retain_mut(|block| {
        if block.units.is_empty() {
            return true;
        }
        for unit in &mut block.units {
            let flag = |i: usize| keep.get(i).copied().unwrap_or(true);
            let count = unit.sentences.len();
            let (first_kept, last_kept) = (flag(index), flag(index + count.saturating_sub(1)));
            unit.sentences.retain_mut(|sentence| {
                let kept = flag(index);
                index += 1;
                if kept {
                    sentence.index = next;
                    next += 1;
                }
                kept
            });
            let (Some(first), Some(last)) = (unit.sentences.first(), unit.sentences.last()) else {
                continue;
            };
            let content = unit.content.clone();
            if !first_kept {
                unit.content.start = first.range.start.clamp(content.start, content.end);
                unit.marker = unit.content.start..unit.content.start;
            }
            if !last_kept {
                unit.content.end = last.range.end.clamp(unit.content.start, content.end);
            }
        }
        block.units.retain(|u| !u.sentences.is_empty());
        let (Some(first), Some(last)) = (block.units.first(), block.units.last()) else {
            return false;
        };
        let start = first.marker.start.min(first.content.start);
        block.range = block.range.start.max(start)..block.range.end.min(last.content.end);
        true
    });
    document
}

/// `document` with only the units whose flag is set (in document order) and the code blocks
/// `keep_code` accepts, renumbered; for an HTML document, the page's unit list follows.
fn retain_units(
    mut document: Document,
    keep: &[bool],
    keep_code: &dyn Fn(&std::ops::Range<usize>) -> bool,
) -> Document {
    let mut unit_index = 0;
    let mut next = 0;
    document.blocks.retain_mut(|block| {
        if block.units.is_empty() {
            return keep_code(&block.range);
        }
        block.units.retain_mut(|unit| {
            let kept = keep.get(unit_index).copied().unwrap_or(true);
            unit_index += 1;
            if kept {
                for sentence in &mut unit.sentences {
                    sentence.index = next;
                    next += 1;
                }
            }
            kept
        });
        !block.units.is_empty()
    });
    if let Some(html) = &mut document.html {
        let source: &mut HtmlSource = Arc::make_mut(html);
        let mut flags = keep.iter();
        source
            .units
            .retain(|_| flags.next().copied().unwrap_or(true));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_lines() {
        for line in [
            "Accueil> INTERNATIONAL",
            "Accueil > Monde > Europe",
            "Par : Justine | Mots clés : Finlande, Chine, commerce",
            "Retournez en haut de la page",
            "Partager sur Facebook",
            "Lire aussi : la Chine et l'Europe",
        ] {
            assert!(is_boilerplate(line), "{line}");
        }
        for line in [
            "La Finlande et la Chine signent onze accords de coopération",
            "French.china.org.cn | 18. 11. 2013",
            "Le président chinois a reçu lundi à Pékin son homologue finlandais.",
            "Une > deux",
        ] {
            assert!(!is_boilerplate(line), "{line}");
        }
        assert!(opens_comments("Commentaires (2)"));
        assert!(opens_comments("3 commentaires"));
        assert!(!opens_comments("Commentaires sur la réforme des retraites"));
    }
}
