//! Any bytes, decoded as a whole (`passeur::input::decode`) and as a stream of lines
//! (`passeur::input::Lines`), with and without a forced encoding and a size limit: no panic, and
//! what comes out keeps the module's promises.

#![no_main]

use libfuzzer_sys::fuzz_target;
use passeur::input::{decode, encoding_for_label, read_limited, Detection, Lines};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a forced encoding, the rest is the input.
    let (choice, bytes) = data.split_first().map_or((0, data), |(c, rest)| (*c, rest));
    let forced = match choice % 5 {
        1 => encoding_for_label("utf-16le").ok(),
        2 => encoding_for_label("windows-1252").ok(),
        3 => encoding_for_label("utf-8").ok(),
        _ => None,
    };
    let whole = decode(bytes, "fuzz", forced);
    if let Ok(decoded) = &whole {
        assert!(!decoded.text.contains('\r'), "newlines are normalised");
        assert!(!decoded.text.contains('\0'), "NUL is refused");
    }
    let limit = (choice as u64) * 37;
    if let Ok(read) = read_limited(bytes, "fuzz", forced, limit, None) {
        assert!(read.len() as u64 <= limit && read == bytes[..read.len()]);
    }
    let Ok(lines) = Lines::new(bytes, "fuzz", forced, 1 << 12) else {
        return;
    };
    let streamed: Result<Vec<String>, _> = lines.collect();
    // Valid UTF-8 without a mark reads the same line by line as whole.
    if let (Ok(decoded), Ok(streamed)) = (&whole, &streamed) {
        if decoded.detection == Detection::ValidUtf8 && decoded.text.len() < 1 << 12 {
            let body = decoded.text.strip_suffix('\n').unwrap_or(&decoded.text);
            let expected: Vec<&str> = if decoded.text.is_empty() {
                Vec::new()
            } else {
                body.split('\n').collect()
            };
            assert_eq!(streamed, &expected);
        }
    }
});
