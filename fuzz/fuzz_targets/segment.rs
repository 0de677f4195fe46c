//! Any bytes, read as UTF-8 (invalid sequences replaced), must segment without panicking into ranges
//! that meet the contract of `passeur::segment` (checked by the same code as the tests).

#![no_main]

#[allow(dead_code)]
#[path = "../../src/segment/mod.rs"]
mod segment;

#[path = "../../tests/it/segment_invariants.rs"]
mod invariants;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let sentences = segment::segment(&text);
    if let Err(problem) = invariants::check(&text, sentences.iter().map(|s| s.range.clone())) {
        panic!("{problem}\ninput: {text:?}\nsentences: {sentences:?}");
    }
});
