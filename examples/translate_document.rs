//! Translate a French article and look at each sentence: its English, its model score and the
//! fidelity guard's verdict; then render it as bilingual Markdown.
//!
//! ```text
//! cargo run --release --example translate_document -- article.txt                 # opus-mt-fr-en
//! cargo run --release --example translate_document -- article.md tests/fixtures/marian-tiny
//! ```

use passeur::{Passeur, Syntax};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        return Err("usage: translate_document FILE [MODEL]".into());
    };
    let model = args.next().unwrap_or_else(|| "opus-mt-fr-en".into());
    // Bytes to text as the command line reads files: byte-order mark, UTF-8 or a legacy encoding.
    let text = passeur::input::read_file(path.as_ref(), None)?.text;
    let passeur = Passeur::builder(model)
        .syntax(Syntax::from_path(path.as_ref()))
        .build()?;
    let doc = passeur.translate_document(&text)?;
    for pair in doc.pairs() {
        let target = pair.target;
        let flags: Vec<String> = target
            .verdict
            .flags()
            .iter()
            .map(|d| d.to_string())
            .collect();
        eprintln!(
            "[{}.{}] {} → {} ({}, score {}){}",
            pair.block,
            pair.position,
            pair.source_text,
            target.text.text,
            target.verdict.name(),
            target.score.map_or("-".into(), |s| format!("{s:.2}")),
            if flags.is_empty() {
                String::new()
            } else {
                format!(": {}", flags.join("; "))
            }
        );
    }
    let tally = &doc.stats.verdicts;
    eprintln!(
        "{} sentences: {} translated, {} copied, {} recovered, {} flagged",
        tally.sentences, tally.translated, tally.passthrough, tally.recovered, tally.flagged
    );
    print!("{}", passeur::write::markdown(&doc));
    Ok(())
}
