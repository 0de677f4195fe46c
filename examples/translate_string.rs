//! Translate a French string: the library in three lines.
//!
//! ```text
//! cargo run --release --example translate_string                              # opus-mt-fr-en (downloaded on first use)
//! cargo run --release --example translate_string -- tests/fixtures/marian-tiny # offline, random weights
//! ```

const FRENCH: &str = "La Finlande et la Chine signent onze accords de coopération

Le président chinois a reçu lundi à Pékin son homologue finlandais. « Nous voulons doubler nos \
échanges d'ici à 2020 », a déclaré M. Wang. Plus de 5.000 entreprises finlandaises exportent déjà \
vers la Chine.
";

fn main() -> passeur::Result<()> {
    let model = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "opus-mt-fr-en".into());
    // The model, the fidelity guard in front of it (numbers, dates and URLs checked, defective
    // sentences translated again, what stays doubtful flagged) and the document pipeline around
    // it: sentences segmented, paragraphs kept.
    let passeur = passeur::Passeur::new(&model)?;
    print!("{}", passeur.translate(FRENCH)?);
    Ok(())
}
