//! Line-level structure: which lines form a block, which parts of a block are translated units,
//! and which bytes are markers kept as they are. See the parent module's docs for the rules.

use super::{BlockKind, Syntax, UnitKind};
use std::ops::Range;

/// A block before segmentation.
pub(crate) struct RawBlock {
    pub kind: BlockKind,
    pub range: Range<usize>,
    pub units: Vec<RawUnit>,
}

/// A unit before segmentation: its marker and the source ranges of its content on each line
/// (container prefixes such as `> ` and indentation excluded).
pub(crate) struct RawUnit {
    pub kind: UnitKind,
    pub marker: Range<usize>,
    pub lines: Vec<Range<usize>>,
    pub continuation: String,
}

/// Bullets that start a list item in plain text (`-`, `*`, `+` and typographic bullets).
const TEXT_BULLETS: &[char] = &['-', '*', '+', '•', '◦', '▪', '‣', '·'];
/// Bullets that start a list item in Markdown.
const MARKDOWN_BULLETS: &[char] = &['-', '*', '+'];

/// Splits `text` into blocks with their units.
pub(crate) fn parse(text: &str, syntax: Syntax) -> Vec<RawBlock> {
    let lines = line_ranges(text);
    let mut blocks = match syntax {
        // HTML is parsed by `super::html` (`Document::parse` never sends it here).
        Syntax::Text | Syntax::Html => parse_text(text, &lines),
        Syntax::Markdown => parse_markdown(text, &lines),
    };
    for block in &mut blocks {
        block.units.retain_mut(|unit| finish_unit(text, unit));
    }
    blocks
}

/// Byte ranges of the lines of `text`, line ending (`\n` or `\r\n`) excluded. Text from
/// [`crate::input`] has only `\n`; library callers may pass anything.
fn line_ranges(text: &str) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            lines.push(start..end);
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(start..text.len());
    }
    lines
}

/// The line ranges of a unit on a single line.
fn one_line(range: Range<usize>) -> Vec<Range<usize>> {
    std::iter::once(range).collect()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn leading_whitespace(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Trims the unit's line ranges of whitespace; false when nothing is left.
fn finish_unit(text: &str, unit: &mut RawUnit) -> bool {
    for line in &mut unit.lines {
        let content = &text[line.clone()];
        line.end = line.start + content.trim_end().len();
        line.start += leading_whitespace(&text[line.clone()]);
    }
    unit.lines.retain(|line| !line.is_empty());
    !unit.lines.is_empty()
}

fn parse_text(text: &str, lines: &[Range<usize>]) -> Vec<RawBlock> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if is_blank(&text[lines[i].clone()]) {
            i += 1;
            continue;
        }
        let first = i;
        let mut units: Vec<RawUnit> = Vec::new();
        while i < lines.len() && !is_blank(&text[lines[i].clone()]) {
            let line = lines[i].clone();
            let content = &text[line.clone()];
            let after_list_item = units.last().is_none_or(|u| u.kind == UnitKind::ListItem);
            if let Some(marker) = list_marker(content, TEXT_BULLETS, after_list_item, 3) {
                units.push(list_item(line, marker, String::new()));
            } else if let Some(unit) = units.last_mut() {
                unit.lines.push(line);
            } else {
                let indent = leading_whitespace(content);
                units.push(RawUnit {
                    kind: UnitKind::Text,
                    marker: line.start..line.start + indent,
                    lines: one_line(line.start + indent..line.end),
                    continuation: String::new(),
                });
            }
            i += 1;
        }
        let kind = if units.first().is_some_and(|u| u.kind == UnitKind::ListItem) {
            BlockKind::List
        } else {
            BlockKind::Paragraph
        };
        blocks.push(RawBlock {
            kind,
            range: lines[first].start..lines[i - 1].end,
            units,
        });
    }
    blocks
}

fn list_item(line: Range<usize>, marker: ListMarker, prefix: String) -> RawUnit {
    RawUnit {
        kind: UnitKind::ListItem,
        marker: line.start..line.start + marker.len,
        lines: one_line(line.start + marker.len..line.end),
        continuation: prefix + &" ".repeat(marker.width),
    }
}

/// A list marker at the start of a line: its length in bytes (indentation, bullet or number, the
/// spaces after it, and a task box `[ ] ` if any) and its width in columns.
struct ListMarker {
    len: usize,
    width: usize,
}

fn list_marker(
    line: &str,
    bullets: &[char],
    numbers_allowed: bool,
    max_digits: usize,
) -> Option<ListMarker> {
    let indent = leading_whitespace(line);
    let rest = &line[indent..];
    let symbol_len = match rest.chars().next()? {
        c if bullets.contains(&c) => c.len_utf8(),
        c if c.is_ascii_digit() && numbers_allowed => {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let closing = rest.as_bytes().get(digits).copied();
            if digits > max_digits || !matches!(closing, Some(b'.' | b')')) {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    let after_symbol = &rest[symbol_len..];
    let spaces = after_symbol.len() - after_symbol.trim_start_matches([' ', '\t']).len();
    if spaces == 0 || after_symbol.trim().is_empty() {
        return None;
    }
    let mut len = indent + symbol_len + spaces;
    let after_spaces = &line[len..];
    for task_box in ["[ ] ", "[x] ", "[X] "] {
        if after_spaces.starts_with(task_box) && !after_spaces[task_box.len()..].trim().is_empty() {
            len += task_box.len();
        }
    }
    Some(ListMarker {
        len,
        width: line[..len].chars().count(),
    })
}

/// Indentation in columns, a tab reaching the next multiple of 4.
fn indent_width(line: &str) -> usize {
    let mut width = 0;
    for c in line.chars() {
        match c {
            ' ' => width += 1,
            '\t' => width = (width / 4 + 1) * 4,
            _ => break,
        }
    }
    width
}

/// Leading spaces if there are at most three, as CommonMark allows before block markers.
fn up_to_three_spaces(line: &str) -> Option<&str> {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    (spaces <= 3).then(|| &line[spaces..])
}

struct Fence {
    symbol: u8,
    count: usize,
}

impl Fence {
    fn open(line: &str) -> Option<Fence> {
        let rest = line.trim_start();
        let symbol = *rest.as_bytes().first()?;
        if symbol != b'`' && symbol != b'~' {
            return None;
        }
        let count = rest.bytes().take_while(|&b| b == symbol).count();
        let info = &rest[count..];
        (count >= 3 && !(symbol == b'`' && info.contains('`'))).then_some(Fence { symbol, count })
    }

    fn closes(&self, line: &str) -> bool {
        let rest = line.trim_start();
        let count = rest.bytes().take_while(|&b| b == self.symbol).count();
        count >= self.count && rest[count..].trim().is_empty()
    }
}

fn is_thematic_break(line: &str) -> bool {
    let Some(rest) = up_to_three_spaces(line) else {
        return false;
    };
    let Some(symbol) = rest.chars().next().filter(|c| matches!(c, '-' | '*' | '_')) else {
        return false;
    };
    let mut count = 0;
    for c in rest.chars() {
        if c == symbol {
            count += 1;
        } else if c != ' ' && c != '\t' {
            return false;
        }
    }
    count >= 3
}

/// A setext underline (`===` or `---`): the heading level it gives.
fn setext_level(line: &str) -> Option<u8> {
    let rest = up_to_three_spaces(line)?.trim_end();
    let symbol = rest.chars().next()?;
    if !matches!(symbol, '=' | '-') || !rest.chars().all(|c| c == symbol) {
        return None;
    }
    Some(if symbol == '=' { 1 } else { 2 })
}

/// An ATX heading (`## Titre ##`): level, and the content's start and end offsets in `line`
/// (closing hashes excluded).
fn atx_heading(line: &str) -> Option<(u8, Range<usize>)> {
    let rest = up_to_three_spaces(line)?;
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    let after = &rest[hashes..];
    if !(1..=6).contains(&hashes) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let start = line.len() - after.len() + leading_whitespace(after);
    let mut content = line[start..].trim_end();
    let without_closing = content.trim_end_matches('#');
    if without_closing.is_empty() || without_closing.ends_with([' ', '\t']) {
        content = without_closing.trim_end();
    }
    Some((hashes as u8, start..start + content.len()))
}

/// Lines passeur keeps as they are in Markdown: raw HTML, link reference definitions, tables.
fn starts_verbatim_block(line: &str) -> bool {
    let Some(rest) = up_to_three_spaces(line) else {
        return false;
    };
    if let Some(tag) = rest.strip_prefix('<') {
        let name_len = tag
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        let next = tag[name_len..].chars().next();
        let html_tag = tag.starts_with(['/', '!', '?'])
            || (tag.starts_with(|c: char| c.is_ascii_alphabetic())
                && next.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/'));
        return html_tag;
    }
    if rest.starts_with('[') {
        if let Some(close) = rest.find("]:") {
            return close > 1 && !rest[1..close].contains(['[', ']']);
        }
    }
    rest.starts_with('|')
}

/// The quote prefix of a line (`> `, `> > `, `>`): its length in bytes and its depth.
fn quote_prefix(line: &str) -> (usize, usize) {
    let mut len = 0;
    let mut depth = 0;
    while let Some(rest) = up_to_three_spaces(&line[len..]) {
        let Some(after) = rest.strip_prefix('>') else {
            break;
        };
        len = line.len() - after.len();
        if after.starts_with(' ') {
            len += 1;
        }
        depth += 1;
    }
    (len, depth)
}

fn parse_markdown(text: &str, lines: &[Range<usize>]) -> Vec<RawBlock> {
    let line = |i: usize| &text[lines[i].clone()];
    let mut blocks = Vec::new();
    let mut in_list = false;
    let mut i = 0;
    while i < lines.len() {
        let current = line(i);
        if is_blank(current) {
            i += 1;
            continue;
        }
        let verbatim = |kind, last: usize| RawBlock {
            kind,
            range: lines[i].start..lines[last].end,
            units: Vec::new(),
        };
        if let Some(fence) = Fence::open(current) {
            let close = (i + 1..lines.len()).find(|&j| fence.closes(line(j)));
            let last = close.unwrap_or(lines.len() - 1);
            blocks.push(verbatim(BlockKind::Code, last));
            in_list = false;
            i = last + 1;
            continue;
        }
        if indent_width(current) >= 4 && !in_list {
            let mut last = i;
            let mut j = i;
            while j < lines.len() && (is_blank(line(j)) || indent_width(line(j)) >= 4) {
                if !is_blank(line(j)) {
                    last = j;
                }
                j += 1;
            }
            blocks.push(verbatim(BlockKind::Code, last));
            i = last + 1;
            continue;
        }
        if is_thematic_break(current) {
            blocks.push(verbatim(BlockKind::Verbatim, i));
            in_list = false;
            i += 1;
            continue;
        }
        if let Some((level, content)) = atx_heading(current) {
            let start = lines[i].start;
            blocks.push(RawBlock {
                kind: BlockKind::Heading { level },
                range: lines[i].clone(),
                units: vec![RawUnit {
                    kind: UnitKind::Heading { level },
                    marker: start..start + content.start,
                    lines: one_line(start + content.start..start + content.end),
                    continuation: String::new(),
                }],
            });
            in_list = false;
            i += 1;
            continue;
        }
        if starts_verbatim_block(current) {
            let mut last = i;
            while last + 1 < lines.len() && !is_blank(line(last + 1)) {
                last += 1;
            }
            blocks.push(verbatim(BlockKind::Verbatim, last));
            in_list = false;
            i = last + 1;
            continue;
        }
        let block = paragraph_block(text, lines, i);
        let next = lines
            .iter()
            .position(|l| l.start > block.range.end)
            .unwrap_or(lines.len());
        in_list = block.kind == BlockKind::List || (in_list && indent_width(current) >= 2);
        blocks.push(block);
        i = next;
    }
    blocks
}

/// A paragraph, list, quote or setext heading starting at line `first`.
fn paragraph_block(text: &str, lines: &[Range<usize>], first: usize) -> RawBlock {
    let line = |i: usize| &text[lines[i].clone()];
    let quoted = quote_prefix(line(first)).1 > 0;
    // Only plain paragraph lines can be a setext heading's text.
    let mut plain = !quoted && list_marker(line(first), MARKDOWN_BULLETS, true, 9).is_none();
    let mut end = first + 1;
    let mut setext = None;
    while end < lines.len() {
        let current = line(end);
        if is_blank(current) {
            break;
        }
        if plain {
            if let Some(level) = setext_level(current) {
                setext = Some(level);
                break;
            }
        }
        let interrupts = Fence::open(current).is_some()
            || is_thematic_break(current)
            || atx_heading(current).is_some()
            || (!quoted && quote_prefix(current).1 > 0);
        if interrupts {
            break;
        }
        plain = plain && list_marker(current, MARKDOWN_BULLETS, true, 9).is_none();
        end += 1;
    }
    let last_line = if setext.is_some() { end } else { end - 1 };
    let range = lines[first].start..lines[last_line].end;
    if let Some(level) = setext {
        let start = lines[first].start;
        return RawBlock {
            kind: BlockKind::Heading { level },
            range,
            units: vec![RawUnit {
                kind: UnitKind::Heading { level },
                marker: start..start,
                lines: lines[first..end].to_vec(),
                continuation: String::new(),
            }],
        };
    }
    let mut units: Vec<RawUnit> = Vec::new();
    let mut unit_open = false;
    for range in &lines[first..end] {
        let current = &text[range.clone()];
        let (prefix_len, depth) = if quoted {
            quote_prefix(current)
        } else {
            (0, 0)
        };
        let prefix = "> ".repeat(depth);
        let inner = &current[prefix_len..];
        let inner_start = range.start + prefix_len;
        if is_blank(inner) {
            unit_open = false;
            continue;
        }
        if let Some(marker) = list_marker(inner, MARKDOWN_BULLETS, true, 9) {
            let mut unit = list_item(inner_start..range.end, marker, prefix);
            unit.marker.start = range.start;
            units.push(unit);
            unit_open = true;
        } else if let Some((level, content)) = atx_heading(inner).filter(|_| quoted) {
            units.push(RawUnit {
                kind: UnitKind::Heading { level },
                marker: range.start..inner_start + content.start,
                lines: one_line(inner_start + content.start..inner_start + content.end),
                continuation: prefix,
            });
            unit_open = false;
        } else if let (true, Some(unit)) = (unit_open, units.last_mut()) {
            unit.lines.push(inner_start..range.end);
        } else {
            let indent = leading_whitespace(inner);
            units.push(RawUnit {
                kind: UnitKind::Text,
                marker: range.start..inner_start + indent,
                lines: one_line(inner_start + indent..range.end),
                continuation: prefix,
            });
            unit_open = true;
        }
    }
    let kind = if quoted {
        BlockKind::Quote
    } else if units.first().is_some_and(|u| u.kind == UnitKind::ListItem) {
        BlockKind::List
    } else {
        BlockKind::Paragraph
    };
    RawBlock { kind, range, units }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_markers() {
        let len = |line: &str| list_marker(line, TEXT_BULLETS, true, 3).map(|m| m.len);
        assert_eq!(len("- Premier point"), Some(2));
        assert_eq!(
            len("  • Deuxième"),
            Some(6),
            "bytes: two spaces, a 3-byte bullet, a space"
        );
        assert_eq!(len("12) Douze"), Some(4));
        assert_eq!(len("- [x] Fait"), Some(6));
        assert_eq!(
            len("2013. Une année"),
            None,
            "four digits are a year, not an item"
        );
        assert_eq!(len("-5 degrés"), None);
        assert_eq!(len("- "), None);
        assert_eq!(
            len("— Oui, dit-il."),
            None,
            "a dialogue dash is not a bullet"
        );
    }

    #[test]
    fn atx_headings_drop_closing_hashes() {
        let heading = |line: &str| atx_heading(line).map(|(l, r)| (l, line[r].to_string()));
        assert_eq!(heading("## Titre ##"), Some((2, "Titre".to_string())));
        assert_eq!(heading("# C# et F#"), Some((1, "C# et F#".to_string())));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("####### sept"), None);
    }

    #[test]
    fn verbatim_lines() {
        assert!(starts_verbatim_block("<div class=\"x\">"));
        assert!(starts_verbatim_block("<!-- commentaire -->"));
        assert!(starts_verbatim_block("[ref]: https://example.fr"));
        assert!(starts_verbatim_block("| a | b |"));
        assert!(!starts_verbatim_block("<https://example.fr> est un lien"));
        assert!(!starts_verbatim_block("[Lien](https://example.fr) en tête"));
    }
}
