//! The one error type of this crate.

/// Everything that can go wrong when building secrets, parameters or key URIs.
///
/// Every variant is an operating error (bad input from a user, a file or a scanned QR code);
/// programmer errors are assertions instead. Messages never contain secret material: a Base32
/// error names only the one character that is not part of any valid secret.
///
/// The enum is deliberately exhaustive, so that code mapping these errors to responses must
/// decide about every new variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Base32 input contained a character outside the RFC 4648 alphabet (also in lower case),
    /// the space separator and the `=` padding.
    #[error("invalid Base32 character {character:?} at position {position} (counting from 0)")]
    InvalidBase32 {
        /// Zero-based index, in characters, of the offending character in the input as given.
        position: usize,
        /// The offending character.
        character: char,
    },

    /// Base32 input had an `=` padding character followed by more data.
    #[error("Base32 padding '=' at position {position} (counting from 0) is followed by data")]
    MisplacedBase32Padding {
        /// Zero-based index, in characters, of the first padding character in the input.
        position: usize,
    },

    /// Base32 input had a number of symbols that no whole number of bytes encodes.
    ///
    /// After the last full group of 8 symbols, only 0, 2, 4, 5 or 7 symbols can remain.
    #[error(
        "Base32 text of {symbols} symbols does not encode a whole number of bytes \
         (a truncated or mistyped secret?)"
    )]
    InvalidBase32Length {
        /// Number of Base32 symbols in the input, not counting spaces and padding.
        symbols: usize,
    },

    /// Base32 input had padding that does not complete the last group to 8 characters.
    #[error(
        "Base32 text of {symbols} symbols cannot be followed by {padding} '=' padding characters"
    )]
    InvalidBase32Padding {
        /// Number of Base32 symbols in the input, not counting spaces and padding.
        symbols: usize,
        /// Number of `=` padding characters in the input.
        padding: usize,
    },

    /// A secret had no bytes at all.
    #[error("the secret is empty")]
    EmptySecret,

    /// A secret was longer than [`crate::limits::MAX_SECRET_BYTES`].
    #[error("the secret has {bytes} bytes, more than the limit of {limit} bytes")]
    SecretTooLong {
        /// Length of the rejected secret in bytes.
        bytes: usize,
        /// The limit it exceeded.
        limit: usize,
    },

    /// A secret to be generated would have had fewer than
    /// [`crate::limits::MIN_SECRET_BITS`] bits (RFC 4226 section 4, requirement R6).
    #[error("a secret of {bits} bits is too weak: at least 128 bits are required")]
    WeakSecret {
        /// Strength of the rejected secret in bits.
        bits: usize,
    },

    /// A number of digits other than 6, 7 or 8 was requested.
    #[error("digits must be 6, 7 or 8, not {digits}")]
    InvalidDigits {
        /// The rejected number of digits.
        digits: u64,
    },

    /// A TOTP period outside 1..=3600 seconds was requested.
    #[error("the period must be between 1 and 3600 seconds, not {period_seconds}")]
    InvalidPeriod {
        /// The rejected period in seconds.
        period_seconds: u64,
    },

    /// An algorithm name other than SHA1, SHA256 or SHA512 (in any case) was given.
    #[error("unknown algorithm {name:?}: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm {
        /// The rejected name.
        name: String,
    },

    /// A key URI parameter that must be a decimal number was not one.
    #[error("key URI parameter {parameter:?} must be a decimal number, not {value:?}")]
    InvalidNumber {
        /// Name of the parameter.
        parameter: String,
        /// The rejected value after percent-decoding.
        value: String,
    },

    /// A key URI was malformed; the message says how.
    #[error("invalid key URI: {0}")]
    InvalidUri(String),

    /// A key URI label had no account name.
    #[error("the key URI label has no account name")]
    MissingAccount,

    /// A key URI named one issuer in its label and another in its `issuer` parameter.
    #[error(
        "the key URI label names issuer {label:?} but the issuer parameter says {parameter:?}"
    )]
    IssuerMismatch {
        /// The issuer in the label (the part before `:`).
        label: String,
        /// The value of the `issuer` parameter.
        parameter: String,
    },

    /// A key URI had no `secret` parameter.
    #[error("the key URI has no secret parameter")]
    MissingSecret,

    /// An `hotp` key URI had no `counter` parameter, which is required for HOTP.
    #[error("the HOTP key URI has no counter parameter")]
    MissingCounter,
}
