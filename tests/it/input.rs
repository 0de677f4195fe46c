//! Bytes to text: every rule of `passeur::input`, on byte strings written out here.

use passeur::input::{decode, encoding_for_label, Detection, NewlineCounts};
use passeur::Error;

fn decoded(bytes: &[u8]) -> String {
    decode(bytes, "test.txt", None).expect("decodes").text
}

fn error(bytes: &[u8]) -> String {
    decode(bytes, "article.txt", None)
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn utf8_is_taken_as_is_and_its_bom_removed() {
    let text = "Le cœur à 5 € — « M. Wang » 26.469,89\u{a0}%";
    let plain = decode(text.as_bytes(), "a", None).unwrap();
    assert_eq!(plain.text, text);
    assert_eq!(plain.detection, Detection::ValidUtf8);

    let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let bom = decode(&with_bom, "a", None).unwrap();
    assert_eq!(
        bom.text, text,
        "the byte-order mark is not part of the text"
    );
    assert_eq!(bom.detection, Detection::ByteOrderMark);
    assert_eq!(bom.encoding, encoding_rs::UTF_8);
}

#[test]
fn utf16_with_bom_both_byte_orders() {
    let text = "Été 2013 : « 5.000 » 😀";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let little = decode(&le, "a", None).unwrap();
    assert_eq!(little.text, text);
    assert_eq!(little.encoding, encoding_rs::UTF_16LE);
    let big = decode(&be, "a", None).unwrap();
    assert_eq!(big.text, text);
    assert_eq!(big.encoding, encoding_rs::UTF_16BE);
}

#[test]
fn windows_1252_is_detected_and_decoded() {
    // "L’été, le cœur à 5 € : « Œuvre »…" as Windows-1252 writes it.
    let bytes = b"L\x92\xe9t\xe9, le c\x9cur \xe0 5 \x80 : \xab \x8cuvre \xbb\x85";
    let result = decode(bytes, "a", None).unwrap();
    assert_eq!(result.text, "L’été, le cœur à 5 € : « Œuvre »…");
    assert_eq!(result.encoding, encoding_rs::WINDOWS_1252);
    assert_eq!(result.detection, Detection::Guessed);
    assert_eq!(result.describe_encoding(), "windows-1252 (guessed)");
}

#[test]
fn iso_8859_1_text_decodes_as_windows_1252() {
    // Latin-1 and Windows-1252 agree outside 0x80–0x9F: "Déjà l'été à Genève."
    let result = decode(b"D\xe9j\xe0 l'\xe9t\xe9 \xe0 Gen\xe8ve.", "a", None).unwrap();
    assert_eq!(result.text, "Déjà l'été à Genève.");
}

#[test]
fn iso_8859_15_is_recognised_by_its_oe_and_euro() {
    // "Le cœur coûte 5 €." in ISO-8859-15: œ is 0xBD, € is 0xA4.
    let result = decode(b"Le c\xbdur co\xfbte 5 \xa4.", "a", None).unwrap();
    assert_eq!(result.text, "Le cœur coûte 5 €.");
    assert_eq!(result.encoding, encoding_rs::ISO_8859_15);
}

#[test]
fn newlines_are_normalised_and_counted() {
    let result = decode(b"un\r\ndeux\rtrois\n\r\nquatre\r", "a", None).unwrap();
    assert_eq!(result.text, "un\ndeux\ntrois\n\nquatre\n");
    assert_eq!(
        result.newlines,
        NewlineCounts {
            crlf: 2,
            lone_cr: 2
        }
    );
    let legacy = decode(b"\xe9t\xe9\r\nfin", "a", None).unwrap();
    assert_eq!(
        legacy.text, "été\nfin",
        "normalised after legacy decoding too"
    );
}

#[test]
fn empty_input_is_empty_text() {
    let result = decode(b"", "a", None).unwrap();
    assert_eq!(result.text, "");
    assert_eq!(decoded(b"\xEF\xBB\xBF"), "");
}

#[test]
fn binary_input_is_refused_with_its_name_and_position() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    let message = error(png);
    assert!(message.contains("article.txt"), "{message}");
    assert!(message.contains("binary"), "{message}");
    assert!(message.contains("NUL byte at offset 8"), "{message}");

    // No NUL, but mostly control characters.
    let noise: Vec<u8> = (1u8..=255).cycle().take(600).collect();
    let message = error(&noise);
    assert!(message.contains("control characters"), "{message}");
}

#[test]
fn a_few_control_characters_in_real_text_are_kept() {
    let text = "Titre\u{c}\nUne ligne avec une tabulation\tet un caractère \u{1b} isolé, \
                dans un texte bien plus long que ce seul caractère de contrôle.";
    assert_eq!(decoded(text.as_bytes()), text);
}

#[test]
fn utf16_without_bom_is_named_in_the_error() {
    let bytes: Vec<u8> = "Bonjour"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let message = error(&bytes);
    assert!(message.contains("--encoding utf-16le"), "{message}");
    let forced = decode(&bytes, "a", Some(encoding_rs::UTF_16LE)).unwrap();
    assert_eq!(forced.text, "Bonjour");
    assert_eq!(forced.detection, Detection::Forced);
}

#[test]
fn damaged_utf8_is_refused_rather_than_guessed() {
    // Valid UTF-8 "é" and "à", then a lone 0xE9 (a Latin-1 é pasted in) at byte 12.
    let bytes = b"\xc3\xa9t\xc3\xa9 \xc3\xa0 Par\xe9s";
    match decode(bytes, "a.txt", None) {
        Err(Error::Undecodable {
            encoding: "UTF-8",
            offset: 12,
            ..
        }) => {}
        other => panic!("expected an UTF-8 error at byte 12, got {other:?}"),
    }
    let after_bom = b"\xEF\xBB\xBFabc\xff";
    match decode(after_bom, "a.txt", None) {
        Err(Error::Undecodable { offset: 6, .. }) => {}
        other => panic!("expected an error at byte 6, got {other:?}"),
    }
    let forced = decode(bytes, "a.txt", Some(encoding_rs::WINDOWS_1252)).unwrap();
    assert_eq!(
        forced.text, "Ã©tÃ© Ã\u{a0} Parés",
        "forcing an encoding overrides the check"
    );
}

#[test]
fn broken_utf16_and_utf32_are_refused() {
    let odd = b"\xFF\xFEa\x00b";
    assert!(error(odd).contains("odd number of bytes"));
    let unpaired = b"\xFF\xFEa\x00\x00\xD8b\x00";
    match decode(unpaired, "a", None) {
        Err(Error::Undecodable { offset: 4, .. }) => {}
        other => panic!("expected an error at byte 4, got {other:?}"),
    }
    assert!(error(b"\xFF\xFE\x00\x00a\x00\x00\x00").contains("UTF-32"));
}

#[test]
fn encoding_labels() {
    assert_eq!(
        encoding_for_label("latin1").unwrap(),
        encoding_rs::WINDOWS_1252
    );
    assert_eq!(
        encoding_for_label(" ISO-8859-15 ").unwrap(),
        encoding_rs::ISO_8859_15
    );
    let message = encoding_for_label("klingon").unwrap_err().to_string();
    assert!(
        message.contains("klingon") && message.contains("windows-1252"),
        "{message}"
    );
}

/// A reader that counts what is taken from it.
struct Counting<R> {
    inner: R,
    taken: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.set(self.taken.get() + n as u64);
        Ok(n)
    }
}

fn counting<R: std::io::Read>(inner: R) -> (Counting<R>, std::rc::Rc<std::cell::Cell<u64>>) {
    let taken = std::rc::Rc::new(std::cell::Cell::new(0));
    (
        Counting {
            inner,
            taken: taken.clone(),
        },
        taken,
    )
}

#[test]
fn reading_is_bounded_binary_refused_after_the_first_bytes_and_size_limited() {
    use passeur::input::{read_limited, SNIFF_BYTES};
    use std::io::Read;
    // An endless stream of NULs (/dev/zero): refused after the sniffed prefix, offset 0 named.
    let (zeros, taken) = counting(std::io::repeat(0).take(1 << 40));
    let err = read_limited(zeros, "zeros", None, 1 << 30, None).unwrap_err();
    assert!(err.to_string().contains("NUL byte at offset 0"), "{err}");
    assert!(taken.get() <= SNIFF_BYTES as u64, "read {}", taken.get());
    // An endless text stream (`yes`): refused once past the limit, having held no more.
    let (text, taken) = counting(std::io::repeat(b'a').take(1 << 40));
    let err = read_limited(text, "yes", None, 1 << 20, None).unwrap_err();
    assert!(matches!(err, Error::InputTooLarge { limit, size: None, .. } if limit == 1 << 20));
    assert!(taken.get() <= (1 << 20) + 1, "read {}", taken.get());
    // A regular file known to be too large is refused having read only its sniffed prefix
    // (so that a large binary is still named as binary).
    let (file, taken) = counting(std::io::repeat(b'a').take(1 << 20));
    let err = read_limited(file, "big.txt", None, 5, Some(1 << 20)).unwrap_err();
    assert!(err.to_string().contains("1 MiB is over"), "{err}");
    assert!(taken.get() <= SNIFF_BYTES as u64, "read {}", taken.get());
    // Within the limit, everything is read; a forced UTF-16 input may hold NULs.
    let utf16: Vec<u8> = "Été".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let bytes = read_limited(&utf16[..], "a", Some(encoding_rs::UTF_16LE), 100, None).unwrap();
    assert_eq!(bytes, utf16);
}

#[test]
fn executables_and_archives_are_named_not_taken_for_utf16() {
    let elf = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let message = error(&elf[..4096.min(elf.len())]);
    assert!(message.contains("ELF executable"), "{message}");
    assert!(!message.contains("utf-16le"), "{message}");
    let message = error(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj");
    assert!(
        message.contains("PDF") && message.contains("pdftotext"),
        "{message}"
    );
    // Text that merely starts like a signature is still text.
    assert_eq!(
        decoded(b"MZ est une abr\xc3\xa9viation."),
        "MZ est une abréviation."
    );
}
