//! MarianTokenizer in pure Rust: SentencePiece models plus vocab.json (not implemented yet).
