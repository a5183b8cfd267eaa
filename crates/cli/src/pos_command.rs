//! `paycode pos`: the merchant's point of sale (SPEC section 4, merchant): charge scanned codes
//! (see [`crate::pos_charge`]), query, cancel and refund trades, list the trades of a day, and
//! read the balance.

use anyhow::Result;
use clap::{Args, Subcommand};
use paycode_api::{MerchantTradesQuery, RefundList, RefundRequest};
use paycode_client::{Client, ClientError};
use serde::Serialize;

use crate::display::{money, parse_typed_amount, refund_line, trade_lines};
use crate::pos_charge::{self, ChargeArguments};
use crate::remote;
use crate::reports_command::{show_merchant_day, show_statement};
use crate::Outcome;

/// What to fix when the server does not accept the merchant's key.
pub const UNAUTHENTICATED_HINT: &str =
    "check the merchant's API key (--key or PAYCODE_MERCHANT_KEY)";

/// Where the server is and the merchant's API key, shared by every `paycode pos` command.
#[derive(Debug, Args)]
pub struct PosOptions {
    /// Base URL of the paycode server, such as http://127.0.0.1:8080.
    #[arg(long, env = "PAYCODE_SERVER")]
    pub server: String,
    /// The merchant's API key.
    #[arg(long, env = "PAYCODE_MERCHANT_KEY", hide_env_values = true)]
    pub key: String,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PosCommand {
    /// Charge a customer's payment code; wait for the PIN if the payment needs it.
    Charge(ChargeArguments),
    /// Show a trade.
    Query {
        #[command(flatten)]
        options: PosOptions,
        /// Your reference of the trade.
        out_trade_no: String,
    },
    /// Cancel a trade: close it if unpaid, refund it in full if paid (within the cancel window).
    Cancel {
        #[command(flatten)]
        options: PosOptions,
        /// Your reference of the trade.
        out_trade_no: String,
    },
    /// Refund part or all of a paid trade; idempotent by --out-refund-no.
    Refund {
        #[command(flatten)]
        options: PosOptions,
        /// Your reference of the trade.
        out_trade_no: String,
        /// Amount to refund as a decimal, such as 1.00.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Your reference for the refund: retrying with it never refunds twice.
        #[arg(long)]
        out_refund_no: String,
        /// Why, shown in the refund.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List a trade's refunds.
    Refunds {
        #[command(flatten)]
        options: PosOptions,
        /// Your reference of the trade.
        out_trade_no: String,
    },
    /// Show the merchant's balance.
    Balance {
        #[command(flatten)]
        options: PosOptions,
    },
    /// List the trades of a day, newest first, with the day's totals.
    Trades {
        #[command(flatten)]
        options: PosOptions,
        /// The day, YYYY-MM-DD in the server's time zone; today when absent.
        #[arg(long)]
        date: Option<String>,
        /// Only trades after this one (the `more: --before` of the previous page).
        #[arg(long)]
        before: Option<i64>,
        /// Page size, 1 to 100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// The statement of a day: every payment, refund and reversal, and the totals.
    Statement {
        #[command(flatten)]
        options: PosOptions,
        /// The day, YYYY-MM-DD in the server's time zone.
        #[arg(long)]
        date: String,
        /// Print the statement as CSV, as the server sends it.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
}

pub fn run(command: PosCommand) -> Result<Outcome> {
    let (options, call) = match command {
        PosCommand::Charge(arguments) => return pos_charge::run(arguments),
        PosCommand::Query {
            options,
            out_trade_no,
        } => (options, Call::Query(out_trade_no)),
        PosCommand::Cancel {
            options,
            out_trade_no,
        } => (options, Call::Cancel(out_trade_no)),
        PosCommand::Refund {
            options,
            out_trade_no,
            amount,
            out_refund_no,
            reason,
        } => {
            let request = RefundRequest {
                out_refund_no,
                amount: parse_typed_amount(&amount)?,
                reason,
            };
            (options, Call::Refund(out_trade_no, request))
        }
        PosCommand::Refunds {
            options,
            out_trade_no,
        } => (options, Call::Refunds(out_trade_no)),
        PosCommand::Balance { options } => (options, Call::Balance),
        PosCommand::Trades {
            options,
            date,
            before,
            limit,
        } => {
            let query = MerchantTradesQuery {
                date,
                before,
                limit,
            };
            (options, Call::Trades(query))
        }
        PosCommand::Statement { options, date, csv } => (options, Call::Statement { date, csv }),
    };
    let client = remote::client(&options.server, &options.key)?;
    remote::runtime()?.block_on(call.run(&client, options.json))
}

/// The one-call commands, after their arguments were checked.
enum Call {
    Query(String),
    Cancel(String),
    Refund(String, RefundRequest),
    Refunds(String),
    Balance,
    Trades(MerchantTradesQuery),
    Statement { date: String, csv: bool },
}

impl Call {
    async fn run(self, client: &Client, json_output: bool) -> Result<Outcome> {
        match self {
            Call::Query(out_trade_no) => {
                finish(client.payment(&out_trade_no).await, json_output, |trade| {
                    println!("{}", trade_lines(trade));
                })
            }
            Call::Cancel(out_trade_no) => {
                finish(client.cancel(&out_trade_no).await, json_output, |trade| {
                    println!("cancelled; the trade is now {}", trade.status);
                    println!("{}", trade_lines(trade));
                })
            }
            Call::Refund(out_trade_no, request) => finish(
                client.refund(&out_trade_no, &request).await,
                json_output,
                |refund| {
                    println!("{}", refund_line(refund));
                },
            ),
            Call::Refunds(out_trade_no) => {
                let list = client
                    .refunds(&out_trade_no)
                    .await
                    .map(|items| RefundList { items });
                finish(list, json_output, |list| {
                    if list.items.is_empty() {
                        println!("no refunds");
                    }
                    for refund in &list.items {
                        println!("{}", refund_line(refund));
                    }
                })
            }
            Call::Balance => finish(client.merchant_balance().await, json_output, |balance| {
                println!("{}", money(balance.balance, &balance.currency));
            }),
            Call::Trades(query) => finish(
                client.merchant_trades(&query).await,
                json_output,
                show_merchant_day,
            ),
            Call::Statement { date, csv: true } => {
                finish(client.statement_csv(&date).await, false, |csv| {
                    print!("{csv}");
                })
            }
            Call::Statement { date, csv: false } => {
                finish(client.statement(&date).await, json_output, show_statement)
            }
        }
    }
}

fn finish<T: Serialize>(
    result: Result<T, ClientError>,
    json_output: bool,
    show: impl FnOnce(&T),
) -> Result<Outcome> {
    remote::finish(result, json_output, UNAUTHENTICATED_HINT, show)
}
