//! Any pair of texts (split at the first NUL byte: French, then English) through the fidelity
//! guard's number checks: no panic, and every mention found is the text at its range.

#![no_main]

use libfuzzer_sys::fuzz_target;
use passeur::fidelity::numbers::{compare, extract, Lang};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (french, english) = text.split_once('\0').unwrap_or((&text, &text));
    for (side, lang) in [(french, Lang::French), (english, Lang::English)] {
        for mention in extract(side, lang) {
            assert_eq!(&side[mention.range.clone()], mention.text);
            assert!(!mention.values.is_empty(), "{mention:?}");
        }
    }
    let check = compare(french, english);
    for mention in check.missing.iter().chain(&check.added) {
        assert!(mention.hard, "only hard mentions need a counterpart: {mention:?}");
    }
});
