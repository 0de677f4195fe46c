//! One module per subcommand; each has an `Args` (clap) and a `run` returning the exit code.

pub mod batch;
pub mod engine;
pub mod lines;
pub mod models;
pub mod segment;
#[cfg(feature = "serve")]
pub mod serve;
pub mod translate;
