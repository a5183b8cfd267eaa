//! `paycode serve`: the server on its embedded SQLite database, or on the database given.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use paycode_server::ServeOptions;

use crate::key_file_flag::value_or_file;
use crate::Outcome;

/// Flags of `paycode serve`; each also reads a `PAYCODE_*` environment variable.
#[derive(Debug, Args)]
pub struct ServeArguments {
    /// Address to listen on.
    #[arg(long, env = "PAYCODE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the SQLite database and the master key file, created on first start.
    #[arg(long, env = "PAYCODE_DATA_DIR", default_value = "./paycode-data")]
    data_dir: PathBuf,
    /// Database URL (`sqlite://PATH` or `postgres://...`); overrides the SQLite default.
    #[arg(long, env = "PAYCODE_DATABASE")]
    database: Option<String>,
    /// TOML file with the tunables of the spec (prefixes, period, skew, limits, currency...).
    #[arg(long, env = "PAYCODE_CONFIG")]
    config: Option<PathBuf>,
    /// The admin key; without it the stored one is kept, or one is generated and printed once.
    /// Prefer `--admin-key-file` or the environment: a flag's value shows in `ps`.
    #[arg(long, env = "PAYCODE_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// A file whose first line is the admin key.
    #[arg(long, env = "PAYCODE_ADMIN_KEY_FILE", conflicts_with = "admin_key")]
    admin_key_file: Option<PathBuf>,
}

impl ServeArguments {
    /// The server's options from these flags; reading the admin key file may fail.
    pub fn into_options(self) -> Result<ServeOptions> {
        let admin_key = value_or_file(self.admin_key, self.admin_key_file.as_deref())?;
        Ok(ServeOptions {
            listen: self.listen,
            data_dir: self.data_dir,
            database: self.database,
            config_file: self.config,
            admin_key,
        })
    }
}

pub fn run(arguments: ServeArguments) -> Result<Outcome> {
    paycode_server::init_tracing();
    let options = arguments.into_options()?;
    for (page, url) in paycode_server::web::page_urls(&format!("http://{}", options.listen)) {
        println!("{page}: {url}");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(paycode_server::serve(options, shutdown_signal()))?;
    Ok(Outcome::Success)
}

/// Completes on Ctrl-C or SIGTERM, whichever comes first, so that in-flight payments finish.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
