//! A text stream decoded line by line, in bounded memory: what `passeur lines` reads, so that it can
//! translate an endless input (`yes "Bonjour." | passeur lines`) as it comes, and answer a line
//! typed at a terminal without waiting for more.
//!
//! The rules of [`decode`](super::decode) apply, decided as the bytes arrive rather than on the
//! whole input: a byte-order mark or a forced encoding decides at once; a binary signature at the
//! start or a NUL byte refuses the input at once; while the bytes are ASCII (the same in every
//! encoding considered) nothing needs deciding, and at the first other byte the bytes at hand
//! decide between UTF-8 (valid there) and a guessed legacy encoding. Everything after is decoded
//! strictly in that encoding. The control-character rule applies to the first bytes read; after
//! them a NUL in a line still refuses the input. Line endings are LF, CRLF or a lone CR, as for
//! whole inputs; the last line needs no line ending. Memory is bounded by the longest line, itself
//! limited.

use super::{
    binary_signature, guess_legacy_encoding, holds_utf8_sequences, nul_detail, reject_binary_text,
    DecodedText, Detection, NewlineCounts,
};
use crate::{Error, Result};
use encoding_rs::{DecoderResult, Encoding};
use std::io::Read;

/// Bytes asked of the reader at a time (a read returns what is available, up to this).
const CHUNK: usize = 64 << 10;

/// The lines of a text stream (see the module docs). Each item is one line without its line
/// ending; after an error the iteration ends.
pub struct Lines<R> {
    reader: R,
    input: String,
    /// The encoding and how it was decided; `None` while every byte so far was ASCII.
    decided: Option<(&'static Encoding, Detection, encoding_rs::Decoder)>,
    /// Bytes read and not decoded yet.
    raw: Vec<u8>,
    /// Offset in the input of `raw[0]`.
    raw_offset: u64,
    /// Decoded text not returned yet.
    text: String,
    /// Lines returned so far.
    lines: usize,
    max_line_bytes: usize,
    end_of_input: bool,
    done: bool,
}

impl<R: Read> Lines<R> {
    /// Reads the first bytes `reader` has to give (named `input` in messages) and refuses binary
    /// input at once. `forced` overrides detection as in [`decode`](super::decode); a line longer
    /// than `max_line_bytes` (decoded) is an error naming it.
    pub fn new(
        reader: R,
        input: &str,
        forced: Option<&'static Encoding>,
        max_line_bytes: usize,
    ) -> Result<Lines<R>> {
        let mut lines = Lines {
            reader,
            input: input.to_string(),
            decided: None,
            raw: Vec::new(),
            raw_offset: 0,
            text: String::new(),
            lines: 0,
            max_line_bytes,
            end_of_input: false,
            done: false,
        };
        lines.read_chunk()?;
        let prefix = &lines.raw;
        if prefix.starts_with(&[0xFF, 0xFE, 0, 0]) || prefix.starts_with(&[0, 0, 0xFE, 0xFF]) {
            // `decode` words this refusal; the rest of the input does not matter.
            super::decode(&prefix[..4], input, None)?;
        }
        let marks = [
            (&[0xEF, 0xBB, 0xBF][..], encoding_rs::UTF_8),
            (&[0xFF, 0xFE][..], encoding_rs::UTF_16LE),
            (&[0xFE, 0xFF][..], encoding_rs::UTF_16BE),
        ];
        if let Some(&(mark, encoding)) = marks.iter().find(|(mark, _)| prefix.starts_with(mark)) {
            lines.decide(encoding, Detection::ByteOrderMark);
            lines.raw.drain(..mark.len());
            lines.raw_offset = mark.len() as u64;
        } else if let Some(detail) = binary_signature(prefix) {
            return Err(Error::BinaryInput {
                input: input.to_string(),
                detail,
            });
        } else if let Some(encoding) = forced {
            lines.decide(encoding, Detection::Forced);
        }
        lines.decode_raw()?;
        reject_binary_text(&lines.text, input)?;
        Ok(lines)
    }

    /// The encoding the stream is read in, and how it was decided, e.g. `UTF-8 (valid UTF-8)`
    /// (ASCII so far reads as valid UTF-8).
    pub fn describe_encoding(&self) -> String {
        let (encoding, detection) = match &self.decided {
            Some((encoding, detection, _)) => (*encoding, *detection),
            None => (encoding_rs::UTF_8, Detection::ValidUtf8),
        };
        DecodedText {
            text: String::new(),
            encoding,
            detection,
            newlines: NewlineCounts::default(),
        }
        .describe_encoding()
    }

    fn decide(&mut self, encoding: &'static Encoding, detection: Detection) {
        let decoder = encoding.new_decoder_without_bom_handling();
        self.decided = Some((encoding, detection, decoder));
    }

    /// Appends what the reader has to give (at least one byte, unless the input ended) to `raw`.
    fn read_chunk(&mut self) -> Result<()> {
        let start = self.raw.len();
        self.raw.resize(start + CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut self.raw[start..]) {
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let read = read.map_err(|err| Error::io(&self.input, err))?;
        self.raw.truncate(start + read);
        self.end_of_input = read == 0;
        Ok(())
    }

    /// Decodes the bytes of `raw` onto `text`, deciding the encoding first if they call for it.
    fn decode_raw(&mut self) -> Result<()> {
        if self.decided.is_none() {
            if let Some(position) = self.raw.iter().position(|&b| b == 0) {
                let offset = self.raw_offset as usize + position;
                return Err(Error::BinaryInput {
                    input: self.input.clone(),
                    detail: nul_detail(&self.raw, offset),
                });
            }
            if self.raw.is_ascii() {
                let ascii = std::str::from_utf8(&self.raw).expect("ASCII is UTF-8");
                self.text.push_str(ascii);
                self.raw_offset += self.raw.len() as u64;
                self.raw.clear();
                return Ok(());
            }
            self.decide_from_raw()?;
        }
        let (encoding, _, decoder) = self.decided.as_mut().expect("decided above");
        let last = self.end_of_input;
        let mut start = 0;
        loop {
            let needed = decoder
                .max_utf8_buffer_length_without_replacement(self.raw.len() - start)
                .unwrap_or(usize::MAX / 2);
            self.text.reserve(needed);
            let (result, read) = decoder.decode_to_string_without_replacement(
                &self.raw[start..],
                &mut self.text,
                last,
            );
            start += read;
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(bad, after) => {
                    // The bad sequence may have begun in bytes an earlier call consumed (a cut
                    // UTF-16 unit at the end of the input): count back from the consumed end.
                    let consumed = self.raw_offset + start as u64;
                    let offset = consumed.saturating_sub(u64::from(bad) + u64::from(after));
                    let line = self.lines + 1 + self.text.matches('\n').count();
                    return Err(Error::Undecodable {
                        input: self.input.clone(),
                        encoding: encoding.name(),
                        offset: offset as usize,
                        detail: format!(
                            "a byte sequence this encoding does not allow, on line {line}"
                        ),
                        hint: "repair the input, or pass the right --encoding",
                    });
                }
            }
        }
        self.raw_offset += start as u64;
        self.raw.drain(..start);
        Ok(())
    }

    /// Decides the encoding from the bytes at hand, the first that are not ASCII among them.
    fn decide_from_raw(&mut self) -> Result<()> {
        match std::str::from_utf8(&self.raw) {
            Ok(_) => self.decide(encoding_rs::UTF_8, Detection::ValidUtf8),
            Err(err) if err.error_len().is_none() && !self.end_of_input => {
                self.decide(encoding_rs::UTF_8, Detection::ValidUtf8)
            }
            Err(err) if holds_utf8_sequences(&self.raw) => {
                return Err(Error::Undecodable {
                    input: self.input.clone(),
                    encoding: "UTF-8",
                    offset: self.raw_offset as usize + err.valid_up_to(),
                    detail: "the rest of the input is UTF-8, this byte is not".to_string(),
                    hint: "repair the input, or pass --encoding if it really is in a legacy \
                           encoding such as windows-1252",
                })
            }
            Err(_) => {
                let guess = guess_legacy_encoding(&self.raw);
                self.decide(guess, Detection::Guessed);
            }
        }
        Ok(())
    }

    /// The next complete line of `text`, if there is one.
    fn take_line(&mut self) -> Result<Option<String>> {
        let Some(end) = self.text.find(['\n', '\r']) else {
            if self.text.len() > self.max_line_bytes {
                return Err(self.too_long());
            }
            return Ok(None);
        };
        let after = match self.text.as_bytes()[end] {
            b'\r' if end + 1 == self.text.len() && !self.end_of_input => return Ok(None),
            b'\r' if self.text.as_bytes().get(end + 1) == Some(&b'\n') => end + 2,
            _ => end + 1,
        };
        if end > self.max_line_bytes {
            return Err(self.too_long());
        }
        let line = self.text[..end].to_string();
        self.text.drain(..after);
        self.check(&line)?;
        Ok(Some(line))
    }

    fn check(&mut self, line: &str) -> Result<()> {
        self.lines += 1;
        if let Some(position) = line.find('\0') {
            return Err(Error::BinaryInput {
                input: self.input.clone(),
                detail: format!("NUL character at byte {position} of line {}", self.lines),
            });
        }
        Ok(())
    }

    fn too_long(&self) -> Error {
        Error::Message(format!(
            "{}:{}: the line is longer than {}; one line is one sentence here (`passeur translate` \
             splits long text)",
            self.input,
            self.lines + 1,
            super::human_bytes(self.max_line_bytes as u64)
        ))
    }

    fn next_line(&mut self) -> Result<Option<String>> {
        loop {
            if let Some(line) = self.take_line()? {
                return Ok(Some(line));
            }
            if self.end_of_input {
                if self.text.is_empty() {
                    return Ok(None);
                }
                let line = std::mem::take(&mut self.text);
                self.check(&line)?;
                return Ok(Some(line));
            }
            self.read_chunk()?;
            self.decode_raw()?;
        }
    }
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Result<String>> {
        if self.done {
            return None;
        }
        let next = self.next_line();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
        }
        next.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Result<Vec<String>> {
        Lines::new(bytes, "test", None, 1 << 20)?.collect()
    }

    #[test]
    fn lines_are_those_of_the_decoded_text() {
        for text in [
            "",
            "\n",
            "un",
            "un\n",
            "un\ndeux",
            "un\r\ndeux\rtrois\n\nquatre\n",
            "é\u{a0}«\n»",
        ] {
            let whole = super::super::decode(text.as_bytes(), "t", None)
                .unwrap()
                .text;
            let expected: Vec<String> = if whole.is_empty() {
                Vec::new()
            } else {
                let body = whole.strip_suffix('\n').unwrap_or(&whole);
                body.split('\n').map(String::from).collect()
            };
            assert_eq!(lines(text.as_bytes()).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn encodings_follow_the_rules_of_decode() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Été\r\nhiver".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(lines(&utf16).unwrap(), ["Été", "hiver"]);
        assert_eq!(
            lines(b"L\x92\xe9t\xe9\nc\x9cur").unwrap(),
            ["L’été", "cœur"],
            "windows-1252"
        );
        let reader = Lines::new(&b"\xEF\xBB\xBFa\nb"[..], "t", None, 1 << 20).unwrap();
        assert_eq!(reader.describe_encoding(), "UTF-8 (byte-order mark)");
    }

    #[test]
    fn binary_and_damaged_input_are_refused_with_where() {
        let err = lines(b"\x7fELF\x02\x01\x01\x00\x00\x00")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ELF") && !err.contains("utf-16le"), "{err}");
        let err = lines(&[0u8; 100]).unwrap_err().to_string();
        assert!(err.contains("NUL byte at offset 0"), "{err}");
        // Valid UTF-8 at first, a bad byte far after the sniffed part.
        let mut bytes = "Bonjour é.\n".repeat(10_000).into_bytes();
        bytes.extend_from_slice(b"Par\xe9s\n");
        let err = Lines::new(&bytes[..], "t", None, 1 << 20)
            .unwrap()
            .find_map(|line| line.err())
            .unwrap()
            .to_string();
        assert!(
            err.contains("line 10001") && err.contains("byte 120003"),
            "{err}"
        );
    }

    #[test]
    fn a_character_cut_at_the_end_of_a_stream_is_an_error() {
        // Found by fuzzing: an odd number of UTF-16 bytes, the last one consumed by an earlier
        // read, once made the offset computation overflow.
        let bytes = b"z\xff\xfeB\x00o\x00n\x00\n\x00";
        let forced = Some(encoding_rs::UTF_16LE);
        let read: Vec<Result<String>> = Lines::new(&bytes[..], "t", forced, 1 << 20)
            .unwrap()
            .collect();
        let err = read.last().unwrap().as_ref().unwrap_err().to_string();
        assert!(err.contains("UTF-16LE at byte 10"), "{err}");
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_naming_it() {
        let bytes = format!("court\n{}\n", "a".repeat(5000));
        let read: Vec<Result<String>> = Lines::new(bytes.as_bytes(), "t", None, 4096)
            .unwrap()
            .collect();
        assert_eq!(read[0].as_ref().unwrap(), "court");
        let err = read[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("t:2") && err.contains("4 KiB"), "{err}");
        assert_eq!(read.len(), 2, "nothing after an error");
    }

    #[test]
    fn an_endless_stream_yields_lines_as_it_goes() {
        let endless = std::io::repeat(b'a').take(1 << 30);
        let mut with_breaks = b"Bonjour.\n".chain(endless);
        let mut reader = Lines::new(&mut with_breaks, "t", None, 1 << 16).unwrap();
        assert_eq!(reader.next().unwrap().unwrap(), "Bonjour.");
        assert!(
            reader.next().unwrap().is_err(),
            "the endless line is refused"
        );
    }
}
