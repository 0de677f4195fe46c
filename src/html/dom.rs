//! The page as a tree: an arena of nodes (indices, no reference counting, no recursion), each
//! element and text node remembering where it came from in the source.
//!
//! html5ever's tree builder calls the [`TreeSink`] methods of [`Sink`] while the tokenizer
//! ([`super::parse`]) feeds it tokens; before each token the tokenizer tells the sink the token's
//! byte span ([`Sink::set_token`]), so every node created or text appended during that token is
//! tied to the source:
//!
//! * an element made for a start tag of its own name gets that tag's span (`start_tag`), its
//!   content starting after it; an element the parser made up (an implied `<tbody>`, a formatting
//!   element reopened after a misnested tag) starts where the current token starts;
//! * an element closed by an end tag of its name gets that tag's span (`end_tag`); one closed
//!   implicitly ends where the token that closed it starts;
//! * text carries the spans of the source pieces it was decoded from ([`TextPiece`]).
//!
//! The tree is the one html5ever builds (the HTML5 tree-construction rules: implied and
//! misnested tags, foster parenting, adoption agency), except that elements nested deeper than
//! [`MAX_DEPTH`] are not created (like Chromium, which stops nesting at 512): see
//! [`Sink::too_deep`].

use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::ops::Range;

/// Where a text piece lies in the source, and its checkpoints (decoded offset, source offset).
type PieceSource = (Range<usize>, Vec<(usize, usize)>);

/// Index of a node in [`Dom::nodes`].
pub type NodeId = usize;

/// Deepest element nesting kept; start tags deeper than this are ignored (their text goes to the
/// element at this depth). Without a bound, html5ever's scope checks make deep nesting quadratic
/// (100,000 nested `<div>` took 75 s to parse).
pub(crate) const MAX_DEPTH: u32 = 512;

/// The parsed page.
#[derive(Debug, Clone, Default)]
pub struct Dom {
    /// Every node; index 0 is the document.
    pub nodes: Vec<Node>,
    /// Start tags ignored because they were nested deeper than `MAX_DEPTH`.
    pub too_deep: usize,
}

/// A node and its links to its neighbours.
#[derive(Debug, Clone)]
pub struct Node {
    /// The parent, none for the document and for detached nodes.
    pub parent: Option<NodeId>,
    /// First child.
    pub first_child: Option<NodeId>,
    /// Last child.
    pub last_child: Option<NodeId>,
    /// Previous sibling.
    pub previous: Option<NodeId>,
    /// Next sibling.
    pub next: Option<NodeId>,
    /// Depth when it was inserted (the document is 0).
    pub depth: u32,
    /// What the node is.
    pub data: NodeData,
}

/// What a node is.
#[derive(Debug, Clone)]
pub enum NodeData {
    /// The document (node 0).
    Document,
    /// `<!DOCTYPE …>`, with its span.
    Doctype(Option<Range<usize>>),
    /// An element.
    Element(Element),
    /// Text.
    Text(Text),
    /// A comment, with its span.
    Comment(Option<Range<usize>>),
    /// A processing instruction (only in foreign content) or a template's contents.
    Other,
}

/// An element and where it is in the source.
#[derive(Debug, Clone)]
pub struct Element {
    /// Its name (namespace and local name).
    pub name: QualName,
    /// Its attributes, in source order.
    pub attributes: Vec<Attr>,
    /// The span of its start tag (`<a href="…">`), when the element comes from one.
    pub start_tag: Option<Range<usize>>,
    /// Where its content starts in the source: after its start tag, or where the parser made it.
    pub content_start: usize,
    /// The span of the end tag that closed it, when one did.
    pub end_tag: Option<Range<usize>>,
    /// Where its content ends in the source, once it is closed.
    pub content_end: Option<usize>,
    /// The node holding a `<template>`'s contents.
    pub template_contents: Option<NodeId>,
}

impl Element {
    /// The local name when the element is in the HTML namespace (`p`, `a`…), else none.
    pub fn html_name(&self) -> Option<&str> {
        (self.name.ns == html5ever::ns!(html)).then(|| &*self.name.local)
    }

    /// The value of attribute `name` (no namespace), if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attribute(name).map(|a| a.value.as_str())
    }

    /// Attribute `name` (no namespace), if present.
    pub fn attribute(&self, name: &str) -> Option<&Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.ns == html5ever::ns!() && &*a.name.local == name)
    }
}

/// An attribute and where its value is in the source.
#[derive(Debug, Clone)]
pub struct Attr {
    /// The attribute's name.
    pub name: QualName,
    /// The value, character references decoded.
    pub value: String,
    /// The span of the value as written, without its quotes; none when the attribute has no value
    /// or did not come from the tag the element was made for.
    pub value_span: Option<Range<usize>>,
}

/// A text node: its decoded text and the source pieces it came from.
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// The text, character references decoded.
    pub text: String,
    /// Where each run of the text came from, in order.
    pub pieces: Vec<TextPiece>,
}

/// A run of a text node and the source bytes it was decoded from.
#[derive(Debug, Clone)]
pub struct TextPiece {
    /// The run's byte range in [`Text::text`].
    pub text: Range<usize>,
    /// The source bytes the run was decoded from.
    pub source: Range<usize>,
    /// Where the decoded text and the source stop being byte-for-byte equal: pairs of (offset in
    /// the run, offset in the source span) at the start of each character reference and just
    /// after it. Empty when the run is written without references.
    pub checkpoints: Vec<(usize, usize)>,
}

impl TextPiece {
    /// Source offset of the character that starts at `at` (an offset in the run).
    pub fn source_offset(&self, at: usize) -> usize {
        let (mut text_at, mut source_at) = (0, 0);
        for pair in self.checkpoints.chunks_exact(2) {
            let ((open_t, open_s), (close_t, close_s)) = (pair[0], pair[1]);
            if at < open_t {
                break;
            }
            if at < close_t {
                // Every character of a reference maps to the reference's start.
                return self.source.start + open_s;
            }
            (text_at, source_at) = (close_t, close_s);
        }
        (self.source.start + source_at + (at - text_at)).min(self.source.end)
    }

    /// Source offset just after the character that ends at `at` (an offset in the run).
    pub fn source_end(&self, at: usize) -> usize {
        let (mut text_at, mut source_at) = (0, 0);
        for pair in self.checkpoints.chunks_exact(2) {
            let ((open_t, _), (close_t, close_s)) = (pair[0], pair[1]);
            if at <= open_t {
                break;
            }
            if at <= close_t {
                return self.source.start + close_s;
            }
            (text_at, source_at) = (close_t, close_s);
        }
        (self.source.start + source_at + (at - text_at)).min(self.source.end)
    }
}

impl Dom {
    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The element `id`, if it is one.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.nodes.get(id)?.data {
            NodeData::Element(element) => Some(element),
            _ => None,
        }
    }

    /// The children of `id`, in order.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.nodes[id].first_child, move |&c| self.nodes[c].next)
    }

    /// `id` and every node below it, in document order (without recursion).
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants {
            dom: self,
            root: id,
            next: Some(id),
        }
    }

    /// The ancestors of `id`, nearest first.
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.nodes[id].parent, move |&p| self.nodes[p].parent)
    }

    /// The first element named `name` (HTML namespace) in document order.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.descendants(0)
            .find(|&id| self.element(id).and_then(Element::html_name) == Some(name))
    }

    /// Settles where each element ends: html5ever closes elements without telling its sink, so
    /// once the tree is built, each element's end tag is the first end tag of its name between
    /// the end of its last descendant and the start of whatever follows it in the tree; an
    /// element without one ends where that next node starts (the token that closed it).
    fn settle_ends(&mut self, end_tags: &[(String, Range<usize>)], source_len: usize) {
        let mut by_name: std::collections::HashMap<&str, Vec<Range<usize>>> =
            std::collections::HashMap::new();
        for (name, span) in end_tags {
            by_name.entry(name).or_default().push(span.clone());
        }
        for spans in by_name.values_mut() {
            spans.sort_by_key(|s| s.start);
        }
        let order: Vec<NodeId> = self.descendants(0).collect();
        let mut size = vec![1usize; self.nodes.len()];
        let mut subtree_end = vec![0usize; self.nodes.len()];
        let start_of = |node: &Node| match &node.data {
            NodeData::Element(e) => Some(e.start_tag.as_ref().map_or(e.content_start, |s| s.start)),
            NodeData::Text(t) => t.pieces.first().map(|p| p.source.start),
            NodeData::Comment(span) | NodeData::Doctype(span) => span.as_ref().map(|s| s.start),
            _ => None,
        };
        for (index, &id) in order.iter().enumerate().rev() {
            let node = &self.nodes[id];
            let own_end = match &node.data {
                NodeData::Element(e) => e.start_tag.as_ref().map_or(e.content_start, |s| s.end),
                NodeData::Text(t) => t.pieces.iter().map(|p| p.source.end).max().unwrap_or(0),
                NodeData::Comment(span) | NodeData::Doctype(span) => {
                    span.as_ref().map_or(0, |s| s.end)
                }
                _ => 0,
            };
            let mut lower = own_end;
            let mut child = node.first_child;
            while let Some(c) = child {
                lower = lower.max(subtree_end[c]);
                size[id] += size[c];
                child = self.nodes[c].next;
            }
            let upper = order[index + size[id]..]
                .iter()
                .find_map(|&n| start_of(&self.nodes[n]))
                .unwrap_or(source_len)
                .min(source_len);
            subtree_end[id] = lower;
            let NodeData::Element(element) = &mut self.nodes[id].data else {
                continue;
            };
            let found = by_name.get(&*element.name.local).and_then(|spans| {
                let i = spans.partition_point(|s| s.start < lower);
                spans.get(i).filter(|s| s.start <= upper).cloned()
            });
            match found {
                Some(span) => {
                    element.content_end = Some(span.start);
                    subtree_end[id] = span.end;
                    element.end_tag = Some(span);
                }
                None => element.content_end = Some(upper.max(lower)),
            }
        }
    }

    /// The text of `id` and its descendants, concatenated.
    pub fn text_content(&self, id: NodeId) -> String {
        let mut out = String::new();
        for node in self.descendants(id) {
            if let NodeData::Text(text) = &self.nodes[node].data {
                out.push_str(&text.text);
            }
        }
        out
    }
}

/// Iterator over a subtree in document order.
pub struct Descendants<'a> {
    dom: &'a Dom,
    root: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let current = self.next?;
        let nodes = &self.dom.nodes;
        self.next = nodes[current].first_child.or_else(|| {
            let mut at = current;
            loop {
                if at == self.root {
                    return None;
                }
                if let Some(next) = nodes[at].next {
                    return Some(next);
                }
                at = nodes[at].parent?;
            }
        });
        Some(current)
    }
}

/// What the tokenizer is handing the tree builder.
#[derive(Debug, Clone, Default)]
pub(super) enum Token {
    /// A start tag: its name, span and the spans of its attribute values (by attribute index).
    Start {
        name: String,
        span: Range<usize>,
        values: Vec<Option<Range<usize>>>,
    },
    /// An end tag.
    End(Range<usize>),
    /// Text: the decoded characters, their span, and the checkpoints of character references.
    Text {
        text: String,
        span: Range<usize>,
        checkpoints: Vec<(usize, usize)>,
        /// How far the tree builder has consumed `text`.
        cursor: usize,
    },
    /// Anything else (comment, doctype, end of input), with its span.
    Other(Range<usize>),
    #[default]
    None,
}

impl Token {
    fn span(&self) -> Range<usize> {
        match self {
            Token::Start { span, .. } | Token::End(span) | Token::Text { span, .. } => span.clone(),
            Token::Other(span) => span.clone(),
            Token::None => 0..0,
        }
    }
}

/// The tree builder's sink: builds a [`Dom`].
#[derive(Default)]
pub(super) struct Sink {
    dom: RefCell<Dom>,
    token: RefCell<Token>,
    /// The element made for the current start tag (made last if the parser made several).
    claimed: Cell<Option<NodeId>>,
    /// Depth of the last element inserted.
    last_depth: Cell<u32>,
    /// Every end tag read: its name and span.
    end_tags: RefCell<Vec<(String, Range<usize>)>>,
}

impl Sink {
    pub(super) fn new() -> Sink {
        let sink = Sink::default();
        sink.dom
            .borrow_mut()
            .nodes
            .push(Node::new(NodeData::Document));
        sink
    }

    /// Tells the sink which token the tree builder is about to process.
    pub(super) fn set_token(&self, token: Token) {
        *self.token.borrow_mut() = token;
        self.claimed.set(None);
    }

    /// Whether a start tag now would nest deeper than [`MAX_DEPTH`]; counts it if so.
    pub(super) fn too_deep(&self) -> bool {
        let deep = self.last_depth.get() >= MAX_DEPTH;
        if deep {
            self.dom.borrow_mut().too_deep += 1;
        }
        deep
    }

    /// Records an end tag the tree builder is about to process. An end tag usually closes the
    /// innermost element: the depth guess for [`Sink::too_deep`] goes up one level.
    pub(super) fn end_tag(&self, name: &str, span: Range<usize>) {
        self.end_tags.borrow_mut().push((name.to_string(), span));
        self.last_depth.set(self.last_depth.get().saturating_sub(1));
    }

    /// The tree, with where each element ends settled (see [`Dom::settle_ends`]).
    pub(super) fn into_dom(self, source_len: usize) -> Dom {
        let mut dom = self.dom.into_inner();
        dom.settle_ends(&self.end_tags.into_inner(), source_len);
        dom
    }

    fn add(&self, data: NodeData) -> NodeId {
        let mut dom = self.dom.borrow_mut();
        dom.nodes.push(Node::new(data));
        dom.nodes.len() - 1
    }

    /// A text node holding `text`, tied to the current token; or `text` appended to `existing`.
    fn text_piece(&self, text: &str) -> (String, Option<PieceSource>) {
        let mut token = self.token.borrow_mut();
        let Token::Text {
            text: decoded,
            span,
            checkpoints,
            cursor,
        } = &mut *token
        else {
            return (text.to_string(), None);
        };
        // The tree builder hands the token's characters over in order, possibly dropping some
        // (a NUL, the newline after `<pre>`): find this run at or after the cursor.
        let Some(found) = decoded.get(*cursor..).and_then(|rest| rest.find(text)) else {
            return (text.to_string(), None);
        };
        let start = *cursor + found;
        let end = start + text.len();
        *cursor = end;
        let piece = TextPiece {
            text: 0..decoded.len(),
            source: span.clone(),
            checkpoints: checkpoints.clone(),
        };
        let source = piece.source_offset(start)..piece.source_end(end);
        // References never straddle the runs the builder cuts (at whitespace and NULs). Where the
        // token could not be aligned with its source (one pair covering it all: the tokenizer
        // changed characters, e.g. a NUL), a run is mapped as a whole, never byte for byte.
        let straddles = checkpoints.chunks_exact(2).any(|pair| {
            pair[0].0 < end && pair[1].0 > start && (pair[0].0 < start || pair[1].0 > end)
        });
        let local: Vec<(usize, usize)> = if straddles {
            vec![(0, 0), (text.len(), source.len())]
        } else {
            checkpoints
                .chunks_exact(2)
                .filter(|pair| pair[0].0 >= start && pair[1].0 <= end)
                .flatten()
                .map(|&(t, s)| (t - start, s + span.start - source.start))
                .collect()
        };
        (text.to_string(), Some((source, local)))
    }

    fn append_text(&self, parent: NodeId, before: Option<NodeId>, text: &str) {
        let (text, origin) = self.text_piece(text);
        let mut dom = self.dom.borrow_mut();
        let neighbour = match before {
            Some(sibling) => dom.nodes[sibling].previous,
            None => dom.nodes[parent].last_child,
        };
        let target = neighbour.filter(|&n| matches!(dom.nodes[n].data, NodeData::Text(_)));
        let id = match target {
            Some(id) => id,
            None => {
                dom.nodes.push(Node::new(NodeData::Text(Text::default())));
                let id = dom.nodes.len() - 1;
                link(&mut dom, parent, before, id);
                id
            }
        };
        if let NodeData::Text(node) = &mut dom.nodes[id].data {
            let start = node.text.len();
            node.text.push_str(&text);
            if let Some((source, checkpoints)) = origin {
                node.pieces.push(TextPiece {
                    text: start..node.text.len(),
                    source,
                    checkpoints,
                });
            }
        }
    }

    fn insert(&self, parent: NodeId, before: Option<NodeId>, child: NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendNode(id) => {
                let mut dom = self.dom.borrow_mut();
                detach(&mut dom, id);
                link(&mut dom, parent, before, id);
                if matches!(dom.nodes[id].data, NodeData::Element(_)) {
                    self.last_depth.set(dom.nodes[id].depth);
                }
            }
            NodeOrText::AppendText(text) => self.append_text(parent, before, &text),
        }
    }
}

impl Node {
    fn new(data: NodeData) -> Node {
        Node {
            parent: None,
            first_child: None,
            last_child: None,
            previous: None,
            next: None,
            depth: 0,
            data,
        }
    }
}

/// Removes `id` from its parent's children.
fn detach(dom: &mut Dom, id: NodeId) {
    let Some(parent) = dom.nodes[id].parent.take() else {
        return;
    };
    let (previous, next) = (dom.nodes[id].previous.take(), dom.nodes[id].next.take());
    match previous {
        Some(p) => dom.nodes[p].next = next,
        None => dom.nodes[parent].first_child = next,
    }
    match next {
        Some(n) => dom.nodes[n].previous = previous,
        None => dom.nodes[parent].last_child = previous,
    }
}

/// Makes the detached `id` a child of `parent`, before `before` or last.
fn link(dom: &mut Dom, parent: NodeId, before: Option<NodeId>, id: NodeId) {
    let depth = dom.nodes[parent].depth.saturating_add(1);
    let node = &mut dom.nodes[id];
    node.parent = Some(parent);
    node.depth = depth;
    match before {
        Some(sibling) => {
            let previous = dom.nodes[sibling].previous;
            dom.nodes[id].previous = previous;
            dom.nodes[id].next = Some(sibling);
            dom.nodes[sibling].previous = Some(id);
            match previous {
                Some(p) => dom.nodes[p].next = Some(id),
                None => dom.nodes[parent].first_child = Some(id),
            }
        }
        None => {
            let last = dom.nodes[parent].last_child;
            dom.nodes[id].previous = last;
            match last {
                Some(l) => dom.nodes[l].next = Some(id),
                None => dom.nodes[parent].first_child = Some(id),
            }
            dom.nodes[parent].last_child = Some(id);
        }
    }
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Dom;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Dom {
        self.into_dom(usize::MAX)
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &NodeId) -> Ref<'a, QualName> {
        Ref::map(self.dom.borrow(), |dom| match &dom.nodes[*target].data {
            NodeData::Element(element) => &element.name,
            // html5ever asks only for elements' names; a stable dummy for anything else.
            _ => &PLACEHOLDER_NAME,
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        let token = self.token.borrow().clone();
        let (start_tag, content_start, values) = match &token {
            Token::Start {
                name: tag,
                span,
                values,
            } if *tag == *name.local => (Some(span.clone()), span.end, values.clone()),
            other => (None, other.span().start, Vec::new()),
        };
        let attributes = attrs
            .into_iter()
            .enumerate()
            .map(|(i, a)| Attr {
                name: a.name,
                value: a.value.to_string(),
                value_span: values.get(i).cloned().flatten(),
            })
            .collect();
        let id = self.add(NodeData::Element(Element {
            name,
            attributes,
            start_tag: start_tag.clone(),
            content_start,
            end_tag: None,
            content_end: None,
            template_contents: None,
        }));
        if start_tag.is_some() {
            // Only the element made last for a start tag is the tag's own (a misnested
            // formatting element reopened first may share its name).
            if let Some(previous) = self.claimed.replace(Some(id)) {
                if let NodeData::Element(e) = &mut self.dom.borrow_mut().nodes[previous].data {
                    e.start_tag = None;
                    e.content_start = token.span().start;
                    for attr in &mut e.attributes {
                        attr.value_span = None;
                    }
                }
            }
        }
        if flags.template {
            let contents = self.add(NodeData::Other);
            if let NodeData::Element(e) = &mut self.dom.borrow_mut().nodes[id].data {
                e.template_contents = Some(contents);
            }
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        let span = self.token.borrow().span();
        self.add(NodeData::Comment(Some(span)))
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.add(NodeData::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.insert(*parent, None, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let has_parent = self.dom.borrow().nodes[*element].parent.is_some();
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {
        let span = self.token.borrow().span();
        let id = self.add(NodeData::Doctype(Some(span)));
        link(&mut self.dom.borrow_mut(), 0, None, id);
    }

    fn pop(&self, node: &NodeId) {
        let depth = self.dom.borrow().nodes[*node].depth;
        self.last_depth.set(depth.saturating_sub(1));
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.dom
            .borrow()
            .element(*target)
            .and_then(|e| e.template_contents)
            .unwrap_or(*target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let parent = self.dom.borrow().nodes[*sibling].parent;
        match parent {
            Some(parent) => self.insert(parent, Some(*sibling), new_node),
            None => {
                if let NodeOrText::AppendNode(id) = new_node {
                    detach(&mut self.dom.borrow_mut(), id);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        let mut dom = self.dom.borrow_mut();
        if let NodeData::Element(element) = &mut dom.nodes[*target].data {
            for attr in attrs {
                if !element.attributes.iter().any(|a| a.name == attr.name) {
                    element.attributes.push(Attr {
                        name: attr.name,
                        value: attr.value.to_string(),
                        value_span: None,
                    });
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        detach(&mut self.dom.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut dom = self.dom.borrow_mut();
        while let Some(child) = dom.nodes[*node].first_child {
            detach(&mut dom, child);
            link(&mut dom, *new_parent, None, child);
        }
    }
}

static PLACEHOLDER_NAME: std::sync::LazyLock<QualName> = std::sync::LazyLock::new(|| {
    QualName::new(None, html5ever::ns!(html), html5ever::local_name!("div"))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_inside_and_around_references() {
        // "a&amp;b" decodes to "a&b": the reference is text 1..2, source 1..6.
        let piece = TextPiece {
            text: 0..3,
            source: 10..17,
            checkpoints: vec![(1, 1), (2, 6)],
        };
        assert_eq!(piece.source_offset(0), 10);
        assert_eq!(piece.source_offset(1), 11);
        assert_eq!(piece.source_offset(2), 16);
        assert_eq!(piece.source_end(1), 11);
        assert_eq!(piece.source_end(2), 16);
        assert_eq!(piece.source_end(3), 17);
    }
}
