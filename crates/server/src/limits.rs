//! Every limit of the HTTP layer, named in one place. The domain's own limits (lengths of
//! names and references, page sizes, amounts) are in `paycode_core::limits`.

use std::time::Duration;

/// Largest request body, in bytes (SPEC section 4: bodies over 64 KiB get 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Longest bearer credential accepted, in bytes. Real credentials are about 60 bytes; a longer
/// header is refused before it is hashed or looked up.
pub const MAX_CREDENTIAL_BYTES: usize = 256;

/// Connections each server instance keeps to a PostgreSQL database, at most. A request holds
/// one only for its transaction, a few milliseconds, so this many serve hundreds of requests a
/// second; N instances open up to N times as many, which must stay under the server's
/// `max_connections` (100 by default).
pub const POSTGRES_POOL_SIZE: u32 = 16;

/// How often the background task closes `USER_PAYING` trades past their deadline.
pub const CLOSE_OVERDUE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the records of failed verifications past their retention are pruned: the first
/// sweep runs at the start, and each deletes a bounded number of rows.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Upper bounds of the request latency histogram, in seconds.
pub const LATENCY_BUCKETS_SECONDS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Most distinct label sets a metric keeps. Routes are the matched patterns, never the raw
/// paths, so the real number is small; the bound keeps a bug from growing memory forever.
pub const MAX_METRIC_SERIES: usize = 1_000;

/// Time a client has to send a request's headers (and to finish a TLS handshake), unless the
/// operator sets another (SPEC section 4: header timeouts close slow clients).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time from a request's headers to its response, body included, unless the operator sets
/// another.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections open at once over all clients, unless the operator sets another (SPEC section
/// 4). Each costs a file descriptor and a few KiB; the process's descriptor limit must be
/// above it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Largest connection cap an operator may set.
pub const MAX_CONNECTIONS: usize = 1_000_000;

/// Longest header read or request timeout an operator may set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3_600);

/// How long the accept loop pauses after a failed accept (out of file descriptors, say), so
/// that it does not spin.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Time one webhook delivery attempt may take, connecting included (SPEC section 7: 10 s).
pub const WEBHOOK_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an instance looks for due webhook events when the last look found none: the
/// delay of a first delivery, at most.
pub const WEBHOOK_IDLE_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often an instance counts the events waiting, for `paycode_webhook_queue_depth`.
pub const WEBHOOK_QUEUE_DEPTH_INTERVAL: Duration = Duration::from_secs(1);
/// Webhook attempts one instance has in flight at once.
pub const WEBHOOK_CONCURRENT_ATTEMPTS: usize = 32;
