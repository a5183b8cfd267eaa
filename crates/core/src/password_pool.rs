//! Argon2id hashing and verification of passwords and PINs on their own small pool of
//! threads, with a bounded queue in front of it.
//!
//! Each Argon2id check takes tens of milliseconds of CPU and about 19 MiB of memory. Run on
//! the threads that also run payment batches, a flood of logins would take those threads and
//! memory from payments. Here a fixed number of threads do every check; a caller waits for its
//! answer, and when [`MAX_WAITING_PASSWORD_CHECKS`] checks wait already it is refused at once
//! with `RATE_LIMITED`, so neither the waiting callers nor the memory can grow with the load.
//!
//! A caller that has work to do before its check (a login reads the user first) takes a
//! [`Reservation`] before that work, so that a refused caller costs nothing more.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, Salt};
use argon2::{Argon2, Params};
use zeroize::Zeroizing;

use crate::crypto::{constant_time_eq, hash_password};
use crate::error::Error;
use crate::limits::{
    BUSY_PASSWORD_POOL_RETRY_SECONDS, MAX_KEPT_PASSWORD_MEMORY_BLOCKS, MAX_WAITING_PASSWORD_CHECKS,
    PASSWORD_THREAD_NICE,
};

/// A piece of work for the pool: it sends its own answer.
type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that hash and verify passwords and PINs.
pub struct PasswordPool {
    jobs: Mutex<Sender<Job>>,
    threads: usize,
    /// Checks reserved and not finished: running, queued, or about to be queued.
    reserved: AtomicUsize,
    /// Most checks reserved at once: the threads plus the queue.
    capacity: usize,
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
        // The channel itself is unbounded; reservations bound what is ever in it.
        let (jobs, receiver) = mpsc::channel::<Job>();
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
        Ok(Self {
            jobs: Mutex::new(jobs),
            threads,
            reserved: AtomicUsize::new(0),
            capacity: threads + queue,
        })
    }

    /// Threads of the pool: at most this many checks run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Reserves a place for one check, or `RATE_LIMITED` at once when every place is taken.
    /// The place is given back when the reservation is used or dropped.
    pub fn reserve(&self) -> Result<Reservation<'_>, Error> {
        self.reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |reserved| {
                (reserved < self.capacity).then_some(reserved + 1)
            })
            .map_err(|_| Error::RateLimited {
                retry_after_seconds: BUSY_PASSWORD_POOL_RETRY_SECONDS,
            })?;
        Ok(Reservation { pool: self })
    }

    /// Checks `password` against its Argon2id `hash`, waiting for a thread of the pool.
    /// `RATE_LIMITED` when too many checks wait already.
    pub fn verify(&self, hash: &str, password: &str) -> Result<bool, Error> {
        self.reserve()?.verify(hash, password)
    }

    /// The Argon2id hash of `password`, made on a thread of the pool. `RATE_LIMITED` when too
    /// many checks wait already.
    pub fn hash(&self, password: &str) -> Result<String, Error> {
        self.reserve()?.hash(password)
    }

    #[cfg(test)]
    fn run<T: Send + 'static>(
        &self,
        task: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        self.reserve()?.run(task)
    }
}

/// A place in the pool for one check, taken by [`PasswordPool::reserve`].
#[derive(Debug)]
pub struct Reservation<'pool> {
    pool: &'pool PasswordPool,
}

impl Reservation<'_> {
    /// Checks `password` against its Argon2id `hash` on a thread of the pool.
    pub fn verify(self, hash: &str, password: &str) -> Result<bool, Error> {
        let hash = hash.to_owned();
        let password = Zeroizing::new(password.to_owned());
        self.run(move || verify_in_pool_memory(&hash, &password))
    }

    /// The Argon2id hash of `password`, made on a thread of the pool.
    pub fn hash(self, password: &str) -> Result<String, Error> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move || hash_password(&password))?
    }

    /// Runs `task` on the pool and waits for its answer.
    fn run<T: Send + 'static>(self, task: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            // The caller waits on the other end; it is gone only if it panicked.
            let _ = answer.send(task());
        });
        self.pool
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .send(job)
            .map_err(|_| Error::Internal("the password threads are gone".to_owned()))?;
        answered
            .recv()
            .map_err(|_| Error::Internal("a password check panicked".to_owned()))
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.pool.reserved.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A pool thread: takes jobs until the pool is dropped.
fn work(jobs: &Mutex<Receiver<Job>>) {
    lower_priority();
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

thread_local! {
    /// The Argon2 memory of a pool thread, kept from one check to the next. Allocating 19 MiB
    /// for each check instead leaves the allocator holding several such blocks per thread.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks a password or PIN against its Argon2 hash in PHC format, as
/// [`crate::crypto::verify_password`] does, but in the calling thread's kept memory. A hash
/// that asks for more than [`MAX_KEPT_PASSWORD_MEMORY_BLOCKS`] gets memory of its own.
fn verify_in_pool_memory(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(argon2) = argon2_of(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut output = Zeroizing::new(vec![0u8; expected.len()]);
    let blocks = argon2.params().block_count();
    let computed = if blocks > MAX_KEPT_PASSWORD_MEMORY_BLOCKS {
        argon2.hash_password_into(password.as_bytes(), salt, &mut output)
    } else {
        MEMORY.with_borrow_mut(|memory| {
            if memory.len() < blocks {
                memory.resize(blocks, argon2::Block::default());
            }
            argon2.hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut output,
                &mut memory[..blocks],
            )
        })
    };
    computed.is_ok() && constant_time_eq(&output, expected.as_bytes())
}

fn argon2_of(parsed: &PasswordHash<'_>) -> Result<Argon2<'static>, argon2::password_hash::Error> {
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(argon2::Version::try_from)
        .transpose()?
        .unwrap_or_default();
    Ok(Argon2::new(algorithm, version, Params::try_from(parsed)?))
}

/// Gives the calling thread the nice value [`PASSWORD_THREAD_NICE`], so that when password
/// checks and payments want the same cores, payments get them first; checks still progress.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let thread = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(thread), PASSWORD_THREAD_NICE) {
        tracing::warn!(%error, "could not lower the priority of a password thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

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
    fn checks_in_kept_memory_agree_with_the_reference_verification() {
        use crate::crypto::verify_password;
        let small = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        let salt = argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng);
        let small_hash = argon2::PasswordHasher::hash_password(&small, b"123456", &salt)
            .unwrap()
            .to_string();
        let default_hash = hash_password("correct horse").unwrap();
        // The same thread checks hashes of different sizes one after the other.
        for (hash, password) in [
            (default_hash.as_str(), "correct horse"),
            (small_hash.as_str(), "123456"),
            (default_hash.as_str(), "correct horse"),
        ] {
            for candidate in [password, "wrong", ""] {
                assert_eq!(
                    verify_in_pool_memory(hash, candidate),
                    verify_password(hash, candidate),
                    "{hash} {candidate}"
                );
            }
            assert!(verify_in_pool_memory(hash, password));
        }
        for malformed in ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ"] {
            assert!(!verify_in_pool_memory(malformed, "x"));
        }
    }

    #[test]
    fn a_reservation_holds_a_place_until_it_is_used_or_dropped() {
        let pool = PasswordPool::with_queue(1, 1).unwrap();
        let first = pool.reserve().unwrap();
        let second = pool.reserve().unwrap();
        assert!(matches!(pool.reserve(), Err(Error::RateLimited { .. })));
        drop(first);
        let third = pool.reserve().unwrap();
        assert_eq!(second.run(|| 2).unwrap(), 2);
        assert!(!third.verify("not a hash", "password").unwrap());
        assert_eq!(pool.reserved.load(Ordering::Acquire), 0);
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

    #[cfg(target_os = "linux")]
    #[test]
    fn checks_run_at_a_lower_priority_than_the_caller() {
        let pool = PasswordPool::new(1).unwrap();
        let nice = pool
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap())
            .unwrap();
        assert_eq!(nice, PASSWORD_THREAD_NICE);
    }

    #[test]
    fn the_default_is_at_least_one_thread() {
        assert!(default_threads() >= 1);
    }
}
