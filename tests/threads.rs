//! `TranslatorOptions::threads` bounds the threads that do a translator's work: two translators
//! with one thread each, translating at the same time from two threads of one program, add one
//! compute thread each to the process and no other pool (rayon's global one, or candle's own
//! pool for large element-wise operations).
//!
//! The same holds for `passeur::Passeur` instances built with `.threads(1)`: the guard and the
//! pipeline around the translator start no threads of their own.
//!
//! This file is its own test binary, with one test, so that its process has no other test's
//! threads (the other integration tests share one binary, tests/it).

use passeur::generate::GenerationOptions;
use passeur::hub::resolve_local;
use passeur::translate::{Translator, TranslatorOptions};
use std::path::Path;

fn fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/marian-tiny"
    ))
}

/// Threads of this process (Linux), `None` elsewhere.
fn threads_in_process() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/task").ok()?.count())
}

fn translator(threads: usize) -> Translator {
    let options = TranslatorOptions {
        threads: Some(threads),
        generation: GenerationOptions {
            num_beams: Some(2),
            max_new_tokens: Some(6),
            ..GenerationOptions::default()
        },
        ..TranslatorOptions::default()
    };
    Translator::from_files(resolve_local(fixture()).unwrap(), options).unwrap()
}

#[test]
fn translators_with_one_thread_each_run_on_one_thread_each() {
    let Some(before) = threads_in_process() else {
        eprintln!("skipped: no /proc/self/task to count threads");
        return;
    };
    let (first, second) = (translator(1), translator(1));
    assert_eq!((first.threads(), second.threads()), (1, 1));
    // 16 long sentences in one batch: the encoder's activations pass 64 K values, the size at
    // which candle hands element-wise operations to a pool of its own.
    let sentence = "Lors de la conférence annuelle des start-up, qui s'est tenue du 13 au 15 novembre \
                    à Helsinki, un développeur chinois a vu l'occasion de développer un écosystème.";
    let sentences = vec![sentence; 16];
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| first.translate(&sentences).unwrap());
        let b = scope.spawn(|| second.translate(&sentences).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        a[0].source_ids.len() * 16 * 64 >= 64 * 1024,
        "the batch is large enough"
    );
    assert_eq!(a, b, "the same model gives the same translations");
    let after = threads_in_process().unwrap();
    assert_eq!(
        after,
        before + 2,
        "one compute thread per translator and no other pool ({before} threads before, {after} after)"
    );

    // Through the facade: guard, pipeline and all.
    let build = || {
        passeur::Passeur::builder(fixture().to_str().unwrap())
            .threads(1)
            .beams(2)
            .max_new_tokens(6)
            .build()
            .unwrap()
    };
    let (first, second) = (build(), build());
    // 16 different sentences (a document sends each distinct text once).
    let text: Vec<String> = (1..=16)
        .map(|i| sentence.replace("Helsinki", &"Espoo".repeat(i)))
        .collect();
    let text = text.join(" ");
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| first.translate(&text).unwrap());
        let b = scope.spawn(|| second.translate(&text).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a, b);
    let with_facades = threads_in_process().unwrap();
    assert_eq!(
        with_facades,
        after + 2,
        "one compute thread per Passeur ({after} threads before, {with_facades} after)"
    );
}
