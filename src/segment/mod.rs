//! French sentence segmentation with byte offsets.
//!
//! The translator sees one sentence at a time, so every segmentation error becomes a translation error:
//! a cut after "M." sends "M." and "Wang a déclaré…" to the model as two broken fragments, a missed
//! boundary sends two sentences into one decoding. [`segment`] is a rule-based segmenter tuned for
//! French news and official text; the rules below are the whole of it.
//!
//! # What a result guarantees
//!
//! Each [`Sentence`] is a byte range into the input. The ranges are in bounds, on `char` boundaries,
//! increasing and non-overlapping; each is non-empty and trimmed of surrounding whitespace
//! ([`char::is_whitespace`], which includes the no-break spaces U+00A0 and U+202F); together they cover
//! every non-whitespace character of the input. Nothing is ever dropped or rewritten: a sentence's text
//! is a slice of the input, line breaks included.
//!
//! # Line structure
//!
//! The document layer splits an article into paragraphs on blank lines; `segment` also treats a blank
//! line (and a form feed or U+2029) as a hard boundary, so it can be given a whole text. Inside a
//! paragraph a single line break (LF, CR LF, CR, U+2028 …):
//!
//! * **ends a sentence** before a list item (`- `, `– `, `— `, `• `, `* `, `1. `, `2) `, `a) `), around
//!   a header line of a scraped page (one holding `|` or `>`: "Par : Justine | Mots clés : Chine",
//!   "Accueil> INTERNATIONAL"), and after a line without final punctuation followed by a line starting
//!   with a capital, a digit, a quote or a dash (a headline, a dateline, a short header line);
//! * **is a space** (the prose was hard-wrapped) when the line ends with terminal punctuation (the
//!   punctuation rules below then decide, so "M.\nWang" stays one sentence), with a comma, colon,
//!   semicolon, dash, apostrophe or opening bracket, with a word that cannot end a unit ("de", "la",
//!   "et", "M", see `data/line_continuations.txt`), when the next line starts in lower case, or when the
//!   paragraph is visibly wrapped at a fixed width (three lines or more, nearly all as long as the
//!   longest, 30–120 characters) and the next line's first word would not have fitted on this one.
//!
//! # Punctuation
//!
//! A sentence can end only at a run of terminal punctuation: `.`, `?`, `!`, `…`, `...`, `. . .`, `?!`,
//! `‽` and the like. The closing quotes and brackets that follow the run, with or without French
//! spacing (`vendus. » Des`, `fin.) La`), belong to the sentence that ends, and so do footnote calls
//! attached to the mark (`habitants.[1] Elle`, `[réf. nécessaire]`). A straight `"` closes when
//! it is attached to the punctuation and followed by a space (`vendus." Des`), opens when it follows a
//! space and precedes a word (`dernières. "Avec`), and otherwise the parity of the straight quotes seen
//! so far decides. Whether the run ends a sentence depends on what follows the whitespace (which here
//! also covers the zero-width space, word joiner and BOM that scraped pages leave between words):
//!
//! * A lower-case letter, a comma, a colon or other continuing punctuation does not start a sentence:
//!   `« Pourquoi maintenant ? » a-t-il demandé.` and `etc. et` stay whole. A lower-case word with a
//!   capital inside ("iPhone", "eBay") counts as a capital. One exception: a full stop after an
//!   ordinary word of five letters or more that no list names ends the sentence even before a
//!   lower-case letter (`réfrigérateur. à consommer`: a lost capital, frequent in comments and
//!   leaflets); a shorter unknown word may be an abbreviation (`exéc. sera`).
//! * **`?` and `!`** end a sentence before a capital, a digit, an opening quote or bracket followed by a
//!   capital or digit, a dialogue dash (`— `), a bullet or another symbol.
//! * **An ellipsis** ends a sentence before a capital, an opening quote or bracket followed by one, a
//!   dialogue dash or a bullet; not before a number, and never inside brackets (`[…]`, `(...)`).
//! * **A full stop** is judged by the word before it (back to whitespace or an opening quote/bracket,
//!   an elided "l'"/"d'" removed):
//!   * a title or an abbreviation that introduces what follows (`data/non_final.txt`: M., MM., Mme,
//!     Dr, Pr, Mgr, St, cf., p., art., vol., n°, av., apr. …) never ends a sentence: "M. Wang",
//!     "cf. Le Monde", "av. J.-C.";
//!   * an abbreviation that may end a sentence (`data/may_end.txt`: etc., J.-C., É.-U., months
//!     janv. … déc., s. for siècle …; and the company suffixes of `data/company_suffixes.txt`: Inc.,
//!     Ltd., Co., Cie …) ends one only before a capital, an opening quote followed by a capital, a
//!     dialogue dash or a bullet — not before a number ("le 5 janv. 2014"), a bracket
//!     ("3 déc. (AFP)") or a company suffix ("Co. Ltd");
//!   * a number, a single letter or a Roman numeral at the very start of a sentence is a list label
//!     ("1. Le premier point") and ends nothing;
//!   * initials and dotted acronyms (J., J.-P., J.R.R., U.S.A., O.N.U.) end a sentence only before a
//!     word that starts sentences and is hardly ever a name (`data/sentence_starters.txt`: Le, La,
//!     Selon, Il …), an opening quote followed by a capital, a dialogue dash or a bullet:
//!     "J. Wang a dit" goes on, "aux U.S.A. Le président" ends;
//!   * any other word — including numbers ("en 2013. Le") and domain names ("www.service-public.fr. Le")
//!     — ends a sentence before anything that starts one, as for `?` and `!`.
//! * Terminal punctuation with no space after it ends nothing ("5.000", "26.469,89", "12.30",
//!   "French.china.org.cn", "U.S.A", "?id=3"), except where scraping lost a space: a lower-case word of
//!   two letters or more, the mark, then a capitalised lower-case word, neither looking like a web
//!   address ("pays.Le président").
//! * A sentence needs a letter or a digit before its final punctuation: a leading "…" or "?!" never
//!   makes a sentence of its own.
//! * A bullet between spaces inside a line (" • ") starts a new sentence.
//!
//! The word lists are data files next to this module (`src/segment/data/*.txt`), compiled in; adding
//! an abbreviation is a one-line change there.

mod chars;
mod lexicon;
mod lines;
mod punctuation;

use std::borrow::Cow;
use std::ops::Range;

/// One sentence of the input, as a byte range into the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Byte range of the sentence in the input, trimmed of surrounding whitespace.
    pub range: Range<usize>,
}

impl Sentence {
    /// The sentence's text within `source`, the string that was segmented.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.range.clone()]
    }

    /// The sentence's text within `source` on one line: each line break, with the whitespace around
    /// it, becomes one space (hard-wrapped prose reads as it was meant to). Borrows when there is none.
    ///
    /// ```
    /// use passeur::segment::segment;
    ///
    /// let text = "Le président de la\n  République est arrivé.";
    /// assert_eq!(segment(text)[0].text_on_one_line(text), "Le président de la République est arrivé.");
    /// ```
    pub fn text_on_one_line<'a>(&self, source: &'a str) -> Cow<'a, str> {
        let text = self.text(source);
        if !text.contains(chars::is_line_break) {
            return Cow::Borrowed(text);
        }
        let mut line = String::with_capacity(text.len());
        for (index, piece) in text.split(chars::is_line_break).enumerate() {
            if index > 0 {
                line.truncate(line.trim_end().len());
                line.push(' ');
            }
            line.push_str(if index > 0 { piece.trim_start() } else { piece });
        }
        Cow::Owned(line)
    }
}

/// Splits `text` into sentences, following the rules of the [module documentation](self).
///
/// ```
/// use passeur::segment::segment;
///
/// let text = "« Pourquoi maintenant ? » a-t-il demandé. M. Wang a répondu : « Ils ont été vendus. » \
///             Des spécialistes doutent, etc. Le débat continue.";
/// let sentences: Vec<&str> = segment(text).iter().map(|s| s.text(text)).collect();
/// assert_eq!(
///     sentences,
///     [
///         "« Pourquoi maintenant ? » a-t-il demandé.",
///         "M. Wang a répondu : « Ils ont été vendus. »",
///         "Des spécialistes doutent, etc.",
///         "Le débat continue.",
///     ]
/// );
/// ```
pub fn segment(text: &str) -> Vec<Sentence> {
    let mut cutter = punctuation::Cutter::new(text);
    lines::for_each_block(text, |block| {
        punctuation::cut_block(text, block.clone(), &mut cutter);
        cutter.cut(block.end);
    });
    cutter.cut(text.len());
    cutter.into_sentences()
}
