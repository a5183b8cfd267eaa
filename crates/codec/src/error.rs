//! The one error type of this crate.

use crate::code::Prefix;

/// Everything that can go wrong when building or reading payment codes.
///
/// Messages never contain key material, so they may be logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A payment code did not have exactly 18 characters.
    #[error("a payment code has 18 digits, but this one has {length} characters")]
    CodeLength {
        /// The number of characters (not bytes) that was given.
        length: usize,
    },

    /// A payment code contained something other than the ASCII digits `0` to `9`.
    #[error("a payment code has only the digits 0 to 9, but the character at position {position} is not one")]
    CodeNotADigit {
        /// Where the first offending character is, counting characters from 1.
        position: usize,
    },

    /// A payload had more than 16 digits.
    #[error("a payment code payload has at most 16 digits, but {payload} has more")]
    PayloadOutOfRange {
        /// The payload that was given.
        payload: u64,
    },

    /// A prefix value was above 99.
    #[error("a prefix has two digits (00 to 99), but {value} has more")]
    PrefixOutOfRange {
        /// The value that was given.
        value: u8,
    },

    /// A prefix was not written as exactly two ASCII digits.
    #[error("a prefix is written as exactly two digits, such as 81")]
    PrefixSyntax,

    /// A device slot was 0 or had more than nine digits.
    #[error("a device slot is between 1 and 999999999, but {value} is not")]
    DeviceSlotOutOfRange {
        /// The value that was given.
        value: u32,
    },

    /// A code index was above 9.
    #[error("a code index is between 0 and 9, but {value} is not")]
    CodeIndexOutOfRange {
        /// The value that was given.
        value: u8,
    },

    /// A code key did not have 16 bytes.
    #[error("a code key has 16 bytes (AES-128), but this one has {length}")]
    CodeKeyLength {
        /// The number of bytes that was given.
        length: usize,
    },

    /// A code key was not valid unpadded Base32. The text itself is not repeated, since it
    /// is meant to be a key.
    #[error("a code key must be written in Base32 (RFC 4648, letters A-Z and digits 2-7)")]
    CodeKeyBase32,

    /// An offline code was given to the codec of another prefix.
    #[error("the code has prefix {found}, but this codec decodes prefix {expected}")]
    PrefixMismatch {
        /// The prefix of the codec.
        expected: Prefix,
        /// The prefix of the code.
        found: Prefix,
    },

    /// An offline code decrypted to device slot 0, which no device ever has: the code was
    /// mistyped, forged, or made under another code key.
    #[error("the code does not decrypt to a valid device slot")]
    NoSuchDeviceSlot,

    /// The same prefix was configured twice.
    #[error("prefix {prefix} is configured more than once")]
    DuplicatePrefix {
        /// The repeated prefix.
        prefix: Prefix,
    },

    /// A prefix was configured for both online and offline codes, which must never overlap.
    #[error("prefix {prefix} is configured for both online and offline codes")]
    PrefixOnlineAndOffline {
        /// The prefix in both lists.
        prefix: Prefix,
    },
}
