//! A small blocking connection pool: at most `max_size` connections, opened on demand, handed
//! to one transaction at a time, and waited for at most [`CHECKOUT_TIMEOUT`].
//!
//! A pooled [`Connection`] also keeps the statements it has prepared, so that each of the
//! store's statements is parsed and planned once per connection rather than once per call.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};

use super::error::{Error, Result};

/// How long beginning a transaction waits for a connection when all of them are busy. Transactions
/// are short, so a wait this long means the database is overloaded or stuck, and the caller
/// is better told so than kept waiting.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection; the store has about seventy-five distinct statements.
const STATEMENT_CACHE_CAPACITY: usize = 96;

/// Parameters of a statement, as the driver takes them.
pub(super) type Parameters<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One open connection and the statements prepared on it.
pub(super) struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Connection {
    /// Rows of a statement.
    pub(super) fn query(&mut self, sql: &str, parameters: Parameters<'_>) -> Result<Vec<Row>> {
        let statement = self.prepared(sql)?;
        Ok(self.client.query(&statement, parameters)?)
    }

    /// The row of a statement that returns at most one.
    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        parameters: Parameters<'_>,
    ) -> Result<Option<Row>> {
        let statement = self.prepared(sql)?;
        Ok(self.client.query_opt(&statement, parameters)?)
    }

    /// The row of a statement that returns exactly one.
    pub(super) fn query_one(&mut self, sql: &str, parameters: Parameters<'_>) -> Result<Row> {
        let statement = self.prepared(sql)?;
        Ok(self.client.query_one(&statement, parameters)?)
    }

    /// Runs a statement and returns how many rows it changed.
    pub(super) fn execute(&mut self, sql: &str, parameters: Parameters<'_>) -> Result<u64> {
        let statement = self.prepared(sql)?;
        Ok(self.client.execute(&statement, parameters)?)
    }

    /// Runs statements without parameters through the simple protocol (transaction control,
    /// session settings, migrations).
    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn prepared(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.statements.len() >= STATEMENT_CACHE_CAPACITY {
            // Only reachable if statements were built from unbounded input, which the store
            // never does; forgetting them all keeps the cache bounded anyway.
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// How many connections a pool has, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open now, in use or idle.
    pub open: u32,
    /// Open connections that no transaction is using.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max_size: u32,
}

/// The connections of one store.
pub(super) struct Pool {
    config: Config,
    /// Statements every new connection runs first (session settings).
    setup: String,
    max_size: u32,
    state: Mutex<State>,
    returned: Condvar,
}

struct State {
    idle: Vec<Connection>,
    /// Connections open or being opened, idle ones included.
    open: u32,
}

impl Pool {
    pub(super) fn new(config: Config, setup: String, max_size: u32) -> Pool {
        assert!(max_size > 0, "a pool needs room for one connection");
        Pool {
            config,
            setup,
            max_size,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    pub(super) fn max_size(&self) -> u32 {
        self.max_size
    }

    pub(super) fn status(&self) -> PoolStatus {
        let state = self.lock();
        PoolStatus {
            open: state.open,
            idle: u32::try_from(state.idle.len()).unwrap_or(u32::MAX),
            max_size: self.max_size,
        }
    }

    /// An idle connection, a new one if the pool has room, or the first one returned within
    /// [`CHECKOUT_TIMEOUT`].
    pub(super) fn checkout(&self) -> Result<Pooled<'_>> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        let mut state = self.lock();
        loop {
            if let Some(connection) = state.idle.pop() {
                if connection.client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Pooled::new(self, connection));
            }
            if state.open < self.max_size {
                state.open += 1;
                drop(state);
                return self
                    .open_connection()
                    .map(|connection| Pooled::new(self, connection));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::PoolTimeout(CHECKOUT_TIMEOUT));
            }
            state = self
                .returned
                .wait_timeout(state, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Opens a connection whose slot the caller has already counted, and gives the slot back
    /// if that fails.
    fn open_connection(&self) -> Result<Connection> {
        let opened = self
            .config
            .connect(NoTls)
            .map_err(Error::Connect)
            .and_then(|client| {
                let mut connection = Connection {
                    client,
                    statements: HashMap::new(),
                };
                connection.batch(&self.setup)?;
                Ok(connection)
            });
        if opened.is_err() {
            self.forget_one();
        }
        opened
    }

    fn give_back(&self, connection: Connection) {
        if connection.client.is_closed() {
            self.forget_one();
            return;
        }
        self.lock().idle.push(connection);
        self.returned.notify_one();
    }

    /// Frees the slot of a connection that was closed or never opened.
    fn forget_one(&self) {
        self.lock().open -= 1;
        self.returned.notify_one();
    }

    /// A poisoned mutex only means a thread panicked while it held the lock, which it does
    /// for no longer than a push or a pop; the state is consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Pool {
    /// Closes the idle connections on a thread of their own and waits for it. The driver's
    /// blocking client closes its connection by running a small runtime of its own, which
    /// panics on a thread that drives asynchronous tasks, and that is where a server's last
    /// handle on its store usually goes (when its tasks end). Connections checked out borrow
    /// the pool, so none is left when it drops.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let idle = std::mem::take(&mut state.idle);
        if idle.is_empty() {
            return;
        }
        if std::thread::spawn(move || drop(idle)).join().is_err() {
            tracing::warn!("closing the pooled postgres connections panicked");
        }
    }
}

/// A connection checked out of the pool; it goes back when dropped, unless it was discarded.
pub(super) struct Pooled<'pool> {
    pool: &'pool Pool,
    connection: Option<Connection>,
}

impl<'pool> Pooled<'pool> {
    fn new(pool: &'pool Pool, connection: Connection) -> Self {
        Pooled {
            pool,
            connection: Some(connection),
        }
    }

    /// Closes the connection instead of returning it, because its session is in a state that
    /// the next transaction must not inherit.
    pub(super) fn discard(&mut self) {
        if self.connection.take().is_some() {
            self.pool.forget_one();
        }
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("a discarded connection is not used again")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.connection
            .as_mut()
            .expect("a discarded connection is not used again")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.pool.give_back(connection);
        }
    }
}
