//! Measures MarianTokenizer: sentences encoded and decoded per second, on a model folder's
//! tokenizer (default: the fixture) and a file of sentences, one per line (default: the fixture's
//! inputs). Run through `scripts/bench-tokenizer`, which builds it optimised.

use std::time::Instant;

use passeur::tokenizer::MarianTokenizer;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "tests/fixtures/marian-tiny".to_owned());
    let input = args.next().unwrap_or_else(|| format!("{dir}/inputs.txt"));
    let files = passeur::hub::resolve_local(std::path::Path::new(&dir))?;

    let started = Instant::now();
    let tokenizer = MarianTokenizer::from_model_files(&files)?;
    let load = started.elapsed();

    let text = std::fs::read_to_string(&input)?;
    let sentences: Vec<&str> = text.lines().collect();
    let bytes: usize = sentences.iter().map(|s| s.len()).sum();
    let rounds = (2_000_000 / bytes.max(1)).max(1);

    let started = Instant::now();
    let mut tokens = 0;
    let mut encoded = Vec::with_capacity(sentences.len());
    for round in 0..rounds {
        for sentence in &sentences {
            let ids = tokenizer.encode(sentence);
            tokens += ids.len();
            if round == 0 {
                encoded.push(ids);
            }
        }
    }
    let encode = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut decoded_bytes = 0;
    for _ in 0..rounds {
        for ids in &encoded {
            decoded_bytes += tokenizer.decode(ids).len();
        }
    }
    let decode = started.elapsed().as_secs_f64();

    let count = (rounds * sentences.len()) as f64;
    println!(
        "tokenizer: {dir} (loaded in {:.1} ms)",
        load.as_secs_f64() * 1e3
    );
    println!(
        "input: {input}: {} sentences, {bytes} bytes, {rounds} rounds",
        sentences.len()
    );
    println!(
        "encode: {:.0} sentences/s, {:.1} MB/s, {:.2} M tokens/s",
        count / encode,
        (rounds * bytes) as f64 / encode / 1e6,
        tokens as f64 / encode / 1e6
    );
    println!(
        "decode: {:.0} sentences/s ({decoded_bytes} bytes of text)",
        count / decode
    );
    Ok(())
}
