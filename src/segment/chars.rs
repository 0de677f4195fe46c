//! Character classes shared by the line rules and the punctuation rules.

/// Ends a line: LF, CR (a CR LF pair is one break), vertical tab, form feed, NEL, U+2028, U+2029.
pub(super) fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Whitespace, or an invisible character that stands where a space would (zero-width space, word
/// joiner, zero-width no-break space). Only the look-ahead uses it: sentences are trimmed of
/// whitespace alone, so these stay inside the sentence that follows them.
pub(super) fn is_space_like(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Ends a paragraph by itself, as a blank line does: form feed and U+2029 PARAGRAPH SEPARATOR.
pub(super) fn is_paragraph_break(c: char) -> bool {
    matches!(c, '\u{0C}' | '\u{2029}')
}

/// Punctuation that can end a sentence.
pub(super) fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '?' | '!' | '…' | '‽' | '‼' | '⁇' | '⁈' | '⁉' | '？' | '！'
    )
}

/// A question or exclamation mark (alone or combined).
pub(super) fn is_question_or_exclamation(c: char) -> bool {
    is_terminal(c) && !matches!(c, '.' | '…')
}

/// Closes a quotation or a bracket whatever surrounds it (straight quotes are decided apart).
pub(super) fn is_closer(c: char) -> bool {
    matches!(c, '»' | '”' | '›' | ')' | ']' | '}')
}

/// Opens a quotation or a bracket whatever surrounds it (straight quotes are decided apart).
pub(super) fn is_opener(c: char) -> bool {
    matches!(c, '«' | '“' | '„' | '‹' | '‘' | '‚' | '(' | '[' | '{')
}

/// Opens a quotation (not a bracket).
pub(super) fn is_opening_quote(c: char) -> bool {
    matches!(c, '«' | '“' | '„' | '‹' | '‘' | '‚' | '"')
}

/// A dash that can introduce dialogue or a list item when a space follows it.
pub(super) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '―' | '‒' | '−')
}

/// A bullet that starts a list item. The middle dot `·` is not one: French inclusive writing uses it.
pub(super) fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '•' | '‣'
            | '◦'
            | '▪'
            | '▫'
            | '●'
            | '○'
            | '■'
            | '□'
            | '►'
            | '▶'
            | '◆'
            | '❖'
            | '➢'
            | '➤'
            | '✓'
            | '✔'
    )
}

/// Punctuation that continues a sentence when it comes after a full stop (", ", "; ", ") ", "%" …).
pub(super) fn is_continuation_punctuation(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '.' | '%' | '‰' | '°' | '/' | '\'' | '’' | '&' | '…' | '?' | '!'
    ) || is_closer(c)
}

/// An apostrophe, straight or typographic: elision ("l'ONU") or a closing single quote.
pub(super) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}
