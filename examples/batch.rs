//! Translate a folder of articles, as `passeur batch` does, with progress events: inputs
//! selected, requests answered (by the model or the sentence cache), each input finished.
//! A second run skips what is done.
//!
//! ```text
//! cargo run --release --example batch -- corpus/ corpus-en/
//! cargo run --release --example batch -- corpus/ corpus-en/ tests/fixtures/marian-tiny
//! ```

use passeur::batch::{BatchOptions, Event, Outcome};
use passeur::Passeur;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output) = match &args[..] {
        [input, output, ..] => (input, output),
        _ => return Err("usage: batch INPUT_DIR OUTPUT_DIR [MODEL]".into()),
    };
    let model = args.get(2).map_or("opus-mt-fr-en", String::as_str);
    let passeur = Passeur::new(model)?;
    let options = BatchOptions::new(input, output);
    let (mut total, mut finished, mut requests) = (0, 0, 0);
    let summary = passeur.translate_dir(&options, &mut |event| match event {
        Event::Started { inputs } => total = inputs,
        Event::Translated {
            requests: answered, ..
        } => requests += answered,
        Event::Finished(report) => {
            finished += 1;
            let outcome = match &report.outcome {
                Outcome::Done => {
                    format!("{} sentences, {} flagged", report.sentences, report.flagged)
                }
                Outcome::Skipped => "already done".to_string(),
                Outcome::Failed(reason) => format!("failed: {reason}"),
            };
            eprintln!(
                "[{finished}/{total}] {} ({outcome}; {requests} requests so far)",
                report.input
            );
        }
        Event::LeftOut(entry) => eprintln!("left out: {entry:?}"),
    })?;
    eprintln!(
        "{} done, {} skipped, {} failed; {} sentences flagged; summary in {}",
        summary.done,
        summary.skipped,
        summary.failed,
        summary.flagged,
        options.summary_path().display()
    );
    Ok(())
}
