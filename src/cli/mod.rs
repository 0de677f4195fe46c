//! One module per subcommand; each has an `Args` (clap) and a `run` returning the exit code.

pub mod advice;
pub mod batch;
pub mod cache;
pub mod engine;
pub mod heap;
pub mod help;
pub mod lines;
pub mod manual;
pub mod models;
pub mod segment;
#[cfg(feature = "serve")]
pub mod serve;
pub mod translate;

/// A usage error found after parsing (an option value clap could not check): exit status 2, as
/// for the errors clap finds itself.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit status 2 for usage errors: a [`UsageError`], or a library error about an option's value
/// (an unknown encoding, format or syntax, a bad pattern or shard); 1 for every other error.
pub fn exit_code(err: &anyhow::Error) -> std::process::ExitCode {
    let usage = err.chain().any(|cause| {
        cause.is::<UsageError>()
            || matches!(
                cause.downcast_ref::<passeur::Error>(),
                Some(
                    passeur::Error::UnknownEncoding { .. }
                        | passeur::Error::UnknownFormat { .. }
                        | passeur::Error::UnknownSyntax { .. }
                        | passeur::Error::BadPattern { .. }
                        | passeur::Error::BadShard { .. }
                )
            )
    });
    std::process::ExitCode::from(if usage { 2 } else { 1 })
}
