//! MarianTokenizer in pure Rust: text → token ids → text, exactly as Hugging Face transformers (5.x)
//! does it with an opus-mt repo's own `source.spm`, `target.spm` and `vocab.json`.
//!
//! Why exactness matters: the model was trained on these ids, and the reference outputs we test
//! against were produced from transformers' ids; one differing id changes the whole translation.
//!
//! Encoding, step by step (what `MarianTokenizer(text).input_ids` does):
//! 1. The text is split around special-token strings (`</s>`, `<unk>`, `<pad>`, plus any
//!    `additional_special_tokens`), leftmost and longest first; each special string becomes its id.
//! 2. A chunk that starts with `>>` and contains `<<` loses that prefix (a target-language code such
//!    as `>>fra<<`), which becomes one token looked up in `vocab.json`.
//! 3. The rest goes, as is, to the source SentencePiece model (normalisation, unigram Viterbi; see
//!    [`sentencepiece`](self) internals), giving piece strings.
//! 4. Each piece string maps to its id through `vocab.json`; a piece missing there becomes `<unk>`.
//!    Note that the lookup is by *string*: a character the source model does not know but that is a
//!    piece of the joint vocabulary (say `“` from the English side) gets that piece's id.
//! 5. `</s>` is appended.
//!
//! Decoding (`decode(ids, skip_special_tokens=True)`): special ids are dropped, the other ids map to
//! their `vocab.json` pieces, the pieces are joined by the SentencePiece decoder (transformers 5 uses
//! the *source* model for this when source and target share one vocabulary, as opus-mt repos do),
//! `▁` becomes a space and the result is stripped of surrounding whitespace as Python's `str.strip()`
//! would strip it.
//!
//! Special tokens come from `tokenizer_config.json` when the repo has one (`eos_token`, `unk_token`,
//! `pad_token`, `additional_special_tokens`), else transformers' defaults; their ids come from
//! `vocab.json`, never from constants in our code.

mod charsmap;
mod sentencepiece;
mod spm_proto;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::Deserialize;

use crate::hub::ModelFiles;
use crate::{Error, Result};
use sentencepiece::SentencePiece;

/// A special token: its text and its id in `vocab.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SpecialToken {
    text: String,
    id: u32,
}

/// Piece of the input text: either a special-token string or ordinary text for SentencePiece.
enum Segment {
    Special(u32, Range<usize>),
    Text(Range<usize>),
}

/// The tokenizer of a Marian (opus-mt) model, equivalent to transformers' `MarianTokenizer`.
///
/// ```
/// use passeur::tokenizer::MarianTokenizer;
///
/// let dir = "tests/fixtures/marian-tiny";
/// let tokenizer = MarianTokenizer::from_files(
///     format!("{dir}/source.spm"),
///     format!("{dir}/target.spm"),
///     format!("{dir}/vocab.json"),
/// )?;
/// let ids = tokenizer.encode("Bonjour");
/// assert_eq!(ids, [2, 321, 82, 410, 164, 12, 0]); // what transformers gives, </s> = 0 last
/// assert_eq!(tokenizer.decode(&ids), "Bonjour");
/// # Ok::<(), passeur::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MarianTokenizer {
    source: SentencePiece,
    vocab: HashMap<String, u32>,
    pieces_by_id: HashMap<u32, String>,
    eos: SpecialToken,
    unk: SpecialToken,
    pad: SpecialToken,
    /// Every special token, longest text first, for splitting input text around them.
    specials: Vec<SpecialToken>,
    special_ids: HashSet<u32>,
}

impl MarianTokenizer {
    /// Loads a tokenizer from a model's resolved files (reading `tokenizer_config.json` when the
    /// model has one).
    pub fn from_model_files(files: &ModelFiles) -> Result<Self> {
        Self::load(
            &files.source_spm,
            &files.target_spm,
            &files.vocab,
            files.tokenizer_config.as_deref(),
        )
    }

    /// Loads a tokenizer from the two SentencePiece models and the joint vocabulary, with
    /// transformers' default special tokens (`</s>`, `<unk>`, `<pad>`).
    pub fn from_files(
        source_spm: impl AsRef<Path>,
        target_spm: impl AsRef<Path>,
        vocab_json: impl AsRef<Path>,
    ) -> Result<Self> {
        Self::load(
            source_spm.as_ref(),
            target_spm.as_ref(),
            vocab_json.as_ref(),
            None,
        )
    }

    fn load(
        source_spm: &Path,
        target_spm: &Path,
        vocab_json: &Path,
        tokenizer_config: Option<&Path>,
    ) -> Result<Self> {
        let config = match tokenizer_config {
            Some(path) => TokenizerConfig::read(path)?,
            None => TokenizerConfig::default(),
        };
        let source = read_sentencepiece(source_spm)?;
        // transformers loads target.spm too but, with a joint vocabulary, never uses it to encode or
        // decode source-side text; reading it here reports a broken file now rather than never.
        read_sentencepiece(target_spm)?;

        let entries = read_vocab(vocab_json)?;
        // Python's json.load keeps the last id of a repeated piece at the piece's first position,
        // and transformers builds id → piece by walking that dict in order (a later piece wins
        // when two share an id). Both rules are reproduced here.
        let mut vocab = HashMap::with_capacity(entries.len());
        let mut first_seen_order = Vec::with_capacity(entries.len());
        for (piece, id) in entries {
            if vocab.insert(piece.clone(), id).is_none() {
                first_seen_order.push(piece);
            }
        }
        let mut pieces_by_id = HashMap::with_capacity(vocab.len());
        for piece in first_seen_order {
            pieces_by_id.insert(vocab[&piece], piece);
        }

        let special = |text: &str, role: &str| -> Result<SpecialToken> {
            let id = vocab
                .get(text)
                .copied()
                .ok_or_else(|| Error::InvalidVocab {
                    path: vocab_json.to_owned(),
                    problem: format!("the {role} token {text:?} is not in the vocabulary"),
                })?;
            Ok(SpecialToken {
                text: text.to_owned(),
                id,
            })
        };
        let eos = special(&config.eos_token, "end-of-sentence")?;
        let unk = special(&config.unk_token, "unknown")?;
        let pad = special(&config.pad_token, "padding")?;
        let mut specials = vec![eos.clone(), unk.clone(), pad.clone()];
        for text in &config.additional_special_tokens {
            specials.push(special(text, "additional special")?);
        }
        specials.sort_by(|a, b| b.text.len().cmp(&a.text.len()).then(a.text.cmp(&b.text)));
        specials.dedup_by(|a, b| a.text == b.text);
        let special_ids = specials.iter().map(|s| s.id).collect();

        Ok(MarianTokenizer {
            source,
            vocab,
            pieces_by_id,
            eos,
            unk,
            pad,
            specials,
            special_ids,
        })
    }

    /// The token ids of `text`, `</s>` appended: transformers' `tokenizer(text).input_ids`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.encode_with_offsets(text)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// The token ids of `text` with, for each, the byte range of `text` it stands for.
    ///
    /// Ranges are in order and never overlap; a token that stands for no input text (the `▁` that
    /// SentencePiece puts before the first word, the final `</s>`) has an empty range where it sits.
    /// So `text[..tokens[k].1.end]` is the text covered by the first `k + 1` tokens, which is where
    /// an over-long sentence can be cut after token `k`.
    pub fn encode_with_offsets(&self, text: &str) -> Vec<(u32, Range<usize>)> {
        let mut tokens = Vec::new();
        for segment in self.split_on_specials(text) {
            match segment {
                Segment::Special(id, range) => tokens.push((id, range)),
                Segment::Text(range) => {
                    let chunk = &text[range.clone()];
                    let code_len = language_code_len(chunk);
                    if code_len > 0 {
                        let code = &chunk[..code_len];
                        tokens.push((self.piece_id(code), range.start..range.start + code_len));
                    }
                    let offset = range.start + code_len;
                    for piece in self.source.encode(&chunk[code_len..]) {
                        let range = offset + piece.range.start..offset + piece.range.end;
                        tokens.push((self.piece_id(&piece.text), range));
                    }
                }
            }
        }
        tokens.push((self.eos.id, text.len()..text.len()));
        tokens
    }

    /// The tokens of `text` as strings, without `</s>`: transformers' `tokenizer.tokenize(text)`.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        for segment in self.split_on_specials(text) {
            match segment {
                Segment::Special(_, range) => tokens.push(text[range].to_owned()),
                Segment::Text(range) => {
                    let chunk = &text[range];
                    let code_len = language_code_len(chunk);
                    if code_len > 0 {
                        tokens.push(chunk[..code_len].to_owned());
                    }
                    tokens.extend(
                        self.source
                            .encode(&chunk[code_len..])
                            .into_iter()
                            .map(|p| p.text),
                    );
                }
            }
        }
        tokens
    }

    /// The text of generated ids, special tokens skipped: transformers'
    /// `tokenizer.decode(ids, skip_special_tokens=True)`.
    ///
    /// An id outside the vocabulary (which a model matching this tokenizer never produces) shows
    /// as SentencePiece's unknown surface, ` ⁇ `.
    pub fn decode(&self, ids: &[u32]) -> String {
        let special_texts: HashSet<&str> = self.specials.iter().map(|s| s.text.as_str()).collect();
        let mut text = String::new();
        let mut pending: Vec<&str> = Vec::new();
        for &id in ids {
            if self.special_ids.contains(&id) {
                continue;
            }
            let piece = match self.pieces_by_id.get(&id) {
                Some(piece) => piece.as_str(),
                // transformers falls back to the SentencePiece model's own numbering here.
                None => self.source.id_to_piece(id).unwrap_or(&self.unk.text),
            };
            // Mirrors transformers' convert_tokens_to_string, which never lets SentencePiece see a
            // special token's text.
            if special_texts.contains(piece) {
                text.push_str(&self.source.decode_pieces(&pending));
                text.push_str(piece);
                text.push(' ');
                pending.clear();
            } else {
                pending.push(piece);
            }
        }
        text.push_str(&self.source.decode_pieces(&pending));
        let text = text.replace(sentencepiece::SPACE_SYMBOL, " ");
        text.trim_matches(is_python_whitespace).to_owned()
    }

    /// Id of the end-of-sentence token `</s>`.
    pub fn eos_id(&self) -> u32 {
        self.eos.id
    }

    /// Id of the padding token `<pad>` (also the decoder start token of opus-mt models).
    pub fn pad_id(&self) -> u32 {
        self.pad.id
    }

    /// Id of the unknown token `<unk>`.
    pub fn unk_id(&self) -> u32 {
        self.unk.id
    }

    /// Number of entries in `vocab.json` (transformers' `tokenizer.vocab_size`).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The id of a piece or special-token string, if the vocabulary has it.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    /// The piece or special-token string of an id, if the vocabulary has it.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.pieces_by_id.get(&id).map(String::as_str)
    }

    /// Number of pieces in the source SentencePiece model (not the vocabulary size).
    pub fn source_model_pieces(&self) -> usize {
        self.source.len()
    }

    fn piece_id(&self, piece: &str) -> u32 {
        self.vocab.get(piece).copied().unwrap_or(self.unk.id)
    }

    /// Splits `text` around special-token strings, leftmost match first, longest at a position.
    fn split_on_specials(&self, text: &str) -> Vec<Segment> {
        let mut segments = Vec::new();
        let mut text_start = 0;
        let mut position = 0;
        while position < text.len() {
            let rest = &text[position..];
            match self.specials.iter().find(|s| rest.starts_with(&s.text)) {
                Some(special) => {
                    if text_start < position {
                        segments.push(Segment::Text(text_start..position));
                    }
                    let end = position + special.text.len();
                    segments.push(Segment::Special(special.id, position..end));
                    position = end;
                    text_start = end;
                }
                None => {
                    position += rest.chars().next().map_or(1, char::len_utf8);
                }
            }
        }
        if text_start < text.len() {
            segments.push(Segment::Text(text_start..text.len()));
        }
        segments
    }
}

/// Length of a leading target-language code such as `>>fra<<` (transformers'
/// `remove_language_code`: the text starts with `>>` and contains `<<`), else 0.
fn language_code_len(chunk: &str) -> usize {
    if !chunk.starts_with(">>") {
        return 0;
    }
    chunk.find("<<").map_or(0, |at| at + 2)
}

/// Python's `str.isspace()`: Unicode White_Space plus the four ASCII information separators.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn read_sentencepiece(path: &Path) -> Result<SentencePiece> {
    let bytes = std::fs::read(path).map_err(|err| Error::io(path, err))?;
    SentencePiece::from_bytes(&bytes).map_err(|problem| Error::InvalidSentencePiece {
        path: path.to_owned(),
        problem,
    })
}

/// Reads `vocab.json`: a JSON object mapping each piece to a non-negative integer id, in file order.
fn read_vocab(path: &Path) -> Result<Vec<(String, u32)>> {
    let invalid = |problem: String| Error::InvalidVocab {
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::InvalidData => invalid("the file is not UTF-8 text".into()),
        _ => Error::io(path, err),
    })?;
    let VocabEntries(entries) =
        serde_json::from_str(&text).map_err(|err| invalid(err.to_string()))?;
    if entries.is_empty() {
        return Err(invalid("the vocabulary is empty".into()));
    }
    Ok(entries)
}

/// The entries of a JSON object of piece → id, in file order, with precise errors.
struct VocabEntries(Vec<(String, u32)>);

impl<'de> Deserialize<'de> for VocabEntries {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = VocabEntries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object mapping each piece to its integer token id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(piece) = map.next_key::<String>()? {
                    let value: serde_json::Value = map.next_value()?;
                    let id = value
                        .as_u64()
                        .and_then(|id| u32::try_from(id).ok())
                        .ok_or_else(|| {
                            de::Error::custom(format!(
                                "the id of {piece:?} is {value}, not an integer between 0 and {}",
                                u32::MAX
                            ))
                        })?;
                    entries.push((piece, id));
                }
                Ok(VocabEntries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// The parts of `tokenizer_config.json` that change tokenization.
#[derive(Debug, Clone, PartialEq)]
struct TokenizerConfig {
    eos_token: String,
    unk_token: String,
    pad_token: String,
    additional_special_tokens: Vec<String>,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            eos_token: "</s>".into(),
            unk_token: "<unk>".into(),
            pad_token: "<pad>".into(),
            additional_special_tokens: Vec::new(),
        }
    }
}

/// A token in `tokenizer_config.json`: a plain string or an `AddedToken` object with `content`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ConfigToken {
    Text(String),
    Added { content: String },
}

impl ConfigToken {
    fn into_text(self) -> String {
        match self {
            ConfigToken::Text(text) | ConfigToken::Added { content: text } => text,
        }
    }
}

impl TokenizerConfig {
    fn read(path: &Path) -> Result<Self> {
        #[derive(Deserialize)]
        struct RawConfig {
            eos_token: Option<ConfigToken>,
            unk_token: Option<ConfigToken>,
            pad_token: Option<ConfigToken>,
            #[serde(default)]
            additional_special_tokens: Vec<ConfigToken>,
            #[serde(default)]
            separate_vocabs: bool,
        }
        let invalid = |problem: String| Error::InvalidTokenizerConfig {
            path: PathBuf::from(path),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
        let raw: RawConfig = serde_json::from_str(&text).map_err(|err| invalid(err.to_string()))?;
        if raw.separate_vocabs {
            return Err(invalid(
                "separate_vocabs is true (a target_vocab.json model); passeur supports opus-mt models \
                 with one joint vocab.json"
                    .into(),
            ));
        }
        let defaults = TokenizerConfig::default();
        Ok(TokenizerConfig {
            eos_token: raw
                .eos_token
                .map_or(defaults.eos_token, ConfigToken::into_text),
            unk_token: raw
                .unk_token
                .map_or(defaults.unk_token, ConfigToken::into_text),
            pad_token: raw
                .pad_token
                .map_or(defaults.pad_token, ConfigToken::into_text),
            additional_special_tokens: raw
                .additional_special_tokens
                .into_iter()
                .map(ConfigToken::into_text)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_recognised_like_transformers() {
        assert_eq!(language_code_len(">>fra<< Bonjour"), 7);
        assert_eq!(language_code_len(">><<"), 4);
        assert_eq!(language_code_len(">>Bonjour"), 0);
        assert_eq!(language_code_len("x >>fra<<"), 0);
        assert_eq!(language_code_len(""), 0);
    }

    #[test]
    fn python_whitespace_includes_information_separators() {
        for c in ['\u{1c}', '\u{1f}', ' ', '\u{a0}', '\u{202f}', '\u{3000}'] {
            assert!(is_python_whitespace(c), "{c:?}");
        }
        for c in ['\u{200b}', '\u{180e}', 'a', '\u{2581}'] {
            assert!(!is_python_whitespace(c), "{c:?}");
        }
    }
}
