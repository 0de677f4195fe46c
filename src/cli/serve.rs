//! `passeur serve`: the LibreTranslate-compatible HTTP server (see `passeur::serve`).
//!
//! The address is bound first (a busy port fails at once), then the server listens while the
//! model loads in the background (`/health` answers 503 until it is ready). SIGTERM or Ctrl-C
//! stops accepting connections, finishes the requests in flight and exits 0.

use anyhow::Context;
use passeur::fidelity::GuardOptions;
use passeur::queue::QueueOptions;
use passeur::serve::{self, ApiKeys, Loader, ServeOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::engine::EngineArgs;

/// Arguments of `passeur serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; 0.0.0.0 opens the server to the network.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, value_name = "PORT", default_value_t = 5000)]
    pub port: u16,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Require an API key (`api_key` parameter) on /translate, /detect and /v1/translate: FILE
    /// holds the keys, one per line (# starts a comment).
    #[arg(long, value_name = "FILE")]
    pub api_keys: Option<PathBuf>,

    /// Most characters of text in one request (400 beyond).
    #[arg(long, value_name = "N", default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub max_chars: u64,

    /// Most sentences waiting for the model; requests beyond get 429 (Too Many Requests).
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_queue: u64,

    /// Longest wait, in milliseconds, for other requests to join a batch.
    #[arg(long, value_name = "MS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub batch_wait_ms: u64,

    /// Skip the fidelity guard: no span protection, no checks, no recovery, no flags.
    #[arg(long)]
    pub no_guard: bool,

    /// Log format on stderr: text or json (one JSON object per event). PASSEUR_LOG filters
    /// (e.g. `warn`, `passeur=debug`) [default: info].
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

/// Runs `passeur serve`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let api_keys = args
        .api_keys
        .as_deref()
        .map(ApiKeys::from_file)
        .transpose()?;
    let address = format!("{}:{}", args.host, args.port);
    let listener = std::net::TcpListener::bind(&address)
        .with_context(|| format!("cannot listen on {address}"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    init_logs(&args.log_format);
    // The translator's compute threads are its own (`--threads`, see `passeur::cpu`); the
    // server's I/O threads below do no translation.

    let batch = args.engine.batch_size as usize;
    let options = ServeOptions {
        max_chars: args.max_chars as usize,
        api_keys,
        queue: QueueOptions {
            batch_sentences: batch,
            round_sentences: 4 * batch,
            wait: Duration::from_millis(args.batch_wait_ms),
            capacity: args.max_queue as usize,
            max_sentence_tokens: None,
        },
        ..ServeOptions::default()
    };
    let engine = args.engine.clone();
    let guard = (!args.no_guard).then(GuardOptions::default);
    let load: Loader = Box::new(move || Ok(engine.build(false, guard)?.shared_engine()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("passeur-http")
        .build()
        .context("starting the async runtime")?;
    eprintln!("passeur: listening on http://{local} (the model is loading; /health says when it is ready)");
    let outcome = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        serve::serve(listener, options, load, shutdown_signal())
            .await
            .map_err(|err| anyhow::anyhow!(err))
    });
    // A model still loading when a signal came must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome?;
    Ok(ExitCode::SUCCESS)
}

fn init_logs(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PASSEUR_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
