//! paycode's HTTP server (SPEC section 4): routing, authentication of the three kinds of
//! caller, the mapping of domain errors to statuses and stable codes, JSON bodies and their
//! limits, metrics, logs, the OpenAPI document, and starting and stopping.
//!
//! The crate owns HTTP and nothing below it. Every use case is a method of
//! [`paycode_core::Paycode`]; the handlers parse the request, run the use case on the blocking
//! thread pool (the domain and its store are synchronous), and convert the domain's records
//! into the wire types of `paycode_api`.
//!
//! - [`router`] is the whole API over an [`AppState`], for in-process tests.
//! - [`serve`] starts a real server from [`ServeOptions`]: data directory, master key file,
//!   SQLite or PostgreSQL database, configuration file, admin key.
//! - [`open`], [`run`], [`run_with`] and [`spawn`] are its parts, so that tests and demonstrations can inject
//!   a clock or listen on a free port.
//!
//! Logs never contain request bodies, headers, credentials, codes, PINs or passwords: the
//! request log line has the method, route pattern, status and latency only, and refusals are
//! logged by their code alone.

pub mod auth;
pub mod connections;
pub mod convert;
pub mod error;
pub mod extract;
mod key_file;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod routes;
mod startup;
pub mod state;
pub mod web;
pub mod webhooks;

pub use connections::{tls_acceptor, ConnectionLimits, TlsFiles};
pub use error::ApiError;
pub use routes::router;
pub use startup::{
    load_config, open, rotate_master_key, run, run_with, serve, spawn, Opened, RunningServer,
    ServeOptions, DATABASE_FILE, MASTER_KEY_FILE,
};
pub use state::AppState;

/// Installs a global tracing subscriber that writes to standard error, filtered by `RUST_LOG`
/// (default `info`), in colour only on a terminal. Does nothing if one is installed already,
/// so tests may call it freely.
pub fn init_tracing() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
