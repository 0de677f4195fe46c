//! Tokenizing with byte spans (html5gum) and tree construction (html5ever).
//!
//! html5ever's own tokenizer reports no source positions, so html5gum's WHATWG tokenizer feeds
//! html5ever's tree builder instead, token by token: before each token the [`Sink`] learns the
//! token's span, and after each start tag the tokenizer switches state as the tree builder says
//! (RCDATA in `<title>`, raw text in `<style>`, script data in `<script>`…), exactly as the
//! HTML standard couples the two stages.
//!
//! A text token's characters are decoded (`&amp;` is `&`); [`checkpoints`] finds where each
//! character reference sits, so every decoded character maps back to its source bytes.

use super::dom::{Dom, NodeId, Sink, Token};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Doctype, Tag, TagKind, Token as TreeToken, TokenSink, TokenSinkResult};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};
use html5ever::{Attribute, LocalName, QualName};
use html5gum::emitters::callback::{Callback, CallbackEmitter, CallbackEvent};
use html5gum::{Emitter, ForwardingEmitter, Span, State, Tokenizer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::Range;

/// Parses `source` into a tree (see the module docs). Never fails: any input is some HTML.
pub fn parse(source: &str) -> Dom {
    let options = TreeBuilderOpts {
        // Browsers run scripts, so `<noscript>` holds raw text, as they show it.
        scripting_enabled: true,
        ..TreeBuilderOpts::default()
    };
    let builder = TreeBuilder::new(Sink::new(), options);
    let emitter = GumEmitter {
        inner: CallbackEmitter::new(Feed {
            builder: &builder,
            source,
            tag: None,
            next_state: None,
            dropped: HashMap::new(),
        }),
    };
    let Ok(()) = Tokenizer::new_with_emitter(source, emitter).finish();
    builder.sink.into_dom(source.len())
}

/// Elements without content: their start tags never nest.
const VOID: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose start tag switches the tokenizer's state: never dropped for depth, or their
/// content would be read as markup.
const RAW: [&str; 10] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// A start tag being read.
struct PendingTag {
    name: String,
    start: usize,
    attributes: Vec<(String, String, Option<Range<usize>>)>,
}

/// The callback html5gum calls for each event: turns events into html5ever tokens.
struct Feed<'t> {
    builder: &'t TreeBuilder<NodeId, Sink>,
    source: &'t str,
    tag: Option<PendingTag>,
    next_state: Option<State>,
    /// Start tags dropped for depth, by name, so that their end tags are dropped too.
    dropped: HashMap<String, usize>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Feed<'_> {
    fn process(&mut self, token: Token, tree_token: TreeToken) {
        self.builder.sink.set_token(token);
        let result = self.builder.process_token(tree_token, 1);
        self.next_state = match result {
            TokenSinkResult::Continue | TokenSinkResult::EncodingIndicator(_) => None,
            TokenSinkResult::Script(_) => Some(State::Data),
            TokenSinkResult::Plaintext => Some(State::PlainText),
            TokenSinkResult::RawData(RawKind::Rcdata) => Some(State::RcData),
            TokenSinkResult::RawData(RawKind::Rawtext) => Some(State::RawText),
            TokenSinkResult::RawData(_) => Some(State::ScriptData),
        };
    }

    fn start_tag(&mut self, self_closing: bool, end: usize) {
        let Some(tag) = self.tag.take() else {
            return;
        };
        let nests = !VOID.contains(&tag.name.as_str())
            && !RAW.contains(&tag.name.as_str())
            && !matches!(tag.name.as_str(), "html" | "head" | "body");
        if nests && self.builder.sink.too_deep() {
            *self.dropped.entry(tag.name).or_default() += 1;
            return;
        }
        let mut attrs: Vec<Attribute> = Vec::with_capacity(tag.attributes.len());
        let mut values = Vec::with_capacity(tag.attributes.len());
        let mut had_duplicate_attributes = false;
        for (name, value, span) in tag.attributes {
            // The first of attributes with the same name wins (a parse error).
            if attrs.iter().any(|a| *a.name.local == *name) {
                had_duplicate_attributes = true;
                continue;
            }
            attrs.push(Attribute {
                name: QualName::new(None, html5ever::ns!(), LocalName::from(name.as_str())),
                value: StrTendril::from(value.as_str()),
            });
            values.push(span);
        }
        let token = Token::Start {
            name: tag.name.clone(),
            span: tag.start..end,
            values,
        };
        let tree_token = TreeToken::TagToken(Tag {
            kind: TagKind::StartTag,
            name: LocalName::from(tag.name.as_str()),
            self_closing,
            attrs,
            had_duplicate_attributes,
        });
        self.process(token, tree_token);
    }
}

impl Callback<Infallible, usize> for Feed<'_> {
    fn handle_event(&mut self, event: CallbackEvent<'_>, span: Span<usize>) -> Option<Infallible> {
        let span = span.start.min(self.source.len())..span.end.min(self.source.len());
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag = Some(PendingTag {
                    name: text(name),
                    start: span.start,
                    attributes: Vec::new(),
                });
            }
            CallbackEvent::AttributeName { name } => {
                if let Some(tag) = &mut self.tag {
                    tag.attributes.push((text(name), String::new(), None));
                }
            }
            CallbackEvent::AttributeValue { value } => {
                if let Some((_, current, value_span)) =
                    self.tag.as_mut().and_then(|t| t.attributes.last_mut())
                {
                    current.push_str(&String::from_utf8_lossy(value));
                    *value_span = Some(span);
                }
            }
            CallbackEvent::CloseStartTag { self_closing } => self.start_tag(self_closing, span.end),
            CallbackEvent::EndTag { name } => {
                let name = text(name);
                if let Some(count) = self.dropped.get_mut(&name).filter(|c| **c > 0) {
                    *count -= 1;
                    return None;
                }
                let tree_token = TreeToken::TagToken(Tag {
                    kind: TagKind::EndTag,
                    name: LocalName::from(name.as_str()),
                    self_closing: false,
                    attrs: Vec::new(),
                    had_duplicate_attributes: false,
                });
                self.builder.sink.end_tag(&name, span.clone());
                self.process(Token::End(span), tree_token);
            }
            CallbackEvent::String { value } => {
                let decoded = text(value);
                let checkpoints = checkpoints(&decoded, &self.source[span.clone()]);
                let tree_token = TreeToken::CharacterTokens(StrTendril::from(decoded.as_str()));
                let token = Token::Text {
                    text: decoded,
                    span,
                    checkpoints,
                    cursor: 0,
                };
                self.process(token, tree_token);
            }
            CallbackEvent::Comment { value } => {
                let tree_token = TreeToken::CommentToken(StrTendril::from(text(value).as_str()));
                self.process(Token::Other(span), tree_token);
            }
            CallbackEvent::Doctype {
                name,
                public_identifier,
                system_identifier,
                force_quirks,
            } => {
                let tendril = |bytes: &[u8]| StrTendril::from(text(bytes).as_str());
                let tree_token = TreeToken::DoctypeToken(Doctype {
                    name: Some(name).filter(|n| !n.is_empty()).map(tendril),
                    public_id: public_identifier.map(tendril),
                    system_id: system_identifier.map(tendril),
                    force_quirks,
                });
                self.process(Token::Other(span), tree_token);
            }
            CallbackEvent::Error(_) => {}
        }
        None
    }
}

/// html5gum's emitter around [`Feed`], with the tree builder's answers fed back to the tokenizer.
struct GumEmitter<'t> {
    inner: CallbackEmitter<Feed<'t>, Infallible, usize>,
}

impl ForwardingEmitter for GumEmitter<'_> {
    type Token = Infallible;

    fn inner(&mut self) -> &mut impl Emitter<Token = Self::Token> {
        &mut self.inner
    }

    fn emit_current_tag(&mut self) -> Option<State> {
        let _ = self.inner.emit_current_tag();
        let next = self.inner.callback_mut().next_state.take();
        if next.is_some() {
            // Text read in the new state starts here (html5gum does this for the states it
            // switches to itself).
            self.inner.init_string();
        }
        next
    }

    fn emit_eof(&mut self) {
        self.inner.emit_eof();
        let feed = self.inner.callback_mut();
        let end = feed.source.len();
        feed.process(Token::Other(end..end), TreeToken::EOFToken);
        feed.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&mut self) -> bool {
        self.inner
            .callback_mut()
            .builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// Where the character references of `source` (the bytes of one text token) sit in `decoded`
/// (its characters): pairs of (decoded offset, source offset) at each reference's start and end.
///
/// Characters other than references are the same bytes on both sides. A reference is `&#…`,
/// `&#x…` or `&name`, with or without `;`; a named reference without `;` may be a prefix of the
/// name (`&copy2` is `©2`), so the end is found where both sides agree again. If the two sides
/// cannot be aligned (never seen), the whole token is one "reference": every character maps to
/// its start, which keeps every range valid, only coarser.
pub(crate) fn checkpoints(decoded: &str, source: &str) -> Vec<(usize, usize)> {
    align(decoded, source).unwrap_or_else(|| vec![(0, 0), (decoded.len(), source.len())])
}

fn align(decoded: &str, source: &str) -> Option<Vec<(usize, usize)>> {
    let (d, s) = (decoded.as_bytes(), source.as_bytes());
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while j < d.len() {
        if i >= s.len() {
            return None;
        }
        let c = decoded[j..].chars().next()?;
        if s[i] != b'&' {
            if !source[i..].starts_with(c) {
                return None;
            }
            i += c.len_utf8();
            j += c.len_utf8();
            continue;
        }
        let name_end = i
            + 1
            + s[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'#')
                .count();
        let with_semicolon = name_end + usize::from(s.get(name_end) == Some(&b';'));
        if c == '&' && decoded[j..].starts_with(&source[i..with_semicolon]) {
            // A literal `&` (not a reference): the bytes that follow match as they are.
            i += 1;
            j += 1;
            continue;
        }
        let (source_end, decoded_end) = reference_end(decoded, source, i, j, name_end)?;
        out.push((j, i));
        out.push((decoded_end, source_end));
        i = source_end;
        j = decoded_end;
    }
    (i == s.len()).then_some(out)
}

/// The end of the reference at source `i`, decoded at `j`: (source end, decoded end). The
/// reference decodes to one or two characters; its source end is the longest prefix of
/// `&name;` after which source and decoded text agree again (on the next few characters).
fn reference_end(
    decoded: &str,
    source: &str,
    i: usize,
    j: usize,
    name_end: usize,
) -> Option<(usize, usize)> {
    let semicolon = usize::from(source.as_bytes().get(name_end) == Some(&b';'));
    let agrees = |s_at: usize, d_at: usize| {
        let (rest_s, rest_d) = (&source[s_at..], &decoded[d_at..]);
        if rest_d.is_empty() || rest_s.is_empty() {
            return rest_d.is_empty() && rest_s.is_empty();
        }
        let n = rest_s.len().min(rest_d.len()).min(8);
        // Compare up to the next reference on either side.
        let upto = |t: &str| t[..floor(t, n)].split('&').next().unwrap_or("").len();
        let k = upto(rest_s).min(upto(rest_d));
        k == 0 || rest_s.as_bytes()[..k] == rest_d.as_bytes()[..k]
    };
    let mut decoded_ends = decoded[j..].char_indices().skip(1).map(|(k, _)| j + k);
    let one = decoded_ends.next().unwrap_or(decoded.len());
    let two = decoded_ends.next().unwrap_or(decoded.len());
    // Most references decode to one character: try that first.
    for decoded_end in [one, two] {
        for source_end in (i + 2..=name_end + semicolon).rev() {
            if source.is_char_boundary(source_end) && agrees(source_end, decoded_end) {
                return Some((source_end, decoded_end));
            }
        }
    }
    None
}

/// The largest char boundary of `text` at or below `at`.
fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::dom::NodeData;

    #[test]
    fn references_are_found() {
        assert_eq!(checkpoints("a&b", "a&amp;b"), vec![(1, 1), (2, 6)]);
        assert_eq!(checkpoints("Tom & Jerry", "Tom & Jerry"), vec![]);
        assert_eq!(checkpoints("é!", "&eacute;!"), vec![(0, 0), (2, 8)]);
        assert_eq!(checkpoints("©2", "&copy2"), vec![(0, 0), (2, 5)]);
        assert_eq!(checkpoints("x\u{a0}y", "x&#160;y"), vec![(1, 1), (3, 7)]);
        assert_eq!(checkpoints("&&", "&amp;&"), vec![(0, 0), (1, 5)]);
        assert_eq!(checkpoints("a", "b"), vec![(0, 0), (1, 1)], "unalignable");
    }

    fn texts(dom: &Dom, source: &str) -> Vec<(String, Vec<String>)> {
        dom.nodes
            .iter()
            .filter_map(|n| match &n.data {
                NodeData::Text(t) => Some((
                    t.text.clone(),
                    t.pieces
                        .iter()
                        .map(|p| source[p.source.clone()].to_string())
                        .collect(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn text_and_tags_keep_their_source_spans() {
        let source = "<!DOCTYPE html><title>A &amp; B</title><p class=x>Le <a href=\"/u\">chat</a>\
                      <p>deux</p><script>if (a<b) {}</script>";
        let dom = parse(source);
        assert_eq!(
            texts(&dom, source),
            [
                ("A & B".to_string(), vec!["A &amp; B".to_string()]),
                ("Le ".to_string(), vec!["Le ".to_string()]),
                ("chat".to_string(), vec!["chat".to_string()]),
                ("deux".to_string(), vec!["deux".to_string()]),
                ("if (a<b) {}".to_string(), vec!["if (a<b) {}".to_string()]),
            ]
        );
        let a = dom.find("a").unwrap();
        let a = dom.element(a).unwrap();
        assert_eq!(&source[a.start_tag.clone().unwrap()], "<a href=\"/u\">");
        assert_eq!(&source[a.end_tag.clone().unwrap()], "</a>");
        assert_eq!(
            &source[a.attribute("href").unwrap().value_span.clone().unwrap()],
            "/u"
        );
        let p = dom.element(dom.find("p").unwrap()).unwrap();
        assert!(p.end_tag.is_none(), "closed by the next <p>");
        assert_eq!(&source[p.content_end.unwrap()..][..3], "<p>");
    }

    #[test]
    fn deep_nesting_is_cut_at_the_maximum_depth() {
        let n = 20_000;
        let source = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let dom = parse(&source);
        let depth = dom.nodes.iter().map(|n| n.depth).max().unwrap();
        assert!(depth <= super::super::dom::MAX_DEPTH + 4, "{depth}");
        assert_eq!(dom.text_content(0), "x");
        assert!(dom.too_deep > 0);
    }
}
