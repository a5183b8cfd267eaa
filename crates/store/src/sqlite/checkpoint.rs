//! Checkpoints of the write-ahead log, off the payment path (issue 16).
//!
//! By default SQLite checkpoints inside the `COMMIT` that takes the log past 1,000 pages: that
//! commit's batch waits while the pages are copied into the database file and flushed, and
//! the log is checkpointed so often that nearly every page a batch wrote to the log is written
//! once more by the checkpoint. Here the writer never checkpoints (`wal_autocheckpoint=0`);
//! a thread of the store does, every [`CHECKPOINT_INTERVAL`], in two steps:
//! 1. on a connection of its own, while batches go on, it copies every frame committed so far
//!    (a `PASSIVE` checkpoint: it waits for nobody);
//! 2. holding the writer's mutex, so that no frame is added meanwhile, it copies the few
//!    frames committed during step 1. The log is then wholly in the database file, and the
//!    next write starts it again from its beginning, so it does not grow without bound, as it
//!    would if a writer always added frames faster than step 1 copied them.
//!
//! A page changed by many batches within the interval (an account, a device, the last page of
//! an index) is copied once. Durability is the log's: a commit is on disk when `COMMIT` returns
//! (`synchronous=FULL`), whatever the checkpoints do; after a crash SQLite replays the log.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::configure;
use super::error::{Error, Result};

/// How often the log is checkpointed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// The size the log file is cut back to when it starts again, in bytes: after a burst the file
/// shrinks, but not below what a second of a busy day fills.
pub const JOURNAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// The checkpointing thread; dropping it stops the thread.
pub(super) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`, whose writer is `writer`.
    pub(super) fn start(path: &Path, writer: Arc<Mutex<Connection>>) -> Result<Checkpointer> {
        let connection = Connection::open(path)?;
        configure(&connection)?;
        connection.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT_BYTES)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                // Bounded: one pass per interval until the store is dropped.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL)
                {
                    if let Err(error) = checkpoint(&connection, &writer) {
                        tracing::warn!(%error, "sqlite checkpoint failed");
                    }
                }
            })
            .map_err(|_| Error::Unsupported("the checkpoint thread cannot be started"))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread finishes its checkpoint, if one is running, and ends.
            let _ = thread.join();
        }
    }
}

/// One checkpoint in the two steps of the module's description.
fn checkpoint(connection: &Connection, writer: &Mutex<Connection>) -> rusqlite::Result<()> {
    let (_, logged, copied) = passive_checkpoint(connection)?;
    if logged <= 0 || copied < logged {
        // Nothing to do, or a reader still needs old frames: the next pass tries again.
        return Ok(());
    }
    let writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
    passive_checkpoint(&writer).map(drop)
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: whether it was blocked, the frames in the log, and the
/// frames in the database file.
fn passive_checkpoint(connection: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })
}
