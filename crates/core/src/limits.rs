//! Every limit of the system, named in one place. Inputs, windows, pages and retries are all
//! bounded; a value outside these bounds is refused with a clear error rather than trusted.

/// Largest amount of a single payment, top-up or refund, in minor units (10 billion in major
/// units of a two-decimal currency). Far below `i64::MAX`, so sums of many amounts stay exact.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;
/// Longest username, in bytes.
pub const MAX_USERNAME_BYTES: usize = 64;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in bytes (Argon2 accepts more, but nobody types more).
pub const MAX_PASSWORD_BYTES: usize = 256;
/// PIN length bounds, in digits.
pub const MIN_PIN_DIGITS: usize = 6;
/// PIN length bounds, in digits.
pub const MAX_PIN_DIGITS: usize = 12;
/// Longest merchant name, device name, subject, reason or terminal id, in bytes.
pub const MAX_LABEL_BYTES: usize = 128;
/// Longest `out_trade_no`, `out_refund_no` or top-up reference, in bytes.
pub const MAX_REFERENCE_BYTES: usize = 64;
/// Most transactions returned in one page of history.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Page size when the caller does not ask for one.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Longest wait of a `USER_PAYING` trade for the PIN that the configuration allows, in
/// seconds; a trade is paid at most this long after it was created, which bounds where the
/// operator's summary looks for the trades paid on a day.
pub const MAX_USER_PAYING_TIMEOUT_SECONDS: u32 = 3_600;
/// Refusals of payments are counted per merchant, code and period of this length, in
/// milliseconds: every time zone's offset is a multiple of a quarter hour, so the periods add
/// up to the days of any zone, whichever one is configured.
pub const REFUSAL_PERIOD_MILLIS: i64 = 15 * 60 * 1_000;
/// Most devices one user may have enrolled and not revoked at once.
pub const MAX_ACTIVE_DEVICES_PER_USER: usize = 10;
/// Most API keys one merchant may hold at once.
pub const MAX_KEYS_PER_MERCHANT: usize = 10;
/// Widest clock skew window an operator may configure, in steps on each side (SPEC 2.5).
pub const MAX_SKEW_STEPS: u64 = 10;
/// Largest clock drift the server learns for a device, in steps either way. A wallet whose
/// clock is further off than this must fix its clock; learning without bound would let the
/// window wander arbitrarily far from real time.
pub const MAX_DRIFT_STEPS: i64 = 20;
/// Steps of a device whose spent codes a batch loads, from the earliest step a code can have
/// (the server's step less the widest skew and drift) on: every step up to the latest one
/// (the server's step plus both), and two more for the server's step moving on while a batch
/// runs. A code of a later step cannot verify; a store may leave its spent codes out, so that
/// it can look the window up step by step (SQLite keeps spent codes in step order).
pub const SPENT_CODE_WINDOW_STEPS: u64 = 2 * (MAX_SKEW_STEPS + MAX_DRIFT_STEPS.unsigned_abs()) + 3;
/// Wrong PINs in a row, over every PIN check of a user and every instance, before all of the
/// user's PIN checks are refused for [`PIN_LOCKOUT_SECONDS`] (SPEC 4).
pub const MAX_PIN_FAILURES: u32 = 5;
/// How long a user's PIN checks stay refused after [`MAX_PIN_FAILURES`] wrong PINs.
pub const PIN_LOCKOUT_SECONDS: u32 = 15 * 60;
/// Longest `User-Agent` kept with a session, in bytes; longer ones are cut.
pub const MAX_USER_AGENT_BYTES: usize = 256;
/// A session's last use is written at most this often, so that authenticating a request
/// rarely costs a write.
pub const SESSION_TOUCH_INTERVAL_SECONDS: u32 = 60;
/// How long expired sessions and online codes are kept before they are deleted.
pub const EXPIRED_CREDENTIAL_RETENTION_SECONDS: u32 = 86_400;
/// Wrong PINs accepted for one `USER_PAYING` trade before it is closed.
pub const MAX_PIN_ATTEMPTS_PER_TRADE: u32 = 5;
/// Most refunds one trade may have.
pub const MAX_REFUNDS_PER_TRADE: usize = 100;
/// How many `USER_PAYING` trades one sweep of the timeout closer handles.
pub const CLOSE_BATCH_SIZE: usize = 500;
/// Retries of a store transaction that failed with a conflict (serialization failure, busy).
pub const MAX_TRANSACTION_RETRIES: u32 = 10;
/// The largest device slot: `D` has nine digits inside an offline code (SPEC 2.3).
pub const MAX_DEVICE_SLOT: i64 = 999_999_999;
/// Random draws of a free device slot before enrollment gives up. With a billion slots, a draw
/// hits a taken one only once the deployment holds a sizeable share of them.
pub const MAX_SLOT_DRAWS: u32 = 64;
/// The largest `global_failed_attempts` an operator may configure.
pub const MAX_GLOBAL_FAILED_ATTEMPTS: u32 = 100_000;
/// Verification failures one sweep deletes at most once they are past their retention, so
/// that a sweep after an attack never holds the database for long.
pub const PRUNE_BATCH_SIZE: u32 = 10_000;
/// How long a merchant's per-minute failure count is kept after its minute, in minutes. Only
/// the current minute's count is read; the recent past is kept for the operator to look at.
pub const MERCHANT_FAILURE_MINUTES_KEPT: i64 = 60;
/// Most payments committed together in one transaction (group commit). Large enough to take
/// every payment that arrives during one flush to disk at the rates a server sees, small
/// enough that one batch never holds its locks for long.
pub const MAX_PAYMENTS_PER_BATCH: usize = 128;
/// Usernames whose failed logins the in-memory throttle remembers at once (about 150 bytes
/// each). Usernames whose wait is over are forgotten first when it is full.
pub const MAX_TRACKED_USERNAMES: usize = 100_000;
/// Doublings of the login delay before it stops growing (on top of the configured maximum):
/// keeps the shift in range whatever the count.
pub const MAX_LOGIN_DELAY_DOUBLINGS: u32 = 30;
/// Password and PIN checks that may wait for a thread of the password pool. One more is
/// refused at once with `RATE_LIMITED`: waiting callers hold threads and memory, and a queue
/// this long already takes seconds to drain.
pub const MAX_WAITING_PASSWORD_CHECKS: usize = 64;
/// The `Retry-After` of a check refused because the password pool's queue is full, in seconds.
pub const BUSY_PASSWORD_POOL_RETRY_SECONDS: u64 = 1;
/// Most threads an operator may give the password pool.
pub const MAX_PASSWORD_THREADS: u32 = 64;
/// Nice value of the password threads (0 is normal, 19 the lowest). Under a login flood the
/// scheduler then gives payments most of the CPU, and logins still get about a tenth.
pub const PASSWORD_THREAD_NICE: i32 = 10;
/// Argon2 memory each password thread keeps between checks, at most, in 1 KiB blocks: room
/// for the default parameters (19 MiB) and some more. A stored hash with larger parameters
/// gets memory of its own for its check.
pub const MAX_KEPT_PASSWORD_MEMORY_BLOCKS: usize = 64 * 1024;
/// Longest webhook URL, in bytes.
pub const MAX_WEBHOOK_URL_BYTES: usize = 2_048;
/// Most hosts an operator may list in `webhook_allowed_hosts`.
pub const MAX_WEBHOOK_ALLOWED_HOSTS: usize = 1_000;
/// Random bytes in a webhook signing secret (256 bits).
pub const WEBHOOK_SECRET_BYTES: usize = 32;
/// Longest `last_error` kept for a failed delivery, in bytes.
pub const MAX_EVENT_ERROR_BYTES: usize = 512;
/// Events one delivery round takes at most. A round costs the database one commit (the
/// previous round's results and this round's claim), so large rounds keep the worker's share
/// of the database's commits small under load.
pub const EVENT_CLAIM_BATCH_SIZE: u32 = 512;
/// How long an instance holds the events it took before another may try them, in seconds:
/// longer than an attempt can take (its timeout is 10 s), so that a live instance never
/// loses an event to another, short enough that a killed one's events are soon taken over.
pub const EVENT_LEASE_SECONDS: u32 = 60;
/// Most lines a statement holds: a day with more is refused rather than answered in part.
pub const MAX_STATEMENT_LINES: u32 = 100_000;
