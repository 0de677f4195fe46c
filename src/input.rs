//! Bytes to text: byte-order marks, UTF-8 and UTF-16, the legacy encodings French files come in,
//! binary detection and newline normalisation.
//!
//! The rules, in the order they apply:
//!
//! 1. A byte-order mark decides: UTF-8 (`EF BB BF`), UTF-16LE (`FF FE`) or UTF-16BE (`FE FF`). The
//!    mark is removed. A UTF-32 mark is refused (nobody writes articles in UTF-32; decoding it as
//!    UTF-16 would only produce NULs). Invalid sequences after a mark are an error naming the byte.
//! 2. Without a mark, an encoding forced by the caller (`--encoding`) is used as is.
//! 3. Otherwise valid UTF-8 is UTF-8. Input that is *almost* UTF-8 (it holds valid multi-byte UTF-8
//!    sequences and also invalid bytes) is refused with the offset of the first bad byte: guessing
//!    a legacy encoding there would turn every accented letter into mojibake.
//! 4. Otherwise the encoding is guessed with `chardetng` (told the text is French, `.fr`), which
//!    picks Windows-1252 for Western text. ISO-8859-1 decodes the same way (encoding_rs, like
//!    browsers, treats it as Windows-1252). chardetng never answers ISO-8859-15, so a Windows-1252
//!    guess is switched to ISO-8859-15 when the bytes use none of Windows-1252's own range
//!    (0x80–0x9F) but do hold a byte that only makes sense as ISO-8859-15 in French: `¤` (0xA4, the
//!    euro sign there) or `¼ ½ ¾` (0xBC–0xBE, `Œ œ Ÿ` there) next to a letter.
//!    Bytes that are not valid in the guessed encoding are an error.
//! 5. Binary input is refused: the signature of a known binary format at its start (ELF, PDF,
//!    ZIP and the office formats built on it, gzip, PNG, JPEG…, named in the message), a NUL
//!    anywhere, or more than 2 % control characters (at least 3) other than tab, line feed,
//!    carriage return and form feed. A NUL pattern typical of UTF-16 without a byte-order mark
//!    (one byte in two NUL, the others text) is named in the message with the option that reads it.
//! 6. Newlines are normalised: CRLF and lone CR become LF. Every byte offset passeur reports (in
//!    JSONL, for instance) is an offset into this decoded, normalised UTF-8 text.
//!
//! Nothing else is changed: no Unicode normalisation, no trimming, no-break spaces kept.
//!
//! # Reading in bounded memory
//!
//! [`read_file`], [`read_stdin`] and [`read_limited`] look at the first 64 KiB before reading the
//! rest, so binary input (even an endless one such as `/dev/zero`) is refused at once, and never
//! read more than a size limit ([`DEFAULT_MAX_INPUT_BYTES`] unless the caller gives another): a
//! regular file larger than the limit is refused before any byte is read, a stream or device as
//! soon as it passes it. [`Lines`] decodes a stream line by line, for filters that must not wait
//! for the end of their input.

mod lines;

pub use lines::Lines;

use crate::{Error, Result};
use encoding_rs::Encoding;
use std::io::Read;
use std::path::Path;

/// How the encoding of an input was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// A byte-order mark at the start of the input (removed from the text).
    ByteOrderMark,
    /// The caller named the encoding.
    Forced,
    /// The input was valid UTF-8.
    ValidUtf8,
    /// Guessed from the bytes (chardetng, then the ISO-8859-15 rule of the module docs).
    Guessed,
    /// Declared by the input itself: a web page's `<meta charset>` or its HTTP `Content-Type`
    /// (see [`crate::html::decode`]).
    Declared,
}

/// How many line endings were rewritten to `\n`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NewlineCounts {
    /// `\r\n` pairs replaced by `\n`.
    pub crlf: usize,
    /// Lone `\r` replaced by `\n`.
    pub lone_cr: usize,
}

/// Text decoded from bytes, with how it was decoded.
#[derive(Debug, Clone)]
pub struct DecodedText {
    /// The text: UTF-8, byte-order mark removed, newlines normalised to `\n`.
    pub text: String,
    /// The encoding the bytes were read in.
    pub encoding: &'static Encoding,
    /// How that encoding was decided.
    pub detection: Detection,
    /// Line endings rewritten during normalisation.
    pub newlines: NewlineCounts,
}

impl DecodedText {
    /// The encoding and how it was decided, in words, e.g. `windows-1252 (guessed)`.
    pub fn describe_encoding(&self) -> String {
        let how = match self.detection {
            Detection::ByteOrderMark => "byte-order mark",
            Detection::Forced => "forced",
            Detection::ValidUtf8 => "valid UTF-8",
            Detection::Guessed => "guessed",
            Detection::Declared => "declared by the page",
        };
        format!("{} ({how})", self.encoding.name())
    }
}

/// The name messages use for standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Looks up an encoding by one of its standard (WHATWG) labels, e.g. `windows-1252`, `latin1`,
/// `iso-8859-15`, `utf-16le`.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| Error::UnknownEncoding {
        label: label.to_string(),
    })
}

/// The largest input read unless the caller sets another limit: 64 MiB, hundreds of times a long
/// article, and still a few GB of memory once parsed and translated.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 << 20;

/// How much of an input is looked at (for binary signatures and NUL bytes) before the rest is read.
pub const SNIFF_BYTES: usize = 64 << 10;

/// Reads and decodes the file at `path` (see the module docs for the rules), up to
/// [`DEFAULT_MAX_INPUT_BYTES`].
pub fn read_file(path: &Path, forced: Option<&'static Encoding>) -> Result<DecodedText> {
    read_file_with_limit(path, forced, DEFAULT_MAX_INPUT_BYTES)
}

/// [`read_file`] with another size limit, in bytes.
pub fn read_file_with_limit(
    path: &Path,
    forced: Option<&'static Encoding>,
    max_bytes: u64,
) -> Result<DecodedText> {
    let bytes = read_file_bytes(path, forced, max_bytes)?;
    decode(&bytes, &path.display().to_string(), forced)
}

/// The bytes of the file at `path`, read as [`read_limited`] reads them (binary signatures
/// refused, at most `max_bytes`), for a caller that decodes them itself (a web page's charset).
pub fn read_file_bytes(
    path: &Path,
    forced: Option<&'static Encoding>,
    max_bytes: u64,
) -> Result<Vec<u8>> {
    let name = path.display().to_string();
    let file = open_file(path)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    read_limited(file, &name, forced, max_bytes, size)
}

/// Opens `path` for reading, refusing a directory with a clear message.
pub fn open_file(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::File::open(path).map_err(|err| Error::io(path, err))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a directory, not a file (`passeur batch` translates directories)",
            ),
        ));
    }
    Ok(file)
}

/// Reads standard input to its end and decodes it (see the module docs for the rules), up to
/// [`DEFAULT_MAX_INPUT_BYTES`].
pub fn read_stdin(forced: Option<&'static Encoding>) -> Result<DecodedText> {
    read_stdin_with_limit(forced, DEFAULT_MAX_INPUT_BYTES)
}

/// [`read_stdin`] with another size limit, in bytes.
pub fn read_stdin_with_limit(
    forced: Option<&'static Encoding>,
    max_bytes: u64,
) -> Result<DecodedText> {
    let bytes = read_limited(std::io::stdin().lock(), STDIN_NAME, forced, max_bytes, None)?;
    decode(&bytes, STDIN_NAME, forced)
}

/// Reads the bytes of `reader` (named `input` in messages) in bounded memory: its first
/// [`SNIFF_BYTES`] are checked for a binary signature or a NUL byte before anything else is read,
/// and no more than `max_bytes` are ever held. `known_size` (a regular file's length) lets a file
/// over the limit be refused before reading it. `forced` is the caller's encoding, if any (a
/// UTF-16 input legitimately holds NULs).
pub fn read_limited(
    mut reader: impl Read,
    input: &str,
    forced: Option<&'static Encoding>,
    max_bytes: u64,
    known_size: Option<u64>,
) -> Result<Vec<u8>> {
    if let Some(size) = known_size.filter(|&size| size > max_bytes) {
        // A binary file is named as one whatever its size: only its first bytes are read.
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut reader)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(|err| Error::io(input, err))?;
        sniff(&prefix, input, forced)?;
        return Err(too_large(input, max_bytes, Some(size)));
    }
    let capacity = known_size.unwrap_or(SNIFF_BYTES as u64).min(max_bytes) as usize;
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    let prefix_len = (SNIFF_BYTES as u64).min(max_bytes.saturating_add(1));
    (&mut reader)
        .take(prefix_len)
        .read_to_end(&mut bytes)
        .map_err(|err| Error::io(input, err))?;
    sniff(&bytes, input, forced)?;
    let rest_limit = (max_bytes + 1).saturating_sub(bytes.len() as u64);
    reader
        .take(rest_limit)
        .read_to_end(&mut bytes)
        .map_err(|err| Error::io(input, err))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(input, max_bytes, known_size));
    }
    Ok(bytes)
}

/// A byte count in words: `512 bytes`, `64 MiB`, `1.5 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn too_large(input: &str, limit: u64, size: Option<u64>) -> Error {
    Error::InputTooLarge {
        input: input.to_string(),
        limit,
        size,
    }
}

/// Refuses the first bytes of an input that are certainly not text (see rule 5), before the rest
/// is read; `decode` applies the same rules to the whole input.
fn sniff(prefix: &[u8], input: &str, forced: Option<&'static Encoding>) -> Result<()> {
    if has_byte_order_mark(prefix) {
        return Ok(());
    }
    if let Some(detail) = binary_signature(prefix) {
        return Err(Error::BinaryInput {
            input: input.to_string(),
            detail,
        });
    }
    let utf16 = forced.is_some_and(|e| e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE);
    if let (false, Some(offset)) = (utf16, prefix.iter().position(|&b| b == 0)) {
        return Err(Error::BinaryInput {
            input: input.to_string(),
            detail: nul_detail(prefix, offset),
        });
    }
    Ok(())
}

fn has_byte_order_mark(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || bytes.starts_with(&[0, 0, 0xFE, 0xFF])
}

/// Formats recognised by their first bytes, what they are called in messages, and whether the
/// signature is also plausible text (it then counts only with a NUL byte soon after it).
const BINARY_SIGNATURES: &[(&[u8], &str, bool)] = &[
    (b"\x7fELF", "an ELF executable or library", false),
    (
        b"%PDF-",
        "a PDF document; extract its text first, e.g. with pdftotext",
        false,
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive (.docx, .odt and .epub files are ZIP archives too)",
        false,
    ),
    (
        b"\x1f\x8b",
        "gzip-compressed data; decompress it first",
        false,
    ),
    (b"BZh", "bzip2-compressed data; decompress it first", true),
    (
        b"\xfd7zXZ\x00",
        "xz-compressed data; decompress it first",
        false,
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed data; decompress it first",
        false,
    ),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", false),
    (b"\x89PNG", "a PNG image", false),
    (b"\xff\xd8\xff", "a JPEG image", false),
    (b"GIF8", "a GIF image", false),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a Microsoft Office (OLE) document; save it as text first",
        false,
    ),
    (b"SQLite format 3\x00", "an SQLite database", false),
    (b"\x00asm", "a WebAssembly module", false),
    (
        b"\xca\xfe\xba\xbe",
        "a Mach-O executable or Java class file",
        false,
    ),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable", false),
    (b"MZ", "a Windows executable", true),
];

/// What known binary format `bytes` start with, in words with the first NUL's offset; `None` for
/// anything else.
fn binary_signature(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let nul = head.iter().position(|&b| b == 0);
    let (_, what, _) = BINARY_SIGNATURES.iter().find(|(signature, _, textlike)| {
        bytes.starts_with(signature) && (!textlike || nul.is_some_and(|n| n < 1024))
    })?;
    Some(match nul {
        Some(offset) => format!("{what}; NUL byte at offset {offset}"),
        None => what.to_string(),
    })
}

/// Decodes `bytes` into normalised UTF-8 text; `input` names the input in error messages and
/// `forced` overrides detection when the bytes carry no byte-order mark.
///
/// ```
/// use passeur::input::{decode, Detection};
/// // "Le cœur à 5 €" in Windows-1252, with Windows line endings.
/// let decoded = decode(b"Le c\x9cur \xe0 5 \x80\r\nFin.", "article.txt", None)?;
/// assert_eq!(decoded.text, "Le cœur à 5 €\nFin.");
/// assert_eq!(decoded.encoding, encoding_rs::WINDOWS_1252);
/// assert_eq!(decoded.detection, Detection::Guessed);
/// # Ok::<(), passeur::Error>(())
/// ```
pub fn decode(bytes: &[u8], input: &str, forced: Option<&'static Encoding>) -> Result<DecodedText> {
    let (text, encoding, detection) = if bytes.starts_with(&[0xFF, 0xFE, 0, 0])
        || bytes.starts_with(&[0, 0, 0xFE, 0xFF])
    {
        return Err(Error::Undecodable {
            input: input.to_string(),
            encoding: "UTF-16 or UTF-8",
            offset: 0,
            detail: "the file starts with a UTF-32 byte-order mark".to_string(),
            hint: "convert it to UTF-8 first (for instance `iconv -f UTF-32 -t UTF-8`)",
        });
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let text = decode_utf8_strict(rest, 3, input, BOM_HINT)?;
        (text, encoding_rs::UTF_8, Detection::ByteOrderMark)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let text = decode_utf16(rest, u16::from_le_bytes, input)?;
        (text, encoding_rs::UTF_16LE, Detection::ByteOrderMark)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let text = decode_utf16(rest, u16::from_be_bytes, input)?;
        (text, encoding_rs::UTF_16BE, Detection::ByteOrderMark)
    } else if let Some(detail) = binary_signature(bytes) {
        return Err(Error::BinaryInput {
            input: input.to_string(),
            detail,
        });
    } else if let Some(encoding) = forced {
        (
            decode_forced(bytes, encoding, input)?,
            encoding,
            Detection::Forced,
        )
    } else {
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(Error::BinaryInput {
                input: input.to_string(),
                detail: nul_detail(bytes, offset),
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_string(), encoding_rs::UTF_8, Detection::ValidUtf8),
            Err(err) => {
                if holds_utf8_sequences(bytes) {
                    return Err(Error::Undecodable {
                        input: input.to_string(),
                        encoding: "UTF-8",
                        offset: err.valid_up_to(),
                        detail: "the rest of the file is UTF-8, this byte is not".to_string(),
                        hint: "repair the file, or pass --encoding if it really is in a legacy \
                               encoding such as windows-1252",
                    });
                }
                let encoding = guess_legacy_encoding(bytes);
                (
                    decode_forced(bytes, encoding, input)?,
                    encoding,
                    Detection::Guessed,
                )
            }
        }
    };
    reject_binary_text(&text, input)?;
    let (text, newlines) = normalize_newlines(&text);
    Ok(DecodedText {
        text,
        encoding,
        detection,
        newlines,
    })
}

const BOM_HINT: &str = "the file starts with a UTF-8 byte-order mark but is damaged after it; \
                        repair it, or remove the mark and pass --encoding";

/// Replaces CRLF and lone CR by LF, counting each.
pub(crate) fn normalize_newlines(text: &str) -> (String, NewlineCounts) {
    let mut counts = NewlineCounts::default();
    if !text.contains('\r') {
        return (text.to_string(), counts);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\r' {
            out.push(c);
        } else if chars.peek() == Some(&'\n') {
            chars.next();
            counts.crlf += 1;
            out.push('\n');
        } else {
            counts.lone_cr += 1;
            out.push('\n');
        }
    }
    (out, counts)
}

fn decode_utf8_strict(
    bytes: &[u8],
    skipped: usize,
    input: &str,
    hint: &'static str,
) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(err) => Err(Error::Undecodable {
            input: input.to_string(),
            encoding: "UTF-8",
            offset: skipped + err.valid_up_to(),
            detail: match err.error_len() {
                Some(_) => "invalid byte sequence".to_string(),
                None => "the file ends in the middle of a character".to_string(),
            },
            hint,
        }),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, input: &str) -> Result<String> {
    let encoding = if unit([1, 0]) == 1 {
        "UTF-16LE"
    } else {
        "UTF-16BE"
    };
    let undecodable = |offset, detail: &str| Error::Undecodable {
        input: input.to_string(),
        encoding,
        offset,
        detail: detail.to_string(),
        hint: "the file starts with a UTF-16 byte-order mark but is damaged after it; repair it",
    };
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(undecodable(
            bytes.len() + 1,
            "odd number of bytes: the last character is cut",
        ));
    }
    let mut text = String::with_capacity(bytes.len());
    let mut units_read = 0;
    for decoded in char::decode_utf16(pairs.map(|pair| unit([pair[0], pair[1]]))) {
        match decoded {
            Ok(c) => {
                units_read += c.len_utf16();
                text.push(c);
            }
            Err(_) => return Err(undecodable(2 + 2 * units_read, "unpaired surrogate")),
        }
    }
    Ok(text)
}

fn decode_forced(bytes: &[u8], encoding: &'static Encoding, input: &str) -> Result<String> {
    if encoding == encoding_rs::UTF_8 {
        return decode_utf8_strict(
            bytes,
            0,
            input,
            "repair the file or pass another --encoding",
        );
    }
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        let unit = if encoding == encoding_rs::UTF_16LE {
            u16::from_le_bytes
        } else {
            u16::from_be_bytes
        };
        return decode_utf16(bytes, unit, input).map_err(|err| match err {
            Error::Undecodable {
                input,
                encoding,
                offset,
                detail,
                ..
            } => Error::Undecodable {
                input,
                encoding,
                offset: offset - 2,
                detail,
                hint: "repair the file or pass another --encoding",
            },
            other => other,
        });
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3);
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(text),
        encoding_rs::DecoderResult::Malformed(bad, after) => Err(Error::Undecodable {
            input: input.to_string(),
            encoding: encoding.name(),
            offset: read - bad as usize - after as usize,
            detail: "a byte this encoding does not define".to_string(),
            hint: "pass the right --encoding",
        }),
        encoding_rs::DecoderResult::OutputFull => {
            unreachable!("the buffer was sized for the input")
        }
    }
}

/// Whether `bytes` contain at least one valid multi-byte UTF-8 sequence.
fn holds_utf8_sequences(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

fn guess_legacy_encoding(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(Some(b"fr"), chardetng::Utf8Detection::Deny);
    if guess == encoding_rs::WINDOWS_1252 && looks_like_iso_8859_15(bytes) {
        encoding_rs::ISO_8859_15
    } else {
        guess
    }
}

/// The ISO-8859-15 rule of the module docs.
fn looks_like_iso_8859_15(bytes: &[u8]) -> bool {
    if bytes.iter().any(|b| (0x80..=0x9F).contains(b)) {
        return false;
    }
    let is_letter = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic() || *b >= 0xC0);
    bytes.iter().enumerate().any(|(i, &b)| {
        b == 0xA4
            || ((0xBC..=0xBE).contains(&b)
                && (is_letter(bytes.get(i + 1)) || i > 0 && is_letter(bytes.get(i - 1))))
    })
}

/// Whether `bytes` look like UTF-16 text without a byte-order mark: in their first 512 bytes, one
/// byte of each pair is almost always NUL and the other almost always a text character (ASCII
/// printable, whitespace or Latin-1). Executables and images have NULs in both places.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(512) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return false;
    }
    let is_text = |b: u8| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E | 0xA0..=0xFF);
    [0, 1].into_iter().any(|nul_side| {
        let (mut nuls, mut text) = (0, 0);
        for pair in sample.chunks_exact(2) {
            let (high, low) = (pair[nul_side], pair[1 - nul_side]);
            nuls += usize::from(high == 0);
            text += usize::from(is_text(low));
        }
        nuls * 10 >= pairs * 9 && text * 10 >= pairs * 9
    })
}

fn nul_detail(bytes: &[u8], offset: usize) -> String {
    if looks_like_utf16(bytes) {
        format!(
            "NUL byte at offset {offset}; every other byte is NUL, as in UTF-16 without a \
             byte-order mark: pass --encoding utf-16le or utf-16be"
        )
    } else {
        format!("NUL byte at offset {offset}")
    }
}

fn reject_binary_text(text: &str, input: &str) -> Result<()> {
    if let Some(position) = text.find('\0') {
        return Err(Error::BinaryInput {
            input: input.to_string(),
            detail: format!("NUL character at byte {position} of the decoded text"),
        });
    }
    let is_odd_control = |c: &char| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C');
    let controls = text.chars().filter(is_odd_control).count();
    let total = text.chars().count();
    if controls >= 3 && controls * 50 > total {
        let first = text.char_indices().find(|(_, c)| is_odd_control(c));
        let (position, c) = first.expect("controls were counted");
        return Err(Error::BinaryInput {
            input: input.to_string(),
            detail: format!(
                "{controls} control characters in {total}, the first U+{:04X} at byte {position} \
                 of the decoded text",
                c as u32
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_pattern_of_utf16_is_named() {
        let bytes: Vec<u8> = "Bonjour à tous"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let err = decode(&bytes, "a.txt", None).unwrap_err().to_string();
        assert!(err.contains("UTF-16 without a byte-order mark"), "{err}");
        let err = decode(b"PK\x03\x04\x00\x00abc", "a.zip", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("NUL byte at offset 4") && !err.contains("without a byte-order"),
            "{err}"
        );
    }

    #[test]
    fn iso_8859_15_rule_needs_a_letter_next_to_the_fraction() {
        assert!(looks_like_iso_8859_15(b"c\xbdur"));
        assert!(looks_like_iso_8859_15(b"5 \xa4"));
        assert!(!looks_like_iso_8859_15(b"1 \xbd litre"));
        assert!(!looks_like_iso_8859_15(b"c\x9cur \xbd"));
    }
}
