//! `paycode bench`: the load generator of `paycode-bench`, on the command line. It starts a
//! server in this process (or uses one given by URL), builds a population, measures a baseline,
//! drives payments for a while and prints what it measured and checked.

use std::time::Duration;

use anyhow::Result;
use clap::Args;
use paycode_bench::limits::{
    DEFAULT_BASELINE_SECONDS, DEFAULT_CONNECTIONS, DEFAULT_DEVICES, DEFAULT_DURATION_SECONDS,
    DEFAULT_MERCHANTS,
};
use paycode_bench::{Options, RemoteServer, Scenario};

use crate::Outcome;

#[derive(Debug, Args)]
pub struct BenchArguments {
    /// A running server on this machine, such as http://127.0.0.1:8080; by default a server is
    /// started in this process on a temporary data directory.
    #[arg(long)]
    server: Option<String>,
    /// The admin key of the server given with --server.
    #[arg(long, env = "PAYCODE_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// The process id of the server given with --server, to report its memory.
    #[arg(long, requires = "server")]
    server_pid: Option<u32>,
    /// The database: a temporary SQLite file by default, or postgres://... (the in-process
    /// server then works in a scratch schema of it, and the baseline is pgbench).
    #[arg(long)]
    database: Option<String>,
    /// spread: each merchant in turn; hot: every payment to one merchant.
    #[arg(long, default_value = "spread")]
    scenario: Scenario,
    /// Concurrent connections, each with one payment in flight.
    #[arg(long, default_value_t = DEFAULT_CONNECTIONS)]
    connections: u32,
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = DEFAULT_DURATION_SECONDS)]
    duration: u64,
    /// Devices to enroll (ten per user).
    #[arg(long, default_value_t = DEFAULT_DEVICES)]
    devices: u32,
    /// Merchants to create.
    #[arg(long, default_value_t = DEFAULT_MERCHANTS)]
    merchants: u32,
    /// How long the baseline runs, in seconds.
    #[arg(long, default_value_t = DEFAULT_BASELINE_SECONDS)]
    baseline_seconds: u64,
    /// Print one JSON object on stdout instead of text (progress still goes to stderr).
    #[arg(long)]
    json: bool,
    /// Give every merchant a webhook pointing at a receiver in this process that answers at
    /// once, to measure payments with their events written and delivered.
    #[arg(long)]
    webhooks: bool,
}

pub fn run(arguments: BenchArguments) -> Result<Outcome> {
    let server = match arguments.server {
        Some(url) => Some(RemoteServer {
            url,
            admin_key: arguments.admin_key.ok_or_else(|| {
                anyhow::anyhow!(
                    "--server needs the server's admin key: --admin-key or PAYCODE_ADMIN_KEY"
                )
            })?,
            pid: arguments.server_pid,
        }),
        None => None,
    };
    let options = Options {
        server,
        database: arguments.database,
        scenario: arguments.scenario,
        connections: arguments.connections,
        duration: Duration::from_secs(arguments.duration),
        devices: arguments.devices,
        merchants: arguments.merchants,
        baseline: Duration::from_secs(arguments.baseline_seconds),
        progress: true,
        webhooks: arguments.webhooks,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(paycode_bench::run(options))?;
    if arguments.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    if report.checks_passed() {
        Ok(Outcome::Success)
    } else {
        eprintln!("paycode bench: an acknowledged payment is missing or the ledger check failed");
        Ok(Outcome::Refused)
    }
}
