//! JSONL: one JSON object per sentence, in document order.
//!
//! ```json
//! {"paragraph":0,"sentence":1,"start":42,"end":97,"source":"…","target":"…","score":-0.41,
//!  "status":"translated","recovery":null,"pieces":1,"flags":[],"provenance":{"model":"…","revision":null,
//!  "decoding":"…","passeur_version":"…"}}
//! ```
//!
//! * `paragraph`: 0-based index of the block in the document (headings, list blocks and code
//!   blocks count; code blocks have no sentences, so their index has no line);
//! * `sentence`: 0-based position of the sentence in its block;
//! * `start`, `end`: byte range of the sentence in the decoded input (UTF-8, byte-order mark
//!   removed, CRLF and CR turned into LF); slicing the input there gives exactly `source`, line
//!   breaks and Markdown syntax included;
//! * `target`: the English on one line (Markdown links written back for a Markdown source);
//! * `score`: the model's mean log-probability per token, `null` for passthrough;
//! * `status`: `translated`, `recovered` (a fidelity recovery step fixed a defective first
//!   translation; `recovery` names it: `repetition_guard`, `clause_split`, `lower_cased`),
//!   `flagged` (doubts remain: read it against the French) or `passthrough` (copied: nothing to
//!   translate); `pieces`: how many pieces an over-long sentence was translated in; `flags`:
//!   `{"code","reason"}` the doubts about a flagged sentence;
//! * `provenance` repeats on every line so that lines stay self-describing when files are
//!   concatenated or filtered.

use crate::bilingual::Bilingual;
use crate::translate::Provenance;
use crate::verdict::Recovery;
use serde::Serialize;

#[derive(Serialize)]
struct Line<'a> {
    paragraph: usize,
    sentence: usize,
    start: usize,
    end: usize,
    source: &'a str,
    target: String,
    score: Option<f32>,
    status: &'static str,
    recovery: Option<&'static str>,
    pieces: usize,
    flags: Vec<FlagLine>,
    provenance: &'a Provenance,
}

#[derive(Serialize)]
struct FlagLine {
    code: &'static str,
    reason: String,
}

/// Renders `bilingual` as JSON lines, one per sentence, each ending with `\n`.
pub fn render(bilingual: &Bilingual) -> String {
    let mut out = String::new();
    for pair in bilingual.pairs() {
        let line = Line {
            paragraph: pair.block,
            sentence: pair.position,
            start: pair.source.range.start,
            end: pair.source.range.end,
            source: pair.source_text,
            target: pair.target.text.to_markdown(),
            score: pair.target.score.filter(|s| s.is_finite()),
            status: pair.target.verdict.name(),
            recovery: pair.target.verdict.recovery().map(Recovery::code),
            pieces: pair.target.pieces,
            flags: pair
                .target
                .verdict
                .flags()
                .iter()
                .map(|defect| FlagLine {
                    code: defect.code(),
                    reason: defect.to_string(),
                })
                .collect(),
            provenance: &bilingual.provenance,
        };
        out.push_str(&serde_json::to_string(&line).expect("plain data always serialises"));
        out.push('\n');
    }
    out
}
