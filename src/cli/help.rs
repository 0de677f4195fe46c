//! The examples and exit codes shown at the end of each `--help` (clap's `after_help`). Every
//! subcommand has some; `tests/it/cli_help.rs` checks that none is missing, so a new subcommand gets
//! its own here.

/// After `passeur --help`.
pub const MAIN: &str = "\
Examples:
  passeur translate article.txt                 bilingual Markdown on stdout
  passeur translate article.txt -o article.html side-by-side page
  passeur translate page.html -o page.en.html   a web page, in English, markup kept
  passeur translate https://example.fr/a --article   download a page, keep its article
  passeur batch corpus/ -o corpus-en/           a whole folder
  passeur models                                what is downloaded, what is missing, which CPU path
  passeur fetch                                 download the default model ahead of time
  passeur serve --port 5000                     LibreTranslate-compatible HTTP API

No internet here? Copy a model folder and pass --model DIR, or copy a Hugging Face cache
(see README: \"No internet on this machine?\"); HF_ENDPOINT=https://… uses a mirror.

Exit status: 0 success; 1 error; 2 usage error (bad option or value); 3 `batch` finished
but some inputs failed (or stay flagged with --strict).";

/// After `passeur translate --help`.
pub const TRANSLATE: &str = "\
Examples:
  passeur translate article.txt                      bilingual Markdown on stdout
  passeur translate article.txt -o article.html      side-by-side page (format from -o)
  passeur translate page.md --format jsonl > pairs.jsonl
  passeur translate page.html --format page -o page.en.html   the web page in English
  passeur translate page.html --article -o article.md          its article, bilingual
  passeur translate https://example.fr/article -o article.html  download, then translate
  curl -s https://example.fr/a.txt | passeur translate - -o a.tmx
  passeur translate article.txt --beams 1            greedy: faster, slightly worse
  passeur translate article.txt --model ./opus-mt-fr-en   a model folder, no download

Exit status: 0 success; 1 error (nothing written), or with --strict some sentences stay
flagged (the output is written); 2 usage error (bad option, unknown format or extension).";

/// After `passeur batch --help`.
pub const BATCH: &str = "\
Examples:
  passeur batch corpus/ -o corpus-en/                   every *.txt and *.md, bilingual Markdown
  passeur batch corpus/ -o corpus-en/ -f md,html,jsonl  several formats per input
  passeur batch site/ -o site-en/ --include '*.txt' --exclude brouillons
  passeur batch corpus/ -o corpus-en/ --cache ~/passeur-cache.log
  passeur batch corpus/ -o corpus-en/ --shard 2/4       the second quarter of the inputs

Rerunning the same command skips what is done and resumes what was interrupted.

Exit status: 0 every input done or skipped; 1 could not run or stopped early (rerun to
resume); 2 usage error; 3 finished, but some inputs failed (listed above and in
OUT_DIR/summary.json) or, with --strict, some sentences stay flagged.";

/// After `passeur lines --help`.
pub const LINES: &str = "\
Examples:
  echo \"Bonjour le monde.\" | passeur lines
  passeur lines sentences.txt --beams 1 --jsonl > out.jsonl
  passeur lines sentences.txt --model Helsinki-NLP/opus-mt-fr-en@main

Exit status: 0 success; 1 error (e.g. a line longer than the model accepts: use
`passeur translate`, which splits long sentences); 2 usage error.";

/// After `passeur segment --help`.
pub const SEGMENT: &str = "\
Examples:
  passeur segment article.txt                    one sentence per line
  passeur segment --jsonl < paragraphs.jsonl     {\"text\": …} per line → a JSON array per line

Exit status: 0 success; 1 error, or in --jsonl mode some lines could not be read (they get
null); 2 usage error.";

/// After `passeur models --help`.
pub const MODELS: &str = "\
Examples:
  passeur models                          each known model: files present, where, what is missing
  HF_HUB_CACHE=/mnt/copied-cache passeur models   check a copied cache before going offline

Nothing is downloaded. Exit status: 0 success; 1 error; 2 usage error.";

/// After `passeur fetch --help`.
pub const FETCH: &str = "\
Examples:
  passeur fetch                                 the default model, opus-mt-fr-en
  passeur fetch opus-mt-tc-big-fr-en
  passeur fetch Helsinki-NLP/opus-mt-fr-en@main
  HF_ENDPOINT=https://hf-mirror.example passeur fetch   through a mirror
  passeur fetch ./my-model                      check a local model folder

Downloads resume where they stopped and are checked against the hub's SHA-256.
Exit status: 0 the model is complete; 1 error; 2 usage error.";

/// After `passeur completions --help`.
pub const COMPLETIONS: &str = "\
Examples:
  passeur completions bash > ~/.local/share/bash-completion/completions/passeur
  passeur completions zsh > ~/.zfunc/_passeur       (with fpath+=~/.zfunc in ~/.zshrc)
  passeur completions fish > ~/.config/fish/completions/passeur.fish

Exit status: 0 success; 2 usage error (unknown shell).";

/// After `passeur man --help`.
pub const MAN: &str = "\
Examples:
  passeur man | man -l -                  read the manual page now
  passeur man --out-dir ~/.local/share/man/man1   passeur.1 and one page per subcommand

Exit status: 0 success; 1 error (the folder cannot be written); 2 usage error.";

/// After `passeur cache --help`.
pub const CACHE: &str = "\
Examples:
  passeur cache merge node1.log node2.log -o all.log   one cache from the shards' caches
  passeur cache compact all.log                        drop repeats and damaged lines

Exit status: 0 success; 1 error (a cache cannot be read or written); 2 usage error.";

/// After `passeur serve --help`.
pub const SERVE: &str = "\
Examples:
  passeur serve                                  http://127.0.0.1:5000, LibreTranslate's API
  passeur serve --host 0.0.0.0 --api-keys keys.txt --max-chars 20000
  curl -s localhost:5000/translate -d q='Bonjour.' -d source=fr -d target=en

Ctrl-C or SIGTERM stops taking requests and answers those in progress first.
Exit status: 0 stopped by a signal; 1 error (the address is taken, the model cannot load);
2 usage error.";
