//! paycode's load generator (issue 6): how many payments a second paycode completes durably,
//! how quickly each answers, and how that compares with the same database doing one transfer
//! per transaction.
//!
//! A run ([`run`]):
//! 1. starts a server in this process on a temporary data directory (SQLite by default, or a
//!    scratch schema of a PostgreSQL database), or uses one given by URL;
//! 2. builds the population: merchants, users topped up, devices enrolled
//!    ([`population`]);
//! 3. measures the baseline on the same database ([`baseline`]), and the HTTP ceiling: the
//!    same connections sending requests the server answers without a handler ([`ceiling`]);
//! 4. drives `POST /v1/payments` with valid offline codes on C connections for D seconds,
//!    printing progress every second, sampling memory, and every ten seconds the payments,
//!    the bytes the database wrote and its size ([`load`], [`meter`], [`timeline`]);
//! 5. checks the ledger's invariants and that every acknowledged payment is stored
//!    ([`check`]), and returns a [`Report`].
//!
//! The crate owns the measuring. It makes codes exactly as a wallet does (`paycode-codec`),
//! talks to the server only through its HTTP API (`paycode-client`) during the load, and
//! keeps what it records bounded: latencies in a fixed-size histogram, outcomes as counts.
//! Every limit is in [`limits`]. All traffic stays on this machine.

pub mod acknowledged;
pub mod allocator;
pub mod baseline;
pub mod ceiling;
pub mod check;
mod error;
pub mod limits;
pub mod load;
pub mod meter;
mod options;
pub mod population;
pub mod postgres_url;
mod report;
pub mod rss;
pub mod server_metrics;
pub mod stats;
pub mod timeline;
pub mod webhooks;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paycode_core::{Clock, SystemClock};
use paycode_server::{AppState, RunningServer, ServeOptions};

pub use error::Error;
pub use options::{DatabaseKind, Options, RemoteServer, Scenario};
pub use report::{mebibytes, Report};

use crate::baseline::Baseline;
use crate::ceiling::Ceiling;
use crate::check::StoredCheck;
use crate::load::{LoadOptions, LoadResult};
use crate::meter::Meter;
use crate::population::{Plan, Population};
use crate::postgres_url::{is_postgres, PostgresUrl, ScratchSchema};
use crate::rss::{read_memory, Process};
use crate::server_metrics::{BatchCounters, Batching};

/// Prefix of the admin key of an in-process server.
const ADMIN_KEY_PREFIX: &str = "pa_bench_";

/// Makes one run. Progress goes to standard error when `options.progress` is set.
pub async fn run(options: Options) -> Result<Report, Error> {
    options.validate()?;
    let workspace = tempfile::Builder::new()
        .prefix("paycode-bench-")
        .tempdir()?;
    match options.server.clone() {
        Some(remote) => run_remote(&options, &remote, workspace.path()).await,
        None => run_in_process(&options, workspace.path()).await,
    }
}

/// A unique tag for the names and references of one run.
fn new_tag() -> String {
    format!("bench-{:08x}", rand::random::<u32>())
}

fn say(options: &Options, text: &str) {
    if options.progress {
        eprintln!("{text}");
    }
}

/// The server this process starts, and what must be cleaned up after it.
struct InProcess {
    server: RunningServer,
    state: AppState,
    admin_key: String,
    schema: Option<ScratchSchema>,
}

async fn run_in_process(options: &Options, workspace: &Path) -> Result<Report, Error> {
    let started = start_in_process(options, workspace).await?;
    let url = started.server.url();
    let result = measure_in_process(options, workspace, &started, &url).await;
    let InProcess {
        server,
        state,
        schema,
        ..
    } = started;
    let stopped = server.stop().await.map_err(Error::Server);
    // The store's connections go before their schema does.
    drop(state);
    if let Some(schema) = schema {
        tokio::task::spawn_blocking(move || schema.drop_schema()).await??;
    }
    let report = result?;
    stopped?;
    Ok(report)
}

async fn start_in_process(options: &Options, workspace: &Path) -> Result<InProcess, Error> {
    let schema = match &options.database {
        Some(database) if is_postgres(database) => {
            let database = PostgresUrl::parse(database)?;
            Some(tokio::task::spawn_blocking(move || ScratchSchema::create(&database)).await??)
        }
        _ => None,
    };
    let database = match &schema {
        Some(schema) => Some(schema.server_url()),
        None => options.database.clone(),
    };
    let admin_key = paycode_core::crypto::new_token(ADMIN_KEY_PREFIX);
    let serve_options = ServeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: workspace.join("server"),
        database,
        config_file: None,
        admin_key: Some(admin_key.clone()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    };
    say(options, "starting an in-process server");
    let opened = tokio::task::spawn_blocking(move || {
        paycode_server::open(&serve_options, Arc::new(SystemClock))
    })
    .await?;
    let opened = match opened {
        Ok(opened) => opened,
        Err(error) => {
            if let Some(schema) = schema {
                let _ = tokio::task::spawn_blocking(move || schema.drop_schema()).await;
            }
            return Err(Error::Server(error));
        }
    };
    let server = paycode_server::spawn(opened.state.clone()).await?;
    Ok(InProcess {
        server,
        state: opened.state,
        admin_key,
        schema,
    })
}

async fn measure_in_process(
    options: &Options,
    workspace: &Path,
    started: &InProcess,
    url: &str,
) -> Result<Report, Error> {
    let plan = plan(options);
    announce_population(options, &plan, "in the in-process server");
    let population = {
        let (paycode, store, plan) = (
            Arc::clone(&started.state.paycode),
            Arc::clone(&started.state.store),
            plan.clone(),
        );
        tokio::task::spawn_blocking(move || {
            population::populate_in_process(&paycode, &store, &plan)
        })
        .await??
    };
    let target = Target {
        url: url.to_owned(),
        admin_key: started.admin_key.clone(),
        server: "in-process",
        memory_of: Process::Own,
        trades: Trades::InProcess(Arc::clone(&started.state.paycode)),
        metered: match (&started.schema, &options.database) {
            (Some(schema), Some(database)) => Metered::Postgres {
                url: database.clone(),
                schema: Some(schema.name().to_owned()),
            },
            (_, database) => Metered::Sqlite {
                writer: Some(Process::Own),
                file: Some(database.as_deref().map_or_else(
                    || workspace.join("server").join(paycode_server::DATABASE_FILE),
                    sqlite_file,
                )),
            },
        },
    };
    measure(options, workspace, &plan, Arc::new(population), &target).await
}

async fn run_remote(
    options: &Options,
    remote: &RemoteServer,
    workspace: &Path,
) -> Result<Report, Error> {
    let plan = plan(options);
    announce_population(options, &plan, "over HTTP");
    let population =
        population::populate_over_http(&remote.url, &remote.admin_key, &plan, options.connections)
            .await?;
    let target = Target {
        url: remote.url.clone(),
        admin_key: remote.admin_key.clone(),
        server: "remote",
        memory_of: remote.pid.map_or(Process::Own, Process::Other),
        trades: Trades::OverHttp,
        metered: match &options.database {
            Some(database) if is_postgres(database) => Metered::Postgres {
                url: database.clone(),
                schema: None,
            },
            database => Metered::Sqlite {
                writer: remote.pid.map(Process::Other),
                file: database.as_deref().map(sqlite_file),
            },
        },
    };
    measure(options, workspace, &plan, Arc::new(population), &target).await
}

fn announce_population(options: &Options, plan: &Plan, how: &str) {
    say(
        options,
        &format!(
            "enrolling {} devices of {} users, and {} merchants, {how}",
            plan.devices,
            plan.users(),
            plan.merchants
        ),
    );
}

/// The server a run measures.
struct Target {
    url: String,
    admin_key: String,
    /// `in-process` or `remote`.
    server: &'static str,
    memory_of: Process,
    trades: Trades,
    /// Where the database's bytes are read.
    metered: Metered,
}

/// Where a run reads the bytes its database wrote and its size; the meter is opened when the
/// load starts.
#[derive(Debug, Clone)]
enum Metered {
    /// A SQLite file written by a process.
    Sqlite {
        writer: Option<Process>,
        file: Option<PathBuf>,
    },
    /// A PostgreSQL database, one schema of it or the whole.
    Postgres { url: String, schema: Option<String> },
}

impl Metered {
    /// Opens the meter. Blocking.
    fn open(self) -> Meter {
        match self {
            Metered::Sqlite { writer, file } => Meter::Sqlite { writer, file },
            Metered::Postgres { url, schema } => Meter::postgres(&url, schema),
        }
    }
}

/// The SQLite file a `--database` names (`sqlite://PATH` or a plain path), as the server reads
/// it.
fn sqlite_file(database: &str) -> PathBuf {
    PathBuf::from(database.strip_prefix("sqlite://").unwrap_or(database))
}

/// How acknowledged trades are read back.
enum Trades {
    /// Through the domain of the server in this process.
    InProcess(Arc<paycode_core::Paycode>),
    /// Through the HTTP API.
    OverHttp,
}

/// The baseline, the load and the checks, on a server with its population built.
async fn measure(
    options: &Options,
    workspace: &Path,
    plan: &Plan,
    population: Arc<Population>,
    target: &Target,
) -> Result<Report, Error> {
    let receiver = if options.webhooks {
        let receiver = webhooks::NoOpReceiver::start().await?;
        say(
            options,
            &format!("pointing every merchant's webhook at {}", receiver.url),
        );
        webhooks::set_webhooks(
            &target.url,
            &target.admin_key,
            &population.merchants,
            &receiver,
        )
        .await?;
        Some(receiver)
    } else {
        None
    };
    let baseline = measure_baseline(options, workspace).await?;
    let ceiling = measure_http_ceiling(options, target, &population).await?;
    let metrics = paycode_client::Client::new(&target.url)?;
    let counters_before = BatchCounters::read(&metrics).await;
    let load = drive(options, plan, Arc::clone(&population), target, workspace).await?;
    let counters_after = BatchCounters::read(&metrics).await;
    let batching = counters_before
        .zip(counters_after)
        .map(|(before, after)| before.until(after));
    say(
        options,
        "checking the ledger and every acknowledged payment",
    );
    let ledger = check::check_ledger(&target.url, &target.admin_key).await?;
    let stored = match &target.trades {
        Trades::InProcess(paycode) => {
            let (paycode, acknowledged, population, tag) = (
                Arc::clone(paycode),
                load.acknowledged.clone(),
                Arc::clone(&population),
                plan.tag.clone(),
            );
            tokio::task::spawn_blocking(move || {
                check::check_stored_in_process(&paycode, &population.merchants, &acknowledged, &tag)
            })
            .await??
        }
        Trades::OverHttp => {
            check::check_stored_over_http(
                &target.url,
                &population.merchants,
                &load.acknowledged,
                &plan.tag,
            )
            .await?
        }
    };
    let findings = Findings {
        webhook_deliveries: receiver.as_ref().map(webhooks::NoOpReceiver::received),
        population: &population,
        baseline: &baseline,
        ceiling: &ceiling,
        load: &load,
        acknowledged: load.acknowledged_count(),
        stored,
        ledger_ok: ledger.ok,
        batching,
    };
    Ok(report(options, target, &findings))
}

fn plan(options: &Options) -> Plan {
    Plan {
        devices: options.devices,
        merchants: options.merchants,
        tag: new_tag(),
        progress: options.progress,
    }
}

async fn measure_baseline(options: &Options, workspace: &Path) -> Result<Baseline, Error> {
    let duration = options.baseline;
    let baseline = match &options.database {
        Some(database) if is_postgres(database) => {
            say(
                options,
                &format!(
                    "baseline: pgbench TPC-B-like, {} clients, {} s",
                    options.connections,
                    duration.as_secs()
                ),
            );
            let (database, clients) = (database.clone(), options.connections);
            tokio::task::spawn_blocking(move || {
                baseline::pgbench_baseline(&database, clients, duration)
            })
            .await??
        }
        _ => {
            say(
                options,
                &format!(
                    "baseline: one SQLite transfer per commit, {} s",
                    duration.as_secs()
                ),
            );
            let path = workspace.join("baseline.sqlite");
            tokio::task::spawn_blocking(move || baseline::sqlite_baseline(&path, duration))
                .await??
        }
    };
    say(
        options,
        &format!("baseline: {:.0} transfers/s", baseline.per_second),
    );
    Ok(baseline)
}

async fn measure_http_ceiling(
    options: &Options,
    target: &Target,
    population: &Population,
) -> Result<Ceiling, Error> {
    say(
        options,
        &format!(
            "HTTP ceiling: {} connections to a path without a route, {} s",
            options.connections,
            options.baseline.as_secs()
        ),
    );
    let ceiling = ceiling::measure_ceiling(
        &target.url,
        &population.merchants[0].api_key,
        options.connections,
        options.baseline,
    )
    .await?;
    say(
        options,
        &format!(
            "HTTP ceiling: {:.0} requests/s ({} not answered 404)",
            ceiling.per_second, ceiling.failures
        ),
    );
    Ok(ceiling)
}

async fn drive(
    options: &Options,
    plan: &Plan,
    population: Arc<Population>,
    target: &Target,
    workspace: &Path,
) -> Result<LoadResult, Error> {
    say(
        options,
        &format!(
            "load: {} scenario, {} connections, {} s",
            options.scenario,
            options.connections,
            options.duration.as_secs()
        ),
    );
    let load_options = LoadOptions {
        url: target.url.clone(),
        scenario: options.scenario,
        connections: options.connections,
        duration: options.duration,
        tag: plan.tag.clone(),
        progress: options.progress,
        memory_of: target.memory_of,
        record_directory: workspace.to_path_buf(),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let metered = target.metered.clone();
    let meter = tokio::task::spawn_blocking(move || metered.open()).await?;
    load::run_load(population, load_options, clock, meter).await
}

/// What a run measured and checked, before it becomes a [`Report`].
struct Findings<'a> {
    /// Requests the no-op receiver got, when the merchants had webhooks.
    webhook_deliveries: Option<u64>,
    population: &'a Population,
    baseline: &'a Baseline,
    ceiling: &'a Ceiling,
    load: &'a LoadResult,
    acknowledged: u64,
    stored: StoredCheck,
    ledger_ok: bool,
    batching: Option<Batching>,
}

fn report(options: &Options, target: &Target, findings: &Findings<'_>) -> Report {
    let Findings {
        webhook_deliveries,
        population,
        baseline,
        ceiling,
        load,
        acknowledged,
        stored,
        ledger_ok,
        batching,
    } = *findings;
    let latency = load.latencies.summary();
    let payments = load.outcomes.successes();
    let payments_per_second = payments as f64 / load.seconds;
    let ratio = if baseline.per_second > 0.0 {
        payments_per_second / baseline.per_second
    } else {
        0.0
    };
    let peak_rss_bytes = read_memory(target.memory_of)
        .map(|memory| memory.peak_rss_bytes)
        .unwrap_or(0);
    Report {
        scenario: options.scenario,
        database: options.database_kind(),
        server: target.server,
        connections: options.connections,
        duration_seconds: options.duration.as_secs(),
        elapsed_seconds: load.seconds,
        devices: population.devices.len() as u32,
        users: population.users,
        merchants: population.merchants.len() as u32,
        population_seconds: population.seconds,
        population_devices_per_second: population.devices.len() as f64 / population.seconds,
        requests: load.outcomes.total(),
        payments,
        payments_per_second,
        baseline_kind: baseline.kind,
        baseline_per_second: baseline.per_second,
        ratio,
        http_ceiling: ceiling.clone(),
        ceiling_fraction: if ceiling.per_second > 0.0 {
            payments_per_second / ceiling.per_second
        } else {
            0.0
        },
        intervals: load.timeline.intervals(),
        trend: load.timeline.trend(),
        whole: load.timeline.whole(),
        metered: load.metered.clone(),
        p50_ms: latency.p50_ms,
        p95_ms: latency.p95_ms,
        p99_ms: latency.p99_ms,
        max_ms: latency.max_ms,
        mean_ms: latency.mean_ms,
        errors: load.outcomes.errors(),
        server_errors: load.outcomes.server_errors(),
        outcomes: load.outcomes.clone(),
        exhausted_pauses: load.exhausted_pauses,
        batching,
        acknowledged,
        stored_ok: stored.ok() && stored.checked == acknowledged,
        stored,
        ledger_ok,
        memory_of: match (target.memory_of, target.server) {
            (Process::Other(pid), _) => format!("the server, process {pid}"),
            (Process::Own, "in-process") => {
                "this process: load generator and in-process server".to_owned()
            }
            (Process::Own, _) => "this process: the load generator only".to_owned(),
        },
        webhooks: options.webhooks,
        webhook_deliveries,
        peak_rss_bytes,
        rss_samples_bytes: load
            .rss_samples
            .iter()
            .map(|sample| sample.rss_bytes)
            .collect(),
        rss_sample_seconds: load
            .rss_samples
            .iter()
            .map(|sample| sample.seconds)
            .collect(),
    }
}
