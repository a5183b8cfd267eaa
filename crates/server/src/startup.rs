//! Starting and stopping the server: the data directory, the master key file, the database,
//! the configuration file, the admin key, the listener, the background closer of overdue
//! trades, and graceful shutdown.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use paycode_core::store::Store;
use paycode_core::{Clock, Config, Paycode, SystemClock};
use paycode_store::{PostgresStore, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::connections::{serve_connections, tls_acceptor, ConnectionLimits, TlsFiles};
use crate::key_file;
use crate::limits::{CLOSE_OVERDUE_INTERVAL, POSTGRES_POOL_SIZE, PRUNE_INTERVAL};
use crate::routes::router;
use crate::state::AppState;
use crate::webhooks::{spawn_deliverer, WireEventData};

/// Name of the master key file in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Name of the SQLite database in the data directory, unless another database is given.
pub const DATABASE_FILE: &str = "paycode.sqlite";

/// How to start a server.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory of the master key file and, by default, the SQLite database; created if
    /// missing.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or a plain path, or `postgres://...` (also `postgresql://...`); the
    /// data directory's `paycode.sqlite` when absent. A PostgreSQL URL may hold a password:
    /// it is never logged, shown in an error or in `Debug` output.
    pub database: Option<String>,
    /// A TOML file of `paycode_core::Config`; the defaults when absent.
    pub config_file: Option<PathBuf>,
    /// The admin key (at least 16 characters); when absent, the stored one is kept, or on
    /// first start one is generated and printed once.
    pub admin_key: Option<String>,
    /// Timeouts of slow clients and the cap on open connections.
    pub connections: ConnectionLimits,
    /// Certificate and key to serve HTTPS with; plain HTTP when absent.
    pub tls: Option<TlsFiles>,
    /// The IANA time zone that days are cut in; replaces the configuration file's
    /// `time_zone` when given.
    pub time_zone: Option<String>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database.as_deref().map(redacted_database))
            .field("config_file", &self.config_file)
            .field("admin_key", &self.admin_key.as_ref().map(|_| "[REDACTED]"))
            .field("connections", &self.connections)
            .field("tls", &self.tls)
            .field("time_zone", &self.time_zone)
            .finish()
    }
}

/// A server's state, opened and ready to serve.
pub struct Opened {
    /// The state to serve.
    pub state: AppState,
    /// The admin key generated on first start, to be shown once; `None` otherwise.
    pub generated_admin_key: Option<String>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Opened")
            .field("state", &self.state)
            .field(
                "generated_admin_key",
                &self.generated_admin_key.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

/// Opens everything a server needs, reading time from `clock`: creates the data directory,
/// loads or creates the master key file, opens (and migrates) the database, reads the
/// configuration, opens the domain and installs the admin key. Blocking: call it from a
/// blocking context.
pub fn open(options: &ServeOptions, clock: Arc<dyn Clock>) -> anyhow::Result<Opened> {
    create_data_dir(&options.data_dir)?;
    let keys = key_file::load_or_create(&options.data_dir.join(MASTER_KEY_FILE))?;
    let config = config_of(options)?;
    let store = open_store(options)?;
    let currency = config.currency.as_str().to_owned();
    let paycode = Paycode::open(Arc::clone(&store), clock, config, keys)
        .context("could not open paycode over the database")?
        .with_event_data(WireEventData::shared(&currency));
    let generated_admin_key = paycode
        .install_admin_key(options.admin_key.as_deref())
        .context("could not install the admin key")?;
    Ok(Opened {
        state: AppState::new(Arc::new(paycode), store),
        generated_admin_key,
    })
}

/// Rotates the master key of a stopped deployment: adds a fresh key to the data directory's
/// key file, makes it current, and re-encrypts every device secret and sealed setting under it.
/// Returns how many values were re-encrypted. Run it with every instance stopped, then copy
/// the key file to every instance; the old key stays in the file until it is removed by hand.
pub fn rotate_master_key(options: &ServeOptions) -> anyhow::Result<u64> {
    let path = options.data_dir.join(MASTER_KEY_FILE);
    if !path.exists() {
        bail!("there is no key file at {}", path.display());
    }
    let keys = key_file::add_current_key(&path)?;
    let config = config_of(options)?;
    let store = open_store(options)?;
    let paycode = Paycode::open(store, Arc::new(SystemClock), config, keys)
        .context("could not open paycode over the database")?;
    paycode
        .reencrypt_secrets()
        .context("could not re-encrypt the secrets; run the rotation again to finish it")
}

fn create_data_dir(path: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    // Only the server's user needs the directory; it holds the key file and the database.
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .with_context(|| format!("could not create the data directory {}", path.display()))
}

/// Reads the configuration file, refusing unknown fields and values out of their limits.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the configuration {}", path.display()))?;
    let config: Config = toml::from_str(&text)
        .with_context(|| format!("invalid configuration {}", path.display()))?;
    config
        .validate()
        .with_context(|| format!("invalid configuration {}", path.display()))?;
    Ok(config)
}

/// The configuration file's values, with the time zone of the options in place of the file's.
fn config_of(options: &ServeOptions) -> anyhow::Result<Config> {
    let mut config = load_config(options.config_file.as_deref())?;
    if let Some(time_zone) = &options.time_zone {
        config.time_zone.clone_from(time_zone);
        config.validate().context("invalid --time-zone")?;
    }
    Ok(config)
}

/// The database a server runs on.
#[derive(Debug, PartialEq, Eq)]
enum Database {
    /// A SQLite file at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL URL. Never logged or shown in an error: it may hold a password.
    Postgres(String),
}

/// The database of `options`: a SQLite file (the data directory's `paycode.sqlite` when none
/// is given, `sqlite://PATH` or a plain path), or a PostgreSQL database (`postgres://...` or
/// `postgresql://...`).
fn database_of(options: &ServeOptions) -> anyhow::Result<Database> {
    let Some(database) = options.database.as_deref() else {
        return Ok(Database::Sqlite(options.data_dir.join(DATABASE_FILE)));
    };
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Ok(Database::Postgres(database.to_owned()));
    }
    let path = database.strip_prefix("sqlite://").unwrap_or(database);
    if path.is_empty() || path.contains("://") {
        // The value is not repeated: a mistyped PostgreSQL URL would show its password.
        bail!("the database must be sqlite://PATH, a file path, or postgres://...");
    }
    Ok(Database::Sqlite(PathBuf::from(path)))
}

/// How `Debug` shows a database option: a PostgreSQL URL only by its scheme.
fn redacted_database(database: &str) -> &str {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        "postgres://[REDACTED]"
    } else {
        database
    }
}

fn open_store(options: &ServeOptions) -> anyhow::Result<Arc<dyn Store>> {
    match database_of(options)? {
        Database::Sqlite(path) => {
            let store = SqliteStore::open(&path)
                .with_context(|| format!("could not open the database {}", path.display()))?;
            tracing::info!(path = %path.display(), "opened the SQLite database");
            Ok(Arc::new(store))
        }
        Database::Postgres(url) => {
            // The store's errors name the problem (unreachable, login refused, malformed URL)
            // without quoting the URL, and so does this context.
            let store = PostgresStore::connect(&url, POSTGRES_POOL_SIZE)
                .context("could not open the PostgreSQL database")?;
            tracing::info!(
                pool_size = POSTGRES_POOL_SIZE,
                "opened the PostgreSQL database"
            );
            Ok(Arc::new(store))
        }
    }
}

/// Runs a server until `shutdown` completes: opens everything with the system clock, prints
/// a generated admin key once, listens on `options.listen` (over HTTPS when a certificate is
/// given), and stops gracefully.
pub async fn serve(
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    options.connections.validate()?;
    let tls = options.tls.as_ref().map(tls_acceptor).transpose()?;
    let opened_options = options.clone();
    let opened = tokio::task::spawn_blocking(move || open(&opened_options, Arc::new(SystemClock)))
        .await
        .context("opening the server panicked")??;
    if let Some(key) = &opened.generated_admin_key {
        // Printed on standard output, not logged: logs are kept and shipped, this line is
        // read once by the operator who started the server.
        println!("admin key (shown once, store it now): {key}");
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("could not listen on {}", options.listen))?;
    tracing::info!(
        address = %listener.local_addr()?,
        https = tls.is_some(),
        "paycode is listening"
    );
    run_with(listener, opened.state, options.connections, tls, shutdown).await;
    tracing::info!("paycode stopped");
    Ok(())
}

/// Serves `state` on `listener` over plain HTTP with the default [`ConnectionLimits`] until
/// `shutdown` completes. In-flight requests finish before it returns.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, state, ConnectionLimits::default(), None, shutdown).await;
    Ok(())
}

/// Serves `state` on `listener` under `limits`, over TLS when `tls` is given, until `shutdown`
/// completes, with the background tasks that close overdue `USER_PAYING` trades and deliver
/// merchants' webhook events. In-flight requests finish before it returns.
pub async fn run_with(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop_closer, stopped) = watch::channel(false);
    let closer = spawn_closer(Arc::clone(&state.paycode), stopped.clone());
    let deliverer = spawn_deliverer(
        Arc::clone(&state.paycode),
        Arc::clone(&state.metrics),
        stopped,
    );
    let metrics = Arc::clone(&state.metrics);
    serve_connections(listener, router(state), metrics, limits, tls, shutdown).await;
    // The closer may be in the middle of a sweep; let it finish so that the store is not
    // dropped under it. The deliverer drops the attempts it has in flight: their events'
    // leases run out and they are sent again.
    let _ = stop_closer.send(true);
    if let Err(error) = closer.await {
        tracing::error!(%error, "the overdue trade closer panicked");
    }
    if let Err(error) = deliverer.await {
        tracing::error!(%error, "the webhook deliverer panicked");
    }
}

/// Every [`CLOSE_OVERDUE_INTERVAL`], closes the `USER_PAYING` trades past their deadline; every
/// [`PRUNE_INTERVAL`], prunes the records of failed verifications past their retention.
fn spawn_closer(paycode: Arc<Paycode>, mut stopped: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(CLOSE_OVERDUE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune_interval = tokio::time::interval(PRUNE_INTERVAL);
        prune_interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => close_overdue(&paycode).await,
                _ = prune_interval.tick() => prune_failure_records(&paycode).await,
                _ = stopped.changed() => return,
            }
        }
    })
}

async fn close_overdue(paycode: &Arc<Paycode>) {
    let paycode = Arc::clone(paycode);
    match tokio::task::spawn_blocking(move || paycode.close_overdue_trades()).await {
        Ok(Ok(0)) => {}
        Ok(Ok(closed)) => tracing::info!(closed, "closed overdue USER_PAYING trades"),
        Ok(Err(error)) => tracing::warn!(%error, "could not close overdue trades"),
        Err(error) => tracing::error!(%error, "closing overdue trades panicked"),
    }
}

async fn prune_failure_records(paycode: &Arc<Paycode>) {
    let paycode = Arc::clone(paycode);
    match tokio::task::spawn_blocking(move || paycode.prune_failure_records()).await {
        Ok(Ok(0)) => {}
        Ok(Ok(deleted)) => tracing::info!(deleted, "pruned old verification failures"),
        Ok(Err(error)) => tracing::warn!(%error, "could not prune verification failures"),
        Err(error) => tracing::error!(%error, "pruning verification failures panicked"),
    }
}

/// A server running in the background on a local port, for tests and demonstrations.
/// Dropping it stops the server too, but without waiting; [`RunningServer::stop`] waits.
#[derive(Debug)]
pub struct RunningServer {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops it gracefully and waits until it has stopped.
    pub async fn stop(self) -> anyhow::Result<()> {
        // The server may have stopped on its own already; then there is no one to tell.
        let _ = self.stop.send(());
        self.handle.await.context("the server task panicked")??;
        Ok(())
    }
}

/// Serves `state` on `127.0.0.1` at a free port, in the background.
pub async fn spawn(state: AppState) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(run(listener, state, async move {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        address,
        stop,
        handle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(database: Option<&str>) -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: PathBuf::from("/data"),
            database: database.map(str::to_owned),
            config_file: None,
            admin_key: None,
            connections: ConnectionLimits::default(),
            tls: None,
            time_zone: None,
        }
    }

    #[test]
    fn the_database_is_a_sqlite_path_or_a_postgres_url() {
        let database = |database| database_of(&options(database));
        assert_eq!(
            database(None).unwrap(),
            Database::Sqlite(PathBuf::from("/data/paycode.sqlite"))
        );
        assert_eq!(
            database(Some("sqlite:///var/lib/p.db")).unwrap(),
            Database::Sqlite(PathBuf::from("/var/lib/p.db"))
        );
        assert_eq!(
            database(Some("p.db")).unwrap(),
            Database::Sqlite(PathBuf::from("p.db"))
        );
        for url in [
            "postgres://localhost/paycode",
            "postgresql://paycode:secret@db.internal:5432/paycode",
        ] {
            assert_eq!(
                database(Some(url)).unwrap(),
                Database::Postgres(url.to_owned())
            );
        }
        assert!(database(Some("")).is_err());
    }

    #[test]
    fn an_unknown_database_scheme_is_refused_without_repeating_the_value() {
        let error = database_of(&options(Some("mysql://paycode:hunter2@db/paycode"))).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("postgres://"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn an_unreachable_postgres_database_is_named_without_its_url() {
        // Port 1 on the loopback refuses at once: nothing listens there.
        let options = options(Some("postgres://paycode:hunter2@127.0.0.1:1/paycode"));
        let error = open_store(&options)
            .err()
            .expect("nothing listens on port 1");
        let message = format!("{error:#}");
        assert!(
            message.contains("could not open the PostgreSQL database"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains("127.0.0.1:1/"), "{message}");
    }

    #[test]
    fn a_postgres_url_is_redacted_in_debug_output() {
        let options = options(Some("postgres://paycode:hunter2@db.internal/paycode"));
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("db.internal"), "{shown}");
        assert!(shown.contains("postgres://[REDACTED]"), "{shown}");
        let sqlite = format!("{:?}", options_with("/srv/p.db"));
        assert!(sqlite.contains("/srv/p.db"), "{sqlite}");
    }

    fn options_with(database: &str) -> ServeOptions {
        options(Some(database))
    }

    #[test]
    fn a_configuration_with_unknown_fields_or_bad_values_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("paycode.toml");
        std::fs::write(&path, "max_failed_attempts = 3\ncurrency = \"USD\"\n").unwrap();
        let config = load_config(Some(&path)).unwrap();
        assert_eq!(config.max_failed_attempts, 3);
        assert_eq!(config.currency.as_str(), "USD");
        std::fs::write(&path, "max_failed_atempts = 3\n").unwrap();
        assert!(load_config(Some(&path)).is_err());
        std::fs::write(&path, "skew_steps = 11\n").unwrap();
        assert!(load_config(Some(&path)).is_err());
    }

    #[test]
    fn the_time_zone_option_replaces_the_file_and_an_unknown_one_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("paycode.toml");
        std::fs::write(&path, "time_zone = \"Europe/Berlin\"\n").unwrap();
        let mut options = options(None);
        options.config_file = Some(path);
        assert_eq!(config_of(&options).unwrap().time_zone, "Europe/Berlin");
        options.time_zone = Some("Asia/Shanghai".to_owned());
        assert_eq!(config_of(&options).unwrap().time_zone, "Asia/Shanghai");
        options.time_zone = Some("Asia/Nowhere".to_owned());
        let error = format!("{:#}", config_of(&options).unwrap_err());
        assert!(error.contains("Asia/Nowhere"), "{error}");
    }

    #[test]
    fn the_admin_key_is_redacted_in_debug_output() {
        let mut options = options(None);
        options.admin_key = Some("admin-key-that-is-long".to_owned());
        assert!(!format!("{options:?}").contains("admin-key"));
    }
}
