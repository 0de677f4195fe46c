//! Translate a long document as it is read, printing each paragraph's English as soon as it is
//! done: the first paragraphs come out before the end of the input is read. Sentences of nearby
//! paragraphs are batched together (up to the look-ahead).
//!
//! ```text
//! cargo run --release --example stream < article.txt
//! cargo run --release --example stream -- tests/fixtures/marian-tiny < article.txt
//! yes "Il fait beau. Le soleil brille." | head -n 2000 | sed 'n;s/.*//' | cargo run --release --example stream
//! ```

use std::io::Write;

fn main() -> passeur::Result<()> {
    let model = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "opus-mt-fr-en".into());
    let passeur = passeur::Passeur::builder(model).look_ahead(32).build()?;
    let mut stdout = std::io::stdout().lock();
    for paragraph in passeur.translate_reader(std::io::stdin().lock())? {
        let english = paragraph?.english();
        // Flushed at once, so a reader downstream sees each paragraph as it is translated.
        let written = stdout
            .write_all(english.as_bytes())
            .and_then(|()| stdout.flush());
        if written.is_err() {
            break; // the reader went away (`| head`)
        }
    }
    Ok(())
}
