//! What the database wrote and how large it is, read during the load for the
//! [`crate::timeline`]:
//! - SQLite: the bytes the server's process sent to storage (`write_bytes` of
//!   `/proc/PID/io`: the write-ahead log, the checkpoints into the database file, and, with an
//!   in-process server, the few bytes a payment the load generator records), and the size of
//!   the database file;
//! - PostgreSQL: the WAL bytes of the whole cluster (`pg_stat_wal.wal_bytes`, PostgreSQL 15),
//!   and the size of the server's tables with their indexes (of the scratch schema of an
//!   in-process server, or of the whole database of a remote one).
//!
//! A reading that cannot be made is `None`, never an error: the load goes on without it.

use std::path::PathBuf;

use crate::rss::Process;
use crate::timeline::Reading;

/// Where the bytes of a run's database are read.
pub enum Meter {
    /// A SQLite database.
    Sqlite {
        /// The process that writes it; `None` when that is not this process and its id is not
        /// known.
        writer: Option<Process>,
        /// The database file, when known.
        file: Option<PathBuf>,
    },
    /// A PostgreSQL database, through a connection of the meter's own.
    Postgres {
        /// The connection, `None` when it could not be opened; boxed, as it is large.
        client: Option<Box<postgres::Client>>,
        /// The server's schema, or `None` to measure the whole database.
        schema: Option<String>,
    },
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.describe())
    }
}

/// The cluster's WAL bytes so far.
const WAL_BYTES_QUERY: &str = "SELECT wal_bytes::bigint FROM pg_stat_wal";
/// The size of the tables of one schema with their indexes and TOAST.
const SCHEMA_BYTES_QUERY: &str = "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')";
/// The size of the whole database.
const DATABASE_BYTES_QUERY: &str = "SELECT pg_database_size(current_database())";

impl Meter {
    /// A meter of a PostgreSQL database reached by `url`, measuring `schema` (or the whole
    /// database). Blocking.
    pub fn postgres(url: &str, schema: Option<String>) -> Meter {
        Meter::Postgres {
            client: postgres::Client::connect(url, postgres::NoTls)
                .ok()
                .map(Box::new),
            schema,
        }
    }

    /// Reads the bytes written so far and the database's size. Blocking.
    pub fn read(&mut self) -> Reading {
        match self {
            Meter::Sqlite { writer, file } => Reading {
                written_bytes: writer.and_then(read_write_bytes),
                database_bytes: file
                    .as_ref()
                    .and_then(|file| std::fs::metadata(file).ok())
                    .map(|metadata| metadata.len()),
            },
            Meter::Postgres { client, schema } => {
                let Some(client) = client else {
                    return Reading::default();
                };
                let wal = client
                    .query_one(WAL_BYTES_QUERY, &[])
                    .ok()
                    .and_then(|row| row.get::<_, Option<i64>>(0));
                let size = match schema {
                    Some(schema) => client.query_one(SCHEMA_BYTES_QUERY, &[schema]),
                    None => client.query_one(DATABASE_BYTES_QUERY, &[]),
                }
                .ok()
                .map(|row| row.get::<_, i64>(0));
                Reading {
                    written_bytes: wal.and_then(|bytes| u64::try_from(bytes).ok()),
                    database_bytes: size.and_then(|bytes| u64::try_from(bytes).ok()),
                }
            }
        }
    }

    /// What the readings are, for the report.
    pub fn describe(&self) -> String {
        match self {
            Meter::Sqlite { writer, file } => {
                let written = match writer {
                    Some(Process::Own) => "write_bytes of this process (server and load generator)",
                    Some(Process::Other(_)) => "write_bytes of the server's process",
                    None => "not read (give the server's --pid)",
                };
                let size = if file.is_some() {
                    "the database file"
                } else {
                    "not read (give the SQLite file as --database)"
                };
                format!("written: {written}; size: {size}")
            }
            Meter::Postgres { client, schema } => {
                if client.is_none() {
                    return "written and size: not read (no connection to PostgreSQL)".to_owned();
                }
                let size = match schema {
                    Some(_) => "the server's schema, tables with their indexes",
                    None => "pg_database_size of the whole database",
                };
                format!("written: pg_stat_wal.wal_bytes of the whole cluster; size: {size}")
            }
        }
    }
}

/// `write_bytes` of `/proc/PID/io`: the bytes the process caused to be sent to storage.
fn read_write_bytes(process: Process) -> Option<u64> {
    let path = match process {
        Process::Own => PathBuf::from("/proc/self/io"),
        Process::Other(pid) => PathBuf::from(format!("/proc/{pid}/io")),
    };
    parse_write_bytes(&std::fs::read_to_string(path).ok()?)
}

/// The `write_bytes:` line of the text of a `/proc/PID/io` file.
pub fn parse_write_bytes(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("write_bytes:"))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IO: &str = "rchar: 2012\nwchar: 4096\nsyscr: 7\nsyscw: 2\nread_bytes: 8192\n\
        write_bytes: 1234567\ncancelled_write_bytes: 4096\n";

    #[test]
    fn write_bytes_are_read_from_their_line_and_not_from_cancelled_write_bytes() {
        assert_eq!(parse_write_bytes(IO), Some(1_234_567));
        assert_eq!(parse_write_bytes("cancelled_write_bytes: 5\n"), None);
        assert_eq!(parse_write_bytes("write_bytes: many\n"), None);
    }

    #[test]
    fn this_process_reports_what_it_wrote_and_a_file_its_size() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("database");
        std::fs::write(&file, vec![0_u8; 8_192]).unwrap();
        let mut meter = Meter::Sqlite {
            writer: Some(Process::Own),
            file: Some(file),
        };
        let reading = meter.read();
        assert!(reading.written_bytes.is_some());
        assert_eq!(reading.database_bytes, Some(8_192));
        let mut unknown = Meter::Sqlite {
            writer: None,
            file: None,
        };
        assert_eq!(unknown.read(), Reading::default());
        assert!(unknown.describe().contains("--pid"));
    }
}
