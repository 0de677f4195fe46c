//! Split French text into sentences, with their byte ranges: no model involved.
//!
//! ```text
//! echo "M. Dupont est arrivé à 9 h. Il a dit : « Bonjour ! » Puis il est reparti." | cargo run --example segment
//! ```

use std::io::Read;

fn main() -> std::io::Result<()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    for sentence in passeur::segment::segment(&text) {
        println!(
            "{:>5}..{:<5} {}",
            sentence.range.start,
            sentence.range.end,
            sentence.text_on_one_line(&text)
        );
    }
    Ok(())
}
