//! Typography on both sides of the model.
//!
//! French puts a space (often a no-break space U+00A0 or a narrow no-break space U+202F) before
//! `; : ! ?` and inside « », and writes the apostrophe ’. Web text mixes all of these, and the
//! model saw mostly plain spaces and `'` in training, so [`for_model`] makes them uniform: plain
//! single spaces, `'`, one space inside guillemets.
//!
//! English wants no space before `, . ; : ! ? % )`, curly double quotes “ ” (or straight ones, as
//! chosen) instead of « » or `"`, and no stray no-break spaces. [`english`] does that to the
//! model's output; it is idempotent, so running it twice changes nothing.

/// Which quotation marks the English output uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStyle {
    /// “double” quotes and ’ apostrophes.
    #[default]
    Curly,
    /// "straight" quotes and ' apostrophes.
    Straight,
}

/// No-break and other fixed-width spaces that French typography uses.
fn is_special_space(c: char) -> bool {
    matches!(
        c,
        '\u{a0}' | '\u{202f}' | '\u{2007}' | '\u{2009}' | '\u{200a}' | '\u{2002}'..='\u{2006}'
    )
}

/// Normalises French typography for the model: every run of whitespace (no-break spaces
/// included) becomes one plain space, ’ becomes `'`, guillemets get exactly one space inside.
pub(super) fn for_model(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || is_special_space(c) {
            pending_space = !out.is_empty();
            continue;
        }
        let c = if c == '’' { '\'' } else { c };
        let needs_space = !out.is_empty() && (pending_space || c == '»' || out.ends_with('«'));
        if needs_space && !out.ends_with(' ') {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// English typography for the model's output: see the module documentation.
pub(super) fn english(text: &str, quotes: QuoteStyle) -> String {
    let (open, close, apostrophe) = match quotes {
        QuoteStyle::Curly => ('“', '”', '’'),
        QuoteStyle::Straight => ('"', '"', '\''),
    };
    let chars: Vec<char> = text
        .chars()
        .map(|c| if is_special_space(c) { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(text.len() + 8);
    // Straight double quotes alternate: the first opens, the next closes.
    let mut straight_quote_open = false;
    // The last character written opens something: a space after it is dropped.
    let mut after_opening = false;
    for (i, &c) in chars.iter().enumerate() {
        let prev = out.chars().next_back();
        let next = chars.get(i + 1).copied();
        let opening = match c {
            '«' | '“' => Some(true),
            '»' | '”' => Some(false),
            '"' => {
                straight_quote_open = !straight_quote_open;
                Some(straight_quote_open)
            }
            _ => None,
        };
        match (opening, c) {
            (Some(true), _) => {
                let glued_to_opening = after_opening || prev.is_some_and(|p| "([{—–-/".contains(p));
                if prev.is_some_and(|p| !p.is_whitespace()) && !glued_to_opening {
                    out.push(' ');
                }
                out.push(open);
            }
            (Some(false), _) => {
                trim_trailing_spaces(&mut out);
                out.push(close);
            }
            (None, '\'' | '’')
                if prev.is_some_and(char::is_alphabetic)
                    && next.is_some_and(char::is_alphabetic) =>
            {
                out.push(apostrophe)
            }
            (None, '‘' | '’') if quotes == QuoteStyle::Straight => out.push('\''),
            (None, ',' | '.' | ';' | ':' | '!' | '?' | '%' | ')' | ']' | '…') => {
                trim_trailing_spaces(&mut out);
                out.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if prev.is_some_and(|p| !p.is_whitespace()) && !after_opening {
                    out.push(' ');
                }
            }
            (None, c) => out.push(c),
        }
        if !c.is_whitespace() {
            after_opening = opening == Some(true) || matches!(c, '(' | '[');
        }
    }
    trim_trailing_spaces(&mut out);
    out
}

fn trim_trailing_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_spaces_become_plain_single_spaces_for_the_model() {
        assert_eq!(
            for_model("Pourquoi\u{202f}? «\u{a0}Parce que\u{a0}» ; c’est  ainsi\u{a0}!"),
            "Pourquoi ? « Parce que » ; c'est ainsi !"
        );
        assert_eq!(for_model("«Oui»"), "« Oui »");
        assert_eq!(for_model("  5\u{202f}000 euros  "), "5 000 euros");
    }

    #[test]
    fn english_output_has_english_punctuation_and_curly_quotes() {
        assert_eq!(
            english("He said : « Why now ? » and left !", QuoteStyle::Curly),
            "He said: “Why now?” and left!"
        );
        assert_eq!(
            english("She said \"yes\" , it's 3.5 % .", QuoteStyle::Curly),
            "She said “yes”, it’s 3.5%."
        );
        assert_eq!(
            english("A\u{a0}B\u{202f}; ( C )", QuoteStyle::Curly),
            "A B; (C)"
        );
    }

    #[test]
    fn straight_style_uses_ascii_quotes_and_apostrophes() {
        assert_eq!(
            english("« Don’t » ‘go’", QuoteStyle::Straight),
            "\"Don't\" 'go'"
        );
    }

    #[test]
    fn clean_english_is_left_alone_and_english_is_idempotent() {
        for text in [
            "The meeting is at 3:30 p.m. in Paris.",
            "“It’s fine,” he said.",
            "Prices rose 3.5% (to 5,000 euros).",
        ] {
            assert_eq!(english(text, QuoteStyle::Curly), text);
        }
        let once = english("« x » \" y \" , z ' w", QuoteStyle::Curly);
        assert_eq!(english(&once, QuoteStyle::Curly), once);
    }
}
