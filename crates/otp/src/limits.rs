//! Every limit of this crate, named in one place.
//!
//! Inputs come from users, files and scanned QR codes, so each one is bounded; searches are
//! bounded too, so that a caller passing a huge window cannot make verification run for ever.

/// Length of a generated secret: 160 bits, the HMAC-SHA1 output size that RFC 4226
/// section 4 recommends.
pub const GENERATED_SECRET_BYTES: usize = 20;

/// Secrets below this strength are rejected when generating and reported as weak when
/// importing (RFC 4226 section 4, requirement R6).
pub const MIN_SECRET_BITS: usize = 128;

/// Longest secret accepted. HMAC hashes longer keys down to one digest anyway, so longer
/// secrets add no strength, and the bound keeps hostile input from allocating without limit.
pub const MAX_SECRET_BYTES: usize = 1024;

/// Shortest TOTP period.
pub const MIN_PERIOD_SECONDS: u32 = 1;

/// Longest TOTP period: one hour.
pub const MAX_PERIOD_SECONDS: u32 = 3600;

/// Most TOTP time steps searched on each side of the center step, whatever window the caller
/// asks for. A hundred steps of 30 seconds is 50 minutes, far beyond any sensible clock skew,
/// and bounds the work of one verification to 201 HMAC computations.
pub const MAX_WINDOW_STEPS: u64 = 100;

/// Most HOTP counters searched after the expected one (the look-ahead of RFC 4226
/// section 7.4), whatever the caller asks for.
pub const MAX_LOOK_AHEAD_COUNTERS: u64 = 100;

/// Longest key URI accepted, in bytes. A 64-byte secret, an issuer, an account and paycode's
/// own parameters fit easily; QR codes cannot hold much more anyway.
pub const MAX_URI_BYTES: usize = 4096;
