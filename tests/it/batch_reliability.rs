//! `passeur::batch` under the audit's faults (issue 17): symbolic links in both directories, special
//! files named like inputs, an interrupted run, the totals of several shards. A stand-in translator
//! keeps them fast; `tests/reliability.rs` runs the binary for signals and a full disk.

use passeur::batch::{self, BatchOptions, Event, Interrupt, Outcome, Shard};
use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use std::cell::Cell;
use std::path::Path;

/// Upper-cases; counts its calls, and requests `interrupt` at call number `interrupt_at`.
struct Upper {
    calls: Cell<usize>,
    interrupt: Option<(usize, Interrupt)>,
}

impl Upper {
    fn new() -> Upper {
        Upper {
            calls: Cell::new(0),
            interrupt: None,
        }
    }
}

impl SentenceTranslator for Upper {
    fn translate_sentences(&self, sentences: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
        self.calls.set(self.calls.get() + 1);
        if let Some((at, interrupt)) = &self.interrupt {
            if self.calls.get() == *at {
                interrupt.request(None);
            }
        }
        Ok(sentences
            .iter()
            .map(|s| SentenceTranslation::new(s.to_uppercase(), Some(-0.5)))
            .collect())
    }

    fn token_count(&self, sentence: &str) -> usize {
        sentence.split_whitespace().count() + 1
    }

    fn max_source_tokens(&self) -> usize {
        512
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            model: "upper".to_string(),
            revision: None,
            decoding: "upper-case".to_string(),
            passeur_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn files_under(directory: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(directory).unwrap().to_path_buf();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

fn summary_json(output: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(output.join(name)).unwrap()).unwrap()
}

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_symbolic_link_inside_out_dir() {
    let root = tempfile::tempdir().unwrap();
    let (input, output, victim) = (
        root.path().join("in"),
        root.path().join("out"),
        root.path().join("victim"),
    );
    write(&input.join("sub/x.txt"), "Bonjour le monde.");
    write(&input.join("y.txt"), "Il fait beau.");
    std::fs::create_dir_all(&output).unwrap();
    std::fs::create_dir_all(&victim).unwrap();
    std::os::unix::fs::symlink("../victim", output.join("sub")).unwrap();
    let summary = batch::run(
        &BatchOptions::new(&input, &output),
        &Upper::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(
        files_under(&victim).is_empty(),
        "nothing written outside OUT_DIR"
    );
    assert_eq!((summary.done, summary.failed), (1, 1));
    let reason = &summary.failures[0].reason;
    assert!(
        summary.failures[0].input == "sub/x.txt"
            && reason.contains("sub")
            && reason.contains("symbolic link"),
        "{reason}"
    );
    // The state directory must be a real directory, not a way out either.
    let other = root.path().join("out2");
    std::fs::create_dir_all(&other).unwrap();
    std::os::unix::fs::symlink("../victim", other.join(".passeur")).unwrap();
    let err = batch::run(
        &BatchOptions::new(&input, &other),
        &Upper::new(),
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(".passeur") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(files_under(&victim).is_empty());
}

#[cfg(unix)]
#[test]
fn links_and_special_files_are_left_out_with_their_reason_unless_followed() {
    let root = tempfile::tempdir().unwrap();
    let (input, output, elsewhere) = (
        root.path().join("in"),
        root.path().join("out"),
        root.path().join("elsewhere"),
    );
    write(&input.join("a.txt"), "Bonjour.");
    write(&elsewhere.join("secret.txt"), "Secret.");
    write(&elsewhere.join("dir/inner.txt"), "Dedans.");
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, input.join(name)).unwrap();
    };
    link("a.txt", "inside.txt");
    link("../elsewhere/secret.txt", "outside.txt");
    link("nowhere.txt", "dangling.txt");
    link("loop.txt", "loop.txt");
    link("../elsewhere/dir", "linked-dir");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        input.join("pipe.txt"),
        rustix::fs::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let mut left_out_events = Vec::new();
    let options = BatchOptions::new(&input, &output);
    let summary = batch::run(&options, &Upper::new(), &mut |event| {
        if let Event::LeftOut(entry) = event {
            left_out_events.push(entry.entry.clone());
        }
    })
    .unwrap();
    assert_eq!(
        (summary.done, summary.failed),
        (2, 0),
        "a.txt and inside.txt"
    );
    let reasons: Vec<(String, String)> = summary
        .left_out
        .iter()
        .map(|e| (e.entry.clone(), e.reason.clone()))
        .collect();
    let reason_of = |entry: &str| {
        reasons
            .iter()
            .find(|(name, _)| name == entry)
            .map(|(_, reason)| reason.as_str())
            .unwrap_or_else(|| panic!("{entry} not left out: {reasons:?}"))
    };
    assert!(reason_of("outside.txt").contains("outside the input directory"));
    assert!(reason_of("outside.txt").contains("--follow-symlinks"));
    assert!(reason_of("dangling.txt").contains("dangling"));
    assert!(reason_of("loop.txt").contains("loop"));
    assert!(reason_of("pipe.txt").contains("FIFO"));
    assert!(reason_of("linked-dir").contains("directory"));
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert_eq!(left_out_events.len(), 5);
    // Recorded in summary.json too.
    let json = summary_json(&output, "summary.json");
    assert_eq!(json["left_out"].as_array().unwrap().len(), 5);
    assert!(!output.join("outside.txt.md").exists());

    // With --follow-symlinks the links out are read and the linked directory entered.
    let followed = BatchOptions {
        follow_symlinks: true,
        ..BatchOptions::new(&input, root.path().join("out-followed"))
    };
    let summary = batch::run(&followed, &Upper::new(), &mut |_| {}).unwrap();
    assert_eq!(summary.done, 4, "a, inside, outside, linked-dir/inner");
    let left: Vec<&str> = summary.left_out.iter().map(|e| e.entry.as_str()).collect();
    assert_eq!(left, ["dangling.txt", "loop.txt", "pipe.txt"]);
}

#[test]
fn an_interrupt_stops_taking_work_and_records_what_is_finished() {
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    for i in 0..30 {
        write(
            &input.join(format!("article-{i:02}.txt")),
            &format!("Article numéro {i}. Il y a {i} phrases ici."),
        );
    }
    let interrupt = Interrupt::new();
    let options = BatchOptions {
        // Small calls and small waves, so that the interrupt falls in the middle of the run.
        chunk_size: 4,
        wave_requests: 8,
        documents_in_flight: 2,
        interrupt: Some(interrupt.clone()),
        ..BatchOptions::new(&input, &output)
    };
    let translator = Upper {
        calls: Cell::new(0),
        interrupt: Some((3, interrupt.clone())),
    };
    let mut finished = Vec::new();
    let summary = batch::run(&options, &translator, &mut |event| {
        if let Event::Finished(report) = event {
            finished.push(report.input.clone());
        }
    })
    .unwrap();
    assert_eq!(summary.interrupted.as_deref(), Some("requested"));
    assert!(
        summary.done > 0 && summary.done < 30,
        "done {} of 30",
        summary.done
    );
    assert!(
        translator.calls.get() <= 4,
        "no new work after the interrupt"
    );
    assert_eq!(finished.len(), summary.done);
    let json = summary_json(&output, "summary.json");
    assert_eq!(json["interrupted"], "requested");
    for name in &finished {
        assert!(output.join(format!("{name}.md")).is_file(), "{name}");
    }
    // A rerun does the rest, and only the rest.
    let rest = batch::run(
        &BatchOptions::new(&input, &output),
        &Upper::new(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((rest.skipped, rest.done), (summary.done, 30 - summary.done));
    assert_eq!(rest.interrupted, None);
}

#[test]
fn totals_add_up_every_shard() {
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    for i in 0..12 {
        write(
            &input.join(format!("d{}/a{i}.txt", i % 3)),
            &format!("Phrase {i}. Et une autre."),
        );
    }
    write(&input.join("binaire.txt"), "\u{0}\u{0}\u{0}");
    let mut done = 0;
    // Two shards of three have run.
    for k in 1..=2 {
        let options = BatchOptions {
            shard: Some(Shard::new(k, 3).unwrap()),
            ..BatchOptions::new(&input, &output)
        };
        done += batch::run(&options, &Upper::new(), &mut |_| {})
            .unwrap()
            .done;
    }
    let totals = batch::totals(&BatchOptions::new(&input, &output)).unwrap();
    assert_eq!(totals.inputs, 13);
    assert_eq!(totals.runs.len(), 2);
    assert_eq!(totals.done, done);
    assert_eq!(totals.done + totals.failed + totals.not_done, 13);
    let written = summary_json(&output, batch::TOTALS_FILE);
    assert_eq!(written["not_done"], totals.not_done);
    // After the last shard, nothing is left.
    let last = BatchOptions {
        shard: Some(Shard::new(3, 3).unwrap()),
        ..BatchOptions::new(&input, &output)
    };
    batch::run(&last, &Upper::new(), &mut |_| {}).unwrap();
    let totals = batch::totals(&BatchOptions::new(&input, &output)).unwrap();
    assert_eq!((totals.done, totals.failed, totals.not_done), (12, 1, 0));
    assert_eq!(totals.failures[0].input, "binaire.txt");
    assert!(totals.sentences >= 24);
    assert_eq!(totals.runs.len(), 3);
}

#[test]
fn a_failed_input_outcome_names_the_size_limit() {
    let root = tempfile::tempdir().unwrap();
    let (input, output) = (root.path().join("in"), root.path().join("out"));
    write(&input.join("gros.txt"), &"Bonjour. ".repeat(1000));
    write(&input.join("petit.txt"), "Bonjour.");
    let options = BatchOptions {
        max_input_bytes: 1000,
        ..BatchOptions::new(&input, &output)
    };
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    batch::run(&options, &Upper::new(), &mut |event| {
        if let Event::Finished(report) = event {
            outcomes.push((report.input.clone(), report.outcome.clone()));
        }
    })
    .unwrap();
    match &outcomes[0] {
        (name, Outcome::Failed(reason)) => {
            assert_eq!(name, "gros.txt");
            assert!(reason.contains("input size limit"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(outcomes[1], ("petit.txt".to_string(), Outcome::Done));
}
