//! The scanned code, parsed and classified before its payment is queued (SPEC 2.2): the
//! checks of the code itself happen in `crate::engine`'s decide, against the device and the
//! codes it spent.

use paycode_codec::{CodeKind, PaymentCode};

use super::Paycode;
use crate::engine::ScannedCode;
use crate::error::Error;

impl Paycode {
    /// Parses a scanned code and classifies its prefix, before any transaction starts.
    pub(super) fn parse_code(&self, text: &str) -> Result<PaymentCode, Error> {
        let code = PaymentCode::parse(text)
            .map_err(|error| Error::InvalidCodeFormat(error.to_string()))?;
        match self.codes.classify(&code) {
            CodeKind::UnknownPrefix => Err(Error::InvalidCodeFormat(format!(
                "unknown code prefix {}",
                code.prefix()
            ))),
            CodeKind::Online | CodeKind::Offline(_) => Ok(code),
        }
    }

    /// What the engine needs of a parsed code: an offline code's decrypted payload (`D`, `N`,
    /// `O`), or an online code's keyed hash.
    pub(super) fn scanned_code(&self, code: &PaymentCode) -> Result<ScannedCode, Error> {
        match self.codes.classify(code) {
            CodeKind::Offline(codec) => Ok(codec
                .decode(code)
                .map_or(ScannedCode::Undecodable, ScannedCode::Offline)),
            CodeKind::Online => Ok(ScannedCode::Online {
                hash: self.code_hash(b"online:", &code.to_string()),
            }),
            CodeKind::UnknownPrefix => Err(Error::InvalidCodeFormat(format!(
                "unknown code prefix {}",
                code.prefix()
            ))),
        }
    }
}
