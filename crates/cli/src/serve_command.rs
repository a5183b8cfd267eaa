//! `paycode serve`: the server on its embedded SQLite database, or on the database given.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use paycode_server::{ConnectionLimits, ServeOptions, TlsFiles};

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
    /// PEM file of the TLS certificate chain; with `--tls-key`, the server speaks HTTPS only.
    #[arg(long, env = "PAYCODE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM file of the TLS private key (PKCS #8, PKCS #1 or SEC1).
    #[arg(long, env = "PAYCODE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Seconds a client has to send a request's headers (or finish a TLS handshake); idle
    /// connections are closed after it too.
    #[arg(long, env = "PAYCODE_HEADER_TIMEOUT_SECONDS", default_value_t = 10.0)]
    header_timeout_seconds: f64,
    /// Seconds from a request's headers to its response, body included.
    #[arg(long, env = "PAYCODE_REQUEST_TIMEOUT_SECONDS", default_value_t = 30.0)]
    request_timeout_seconds: f64,
    /// Connections open at once, over all clients.
    #[arg(long, env = "PAYCODE_MAX_CONNECTIONS", default_value_t = 10_000)]
    max_connections: usize,
    /// IANA time zone that days are cut in (a merchant's trades of a day, the operator's
    /// summary), such as `Asia/Shanghai`; replaces the configuration file's `time_zone`
    /// (default `UTC`).
    #[arg(long, env = "PAYCODE_TIME_ZONE")]
    time_zone: Option<String>,
}

impl ServeArguments {
    /// The server's options from these flags; reading the admin key file may fail.
    pub fn into_options(self) -> Result<ServeOptions> {
        let admin_key = value_or_file(self.admin_key, self.admin_key_file.as_deref())?;
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(certificate), Some(private_key)) => Some(TlsFiles {
                certificate,
                private_key,
            }),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        let connections = ConnectionLimits {
            header_read_timeout: seconds("--header-timeout-seconds", self.header_timeout_seconds)?,
            request_timeout: seconds("--request-timeout-seconds", self.request_timeout_seconds)?,
            max_connections: self.max_connections,
        };
        connections.validate()?;
        Ok(ServeOptions {
            listen: self.listen,
            data_dir: self.data_dir,
            database: self.database,
            config_file: self.config,
            admin_key,
            connections,
            tls,
            time_zone: self.time_zone,
        })
    }
}

/// A duration from a number of seconds given on the command line (fractions allowed, so that
/// tests can use short timeouts).
fn seconds(flag: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("{flag} must be a positive number of seconds"))
}

pub fn run(arguments: ServeArguments) -> Result<Outcome> {
    paycode_server::init_tracing();
    let options = arguments.into_options()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    for (page, url) in paycode_server::web::page_urls(&format!("{scheme}://{}", options.listen)) {
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
