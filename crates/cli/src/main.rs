//! The `paycode` command: one binary for the server, the demo, the wallet and POS clients, and
//! the OTP and payment-code tools that scripts and support staff use.

mod admin_command;
mod bench_command;
mod code_command;
mod demo_command;
mod display;
mod key_file_flag;
mod keys_command;
mod otp_command;
mod pos_charge;
mod pos_command;
mod prompt;
mod remote;
mod reports_command;
mod serve_command;
mod wallet_code;
mod wallet_command;

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
    /// Run the payment server (SQLite in ./paycode-data by default).
    Serve(serve_command::ServeArguments),
    /// The whole story in one command, on a temporary database: enroll, pay offline, refund.
    Demo(demo_command::DemoArguments),
    /// The wallet: log in, enroll a device, show offline codes (no network needed), confirm.
    #[command(subcommand)]
    Wallet(wallet_command::WalletCommand),
    /// The merchant's point of sale: charge scanned codes, query, cancel, refund.
    #[command(subcommand)]
    Pos(pos_command::PosCommand),
    /// Maintenance of the master key file (rotation) of a stopped deployment.
    #[command(subcommand)]
    Keys(keys_command::KeysCommand),
    /// The operator: users, merchants and keys, top-ups, unlocking devices, the ledger check.
    #[command(subcommand)]
    Admin(admin_command::AdminCommand),
    /// One-time passwords (RFC 4226 HOTP, RFC 6238 TOTP), key URIs and secrets.
    #[command(subcommand)]
    Otp(otp_command::OtpCommand),
    /// Encode and decode 18-digit offline payment codes.
    #[command(subcommand)]
    Code(code_command::CodeCommand),
    /// Load test: payments per second, latency and a baseline, then checks every payment.
    Bench(bench_command::BenchArguments),
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
        Command::Serve(arguments) => serve_command::run(arguments),
        Command::Demo(arguments) => demo_command::run(arguments),
        Command::Wallet(command) => wallet_command::run(command),
        Command::Pos(command) => pos_command::run(command),
        Command::Admin(command) => admin_command::run(command),
        Command::Keys(command) => keys_command::run(command),
        Command::Otp(command) => otp_command::run(command),
        Command::Code(command) => code_command::run(command),
        Command::Bench(arguments) => bench_command::run(arguments),
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
