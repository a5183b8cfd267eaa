//! `paycode admin`: the operator's calls (SPEC section 4, admin): users, merchants and their API
//! keys, top-ups, unlocking devices, the ledger check, the search of trades and the summary of a
//! day.

use anyhow::Result;
use clap::{Args, Subcommand};
use paycode_api::{
    AdminTradesQuery, LedgerCheck, Merchant, MerchantKey, Topup, User, UserOverview,
};
use paycode_client::Client;
use paycode_wallet::format_amount;

use crate::display::{device_status, money, parse_typed_amount, MINOR_DIGITS};
use crate::key_file_flag::value_or_file;
use crate::prompt::flag_or_prompt;
use crate::remote::{self, print_json};
use crate::reports_command::{show_admin_trades, show_settlement, show_summary};
use crate::Outcome;

/// What to fix when the server does not accept the admin key.
const UNAUTHENTICATED_HINT: &str =
    "check the admin key (--key, --key-file, PAYCODE_ADMIN_KEY or PAYCODE_ADMIN_KEY_FILE)";

/// Where the server is and the admin key, shared by every `paycode admin` command.
#[derive(Debug, Args)]
pub struct AdminOptions {
    /// Base URL of the paycode server, such as http://127.0.0.1:8080.
    #[arg(long, env = "PAYCODE_SERVER")]
    server: String,
    /// The admin key (the one the server was started with, or printed at its first start).
    /// Prefer `--key-file` or the environment: a flag's value shows in `ps`.
    #[arg(
        long,
        env = "PAYCODE_ADMIN_KEY",
        hide_env_values = true,
        required_unless_present = "key_file"
    )]
    key: Option<String>,
    /// A file whose first line is the admin key.
    #[arg(long, env = "PAYCODE_ADMIN_KEY_FILE", conflicts_with = "key")]
    key_file: Option<std::path::PathBuf>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a wallet user.
    CreateUser {
        #[command(flatten)]
        options: AdminOptions,
        /// Login name: 1 to 64 ASCII letters, digits or `. _ - @`.
        #[arg(long)]
        username: String,
        /// Password, at least 8 characters (prompted for when missing on a terminal).
        #[arg(long)]
        password: Option<String>,
    },
    /// Create a merchant and print its API key, which is shown this once only.
    CreateMerchant {
        #[command(flatten)]
        options: AdminOptions,
        /// Display name of the merchant.
        #[arg(long)]
        name: String,
    },
    /// Give a merchant another API key (to rotate keys without downtime); shown once.
    AddKey {
        #[command(flatten)]
        options: AdminOptions,
        /// The merchant's id.
        merchant_id: i64,
    },
    /// Revoke one of a merchant's API keys.
    RevokeKey {
        #[command(flatten)]
        options: AdminOptions,
        /// The merchant's id.
        merchant_id: i64,
        /// The id of the key to revoke.
        key_id: i64,
    },
    /// Credit a user's wallet from the issuance account; idempotent by --reference.
    Topup {
        #[command(flatten)]
        options: AdminOptions,
        /// The user's id.
        #[arg(long = "user")]
        user_id: i64,
        /// Amount as a decimal, such as 100.00.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Your reference for the top-up: retrying with it never credits twice.
        #[arg(long)]
        reference: String,
    },
    /// List users in id order, optionally those whose username starts with --prefix.
    Users {
        #[command(flatten)]
        options: AdminOptions,
        /// Only usernames starting with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Only users after this id (the `next_after` of the previous page).
        #[arg(long)]
        after: Option<i64>,
        /// Page size, 1 to 100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a user's balance, devices and PIN state.
    ShowUser {
        #[command(flatten)]
        options: AdminOptions,
        /// The user's id.
        user_id: i64,
    },
    /// List merchants in id order.
    Merchants {
        #[command(flatten)]
        options: AdminOptions,
        /// Only merchants after this id (the `next_after` of the previous page).
        #[arg(long)]
        after: Option<i64>,
        /// Page size, 1 to 100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// List a merchant's API keys (ids and dates; the keys themselves are never kept).
    Keys {
        #[command(flatten)]
        options: AdminOptions,
        /// The merchant's id.
        merchant_id: i64,
    },
    /// Revoke a device for its owner (a phone reported lost): its codes stop working.
    RevokeDevice {
        #[command(flatten)]
        options: AdminOptions,
        /// The device's id.
        device_id: i64,
    },
    /// Unlock a device locked after too many failed verifications.
    Unlock {
        #[command(flatten)]
        options: AdminOptions,
        /// The device's id.
        device_id: i64,
    },
    /// Compute the ledger's invariants; exit 1 if any is broken.
    LedgerCheck {
        #[command(flatten)]
        options: AdminOptions,
    },
    /// Search trades, newest first; every filter given must hold.
    Trades {
        #[command(flatten)]
        options: AdminOptions,
        /// Only this merchant's trades.
        #[arg(long)]
        merchant_id: Option<i64>,
        /// Only the trade with this merchant's reference (needs --merchant-id).
        #[arg(long)]
        out_trade_no: Option<String>,
        /// Only the trade with this trade number.
        #[arg(long)]
        trade_no: Option<String>,
        /// Only trades in this status: USER_PAYING, SUCCESS, CLOSED or REVERSED.
        #[arg(long)]
        status: Option<String>,
        /// Only trades created on this day, YYYY-MM-DD in the server's time zone.
        #[arg(long)]
        date: Option<String>,
        /// Only trades after this one (the `more: --before` of the previous page).
        #[arg(long)]
        before: Option<i64>,
        /// Page size, 1 to 100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Today's (or --date's) payments, refunds and refusals, and the devices locked now.
    Summary {
        #[command(flatten)]
        options: AdminOptions,
        /// The day, YYYY-MM-DD in the server's time zone; today when absent.
        #[arg(long)]
        date: Option<String>,
    },
    /// Every merchant's payments, refunds and net of a day, as in their statements.
    Settlement {
        #[command(flatten)]
        options: AdminOptions,
        /// The day, YYYY-MM-DD in the server's time zone.
        #[arg(long)]
        date: String,
    },
}

pub fn run(command: AdminCommand) -> Result<Outcome> {
    let runtime = remote::runtime()?;
    let call = |options: &AdminOptions| {
        let key = value_or_file(options.key.clone(), options.key_file.as_deref())?
            .ok_or_else(|| anyhow::anyhow!("the admin key is missing: --key or --key-file"))?;
        remote::client(&options.server, &key)
    };
    match command {
        AdminCommand::CreateUser {
            options,
            username,
            password,
        } => {
            let password = flag_or_prompt(password, "--password", "password of the new user")?;
            let result = runtime.block_on(call(&options)?.create_user(&username, &password));
            finish(result, &options, show_user)
        }
        AdminCommand::CreateMerchant { options, name } => {
            let result = runtime.block_on(call(&options)?.create_merchant(&name));
            finish(result, &options, show_merchant)
        }
        AdminCommand::AddKey {
            options,
            merchant_id,
        } => {
            let result = runtime.block_on(call(&options)?.add_merchant_key(merchant_id));
            finish(result, &options, show_merchant_key)
        }
        AdminCommand::RevokeKey {
            options,
            merchant_id,
            key_id,
        } => revoke_key(&runtime, &call(&options)?, &options, merchant_id, key_id),
        AdminCommand::Topup {
            options,
            user_id,
            amount,
            reference,
        } => {
            let amount = parse_typed_amount(&amount)?;
            let result = runtime.block_on(call(&options)?.topup(user_id, amount, &reference));
            finish(result, &options, show_topup)
        }
        AdminCommand::Unlock { options, device_id } => {
            let result = runtime.block_on(call(&options)?.unlock_device(device_id));
            finish(result, &options, |device| {
                println!(
                    "device {} unlocked; it is {}",
                    device.id,
                    device_status(device)
                );
            })
        }
        AdminCommand::Users {
            options,
            prefix,
            after,
            limit,
        } => {
            let result = runtime.block_on(call(&options)?.users(prefix.as_deref(), after, limit));
            finish(result, &options, |page| {
                page.items.iter().for_each(show_user);
                if let Some(after) = page.next_after {
                    println!("more: --after {after}");
                }
            })
        }
        AdminCommand::ShowUser { options, user_id } => {
            let result = runtime.block_on(call(&options)?.user_overview(user_id));
            finish(result, &options, show_user_overview)
        }
        AdminCommand::Merchants {
            options,
            after,
            limit,
        } => {
            let result = runtime.block_on(call(&options)?.merchants(after, limit));
            finish(result, &options, |page| {
                page.items.iter().for_each(show_merchant);
                if let Some(after) = page.next_after {
                    println!("more: --after {after}");
                }
            })
        }
        AdminCommand::Keys {
            options,
            merchant_id,
        } => {
            let result = runtime.block_on(call(&options)?.merchant_keys(merchant_id));
            finish(result, &options, |keys| {
                for key in keys {
                    let state = key
                        .revoked_at
                        .as_ref()
                        .map_or("live".to_owned(), |at| format!("revoked {at}"));
                    println!("key {} created {}, {state}", key.id, key.created_at);
                }
            })
        }
        AdminCommand::RevokeDevice { options, device_id } => {
            let result = runtime.block_on(call(&options)?.revoke_device_as_operator(device_id));
            finish(result, &options, |device| {
                println!("device {} is {}", device.id, device_status(device));
            })
        }
        AdminCommand::LedgerCheck { options } => ledger_check(&runtime, &call(&options)?, &options),
        AdminCommand::Trades {
            options,
            merchant_id,
            out_trade_no,
            trade_no,
            status,
            date,
            before,
            limit,
        } => {
            let query = AdminTradesQuery {
                merchant_id,
                out_trade_no,
                trade_no,
                status,
                date,
                before,
                limit,
            };
            let result = runtime.block_on(call(&options)?.admin_trades(&query));
            finish(result, &options, show_admin_trades)
        }
        AdminCommand::Summary { options, date } => {
            let result = runtime.block_on(call(&options)?.summary(date.as_deref()));
            finish(result, &options, show_summary)
        }
        AdminCommand::Settlement { options, date } => {
            let result = runtime.block_on(call(&options)?.settlement(&date));
            finish(result, &options, show_settlement)
        }
    }
}

fn finish<T: serde::Serialize>(
    result: Result<T, paycode_client::ClientError>,
    options: &AdminOptions,
    show: impl FnOnce(&T),
) -> Result<Outcome> {
    remote::finish(result, options.json, UNAUTHENTICATED_HINT, show)
}

fn revoke_key(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    options: &AdminOptions,
    merchant_id: i64,
    key_id: i64,
) -> Result<Outcome> {
    let result = runtime.block_on(client.revoke_merchant_key(merchant_id, key_id));
    // The call answers with no body, so the JSON output says what was revoked.
    let revoked = result.map(
        |()| serde_json::json!({"merchant_id": merchant_id, "api_key_id": key_id, "revoked": true}),
    );
    finish(revoked, options, |_| {
        println!("key {key_id} of merchant {merchant_id} revoked");
    })
}

fn ledger_check(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    options: &AdminOptions,
) -> Result<Outcome> {
    let check = match runtime.block_on(client.ledger_check()) {
        Ok(check) => check,
        Err(error) => {
            return Ok(remote::classify(error, UNAUTHENTICATED_HINT)?.report(options.json))
        }
    };
    if options.json {
        print_json(&check);
    } else {
        show_ledger_check(&check);
    }
    if check.ok {
        Ok(Outcome::Success)
    } else {
        eprintln!("paycode: the ledger check found broken invariants");
        Ok(Outcome::Refused)
    }
}

fn show_user(user: &User) {
    println!(
        "user {} {} (account {}), created {}",
        user.id, user.username, user.account_id, user.created_at
    );
}

fn show_user_overview(overview: &UserOverview) {
    show_user(&overview.user);
    println!("balance {}", money(overview.balance, &overview.currency));
    let pin = match (&overview.pin_locked_until, overview.pin_set) {
        (Some(until), _) => format!("PIN locked until {until}"),
        (None, true) => "PIN set".to_owned(),
        (None, false) => "no PIN set".to_owned(),
    };
    println!("{pin}");
    for device in &overview.devices {
        println!(
            "device {} {}: {}",
            device.id,
            device.name.as_deref().unwrap_or("(no name)"),
            device_status(device)
        );
    }
}

fn show_merchant(merchant: &Merchant) {
    println!(
        "merchant {} {} (account {}), created {}",
        merchant.id, merchant.name, merchant.account_id, merchant.created_at
    );
    if let Some(key) = &merchant.api_key {
        let id = merchant
            .api_key_id
            .map(|id| format!(" (key id {id})"))
            .unwrap_or_default();
        println!("API key{id}, shown this once, store it now: {key}");
    }
}

fn show_merchant_key(key: &MerchantKey) {
    println!(
        "new API key {} of merchant {}, shown this once, store it now: {}",
        key.api_key_id, key.merchant_id, key.api_key
    );
}

fn show_topup(topup: &Topup) {
    println!(
        "topped up {} to user {} (reference {}, ledger transaction {}) at {}",
        format_amount(topup.amount, MINOR_DIGITS),
        topup.user_id,
        topup.reference,
        topup.transaction_id,
        topup.created_at
    );
}

fn show_ledger_check(check: &LedgerCheck) {
    println!("ledger {}", if check.ok { "ok" } else { "BROKEN" });
    let rows: [(&str, String); 8] = [
        ("sum of balances", check.sum_of_balances.to_string()),
        ("sum of postings", check.sum_of_postings.to_string()),
        (
            "negative user accounts",
            check.negative_user_accounts.to_string(),
        ),
        (
            "accounts not matching postings",
            check.accounts_not_matching_postings.to_string(),
        ),
        (
            "unbalanced transactions",
            check.unbalanced_transactions.to_string(),
        ),
        (
            "trades with bad refunds",
            check.trades_with_bad_refunds.to_string(),
        ),
        ("accounts", check.accounts.to_string()),
        ("transactions", check.transactions.to_string()),
    ];
    for (label, value) in rows {
        println!("  {label:<31} {value}");
    }
}
