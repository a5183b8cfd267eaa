//! `paycode pos charge`: the barcode-payment flow of a point of sale, as WeChat Pay and Alipay
//! merchants run it. Charge the scanned code; if the payment needs the customer's PIN
//! (`USER_PAYING`), poll the trade until it is paid or closed, and cancel it when the cashier's
//! patience (`--timeout-seconds`) runs out, so that no payment can complete after the customer
//! has left.
//!
//! Progress goes to stderr; the outcome (the trade, or with `--json` the trade as JSON) goes to
//! stdout, so that scripts read a clean answer.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args};
use paycode_api::{PayRequest, Trade, TradeStatus};
use paycode_client::{Client, ClientError, Payment};
use paycode_codec::PaymentCode;
use paycode_wallet::{decode_image, format_amount};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::display::{parse_typed_amount, trade_lines, MINOR_DIGITS};
use crate::pos_command::{PosOptions, UNAUTHENTICATED_HINT};
use crate::remote::{self, print_json};
use crate::Outcome;

/// Scanned lines buffered between the thread reading stdin and the charging loop. A scanner
/// types far slower than a payment takes, so a handful is plenty.
const SCAN_QUEUE_LINES: usize = 16;
/// Longest line read from a scanner; a payment code is 18 digits.
const MAX_SCAN_LINE_BYTES: u64 = 256;

/// Flags of `paycode pos charge`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["code", "scan", "image"])))]
pub struct ChargeArguments {
    #[command(flatten)]
    options: PosOptions,
    /// Amount as a decimal, such as 12.50 (no signs, at most two decimals).
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// The customer's 18-digit payment code, as typed or scanned.
    #[arg(long)]
    code: Option<String>,
    /// Read codes from stdin, one per line, as a USB barcode scanner types them; each line is
    /// charged as its own payment until end of input. With --json, one JSON line per code.
    #[arg(long)]
    scan: bool,
    /// Read the code from a photo or screenshot (PNG or JPEG) of its QR code or barcode.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Your reference for this payment (default: a fresh `pos-<unix millis>-<random>`).
    /// Retrying with the same reference never charges twice.
    #[arg(long, conflicts_with = "scan")]
    out_trade_no: Option<String>,
    /// What was bought, shown in the trade.
    #[arg(long)]
    subject: Option<String>,
    /// Which till charged it, shown in the trade.
    #[arg(long)]
    terminal_id: Option<String>,
    /// Seconds between queries while the customer confirms with the PIN.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    poll_seconds: u64,
    /// Seconds to wait for the customer's confirmation before cancelling the payment.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout_seconds: u64,
}

pub fn run(arguments: ChargeArguments) -> Result<Outcome> {
    let amount = parse_typed_amount(&arguments.amount)?;
    let till = Till {
        client: remote::client(&arguments.options.server, &arguments.options.key)?,
        amount,
        subject: arguments.subject,
        terminal_id: arguments.terminal_id,
        poll: Duration::from_secs(arguments.poll_seconds),
        timeout: Duration::from_secs(arguments.timeout_seconds),
        json_output: arguments.options.json,
    };
    let runtime = remote::runtime()?;
    if arguments.scan {
        return runtime.block_on(till.charge_scanned());
    }
    let code = match (arguments.code, arguments.image) {
        (Some(text), _) => parse_code(&text).context("invalid --code")?,
        (None, Some(path)) => {
            let code = decode_image(&path)?;
            eprintln!("read a payment code from {}", path.display());
            code
        }
        // clap's "source" group requires one of --code, --scan and --image.
        (None, None) => unreachable!("clap requires a source of codes"),
    };
    let out_trade_no = arguments.out_trade_no.unwrap_or_else(new_out_trade_no);
    runtime.block_on(till.charge(code, out_trade_no))
}

/// A merchant reference no other charge of this merchant will make: the time in milliseconds
/// and 32 random bits, so that two tills starting in the same millisecond still differ.
pub fn new_out_trade_no() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or(0);
    format!("pos-{millis}-{:08x}", rand::random::<u32>())
}

/// Seconds rounded up, so that a countdown never says 0 while time is left.
fn whole_seconds_up(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// A code as a scanner or cashier gives it: surrounding whitespace does not matter.
fn parse_code(text: &str) -> Result<PaymentCode> {
    Ok(PaymentCode::parse(text.trim())?)
}

/// One till: who charges, how much, and how patiently.
struct Till {
    client: Client,
    amount: i64,
    subject: Option<String>,
    terminal_id: Option<String>,
    poll: Duration,
    timeout: Duration,
    json_output: bool,
}

impl Till {
    /// Charges one code and reports the outcome.
    async fn charge(&self, code: PaymentCode, out_trade_no: String) -> Result<Outcome> {
        let request = PayRequest {
            out_trade_no: out_trade_no.clone(),
            auth_code: code.to_string(),
            amount: self.amount,
            subject: self.subject.clone(),
            terminal_id: self.terminal_id.clone(),
        };
        eprintln!(
            "charging {} (out_trade_no {out_trade_no})",
            format_amount(self.amount, MINOR_DIGITS)
        );
        match self.client.pay(&request).await {
            Ok(Payment {
                trade,
                awaiting_confirmation: false,
            }) => Ok(self.report(&trade)),
            Ok(Payment { trade, .. }) => self.wait_for_confirmation(trade).await,
            Err(error) => self.refused_or_failed(error, &out_trade_no),
        }
    }

    /// Polls a `USER_PAYING` trade until the customer confirms or declines, or cancels it when
    /// the timeout passes or the cashier presses Ctrl-C.
    async fn wait_for_confirmation(&self, trade: Trade) -> Result<Outcome> {
        let out_trade_no = trade.out_trade_no.clone();
        eprintln!(
            "USER_PAYING: waiting for the customer's confirmation with the PIN in the wallet \
             (trade {}, up to {} s; Ctrl-C cancels)",
            trade.trade_no,
            self.timeout.as_secs()
        );
        let deadline = Instant::now() + self.timeout;
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::select! {
                () = tokio::time::sleep(self.poll.min(left)) => {}
                // A failure to listen for Ctrl-C disables this branch rather than cancelling.
                Ok(()) = &mut interrupted => {
                    eprintln!("interrupted: cancelling");
                    return self.cancel_unconfirmed(&out_trade_no).await;
                }
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "no confirmation within {} s: cancelling",
                    self.timeout.as_secs()
                );
                return self.cancel_unconfirmed(&out_trade_no).await;
            }
            match self.client.payment(&out_trade_no).await {
                Ok(trade) if trade.status == TradeStatus::UserPaying => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    eprintln!("still waiting ({} s left)", whole_seconds_up(left));
                }
                Ok(trade) => return Ok(self.report(&trade)),
                // The network may come back before the deadline; cancelling then still works.
                Err(error) => match remote::classify(error, UNAUTHENTICATED_HINT) {
                    Ok(refusal) => return Ok(refusal.report(self.json_output)),
                    Err(error) => eprintln!("could not query the trade, will retry: {error:#}"),
                },
            }
        }
    }

    /// Cancels a trade nobody confirmed. It is queried once more first, so that a
    /// confirmation that arrived during the last pause is reported as the success it is;
    /// a confirmation racing the cancel itself is reversed by the server (`REVERSED`).
    async fn cancel_unconfirmed(&self, out_trade_no: &str) -> Result<Outcome> {
        if let Ok(trade) = self.client.payment(out_trade_no).await {
            if trade.status != TradeStatus::UserPaying {
                return Ok(self.report(&trade));
            }
        }
        match self.client.cancel(out_trade_no).await {
            Ok(trade) => {
                eprintln!("cancelled: the trade is {}", trade.status);
                Ok(self.report(&trade))
            }
            Err(error) => self.refused_or_failed(error, out_trade_no),
        }
    }

    /// Prints a trade that reached its end and says whether it was paid.
    fn report(&self, trade: &Trade) -> Outcome {
        if self.json_output {
            print_json(trade);
        } else {
            println!("{}", trade_lines(trade));
        }
        if trade.status == TradeStatus::Success {
            return Outcome::Success;
        }
        let why = match trade.status {
            TradeStatus::Closed => "not paid: declined, cancelled or not confirmed in time",
            TradeStatus::Reversed => "paid, then cancelled and refunded in full",
            _ => "still waiting for the customer's confirmation",
        };
        eprintln!(
            "paycode: refused: trade {} is {} ({why})",
            trade.out_trade_no, trade.status
        );
        Outcome::Refused
    }

    fn refused_or_failed(&self, error: ClientError, out_trade_no: &str) -> Result<Outcome> {
        let unknown_outcome = matches!(error, ClientError::Transport(_));
        match remote::classify(error, UNAUTHENTICATED_HINT) {
            Ok(refusal) => Ok(refusal.report(self.json_output)),
            // A request that was sent but whose answer was lost may have charged: say how to
            // find out instead of letting the cashier charge again under a new reference.
            Err(error) if unknown_outcome => Err(error.context(format!(
                "out_trade_no {out_trade_no}: if the request reached the server, \
                 `paycode pos query {out_trade_no}` tells whether it was paid"
            ))),
            Err(error) => Err(error),
        }
    }

    /// Charges every code scanned on stdin, each with its own out_trade_no, until the end of
    /// input or Ctrl-C. Exit code 0 only if every code was paid.
    async fn charge_scanned(&self) -> Result<Outcome> {
        eprintln!("scan codes, one per line; end with Ctrl-D");
        let mut lines = read_lines_in_background();
        let (mut paid, mut not_paid) = (0_u32, 0_u32);
        loop {
            let line = tokio::select! {
                line = lines.recv() => line,
                Ok(()) = tokio::signal::ctrl_c() => None,
            };
            let Some(line) = line else { break };
            let line = line.context("could not read the scanned codes from stdin")?;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let outcome = match parse_code(text).context("scanned text is not a payment code") {
                Ok(code) => self.charge(code, new_out_trade_no()).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(Outcome::Success) => paid += 1,
                Ok(Outcome::Refused) => not_paid += 1,
                Err(error) => {
                    eprintln!("paycode: {error:#}");
                    not_paid += 1;
                }
            }
        }
        eprintln!(
            "scanned {}: {paid} paid, {not_paid} not paid",
            paid + not_paid
        );
        Ok(if not_paid == 0 {
            Outcome::Success
        } else {
            Outcome::Refused
        })
    }
}

/// Lines of stdin, read on a thread of their own so that the charging loop can also listen for
/// Ctrl-C while it waits for the next scan. The thread ends at end of input; if the loop ends
/// first, the process exits under it. A line longer than [`MAX_SCAN_LINE_BYTES`] arrives in
/// pieces, each of which fails as "not a payment code", rather than filling memory.
fn read_lines_in_background() -> mpsc::Receiver<std::io::Result<String>> {
    let (sender, receiver) = mpsc::channel(SCAN_QUEUE_LINES);
    std::thread::spawn(move || {
        use std::io::{BufRead, Read};
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = String::new();
            match (&mut stdin).take(MAX_SCAN_LINE_BYTES).read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if sender.blocking_send(Ok(line)).is_err() {
                        break;
                    }
                }
                Err(error) => {
                    // The loop reports the error and stops; nothing more to read after it.
                    let _ = sender.blocking_send(Err(error));
                    break;
                }
            }
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_out_trade_nos_differ_and_are_valid_references() {
        let first = new_out_trade_no();
        let second = new_out_trade_no();
        assert_ne!(first, second);
        for reference in [&first, &second] {
            assert!(reference.starts_with("pos-"), "{reference}");
            assert!(reference.len() <= 64);
            assert!(reference
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-'));
        }
    }

    #[test]
    fn scanned_codes_may_carry_whitespace_but_nothing_else() {
        assert!(parse_code(" 812345678901234567\r").is_ok());
        assert!(parse_code("81234567890123456").is_err());
        assert!(parse_code("81234567890123456x").is_err());
    }
}
