//! Argon2id hashing and verification of passwords and PINs on their own small pool of
//! threads, with a bounded queue in front of it.
//!
//! Each Argon2id check takes tens of milliseconds of CPU and about 19 MiB of memory. Run on
//! the threads that also run payment batches, a flood of logins would take those threads and
//! memory from payments. Here a fixed number of threads do every check; a caller waits for its
//! answer, and when [`MAX_WAITING_PASSWORD_CHECKS`] checks wait already it is refused at once
//! with `RATE_LIMITED`, so neither the waiting callers nor the memory can grow with the load.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::crypto::{hash_password, verify_password};
use crate::error::Error;
use crate::limits::{BUSY_PASSWORD_POOL_RETRY_SECONDS, MAX_WAITING_PASSWORD_CHECKS};

/// A piece of work for the pool: it sends its own answer.
type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that hash and verify passwords and PINs.
pub struct PasswordPool {
    jobs: SyncSender<Job>,
    threads: usize,
}

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PasswordPool")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl PasswordPool {
    /// A pool of `threads` threads (at least one) behind a queue of
    /// [`MAX_WAITING_PASSWORD_CHECKS`]. The threads end when the pool is dropped.
    pub fn new(threads: usize) -> Result<Self, Error> {
        Self::with_queue(threads, MAX_WAITING_PASSWORD_CHECKS)
    }

    fn with_queue(threads: usize, queue: usize) -> Result<Self, Error> {
        assert!(threads >= 1, "a password pool needs a thread");
        let (jobs, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("paycode-password-{index}"))
                .spawn(move || work(&receiver))
                .map_err(|error| {
                    Error::Internal(format!("could not start a password thread: {error}"))
                })?;
        }
        Ok(Self { jobs, threads })
    }

    /// Threads of the pool: at most this many checks run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Checks `password` against its Argon2id `hash`, waiting for a thread of the pool.
    /// `RATE_LIMITED` when too many checks wait already.
    pub fn verify(&self, hash: &str, password: &str) -> Result<bool, Error> {
        let hash = hash.to_owned();
        let password = Zeroizing::new(password.to_owned());
        self.run(move || verify_password(&hash, &password))
    }

    /// The Argon2id hash of `password`, made on a thread of the pool. `RATE_LIMITED` when too
    /// many checks wait already.
    pub fn hash(&self, password: &str) -> Result<String, Error> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move || hash_password(&password))?
    }

    /// Runs `task` on the pool and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            // The caller waits on the other end; it is gone only if it panicked.
            let _ = answer.send(task());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(Error::RateLimited {
                    retry_after_seconds: BUSY_PASSWORD_POOL_RETRY_SECONDS,
                })
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::Internal("the password threads are gone".to_owned()))
            }
        }
        answered
            .recv()
            .map_err(|_| Error::Internal("a password check panicked".to_owned()))
    }
}

/// A pool thread: takes jobs until the pool is dropped.
fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let receiver = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // A panicking job drops its answer channel, which its caller reports; the thread
        // stays, so the pool keeps its size.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

/// Threads of a pool when the configuration does not say: half the cores, at least one, so
/// that a flood of password checks leaves the other half to payments.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|cores| cores.get() / 2)
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::time::Duration;

    #[test]
    fn hashes_made_on_the_pool_verify_only_their_password() {
        let pool = PasswordPool::new(2).unwrap();
        let hash = pool.hash("correct horse").unwrap();
        assert!(pool.verify(&hash, "correct horse").unwrap());
        assert!(!pool.verify(&hash, "correct horsf").unwrap());
        assert!(!pool.verify("not a hash", "correct horse").unwrap());
    }

    #[test]
    fn checks_over_the_queue_are_refused_at_once_with_a_retry_time() {
        // One thread, held by a job that waits on a barrier, and a queue of one.
        let pool = Arc::new(PasswordPool::with_queue(1, 1).unwrap());
        let release = Arc::new(Barrier::new(2));
        let holder = {
            let (pool, release) = (Arc::clone(&pool), Arc::clone(&release));
            std::thread::spawn(move || {
                pool.run(move || {
                    release.wait();
                })
            })
        };
        // Wait until the thread holds the job, then fill the queue.
        let queued = {
            let pool = Arc::clone(&pool);
            std::thread::sleep(Duration::from_millis(100));
            std::thread::spawn(move || pool.run(|| 7))
        };
        std::thread::sleep(Duration::from_millis(100));
        let started = std::time::Instant::now();
        match pool.verify("$argon2id$x", "password") {
            Err(Error::RateLimited {
                retry_after_seconds,
            }) => assert_eq!(retry_after_seconds, BUSY_PASSWORD_POOL_RETRY_SECONDS),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_millis(50));
        release.wait();
        holder.join().unwrap().unwrap();
        assert_eq!(queued.join().unwrap().unwrap(), 7);
    }

    #[test]
    fn a_panicking_check_is_an_error_and_the_pool_keeps_working() {
        let pool = PasswordPool::with_queue(1, 4).unwrap();
        let panicked = pool.run(|| -> u8 { panic!("a bug in a check") });
        assert!(matches!(panicked, Err(Error::Internal(_))));
        assert_eq!(pool.run(|| 5).unwrap(), 5);
    }

    #[test]
    fn the_default_is_at_least_one_thread() {
        assert!(default_threads() >= 1);
    }
}
