//! `paycode otp`: the OTP library on the command line, for scripts and interoperability checks.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use paycode_otp::uri::{KeyUri, OtpKind};
use paycode_otp::{hotp, totp, Algorithm, Digits, HotpKey, Secret, TotpParams, Window};
use serde_json::json;

use crate::{unix_now, Outcome};

/// The widest verification window the command accepts, in steps on each side. The library caps
/// its own search too; this limit only turns an absurd request into a clear error.
const MAX_WINDOW_STEPS: u64 = 100;

#[derive(Debug, Subcommand)]
pub enum OtpCommand {
    /// Print the TOTP code for a secret at a time (default: now).
    Totp {
        #[command(flatten)]
        key: KeyArgs,
        /// Unix time in seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
    },
    /// Print the HOTP code for a secret and counter.
    Hotp {
        #[command(flatten)]
        key: KeyArgs,
        /// The moving factor.
        #[arg(long)]
        counter: u64,
    },
    /// Check a TOTP code; print the matched time step, or exit 1.
    Verify {
        #[command(flatten)]
        key: KeyArgs,
        /// The code to check.
        #[arg(long)]
        code: String,
        /// Steps accepted on each side of the current one.
        #[arg(long, default_value_t = 1)]
        window: u64,
        /// Unix time in seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
    },
    /// Format a Google Authenticator key URI, or parse one with --parse.
    Uri(UriArgs),
    /// Print a new random 160-bit secret in Base32.
    Secret,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The shared secret in Base32 (case and spaces do not matter).
    #[arg(long)]
    secret: String,
    #[command(flatten)]
    params: ParamsArgs,
}

/// The OTP parameters every subcommand takes.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// HMAC algorithm: SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1")]
    algorithm: String,
    /// Number of digits: 6, 7 or 8.
    #[arg(long, default_value_t = 6)]
    digits: u8,
    /// Time step in seconds (TOTP only), 1..=3600.
    #[arg(long, default_value_t = 30)]
    period: u32,
}

impl ParamsArgs {
    fn parse(&self) -> Result<TotpParams> {
        Ok(TotpParams::new(
            parse_algorithm(&self.algorithm)?,
            Digits::new(self.digits)?,
            self.period,
        )?)
    }
}

#[derive(Debug, Args)]
pub struct UriArgs {
    /// Parse this URI and print its fields as JSON instead of formatting one.
    #[arg(long, conflicts_with_all = ["secret", "issuer", "account", "counter"])]
    parse: Option<String>,
    /// The shared secret in Base32.
    #[arg(long, required_unless_present = "parse")]
    secret: Option<String>,
    /// Issuer shown by authenticator apps.
    #[arg(long, required_unless_present = "parse")]
    issuer: Option<String>,
    /// Account name shown by authenticator apps.
    #[arg(long, required_unless_present = "parse")]
    account: Option<String>,
    #[command(flatten)]
    params: ParamsArgs,
    /// Make an HOTP URI with this counter instead of a TOTP one.
    #[arg(long)]
    counter: Option<u64>,
}

struct Key {
    secret: Secret,
    params: TotpParams,
}

impl KeyArgs {
    fn parse(&self) -> Result<Key> {
        let secret = parse_secret(&self.secret)?;
        let params = self.params.parse()?;
        Ok(Key { secret, params })
    }
}

pub fn parse_secret(text: &str) -> Result<Secret> {
    let secret = Secret::from_base32(text).context("invalid --secret")?;
    if secret.is_weak() {
        eprintln!(
            "paycode: warning: the secret has only {} bits; RFC 4226 asks for at least 128",
            secret.bits()
        );
    }
    Ok(secret)
}

pub fn parse_algorithm(text: &str) -> Result<Algorithm> {
    text.parse::<Algorithm>().context("invalid --algorithm")
}

pub fn run(command: OtpCommand) -> Result<Outcome> {
    match command {
        OtpCommand::Totp { key, time } => {
            let key = key.parse()?;
            let unix_time = time.unwrap_or_else(unix_now);
            println!("{}", totp::generate(&key.secret, &key.params, unix_time));
        }
        OtpCommand::Hotp { key, counter } => {
            let key = key.parse()?;
            let code = hotp::generate(
                &key.secret,
                key.params.algorithm,
                key.params.digits,
                counter,
            );
            println!("{code}");
        }
        OtpCommand::Verify {
            key,
            code,
            window,
            time,
        } => {
            return verify(key, &code, window, time);
        }
        OtpCommand::Uri(arguments) => uri(arguments)?,
        OtpCommand::Secret => println!("{}", Secret::generate().to_base32()),
    }
    Ok(Outcome::Success)
}

fn verify(key: KeyArgs, code: &str, window: u64, time: Option<u64>) -> Result<Outcome> {
    let key = key.parse()?;
    if window > MAX_WINDOW_STEPS {
        bail!("--window {window} is too wide (at most {MAX_WINDOW_STEPS} steps)");
    }
    let digits = usize::from(key.params.digits.get());
    if code.len() != digits || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        bail!("--code must be exactly {digits} digits");
    }
    let unix_time = time.unwrap_or_else(unix_now);
    let hotp_key = HotpKey::new(&key.secret, key.params.algorithm);
    match totp::verify(
        &hotp_key,
        &key.params,
        code,
        unix_time,
        Window::symmetric(window),
    ) {
        Some(step) => {
            println!("{step}");
            Ok(Outcome::Success)
        }
        None => {
            eprintln!(
                "paycode: the code does not match any step within {window} of the current one"
            );
            Ok(Outcome::Refused)
        }
    }
}

fn uri(arguments: UriArgs) -> Result<()> {
    if let Some(text) = arguments.parse {
        let uri = KeyUri::parse(&text).context("invalid key URI")?;
        println!("{}", serde_json::to_string_pretty(&uri_to_json(&uri))?);
        return Ok(());
    }
    let (Some(secret), Some(issuer), Some(account)) =
        (arguments.secret, arguments.issuer, arguments.account)
    else {
        bail!("--secret, --issuer and --account are required to format a URI");
    };
    let params = arguments.params.parse()?;
    let kind = match arguments.counter {
        Some(counter) => OtpKind::Hotp { counter },
        None => OtpKind::Totp {
            period_seconds: params.period_seconds,
        },
    };
    let uri = KeyUri {
        kind,
        issuer: Some(issuer),
        account,
        secret: parse_secret(&secret)?,
        algorithm: params.algorithm,
        digits: params.digits,
        extra: Vec::new(),
    };
    println!("{}", uri.to_uri());
    Ok(())
}

fn uri_to_json(uri: &KeyUri) -> serde_json::Value {
    let (kind, period, counter) = match uri.kind {
        OtpKind::Totp { period_seconds } => ("totp", Some(period_seconds), None),
        OtpKind::Hotp { counter } => ("hotp", None, Some(counter)),
    };
    let extra: serde_json::Map<String, serde_json::Value> = uri
        .extra
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    json!({
        "type": kind,
        "issuer": uri.issuer,
        "account": uri.account,
        "secret": uri.secret.to_base32(),
        "secret_bits": uri.secret.bits(),
        "algorithm": uri.algorithm.to_string(),
        "digits": uri.digits.get(),
        "period": period,
        "counter": counter,
        "extra": extra,
    })
}
