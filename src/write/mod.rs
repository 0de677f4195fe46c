//! Writers: a [`Bilingual`] document rendered as bilingual Markdown, side-by-side HTML, plain
//! English, JSONL or TMX.
//!
//! Each writer is a pure function of the bilingual document (and so of its provenance) returning
//! the whole output as a string; the same document always gives the same bytes (no dates, no
//! randomness). Files are written with [`write_atomically`].
//!
//! | format | what | provenance |
//! | --- | --- | --- |
//! | [`markdown`] | each block in French, then in English; headings, lists, quotes kept | YAML front matter |
//! | [`html`] | one self-contained page, French and English side by side, sentences linked | `<meta>` tags and a header |
//! | [`text`] | the English alone, in the source's layout | none: the file is meant to be the English text and nothing else; use another format to keep provenance |
//! | [`jsonl`] | one object per sentence with its byte range in the source | a `provenance` object on every line |
//! | [`tmx`] | TMX 1.4b, one `<tu>` per sentence pair | `<header>` attributes and `<prop>`s |
//! | [`page`] | the page in English: an HTML source with its text translated, markup kept (a plain page for other sources) | `<meta>` tags |
//!
//! Each sentence's [`Verdict`](crate::verdict::Verdict) is written by every format but plain text:
//! its name, its recovery step and its flags' codes and reasons are the only places where the
//! verdict becomes words.

mod atomic;
mod html;
mod jsonl;
mod markdown;
mod page;
mod text;
mod tmx;

pub(crate) use atomic::write_inside;
pub use atomic::{drain_on_signal, remove_temporary_files_on_signal, write_atomically};
pub use html::render as html;
pub use jsonl::render as jsonl;
pub use markdown::render as markdown;
pub use page::render as page;
pub use page::render_fragment as page_fragment;
pub use text::render as text;
pub use tmx::render as tmx;

use crate::bilingual::Bilingual;
use std::path::Path;
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Bilingual Markdown (`md`).
    Markdown,
    /// Side-by-side HTML (`html`).
    Html,
    /// The English alone (`txt`).
    Text,
    /// One JSON object per sentence (`jsonl`).
    Jsonl,
    /// TMX 1.4b translation memory (`tmx`).
    Tmx,
    /// The page in English (`page`): an HTML source with its text translated.
    Page,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Markdown,
        Format::Html,
        Format::Text,
        Format::Jsonl,
        Format::Tmx,
        Format::Page,
    ];

    /// The format's usual file extension: `md`, `html`, `txt`, `jsonl`, `tmx`, and `html` for a
    /// page.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html | Format::Page => "html",
            Format::Text => "txt",
            Format::Jsonl => "jsonl",
            Format::Tmx => "tmx",
        }
    }

    /// The format's name, as `--format` takes it: `md`, `html`, `txt`, `jsonl`, `tmx`, `page`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Page => "page",
            other => other.extension(),
        }
    }

    /// The format a file name's extension calls for, if any (`.md`, `.markdown`, `.html`, `.htm`,
    /// `.txt`, `.jsonl`, `.tmx`, in any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()?.to_str()?.parse().ok()
    }

    /// Renders `bilingual` in this format.
    pub fn render(self, bilingual: &Bilingual) -> String {
        match self {
            Format::Markdown => markdown(bilingual),
            Format::Html => html(bilingual),
            Format::Text => text(bilingual),
            Format::Jsonl => jsonl(bilingual),
            Format::Tmx => tmx(bilingual),
            Format::Page => page(bilingual),
        }
    }
}

impl FromStr for Format {
    type Err = crate::Error;

    /// Parses a format name or extension: `md`, `markdown`, `html`, `htm`, `txt`, `text`,
    /// `jsonl`, `tmx`, `page`, in any case.
    fn from_str(name: &str) -> crate::Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" | "htm" => Ok(Format::Html),
            "txt" | "text" => Ok(Format::Text),
            "jsonl" => Ok(Format::Jsonl),
            "tmx" => Ok(Format::Tmx),
            "page" => Ok(Format::Page),
            _ => Err(crate::Error::UnknownFormat {
                name: name.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
