//! The plan of a document: which texts go to the translator (passthrough decided), how sentences
//! over the token budget are cut, and how the translations make up each sentence's English.

use super::links::place_links;
use super::markup::{place_markup, plan_markup, MarkupPlan};
use crate::bilingual::{Bilingual, TargetSentence, TranslationStats};
use crate::document::{split_to_budget, Document, SourceSentence};
use crate::fidelity::is_passthrough;
use crate::rebatch::check_count;
use crate::translate::{Provenance, SentenceTranslation};
use crate::verdict::{Tally, Verdict};
use crate::Result;
use std::collections::HashMap;
use std::ops::Range;

/// Where a piece's English comes from.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    /// The piece's range in the text it was cut from.
    pub(super) range: Range<usize>,
    /// The request translating it; none when it has nothing to translate.
    pub(super) request: Option<usize>,
}

#[derive(Debug, Clone)]
pub(super) enum LinkPlan {
    /// The link text is the whole sentence: the whole English becomes the link.
    WholeSentence,
    /// The link text is translated in these pieces.
    Pieces(Vec<Piece>),
}

#[derive(Debug, Clone)]
enum SentencePlan {
    Passthrough,
    Translate {
        pieces: Vec<Piece>,
        links: Vec<LinkPlan>,
        /// For HTML input: the fragments of the sentence's inline elements, and the pieces of
        /// those translated on their own (see [`crate::document::markup`]).
        markup: MarkupPlan,
    },
}

/// The model requests of a document and how their translations make up its English: the
/// two-step form of [`Pipeline`](super::Pipeline), for callers that send the requests of many
/// documents together (and may cache them).
///
/// ```
/// use passeur::{document::Document, Syntax};
/// use passeur::pipeline::Plan;
/// use passeur::translate::{Provenance, SentenceTranslation};
/// let doc = Document::parse("Bonjour. 5.000\n\nAu revoir.", Syntax::Text);
/// let words = |s: &str| s.split_whitespace().count() + 1;
/// let plan = Plan::new(doc, &words, 512);
/// let texts: Vec<&str> = plan.requests().iter().map(|r| r.text.as_str()).collect();
/// assert_eq!(texts, ["Bonjour.", "Au revoir."]); // `5.000` passes through
/// let english = ["Hello.", "Goodbye."].map(|t| SentenceTranslation::new(t, None));
/// let provenance = Provenance {
///     model: "example".into(), revision: None, decoding: "none".into(), passeur_version: "0".into(),
/// };
/// let bilingual = plan.assemble(english.to_vec(), provenance)?;
/// assert_eq!(bilingual.english(), "Hello. 5.000\n\nGoodbye.");
/// # Ok::<(), passeur::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    document: Document,
    requests: Vec<Request>,
    sentences: Vec<SentencePlan>,
}

/// One text to translate: a sentence, a piece of a sentence over the budget, or a link text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The text, as the translator receives it.
    pub text: String,
    /// Its source tokens as the translator counts them (end-of-sentence token included): what
    /// requests are sorted and batched by.
    pub tokens: usize,
}

/// Collects distinct request texts.
pub(super) struct Requests<'a> {
    requests: Vec<Request>,
    index: HashMap<String, usize>,
    token_count: &'a dyn Fn(&str) -> usize,
    budget: usize,
}

impl Requests<'_> {
    fn request(&mut self, text: &str, tokens: Option<usize>) -> usize {
        if let Some(&index) = self.index.get(text) {
            return index;
        }
        let index = self.requests.len();
        self.requests.push(Request {
            text: text.to_string(),
            tokens: tokens.unwrap_or_else(|| (self.token_count)(text)),
        });
        self.index.insert(text.to_string(), index);
        index
    }

    /// The pieces `text` is translated in: itself if it fits the budget, else its cuts.
    /// `known` is what the caller already knows of [`needs_translation`] for the whole text (a
    /// piece equal to it is not checked again).
    pub(super) fn pieces(&mut self, text: &str, known: Option<bool>) -> Vec<Piece> {
        let trimmed = text.trim();
        let start = text.len() - text.trim_start().len();
        let tokens = (self.token_count)(trimmed);
        let fits = tokens <= self.budget;
        let ranges = if fits {
            std::iter::once(start..start + trimmed.len()).collect()
        } else {
            split_to_budget(text, self.budget, self.token_count)
        };
        let whole = ranges.len() == 1;
        ranges
            .into_iter()
            .map(|range| {
                let piece = &text[range.clone()];
                let needed = match known {
                    Some(needed) if fits => needed,
                    _ => needs_translation(piece),
                };
                let request = needed.then(|| self.request(piece, whole.then_some(tokens)));
                Piece { range, request }
            })
            .collect()
    }
}

/// Whether `text` (a sentence, a piece of one or a link text) goes to the translator: the one
/// place passthrough is decided.
fn needs_translation(text: &str) -> bool {
    !is_passthrough(text)
}

impl Plan {
    /// Whether some sentence of `document` needs the translator, decided as [`Plan::new`] would:
    /// when none does, no model needs loading.
    pub fn needs_model(document: &Document) -> bool {
        document
            .sentences()
            .any(|s| needs_translation(&s.text.text))
    }

    /// Plans the requests of `document`: passthrough decided, sentences over `budget` tokens
    /// (as counted by `token_count`) split, identical texts sent once.
    pub fn new(document: Document, token_count: &dyn Fn(&str) -> usize, budget: usize) -> Plan {
        let mut requests = Requests {
            requests: Vec::new(),
            index: HashMap::new(),
            token_count,
            budget,
        };
        let sentences = document
            .sentences()
            .map(|sentence| plan_sentence(sentence, &mut requests))
            .collect();
        Plan {
            document,
            requests: requests.requests,
            sentences,
        }
    }

    /// The document being translated.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The distinct texts to translate, each at most the budget unless it is a single character.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// Builds the bilingual document from one translation per request, in request order.
    pub fn assemble(
        self,
        translations: Vec<SentenceTranslation>,
        provenance: Provenance,
    ) -> Result<Bilingual> {
        let translations = check_count(
            translations,
            self.requests.len(),
            "assembly of the document",
        )?;
        let mut stats = TranslationStats {
            blocks: self.document.blocks.len(),
            requests: self.requests.len(),
            ..TranslationStats::default()
        };
        let targets: Vec<TargetSentence> = self
            .document
            .sentences()
            .zip(&self.sentences)
            .map(|(sentence, plan)| match plan {
                SentencePlan::Passthrough => TargetSentence {
                    text: sentence.text.clone(),
                    score: None,
                    verdict: Verdict::Passthrough,
                    pieces: 1,
                },
                SentencePlan::Translate {
                    pieces,
                    links,
                    markup,
                } => {
                    if pieces.len() > 1 {
                        stats.split_sentences += 1;
                    }
                    let (english, score) = join_pieces(&sentence.text.text, pieces, &translations);
                    let verdict = Verdict::of_pieces(
                        pieces
                            .iter()
                            .filter_map(|p| p.request.map(|r| &translations[r].verdict)),
                    );
                    let text = if sentence.text.tags.is_empty() {
                        place_links(english, &sentence.text, links, &translations)
                    } else {
                        place_markup(&english, &sentence.text, markup, &translations)
                    };
                    TargetSentence {
                        text,
                        score,
                        verdict,
                        pieces: pieces.len(),
                    }
                }
            })
            .collect();
        stats.verdicts = Tally::of(targets.iter().map(|t| &t.verdict));
        Ok(Bilingual {
            document: self.document,
            targets,
            provenance,
            stats,
        })
    }
}

fn plan_sentence(sentence: &SourceSentence, requests: &mut Requests) -> SentencePlan {
    let text = &sentence.text.text;
    if !needs_translation(text) {
        return SentencePlan::Passthrough;
    }
    let pieces = requests.pieces(text, Some(true));
    if !sentence.text.tags.is_empty() {
        return SentencePlan::Translate {
            pieces,
            links: Vec::new(),
            markup: plan_markup(&sentence.text, requests),
        };
    }
    let links = sentence
        .text
        .links
        .iter()
        .map(|link| {
            let link_text = &text[link.range.clone()];
            if link_text.trim() == text.trim() {
                LinkPlan::WholeSentence
            } else {
                LinkPlan::Pieces(requests.pieces(link_text, None))
            }
        })
        .collect();
    SentencePlan::Translate {
        pieces,
        links,
        markup: Vec::new(),
    }
}

/// The English of `pieces` of `source`, and the mean score of the translated ones.
pub(super) fn join_pieces(
    source: &str,
    pieces: &[Piece],
    translations: &[SentenceTranslation],
) -> (String, Option<f32>) {
    let mut english = String::new();
    let mut scores = Vec::new();
    let mut unscored = false;
    for (i, piece) in pieces.iter().enumerate() {
        let part = match piece.request {
            Some(request) => {
                let translation = &translations[request];
                match translation.score {
                    Some(score) => scores.push(score),
                    None => unscored = true,
                }
                translation.text.trim()
            }
            None => &source[piece.range.clone()],
        };
        if i > 0 && !english.is_empty() && !part.is_empty() {
            let cut_at_space = piece.range.start > pieces[i - 1].range.end;
            if cut_at_space {
                english.push(' ');
            }
        }
        english.push_str(part);
    }
    let score =
        (!unscored && !scores.is_empty()).then(|| scores.iter().sum::<f32>() / scores.len() as f32);
    (english, score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_score_is_the_mean_and_missing_scores_win() {
        let pieces = [
            Piece {
                range: 0..2,
                request: Some(0),
            },
            Piece {
                range: 3..5,
                request: Some(1),
            },
        ];
        let scored = |a, b| {
            [a, b]
                .map(|score| SentenceTranslation::new("x", score))
                .to_vec()
        };
        assert_eq!(
            join_pieces("ab cd", &pieces, &scored(Some(-1.0), Some(-3.0))).1,
            Some(-2.0)
        );
        assert_eq!(
            join_pieces("ab cd", &pieces, &scored(Some(-1.0), None)).1,
            None
        );
        assert_eq!(join_pieces("ab cd", &pieces, &scored(None, None)).0, "x x");
    }
}
