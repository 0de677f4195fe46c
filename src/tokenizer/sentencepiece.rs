//! A SentencePiece unigram model in pure Rust: normaliser, Viterbi segmentation and piece decoding,
//! behaving like Google's C++ library 0.2.3 (the one Python's `sentencepiece` wraps, and the one the
//! fixture's reference was made with) on the same `.spm` file.
//!
//! Rules followed to the letter, because a single differing piece changes every translation after it:
//! - Normalisation: at each position, a user-defined symbol is kept as is, else the longest rule of the
//!   precompiled charsmap applies, else the character is copied; with `remove_extra_whitespaces`,
//!   leading and trailing spaces go and runs of spaces become one; `add_dummy_prefix` puts a `▁` in
//!   front (behind with `treat_whitespace_as_suffix`); `escape_whitespaces` turns spaces into `▁`.
//!   Every normalised byte remembers which input byte it came from, so pieces map back to the input.
//! - Segmentation: SentencePiece's "optimised" Viterbi in f32 arithmetic, with the same visiting order
//!   and tie-breaking (the first candidate wins) and the same rebasing of path scores beyond ±100000.
//!   A character no piece covers becomes unknown, scored `min_score - 10`; unused pieces are skipped;
//!   a user-defined piece of `n` bytes scores `0.1 × (n − 1)`. Consecutive unknown characters fuse
//!   into one unknown piece, or become `<0xNN>` byte pieces when the model has `byte_fallback`.
//! - Decoding: control pieces vanish, `<unk>` becomes the unknown surface (` ⁇ `), a piece the model
//!   does not know is kept verbatim, the first `▁`s are dropped, `▁` becomes a space, byte pieces are
//!   reassembled into UTF-8, then the denormaliser (if the model has one) runs.
//!
//! (Versions before 0.2.3 scored user-defined pieces differently and added scores in double
//! precision; only ties between equally scored segmentations can come out differently.)

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::spm_proto::{ModelProto, ModelType, NormalizerSpec, PieceType};
use prost::Message;

use super::charsmap::CharsMap;

/// `▁` (U+2581), SentencePiece's visible space.
pub(crate) const SPACE_SYMBOL: &str = "\u{2581}";
/// Penalty below the worst piece score for an unknown character (SentencePiece's `kUnkPenalty`).
const UNK_PENALTY: f32 = 10.0;
/// Path scores beyond this magnitude are rebased to zero (SentencePiece's `kScoreResetThreshold`).
const SCORE_RESET_THRESHOLD: f32 = 100_000.0;
/// SentencePiece refuses pieces this long or longer.
const MAX_PIECE_BYTES: usize = 8000;

/// The kind of one piece, as the model file declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PieceKind {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

/// One piece of the model: its text, its log-probability and its kind.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    score: f32,
    kind: PieceKind,
}

/// One piece of an encoded text: its string and the byte range of the input it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodedPiece {
    /// The piece as SentencePiece's Python API returns it (`encode(text, out_type=str)`).
    pub(crate) text: String,
    /// The bytes of the input this piece covers (empty for the dummy `▁` prefix).
    pub(crate) range: Range<usize>,
}

/// A loaded SentencePiece unigram model.
#[derive(Debug, Clone)]
pub(crate) struct SentencePiece {
    pieces: Vec<Piece>,
    /// Normal, user-defined and unused pieces: the ones segmentation can produce.
    segmentable: HashMap<String, u32>,
    /// Control, unknown and byte pieces: looked up first when a piece string becomes an id.
    reserved: HashMap<String, u32>,
    /// Length in bytes of the longest segmentable piece.
    longest_piece: usize,
    /// The unknown piece; only a byte-fallback model may lack one.
    unk_id: Option<u32>,
    min_score: f32,
    byte_fallback: bool,
    unk_surface: String,
    normalizer: Normalizer,
    denormalizer: Option<Normalizer>,
}

impl SentencePiece {
    /// Parses a `.spm` file's bytes; `Err` says in words what is wrong with them.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("the file is empty".into());
        }
        let model = ModelProto::decode(bytes).map_err(|err| {
            format!("not a SentencePiece model: protobuf decoding failed ({err}); the file may be truncated or corrupt")
        })?;
        let trainer = model.trainer_spec.as_ref().ok_or(
            "the model has no trainer spec; the file may be truncated (a SentencePiece model always has one)",
        )?;
        let normalizer_spec = model.normalizer_spec.as_ref().ok_or(
            "the model has no normalizer spec; the file may be truncated (a SentencePiece model always has one)",
        )?;
        if trainer.model_type() != ModelType::Unigram {
            return Err(format!(
                "the model type is {}, but Marian tokenizers use unigram models",
                trainer.model_type().name()
            ));
        }
        if model.pieces.is_empty() {
            return Err("the model has no pieces".into());
        }

        let byte_fallback = trainer.byte_fallback();
        let mut pieces = Vec::with_capacity(model.pieces.len());
        let mut segmentable = HashMap::new();
        let mut reserved = HashMap::new();
        let mut user_defined = HashSet::new();
        let mut unk_id = None;
        let mut byte_pieces = HashSet::new();
        for (index, piece) in model.pieces.iter().enumerate() {
            let id = u32::try_from(index).map_err(|_| "the model has too many pieces")?;
            let text = piece.piece().to_owned();
            if text.is_empty() {
                return Err(format!("piece {id} is empty"));
            }
            if text.len() >= MAX_PIECE_BYTES {
                return Err(format!("piece {id} is {} bytes long", text.len()));
            }
            if !piece.score().is_finite() {
                return Err(format!("piece {id} {text:?} has score {}", piece.score()));
            }
            let mut kind = match piece.r#type() {
                PieceType::Normal => PieceKind::Normal,
                PieceType::Unknown => PieceKind::Unknown,
                PieceType::Control => PieceKind::Control,
                PieceType::UserDefined => PieceKind::UserDefined,
                PieceType::Unused => PieceKind::Unused,
                PieceType::Byte => PieceKind::Byte,
            };
            // Some converters add a raw NUL piece next to <0x00>; SentencePiece disables it.
            if text == "\0" && byte_fallback {
                kind = PieceKind::Unused;
            }
            let keep_out_of_tables = text == "\0" && kind == PieceKind::Unused;
            if !keep_out_of_tables {
                if text.contains('\0') {
                    return Err(format!("piece {id} {text:?} contains a NUL character"));
                }
                let table = match kind {
                    PieceKind::Normal | PieceKind::UserDefined | PieceKind::Unused => {
                        &mut segmentable
                    }
                    PieceKind::Unknown | PieceKind::Control | PieceKind::Byte => &mut reserved,
                };
                if table.insert(text.clone(), id).is_some() {
                    return Err(format!("piece {id} {text:?} is defined twice"));
                }
                match kind {
                    PieceKind::UserDefined => {
                        user_defined.insert(text.clone());
                    }
                    PieceKind::Unknown if unk_id.is_some() => {
                        return Err(format!("piece {id} {text:?} is a second unknown piece"));
                    }
                    PieceKind::Unknown => unk_id = Some(id),
                    PieceKind::Byte => match byte_of_piece(&text) {
                        Some(byte) if byte_fallback => {
                            byte_pieces.insert(byte);
                        }
                        Some(_) => {
                            return Err(format!(
                                "byte piece {text:?} found although byte_fallback is off"
                            ))
                        }
                        None => {
                            return Err(format!("byte piece {text:?} is not of the form <0xNN>"))
                        }
                    },
                    _ => {}
                }
            }
            pieces.push(Piece {
                text,
                score: piece.score(),
                kind,
            });
        }
        if unk_id.is_none() && !byte_fallback {
            return Err("the model has no unknown piece (<unk>)".into());
        }
        if byte_fallback && byte_pieces.len() != 256 {
            return Err(format!(
                "byte_fallback is on but the model has {} of the 256 byte pieces",
                byte_pieces.len()
            ));
        }

        let min_score = pieces
            .iter()
            .filter(|p| p.kind == PieceKind::Normal)
            .map(|p| p.score)
            .fold(f32::MAX, f32::min);
        let longest_piece = segmentable.keys().map(String::len).max().unwrap_or(0);

        let treat_whitespace_as_suffix = trainer.treat_whitespace_as_suffix();
        let normalizer =
            Normalizer::new(normalizer_spec, treat_whitespace_as_suffix, user_defined)?;
        let denormalizer = match model.denormalizer_spec.as_ref() {
            Some(spec) if !spec.precompiled_charsmap().is_empty() => {
                Some(Normalizer::new(spec, false, HashSet::new())?)
            }
            _ => None,
        };

        Ok(SentencePiece {
            pieces,
            segmentable,
            reserved,
            longest_piece,
            unk_id,
            min_score,
            byte_fallback,
            unk_surface: trainer.unk_surface().to_owned(),
            normalizer,
            denormalizer,
        })
    }

    /// Number of pieces in the model.
    pub(crate) fn len(&self) -> usize {
        self.pieces.len()
    }

    /// The piece with SentencePiece id `id`, if the model has that many pieces.
    pub(crate) fn id_to_piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(|p| p.text.as_str())
    }

    /// SentencePiece's `PieceToId`: reserved pieces first, then the others, else the unknown id
    /// (`None` only in a byte-fallback model without `<unk>`).
    fn piece_to_id(&self, piece: &str) -> Option<u32> {
        self.reserved
            .get(piece)
            .or_else(|| self.segmentable.get(piece))
            .copied()
            .or(self.unk_id)
    }

    fn kind(&self, id: Option<u32>) -> Option<PieceKind> {
        id.map(|id| self.pieces[id as usize].kind)
    }

    /// Segments `text` into pieces, like `SentencePieceProcessor.encode(text, out_type=str)`.
    pub(crate) fn encode(&self, text: &str) -> Vec<EncodedPiece> {
        let normalized = self.normalizer.normalize(text);
        let best_path = self.viterbi(&normalized.text);

        let mut pieces: Vec<EncodedPiece> = Vec::with_capacity(best_path.len());
        let mut previous_was_unknown = false;
        for (span, id) in best_path {
            let surface = &normalized.text[span.clone()];
            let range = normalized.to_input[span.start]..normalized.to_input[span.end];
            let is_unknown = id.is_none() || self.kind(id) == Some(PieceKind::Unknown);
            if is_unknown && self.byte_fallback {
                // Every byte of the unknown character becomes a piece; the last one carries the
                // character's input range, the others an empty range at its start.
                let bytes = surface.as_bytes();
                for (i, byte) in bytes.iter().enumerate() {
                    let last = i + 1 == bytes.len();
                    pieces.push(EncodedPiece {
                        text: format!("<0x{byte:02X}>"),
                        range: if last {
                            range.clone()
                        } else {
                            range.start..range.start
                        },
                    });
                }
            } else if is_unknown && previous_was_unknown {
                let last = pieces.last_mut().expect("a previous unknown piece exists");
                last.text.push_str(surface);
                last.range.end = range.end;
            } else {
                pieces.push(EncodedPiece {
                    text: surface.to_owned(),
                    range,
                });
            }
            previous_was_unknown = is_unknown;
        }
        pieces
    }

    /// The best segmentation of normalised text: (byte span, piece id; `None` for an unknown
    /// character in a model without `<unk>`) in order.
    fn viterbi(&self, normalized: &str) -> Vec<(Range<usize>, Option<u32>)> {
        #[derive(Clone, Copy)]
        struct BestPath {
            id: Option<u32>,
            score: f32,
            /// Where the last piece of the best path ending here starts; `None` while unreached.
            starts_at: Option<usize>,
        }
        let size = normalized.len();
        if size == 0 {
            return Vec::new();
        }
        let unk_score = self.min_score - UNK_PENALTY;
        let mut ends_at = vec![
            BestPath {
                id: None,
                score: 0.0,
                starts_at: None,
            };
            size + 1
        ];
        // The furthest position any candidate reached so far: rebasing stops there.
        let mut frontier = 0;

        let offer = |ends_at: &mut Vec<BestPath>, end: usize, start: usize, id, score: f32| {
            let target = &mut ends_at[end];
            if target.starts_at.is_none() || score > target.score {
                *target = BestPath {
                    id,
                    score,
                    starts_at: Some(start),
                };
            }
        };

        for (start, character) in normalized.char_indices() {
            let mut score_so_far = ends_at[start].score;
            if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&score_so_far) {
                // Long inputs: subtract the current score from every reached node ahead, as the
                // C++ does, so that f32 keeps its precision (and rounds exactly as it does).
                let offset = score_so_far;
                for (i, node) in ends_at
                    .iter_mut()
                    .enumerate()
                    .take(frontier + 1)
                    .skip(start)
                {
                    if i == start || node.starts_at.is_some() {
                        node.score -= offset;
                    }
                }
                score_so_far = 0.0;
            }
            let char_len = character.len_utf8();
            let mut covers_one_char = false;
            let ends = normalized[start..]
                .char_indices()
                .map(|(offset, c)| start + offset + c.len_utf8())
                .take_while(|&end| end - start <= self.longest_piece);
            for end in ends {
                let Some(&id) = self.segmentable.get(&normalized[start..end]) else {
                    continue;
                };
                let piece = &self.pieces[id as usize];
                let piece_score = match piece.kind {
                    PieceKind::Unused => continue,
                    // "User defined symbol receives extra bonus to always be selected."
                    PieceKind::UserDefined => (0.1 * (end - start - 1) as f64) as f32,
                    _ => piece.score,
                };
                frontier = frontier.max(end);
                offer(
                    &mut ends_at,
                    end,
                    start,
                    Some(id),
                    piece_score + score_so_far,
                );
                if end - start == char_len {
                    covers_one_char = true;
                }
            }
            if !covers_one_char {
                frontier = frontier.max(start + char_len);
                let score = unk_score + score_so_far;
                offer(&mut ends_at, start + char_len, start, self.unk_id, score);
            }
        }

        let mut path = Vec::new();
        let mut end = size;
        while end > 0 {
            let node = ends_at[end];
            let start = node
                .starts_at
                .expect("every character boundary is reached by the unknown fallback");
            path.push((start..end, node.id));
            end = start;
        }
        path.reverse();
        path
    }

    /// Joins pieces back into text, like `SentencePieceProcessor.decode_pieces(pieces)`.
    pub(crate) fn decode_pieces<S: AsRef<str>>(&self, pieces: &[S]) -> String {
        let spec = &self.normalizer;
        let strips_leading_space = spec.add_dummy_prefix || spec.remove_extra_whitespaces;
        let mut text = String::new();
        let mut pending_bytes: Vec<u8> = Vec::new();
        // Whether we are still at the beginning, where the dummy-prefix `▁` is dropped.
        let mut at_beginning = true;

        for piece in pieces {
            let piece = piece.as_ref();
            let id = self.piece_to_id(piece);
            let kind = self.kind(id);
            if kind == Some(PieceKind::Byte) {
                pending_bytes.extend(byte_of_piece(piece));
                continue;
            }
            flush_bytes(&mut pending_bytes, &mut text);
            if !text.is_empty() {
                at_beginning = false;
            }
            if kind == Some(PieceKind::Control) {
                continue;
            }
            let mut trimmed = piece;
            let mut dropped_leading_space = false;
            if at_beginning && strips_leading_space {
                if let Some(rest) = piece.strip_prefix(SPACE_SYMBOL) {
                    trimmed = rest;
                    dropped_leading_space = !spec.remove_extra_whitespaces;
                }
            }
            match (id, kind) {
                (Some(id), Some(PieceKind::Unknown)) if self.pieces[id as usize].text == piece => {
                    text.push_str(&self.unk_surface)
                }
                (None, _) | (_, Some(PieceKind::Unknown)) => text.push_str(piece),
                _ => text.push_str(&trimmed.replace(SPACE_SYMBOL, " ")),
            }
            if dropped_leading_space || !text.is_empty() {
                at_beginning = false;
            }
        }
        flush_bytes(&mut pending_bytes, &mut text);

        match &self.denormalizer {
            Some(denormalizer) => denormalizer.normalize(&text).text,
            None => text,
        }
    }
}

/// Appends byte pieces as UTF-8 characters; each byte of an invalid sequence becomes U+FFFD.
fn flush_bytes(bytes: &mut Vec<u8>, text: &mut String) {
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                break;
            }
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                text.push_str(std::str::from_utf8(valid).expect("checked valid prefix"));
                text.push('\u{FFFD}');
                rest = &after[1..];
            }
        }
    }
    bytes.clear();
}

/// The byte a `<0xNN>` piece stands for.
fn byte_of_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// Normalised text and, for each of its bytes (plus one past the end), the input byte it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalized {
    pub(crate) text: String,
    pub(crate) to_input: Vec<usize>,
}

/// SentencePiece's normaliser, configured by one `NormalizerSpec`.
#[derive(Debug, Clone)]
struct Normalizer {
    charsmap: Option<CharsMap>,
    /// User-defined symbols, which are never normalised.
    user_defined: HashSet<String>,
    longest_user_defined: usize,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    treat_whitespace_as_suffix: bool,
}

impl Normalizer {
    fn new(
        spec: &NormalizerSpec,
        treat_whitespace_as_suffix: bool,
        user_defined: HashSet<String>,
    ) -> Result<Self, String> {
        let blob = spec.precompiled_charsmap();
        let charsmap = if blob.is_empty() {
            None
        } else {
            Some(CharsMap::parse(blob)?)
        };
        let longest_user_defined = user_defined.iter().map(String::len).max().unwrap_or(0);
        Ok(Normalizer {
            charsmap,
            user_defined,
            longest_user_defined,
            add_dummy_prefix: spec.add_dummy_prefix(),
            remove_extra_whitespaces: spec.remove_extra_whitespaces(),
            escape_whitespaces: spec.escape_whitespaces(),
            treat_whitespace_as_suffix,
        })
    }

    /// The replacement for the start of `input` and how many input bytes it consumes.
    fn normalize_prefix<'a>(&'a self, input: &'a str) -> (&'a str, usize) {
        if self.longest_user_defined > 0 {
            let longest = self.longest_user_defined.min(input.len());
            let user_symbol = (1..=longest)
                .rev()
                .filter(|&end| input.is_char_boundary(end))
                .find(|&end| self.user_defined.contains(&input[..end]));
            if let Some(end) = user_symbol {
                return (&input[..end], end);
            }
        }
        if let Some((length, replacement)) = self
            .charsmap
            .as_ref()
            .and_then(|map| map.longest_match(input.as_bytes()))
        {
            // A rule ending inside a character would cut the input mid-UTF-8; real charsmaps never
            // do that, and a corrupt one is ignored rather than trusted.
            if input.is_char_boundary(length) {
                return (replacement, length);
            }
        }
        let length = input.chars().next().map_or(0, char::len_utf8);
        (&input[..length], length)
    }

    fn normalize(&self, input: &str) -> Normalized {
        let mut text = String::with_capacity(input.len() * 3);
        let mut to_input = Vec::with_capacity(input.len() * 3);
        let mut rest = input;
        let mut consumed = 0;

        if self.remove_extra_whitespaces {
            while !rest.is_empty() {
                let (replacement, length) = self.normalize_prefix(rest);
                if replacement != " " {
                    break;
                }
                rest = &rest[length..];
                consumed += length;
            }
        }
        if rest.is_empty() {
            return Normalized {
                text,
                to_input: vec![],
            };
        }

        let space = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            " "
        };
        let push = |text: &mut String, to_input: &mut Vec<usize>, s: &str, from: usize| {
            text.push_str(s);
            to_input.extend(std::iter::repeat_n(from, s.len()));
        };

        if !self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            push(&mut text, &mut to_input, space, consumed);
        }
        let mut previous_was_space = self.remove_extra_whitespaces;
        while !rest.is_empty() {
            let (mut replacement, length) = self.normalize_prefix(rest);
            if previous_was_space {
                replacement = replacement.trim_start_matches(' ');
            }
            if !replacement.is_empty() {
                for piece in replacement.split_inclusive(' ') {
                    match piece.strip_suffix(' ') {
                        Some(word) => {
                            push(&mut text, &mut to_input, word, consumed);
                            push(&mut text, &mut to_input, space, consumed);
                        }
                        None => push(&mut text, &mut to_input, piece, consumed),
                    }
                }
                previous_was_space = replacement.ends_with(' ');
            }
            consumed += length;
            rest = &rest[length..];
            if !self.remove_extra_whitespaces {
                previous_was_space = false;
            }
        }

        if self.remove_extra_whitespaces {
            while text.ends_with(space) {
                let length = text.len() - space.len();
                consumed = to_input[length];
                text.truncate(length);
                to_input.truncate(length);
            }
        }
        if self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            push(&mut text, &mut to_input, space, consumed);
        }
        to_input.push(consumed);
        Normalized { text, to_input }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_pieces_parse_only_in_their_exact_form() {
        assert_eq!(byte_of_piece("<0x41>"), Some(0x41));
        assert_eq!(byte_of_piece("<0xE3>"), Some(0xE3));
        assert_eq!(byte_of_piece("<0x4>"), None);
        assert_eq!(byte_of_piece("<0x411>"), None);
        assert_eq!(byte_of_piece("0x41"), None);
    }

    #[test]
    fn invalid_byte_sequences_become_replacement_characters() {
        let mut text = String::new();
        let mut bytes = vec![b'a', 0xE3, 0x81, b'b', 0xFF];
        flush_bytes(&mut bytes, &mut text);
        assert_eq!(text, "a\u{FFFD}\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn rejects_empty_and_non_protobuf_bytes() {
        assert!(SentencePiece::from_bytes(&[]).is_err());
        assert!(SentencePiece::from_bytes(b"\xff\xff\xff\xff\xff").is_err());
    }
}
