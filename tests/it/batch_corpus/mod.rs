//! The test folder of the batch tests, generated the same way every time.
//!
//! [`generate`] writes, under a root directory:
//! * 30 articles: article `k` (0 ≤ k < 30) is `{year}/{month}/article-{k:02}.{ext}` with year
//!   `2023 + k % 2`, month `["janvier", "février", "mars"][k % 3]`, and `ext` `md` when
//!   `k.is_multiple_of(3)` (with a `# Article k` heading) and `txt` otherwise (with an `Article k` title
//!   line). Its body is `3 + k % 4` consecutive paragraphs of `tests/data/article.txt`
//!   (paragraphs are separated by blank lines; the run starts at paragraph `k % P` and wraps
//!   around), then the site boilerplate line [`BOILERPLATE`], which every article shares;
//! * `divers/photo.txt`: bytes with NULs (a binary file with a text extension) — must fail;
//! * `divers/ancien.txt`: French in Windows-1252 (`é` = 0xE9, `œ` = 0x9C, `€` = 0x80) — must be
//!   decoded;
//! * `divers/vide.txt`: an empty file — done, with empty outputs;
//! * `divers/image.png` and `.cache/cache.txt`: not inputs (extension not included; hidden).
//!
//! Nothing is random: the same call always writes the same bytes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The line every article ends with.
pub const BOILERPLATE: &str = "Retournez en haut de la page.";

/// Number of articles.
pub const ARTICLES: usize = 30;

/// The French of the Windows-1252 file, as it must come out once decoded.
pub const LEGACY_TEXT: &str = "Le cœur du problème coûte 5 €. Voilà l'été.";

/// The inputs that must be translated: the articles, the legacy file and the empty file.
pub fn good_inputs() -> Vec<String> {
    let mut inputs: Vec<String> = (0..ARTICLES).map(article_path).collect();
    inputs.push("divers/ancien.txt".to_string());
    inputs.push("divers/vide.txt".to_string());
    inputs.sort();
    inputs
}

/// The input that must fail.
pub const BINARY_INPUT: &str = "divers/photo.txt";

/// The relative path of article `k`.
pub fn article_path(k: usize) -> String {
    let month = ["janvier", "février", "mars"][k % 3];
    let extension = if k.is_multiple_of(3) { "md" } else { "txt" };
    format!("{}/{month}/article-{k:02}.{extension}", 2023 + k % 2)
}

/// The paragraphs of `tests/data/article.txt`.
pub fn paragraphs() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/article.txt");
    let text = std::fs::read_to_string(path).expect("tests/data/article.txt is readable");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The text of article `k`.
pub fn article(k: usize, paragraphs: &[String]) -> String {
    let mut text = if k.is_multiple_of(3) {
        format!("# Article {k}\n\n")
    } else {
        format!("Article {k}\n\n")
    };
    for i in 0..3 + k % 4 {
        text.push_str(&paragraphs[(k + i) % paragraphs.len()]);
        text.push_str("\n\n");
    }
    text.push_str(BOILERPLATE);
    text.push('\n');
    text
}

/// Writes the folder under `root` (see the module docs) and returns `root`.
pub fn generate(root: &Path) -> PathBuf {
    let paragraphs = paragraphs();
    let write = |relative: &str, bytes: &[u8]| {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    for k in 0..ARTICLES {
        write(&article_path(k), article(k, &paragraphs).as_bytes());
    }
    write(BINARY_INPUT, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0");
    write(
        "divers/ancien.txt",
        b"Le c\x9cur du probl\xe8me co\xfbte 5 \x80. Voil\xe0 l'\xe9t\xe9.\n",
    );
    write("divers/vide.txt", b"");
    write("divers/image.png", b"\x89PNG");
    write(".cache/cache.txt", b"Ne pas traduire.");
    root.to_path_buf()
}

/// Writes `count` short articles under `root` whose sentences are all distinct, so that the
/// sentence cache saves nothing and every sentence reaches the model: article `k` is
/// `{k % 10:02}/depeche-{k:04}.txt`, a title `Dépêche numéro k` and `2 + k % 3` sentences of
/// `tests/data/article.txt` (its paragraphs from the fifth on, cut after `. `, those over 20
/// bytes not starting with `-`), each prefixed with `En {1900 + k}, `.
pub fn generate_distinct(root: &Path, count: usize) -> PathBuf {
    let sentences: Vec<String> = paragraphs()
        .iter()
        .skip(4)
        .flat_map(|p| p.split(". ").map(str::to_string).collect::<Vec<_>>())
        .map(|s| s.trim().replace('\n', " "))
        .filter(|s| s.len() > 20 && !s.starts_with('-'))
        .collect();
    for k in 0..count {
        let mut text = format!("Dépêche numéro {k}\n\n");
        for i in 0..2 + k % 3 {
            let sentence = &sentences[(k * 3 + i) % sentences.len()];
            text.push_str(&format!(
                "En {}, {}. ",
                1900 + k,
                sentence.trim_end_matches('.')
            ));
        }
        let path = root.join(format!("{:02}/depeche-{k:04}.txt", k % 10));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    root.to_path_buf()
}
