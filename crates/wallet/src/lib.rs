//! The offline half of paycode's wallet and the image half of its POS, as a library for the
//! `paycode wallet` and `paycode pos` commands.
//!
//! Nothing here touches the network. The crate owns:
//!
//! - the **wallet file** ([`WalletFile`]): server, user, session and enrolled devices
//!   ([`DeviceEntry`]), stored as JSON with mode 0600 and written atomically, optionally
//!   encrypted under a passphrase (Argon2id and AES-256-GCM);
//! - **making offline codes** ([`WalletFile::next_code`]): each showing gets a fresh code
//!   index within its time step, and the time is passed in, never read;
//! - **drawing codes** ([`render_terminal`], [`write_png`], [`write_svg`], [`qr_image`],
//!   [`barcode_image`]) as a QR code and a Code 128 barcode holding the 18 digits;
//! - **scanning codes** from PNG or JPEG images ([`decode_image`]);
//! - **decimal amounts** as a cashier types them ([`parse_amount`], [`format_amount`]).
//!
//! ```
//! use paycode_wallet::{decode_gray_image, qr_image, DeviceEntry, WalletFile};
//!
//! let uri = "otpauth://totp/Paycode:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
//!            &issuer=Paycode&algorithm=SHA1&digits=6&period=30\
//!            &slot=123456789&prefix=81&codekey=LJNFUWS2LJNFUWS2LJNFUWS2LI";
//! let mut wallet = WalletFile::new(None, Some("alice".to_owned()));
//! wallet.add_device(DeviceEntry::from_uri(uri)?)?;
//!
//! let shown = wallet.next_code(None, 1_700_000_000)?;
//! assert_eq!((shown.index, shown.seconds_left), (0, 10));
//! assert_eq!(wallet.next_code(None, 1_700_000_001)?.index, 1);
//!
//! assert_eq!(decode_gray_image(&qr_image(&shown.code))?, shown.code);
//! # Ok::<(), paycode_wallet::Error>(())
//! ```

mod amount;
mod device;
mod encryption;
mod error;
pub mod limits;
mod render;
mod scan;
mod wallet;

pub use amount::{format_amount, parse_amount, AmountError};
pub use device::{DeviceEntry, ShownCode};
pub use error::Error;
pub use render::{
    barcode_image, barcode_path, barcode_svg, grouped_digits, qr_image, qr_svg, render_terminal,
    render_terminal_for, write_png, write_svg, ImagePaths, TerminalBackground,
};
pub use scan::{decode_gray_image, decode_image, decode_image_bytes};
pub use wallet::{Session, WalletFile};

/// The image type of [`qr_image`] and [`barcode_image`], re-exported so that callers need not
/// depend on the same version of the `image` crate.
pub use image::GrayImage;
