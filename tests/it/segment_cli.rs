//! `passeur segment` end to end: plain text in and out, and the `--jsonl` interface of evaluation tools.

use assert_cmd::Command;
use std::io::Write;

fn passeur() -> Command {
    Command::cargo_bin("passeur").expect("the passeur binary is built for integration tests")
}

fn stdout_of(output: &std::process::Output) -> &str {
    std::str::from_utf8(&output.stdout).expect("stdout is UTF-8")
}

#[test]
fn a_file_gives_one_sentence_per_line_with_wrapped_lines_joined() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        "\u{feff}La Chine et la Finlande renforcent leur coopération\n\
         M. Wang a déclaré que les échanges\nprogressaient. « Pourquoi maintenant ? » a-t-il demandé.\n\
         \n\
         Le texte est en ligne sur www.service-public.fr. Il est gratuit.\n"
    )
    .unwrap();
    let output = passeur().arg("segment").arg(file.path()).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout_of(&output),
        "La Chine et la Finlande renforcent leur coopération\n\
         M. Wang a déclaré que les échanges progressaient.\n\
         « Pourquoi maintenant ? » a-t-il demandé.\n\
         Le texte est en ligne sur www.service-public.fr.\n\
         Il est gratuit.\n"
    );
}

#[test]
fn stdin_is_read_with_a_dash_or_without_argument() {
    for args in [vec!["segment", "-"], vec!["segment"]] {
        let output = passeur()
            .args(&args)
            .write_stdin("Il a vendu 5.000 billets, etc. Le concert aura lieu le 15 janv. 2014.")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        assert_eq!(
            stdout_of(&output),
            "Il a vendu 5.000 billets, etc.\nLe concert aura lieu le 15 janv. 2014.\n",
            "{args:?}"
        );
    }
}

#[test]
fn empty_input_gives_no_output_and_success() {
    let output = passeur().arg("segment").write_stdin("").output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
}

#[test]
fn jsonl_writes_one_array_per_input_line() {
    let input = concat!(
        r#"{"id": 7, "text": "M. Morneau est arrivé. Il a parlé."}"#,
        "\n",
        r#"{"text": "« Les billets ont été vendus. » Des spécialistes doutent."}"#,
        "\r\n",
        r#"{"text": ""}"#,
        "\n",
        r#"{"text": "Titre\nLe texte suit."}"#,
        "\n",
    );
    let output = passeur()
        .args(["segment", "--jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<serde_json::Value> = stdout_of(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!(["M. Morneau est arrivé.", "Il a parlé."]),
            serde_json::json!([
                "« Les billets ont été vendus. »",
                "Des spécialistes doutent."
            ]),
            serde_json::json!([]),
            serde_json::json!(["Titre", "Le texte suit."]),
        ]
    );
}

#[test]
fn jsonl_keeps_alignment_past_bad_lines_and_fails_at_the_end() {
    let input = concat!(
        r#"{"text": "Première phrase. Deuxième phrase."}"#,
        "\n",
        "ceci n'est pas du JSON\n",
        r#"{"texte": "pas de champ text"}"#,
        "\n",
        r#"{"text": 42}"#,
        "\n",
        "\n",
        r#"{"text": "Dernière ligne."}"#,
    );
    let output = passeur()
        .args(["segment", "--jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        stdout_of(&output),
        "[\"Première phrase.\",\"Deuxième phrase.\"]\nnull\nnull\nnull\nnull\n[\"Dernière ligne.\"]\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in 2..=5 {
        assert!(
            stderr.contains(&format!("stdin:{line}:")),
            "line {line} not reported in {stderr}"
        );
    }
    assert!(
        !stderr.contains("stdin:1:") && !stderr.contains("stdin:6:"),
        "{stderr}"
    );
    assert!(stderr.contains("4 of 6 lines"), "{stderr}");
}

#[test]
fn jsonl_reports_invalid_utf8_as_a_bad_line() {
    let mut input = br#"{"text": "caf"#.to_vec();
    input.extend_from_slice(b"\xe9\"}\n");
    input.extend_from_slice(br#"{"text": "Bon."}"#);
    let output = passeur()
        .args(["segment", "--jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout_of(&output), "null\n[\"Bon.\"]\n");
    assert!(String::from_utf8_lossy(&output.stderr).contains("stdin:1:"));
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let output = passeur()
        .args(["segment", "/nonexistent/article.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/article.txt"), "{stderr}");
}

#[test]
fn legacy_encodings_are_decoded_and_binary_is_refused() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"Le caf\xe9 est ferm\xe9. M. Dupont l'a dit.")
        .unwrap();
    let output = passeur().arg("segment").arg(file.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "Le caf\u{e9} est ferm\u{e9}.\nM. Dupont l'a dit.\n",
        "Windows-1252 is detected, as for translate"
    );

    let mut binary = tempfile::NamedTempFile::new().unwrap();
    binary.write_all(b"PK\x03\x04\0\0binary\0data").unwrap();
    let output = passeur()
        .arg("segment")
        .arg(binary.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "nothing is written for binary input"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("binary"), "{stderr}");
}
