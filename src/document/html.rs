//! HTML input as a [`Document`]: the page's text in blocks, units and sentences, with its inline
//! markup carried as [`Tag`]s and every range a byte range into the decoded page.
//!
//! # What is translated
//!
//! Walking the tree ([`crate::html::parse`]) in document order, without recursion:
//! * every maximal run of text and inline markup (`a`, `em`, `strong`, `span`, `br`…; see
//!   [`crate::html::role`]) inside one block element (`p`, `h1`–`h6`, `li`, `td`, `th`,
//!   `blockquote`, `figcaption`, `dt`, `dd`, `div`, `title`…) is a unit: a paragraph, a heading
//!   (`h1`–`h6`, and `title` as a level-1 heading) or a list item (`li`);
//! * the `alt` and `title` attributes of `img` and the `title` of `a` are units of their own,
//!   after the unit holding the element;
//! * never translated: `script`, `style`, `template`, `noscript`, SVG and MathML, media and form
//!   fields, comments, the head except its `title`, `pre` (kept as a code block), and any element
//!   with `translate="no"`, the class `notranslate`, or a `lang` other than French (below
//!   `<body>`);
//! * `code`, `kbd`, `samp`, `var` and text-level elements that keep their language stay in the
//!   sentence for the model as `` `their text` `` (which the fidelity guard protects), and are
//!   written back unchanged.
//!
//! Whitespace is collapsed as a browser renders it (a run becomes one space); `<br>` is a line
//! break, which the segmenter reads as it reads one in plain text.
//!
//! # Ranges
//!
//! A sentence's range runs from its first to its last character in the source (a character
//! reference counts as the character), widened over the tags of elements that open and close
//! inside it, so `<a href="…">Le chat</a> dort.` is one range. Ranges of attribute units lie
//! inside the range of the unit holding the element, so block ranges of an HTML document are in
//! order of their start but may nest.
//!
//! # Markup
//!
//! Each unit remembers its *slots*: the source text between two consecutive tags, which the page
//! writer replaces by the English between the same two tags once [`super::markup`] has placed
//! them; tags themselves are never rewritten.

use super::sentences::sanitize_ranges;
use super::{
    Block, BlockKind, Document, InlineText, Link, SourceSentence, Syntax, Tag, TagKind, Unit,
    UnitKind,
};
use crate::html::{self, Dom, Element, NodeData, NodeId, Role, TextPiece};
use crate::segment::segment;
use std::ops::Range;
use std::sync::Arc;

/// What an HTML document keeps of its page: the tree and where each unit's text lies.
#[derive(Debug, Clone)]
pub struct HtmlSource {
    /// The parsed page.
    pub dom: Dom,
    /// One per unit of the document, in document order.
    pub units: Vec<UnitSource>,
    /// With `--article`: how the page writer writes the article alone (see
    /// [`crate::article`]).
    pub article: Option<crate::article::ArticleLayout>,
}

/// Where a unit's text lies in the page.
#[derive(Debug, Clone)]
pub struct UnitSource {
    /// The block element holding the unit (for an attribute unit: the element with the
    /// attribute).
    pub container: NodeId,
    /// The unit's text in the source, from its first to its last character.
    pub content: Range<usize>,
    /// Text between tags, or an attribute value.
    pub place: UnitPlace,
}

/// The kind of text a unit is.
#[derive(Debug, Clone)]
pub enum UnitPlace {
    /// Text and inline markup: one slot before the first tag, one between each two tags, one
    /// after the last (the tags of all the unit's sentences, in order).
    Text(Vec<Slot>),
    /// An attribute value; the span excludes the quotes.
    Attribute(Range<usize>),
}

/// The source text between two consecutive tags of a unit.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The source spans of the text there (usually one text node).
    pub ranges: Vec<Range<usize>>,
    /// Where text can be inserted when the slot has none in the source.
    pub anchor: Option<usize>,
    /// Inside a verbatim element: never rewritten.
    pub verbatim: bool,
}

/// Parses an HTML page into a document (see the module docs).
pub(super) fn parse(source: String) -> Document {
    let dom = html::parse(&source);
    let mut walker = Walker {
        dom: &dom,
        source: &source,
        blocks: Vec::new(),
        units: Vec::new(),
        next_index: 0,
        current: None,
        pending_attributes: Vec::new(),
        containers: vec![0],
    };
    walker.walk();
    let Walker { blocks, units, .. } = walker;
    Document {
        syntax: Syntax::Html,
        blocks,
        html: Some(Arc::new(HtmlSource {
            dom,
            units,
            article: None,
        })),
        source,
    }
}

enum Step {
    Enter(NodeId),
    Exit(NodeId),
}

struct Walker<'a> {
    dom: &'a Dom,
    source: &'a str,
    blocks: Vec<Block>,
    units: Vec<UnitSource>,
    next_index: usize,
    current: Option<Builder>,
    /// Attribute units waiting for the unit holding their element.
    pending_attributes: Vec<(NodeId, Range<usize>, String)>,
    /// The block elements entered, innermost last.
    containers: Vec<NodeId>,
}

impl Walker<'_> {
    fn walk(&mut self) {
        let dom = self.dom;
        let mut stack = vec![Step::Enter(0)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Exit(id) => match html::role(dom.element(id).and_then(Element::html_name)) {
                    Role::Inline => self.tag(id, TagKind::Close),
                    _ => {
                        self.flush();
                        self.containers.pop();
                    }
                },
                Step::Enter(id) => match &dom.nodes[id].data {
                    NodeData::Document | NodeData::Other => push_children(dom, id, &mut stack),
                    NodeData::Doctype(_) => {}
                    NodeData::Comment(_) => {
                        if self.current.is_some() {
                            self.tag(id, TagKind::Void);
                        }
                    }
                    NodeData::Text(text) => self.text(text),
                    NodeData::Element(element) => self.enter(id, element, &mut stack),
                },
            }
        }
        self.flush();
    }

    fn enter(&mut self, id: NodeId, element: &Element, stack: &mut Vec<Step>) {
        let name = element.html_name();
        if name == Some("head") {
            // Of the head, only the title is text a reader sees.
            for child in self.dom.children(id).collect::<Vec<_>>().into_iter().rev() {
                if self.dom.element(child).and_then(Element::html_name) == Some("title") {
                    stack.push(Step::Enter(child));
                }
            }
            return;
        }
        let keeps = !matches!(name, Some("html" | "body")) && html::keeps_its_language(element);
        match (html::role(name), keeps) {
            (Role::Skip, _) => {
                if self.current.is_some() {
                    self.tag(id, TagKind::Void);
                }
            }
            (Role::Preformatted, _) => {
                self.flush();
                self.code_block(element);
            }
            (Role::Block, true) => self.flush(),
            (Role::Block, false) => {
                self.flush();
                self.containers.push(id);
                stack.push(Step::Exit(id));
                push_children(self.dom, id, stack);
            }
            (Role::InlineVerbatim, _) | (Role::Inline | Role::InlineVoid, true) => {
                self.verbatim(id, element)
            }
            (Role::Inline, false) => {
                self.tag(id, TagKind::Open);
                self.attribute_units(id, element, &["title"]);
                stack.push(Step::Exit(id));
                push_children(self.dom, id, stack);
            }
            (Role::InlineVoid, false) => {
                if self.current.is_some() || name == Some("br") {
                    self.tag(id, TagKind::Void);
                }
                if name == Some("img") {
                    self.attribute_units(id, element, &["alt", "title"]);
                }
                if name == Some("br") {
                    if let Some(builder) = &mut self.current {
                        let at = element.start_tag.clone().unwrap_or(0..0);
                        builder.space = None;
                        builder.push_char('\n', at.start..at.start);
                    }
                }
            }
        }
    }

    fn builder(&mut self) -> &mut Builder {
        let container = *self.containers.last().unwrap_or(&0);
        self.current.get_or_insert_with(|| Builder::new(container))
    }

    fn tag(&mut self, id: NodeId, kind: TagKind) {
        let href = (kind == TagKind::Open)
            .then(|| self.dom.element(id))
            .flatten()
            .filter(|e| e.html_name() == Some("a"))
            .and_then(|e| e.attr("href"))
            .map(str::to_string);
        let builder = self.builder();
        if kind.opens() {
            builder.flush_space();
        }
        if let Some(href) = href {
            builder.links.push((builder.tags.len(), href));
        }
        builder.tags.push(Tag {
            at: builder.text.len(),
            node: id,
            kind,
        });
        builder.slots.push(Slot::default());
    }

    fn text(&mut self, text: &html::Text) {
        if self.current.is_none() && text.text.chars().all(is_html_space) {
            return;
        }
        let builder = self.builder();
        let fallback = builder.chunks.last().map_or(0, |c| c.source.end);
        let whole = [TextPiece {
            text: 0..text.text.len(),
            source: fallback..fallback,
            checkpoints: vec![(0, 0), (text.text.len(), 0)],
        }];
        let pieces = if text.pieces.is_empty() {
            &whole[..]
        } else {
            &text.pieces[..]
        };
        for piece in pieces {
            let run = &text.text[piece.text.clone()];
            for (k, c) in run.char_indices() {
                if is_html_space(c) {
                    builder.space.get_or_insert(piece.source_offset(k));
                } else {
                    builder.flush_space();
                    let source = piece.source_offset(k)..piece.source_end(k + c.len_utf8());
                    builder.push_char(c, source);
                }
            }
            if let Some(slot) = builder.slots.last_mut() {
                slot.ranges.push(piece.source.clone());
            }
        }
    }

    /// An element whose content stays as it is: shown to the model in backticks.
    fn verbatim(&mut self, id: NodeId, element: &Element) {
        let content: String = collapse(&self.dom.text_content(id));
        if content.is_empty() || content.contains('`') {
            if self.current.is_some() {
                self.tag(id, TagKind::Void);
            }
            return;
        }
        self.tag(id, TagKind::VerbatimOpen);
        let source = element.content_start..element.content_end.unwrap_or(element.content_start);
        let builder = self.builder();
        if let Some(slot) = builder.slots.last_mut() {
            slot.verbatim = true;
        }
        builder.push_str(&format!("`{content}`"), source);
        self.tag(id, TagKind::VerbatimClose);
    }

    fn code_block(&mut self, element: &Element) {
        let start = element.content_start;
        let end = element.content_end.unwrap_or(start).max(start);
        if self.source[start..end].trim().is_empty() {
            return;
        }
        self.blocks.push(Block {
            kind: BlockKind::Code,
            range: start..end,
            units: Vec::new(),
        });
    }

    /// Queues the attributes `names` of `element` that hold text as units of their own.
    fn attribute_units(&mut self, id: NodeId, element: &Element, names: &[&str]) {
        for name in names {
            let Some(attr) = element.attribute(name) else {
                continue;
            };
            let Some(span) = attr.value_span.clone() else {
                continue;
            };
            if attr.value.chars().any(char::is_alphanumeric) {
                self.pending_attributes.push((id, span, attr.value.clone()));
            }
        }
        if self.current.is_none() {
            self.flush_attributes();
        }
    }

    /// Ends the current unit, and adds the attribute units waiting for it.
    fn flush(&mut self) {
        if let Some(builder) = self.current.take() {
            self.finish(builder);
        }
        self.flush_attributes();
    }

    fn flush_attributes(&mut self) {
        for (id, span, value) in std::mem::take(&mut self.pending_attributes) {
            let mut builder = Builder::new(id);
            let piece = TextPiece {
                text: 0..value.len(),
                source: span.clone(),
                checkpoints: html::checkpoints(&value, &self.source[span.clone()]),
            };
            for (k, c) in value.char_indices() {
                if is_html_space(c) {
                    builder.space.get_or_insert(piece.source_offset(k));
                } else {
                    builder.flush_space();
                    builder.push_char(
                        c,
                        piece.source_offset(k)..piece.source_end(k + c.len_utf8()),
                    );
                }
            }
            self.add_unit(builder, BlockKind::Paragraph, UnitKind::Text, Some(span));
        }
    }

    fn finish(&mut self, builder: Builder) {
        let container = self.dom.element(builder.container);
        let name = container.and_then(Element::html_name).unwrap_or("");
        let quoted = std::iter::once(builder.container)
            .chain(self.dom.ancestors(builder.container))
            .any(|a| self.dom.element(a).and_then(Element::html_name) == Some("blockquote"));
        let (block, unit) = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name.as_bytes()[1] - b'0';
                (BlockKind::Heading { level }, UnitKind::Heading { level })
            }
            "title" => (
                BlockKind::Heading { level: 1 },
                UnitKind::Heading { level: 1 },
            ),
            "li" => (BlockKind::List, UnitKind::ListItem),
            _ if quoted => (BlockKind::Quote, UnitKind::Text),
            _ => (BlockKind::Paragraph, UnitKind::Text),
        };
        self.add_unit(builder, block, unit, None);
    }

    fn add_unit(
        &mut self,
        mut builder: Builder,
        block_kind: BlockKind,
        unit_kind: UnitKind,
        attribute: Option<Range<usize>>,
    ) {
        builder.trim_end();
        if builder.text.chars().all(char::is_whitespace) {
            return;
        }
        let text = &builder.text;
        let found = segment(text).into_iter().map(|s| s.range);
        let ranges = keep_verbatim_whole(sanitize_ranges(text, found), &builder.tags);
        let owned = owners(&builder.tags, &ranges);
        let mut sentences = Vec::with_capacity(ranges.len());
        let mut previous_end = 0;
        for (k, range) in ranges.iter().enumerate() {
            let tags: Vec<Tag> = owned
                .iter()
                .filter(|(sentence, _, _)| *sentence == k)
                .map(|&(_, i, at)| Tag {
                    at,
                    ..builder.tags[i]
                })
                .collect();
            let sentence_text = text[range.clone()].replace('\n', " ");
            let links = sentence_links(&builder, &owned, k, sentence_text.len());
            let mut source_range = builder.source_start(range.start)..builder.source_end(range.end);
            widen_over_tags(self.dom, &mut source_range, &tags, sentence_text.len());
            source_range.start = source_range.start.max(previous_end);
            source_range.end = source_range.end.max(source_range.start);
            previous_end = source_range.end;
            let line_break_before = k > 0 && text[ranges[k - 1].end..range.start].contains('\n');
            sentences.push(SourceSentence {
                index: self.next_index,
                range: source_range,
                line_break_before,
                text: InlineText {
                    text: sentence_text,
                    links,
                    tags,
                },
            });
            self.next_index += 1;
        }
        let content = builder.source_start(0)..builder.source_end(builder.text.len());
        let content = content.start..content.end.max(content.start);
        let container = builder.container;
        let place = match attribute {
            Some(span) => UnitPlace::Attribute(span),
            None => UnitPlace::Text(builder.slots_with_anchors(self.dom)),
        };
        self.units.push(UnitSource {
            container,
            content: content.clone(),
            place,
        });
        self.blocks.push(Block {
            kind: block_kind,
            range: content.clone(),
            units: vec![Unit {
                kind: unit_kind,
                marker: content.start..content.start,
                content,
                continuation: String::new(),
                sentences,
            }],
        });
    }
}

fn push_children(dom: &Dom, id: NodeId, stack: &mut Vec<Step>) {
    let first = stack.len();
    stack.extend(dom.children(id).map(Step::Enter));
    stack[first..].reverse();
}

/// The whitespace HTML collapses.
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// `text` with every whitespace run made one space, trimmed.
fn collapse(text: &str) -> String {
    text.split(is_html_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run of projected text and the source bytes it comes from.
#[derive(Debug, Clone)]
struct Chunk {
    projected: usize,
    source: Range<usize>,
    /// Projected and source bytes are the same, one for one.
    linear: bool,
}

/// A unit being collected.
struct Builder {
    container: NodeId,
    /// The text as the segmenter sees it: whitespace collapsed, `\n` for `<br>`.
    text: String,
    chunks: Vec<Chunk>,
    tags: Vec<Tag>,
    slots: Vec<Slot>,
    /// Source offset of whitespace not yet written (written as one space before the next
    /// character, if any).
    space: Option<usize>,
    /// Links: the index of their opening tag and their `href`.
    links: Vec<(usize, String)>,
}

impl Builder {
    fn new(container: NodeId) -> Builder {
        Builder {
            container,
            text: String::new(),
            chunks: Vec::new(),
            tags: Vec::new(),
            slots: vec![Slot::default()],
            space: None,
            links: Vec::new(),
        }
    }

    fn flush_space(&mut self) {
        if let Some(at) = self.space.take() {
            if !self.text.is_empty() && !self.text.ends_with('\n') {
                self.push_char(' ', at..at + 1);
            }
        }
    }

    fn push_char(&mut self, c: char, source: Range<usize>) {
        let linear = source.len() == c.len_utf8();
        let projected = self.text.len();
        self.text.push(c);
        if let Some(last) = self.chunks.last_mut() {
            let continues = last.linear
                && linear
                && last.projected + last.source.len() == projected
                && last.source.end == source.start;
            if continues {
                last.source.end = source.end;
                return;
            }
        }
        self.chunks.push(Chunk {
            projected,
            source,
            linear,
        });
    }

    fn push_str(&mut self, text: &str, source: Range<usize>) {
        self.chunks.push(Chunk {
            projected: self.text.len(),
            source,
            linear: false,
        });
        self.text.push_str(text);
    }

    /// Drops trailing whitespace; tags after the end move to the end.
    fn trim_end(&mut self) {
        let len = self.text.trim_end().len();
        self.text.truncate(len);
        for tag in &mut self.tags {
            tag.at = tag.at.min(len);
        }
        self.chunks.retain(|c| c.projected < len || len == 0);
    }

    fn chunk(&self, at: usize) -> Option<&Chunk> {
        let index = self.chunks.partition_point(|c| c.projected <= at);
        self.chunks.get(index.checked_sub(1)?)
    }

    /// Source offset of the character at projected offset `at`.
    fn source_start(&self, at: usize) -> usize {
        match self.chunk(at) {
            Some(c) if c.linear => (c.source.start + at - c.projected).min(c.source.end),
            Some(c) => c.source.start,
            None => 0,
        }
    }

    /// Source offset after the character that ends at projected offset `at`.
    fn source_end(&self, at: usize) -> usize {
        let Some(last) = self.text[..at].chars().next_back() else {
            return self.source_start(0);
        };
        match self.chunk(at - last.len_utf8()) {
            Some(c) if c.linear => (c.source.start + at - c.projected).min(c.source.end),
            Some(c) => c.source.end,
            None => 0,
        }
    }

    /// The slots, each with where text may be inserted when it has none: after the tag before
    /// it, else before the tag after it.
    fn slots_with_anchors(mut self, dom: &Dom) -> Vec<Slot> {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let after = i
                .checked_sub(1)
                .and_then(|t| self.tags.get(t))
                .and_then(|t| tag_edge(dom, t, true));
            let before = self.tags.get(i).and_then(|t| tag_edge(dom, t, false));
            slot.anchor = after.or(before);
        }
        self.slots
    }
}

/// Where tag `tag` ends (`after`) or starts in the source, when it was written there.
fn tag_edge(dom: &Dom, tag: &Tag, after: bool) -> Option<usize> {
    match &dom.nodes.get(tag.node)?.data {
        NodeData::Comment(span) => span.as_ref().map(|s| if after { s.end } else { s.start }),
        NodeData::Element(e) => match tag.kind {
            TagKind::Open | TagKind::VerbatimOpen | TagKind::Void => e
                .start_tag
                .as_ref()
                .map(|s| if after { s.end } else { s.start }),
            TagKind::Close | TagKind::VerbatimClose => {
                e.end_tag
                    .as_ref()
                    .map(|s| if after { s.end } else { s.start })
            }
        },
        _ => None,
    }
}

/// Merges consecutive sentences a verbatim element straddles.
fn keep_verbatim_whole(ranges: Vec<Range<usize>>, tags: &[Tag]) -> Vec<Range<usize>> {
    let spans: Vec<Range<usize>> = tags
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TagKind::VerbatimOpen)
        .filter_map(|(i, open)| {
            let close = tags[i..]
                .iter()
                .find(|t| t.kind == TagKind::VerbatimClose)?;
            Some(open.at..close.at)
        })
        .collect();
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if let Some(last) = merged.last_mut() {
            if spans
                .iter()
                .any(|s| s.start < last.end && s.end > range.start)
            {
                last.end = range.end;
                continue;
            }
        }
        merged.push(range);
    }
    merged
}

/// Which sentence owns each tag, and where in it: `(sentence, tag index, offset)`, in tag order.
///
/// A tag inside a sentence belongs to it. Tags between two sentences belong to the one before,
/// from the first opening tag on to the one after (so an element that starts before a sentence
/// starts with it); tags before the first sentence belong to it, tags after the last to it.
fn owners(tags: &[Tag], ranges: &[Range<usize>]) -> Vec<(usize, usize, usize)> {
    let m = ranges.len();
    let mut out = Vec::with_capacity(tags.len());
    let mut gap_seen_open: Option<usize> = None;
    for (i, tag) in tags.iter().enumerate() {
        let p = tag.at;
        let gap = ranges.partition_point(|r| r.end <= p);
        if gap < m && ranges[gap].start < p {
            out.push((gap, i, p - ranges[gap].start));
            continue;
        }
        let next_sentence =
            gap == 0 || (gap < m && (gap_seen_open == Some(gap) || tag.kind.opens()));
        if tag.kind.opens() {
            gap_seen_open = Some(gap);
        }
        if next_sentence && gap < m {
            out.push((gap, i, 0));
        } else {
            let k = gap.saturating_sub(1).min(m.saturating_sub(1));
            out.push((k, i, ranges[k].len()));
        }
    }
    out
}

/// The links of sentence `k`: each `<a href>` that has text in it.
fn sentence_links(
    builder: &Builder,
    owned: &[(usize, usize, usize)],
    k: usize,
    len: usize,
) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    for (open_index, href) in &builder.links {
        let node = builder.tags[*open_index].node;
        let (open_sentence, _, open_at) = owned[*open_index];
        let close = owned
            .iter()
            .find(|&&(_, i, _)| i > *open_index && builder.tags[i].node == node);
        let (close_sentence, close_at) = close.map_or((usize::MAX, len), |&(s, _, at)| (s, at));
        if open_sentence > k || close_sentence < k {
            continue;
        }
        let start = if open_sentence == k { open_at } else { 0 };
        let end = if close_sentence == k { close_at } else { len };
        let overlaps = links.last().is_some_and(|l| l.range.end > start);
        if start < end && !overlaps {
            let destination = if href.contains(char::is_whitespace) || href.contains(['(', ')']) {
                format!("<{href}>")
            } else {
                href.clone()
            };
            links.push(Link {
                range: start..end,
                destination,
                image: false,
            });
        }
    }
    links
}

/// Widens `range` over the tags at the sentence's edges whose element lies wholly in it.
fn widen_over_tags(dom: &Dom, range: &mut Range<usize>, tags: &[Tag], len: usize) {
    let inside = |tag: &Tag| {
        matches!(tag.kind, TagKind::Void)
            || tags
                .iter()
                .any(|t| t.node == tag.node && t.kind.opens() != tag.kind.opens())
    };
    for tag in tags.iter().rev().filter(|t| t.at == 0) {
        match tag_edge(dom, tag, false) {
            Some(start) if inside(tag) && !tag.kind.closes() && start <= range.start => {
                range.start = start
            }
            _ => break,
        }
    }
    for tag in tags.iter().filter(|t| t.at == len) {
        match tag_edge(dom, tag, true) {
            Some(end) if inside(tag) && !tag.kind.opens() && end >= range.end => range.end = end,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_between_sentences_go_to_the_right_side() {
        let tag = |at, kind| Tag { at, node: 0, kind };
        let ranges = [0..10, 12..20];
        let tags = [
            tag(10, TagKind::Close),
            tag(11, TagKind::Void),
            tag(11, TagKind::Open),
            tag(11, TagKind::Void),
            tag(15, TagKind::Close),
            tag(20, TagKind::Void),
        ];
        assert_eq!(
            owners(&tags, &ranges),
            [
                (0, 0, 10),
                (0, 1, 10),
                (1, 2, 0),
                (1, 3, 0),
                (1, 4, 3),
                (1, 5, 8)
            ]
        );
    }
}
