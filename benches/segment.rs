//! Segmentation speed: `cargo bench --bench segment` (release profile, one thread).
//!
//! The corpus is built from the inputs of `tests/segment/cases.txt`, joined in file order into
//! paragraphs of at least 400 bytes, the size of a news paragraph (with about 10 short sentences each,
//! denser in candidate marks than real news, which has 3–5 sentences in 400–700 bytes). Each corpus is
//! segmented repeatedly for about two seconds; the figure is paragraphs (or megabytes) per second.
//! A second table runs adversarial inputs of 1 MB to show the time stays linear in the input.

#[allow(dead_code)]
#[path = "../tests/it/segment_table.rs"]
mod table;

use passeur::segment::segment;
use std::hint::black_box;
use std::time::{Duration, Instant};

const MEASURE_FOR: Duration = Duration::from_secs(2);

/// News-sized paragraphs: consecutive single-paragraph inputs joined by a space up to 400 bytes or more.
fn news_paragraphs() -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut paragraph = String::new();
    for input in table::parse_cases()
        .into_iter()
        .map(|case| case.input)
        .filter(|input| !input.contains('\n'))
    {
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(&input);
        if paragraph.len() >= 400 {
            paragraphs.push(std::mem::take(&mut paragraph));
        }
    }
    paragraphs
}

/// Segments every text of `corpus` again and again for `MEASURE_FOR`; returns (passes, seconds).
fn measure(corpus: &[String]) -> (usize, f64) {
    for text in corpus {
        black_box(segment(black_box(text)));
    }
    let start = Instant::now();
    let mut passes = 0;
    while start.elapsed() < MEASURE_FOR {
        for text in corpus {
            black_box(segment(black_box(text)));
        }
        passes += 1;
    }
    (passes, start.elapsed().as_secs_f64())
}

fn main() {
    let paragraphs = news_paragraphs();
    let bytes: usize = paragraphs.iter().map(String::len).sum();
    let sentences: usize = paragraphs.iter().map(|p| segment(p).len()).sum();
    let (passes, seconds) = measure(&paragraphs);
    let per_second = (passes * paragraphs.len()) as f64 / seconds;
    println!(
        "news paragraphs: {} paragraphs, {:.0} bytes and {:.1} sentences each on average",
        paragraphs.len(),
        bytes as f64 / paragraphs.len() as f64,
        sentences as f64 / paragraphs.len() as f64
    );
    println!(
        "  {per_second:.0} paragraphs/s, {:.1} MB/s, {:.2} µs per paragraph (one thread)",
        (passes * bytes) as f64 / seconds / 1e6,
        1e6 / per_second
    );

    let megabyte = 1 << 20;
    let repeat = |unit: &str| unit.repeat(megabyte / unit.len());
    let adversarial = [
        ("glued full stops a.Ba.Ba…", repeat("a.Ba")),
        ("titles M. M. M. …", repeat("M. ")),
        ("ellipses … … …", repeat("… ")),
        ("straight quotes \" . \" . …", repeat("\" . ")),
        ("one-word lines", repeat("Mot\n")),
        (
            "one 1 MB word ending in .Le",
            format!("{}.Le suite.", "a".repeat(megabyte)),
        ),
        (
            "1 MB of spaces then 1. 1. 1. …",
            format!("{}{}", " ".repeat(megabyte), repeat("1. ")),
        ),
    ];
    println!("adversarial inputs (about 1 MB each):");
    for (name, text) in adversarial {
        let (passes, seconds) = measure(std::slice::from_ref(&text));
        println!(
            "  {name:<34} {:>8.1} MB/s",
            (passes * text.len()) as f64 / seconds / 1e6
        );
    }
}
