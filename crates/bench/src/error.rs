//! Why a run could not be made. A run that was made but found a problem (a lost payment, a
//! broken ledger) is not an error: it is a [`crate::Report`] that says so.

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options are out of their limits or contradict each other.
    #[error("{0}")]
    Options(String),
    /// The in-process server could not be opened or started.
    #[error("could not start the in-process server: {0:#}")]
    Server(anyhow::Error),
    /// The domain refused a step of building the population.
    #[error("could not build the population: {0}")]
    Population(#[from] paycode_core::Error),
    /// The server refused a call the run needs (population, ledger check).
    #[error("the server refused a call: {0}")]
    Client(#[from] paycode_client::ClientError),
    /// The server's provisioning data cannot be used to make codes.
    #[error("unusable provisioning data: {0}")]
    Provisioning(String),
    /// The SQLite baseline failed.
    #[error("the SQLite baseline failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Preparing a PostgreSQL database or schema failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    /// pgbench could not be run or its output not read.
    #[error("pgbench: {0}")]
    Pgbench(String),
    /// A file, a directory or a process could not be used.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A task or thread of the run panicked.
    #[error("a task of the run panicked: {0}")]
    Panicked(String),
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Self {
        Error::Panicked(error.to_string())
    }
}
