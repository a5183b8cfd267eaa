//! `paycode demo`: the whole story in one command, narrated for a newcomer. It starts a real
//! server in-process on a temporary SQLite database and talks to it over HTTP exactly as a
//! wallet, a point of sale and an operator would; the offline code is made by the wallet logic
//! alone, with no call to the server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use clap::Args;
use paycode_api::payments::{PayRequest, RefundRequest, TradeStatus};
use paycode_client::{Client, ClientError, Proof};
use paycode_core::SystemClock;
use paycode_server::ServeOptions;
use paycode_wallet::{format_amount, grouped_digits, render_terminal, DeviceEntry, WalletFile};

use crate::{unix_now, Outcome};

/// Minor units per major unit in the demo's currency (CNY: 100 fen to the yuan).
const MINOR_DIGITS: u32 = 2;

/// The demo user's name and password, printed by `--keep` for logging in to the wallet.
const DEMO_USERNAME: &str = "alice";
const DEMO_PASSWORD: &str = "correct horse battery";

/// Flags of `paycode demo`.
#[derive(Debug, Args)]
pub struct DemoArguments {
    /// Keep the server running after the story, with its data, and print the wallet's URL and
    /// the credentials to try it with (Ctrl-C stops it).
    #[arg(long)]
    keep: bool,
    /// Address the demo's server listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

pub fn run(arguments: DemoArguments) -> Result<Outcome> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(story(arguments))?;
    Ok(Outcome::Success)
}

fn say(text: &str) {
    println!("\n== {text}");
}

fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", format_amount(minor, MINOR_DIGITS))
}

async fn story(arguments: DemoArguments) -> Result<()> {
    let data_dir = tempfile::tempdir().context("could not create a temporary directory")?;
    let admin_key = paycode_core::crypto::new_token("pa_demo_");
    let options = ServeOptions {
        listen: arguments.listen,
        data_dir: data_dir.path().to_path_buf(),
        database: None,
        config_file: None,
        admin_key: Some(admin_key.clone()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    };
    say("Starting a paycode server on a fresh SQLite database");
    let opened =
        tokio::task::spawn_blocking(move || paycode_server::open(&options, Arc::new(SystemClock)))
            .await??;
    let server = paycode_server::spawn(opened.state).await?;
    println!(
        "   listening on {} (data in {})",
        server.url(),
        data_dir.path().display()
    );
    let result = walk_through(&server.url(), &admin_key).await;
    if arguments.keep {
        if let Ok(merchant_key) = &result {
            let data_path = data_dir.keep();
            print_keep_instructions(&server.url(), merchant_key, &admin_key, &data_path);
            if let Err(error) = tokio::signal::ctrl_c().await {
                tracing::error!(%error, "could not listen for Ctrl-C");
            }
        }
    }
    server.stop().await?;
    result.map(|_| ())
}

/// What a person needs to try the wallet in a browser against the kept server.
fn print_keep_instructions(
    url: &str,
    merchant_key: &str,
    admin_key: &str,
    data_path: &std::path::Path,
) {
    say("The server keeps running with the demo's data; Ctrl-C stops it");
    for (page, page_url) in paycode_server::web::page_urls(url) {
        println!("   {:<14}{page_url}", format!("{page}:"));
    }
    println!("   log in as:    {DEMO_USERNAME} / {DEMO_PASSWORD}");
    println!("   merchant key: {merchant_key}");
    println!("   admin key:    {admin_key}");
    println!("   data:         {}", data_path.display());
    println!(
        "   charge a code the wallet shows:\n     paycode pos charge --server {url} --key {merchant_key} --amount 12.50 --code <18 digits>"
    );
}

/// Runs the story against the server at `url` and answers the merchant's API key.
async fn walk_through(url: &str, admin_key: &str) -> Result<String> {
    let admin = Client::new(url)?.with_bearer(admin_key);

    say("The operator creates a user, a merchant, and tops the user up with 200.00");
    let alice = admin.create_user(DEMO_USERNAME, DEMO_PASSWORD).await?;
    let canteen = admin.create_merchant("Campus Canteen").await?;
    let merchant_key = canteen
        .api_key
        .clone()
        .context("a new merchant comes with its API key")?;
    admin.topup(alice.id, 20_000, "demo-topup-1").await?;
    println!(
        "   user alice (id {}), merchant {:?} (id {}) with API key {}…",
        alice.id,
        canteen.name,
        canteen.id,
        &merchant_key[..8]
    );

    say("Alice logs in on her phone and enrolls it as a wallet device");
    let session = Client::new(url)?
        .login("alice", "correct horse battery")
        .await?;
    let wallet_api = Client::new(url)?.with_bearer(session.token.clone());
    let provisioning = wallet_api
        .enroll_device(
            Some("Alice's phone"),
            Proof::Password("correct horse battery"),
        )
        .await?;
    println!(
        "   device {} got slot {}, a 160-bit secret and the code key of prefix {}",
        provisioning.id, provisioning.slot, provisioning.prefix
    );
    println!("   (a wallet can also scan all of it as one key URI: otpauth://totp/Paycode:alice?…&slot={}&prefix={}&codekey=…)", provisioning.slot, provisioning.prefix);

    say("Alice goes offline and opens the payment screen: the wallet makes a code by itself");
    let mut wallet = WalletFile::new(None, Some("alice".to_owned()));
    wallet.add_device(DeviceEntry::from_uri(&provisioning.uri)?.with_id(provisioning.id))?;
    let shown = wallet.next_code(None, unix_now())?;
    println!("{}", render_terminal(&shown.code));
    println!(
        "   code {}  (valid for about {} s more; no network was used)",
        grouped_digits(&shown.code),
        shown.seconds_left
    );

    say("The canteen scans it and charges 12.50");
    let pos = Client::new(url)?.with_bearer(&merchant_key);
    let code = shown.code.to_string();
    let payment = pos
        .pay(&pay_request("lunch-0001", &code, 1_250, "Lunch set B"))
        .await?;
    ensure!(
        payment.trade.status == TradeStatus::Success,
        "the payment did not succeed"
    );
    println!(
        "   {}: trade {} for {}",
        payment.trade.status,
        payment.trade.trade_no,
        money(payment.trade.amount, &payment.trade.currency)
    );

    say("Someone photographed the screen and tries the same code again");
    match pos
        .pay(&pay_request("lunch-0002", &code, 1_250, "Lunch set B"))
        .await
    {
        Err(ClientError::Api { code, message, .. }) => println!("   refused: {code} ({message})"),
        other => anyhow::bail!("a replayed code was not refused: {other:?}"),
    }

    say("Alice's phone is online again: it asks the server for an online code and buys a coffee");
    let online = wallet_api.online_code(Some(provisioning.id)).await?;
    let coffee = pos
        .pay(&pay_request("coffee-0001", &online.code, 800, "Coffee"))
        .await?;
    println!(
        "   online code {}…: {}, {}",
        &online.code[..2],
        coffee.trade.status,
        money(coffee.trade.amount, &coffee.trade.currency)
    );

    say("The lunch was cold: the canteen refunds 2.50 of it");
    let refund = RefundRequest {
        out_refund_no: "lunch-0001-r1".to_owned(),
        amount: 250,
        reason: Some("cold soup".to_owned()),
    };
    let refunded = pos.refund("lunch-0001", &refund).await?;
    println!(
        "   refund {} of {}",
        refunded.refund_no,
        money(refunded.amount, "CNY")
    );
    let trade = pos.payment("lunch-0001").await?;
    println!(
        "   trade lunch-0001 is {} with {} refunded",
        trade.status,
        money(trade.refunded_amount, &trade.currency)
    );

    say("Balances");
    let alice_balance = wallet_api.balance().await?;
    let canteen_balance = pos.merchant_balance().await?;
    println!(
        "   alice:          {}",
        money(alice_balance.balance, &alice_balance.currency)
    );
    println!(
        "   Campus Canteen: {}",
        money(canteen_balance.balance, &canteen_balance.currency)
    );
    ensure!(
        alice_balance.balance == 20_000 - 1_250 - 800 + 250,
        "alice's balance is wrong"
    );

    say("The operator checks the ledger's invariants");
    let check = admin.ledger_check().await?;
    println!(
        "   ok: {} (sum of balances {}, {} accounts, {} ledger transactions, no user below zero, refunds within amounts)",
        check.ok, check.sum_of_balances, check.accounts, check.transactions
    );
    ensure!(check.ok, "the ledger check failed");
    say("Done. Run `paycode serve` for a server that keeps its data; see the README for the API.");
    Ok(merchant_key)
}

fn pay_request(out_trade_no: &str, auth_code: &str, amount: i64, subject: &str) -> PayRequest {
    PayRequest {
        out_trade_no: out_trade_no.to_owned(),
        auth_code: auth_code.to_owned(),
        amount,
        subject: Some(subject.to_owned()),
        terminal_id: Some("till-1".to_owned()),
    }
}
