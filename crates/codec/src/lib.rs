//! The 18-digit payment code of paycode (SPEC section 2).
//!
//! A payment code is a two-digit [`Prefix`] followed by sixteen digits of payload. The prefix
//! says what the payload is:
//!
//! - **Online codes** are sixteen random digits that the server hands out and remembers
//!   ([`generate_online_code`]).
//! - **Offline codes** are made by a wallet with no network: the device slot, a code index and
//!   a six-digit HOTP value, FF1-encrypted under the prefix's code key so that onlookers can
//!   neither read the slot nor link two codes of one wallet ([`OfflineCodec`],
//!   [`make_offline_code`], [`verify_offline_otp`]).
//! - A [`PrefixTable`] holds a deployment's prefixes and tells which kind a scanned code is.
//!
//! The crate owns the code format only. It does no I/O and reads no clock: callers pass time
//! steps and random number generators in. Storing devices, refusing replays and counting
//! failures belong to the server.
//!
//! FF1 (NIST SP 800-38G) is implemented here for radix 10 and at most 19 digits in plain
//! integer arithmetic; see [`ff1`] for why and how it is checked.
//!
//! ```
//! use paycode_codec::{make_offline_code, verify_offline_otp, CodeIndex, CodeKey, DeviceSlot,
//!                     OfflineCodec, PaymentCode, DEFAULT_OFFLINE_PREFIX};
//! use paycode_otp::{Algorithm, HotpKey, Secret};
//!
//! let codec = OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &CodeKey::generate());
//! let device = HotpKey::new(&Secret::generate(), Algorithm::Sha1);
//! let slot = DeviceSlot::new(123_456_789)?;
//! let step = 1_700_000_000 / 30;
//!
//! // The wallet, offline.
//! let shown = make_offline_code(&codec, slot, CodeIndex::FIRST, &device, step).to_string();
//!
//! // The server, after the merchant scanned the 18 digits.
//! let payload = codec.decode(&PaymentCode::parse(&shown)?)?;
//! assert_eq!(payload.slot, slot);
//! assert_eq!(verify_offline_otp(&device, &payload, step, 1, 1), Some(step));
//! # Ok::<(), paycode_codec::Error>(())
//! ```

mod code;
mod error;
pub mod ff1;
mod key;
mod offline;
mod online;
mod prefix_table;

pub use code::{
    CodeIndex, DeviceSlot, PaymentCode, Prefix, CODE_DIGITS, PAYLOAD_DIGITS, PREFIX_DIGITS,
};
pub use error::Error;
pub use ff1::Ff1;
pub use key::{CodeKey, CODE_KEY_BYTES};
pub use offline::{
    make_offline_code, offline_counter, verify_offline_otp, OfflineCodec, OfflinePayload,
    MAX_OFFLINE_STEP, MAX_SKEW_STEPS, OTP_DIGITS,
};
pub use online::generate_online_code;
pub use prefix_table::{CodeKind, PrefixTable};

/// The prefix of online codes unless a deployment configures others.
pub const DEFAULT_ONLINE_PREFIX: Prefix = match Prefix::new(80) {
    Ok(prefix) => prefix,
    Err(_) => panic!("80 is a valid prefix"),
};

/// The prefix of offline codes unless a deployment configures others.
pub const DEFAULT_OFFLINE_PREFIX: Prefix = match Prefix::new(81) {
    Ok(prefix) => prefix,
    Err(_) => panic!("81 is a valid prefix"),
};
