//! The integration tests, in one binary (one link instead of one per file; see scripts/test-time).
//! Each file is a module; `support`, `fixture_model`, `batch_corpus` and the segment table are
//! shared helpers.

mod article;
mod article_engine;
mod batch;
mod batch_cli;
mod batch_corpus;
mod batch_reliability;
mod candle_oracle;
mod cli_help;
mod cli_translate;
mod document;
mod facade;
mod fidelity_document;
mod fidelity_guard;
mod fidelity_numbers;
mod fidelity_parallel;
mod fidelity_props;
mod fixture_model;
mod hub;
mod input;
mod kernel_paths;
mod model_errors;
mod model_pytorch;
mod model_variants;
mod parity;
mod quantized;
mod reliability;
mod segment_cases;
mod segment_cli;
mod segment_invariants;
mod segment_props;
mod segment_table;
mod serve;
mod serve_cli;
mod support;
mod tokenizer;
mod translator;
mod web;
mod web_cli;
mod write;
