//! Every default and limit of the load generator, named in one place. A run is bounded in
//! time, in population, in connections and in what it keeps in memory.

use std::time::Duration;

/// Devices enrolled unless `--devices` says otherwise.
pub const DEFAULT_DEVICES: u32 = 10_000;
/// Most devices one run enrolls. A million must work (issue 6); each device costs the load
/// generator about a hundred bytes, so this keeps the population's memory well under 1 GiB.
pub const MAX_DEVICES: u32 = 2_000_000;
/// Devices each bench user holds: as many as the server lets one user have active at once, so
/// that the number of users (and of top-ups) is as small as the devices allow.
pub const DEVICES_PER_USER: u32 = paycode_core::limits::MAX_ACTIVE_DEVICES_PER_USER as u32;
/// Merchants created unless `--merchants` says otherwise.
pub const DEFAULT_MERCHANTS: u32 = 10;
/// Most merchants one run creates.
pub const MAX_MERCHANTS: u32 = 1_000;

/// Concurrent connections unless `--connections` says otherwise.
pub const DEFAULT_CONNECTIONS: u32 = 32;
/// Most concurrent connections.
pub const MAX_CONNECTIONS: u32 = 1_024;
/// Length of the load phase unless `--duration` says otherwise.
pub const DEFAULT_DURATION_SECONDS: u64 = 10;
/// Longest load phase: one hour.
pub const MAX_DURATION_SECONDS: u64 = 3_600;
/// Length of the baseline unless `--baseline-seconds` says otherwise.
pub const DEFAULT_BASELINE_SECONDS: u64 = 5;
/// Longest baseline.
pub const MAX_BASELINE_SECONDS: u64 = 600;

/// Smallest amount of a bench payment, in minor units.
pub const MIN_PAYMENT_MINOR: i64 = 1;
/// Largest amount of a bench payment, in minor units: far below the default pin-free limit,
/// so that no payment needs the user's PIN.
pub const MAX_PAYMENT_MINOR: i64 = 100;
/// What each bench user is topped up with, in minor units: the default daily pin-free total.
/// A user runs out of pin-free allowance (and later payments become `USER_PAYING`) at the same
/// point as out of money, after about 5,900 payments, so a user never fails for funds first.
pub const TOPUP_PER_USER_MINOR: i64 = 300_000;
/// Codes one device can make per time step: the code index is one decimal digit (SPEC 2.3).
pub const CODES_PER_STEP: u8 = 10;

/// How long one payment request may take before it counts as a transport failure.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause of a worker after a transport failure, so that a dead server is not spun against.
pub const TRANSPORT_FAILURE_PAUSE: Duration = Duration::from_millis(10);
/// Longest pause of a worker whose devices have used every code of the current step.
pub const EXHAUSTED_STEP_PAUSE: Duration = Duration::from_millis(100);
/// How often progress is printed while the population is built and the load runs.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);
/// How often a progress printer looks whether the work it reports on is done, so that
/// stopping it never waits long.
pub const PROGRESS_POLL: Duration = Duration::from_millis(50);
/// How often the resident set size is sampled during the load.
pub const RSS_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);
/// How often the load's timeline samples the payments so far, the bytes written and the
/// database's size: the length of each interval of the report.
pub const TIMELINE_INTERVAL: Duration = Duration::from_secs(10);
/// The span whose rate is compared at the start and at the end of a load (issue 16: the first
/// and the last minute). A load shorter than twice this compares its first and last interval.
pub const TIMELINE_WINDOW: Duration = Duration::from_secs(60);
/// The path the HTTP ceiling is measured on: no route has it, so the server answers `404` from
/// its fallback after every layer a payment passes (limits, timeouts, metrics), without a
/// handler, a credential check or the database.
pub const CEILING_PATH: &str = "/v1/bench/no-such-route";

/// Threads that enroll devices and top users up in the in-process server.
pub const POPULATION_THREADS: usize = 8;
/// Users inserted per store transaction in the in-process server.
pub const USERS_PER_TRANSACTION: usize = 1_000;
/// Threads that read acknowledged trades back from the in-process server's store.
pub const STORED_CHECK_THREADS: usize = 4;

/// Largest latency the histogram holds, in microseconds (a minute); longer ones are clamped.
pub const LATENCY_HIGHEST_MICROSECONDS: u64 = 60_000_000;
/// Significant decimal digits the latency histogram keeps.
pub const LATENCY_SIGNIFICANT_DIGITS: u8 = 3;

/// The accounts of the SQLite baseline's ledger.
pub const BASELINE_ACCOUNTS: i64 = 1_000;
/// Scale of pgbench's TPC-B-like database (issue 6: scale 1).
pub const PGBENCH_SCALE: u32 = 1;
/// pgbench's worker threads (issue 6: `-j 2`, one per core of the target machine).
pub const PGBENCH_THREADS: u32 = 2;
/// The scratch database pgbench runs in, created on the PostgreSQL server when missing.
pub const PGBENCH_DATABASE: &str = "paycode_pgbench";
