//! Translate a French string and print bilingual Markdown: the library in a few lines.
//!
//! ```text
//! cargo run --release --example translate_string                              # opus-mt-fr-en (downloaded on first use)
//! cargo run --release --example translate_string -- tests/fixtures/marian-tiny # offline, random weights
//! ```

use passeur::fidelity::{Guard, Guarded};
use passeur::hub::ResolveOptions;
use passeur::pipeline::{Pipeline, PipelineOptions};
use passeur::translate::{Translator, TranslatorOptions};

const FRENCH: &str = "La Finlande et la Chine signent onze accords de coopération

Le président chinois a reçu lundi à Pékin son homologue finlandais. « Nous voulons doubler nos \
échanges d'ici à 2020 », a déclaré M. Wang. Plus de 5.000 entreprises finlandaises exportent déjà \
vers la Chine.
";

fn main() -> passeur::Result<()> {
    let model = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "opus-mt-fr-en".into());
    let translator = Translator::load(
        &model,
        &ResolveOptions::from_env(),
        TranslatorOptions::default(),
    )?;
    // The fidelity guard in front of the engine: passthrough, checks, recovery, flags.
    let guard = Guard::default();
    let guarded = Guarded {
        guard: &guard,
        engine: &translator,
    };
    let bilingual = Pipeline::new(&guarded, PipelineOptions::default()).translate(FRENCH)?;
    print!("{}", passeur::write::markdown(&bilingual));
    Ok(())
}
