//! `paycode code`: encode and decode offline payment codes by hand. Support staff use `decode`
//! to see which device made a code; tests and scripts use `encode` as a wallet would.

use anyhow::{Context, Result};
use clap::Subcommand;
use paycode_codec::{
    make_offline_code, CodeIndex, CodeKey, DeviceSlot, OfflineCodec, PaymentCode, Prefix,
};
use paycode_otp::{totp, HotpKey};
use serde_json::json;

use crate::otp_command::{parse_algorithm, parse_secret};
use crate::{unix_now, Outcome};

#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Print the 18-digit offline code a wallet would show.
    Encode {
        /// The code key of the prefix (AES-128, Base32).
        #[arg(long)]
        key: String,
        /// The two-digit offline prefix.
        #[arg(long)]
        prefix: String,
        /// The device slot, 1..=999999999.
        #[arg(long)]
        slot: u32,
        /// The code index inside the time step, 0..=9.
        #[arg(long, default_value_t = 0)]
        index: u8,
        /// The device secret in Base32.
        #[arg(long)]
        secret: String,
        /// Unix time in seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
        /// HMAC algorithm of the device: SHA1, SHA256 or SHA512.
        #[arg(long, default_value = "SHA1")]
        algorithm: String,
        /// Time step of the device in seconds.
        #[arg(long, default_value_t = 30)]
        period: u32,
    },
    /// Print the prefix, device slot, code index and OTP inside an offline code, as JSON.
    Decode {
        /// The code key of the prefix (AES-128, Base32).
        #[arg(long)]
        key: String,
        /// The 18-digit code.
        code: String,
    },
}

pub fn run(command: CodeCommand) -> Result<Outcome> {
    match command {
        CodeCommand::Encode {
            key,
            prefix,
            slot,
            index,
            secret,
            time,
            algorithm,
            period,
        } => {
            let codec = offline_codec(&key, &prefix)?;
            let slot = DeviceSlot::new(slot).context("invalid --slot")?;
            let index = CodeIndex::new(index).context("invalid --index")?;
            let params = paycode_otp::TotpParams::new(
                parse_algorithm(&algorithm)?,
                paycode_otp::Digits::SIX,
                period,
            )?;
            let hotp_key = HotpKey::new(&parse_secret(&secret)?, params.algorithm);
            let step = totp::step(time.unwrap_or_else(unix_now), params.period_seconds);
            println!(
                "{}",
                make_offline_code(&codec, slot, index, &hotp_key, step)
            );
        }
        CodeCommand::Decode { key, code } => {
            let code = PaymentCode::parse(code.trim()).context("invalid code")?;
            let codec = offline_codec(&key, &code.prefix().to_string())?;
            let payload = codec
                .decode(&code)
                .context("not an offline code of this key")?;
            let output = json!({
                "prefix": code.prefix().to_string(),
                "slot": payload.slot.get(),
                "index": payload.index.get(),
                "otp": format!("{:06}", payload.otp),
            });
            println!("{output}");
        }
    }
    Ok(Outcome::Success)
}

fn offline_codec(key: &str, prefix: &str) -> Result<OfflineCodec> {
    let key = CodeKey::from_base32(key).context("invalid --key")?;
    let prefix: Prefix = prefix.parse().context("invalid --prefix")?;
    Ok(OfflineCodec::new(prefix, &key))
}
