//! The 18-digit payment code of paycode (SPEC section 2).

mod code;
mod error;
pub mod ff1;
mod key;

pub use code::{CodeIndex, DeviceSlot, PaymentCode, Prefix};
pub use error::Error;
pub use ff1::Ff1;
pub use key::CodeKey;
