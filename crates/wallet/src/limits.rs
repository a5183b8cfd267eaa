//! Every limit of this crate, named in one place.
//!
//! Wallet files and images come from disk, where anything may have been put, so each input is
//! bounded before it is read; the key-derivation cost a file asks for is bounded too, so that
//! a hostile file cannot make loading take minutes or gigabytes.

/// Largest wallet file read, in bytes. A wallet with a hundred devices is about 60 KiB.
pub const MAX_WALLET_FILE_BYTES: u64 = 1024 * 1024;

/// Most devices one wallet file holds.
pub const MAX_DEVICES: usize = 100;

/// Longest text field (server URL, username, device name, session token) in a wallet file.
pub const MAX_TEXT_FIELD_BYTES: usize = 4096;

/// Argon2id memory cost of new encrypted wallet files, in KiB (19 MiB: the OWASP minimum for
/// Argon2id with two passes, a fraction of a second on a phone-class CPU).
pub const DEFAULT_KDF_MEMORY_KIB: u32 = 19 * 1024;

/// Argon2id passes over memory of new encrypted wallet files.
pub const DEFAULT_KDF_PASSES: u32 = 2;

/// Argon2id lanes of new encrypted wallet files.
pub const DEFAULT_KDF_LANES: u32 = 1;

/// Largest Argon2id memory cost a wallet file may ask for: 1 GiB.
pub const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;

/// Most Argon2id passes a wallet file may ask for.
pub const MAX_KDF_PASSES: u32 = 16;

/// Most Argon2id lanes a wallet file may ask for.
pub const MAX_KDF_LANES: u32 = 16;

/// Length of the random salt of new encrypted wallet files.
pub const KDF_SALT_BYTES: usize = 16;

/// Shortest and longest salt accepted when loading.
pub const KDF_SALT_BYTES_ACCEPTED: std::ops::RangeInclusive<usize> = 16..=64;

/// Largest image file read when scanning, in bytes.
pub const MAX_IMAGE_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Largest width or height of an image scanned, in pixels.
pub const MAX_IMAGE_SIDE_PIXELS: u32 = 10_000;

/// Pixels per QR module in written images.
pub const QR_MODULE_PIXELS: u32 = 8;

/// Light modules around a QR code (ISO/IEC 18004 asks for four).
pub const QR_QUIET_ZONE_MODULES: u32 = 4;

/// Pixels per barcode module (the narrowest bar) in written images.
pub const BARCODE_MODULE_PIXELS: u32 = 4;

/// Light modules on each side of a barcode (ISO/IEC 15417 asks for ten).
pub const BARCODE_QUIET_ZONE_MODULES: u32 = 10;

/// Height of the bars in written images, in pixels.
pub const BARCODE_HEIGHT_PIXELS: u32 = 120;

/// Lines of text the bars of a terminal barcode take.
pub const TERMINAL_BARCODE_LINES: usize = 4;

/// Longest amount text accepted by [`crate::parse_amount`].
pub const MAX_AMOUNT_TEXT_BYTES: usize = 32;

/// Largest amount accepted by [`crate::parse_amount`], in minor units: ten billion yuan.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// Most digits after the decimal point a currency may have (ISO 4217 has none with more).
pub const MAX_MINOR_DIGITS: u32 = 4;
