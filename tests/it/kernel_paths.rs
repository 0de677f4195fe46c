//! Every CPU kernel path this machine has — portable, avx2, avx512 — reproduces transformers'
//! tokens on the fixture, greedy and beam 4, in padded batches: `passeur lines --jsonl` with
//! `PASSEUR_KERNEL` set to each path in turn. A path the CPU lacks is skipped with a note.

use crate::fixture_model;

use passeur::cpu::KernelPath;
use serde::Deserialize;
use serde_json::Value;
use std::process::Command;

#[derive(Deserialize)]
struct Reference {
    source: String,
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    beam4_ids: Vec<u32>,
    beam4_score: f32,
}

fn references() -> Vec<Reference> {
    let text = std::fs::read_to_string(fixture_model::dir().join("reference.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn passeur(path: KernelPath) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_passeur"));
    command
        .env("PASSEUR_KERNEL", path.name())
        .env("HF_HUB_OFFLINE", "1");
    command
}

/// `passeur lines --jsonl` on every reference line with `beams`, on kernel path `path`.
fn lines(path: KernelPath, beams: u32, refs: &[Reference]) -> Vec<Value> {
    let input: String = refs.iter().map(|r| format!("{}\n", r.source)).collect();
    let mut child = passeur(path)
        .args(["lines", "--quiet", "--jsonl", "--batch-size", "16"])
        .args([
            "--beams",
            &beams.to_string(),
            "--max-new-tokens",
            "64",
            "--model",
        ])
        .arg(fixture_model::dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "passeur lines failed on {path}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_kernel_path_of_this_cpu_reproduces_transformers() {
    let refs = references();
    let detected = passeur::cpu::cpu().detected;
    for path in KernelPath::ALL {
        if path > detected {
            eprintln!("note: kernel path {path} skipped: this CPU's widest is {detected}");
            continue;
        }
        // The path really runs: `passeur --version` names it.
        let version = passeur(path).arg("--version").output().unwrap();
        let version = String::from_utf8(version.stdout).unwrap();
        assert!(
            version.contains(&format!("kernels: {path} ")),
            "{path}: {version}"
        );

        let greedy = lines(path, 1, &refs);
        let beam = lines(path, 4, &refs);
        assert_eq!((greedy.len(), beam.len()), (refs.len(), refs.len()));
        for ((r, g), b) in refs.iter().zip(&greedy).zip(&beam) {
            assert_eq!(g["source_ids"], serde_json::json!(r.source_ids), "{path}");
            assert_eq!(
                g["ids"],
                serde_json::json!(r.greedy_ids),
                "{path} greedy: {}",
                r.source
            );
            assert_eq!(
                b["ids"],
                serde_json::json!(r.beam4_ids),
                "{path} beam 4: {}",
                r.source
            );
            let score = b["score"].as_f64().unwrap() as f32;
            assert!(
                (score - r.beam4_score).abs() < 1e-4,
                "{path} beam 4 score {score} vs transformers' {}: {}",
                r.beam4_score,
                r.source
            );
        }
        eprintln!(
            "kernel path {path}: greedy and beam 4 match transformers on {} lines",
            refs.len()
        );
    }
}

#[test]
fn an_unknown_kernel_path_is_refused_by_name() {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_passeur"))
        .env("PASSEUR_KERNEL", "sse9")
        .args(["lines", "--model"])
        .arg(fixture_model::dir())
        .write_stdin("Bonjour.\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PASSEUR_KERNEL") && stderr.contains("sse9") && stderr.contains("avx512"),
        "{stderr}"
    );
}
