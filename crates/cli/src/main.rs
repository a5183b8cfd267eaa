//! The `paycode` command: one binary for the server, the demo, the wallet and POS clients, and
//! the OTP and payment-code tools that scripts and support staff use.

mod code_command;
mod otp_command;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code of a command that ran correctly but whose answer is "no" (for example a one-time
/// password that does not verify). Errors in the input exit with [`EXIT_USAGE`].
const EXIT_REFUSED: u8 = 1;
/// Exit code of a command that could not run: bad input, unreadable files, unreachable servers.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "paycode",
    version,
    about = "Payment codes: offline TOTP codes, a ledger, a server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One-time passwords (RFC 4226 HOTP, RFC 6238 TOTP), key URIs and secrets.
    #[command(subcommand)]
    Otp(otp_command::OtpCommand),
    /// Encode and decode 18-digit offline payment codes.
    #[command(subcommand)]
    Code(code_command::CodeCommand),
}

/// What a subcommand reports back to `main`, which turns it into an exit code.
pub enum Outcome {
    /// The command did what was asked.
    Success,
    /// The command ran, and the answer is a refusal (already explained on stderr).
    Refused,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Otp(command) => otp_command::run(command),
        Command::Code(command) => code_command::run(command),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Refused) => ExitCode::from(EXIT_REFUSED),
        Err(error) => {
            eprintln!("paycode: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The current Unix time in seconds, read only here at the edge so the libraries stay pure.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}
