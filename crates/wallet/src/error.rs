//! The one error type of this crate (amounts have their own, [`crate::AmountError`]).

use std::path::PathBuf;

/// Everything that can go wrong with a wallet file, a device, a code or an image.
///
/// Messages never contain secrets, code keys, session tokens or passphrases, so they may be
/// shown and logged. Paths are included, because the user needs them to fix the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read, written, created or renamed.
    #[error("could not {action} {path}: {error}")]
    Io {
        /// What was being done, such as `read the wallet file`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said. It is part of the message rather than a separate
        /// source, so that printing the error chain does not say it twice.
        error: std::io::Error,
    },

    /// The wallet file was larger than any wallet can be.
    #[error("the wallet file {path} has more than {limit} bytes, so it is not a wallet file")]
    WalletFileTooLarge {
        /// The file.
        path: PathBuf,
        /// The largest size read.
        limit: u64,
    },

    /// The wallet file was not a wallet file of a format this version knows, or a value in it
    /// was invalid. The reason names the field but never repeats a secret value.
    #[error("the wallet file {path} is not valid: {reason}")]
    InvalidWalletFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, without any secret value.
        reason: String,
    },

    /// The wallet file is encrypted and no passphrase was given.
    #[error("the wallet file {path} is encrypted: give its passphrase to open it")]
    PassphraseRequired {
        /// The file.
        path: PathBuf,
    },

    /// The passphrase did not decrypt the wallet file.
    #[error("the passphrase is wrong, or the wallet file {path} was altered")]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },

    /// An empty passphrase was given; it would protect nothing.
    #[error("the passphrase is empty; give a passphrase or none to store the wallet unencrypted")]
    EmptyPassphrase,

    /// The operating system names no configuration directory for this user (no `$HOME`).
    #[error(
        "cannot find the user's configuration directory (is $HOME set?); give a wallet file path"
    )]
    NoConfigDirectory,

    /// A provisioning key URI could not be read.
    #[error("the provisioning key URI is not valid: {0}")]
    KeyUri(paycode_otp::Error),

    /// A provisioning key URI lacked one of paycode's own parameters.
    #[error("the provisioning key URI has no {name} parameter; paycode wallets need slot, prefix and codekey")]
    MissingUriParameter {
        /// The missing parameter.
        name: &'static str,
    },

    /// A device's parameter had a value paycode cannot use. The value is named only when it
    /// is not key material.
    #[error("the device's {field} is not valid: {reason}")]
    InvalidDevice {
        /// The parameter, such as `slot` or `codekey`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The wallet has no device enrolled.
    #[error("the wallet has no device; enroll one first")]
    NoDevice,

    /// No device of the wallet has the id asked for.
    #[error("the wallet has no device {id}")]
    NoSuchDevice {
        /// The id asked for.
        id: i64,
    },

    /// The wallet has several devices and none was chosen.
    #[error("the wallet has several devices ({ids}); choose one")]
    SeveralDevices {
        /// The ids of the devices, comma separated.
        ids: String,
    },

    /// The wallet has as many devices as it may hold.
    #[error("the wallet already has {limit} devices, the most it can hold")]
    TooManyDevices {
        /// The limit.
        limit: usize,
    },

    /// All ten code indexes of the current time step were used: showing another code now
    /// would repeat one the server may already have accepted.
    #[error("all 10 codes of this step were shown; wait {seconds_left} s")]
    CodesOfStepUsed {
        /// Seconds until the next step begins.
        seconds_left: u32,
    },

    /// The clock is behind the step of a code this device already showed, so any code made
    /// now could repeat one already shown.
    #[error("the clock is behind the last code shown by device {id}; wait {seconds} s or correct the clock")]
    ClockBehind {
        /// The device.
        id: i64,
        /// Seconds until the clock reaches the step after the last code shown.
        seconds: u64,
    },

    /// The time was too far in the future for an offline code's 56-bit step.
    #[error("the time {unix_time} is beyond the last step an offline code can carry")]
    TimeOutOfRange {
        /// The Unix time given.
        unix_time: u64,
    },

    /// An image could not be decoded as PNG or JPEG, or was too large.
    #[error("could not read the image {path}: {reason}")]
    ImageRead {
        /// The file, or `<memory>` for bytes.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// An image could not be written.
    #[error("could not write the image {path}: {reason}")]
    ImageWrite {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// No QR code or Code 128 barcode was found in an image.
    #[error("no QR code or Code 128 barcode was found in the image {path}")]
    NoCodeInImage {
        /// The file, or `<memory>` for bytes.
        path: PathBuf,
    },

    /// A QR code or barcode was found, but it does not hold an 18-digit payment code.
    #[error("the image {path} holds a {symbology}, but not an 18-digit payment code: {reason}")]
    NotAPaymentCode {
        /// The file, or `<memory>` for bytes.
        path: PathBuf,
        /// `QR code` or `Code 128 barcode`.
        symbology: &'static str,
        /// Why its content is not a payment code.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |error| Error::Io {
            action,
            path,
            error,
        }
    }

    pub(crate) fn invalid_device(field: &'static str, reason: impl ToString) -> Error {
        Error::InvalidDevice {
            field,
            reason: reason.to_string(),
        }
    }
}
